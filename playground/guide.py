"""Guides: a domain's incremental checker, which says what may come next in a sample.

A guide is a small automaton over characters, built by the domain's ``guide`` factory (a
zero-argument callable: a class works) once per sampling::

    class NameGuide:
        def start(self):                   # the state before a unit's first character
            return 0
        def allowed(self, letters):        # what may follow: a CharSet
            return LETTERS if letters < 20 else NEWLINE
        def advance(self, letters, char):  # the state after an allowed character
            return 0 if char == "\\n" else letters + 1

States are values the guide never changes in place (ints, strings, tuples): sampling keeps
one per stream. ``allowed`` answers with a ``CharSet``; returning the same CharSet objects
for the same answers (module constants) keeps masking cheap, since sampling turns each
distinct CharSet into a mask once. A guide starts where a unit may start (sampling starts
warm at a unit boundary) and must allow every real text of its domain: ``check_domain`` walks
the known-good samples through it, and the built-in domains' tests walk their whole
validation split.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CharSet:
    """A set of characters: ``chars``, or with ``complement`` every character but them."""

    chars: frozenset[str]
    complement: bool = False

    def __contains__(self, char: object) -> bool:
        return (char in self.chars) != self.complement

    def __or__(self, other: CharSet) -> CharSet:
        if not self.complement and not other.complement:
            return CharSet(self.chars | other.chars)
        if self.complement and other.complement:
            return CharSet(self.chars & other.chars, True)
        excluded, included = (self, other) if self.complement else (other, self)
        return CharSet(excluded.chars - included.chars, True)

    def __sub__(self, other: CharSet) -> CharSet:
        return self & ~other

    def __and__(self, other: CharSet) -> CharSet:
        return ~(~self | ~other)

    def __invert__(self) -> CharSet:
        return CharSet(self.chars, not self.complement)


def only(chars: Iterable[str]) -> CharSet:
    """Exactly these characters."""
    return CharSet(frozenset(chars))


def anything_but(chars: Iterable[str]) -> CharSet:
    """Every character except these."""
    return CharSet(frozenset(chars), True)


ANYTHING = anything_but("")
NOTHING = only("")


class Guide(Protocol):
    def start(self) -> Hashable: ...

    def allowed(self, state: Hashable) -> CharSet: ...

    def advance(self, state: Hashable, char: str) -> Hashable: ...


def walk(guide: Guide, text: str, state: Hashable | None = None) -> tuple[Hashable, int | None]:
    """Feed ``text`` to ``guide`` from ``state`` (its start by default): the state reached and
    None, or the state before the first character it does not allow and that character's index."""
    state = guide.start() if state is None else state
    for index, char in enumerate(text):
        if char not in guide.allowed(state):
            return state, index
        state = guide.advance(state, char)
    return state, None


def first_refusal(guide: Guide, text: str) -> str | None:
    """Where ``guide`` refuses ``text``, in words (None when it allows all of it)."""
    _, index = walk(guide, text)
    if index is None:
        return None
    line = text.count("\n", 0, index) + 1
    before = text[max(0, index - 30):index]
    return f"line {line}: {text[index]!r} after {before!r}"
