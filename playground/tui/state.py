"""What the TUI knows about the run it shows: filled from events by the training thread,
read by the UI on a timer, so that per-step updates coalesce into a few redraws a second."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from playground.events import (EvalCompleted, Event, RunFinished, RunStarted, StepCompleted,
                               ValidityMeasured)

HISTORY = 400  # points kept per curve
LIVE = ("starting", "training", "paused", "stopping")  # a run under way; after it: finished or failed


@dataclass
class SampleRecord:
    """A judged sample, as the sample stream lists it."""

    step: int
    text: str
    score: dict[str, Any]  # Score.to_dict()
    novel: float | None
    guided: bool = False


@dataclass
class RunState:
    status: str = "idle"  # idle | starting | training | paused | stopping | finished | failed
    run_dir: str = ""
    device: str = ""
    step: int = 0
    max_steps: int | None = None
    max_time: float | None = None
    elapsed: float = 0.0
    chars_per_s: float = 0.0
    loss: list[float] = field(default_factory=list)  # per step (thinned to HISTORY points)
    val_loss: list[float] = field(default_factory=list)  # per eval
    valid: list[float] = field(default_factory=list)  # per validity measurement
    unique: list[float] = field(default_factory=list)
    novel: list[float] = field(default_factory=list)
    guided: list[float] = field(default_factory=list)  # valid rate of the guided batches
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
                case StepCompleted():
                    self.step, self.elapsed, self.chars_per_s = event.step, event.elapsed_s, event.chars_per_s
                    self.loss.append(event.loss)
                    if len(self.loss) > 2 * HISTORY:  # keep the whole run's shape: halve the resolution
                        self.loss = self.loss[1::2]
                case EvalCompleted():
                    self.val_loss.append(event.val_loss)
                case ValidityMeasured(guided=True) if event.valid_rate is not None:
                    self.guided.append(event.valid_rate)
                case ValidityMeasured() if event.valid_rate is not None:  # None: every checker was starved
                    self.valid.append(event.valid_rate)
                    self.unique.append(event.unique_rate or 0.0)
                    self.novel.append(event.novel_rate or 0.0)
                    self.ceiling = event.ceiling
                case RunFinished():
                    self._move("finished", LIVE)

    @property
    def eta(self) -> float | None:
        """Seconds left, by steps or by the time budget, whichever ends first."""
        left = []
        if self.max_steps and self.step and self.elapsed:
            left.append((self.max_steps - self.step) * self.elapsed / self.step)
        if self.max_time:
            left.append(self.max_time - self.elapsed)
        return max(0.0, min(left)) if left else None
