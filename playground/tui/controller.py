"""The run the TUI shows, owned outside the widgets: the controller creates it, drives its
events in a thread worker, steers it, and keeps the RunState the widgets are drawn from.

The worker only updates the RunState and posts messages (playground.tui.messages) to the
app: per-step figures reach the UI through the state, which it redraws on a timer, so a fast
run cannot flood it; a validity batch's verdicts come as one message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Mapping

from textual.app import App
from textual.worker import get_current_worker

from playground.domains import Domain
from playground.engine.config import SampleConfig, validate_sample
from playground.engine.steering import Steering
from playground.events import (CheckpointSaved, Event, RunFinished, RunStarted, SampleGenerated, SampleScored,
                               SampleStreamed, ScoringFailed, ValidityMeasured)
from playground.run_folder import RunFolder
from playground.tui.follow import LogFollower
from playground.tui.messages import RunEvent, SamplesScored, TrainingFailed, said
from playground.tui.state import LIVE, RunState, SampleRecord


@dataclass
class Watched:
    """An opened run folder: the state drawn from its logs, and where reading them got to."""

    folder: RunFolder
    state: RunState
    metrics: LogFollower = field(init=False)
    samples: LogFollower = field(init=False)

    def __post_init__(self) -> None:
        self.metrics, self.samples = LogFollower(self.folder.metrics), LogFollower(self.folder.samples)


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
        self.watched: Watched | None = None  # the run folder opened, its logs read as they grow

    @property
    def training(self) -> bool:
        return self.state.status in LIVE

    def open(self, path: Path, domains: Mapping[str, Domain]) -> None:
        """Take an existing run or checkpoint to sample from (PlaygroundError if it is none)."""
        from playground.run import run_domain
        from playground.run_folder import find_checkpoint

        checkpoint, domain = find_checkpoint(path, "best", "last"), run_domain(path, domains, required=False)
        self.checkpoint, self.domain = checkpoint, domain
        if (folder := RunFolder.of(path)) is not None and folder.path.is_dir():
            self.state = RunState(status="opened")
            self.watched = Watched(folder, self.state)
            self.follow()

    def follow(self) -> bool:
        """Take in what the opened run folder's logs gained (the TUI calls this on a timer);
        whether they started over, so that what was shown of them goes."""
        watched = self.watched
        if watched is None or watched.state is not self.state:  # none opened, or a run started since
            return False
        restarted, events = watched.metrics.read()
        if restarted:
            self.state = watched.state = RunState(status="opened")
        for event in events:
            watched.state.update(event)
        watched.state.move("following" if watched.folder.in_use() else "opened", came_from=("opened", "following"))
        restarted_samples, samples = watched.samples.read()
        records = [SampleRecord(e.step, e.text, e.score, e.novel, e.guided) for e in samples if isinstance(e, SampleScored)]
        if records:
            self.app.post_message(SamplesScored(records))
        return restarted or restarted_samples

    def start(self, domain: Domain, flags: Mapping[str, Any]) -> None:
        """Train ``domain`` with ``flags`` (as `playground train` takes them) in a thread. The
        checkpoint opened or saved before goes: only this run's checkpoints replace it."""
        state, steering = RunState(status="starting"), Steering(temperature=flags.get("temperature"))
        self.state, self.steering, self.watched = state, steering, None
        self.domain, self.run, self.checkpoint, self._scored = domain, None, None, []
        self.app.run_worker(partial(self._train, domain, dict(flags), state, steering), name="training",
                            group="training", thread=True, exclusive=True, exit_on_error=False)

    def _train(self, domain: Domain, flags: dict[str, Any], state: RunState, steering: Steering) -> None:
        from playground.run import Run

        worker = get_current_worker()
        try:  # preparing is eager: a bad setting or a missing corpus fails here, before any event
            self.run = Run.create(domain, flags, steering=steering, tracker=self.app.host)
            for event in self.run.events():
                if worker.is_cancelled:  # the app is closing: finish with a checkpoint
                    steering.stop.set()
                    state.move("stopping")
                state.update(event)
                self.route(event, state)
        except BaseException as exc:  # even a plugin's SystemExit: a failed run, never the app's end
            state.move("failed")
            self.app.post_message(TrainingFailed(f"training failed: {said(exc)}"))

    def route(self, event: Event, state: RunState) -> None:
        """Pass an event of the run ``state`` belongs to on to the UI (in the worker thread):
        one by one, or a batch at a time."""
        match event:
            case SampleScored():
                self._scored.append(SampleRecord(event.step, event.text, event.score, event.novel, event.guided))
            case ValidityMeasured():  # the batch is complete
                self.app.post_message(SamplesScored(self._scored))
                self._scored = []
            case CheckpointSaved(checkpoint_kind="last" | "best") if state is self.state:
                self.checkpoint = Path(event.path)
            case RunStarted() | ScoringFailed() | SampleStreamed() | SampleGenerated() | RunFinished():
                self.app.post_message(RunEvent(event))  # what the UI reacts to one by one

    def stop(self) -> None:
        """Stop the run at its next step (paused or not), saving a checkpoint."""
        if self.steering is not None:
            self.steering.stop.set()
        self.state.move("stopping")

    def toggle_pause(self) -> None:
        if self.state.move("paused", came_from=("training", "evaluating")):
            self.steering.paused.set()
        elif self.state.move("training", came_from=("paused",)):
            self.steering.paused.clear()

    def sample_now(self) -> None:
        """Ask the run for a sample from its current model, streamed as SampleStreamed events."""
        self.steering.sample_now.set()

    def steer_guided(self, on: bool) -> None:
        """Sample with the domain's guide from now on (or not)."""
        if self.steering is not None:
            self.steering.guided = on

    def steer_temperature(self, value: float) -> None:
        """Sample at ``value`` from now on; PlaygroundError (and no change) if the run's sample
        settings would not take it."""
        base = self.run.config.sample if self.run is not None else SampleConfig()
        validate_sample(replace(base, temperature=value))
        if self.steering is not None:
            self.steering.temperature = value
