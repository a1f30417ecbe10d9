"""The main screen's parts: domain picker, settings, charts, sample stream, status bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from playground.tui.state import RunState

# The settings panel: (config key, label). Empty means the domain's default (or "every eval").
SETTINGS = (("cell", "cell"), ("layers", "layers"), ("hidden", "hidden"), ("seq_len", "seq-len"),
            ("batch_size", "batch"), ("lr", "lr"), ("max_steps", "max-steps"), ("max_time", "max-time"),
            ("temperature", "temperature"), ("score_every", "score-every"))


class DomainPicker(OptionList):
    """Every registered domain, plugins included, with its corpus status."""

    def show(self, rows: list[dict], selected: str | None) -> None:
        self.clear_options()
        for row in rows:
            ready = row["corpus"]["status"] == "ready"
            mark = "[green]●[/]" if ready else "[red]○[/]"
            self.add_option(Option(f"{mark} {row['name']}" + ("" if ready else " [dim](f: fetch)[/]"), id=row["name"]))
        names = [row["name"] for row in rows]
        if selected in names:
            self.highlighted = names.index(selected)


class Settings(Vertical):
    """One input per setting, prefilled from the domain's defaults and the command line."""

    def compose(self) -> ComposeResult:
        for key, label in SETTINGS:
            yield Label(label, classes="setting-label")
            yield Input(id=f"set-{key}", compact=True, classes="setting")

    def fill(self, values: dict[str, Any]) -> None:
        for key, _ in SETTINGS:
            value = values.get(key)
            self.query_one(f"#set-{key}", Input).value = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    def read(self) -> dict[str, Any]:
        """The settings as overrides: typed values, None where empty."""
        out: dict[str, Any] = {}
        for key, label in SETTINGS:
            text = self.query_one(f"#set-{key}", Input).value.strip()
            if not text:
                out[key] = None
            elif key == "cell":
                out[key] = text
            else:
                try:
                    out[key] = int(text) if key not in ("lr", "max_time", "temperature") else float(text)
                except ValueError:
                    raise ValueError(f"{label}: {text!r} is not a number") from None
        return out


BLOCKS = " ▁▂▃▄▅▆▇█"


def bars(values: list[float], width: int, low: float | None = None, high: float | None = None) -> str:
    """A one-line bar chart of ``values`` squeezed (bucket means) or kept to ``width`` columns,
    on the scale ``low``..``high`` (default: their own range)."""
    if not values or width <= 0:
        return ""
    if len(values) > width:
        step = len(values) / width
        values = [sum(chunk) / len(chunk) for chunk in
                  (values[int(i * step): max(int((i + 1) * step), int(i * step) + 1)] for i in range(width))]
    low = min(values) if low is None else low
    high = max(values) if high is None else high
    span = (high - low) or 1.0
    return "".join(BLOCKS[1 + round((min(max(v, low), high) - low) / span * 7)] for v in values)


class Chart(Vertical):
    """A labelled one-line bar chart per curve."""

    def __init__(self, names: tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        self.names = names

    def compose(self) -> ComposeResult:
        for name in self.names:
            yield Label(name, id=f"label-{name}", classes="chart-label")
            yield Static(id=f"bars-{name}", classes="chart")

    def plot(self, name: str, values: list[float], shown: str, scale: tuple[float, float] | None = None) -> None:
        line = self.query_one(f"#bars-{name}", Static)
        line.update(bars(values, line.size.width, *(scale or (None, None))))
        self.query_one(f"#label-{name}", Label).update(f"{name} {shown}")


@dataclass
class SampleRecord:
    step: int
    text: str
    score: dict[str, Any]
    novel: float | None


def verdict(score: dict[str, Any], *, short: bool = False) -> Text:
    """✓ or ✗ in colour; unless ``short``, with "valid" or the error category."""
    if score["valid"]:
        return Text("✓" if short else "✓ valid", style="bold green")
    return Text("✗" if short else f"✗ {score['category']}", style="bold red")


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
            preview = record.text.strip().replace("\n", "⏎ ")[:60]
            self.add_row(str(record.step), verdict(record.score, short=True), f"{record.score['value']:.2f}", novelty_word(record.novel),
                         record.score["category"], Text(preview), key=key)
        if following:
            self.move_cursor(row=self.row_count - 1)


def status_line(state: RunState, temperature: float | None) -> str:
    """step, chars/s, elapsed, ETA, device, temperature and what the run is doing."""
    with state.lock:
        parts = [state.status]
        if state.status != "idle":
            total = f"/{state.max_steps:,}" if state.max_steps else ""
            parts += [f"step {state.step:,}{total}", f"{state.chars_per_s:,.0f} chars/s",
                      f"{clock(state.elapsed)} elapsed"]
            if state.eta is not None and state.status == "training":
                parts.append(f"ETA {clock(state.eta)}")
            parts.append(state.device)
    if temperature is not None:
        parts.append(f"T={temperature:g}")
    return "  ·  ".join(parts)


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"


class NowPanel(Static):
    """The sample asked for with `n`, streaming in, then its verdict."""
