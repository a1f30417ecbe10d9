"""The benchmarks that drive the engine directly still run against its API (no figures here:
timing belongs to the benchmarks themselves)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench(name: str):
    if str(BENCH) not in sys.path:  # as when run as a script: the benchmarks import each other
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_speed_and_gpu_throughput_run_a_few_steps():
    train_speed, gpu = bench("train_speed"), bench("gpu")
    data = train_speed.dataset(1 << 17)
    assert train_speed.engine_speed("lstm", 1, 32, 4, data) > 0
    assert gpu.throughput(data, 1, 32, "cpu", 4, False) > 0


def test_the_leaderboard_trains_samples_and_judges_a_domain(with_corpora, tmp_path):
    from playground import plugins

    result = bench("validity").run_domain(plugins.host().domains["names"], 3, tmp_path, {}, {})
    assert {"valid", "valid_ci", "ceiling", "valid_over_ceiling", "unique", "novel", "valid_and_novel",
            "mean_chars", "longest_copy_median", "val_loss", "steps", "settings"} <= set(result)
    assert result["ceiling"] == 1.0 and result["steps"] > 0
    assert result["settings"]["warm"] is False and "zero_state" not in result  # names samples from a zero state


def test_the_leaderboard_sets_guided_samples_beside_the_raw_ones(with_corpora, tmp_path):
    from playground import plugins

    result = bench("validity").run_domain(plugins.host().domains["names"], 3, tmp_path, {}, {}, guided=True)
    assert {"guided_valid", "guided_valid_over_ceiling", "guided_nll_per_char", "raw_nll_per_char", "guided_novel",
            "guided_stuck", "chars_per_s_raw", "chars_per_s_guided", "guided_speed_ratio"} <= set(result)
    assert result["guided_valid"] == 1.0  # a guided name is always 2 to 20 letters
    assert (tmp_path / "samples-guided.json").exists()


def test_the_failure_report_gives_the_valid_rate_by_length(tmp_path):
    (tmp_path / "latex").mkdir()
    samples = [{"text": "x" * n, "score": {"valid": n < 50, "category": "ok" if n < 50 else "environment-mismatch"}}
               for n in (10, 20, 30, 40, 60, 70, 80, 90)]
    (tmp_path / "latex" / "samples.json").write_text(json.dumps(samples))
    out = subprocess.run([sys.executable, str(BENCH / "failures.py"), str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    groups = json.loads(out)["latex"]["by_length"]
    assert [g["chars"] for g in groups] == [[10, 20], [30, 40], [60, 70], [80, 90]]
    assert [g["valid"] for g in groups] == [1.0, 1.0, 0.0, 0.0]
    assert groups[-1]["failing"] == {"environment-mismatch": 2} and groups[0]["failing"] == {}


def test_the_tui_benchmarks_train_in_the_tui_and_time_a_chart_frame(with_corpora, tmp_path, monkeypatch):
    import asyncio

    from playground import plugins

    throughput, plot = bench("tui_throughput"), bench("tui_plot")
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path))
    names = plugins.host().domains["names"]
    tiny = {"layers": 1, "hidden": 32, "embed": 16, "seq_len": 16, "batch_size": 8, "max_steps": 12,
            "eval_every": 6, "score_samples": 4, "length": 40}
    assert throughput.headless(names, tiny, tmp_path / "headless") > 0
    assert asyncio.run(throughput.in_tui(names, tiny, (80, 24))) > 0
    assert asyncio.run(plot.measure("native", plot.native, (40, 10), 3))["frame_ms_median"] > 0
