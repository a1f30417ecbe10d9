"""The run the TUI shows, owned outside the widgets: the controller creates it, drives its
events in a thread worker, steers it, and keeps the RunState the widgets are drawn from.

The worker only updates the RunState and posts messages (playground.tui.messages) to the
app: per-step figures reach the UI through the state, which it redraws on a timer, so a fast
run cannot flood it; a validity batch's verdicts come as one message.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Mapping

from textual.app import App
from textual.worker import get_current_worker

from playground.domains import Domain
from playground.engine.steering import Steering
from playground.events import (CheckpointSaved, Event, RunFinished, RunStarted, SampleGenerated, SampleScored,
                               SampleStreamed, ScoringFailed, ValidityMeasured)
from playground.tui.messages import RunEvent, SamplesScored, TrainingFailed, said
from playground.tui.state import RunState, SampleRecord


class RunController:
    """One run at a time: start, pause, stop, steer; and the checkpoint to sample from."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.state = RunState()
        self.steering: Steering | None = None
        self.run: Any = None  # playground.run.Run, once prepared
        self.domain: Domain | None = None  # the run's domain, or the opened checkpoint's
        self.checkpoint: Path | None = None  # the latest to sample from and explore
        self._scored: list[SampleRecord] = []  # the validity batch arriving

    @property
    def training(self) -> bool:
        return self.state.status in ("starting", "training", "paused", "stopping")

    def open(self, path: Path, domains: Mapping[str, Domain]) -> None:
        """Take an existing run or checkpoint to sample from (PlaygroundError if it is none)."""
        from playground.run import run_domain
        from playground.run_folder import find_checkpoint

        checkpoint, domain = find_checkpoint(path, "best", "last"), run_domain(path, domains, required=False)
        self.checkpoint, self.domain = checkpoint, domain

    def start(self, domain: Domain, flags: Mapping[str, Any]) -> None:
        """Train ``domain`` with ``flags`` (as `playground train` takes them) in a thread."""
        self.steering = Steering(temperature=flags.get("temperature"))
        self.domain, self.run, self._scored = domain, None, []
        self.state = RunState(status="starting")
        self.app.run_worker(partial(self._train, domain, dict(flags)), name="training", group="training",
                            thread=True, exclusive=True, exit_on_error=False)

    def _train(self, domain: Domain, flags: dict[str, Any]) -> None:
        from playground.run import Run

        worker = get_current_worker()
        try:  # preparing is eager: a bad setting or a missing corpus fails here, before any event
            self.run = Run.create(domain, flags, steering=self.steering, tracker=self.app.host)
            for event in self.run.events():
                if worker.is_cancelled:  # the app is closing: finish with a checkpoint
                    self.stop()
                self.state.update(event)
                self.route(event)
        except Exception as exc:  # shown as a notification, never a traceback
            self.state.status = "failed"
            self.app.post_message(TrainingFailed(f"training failed: {said(exc)}"))

    def route(self, event: Event) -> None:
        """Pass an event on to the UI (in the worker thread): one by one, or a batch at a time."""
        match event:
            case SampleScored():
                self._scored.append(SampleRecord(event.step, event.text, event.score, event.novel))
            case ValidityMeasured():  # the batch is complete
                self.app.post_message(SamplesScored(self._scored))
                self._scored = []
            case CheckpointSaved(checkpoint_kind="last" | "best"):
                self.checkpoint = Path(event.path)
            case RunStarted() | ScoringFailed() | SampleStreamed() | SampleGenerated() | RunFinished():
                self.app.post_message(RunEvent(event))  # what the UI reacts to one by one

    def stop(self) -> None:
        """Stop the run at its next step (paused or not), saving a checkpoint."""
        if self.steering is not None:
            self.steering.stop.set()
        if self.training:
            self.state.status = "stopping"

    def toggle_pause(self) -> None:
        if self.state.status == "training":
            self.steering.paused.set()
            self.state.status = "paused"
        elif self.state.status == "paused":
            self.steering.paused.clear()
            self.state.status = "training"

    def sample_now(self) -> None:
        """Ask the run for a sample from its current model, streamed as SampleStreamed events."""
        self.steering.sample_now.set()

    def steer_temperature(self, value: float) -> None:
        if self.steering is not None:
            self.steering.temperature = value
