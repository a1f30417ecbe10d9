"""Units: the complete pieces of a domain's text (a name, a speech, a LaTeX paragraph, a C
definition). A domain's ``units`` function finds them; novelty compares them with the corpus,
the ceiling scores real ones, post-processing cuts a sample after its last one, and sampling
with ``units=K`` stops after the K-th.

A units function takes a text and returns the ``(start, end)`` character spans of its
complete units, in order. A unit is complete once the text shows it cannot go on: a line
once its newline has come, a block once a blank line follows it. Sampling asks after each
newline a sample produces, so a unit should end at a line end.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Span = tuple[int, int]
Units = Callable[[str], list[Span]]

BLANK = re.compile(r"\n[ \t]*\n")
LEADING_BLANKS = re.compile(r"(?:[ \t]*\n)*")


def lines(text: str) -> list[Span]:
    """Each non-blank line that has its newline (the newline is not part of it)."""
    spans, start = [], 0
    for end in (m.start() for m in re.finditer("\n", text)):
        if text[start:end].strip():
            spans.append((start, end))
        start = end + 1
    return spans


def blocks(text: str) -> list[Span]:
    """Each run of non-blank lines that a blank line follows (its last newline is part of it)."""
    spans, start = [], 0
    for gap in BLANK.finditer(text):
        start = LEADING_BLANKS.match(text, start).end()
        if text[start:gap.start()].strip():
            spans.append((start, gap.start() + 1))
        start = gap.end()
    return spans


def unit_texts(text: str, spans: list[Span]) -> list[str]:
    """The units' texts, stripped."""
    return [text[a:b].strip() for a, b in spans]


def cut_after(text: str, spans: list[Span]) -> str:
    """A raw sample cut after its last complete unit, ending in one newline; "" without one."""
    return text[: spans[-1][1]].rstrip() + "\n" if spans else ""
