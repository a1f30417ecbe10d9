"""`playground train --log tensorboard[:DIR]`: a real tiny shakespeare run's TensorBoard event files,
read back with TensorBoard's own reader and checked against the run's own logs; bad --log values;
a DDP run writes from one process."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from engine_support import playground, trained
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

VERDICT = re.compile(r"^\*\*\d+\. (✓ valid|✗ \S+)\*\*", re.M)
pytestmark = pytest.mark.usefixtures("with_corpora")


def events(folder: Path) -> EventAccumulator:
    reader = EventAccumulator(str(folder), size_guidance={kind: 0 for kind in
                                                          ("scalars", "tensors", "histograms", "images", "audio")})
    reader.Reload()
    return reader


def rows(path: Path, kind: str) -> list[dict]:
    return [row for line in path.read_text().splitlines() if (row := json.loads(line))["event"] == kind]


def scalars(reader: EventAccumulator, tag: str) -> dict[int, float]:
    return {e.step: e.value for e in reader.Scalars(tag)}


@pytest.fixture(scope="module")
def logged(tmp_path_factory, shared_corpora):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLAYGROUND_CORPORA", str(shared_corpora))
        base = tmp_path_factory.mktemp("tensorboard")
        run = trained(base / "run", "--log", f"tensorboard:{base / 'tb'}")
        return run, base / "tb"


def test_the_tensorboard_tracker_writes_the_runs_scalars_at_their_steps(logged):
    run, tb = logged
    assert len(list(tb.glob("events.out.tfevents.*"))) == 1 and not (run / "tensorboard").exists()
    reader = events(tb)
    steps = rows(run / "metrics.jsonl", "step_completed")
    assert scalars(reader, "loss/train") == pytest.approx({r["step"]: r["loss"] for r in steps}, rel=1e-6)
    assert scalars(reader, "train/lr") == pytest.approx({r["step"]: r["lr"] for r in steps}, rel=1e-6)
    assert sorted(scalars(reader, "train/chars_per_s")) == list(range(1, 41))
    evals = rows(run / "metrics.jsonl", "eval_completed")
    assert [r["step"] for r in evals] == [20, 40]
    assert scalars(reader, "loss/val") == pytest.approx({r["step"]: r["val_loss"] for r in evals}, rel=1e-6)
    assert scalars(reader, "loss/train_mean") == pytest.approx({r["step"]: r["train_loss"] for r in evals}, rel=1e-6)
    measured = rows(run / "metrics.jsonl", "validity_measured")
    assert [r["step"] for r in measured] == [20, 40]
    assert scalars(reader, "validity/valid_rate") == pytest.approx({r["step"]: r["valid_rate"] for r in measured})
    assert scalars(reader, "validity/ceiling") == pytest.approx({r["step"]: r["ceiling"] for r in measured})
    for rate in ("unique_rate", "novel_rate"):  # None (no valid sample) is left out, not written as 0
        expected = {r["step"]: r[rate] for r in measured if r[rate] is not None}
        written = scalars(reader, f"validity/{rate}") if f"validity/{rate}" in reader.Tags()["scalars"] else {}
        assert written == pytest.approx(expected)


def test_each_scored_batch_is_one_text_with_every_samples_verdict(logged):
    run, tb = logged
    reader = events(tb)
    texts = {e.step: e.tensor_proto.string_val[0].decode() for e in reader.Tensors("samples/scored/text_summary")}
    assert sorted(texts) == [20, 40]
    scored = rows(run / "samples.jsonl", "sample_scored")
    for measured in rows(run / "metrics.jsonl", "validity_measured"):
        step, text = measured["step"], texts[measured["step"]]
        assert text.startswith(f"**{measured['valid']} of {measured['n']} valid**")
        verdicts = ["✓ valid" if r["score"]["valid"] else f"✗ {r['score']['category']}"
                    for r in scored if r["step"] == step]
        assert VERDICT.findall(text) == verdicts and len(verdicts) == 6
        for row in scored:
            if row["step"] == step and row["text"].strip():
                assert "\n".join("    " + line for line in row["text"].rstrip("\n").split("\n")) in text
    printed = rows(run / "samples.jsonl", "sample_generated")
    assert sorted(e.step for e in reader.Tensors("samples/printed/text_summary")) == [r["step"] for r in printed]


def test_the_runs_settings_and_final_metrics_are_hparams(logged):
    run, tb = logged
    reader = events(tb)
    content = {tag.split("/")[-1]: plugin_data_pb2.HParamsPluginData.FromString(data)
               for tag, data in reader.PluginTagToContent("hparams").items()}
    assert set(content) == {"experiment", "session_start_info", "session_end_info"}
    hparams = content["session_start_info"].session_start_info.hparams
    assert hparams["domain"].string_value == "shakespeare" and hparams["model.cell"].string_value == "lstm"
    assert hparams["model.hidden"].number_value == 32 and hparams["sample.length"].number_value == 300
    assert hparams["train.max_steps"].number_value == 40 and "train.max_time" not in hparams  # unset: left out
    metrics = {m.name.tag for m in content["experiment"].experiment.metric_infos}
    assert metrics == {"hparam/val_loss", "hparam/valid_rate"}
    last_eval = rows(run / "metrics.jsonl", "eval_completed")[-1]
    last_rate = rows(run / "metrics.jsonl", "validity_measured")[-1]
    assert scalars(reader, "hparam/val_loss") == pytest.approx({40: last_eval["val_loss"]})
    assert scalars(reader, "hparam/valid_rate") == pytest.approx({40: last_rate["valid_rate"]})


PROBE = """
import runpy, sys
{block}
sys.argv = ["playground", "train", "shakespeare", *{args!r}]
try:
    runpy.run_module("playground", run_name="__main__")
except SystemExit as exit:
    code = exit.code
print("torch" in sys.modules, code)
"""


@pytest.mark.parametrize("args, block, message", [
    (["--log", "nonsense"], "", "error: --log 'nonsense': unknown tracker 'nonsense'; known: tensorboard"),
    (["--log", "nonsense", "--nproc", "2"], "", "error: --log 'nonsense': unknown tracker"),
    (["--log", "tensorboard:"], "", "error: --log 'tensorboard:': give a folder after ':'"),
    (["--log", "tensorboard", "--log", "tensorboard:x"], "", "error: --log tensorboard is given twice"),
    # the package missing: None in sys.modules is how Python itself marks a module as not importable
    (["--log", "tensorboard"], "sys.modules['tensorboard'] = None",
     'error: --log tensorboard needs the tensorboard package: pip install "tensorboard>=2.14"'),
])
def test_a_bad_log_is_one_line_and_exit_2_before_torch(args, block, message):
    result = subprocess.run([sys.executable, "-c", PROBE.format(block=block, args=args)], capture_output=True,
                            text=True, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}, timeout=120)
    assert result.stdout.split() == ["False", "2"], result.stderr  # torch never imported; exit status 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message), result.stderr


def test_log_nonsense_from_the_command_line(tmp_path):
    result = playground("train", "shakespeare", "--log", "nonsense", "--out", tmp_path / "run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == ["error: --log 'nonsense': unknown tracker 'nonsense'; known: tensorboard "
                                          "(as NAME or NAME:DIR)"]
    assert not (tmp_path / "run").exists()


def test_the_guides_tracker_example_is_a_track_event_plugin():
    guide = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text()
    section = guide.split("## Write a tracker", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n# file: wandb_tracker.py\n(.*?)```", section, re.S).group(1)
    compile(code, "wandb_tracker.py", "exec")  # wandb itself is not installed here
    assert "@hookimpl\ndef track_event(event):" in code and "--log tensorboard[:DIR]" in section


@pytest.mark.slow
def test_a_ddp_run_has_one_writer(tmp_path):
    run = trained(tmp_path / "ddp", "--nproc", "2", "--log", "tensorboard")
    files = list(tmp_path.rglob("events.out.tfevents.*"))
    assert [f.parent for f in files] == [run / "tensorboard"]  # rank 0's, in the run folder
    reader = events(run / "tensorboard")
    assert sorted(scalars(reader, "loss/train")) == list(range(1, 41))
    assert sorted(scalars(reader, "loss/val")) == [20, 40]
