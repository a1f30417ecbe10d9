"""Screens over the main one: help, a sample's full text and verdict."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from playground.tui.widgets import SampleRecord, novelty_word, verdict

HELP = """\
[b]playground tui[/b]: train a character-level model and watch its samples get judged.

  [b]s[/b]        start training the highlighted domain with these settings, or stop it
            (a checkpoint is saved)
  [b]p[/b]        pause / resume training
  [b]n[/b]        sample now from the current model, at the current temperature
  [b]+ -[/b]      raise / lower the temperature by 0.1 (also: edit it in the settings)
  [b]f[/b]        fetch the highlighted domain's corpus
  [b]v[/b]        neuron view: a passage coloured by one unit's activation
  [b]enter[/b]    on a sample: its full text and the checker's detail
  [b]tab[/b]      move between the domain list, the settings and the samples
  [b]?[/b]        this help          [b]q[/b]  quit (stops training with a checkpoint saved)

Samples are scored in the background while training goes on: ✓ valid, ✗ not, with the value,
the error category and whether the sample is new (not in the training corpus).
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help", classes="dialog")


class SampleScreen(ModalScreen):
    """A sample's full text, with its verdict and the checker's first error line."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "close")]

    def __init__(self, record: SampleRecord):
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        score = self.record.score
        heading = Text.assemble(
            verdict(score),
            f"   value {score['value']:.2f}   novelty {novelty_word(self.record.novel)}   step {self.record.step}")
        with VerticalScroll(classes="dialog"):
            yield Static(heading)
            if score["detail"]:
                yield Static(Text(score["detail"], style="yellow"))
            yield Static(Text(self.record.text), id="sample-text")
