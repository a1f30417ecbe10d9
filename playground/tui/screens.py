"""Screens over the main one: help, a sample's full text and verdict."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from playground.console import shown
from playground.tui.keys import help_text
from playground.tui.widgets import SampleRecord, novelty_word, verdict

class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):  # it scrolls where the terminal is short
            yield Static(help_text(), id="help")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # so the arrow and page keys scroll it


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
                yield Static(Text(shown(score["detail"]), style="yellow"))
            yield Static(Text(shown(self.record.text)), id="sample-text")
