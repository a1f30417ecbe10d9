"""What the TUI's workers and its run controller tell the UI thread, one dataclass each
(toolong's style). Workers only post these; handlers on the UI thread do the drawing."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from playground.errors import PlaygroundError, one_line
from playground.events import Event
from playground.tui.state import SampleRecord


def said(exc: BaseException) -> str:
    """A PlaygroundError's own message, any other exception as one line with its type."""
    return str(exc) if isinstance(exc, PlaygroundError) else one_line(exc)


@dataclass
class RunEvent(Message):
    """An event the UI reacts to one by one: of the run, or of a sample asked for with `n`
    (``request``: which, so that a stale one is dropped)."""

    event: Event
    request: int = 0


@dataclass
class SamplesScored(Message):
    """One validity batch's samples with their verdicts, in one message."""

    records: list[SampleRecord]


@dataclass
class Judged(Message):
    """The verdict on the sample asked for with `n` (``request``: which)."""

    record: SampleRecord
    request: int = 0


@dataclass
class Notice(Message):
    """A worker's news for a notification; a failure comes this way, never as a traceback."""

    text: str
    severity: str = "error"


@dataclass
class TrainingFailed(Message):
    """The run could not be prepared, or it broke: it is over."""

    text: str


@dataclass
class FetchProgress(Message):
    """Bytes of a corpus download so far; a newer one replaces one not yet handled."""

    done: int
    total: int | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FetchProgress)


@dataclass
class CorpusFetched(Message):
    """A corpus download ended: ``error`` is None when it succeeded."""

    domain: str
    error: str | None = None
