"""`playground tui`: train a domain, watch the loss fall and each sample's verdict arrive, steer.

Training runs in a thread worker that only updates a RunState and posts messages; the UI
redraws the per-step figures from the RunState four times a second, so a fast run cannot
flood it. Scoring happens off the UI thread too: the run's own background scorer for the
validity batches, a thread worker for the sample asked for with `n`.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Footer, Header, Input, ProgressBar, Static

from playground.domains import Domain
from playground.engine.steering import Steering
from playground.errors import PlaygroundError, one_line
from playground.events import (CheckpointSaved, Event, RunFinished, RunStarted, SampleGenerated, SampleScored,
                               SampleStreamed, ScoringFailed, ValidityMeasured)
from playground.tui.screens import HelpScreen, SampleScreen
from playground.tui.state import RunState
from playground.tui.widgets import (Chart, DomainPicker, NowPanel, SampleRecord, SampleStream, Settings, status_line,
                                    verdict)


class RunEvent(Message):
    """An event of the run (or of a sample asked for), for the UI thread."""

    def __init__(self, event: Event):
        super().__init__()
        self.event = event


class SamplesScored(Message):
    """One validity batch's samples with their verdicts, in one message."""

    def __init__(self, records: list[SampleRecord]):
        super().__init__()
        self.records = records


class Problem(Message):
    """Something failed in a worker: shown as a notification, never as a traceback."""

    def __init__(self, text: str, severity: str = "error"):
        super().__init__()
        self.text, self.severity = text, severity


class Judged(Message):
    def __init__(self, record: SampleRecord):
        super().__init__()
        self.record = record


class FetchProgress(Message):
    def __init__(self, done: int, total: int | None):
        super().__init__()
        self.done, self.total = done, total


# What the UI reacts to one by one; the rest reaches it through the RunState or in batches.
UI_EVENTS = (RunStarted, ScoringFailed, SampleStreamed, SampleGenerated, CheckpointSaved, RunFinished)


def said(exc: BaseException) -> str:
    """A PlaygroundError's own message, any other exception as one line with its type."""
    return str(exc) if isinstance(exc, PlaygroundError) else one_line(exc)


class PlaygroundApp(App):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "playground"
    BINDINGS = [
        Binding("s", "start_stop", "start/stop"),
        Binding("p", "pause", "pause"),
        Binding("n", "sample_now", "sample now"),
        Binding("plus", "temperature(0.1)", "T+"),
        Binding("minus", "temperature(-0.1)", "T-"),
        Binding("f", "fetch", "fetch"),
        Binding("v", "neurons", "neurons"),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        Binding("escape", "focus_samples", show=False),
    ]

    def __init__(self, domain: Domain | None = None, overrides: dict[str, Any] | None = None,
                 checkpoint: Path | None = None):
        super().__init__()
        self.wanted = domain.name if domain else None
        self.extra = domain  # an ad-hoc text domain joins the registered ones
        self.flags, self.checkpoint = dict(overrides or {}), checkpoint
        self.domains: dict[str, Domain] = {}
        self.state = RunState()
        self.steering: Steering | None = None
        self.run_domain: Domain | None = None
        self.quitting = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield DomainPicker(id="picker")
                yield ProgressBar(id="fetch", show_eta=False)
                yield Settings(id="settings")
            with Vertical(id="main"):
                with Horizontal(id="charts"):
                    yield Chart(("loss", "val"), id="loss-chart")
                    yield Chart(("valid", "unique", "novel"), id="rate-chart")
                yield NowPanel("press [b]s[/b] to train, [b]n[/b] to sample, [b]?[/b] for help", id="now")
                yield SampleStream(id="stream")
        yield Static(id="status")
        yield Footer()

    # -- start-up and domain choice ---------------------------------------------------

    def on_mount(self) -> None:
        from playground import plugins

        # Training holds the GIL in short bursts between torch ops; hand it over more often
        # (the default is every 5 ms) so that keys and redraws are not kept waiting.
        sys.setswitchinterval(0.0005)
        host = plugins.host()
        self.domains = dict(host.domains)
        if self.extra is not None:
            self.domains.setdefault(self.extra.name, self.extra)
        for info in host.broken():
            self.notify(f"plugin {info.name!r} is broken: {info.error}", severity="warning", timeout=10)
        self.query_one("#fetch", ProgressBar).display = False
        if self.checkpoint is not None:
            self.open_checkpoint(self.checkpoint)
        self.show_domains(self.wanted)
        self.query_one(DomainPicker).focus()
        self.ticker = self.set_interval(0.25, self.refresh_live)
        self.refresh_live()

    def show_domains(self, selected: str | None = None) -> None:
        from playground.corpora import domain_status

        rows = [domain_status(d) for d in sorted(self.domains.values(), key=lambda d: d.name)]
        ready = [row["name"] for row in rows if row["corpus"]["status"] == "ready"]
        self.query_one(DomainPicker).show(rows, selected or (ready[0] if ready else None))

    @property
    def selected(self) -> Domain | None:
        picker = self.query_one(DomainPicker)
        if picker.highlighted is None:
            return None
        return self.domains.get(picker.get_option_at_index(picker.highlighted).id)

    def on_option_list_option_highlighted(self, message: DomainPicker.OptionHighlighted) -> None:
        domain = self.domains.get(message.option.id)
        if domain is None or self.training:
            return
        from playground.run import run_settings

        try:
            config = run_settings(domain, self.flags)
        except PlaygroundError as exc:
            self.notify(str(exc), severity="error")
            return
        values = {**dataclasses.asdict(config.model), **dataclasses.asdict(config.train), **dataclasses.asdict(config.sample)}
        self.query_one(Settings).fill(values)
        self.sub_title = domain.description
        missing = domain.missing_tools()
        if missing:
            self.notify(f"{', '.join(missing)} not found: the {domain.name} scorer falls back to a weaker check",
                        severity="warning")

    # -- training ---------------------------------------------------------------------

    @property
    def training(self) -> bool:
        return self.state.status in ("starting", "training", "paused", "stopping")

    def action_start_stop(self) -> None:
        if self.training:
            self.steering.stop.set()
            self.state.status = "stopping"
            return
        domain = self.selected
        if domain is None:
            self.notify("pick a domain first", severity="warning")
            return
        try:
            settings = self.query_one(Settings).read()
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        overrides = {**self.flags, **{k: v for k, v in settings.items() if v is not None}}
        self.steering = Steering(temperature=overrides.get("temperature"))
        self.run_domain = domain
        self.state = RunState(status="starting")
        self.query_one(SampleStream).reset()
        self.train_in_background(domain, overrides)

    @work(thread=True, exclusive=True, group="training", exit_on_error=False)
    def train_in_background(self, domain: Domain, overrides: dict[str, Any]) -> None:
        from playground.run import run_training

        scored: list[SampleRecord] = []
        try:
            for event in run_training(domain, overrides, steering=self.steering):
                self.state.update(event)  # steps, losses and rates reach the UI through the state
                if isinstance(event, SampleScored):
                    scored.append(SampleRecord(event.step, event.text, event.score, event.novel))
                elif isinstance(event, ValidityMeasured):  # the batch is complete
                    self.post_message(SamplesScored(scored))
                    scored = []
                elif isinstance(event, UI_EVENTS):
                    self.post_message(RunEvent(event))
        except Exception as exc:  # shown as a notification, never a traceback
            self.state.status = "failed"
            self.post_message(Problem(f"training failed: {said(exc)}"))
            if self.quitting:
                self.call_from_thread(self.exit)

    def action_pause(self) -> None:
        if not self.training or self.state.status == "stopping":
            return
        if self.steering.paused.is_set():
            self.steering.paused.clear()
            self.state.status = "training"
        else:
            self.steering.paused.set()
            self.state.status = "paused"

    def on_run_event(self, message: RunEvent) -> None:
        event = message.event
        if isinstance(event, RunStarted):
            self.notify(f"training {event.domain} on {event.device} → {event.run_dir}")
        elif isinstance(event, ScoringFailed):
            self.notify(f"scoring failed at step {event.step}: {event.error}", severity="warning")
        elif isinstance(event, SampleStreamed):
            now = self.query_one(NowPanel)
            self.now_text += event.text
            now.update(Text(self.now_text[-600:]))
        elif isinstance(event, SampleGenerated) and event.on_demand:
            self.now_text = event.text
            self.query_one(NowPanel).update(Text(event.text[-600:] or "(empty sample)"))
            self.judge_in_background(self.run_domain, event.step, event.text)
        elif isinstance(event, CheckpointSaved) and event.checkpoint_kind in ("last", "best"):
            self.checkpoint = Path(event.path)
        elif isinstance(event, RunFinished):
            self.notify(f"finished at step {event.step}: {event.reason}; checkpoint {self.checkpoint}")
            if self.quitting:
                self.exit()

    def on_samples_scored(self, message: SamplesScored) -> None:
        self.query_one(SampleStream).add(*message.records)

    def on_problem(self, message: Problem) -> None:
        self.notify(message.text, severity=message.severity, timeout=10)

    def refresh_live(self) -> None:
        state = self.state
        try:
            status = self.query_one("#status", Static)
            loss, rates = self.query_one("#loss-chart", Chart), self.query_one("#rate-chart", Chart)
            temperature = (self.steering.temperature if self.steering else None) or self.temperature
        except NoMatches:  # a last tick while the app closes
            return
        status.update(status_line(state, temperature))
        with state.lock:
            loss.plot("loss", list(state.loss), f"{state.loss[-1]:.3f}" if state.loss else "")
            loss.plot("val", list(state.val_loss), f"{state.val_loss[-1]:.3f}" if state.val_loss else "")
            for name in ("valid", "unique", "novel"):
                values = list(getattr(state, name))
                rates.plot(name, values, f"{values[-1]:.0%}" if values else "", scale=(0.0, 1.0))

    # -- sampling and judging ---------------------------------------------------------

    now_text = ""  # the sample asked for with `n`, as it streams in
    judged_now: SampleRecord | None = None  # and its verdict, once it has one

    @property
    def temperature(self) -> float | None:
        text = self.query_one("#set-temperature", Input).value.strip()
        try:
            return float(text) if text else None
        except ValueError:
            return None

    def action_temperature(self, delta: float) -> None:
        value = round(max(0.1, (self.temperature or 1.0) + delta), 2)
        self.query_one("#set-temperature", Input).value = f"{value:g}"
        if self.steering is not None:
            self.steering.temperature = value

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id == "set-temperature" and self.steering is not None and self.temperature:
            self.steering.temperature = self.temperature

    def action_sample_now(self) -> None:
        self.now_text, self.judged_now = "", None
        if self.training:
            self.query_one(NowPanel).update("sampling from the current model…")
            self.steering.sample_now.set()
        elif self.checkpoint is not None:
            self.query_one(NowPanel).update(f"sampling from {self.checkpoint}…")
            self.sample_in_background(self.checkpoint, self.temperature)
        else:
            self.notify("start training (s), or open a checkpoint with --checkpoint, to sample", severity="warning")

    @work(thread=True, exclusive=True, group="sample", exit_on_error=False)
    def sample_in_background(self, checkpoint: Path, temperature: float | None) -> None:
        from playground.sampling import load_sampler

        try:
            sampler = load_sampler(checkpoint, {"n": 1, "temperature": temperature}, self.run_domain)
            for event in sampler.streamed():
                self.post_message(RunEvent(event))
        except Exception as exc:
            self.post_message(Problem(f"sampling failed: {said(exc)}"))

    @work(thread=True, group="judge", exit_on_error=False)
    def judge_in_background(self, domain: Domain | None, step: int, text: str) -> None:
        from playground.scoring import judge

        if domain is None or domain.score is None:
            self.post_message(Problem("this domain has no scorer", "information"))
            return
        try:
            judgement = judge(domain, [text])
        except Exception as exc:
            self.post_message(Problem(f"scoring failed: {said(exc)}"))
            return
        self.post_message(Judged(SampleRecord(step, text, judgement.scores[0].to_dict(), judgement.novel[0])))

    def on_judged(self, message: Judged) -> None:
        record = self.judged_now = message.record
        self.query_one(SampleStream).add(record)
        heading = verdict(record.score)
        if not record.score["valid"]:
            heading.append(f"  {record.score['detail']}")  # in the verdict's style
        self.query_one(NowPanel).update(Text.assemble(heading, "\n", self.now_text[-500:]))

    # -- corpus, run folders, screens -------------------------------------------------

    def action_fetch(self) -> None:
        domain = self.selected
        if domain is None:
            return
        from playground.corpora import find_corpus

        if find_corpus(domain) is not None:
            self.notify(f"the {domain.name} corpus is already here")
            return
        bar = self.query_one("#fetch", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.fetch_in_background(domain)

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def fetch_in_background(self, domain: Domain) -> None:
        from playground.corpora import fetch

        try:
            fetch(domain, progress=lambda label, done, total: self.post_message(FetchProgress(done, total)))
            self.post_message(Problem(f"fetched the {domain.name} corpus", "information"))
        except Exception as exc:
            self.post_message(Problem(f"fetching {domain.name} failed: {said(exc)}"))
        self.call_from_thread(self.fetch_done, domain.name)

    def on_fetch_progress(self, message: FetchProgress) -> None:
        self.query_one("#fetch", ProgressBar).update(total=message.total, progress=message.done)

    def fetch_done(self, name: str) -> None:
        self.query_one("#fetch", ProgressBar).display = False
        self.show_domains(name)

    def open_checkpoint(self, path: Path) -> None:
        """Sample, score and explore an existing run or checkpoint, without training."""
        from playground.run import run_domain
        from playground.run_folder import find_checkpoint

        try:
            self.checkpoint = find_checkpoint(path, "best", "last")
            self.run_domain = run_domain(path, self.domains, required=False)
        except PlaygroundError as exc:
            self.checkpoint = None
            self.notify(str(exc), severity="error")
            return
        self.wanted = self.run_domain.name if self.run_domain else self.wanted
        self.notify(f"opened {self.checkpoint}: n samples from it, v explores its neurons")

    def action_neurons(self) -> None:
        if self.checkpoint is None:
            self.notify("no checkpoint yet: train (s) until one is saved, or open one with --checkpoint",
                        severity="warning")
            return
        from playground.tui.neuron_screen import NeuronScreen

        self.push_screen(NeuronScreen(self.checkpoint, self.run_domain))

    def on_data_table_row_selected(self, message: SampleStream.RowSelected) -> None:
        record = self.query_one(SampleStream).records.get(message.row_key.value)
        if record is not None:
            self.push_screen(SampleScreen(record))

    def action_focus_samples(self) -> None:
        self.query_one(SampleStream).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def on_unmount(self) -> None:
        """However the app ends, a run still going stops (with its checkpoint) rather than
        waiting forever, paused, in its thread."""
        self.ticker.stop()
        if self.steering is not None:
            self.steering.stop.set()

    async def action_quit(self) -> None:
        if self.training and not self.quitting:
            self.quitting = True
            self.notify("stopping: saving a checkpoint…")
            self.steering.stop.set()
            return
        self.exit()
