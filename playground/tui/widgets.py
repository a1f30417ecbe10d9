"""The main screen's parts: domain picker, corpus fetch bar, settings, charts, the sample asked
for, the sample stream, the status bar. A widget that needs a worker owns it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from playground.console import clock
from playground.console import shown as printable
from playground.domains import Domain
from playground.engine.config import RunConfig, Setting, declared
from playground.errors import PlaygroundError
from playground.events import Event, SampleGenerated, SampleStreamed
from playground.tui.messages import CorpusFetched, FetchProgress, Judged, Notice, RunEvent, said
from playground.tui.plot import number
from playground.tui.state import RunState, SampleRecord

# The settings with a label in the settings panel, in declaration order.
PANEL = tuple(s for s in declared("model", "train", "sample") if s.panel)
KIND = {int: "a whole number", float: "a number", bool: "true or false"}


def shown(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def parsed(setting: Setting, text: str) -> Any:
    """A panel field's text as its setting's declared type; empty is None (not given)."""
    if not text:
        return None
    try:
        if setting.type is bool:
            return {"true": True, "false": False}[text.lower()]
        value = setting.type(text)
    except (KeyError, ValueError):
        raise PlaygroundError(f"{setting.panel}: {text!r} is not {KIND[setting.type]}") from None
    if setting.type is float and not math.isfinite(value):  # nan, inf, or too large for a float
        raise PlaygroundError(f"{setting.panel}: {text!r} is not a finite number")
    return value


class DomainPicker(OptionList):
    """Every registered domain, plugins included, with its corpus status."""

    domains: dict[str, Domain] = {}

    def show(self, domains: Mapping[str, Domain], selected: str | None = None) -> None:
        """List ``domains``, highlighting ``selected`` (default: the first with its corpus here)."""
        from playground.corpora import domain_status

        self.domains = dict(domains)
        rows = [domain_status(d) for d in sorted(self.domains.values(), key=lambda d: d.name)]
        ready = [row["name"] for row in rows if row["corpus"]["status"] == "ready"]
        selected = selected or (ready[0] if ready else None)
        self.clear_options()
        for row in rows:
            hint = "" if row["name"] in ready else " [dim](f: fetch)[/]"
            mark = "[green]●[/]" if row["name"] in ready else "[red]○[/]"
            self.add_option(Option(f"{mark} {row['name']}{hint}", id=row["name"]))
        names = [row["name"] for row in rows]
        if selected in names:
            self.highlighted = names.index(selected)

    @property
    def selected(self) -> Domain | None:
        if self.highlighted is None:
            return None
        return self.domains.get(self.get_option_at_index(self.highlighted).id)


class FetchBar(ProgressBar):
    """A corpus download under way, fetched by its own worker; hidden otherwise."""

    busy = False  # a download is under way

    def on_mount(self) -> None:
        self.display = False

    def fetch(self, domain: Domain) -> None:
        self.display = self.busy = True
        self.update(total=None, progress=0)
        self._download(domain)

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def _download(self, domain: Domain) -> None:
        from playground.corpora import fetch

        worker = get_current_worker()

        def progress(label: str, done: int, total: int | None) -> None:
            if worker.is_cancelled:  # the app is closing: stop at this chunk, keeping nothing
                raise PlaygroundError("download cancelled")
            self.post_message(FetchProgress(done, total))

        try:
            fetch(domain, progress=progress)
        except Exception as exc:
            self.post_message(CorpusFetched(domain.name, said(exc)))
        else:
            self.post_message(CorpusFetched(domain.name))

    def on_fetch_progress(self, message: FetchProgress) -> None:
        message.stop()
        self.update(total=message.total, progress=message.done)

    def on_corpus_fetched(self) -> None:  # the message goes on to the app
        self.display = self.busy = False


class Settings(Vertical):
    """An input per panel setting, prefilled with the run's resolved settings. Only the
    fields the user changes are sent: the rest stay the domain's or the command line's, so a
    typed max-time replaces the max-steps budget just as ``--max-time`` does."""

    prefilled: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        for setting in PANEL:
            yield Label(setting.panel, classes="setting-label")
            yield Input(id=f"set-{setting.name}", compact=True, classes="setting")

    def field(self, name: str) -> Input:
        return self.query_one(f"#set-{name}", Input)

    def fill(self, config: RunConfig) -> None:
        """Show a run's resolved settings as the unchanged state."""
        self.prefilled = {s.name: shown(getattr(getattr(config, s.section), s.name)) for s in PANEL}
        for name, text in self.prefilled.items():
            self.field(name).value = text

    def changes(self) -> dict[str, Any]:
        """The settings whose text differs from the prefilled one, typed; PlaygroundError
        names the first that does not parse."""
        return {s.name: parsed(s, text) for s in PANEL
                if (text := self.field(s.name).value.strip()) != self.prefilled.get(s.name, "")}

    def typed(self, name: str) -> Any:
        """A field's current value, None if it is empty; PlaygroundError if it does not parse."""
        return parsed(next(s for s in PANEL if s.name == name), self.field(name).value.strip())

    def value(self, name: str) -> Any:
        """A field's current value, or None if it is empty or does not parse."""
        try:
            return self.typed(name)
        except PlaygroundError:
            return None


def verdict(score: dict[str, Any], *, short: bool = False) -> Text:
    """✓ or ✗ in colour; unless ``short``, with "valid" or the error category."""
    if score["valid"]:
        return Text("✓" if short else "✓ valid", style="bold green")
    return Text("✗" if short else f"✗ {printable(score['category'])}", style="bold red")


def novelty_word(novel: float | None) -> str:
    if novel is None:
        return "–"
    return {1.0: "new", 0.0: "known"}.get(novel, f"{novel:.0%} new")


class SampleStream(DataTable):
    """Each scored sample as it arrives: step, ✓/✗, value, novelty, category, the text."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("step", "", "value", "novel", "category", "sample")
        self.records: dict[str, SampleRecord] = {}

    def reset(self) -> None:
        self.clear()
        self.records.clear()

    def add(self, *records: SampleRecord) -> None:
        following = self.cursor_row >= self.row_count - 1  # unless the user moved up the list
        for record in records:
            key = str(len(self.records))
            self.records[key] = record
            preview = printable(record.text.strip().replace("\n", "⏎ ")[:60])
            self.add_row(f"{record.step}{' g' if record.guided else ''}", verdict(record.score, short=True), f"{record.score['value']:.2f}", novelty_word(record.novel),
                         Text(printable(record.score["category"])), Text(preview), key=key)
        if following:
            self.move_cursor(row=self.row_count - 1)


def status_line(state: RunState, temperature: float | None, guided: bool = False) -> str:
    """What the run is doing, step, chars/s, device, temperature, guided or not, then elapsed
    time and ETA: a bar too narrow for it all loses the clock first."""
    with state.lock:
        parts, clock_part = [state.status], []
        if state.status != "idle":
            total = f"/{state.max_steps:,}" if state.max_steps else ""
            eta = state.eta if state.status in ("training", "evaluating") else None
            parts += [f"step {state.step:,}{total}", f"{number(state.chars_per_s)} chars/s", state.device]
            clock_part = [f"{clock(state.elapsed)} elapsed" if eta is None else f"{clock(state.elapsed)}, ETA {clock(eta)}"]
    if temperature is not None:
        parts.append(f"T={temperature:g}")
    if guided:
        parts.append("guided")
    return " · ".join(parts + clock_part)


class NowPanel(Static):
    """The sample asked for with `n`: streamed in (from the run, or from a checkpoint by its
    own worker), then judged by another; its Judged message goes on to the sample stream.
    Each `n` is a new request: what arrives for an earlier one is dropped."""

    text = ""  # as it streams in
    judged: SampleRecord | None = None  # its verdict, once it has one
    domain: Domain | None = None  # whose scorer judges it
    request = 0  # the sample asked for last

    def begin(self, note: str, domain: Domain | None) -> None:
        self.text, self.judged, self.domain = "", None, domain
        self.request += 1
        self.update(note)

    def show(self, event: Event) -> None:
        """A piece of the sample, or the whole of it (which is then judged)."""
        match event:
            case SampleStreamed():
                self.text += event.text
                self.update(Text(printable(self.text[-600:])))
            case SampleGenerated(on_demand=True):
                self.text = event.text
                self.update(Text(printable(event.text[-600:]) or "(empty sample)"))
                self._judge(self.domain, event.step, event.text, self.request)

    def sample(self, checkpoint: Path, temperature: float | None, guided: bool = False) -> None:
        """Stream one sample from a checkpoint (in a worker), as the current request."""
        self._stream(checkpoint, temperature, guided and self.domain is not None and self.domain.guide is not None,
                     self.request)

    @work(thread=True, exclusive=True, group="sample", exit_on_error=False)
    def _stream(self, checkpoint: Path, temperature: float | None, guided: bool, request: int) -> None:
        from playground.sampling import load_sampler

        worker = get_current_worker()
        try:
            sampler = load_sampler(checkpoint, {"n": 1, "temperature": temperature, "guided": guided}, self.domain)
            for event in sampler.streamed():
                if worker.is_cancelled:  # asked again, or the app is closing
                    return
                self.post_message(RunEvent(event, request))
        except Exception as exc:
            self.post_message(Notice(f"sampling failed: {said(exc)}"))

    def on_run_event(self, message: RunEvent) -> None:  # from its own worker
        message.stop()
        if message.request == self.request:
            self.show(message.event)

    @work(thread=True, group="judge", exit_on_error=False)
    def _judge(self, domain: Domain | None, step: int, text: str, request: int) -> None:
        from playground.scoring import judge

        if domain is None or domain.score is None:
            self.post_message(Notice("this domain has no scorer", "information"))
            return
        try:
            judgement = judge(domain, [text])
        except Exception as exc:
            self.post_message(Notice(f"scoring failed: {said(exc)}"))
            return
        self.post_message(Judged(SampleRecord(step, text, judgement.scores[0].to_dict(), judgement.novel[0]), request))

    def on_judged(self, message: Judged) -> None:
        if message.request != self.request:  # a verdict on an earlier request: not for the stream either
            message.stop()
            return
        record = self.judged = message.record
        heading = verdict(record.score)
        heading.no_wrap, heading.overflow = True, "ellipsis"  # one line: the text shows below it
        if not record.score["valid"]:
            heading.append("  " + printable(record.score["detail"]).replace("\n", " "))  # in the verdict's style
        self.update(Group(heading, Text(printable(self.text[-500:]))))
