"""The main screen's keys, declared once: the app's bindings, its footer labels, the help screen
and (checked by a test) the README's table all come from KEYS."""

from __future__ import annotations

from typing import NamedTuple

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.binding import Binding


class Key(NamedTuple):
    key: str  # Textual's name for it
    shown: str  # how the help and the README write it
    action: str
    label: str  # in the footer
    help: str  # on the help screen


KEYS = (
    Key("s", "s", "start_stop", "start/stop", "start / stop training (stopping saves a checkpoint)"),
    Key("p", "p", "pause", "pause", "pause / resume (the clock stops while paused)"),
    Key("n", "n", "sample_now", "sample now", "sample now from the model, at the current temperature"),
    Key("plus", "+", "temperature(0.1)", "T+", "temperature up by 0.1 (or edit it in the settings)"),
    Key("minus", "-", "temperature(-0.1)", "T-", "temperature down by 0.1"),
    Key("g", "g", "guided", "guide", "guided sampling on / off: the domain's guide masks what could not be "
                                       "completed; validity batches then run raw and guided, side by side"),
    Key("f", "f", "fetch", "fetch", "fetch the highlighted domain's corpus"),
    Key("v", "v", "neurons", "neurons", "neurons: a passage coloured by one unit's activation"),
    Key("question_mark", "?", "help", "help", "this help"),
    Key("q", "q", "quit", "quit", "quit (stops training, saving a checkpoint)"),
)
# not in the footer, but on the help screen
OTHER_KEYS = (("enter", "on a sample: its full text and the checker's detail"),
              ("tab", "move between domains, settings and samples"),
              ("escape", "back to the samples"))


def bindings() -> list[Binding]:
    return [Binding(k.key, k.action, k.label) for k in KEYS] + [Binding("escape", "focus_samples", show=False)]


def help_text() -> Group:
    """The help screen's text: the keys in a table, so a long line wraps under its own column."""
    keys = Table.grid(padding=(0, 1))
    keys.add_column(style="bold", width=8)
    keys.add_column()
    for shown, what in [(k.shown, k.help) for k in KEYS] + list(OTHER_KEYS):
        keys.add_row(shown, what)
    return Group(Text.from_markup("[b]playground tui[/b]: train a model and watch its samples get judged.\n"),
                 Padding(keys, (0, 0, 0, 2)),
                 Text("\nSamples are scored in the background while training goes on: ✓ valid, ✗ not, with the "
                      "value, the error category and whether the sample is new (not in the training corpus)."))
