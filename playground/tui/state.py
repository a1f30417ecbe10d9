"""What the TUI knows about the run it shows: filled from events by the training thread,
read by the UI on a timer, so that per-step updates coalesce into a few redraws a second."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from playground.events import (EvalCompleted, Event, RunFinished, RunStarted, StepCompleted,
                               ValidityMeasured)

HISTORY = 400  # points kept per curve


@dataclass
class SampleRecord:
    """A judged sample, as the sample stream lists it."""

    step: int
    text: str
    score: dict[str, Any]  # Score.to_dict()
    novel: float | None


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
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, event: Event) -> None:
        with self.lock:
            match event:
                case RunStarted():
                    self.status, self.run_dir, self.device, self.step = "training", event.run_dir, event.device, event.step
                    self.max_steps = event.config["train"]["max_steps"]
                    self.max_time = event.config["train"]["max_time"]
                case StepCompleted():
                    self.step, self.elapsed, self.chars_per_s = event.step, event.elapsed_s, event.chars_per_s
                    self.loss.append(event.loss)
                    if len(self.loss) > 2 * HISTORY:  # keep the whole run's shape: halve the resolution
                        self.loss = self.loss[1::2]
                case EvalCompleted():
                    self.val_loss.append(event.val_loss)
                case ValidityMeasured() if event.valid_rate is not None:  # None: every checker was starved
                    self.valid.append(event.valid_rate)
                    self.unique.append(event.unique_rate or 0.0)
                    self.novel.append(event.novel_rate or 0.0)
                case RunFinished():
                    self.status = "finished"

    @property
    def eta(self) -> float | None:
        """Seconds left, by steps or by the time budget, whichever ends first."""
        left = []
        if self.max_steps and self.step and self.elapsed:
            left.append((self.max_steps - self.step) * self.elapsed / self.step)
        if self.max_time:
            left.append(self.max_time - self.elapsed)
        return max(0.0, min(left)) if left else None
