"""Steering a run from another thread: pause (the clock stops), sample now, temperature, stop."""

import threading
import time

from engine_support import TINY, tiny_domain
from playground.engine.steering import Steering
from playground.events import (CheckpointSaved, RunFinished, SampleGenerated, SampleStreamed, StepCompleted)
from playground.run import run_training


def test_sample_now_streams_then_finishes(tmp_path):
    steering = Steering(temperature=0.5)
    events = []
    for event in run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 12, "sample_every": 0}, tmp_path / "run",
                              steering=steering):
        events.append(event)
        if isinstance(event, StepCompleted) and event.step == 5:
            steering.sample_now.set()
    pieces = [e for e in events if isinstance(e, SampleStreamed)]
    [done] = [e for e in events if isinstance(e, SampleGenerated)]
    assert done.on_demand and done.temperature == 0.5 and done.step == 5
    streamed = "".join(p.text for p in pieces)
    assert len(pieces) > 1  # character by character
    assert done.text == streamed  # the text domain declares no units: kept whole
    assert events.index(done) > events.index(pieces[-1])


def test_pause_stops_the_clock_and_stop_saves(tmp_path):
    steering = Steering()
    seen = []

    def consume():
        for event in run_training(tiny_domain(tmp_path), {**TINY, "max_steps": None, "max_time": 60, "sample_every": 0,
                                                         "score_every": 0}, tmp_path / "run", steering=steering):
            seen.append(event)

    worker = threading.Thread(target=consume)
    worker.start()
    while not any(isinstance(e, StepCompleted) for e in seen):
        time.sleep(0.01)
    paused_from = time.monotonic()
    steering.paused.set()
    time.sleep(0.3)  # let it reach the boundary and wait there
    paused_at = len(seen)
    time.sleep(1.0)
    assert len(seen) == paused_at  # nothing trains while paused
    steering.sample_now.set()  # samples are still answered while paused
    deadline = time.monotonic() + 30
    while not any(isinstance(e, SampleGenerated) for e in seen) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any(isinstance(e, SampleGenerated) and e.on_demand for e in seen)
    steering.paused.clear()
    paused_for = time.monotonic() - paused_from
    time.sleep(0.2)
    steering.stop.set()
    worker.join(30)
    assert not worker.is_alive()
    assert isinstance(seen[-1], RunFinished) and seen[-1].reason == "stopped"
    assert any(isinstance(e, CheckpointSaved) and e.path.endswith("last.pt") for e in seen)
    before = [e for e in seen[:paused_at] if isinstance(e, StepCompleted)][-1]
    after = next(e for e in seen[paused_at:] if isinstance(e, StepCompleted))
    assert after.step == before.step + 1
    # the run's clock did not count the pause: across it, it moved by less than the pause lasted
    assert after.elapsed_s - before.elapsed_s < paused_for
