"""`playground tui`: train a domain, watch the loss fall and each sample's verdict arrive, steer.

The app lays out the screen, maps keys to the run controller (which owns the run, its thread
worker and its RunState) and routes messages to the widgets; widgets that need a worker own
it (the fetch bar, the sample-now panel, the neuron screen). The per-step figures are redrawn
from the RunState four times a second, so a fast run cannot flood the UI.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static

from playground.domains import Domain
from playground.errors import PlaygroundError
from playground.events import RunFinished, RunStarted, SampleGenerated, SampleStreamed, ScoringFailed
from playground.tui.controller import RunController
from playground.tui.keys import bindings
from playground.tui.messages import CorpusFetched, Judged, Notice, RunEvent, SamplesScored, TrainingFailed
from playground.tui.screens import HelpScreen, SampleScreen
from playground.tui.charts import loss_figure, rates_figure, speed_figure
from playground.tui.plot import Plot
from playground.tui.widgets import DomainPicker, FetchBar, NowPanel, SampleStream, Settings, shown, status_line

# Training holds the GIL in short bursts between torch ops; while the app runs it hands the GIL
# over more often than every 5 ms (Python's default), so keys and redraws are not kept waiting.
SWITCH_INTERVAL = 0.0005
WIDE = 110  # columns from which the speed chart shows and the sidebar takes its full width (app.tcss)
PROMPT = "press [b]s[/b] to train, [b]n[/b] to sample, [b]?[/b] for help"  # the now panel, when it has no sample


def while_open(handler):
    """A message can arrive while the app closes, its widgets already gone: it is let go."""
    @functools.wraps(handler)
    def guarded(self, message):
        try:
            return handler(self, message)
        except NoMatches:
            return None
    return guarded


class PlaygroundApp(App):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "playground"
    BINDINGS = bindings()

    def __init__(self, domain: Domain | None = None, flags: dict[str, Any] | None = None,
                 checkpoint: Path | None = None, host: Any = None):
        """``flags``: training settings as the command line gave them (None: not given);
        ``host``: the plugin host (default: the one for this process's environment)."""
        super().__init__()
        self.host = host
        self.wanted = domain.name if domain else None
        self.extra = domain  # an ad-hoc text domain joins the registered ones
        self.flags, self.opened = dict(flags or {}), checkpoint
        self.domains: dict[str, Domain] = {}
        self.controller = RunController(self)
        self.quitting = False
        self.accepted: float | None = None  # the last temperature typed or stepped to that was taken
        self.guided = False  # sample with the domain's guide (g)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield DomainPicker(id="picker")
                yield FetchBar(id="fetch", show_eta=False)
                yield Settings(id="settings")
            with Vertical(id="main"):
                with Horizontal(id="charts"):
                    yield Plot(id="loss-plot")
                    yield Plot(id="rates-plot")
                    yield Plot(id="speed-plot")
                yield NowPanel(PROMPT, id="now")
                yield SampleStream(id="stream")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        from playground import plugins

        self.switch_interval = sys.getswitchinterval()  # put back when the app ends
        sys.setswitchinterval(SWITCH_INTERVAL)
        host = self.host = self.host or plugins.host()
        self.domains = dict(host.domains)
        if self.extra is not None:
            self.domains.setdefault(self.extra.name, self.extra)
        for info in host.broken():
            self.notify(f"plugin {info.name!r} is broken: {info.error}", severity="warning", timeout=10, markup=False)
        if self.opened is not None:
            self.open_checkpoint(self.opened)
        self.query_one(DomainPicker).show(self.domains, self.wanted)
        self.query_one(DomainPicker).focus()
        self.ticker = self.set_interval(0.25, self.refresh_live)
        self.follower = self.set_interval(0.5, self.follow_opened)
        self.refresh_live()

    def on_unmount(self) -> None:
        """However the app ends, a run still going stops (with its checkpoint) rather than
        waiting forever, paused, in its thread."""
        self.ticker.stop()
        self.follower.stop()
        self.controller.stop()
        sys.setswitchinterval(self.switch_interval)

    # -- domains and settings ---------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#picker")
    @while_open
    def domain_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        """Prefill the settings with what a run of this domain would get."""
        domain = self.domains.get(message.option.id)
        if domain is None or self.controller.training or not self.prefill(domain):
            return
        self.sub_title = domain.description
        now = self.query_one(NowPanel)
        if now.domain is not None and now.domain.name != domain.name:  # another domain's sample goes
            now.begin(PROMPT, None)
        missing = domain.missing_tools()
        if missing:
            self.notify(f"{', '.join(missing)} not found: the {domain.name} scorer falls back to a weaker check",
                        severity="warning")

    def prefill(self, domain: Domain | None) -> bool:
        """Show ``domain``'s resolved settings in the panel; whether they resolved."""
        from playground.run import run_settings

        if domain is None:
            return False
        try:
            self.query_one(Settings).fill(run_settings(domain, self.flags))
        except PlaygroundError as exc:
            self.notify(str(exc), severity="error")
            return False
        return True

    # -- training ---------------------------------------------------------------------

    def action_start_stop(self) -> None:
        if self.controller.training:
            self.controller.stop()
            return
        domain = self.query_one(DomainPicker).selected
        if domain is None:
            self.notify("pick a domain first", severity="warning")
            return
        try:  # the settings the user changed, on top of the command line's
            flags = {**self.flags, **self.query_one(Settings).changes()}
        except PlaygroundError as exc:
            self.notify(str(exc), severity="error")
            return
        self.query_one(SampleStream).reset()
        guided = self.guided and domain.guide is not None
        self.controller.start(domain, {**flags, "guided": guided, "score_guided": guided})

    def action_pause(self) -> None:
        self.controller.toggle_pause()

    @on(RunEvent)
    @while_open
    def run_event(self, message: RunEvent) -> None:
        match event := message.event:
            case RunStarted():
                self.notify(f"training {event.domain} on {event.device} → {event.run_dir}")
            case ScoringFailed():
                self.notify(f"scoring failed at step {event.step}: {event.error}", severity="warning")
            case SampleStreamed() | SampleGenerated():
                self.query_one(NowPanel).show(event)
            case RunFinished():
                self.notify(f"finished at step {event.step}: {event.reason}; checkpoint {self.controller.checkpoint}")
                self.run_over()

    @on(TrainingFailed)
    @while_open
    def training_failed(self, message: TrainingFailed) -> None:
        self.notify(message.text, severity="error", timeout=10)
        self.run_over()

    def run_over(self) -> None:
        """The panel shows again what `s` would train: the highlighted domain's settings."""
        if self.quitting:
            self.exit()
        else:
            self.prefill(self.query_one(DomainPicker).selected)

    @on(SamplesScored)
    @while_open
    def samples_scored(self, message: SamplesScored) -> None:
        self.query_one(SampleStream).add(*message.records)

    @on(Judged)  # the sample asked for with `n`, from the now panel
    @while_open
    def sample_judged(self, message: Judged) -> None:
        self.query_one(SampleStream).add(message.record)

    @on(Notice)
    def notice(self, message: Notice) -> None:
        self.notify(message.text, severity=message.severity, timeout=10)

    def refresh_live(self) -> None:
        state = self.controller.state
        steering = self.controller.steering
        try:
            status = self.query_one("#status", Static)
            plots = [(self.query_one(f"#{name}-plot", Plot), figure)
                     for name, figure in (("loss", loss_figure), ("rates", rates_figure), ("speed", speed_figure))]
            temperature = (steering.temperature if steering else None) or self.temperature
        except NoMatches:  # a last tick while the app closes
            return
        status.update(status_line(state, temperature, self.guided))
        for plot, figure in plots:
            if plot.display:
                plot.show(figure(state))

    def follow_opened(self) -> None:
        """An opened run folder's new log lines onto the charts and the sample stream."""
        if self.controller.follow():
            self.query_one(SampleStream).reset()

    def on_resize(self, event: events.Resize) -> None:
        """Narrower than WIDE, the body is laid out narrow (app.tcss)."""
        self.query_one("#body").set_class(event.size.width < WIDE, "narrow")

    # -- sampling and steering --------------------------------------------------------

    @property
    def temperature(self) -> float | None:
        return self.query_one(Settings).value("temperature")

    def action_temperature(self, delta: float) -> None:
        self.steer(round(max(0.1, (self.temperature or 1.0) + delta), 2))

    @on(Input.Submitted, "#set-temperature")
    def temperature_typed(self) -> None:
        try:
            value = self.query_one(Settings).typed("temperature")
        except PlaygroundError as exc:
            self.refuse_temperature(str(exc))
            return
        if value is not None:
            self.steer(value)

    def steer(self, value: float) -> None:
        """Sample at ``value`` from now on, if the sample settings take it."""
        try:
            self.controller.steer_temperature(value)
        except PlaygroundError as exc:
            self.refuse_temperature(f"temperature {value:g} refused: {exc}")
            return
        self.accepted = value
        self.query_one(Settings).field("temperature").value = f"{value:g}"

    def refuse_temperature(self, why: str) -> None:
        """Say why, and put the field back to the temperature in use."""
        self.notify(why, severity="error")
        steering, settings = self.controller.steering, self.query_one(Settings)
        kept = steering.temperature if steering is not None else self.accepted
        settings.field("temperature").value = settings.prefilled.get("temperature", "") if kept is None else shown(kept)

    def action_guided(self) -> None:
        domain = self.controller.domain if self.controller.training else self.query_one(DomainPicker).selected
        if domain is not None and domain.guide is None:
            self.notify(f"the {domain.name} domain has no guide", severity="warning")
            return
        self.guided = not self.guided
        self.controller.steer_guided(self.guided)
        self.notify("guided sampling on: validity batches run raw and guided" if self.guided
                    else "guided sampling off")

    def action_sample_now(self) -> None:
        now, run = self.query_one(NowPanel), self.controller
        if run.training:
            now.begin("sampling from the current model…", run.domain)
            run.sample_now()
        elif run.checkpoint is not None:
            now.begin(f"sampling from {run.checkpoint}…", run.domain)
            now.sample(run.checkpoint, self.temperature, self.guided)
        else:
            self.notify("start training (s), or open a checkpoint with --checkpoint, to sample", severity="warning")

    # -- corpus, checkpoints, screens -------------------------------------------------

    def action_fetch(self) -> None:
        from playground.corpora import find_corpus

        domain = self.query_one(DomainPicker).selected
        if domain is None:
            return
        if self.query_one(FetchBar).busy:
            self.notify("a corpus download is already under way", severity="warning")
            return
        if find_corpus(domain) is not None:
            self.notify(f"the {domain.name} corpus is already here")
            return
        self.query_one(FetchBar).fetch(domain)

    @on(CorpusFetched)
    @while_open
    def corpus_fetched(self, message: CorpusFetched) -> None:
        if message.error is None:
            self.notify(f"fetched the {message.domain} corpus")
        else:
            self.notify(f"fetching {message.domain} failed: {message.error}", severity="error", timeout=10)
        self.query_one(DomainPicker).show(self.domains, message.domain)

    def open_checkpoint(self, path: Path) -> None:
        """Sample, score and explore an existing run or checkpoint, without training."""
        try:
            self.controller.open(path, self.domains)
        except PlaygroundError as exc:
            self.notify(str(exc), severity="error")
            return
        if self.controller.domain is not None:
            self.wanted = self.controller.domain.name
        self.notify(f"opened {self.controller.checkpoint}: n samples from it, v explores its neurons")

    def action_neurons(self) -> None:
        from playground.tui.neuron_screen import NeuronScreen

        if self.controller.checkpoint is None:
            self.notify("no checkpoint yet: train (s) until one is saved, or open one with --checkpoint",
                        severity="warning")
            return
        self.push_screen(NeuronScreen(self.controller.checkpoint, self.controller.domain))

    @on(DataTable.RowSelected, "#stream")
    def sample_selected(self, message: DataTable.RowSelected) -> None:
        record = self.query_one(SampleStream).records.get(message.row_key.value)
        if record is not None:
            self.push_screen(SampleScreen(record))

    def action_focus_samples(self) -> None:
        self.query_one(SampleStream).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        if self.controller.training and not self.quitting:
            self.quitting = True
            self.notify("stopping: saving a checkpoint…")
            self.controller.stop()
            return
        self.exit()
