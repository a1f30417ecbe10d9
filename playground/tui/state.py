"""What the TUI knows about the run it shows: filled from events by the training thread,
read by the UI on a timer, so that per-step updates coalesce into a few redraws a second."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from playground.console import time_left
from playground.events import (EvalCompleted, EvalStarted, Event, RunFinished, RunStarted, StepCompleted,
                               ValidityMeasured)

HISTORY = 400  # points kept per curve: between HISTORY and twice as many
LIVE = ("starting", "training", "evaluating", "paused", "stopping")  # a run under way; after it: finished or failed


@dataclass
class SampleRecord:
    """A judged sample, as the sample stream lists it."""

    step: int
    text: str
    score: dict[str, Any]  # Score.to_dict()
    novel: float | None
    guided: bool = False


@dataclass
class Curve:
    """One chart line's points, (step, value, ...), oldest first. Past 2 x HISTORY points,
    neighbours merge into their mean and each point from then on is the mean of twice as many
    values: the whole run's shape stays, evenly spaced, in bounded memory."""

    kept: list[tuple[float, ...]] = field(default_factory=list)
    stride: int = 1  # values per kept point
    pending: list[tuple[float, ...]] = field(default_factory=list)  # the values of the next one

    def add(self, step: float, *values: float) -> None:
        self.pending.append((step, *values))
        if len(self.pending) == self.stride:
            self.kept.append(mean(self.pending))
            self.pending = []
            if len(self.kept) > 2 * HISTORY:
                self.kept, self.stride = halved(self.kept), 2 * self.stride

    @property
    def points(self) -> list[tuple[float, ...]]:
        return self.kept + [mean(self.pending)] * bool(self.pending)

    def __len__(self) -> int:
        return len(self.kept) + bool(self.pending)


def mean(points: list[tuple[float, ...]]) -> tuple[float, ...]:
    return tuple(sum(column) / len(points) for column in zip(*points))


def halved(points: list[tuple[float, ...]]) -> list[tuple[float, ...]]:
    """Pairs of neighbours merged into their mean, counted from the oldest; an odd newest point
    stays as it is."""
    even = len(points) - len(points) % 2
    return [mean(list(pair)) for pair in zip(points[0:even:2], points[1:even:2])] + points[even:]


@dataclass
class RunState:
    status: str = "idle"  # idle | starting | training | evaluating | paused | stopping | finished | failed
    run_dir: str = ""
    device: str = ""
    step: int = 0
    max_steps: int | None = None
    max_time: float | None = None
    elapsed: float = 0.0
    chars_per_s: float = 0.0
    loss: Curve = field(default_factory=Curve)  # (step, loss) per step
    val_loss: Curve = field(default_factory=Curve)  # (step, loss) per eval
    valid: Curve = field(default_factory=Curve)  # (step, rate) per validity measurement
    valid_ci: Curve = field(default_factory=Curve)  # (step, low, high): the valid rate's Wilson 95% interval
    unique: Curve = field(default_factory=Curve)
    novel: Curve = field(default_factory=Curve)
    guided: Curve = field(default_factory=Curve)  # valid rate of the guided batches
    speed: Curve = field(default_factory=Curve)  # (step, chars/s) per step
    ceiling: float | None = None  # what real held-out units score, from the last measurement
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def move(self, status: str, *, came_from: tuple[str, ...] = LIVE) -> bool:
        """Change the status if it is one of ``came_from`` (never out of finished or failed),
        under the lock; whether it changed."""
        with self.lock:
            return self._move(status, came_from)

    def _move(self, status: str, came_from: tuple[str, ...]) -> bool:
        if self.status not in came_from or self.status in ("finished", "failed"):
            return False
        self.status = status
        return True

    def update(self, event: Event) -> None:
        with self.lock:
            match event:
                case RunStarted():
                    self._move("training", ("idle", "starting"))  # a stop asked for while starting stands
                    self.run_dir, self.device, self.step = event.run_dir, event.device, event.step
                    self.max_steps = event.config["train"]["max_steps"]
                    self.max_time = event.config["train"]["max_time"]
                case EvalStarted():  # evaluating until the next step: the eval, then the boundary's samples
                    self._move("evaluating", ("training",))
                case StepCompleted():
                    self._move("training", ("evaluating",))
                    self.step, self.elapsed, self.chars_per_s = event.step, event.elapsed_s, event.chars_per_s
                    self.loss.add(event.step, event.loss)
                    self.speed.add(event.step, event.chars_per_s)
                case EvalCompleted():
                    self.val_loss.add(event.step, event.val_loss)
                case ValidityMeasured(guided=True) if event.valid_rate is not None:
                    self.guided.add(event.step, event.valid_rate)
                case ValidityMeasured() if event.valid_rate is not None:  # None: every checker was starved
                    self.valid.add(event.step, event.valid_rate)
                    if event.valid_ci is not None:
                        self.valid_ci.add(event.step, *event.valid_ci)
                    for curve, rate in ((self.unique, event.unique_rate), (self.novel, event.novel_rate)):
                        if rate is not None:  # None: no sample was valid, so none is unique or new
                            curve.add(event.step, rate)
                    self.ceiling = event.ceiling
                case RunFinished():
                    self._move("finished", LIVE)

    @property
    def eta(self) -> float | None:
        """Seconds left, by steps or by the time budget, whichever ends first."""
        return time_left(self.step, self.elapsed, self.max_steps, self.max_time)
