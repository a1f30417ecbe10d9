"""Validity measured while training: events, run files, best-valid.pt, and no waiting."""

import json
import threading

import pytest

from engine_support import TINY, tiny_domain
from playground.domains import Score
from playground.engine.steering import Steering
from playground.errors import PlaygroundError
from playground.events import (CheckpointSaved, RunFinished, SampleScored, SamplesDrawn, ScoringFailed,
                               StepCompleted, ValidityMeasured)
from playground.run import run_training
from playground.sampling import load_sampler


def ends_with_period(samples):
    return [Score(True, 1.0) if s.rstrip().endswith(".") else Score(False, 0.5, "no-period", s[-10:])
            for s in samples]


def rows(path, kind):
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["event"] == kind]


def test_scored_samples_and_rates_are_events_and_rows(tmp_path):
    domain = tiny_domain(tmp_path, score=ends_with_period)
    settings = {**TINY, "max_steps": 30, "score_every": 10, "score_samples": 6, "sample_every": 0}
    events = list(run_training(domain, settings, tmp_path / "run"))
    measured = [e for e in events if isinstance(e, ValidityMeasured)]
    assert [m.step for m in measured] == [10, 20, 30]
    assert all(m.n == 6 and 0 <= m.valid_rate <= 1 and len(m.valid_ci) == 2 for m in measured)
    assert all(sum(m.categories.values()) == 6 for m in measured)
    scored = [e for e in events if isinstance(e, SampleScored)]
    assert len(scored) == 18 and all(e.score["category"] in ("ok", "no-period", "empty") for e in scored)
    assert all(e.novel is None or 0 <= e.novel <= 1 for e in scored)
    assert isinstance(events[-1], RunFinished)  # the last verdicts come before the end

    run = tmp_path / "run"
    assert [r["step"] for r in rows(run / "metrics.jsonl", "validity_measured")] == [10, 20, 30]
    assert len(rows(run / "samples.jsonl", "sample_scored")) == 18
    assert not list((run / "checkpoints").glob("scored-*.pt"))  # snapshots kept or dropped, never left


def test_best_valid_keeps_the_highest_rate(tmp_path):
    verdicts = iter([0.25, 0.75, 0.5])  # per batch: the share of samples called valid

    def scripted(samples):
        rate = next(verdicts)
        k = round(rate * len(samples))
        return [Score(i < k, 1.0 if i < k else 0.0, "ok" if i < k else "bad") for i in range(len(samples))]

    domain = tiny_domain(tmp_path, score=scripted)
    settings = {**TINY, "max_steps": 30, "score_every": 10, "score_samples": 4, "sample_every": 0}
    events = list(run_training(domain, settings, tmp_path / "run"))
    saved = [e.step for e in events if isinstance(e, CheckpointSaved) and e.path.endswith("best-valid.pt")]
    assert saved == [10, 20]
    from playground.engine import checkpoint

    payload = checkpoint.load(tmp_path / "run" / "checkpoints" / "best-valid.pt")
    assert payload["step"] == 20 and "optimizer" not in payload
    sampler = load_sampler(tmp_path / "run" / "checkpoints" / "best-valid.pt", {"n": 2, "length": 10, "seed": 1})
    assert len(sampler.texts()) == 2
    assert not list((tmp_path / "run" / "checkpoints").glob("scored-*.pt"))


def test_training_goes_on_while_a_batch_is_scored(tmp_path):
    gate = threading.Event()

    def waits_for_the_gate(samples):
        assert gate.wait(60)
        return ends_with_period(samples)

    domain = tiny_domain(tmp_path, score=waits_for_the_gate)
    settings = {**TINY, "max_steps": 30, "score_every": 10, "score_samples": 4, "sample_every": 0}
    steps_while_pending = []
    seen = []
    for event in run_training(domain, settings, tmp_path / "run"):
        seen.append(event)
        drawn = [e.step for e in seen if isinstance(e, SamplesDrawn)]
        if drawn and not gate.is_set() and isinstance(event, StepCompleted):
            steps_while_pending.append(event.step)
            if len(steps_while_pending) == 5:
                gate.set()
    assert steps_while_pending[:5] == [11, 12, 13, 14, 15]  # five steps trained with step 10's batch unscored
    assert [e.step for e in seen if isinstance(e, ValidityMeasured)] == [10, 20, 30]


def test_a_stop_does_not_wait_for_a_batch_being_scored(tmp_path):
    gate = threading.Event()

    def waits_for_the_gate(samples):
        assert gate.wait(60)
        return ends_with_period(samples)

    domain, steering = tiny_domain(tmp_path, score=waits_for_the_gate), Steering()
    settings = {**TINY, "max_steps": 30, "score_every": 10, "score_samples": 4, "sample_every": 0}
    events = []
    for event in run_training(domain, settings, tmp_path / "run", steering=steering):
        events.append(event)
        if isinstance(event, StepCompleted) and event.step == 12:
            steering.stop.set()
    gate.set()
    assert events[-1].reason == "stopped" and events[-1].step == 12
    assert not any(isinstance(e, (ValidityMeasured, ScoringFailed)) for e in events)  # step 10's batch: dropped
    assert not list((tmp_path / "run" / "checkpoints").glob("scored-*.pt"))


def test_a_failing_scorer_is_reported_and_training_continues(tmp_path):
    def broken(samples):
        raise ValueError("no checker today")

    domain = tiny_domain(tmp_path, score=broken)
    settings = {**TINY, "max_steps": 20, "score_every": 10, "score_samples": 2, "sample_every": 0}
    events = list(run_training(domain, settings, tmp_path / "run"))
    failed = [e for e in events if isinstance(e, ScoringFailed)]
    assert [(e.step, e.error) for e in failed] == [(10, "ValueError: no checker today"), (20, "ValueError: no checker today")]
    assert events[-1].reason == "max_steps"
    assert not list((tmp_path / "run" / "checkpoints").glob("*scored*"))


def test_score_every_defaults_to_eval_every_only_for_domains_that_score(tmp_path):
    scoring = tiny_domain(tmp_path, score=ends_with_period)
    events = list(run_training(scoring, {**TINY, "max_steps": 20, "score_samples": 2}, tmp_path / "a"))
    assert events[0].config["train"]["score_every"] == TINY["eval_every"]
    assert [e.step for e in events if isinstance(e, ValidityMeasured)] == [10, 20]

    plain = tiny_domain(tmp_path)
    events = list(run_training(plain, {**TINY, "max_steps": 20}, tmp_path / "b"))
    assert events[0].config["train"]["score_every"] == 0
    with pytest.raises(PlaygroundError, match="has no validity scorer"):
        list(run_training(plain, {**TINY, "score_every": 5}, tmp_path / "c"))


def test_weights_only_checkpoints_cannot_be_resumed(tmp_path):
    domain = tiny_domain(tmp_path, score=lambda samples: [Score(True, 1.0)] * len(samples))
    list(run_training(domain, {**TINY, "max_steps": 10, "score_samples": 2}, tmp_path / "run"))
    with pytest.raises(PlaygroundError, match="weights only"):
        list(run_training(domain, {}, resume=tmp_path / "run" / "checkpoints" / "best-valid.pt"))


def test_resume_remembers_the_best_valid_rate(tmp_path, monkeypatch):
    from playground import ceiling

    monkeypatch.setattr(ceiling, "ceiling", lambda *args: None)  # its scoring would take a scripted verdict
    verdicts = iter([1.0, 0.5, 0.75])

    def scripted(samples):
        k = round(next(verdicts) * len(samples))
        return [Score(i < k, 1.0 if i < k else 0.0, "ok" if i < k else "bad") for i in range(len(samples))]

    domain = tiny_domain(tmp_path, score=scripted)
    settings = {**TINY, "max_steps": 10, "score_every": 10, "score_samples": 4, "sample_every": 0,
                "length": 2000, "units": 1}  # a line each, never cut to nothing
    list(run_training(domain, settings, tmp_path / "run"))
    events = list(run_training(domain, {"max_steps": 30}, resume=tmp_path / "run"))
    assert [e.valid_rate for e in events if isinstance(e, ValidityMeasured)] == [0.5, 0.75]
    assert not [e for e in events if isinstance(e, CheckpointSaved) and e.path.endswith("best-valid.pt")]
