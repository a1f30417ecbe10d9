"""The neuron view (Karpathy's picture): a passage of validation text coloured by one unit's
activation, the top-5 next characters under the cursor, and units ranked by how closely they
follow a feature of the text (inside quotes, bracket depth, position in the line, ...)."""

from __future__ import annotations

from pathlib import Path

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from playground.domains import Domain

PASSAGE = 1200  # characters of validation text


def shade(value: float) -> Style:
    """Blue for -1, white for 0, red for +1, on a dark foreground (as in the post)."""
    v = max(-1.0, min(1.0, value))
    fade = int(255 * (1 - abs(v)))
    rgb = (255, fade, fade) if v > 0 else (fade, fade, 255)
    return Style(color="black", bgcolor=Color.from_rgb(*rgb))


class NeuronScreen(Screen):
    BINDINGS = [
        Binding("left", "move(-1)", "←"), Binding("right", "move(1)", "→"),
        Binding("up", "move(-60)", show=False), Binding("down", "move(60)", show=False),
        Binding("left_square_bracket", "unit(-1)", "unit-"), Binding("right_square_bracket", "unit(1)", "unit+"),
        Binding("l", "layer", "layer"), Binding("f", "feature", "feature"), Binding("r", "rank", "rank units"),
        Binding("escape,q", "app.pop_screen", "back"),
    ]

    def __init__(self, checkpoint: Path, domain: Domain | None):
        super().__init__()
        self.checkpoint, self.domain = checkpoint, domain
        self.trace = None
        self.at_layer = self.at_unit = self.cursor = 0
        self.feature_index = 0
        self.ranked: list[tuple[int, int, float]] = []
        self.rank_at = -1

    def compose(self) -> ComposeResult:
        yield Static(f"tracing {self.checkpoint}…", id="neuron-info")
        with Horizontal(id="neuron-body"):
            with VerticalScroll(id="passage-box"):
                yield Static(id="passage")
            yield Static(id="neuron-side")
        yield Footer()

    def on_mount(self) -> None:
        self.trace_in_background()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def trace_in_background(self) -> None:
        from playground.corpora import corpus_text
        from playground.engine.split import train_size
        from playground.neurons import passage, trace
        from playground.sampling import load_sampler

        try:
            sampler = load_sampler(self.checkpoint, {}, self.domain)
            if self.domain is None:
                raise ValueError("the run's domain is not registered, so there is no validation text")
            text = corpus_text(self.domain)
            result = trace(sampler.model, sampler.vocab, passage(text[train_size(len(text)):], PASSAGE))
        except Exception as exc:  # shown on the screen, never as a traceback
            self.app.call_from_thread(self.failed, f"cannot trace: {exc}")
            return
        self.app.call_from_thread(self.show, result)

    def failed(self, why: str) -> None:  # on the UI thread, like show
        if self.is_attached:  # (the screen may have been left while tracing)
            self.query_one("#neuron-info", Static).update(why)

    def show(self, result) -> None:
        self.trace = result
        if self.is_attached:
            self.redraw()

    @property
    def feature(self) -> str:
        from playground.neurons import FEATURES

        return list(FEATURES)[self.feature_index % len(FEATURES)]

    def redraw(self) -> None:
        if self.trace is None:
            return
        layers, length, hidden = self.trace.activations.shape
        values = self.trace.activations[self.at_layer, :, self.at_unit].tolist()
        text = Text()
        for i, (char, value) in enumerate(zip(self.trace.text, values)):
            style = shade(value) + (Style(reverse=True, bold=True) if i == self.cursor else Style())
            text.append("⏎\n" if char == "\n" else char, style)
        self.query_one("#passage", Static).update(text)
        self.query_one("#neuron-info", Static).update(
            f"layer {self.at_layer + 1}/{layers}  unit {self.at_unit}/{hidden - 1}  ({self.trace.kind} activation)  "
            f"feature: {self.feature}   [ ] unit, l layer, f feature, r rank, ← → cursor")
        side = Text(f"after {self.trace.text[self.cursor]!r}:\n", style="bold")
        for char, p in self.trace.top[self.cursor]:
            side.append(f"  {char!r:6} {p:6.1%}\n")
        side.append(f"\nactivation {values[self.cursor]:+.2f}\n")
        if self.ranked:
            side.append(f"\nunits following {self.feature}:\n", style="bold")
            for i, (layer, unit, r) in enumerate(self.ranked):
                side.append(f"{'›' if i == self.rank_at else ' '} L{layer + 1} U{unit:<4} r={r:+.2f}\n")
        self.query_one("#neuron-side", Static).update(side)

    def action_move(self, delta: int) -> None:
        if self.trace is not None:
            self.cursor = max(0, min(len(self.trace.text) - 1, self.cursor + delta))
            self.redraw()

    def action_unit(self, delta: int) -> None:
        if self.trace is not None:
            self.at_unit = (self.at_unit + delta) % self.trace.activations.shape[2]
            self.redraw()

    def action_layer(self) -> None:
        if self.trace is not None:
            self.at_layer = (self.at_layer + 1) % self.trace.activations.shape[0]
            self.redraw()

    def action_feature(self) -> None:
        self.feature_index += 1
        self.ranked, self.rank_at = [], -1
        self.redraw()

    def action_rank(self) -> None:
        """Rank the units by |correlation| with the feature; again: go to the next one."""
        from playground.neurons import rank_units

        if self.trace is None:
            return
        if not self.ranked:
            self.ranked = rank_units(self.trace, self.feature, top=10)
        self.rank_at = (self.rank_at + 1) % len(self.ranked)
        self.at_layer, self.at_unit, _ = self.ranked[self.rank_at]
        self.redraw()
