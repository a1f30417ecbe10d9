"""The names guide: a name of MIN to MAX letters (a-z, either case), then the newline that
ends it. The state is the number of letters so far."""

from __future__ import annotations

import string

from playground import CharSet, only
from playground_names.scorer import MAX, MIN

LETTERS = only(string.ascii_letters)
NEWLINE = only("\n")
LETTERS_OR_NEWLINE = LETTERS | NEWLINE


class NameGuide:
    """The names domain's guide (see the module's docstring)."""

    def start(self) -> int:
        return 0

    def allowed(self, letters: int) -> CharSet:
        if letters < MIN:
            return LETTERS
        return LETTERS_OR_NEWLINE if letters < MAX else NEWLINE

    def advance(self, letters: int, char: str) -> int:
        return 0 if char == "\n" else letters + 1
