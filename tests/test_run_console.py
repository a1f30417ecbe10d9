"""What the CLI prints for a training run and for samples."""

import io
import json
import re

from rich.console import Console

from engine_support import TINY, tiny_domain
from playground.console import render_samples, render_training
from playground.run import run_training
from playground.sampling import load_sampler


def test_training_as_text_and_as_json_lines(tmp_path, capsys):
    domain = tiny_domain(tmp_path)
    out = io.StringIO()
    reason = render_training(run_training(domain, {**TINY, "max_steps": 10}, tmp_path / "a"),
                             Console(file=out, width=120))
    text = out.getvalue()
    assert reason == "max_steps"
    assert "nats/char" in text and "bits/char" in text and "finished at step 10: max_steps" in text
    assert "1x32 lstm" in text and "sample at step 10" in text

    render_training(run_training(domain, {**TINY, "max_steps": 10}, tmp_path / "b"), json_lines=True)
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["event"] == "run_started"
    assert rows[-1] == {"event": "run_finished", "step": 10, "reason": "max_steps"}
    assert sum(r["event"] == "step_completed" for r in rows) == 10


def test_samples_stream_or_print_as_json(tmp_path, capsys):
    list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 10}, tmp_path / "run"))
    out = io.StringIO()
    texts = render_samples(load_sampler(tmp_path / "run", {"n": 1, "length": 30, "seed": 2}), Console(file=out))
    assert out.getvalue() == texts[0] + "\n" and len(texts[0]) == 30

    texts = render_samples(load_sampler(tmp_path / "run", {"n": 3, "length": 20, "seed": 2, "stop": "."}),
                           json_lines=True)
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == texts and [r["index"] for r in rows] == [0, 1, 2]
    assert all(r["seed"] == 2 and r["stop"] == "." and r["length"] == 20 for r in rows)


def test_training_shows_validity_rates(tmp_path):
    from playground.domains import Score

    domain = tiny_domain(tmp_path, score=lambda samples: [Score(True, 1.0)] * len(samples))
    out = io.StringIO()
    render_training(run_training(domain, {**TINY, "max_steps": 10, "score_samples": 4}, tmp_path / "run"),
                    Console(file=out, width=120))
    text = out.getvalue()
    assert re.search(r"step     10  valid \d/4 = \d+% \(95% CI \d+%–\d+%\) against a ceiling of 100%, unique", text)
    assert "best-valid.pt" in text


def test_the_progress_line_s_eta_goes_by_the_pace_so_far_or_the_time_budget():
    from playground.console import clock, time_left

    assert time_left(100, 50.0, 1000, None) == 450.0  # 900 steps at 0.5 s
    assert time_left(100, 50.0, 1000, 120.0) == 70.0  # the budget ends first
    assert time_left(0, 0.0, 1000, None) is None and time_left(10, 5.0, None, None) is None
    assert time_left(100, 200.0, None, 120.0) == 0.0  # never below zero
    assert (clock(450), clock(3723)) == ("7:30", "1:02:03")


def test_the_progress_line_says_evaluating_while_an_eval_holds_the_step_still():
    from playground.console import TrainingView
    from playground.events import EvalStarted, RunStarted, StepCompleted

    view = TrainingView(Console(file=io.StringIO(), width=120))
    config = {"train": {"max_steps": 10, "max_time": None}, "model": {"layers": 1, "hidden": 8, "cell": "lstm"}}
    view.show(RunStarted(run_dir="r", domain="text", config=config, n_params=1, vocab_size=5, device="cpu"))
    doing = lambda: view.progress.tasks[0].fields["doing"]  # noqa: E731
    view.show(StepCompleted(step=5, loss=1.0, lr=1e-3, chars_per_s=100.0, elapsed_s=1.0))
    assert doing() == ""
    view.show(EvalStarted(step=5))
    assert doing() == "evaluating…"
    view.show(StepCompleted(step=6, loss=1.0, lr=1e-3, chars_per_s=100.0, elapsed_s=2.0))
    assert doing() == ""
    view.close()
