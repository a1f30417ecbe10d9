"""Training runs end to end: events, the run folder, determinism, exact resume, stopping."""

import dataclasses
import json
import math

import pytest
import torch

from engine_support import TINY, tiny_corpus, tiny_domain
from playground.domains import text_domain
from playground.engine import checkpoint
from playground.errors import PlaygroundError
from playground.engine.steering import Steering
from playground.events import (CheckpointSaved, EvalCompleted, EvalStarted, RunFinished, RunStarted, SampleGenerated,
                               StepCompleted)
from playground.engine.sample import sample
from playground.run import run_training
from playground.sampling import load_sampler


def losses(events):
    return [e.loss for e in events if isinstance(e, StepCompleted)]


def metric_rows(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_event_order_and_run_folder(tmp_path):
    run_dir = tmp_path / "run"
    events = list(run_training(tiny_domain(tmp_path), TINY, run_dir))
    kinds = [e.kind for e in events]
    assert isinstance(events[0], RunStarted) and events[0].n_params > 0 and events[0].device == "cpu"
    assert isinstance(events[-1], RunFinished) and events[-1].reason == "max_steps" and events[-1].step == 30
    assert [e.step for e in events if isinstance(e, StepCompleted)] == list(range(1, 31))
    # after step 10: the step, its eval, the best checkpoint, a sample, the last checkpoint
    i = next(i for i, e in enumerate(events) if isinstance(e, StepCompleted) and e.step == 10)
    assert kinds[i:i + 7] == ["step_completed", "eval_started", "eval_completed", "checkpoint_saved",
                              "sample_generated", "checkpoint_saved", "step_completed"]
    assert events[i + 3].path.endswith("best.pt") and events[i + 5].path.endswith("last.pt")
    evals = [e for e in events if isinstance(e, EvalCompleted)]
    assert [e.step for e in evals] == [10, 20, 30] and evals[0].is_best
    assert all(0 < e.val_loss < 5 and 0 < e.train_loss < 5 for e in evals)

    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"]["hidden"] == 32 and config["train"]["max_steps"] == 30
    rows = metric_rows(run_dir)
    assert [r["step"] for r in rows if r["event"] == "step_completed"] == list(range(1, 31))
    assert [r["val_loss"] for r in rows if r["event"] == "eval_completed"] == [e.val_loss for e in evals]
    samples = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert [s["step"] for s in samples] == [10, 20, 30]
    best = checkpoint.load(run_dir / "checkpoints" / "best.pt")
    assert best["best_val"] == min(e.val_loss for e in evals)
    assert checkpoint.load(run_dir / "checkpoints" / "last.pt")["step"] == 30


def test_default_run_folder_under_home(tmp_path, isolated_home):
    events = list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 2}))
    run_dir = events[0].run_dir
    assert run_dir.startswith(str(isolated_home / "runs" / "text-"))
    assert (isolated_home / "cache").is_dir()


def test_same_seed_same_losses_other_seed_differs(tmp_path):
    domain = tiny_domain(tmp_path)
    settings = {**TINY, "dropout": 0.3, "max_steps": 12}
    a = losses(run_training(domain, settings, tmp_path / "a"))
    b = losses(run_training(domain, settings, tmp_path / "b"))
    c = losses(run_training(domain, {**settings, "seed": 2}, tmp_path / "c"))
    assert a == b and a != c


@pytest.mark.parametrize("cell", ["gru", "rnn", "lstm-peephole", "lstm-coupled"])
def test_every_cell_trains(tmp_path, cell):
    trace = losses(run_training(tiny_domain(tmp_path), {**TINY, "cell": cell, "max_steps": 20, "layers": 2},
                                tmp_path / "run"))
    assert len(trace) == 20 and sum(trace[-3:]) < sum(trace[:3])


@pytest.mark.parametrize("state_resets", [0.0, 0.3])
def test_exact_resume_after_close(tmp_path, state_resets):
    """Closing the generator mid-run saves; resuming gives the uninterrupted run's losses
    (the random state resets, drawn from the saved generator, too)."""
    domain = tiny_domain(tmp_path)
    settings = {**TINY, "dropout": 0.2, "eval_every": 7, "max_steps": 25, "seq_len": 8,  # epochs wrap too
                "state_resets": state_resets}
    reference = losses(run_training(domain, settings, tmp_path / "ref"))

    run_dir = tmp_path / "run"
    stream = run_training(domain, settings, run_dir)
    for event in stream:
        if isinstance(event, StepCompleted) and event.step == 17:
            break
    stream.close()
    assert checkpoint.load(run_dir / "checkpoints" / "last.pt")["step"] == 17
    resumed = list(run_training(domain, {}, resume=run_dir))
    assert resumed[0].step == 17 and resumed[0].run_dir == str(run_dir)
    assert losses(resumed) == reference[17:]
    logged = [r["loss"] for r in metric_rows(run_dir) if r["event"] == "step_completed"]
    assert logged == reference


def test_a_stop_during_an_eval_records_none_and_the_resume_is_exact(tmp_path):
    """Stopped as step 20's eval begins: the eval is cut short and not recorded, last.pt is
    step 20's, and the resumed run does that eval first, then goes on as the uninterrupted run."""
    domain, settings = tiny_domain(tmp_path), {**TINY, "sample_every": 0}
    reference = list(run_training(domain, settings, tmp_path / "ref"))
    steering, run_dir, events = Steering(), tmp_path / "run", []
    for event in run_training(domain, settings, run_dir, steering=steering):
        events.append(event)
        if isinstance(event, EvalStarted) and event.step == 20:
            steering.stop.set()
    assert [e.kind for e in events[-3:]] == ["eval_started", "checkpoint_saved", "run_finished"]
    assert events[-1].reason == "stopped" and checkpoint.load(run_dir / "checkpoints" / "last.pt")["step"] == 20
    assert not any(isinstance(e, EvalCompleted) and e.step == 20 for e in events)
    resumed = list(run_training(domain, {}, resume=run_dir))
    evals = [e for e in reference if isinstance(e, EvalCompleted)]
    assert [e for e in resumed if isinstance(e, EvalCompleted)] == evals[1:]
    assert losses(resumed) == losses(reference)[20:]
    logged = [r["val_loss"] for r in metric_rows(run_dir) if r["event"] == "eval_completed"]
    assert logged == [e.val_loss for e in evals]  # step 20's once, from the resumed run


def test_resume_truncates_logs_beyond_the_checkpoint(tmp_path):
    domain = tiny_domain(tmp_path)
    run_dir = tmp_path / "run"
    list(run_training(domain, {**TINY, "max_steps": 20}, run_dir))
    ckpt = run_dir / "checkpoints" / "last.pt"
    payload = checkpoint.load(ckpt)
    # pretend the run was killed after step 20's logs but before its checkpoint: last.pt is step 10's
    list(run_training(domain, {**TINY, "max_steps": 10}, tmp_path / "ten"))
    (tmp_path / "ten" / "checkpoints" / "last.pt").replace(ckpt)
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write('{"event": "step_completed", "step": 21, "lo')  # a torn line
    list(run_training(domain, {"max_steps": 20}, resume=run_dir))
    rows = metric_rows(run_dir)
    steps = [r["step"] for r in rows if r["event"] == "step_completed"]
    assert steps == list(range(1, 21)) and payload["step"] == 20


def test_resume_can_extend_max_steps_only(tmp_path):
    domain = tiny_domain(tmp_path)
    run_dir = tmp_path / "run"
    list(run_training(domain, {**TINY, "max_steps": 10}, run_dir))
    events = list(run_training(domain, {"max_steps": 15, "hidden": None}, resume=run_dir))
    assert events[-1].step == 15
    with pytest.raises(PlaygroundError, match="only max_steps or max_time.*hidden"):
        list(run_training(domain, {"hidden": 64}, resume=run_dir))
    with pytest.raises(PlaygroundError, match="can only extend max_steps"):
        list(run_training(domain, {"max_steps": 5}, resume=run_dir))
    other = dataclasses.replace(domain, name="other")
    with pytest.raises(PlaygroundError, match="domain 'text', not 'other'"):
        list(run_training(other, {}, resume=run_dir))


def test_resume_of_a_non_run(tmp_path):
    domain = tiny_domain(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(PlaygroundError, match="not a run folder"):
        list(run_training(domain, {}, resume=tmp_path / "empty"))
    with pytest.raises(PlaygroundError, match="not found"):
        list(run_training(domain, {}, resume=tmp_path / "nowhere"))
    with pytest.raises(PlaygroundError, match="corrupt or not a checkpoint"):
        list(run_training(domain, {}, resume=tiny_corpus(tmp_path)))


def test_thrown_keyboard_interrupt_saves_and_finishes(tmp_path):
    run_dir = tmp_path / "run"
    stream = run_training(tiny_domain(tmp_path), TINY, run_dir)
    for event in stream:
        if isinstance(event, StepCompleted) and event.step == 4:
            break
    rest = [stream.throw(KeyboardInterrupt())] + list(stream)
    assert isinstance(rest[0], CheckpointSaved) and rest[0].step == 4
    assert isinstance(rest[-1], RunFinished) and rest[-1].reason == "interrupted"
    assert checkpoint.load(run_dir / "checkpoints" / "last.pt")["step"] == 4
    # stopped before its first eval, so there is no best.pt: sampling the run uses last.pt
    assert not (run_dir / "checkpoints" / "best.pt").exists()
    assert load_sampler(run_dir, {"n": 2, "length": 5}).settings.n == 2


def test_max_time_budget(tmp_path):
    from playground.engine.config import resolve
    from playground.engine.train import lr_at

    events = list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": None, "max_time": 0.5}, tmp_path / "r"))
    assert events[-1].reason == "max_time"
    budget = resolve({**TINY, "max_steps": None, "max_time": 60, "warmup": 0}).train
    lrs = [lr_at(budget, 10, elapsed) for elapsed in (0, 20, 40, 60)]  # the same step, later on the clock
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] == budget.min_lr  # the cosine follows the clock


def test_samples_are_postprocessed_and_events_tracked(tmp_path):
    import types

    seen = []
    tracker = types.SimpleNamespace(track_event=seen.append)  # what a plugin host offers the run
    domain = tiny_domain(tmp_path, postprocess=(lambda s: "<" + s + ">",))
    events = list(run_training(domain, {**TINY, "max_steps": 10, "n": 3}, tmp_path / "r", tracker=tracker))
    samples = [e for e in events if isinstance(e, SampleGenerated)]
    assert len(samples) == 3 and all(s.text.startswith("<") and s.text.endswith(">") for s in samples)
    assert seen == events


def test_bad_inputs(tmp_path):
    domain = tiny_domain(tmp_path)
    short = text_domain(tmp_path / "short.txt")
    (tmp_path / "short.txt").write_text("hello world\n" * 5)
    with pytest.raises(PlaygroundError, match="corpus too short"):
        list(run_training(short, TINY, tmp_path / "a"))
    assert not (tmp_path / "a").exists()  # no run folder for a run that cannot start
    list(run_training(domain, {**TINY, "max_steps": 2}, tmp_path / "done"))
    with pytest.raises(PlaygroundError, match="already holds a run"):
        list(run_training(domain, TINY, tmp_path / "done"))
    with pytest.raises(PlaygroundError, match="seq_len must be a positive integer"):
        list(run_training(domain, {**TINY, "seq_len": 0}, tmp_path / "b"))
    if not torch.cuda.is_available():
        with pytest.raises(PlaygroundError, match="CUDA is not available"):
            list(run_training(domain, {**TINY, "device": "cuda"}, tmp_path / "c"))


def test_loss_falls_on_names(tmp_path, with_corpora):
    from playground import plugins

    names = plugins.host().domains["names"]
    settings = {"layers": 1, "hidden": 128, "seq_len": 32, "batch_size": 32, "max_steps": 100, "eval_every": 100,
                "lr": 1e-2, "sample_every": 0}
    events = list(run_training(names, settings, tmp_path / "run"))
    trace = losses(events)
    val = [e.val_loss for e in events if isinstance(e, EvalCompleted)][-1]
    assert trace[0] > math.log(20)  # starts near uniform over ~28 symbols
    assert sum(trace[-10:]) / 10 < 2.5 and val < 2.5  # a unigram model is at about 2.9

    sampler = load_sampler(tmp_path / "run", {"n": 20, "seed": 0})  # the names plugin's domain
    assert sampler.domain.name == "names" and sampler.settings.stop == "\n"
    names_out = sample(sampler.model, sampler.vocab, sampler.settings, sampler.seed)
    assert len(names_out) == 20 and all("\n" not in n and len(n) < 500 for n in names_out)
    assert sum(n.isalpha() for n in names_out) >= 15  # one name per sample


def test_state_resets_restart_streams_at_random():
    from playground.engine.train import fresh_at_random

    carried = (torch.ones(2, 1000, 3), torch.full((2, 1000, 3), 2.0))
    fresh = (torch.zeros(2, 1000, 3), torch.zeros(2, 1000, 3))
    torch.manual_seed(0)
    h, c = fresh_at_random(carried, fresh, 0.25)
    restarted = (h == 0).all(dim=(0, 2))
    assert 0.2 < restarted.float().mean() < 0.3 and torch.equal(restarted, (c == 0).all(dim=(0, 2)))
    assert torch.equal(h[:, ~restarted], carried[0][:, ~restarted])
    assert torch.equal(fresh_at_random(carried[0], fresh[0], 0.0), carried[0])
