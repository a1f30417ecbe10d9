"""The Shakespeare guide: a speech whose speaker is one of the corpus's and whose every word
is in the corpus's vocabulary.

A unit is a speech: a speaker's line ("First Citizen:"), lines of verse, then a blank line.
Words are cut as the checker cuts them (``scorer.WORD``: runs of letters joined by single
apostrophes) and compared case-insensitively. The guide is one table-driven automaton whose
states are ints:

- word states: nodes of a trie of the corpus's words; node 0 is "between words". A letter
  (either case) or an apostrophe is allowed where the trie goes on; any other character
  closes the word, so it is allowed only where the trie holds a whole word;
- ``line_start``: at the start of a verse line; a newline here is the blank line that ends the
  speech, and a space or tab (which would make the line blank) is refused;
- speaker states: nodes of a trie of the corpus's speaker lines ("ROMEO:\\n"); its root is a
  unit's start, where extra blank lines may also come.

Every state allows something, so a sample never gets stuck.
"""

from __future__ import annotations

import string
from functools import lru_cache

from playground import NOTHING, CharSet, anything_but, blocks, only
from playground_shakespeare.scorer import WORD

LETTERS = frozenset(string.ascii_letters)


class Automaton:
    """States' transitions (``step``: char -> state, else ``other`` or a refusal) and
    allowed characters (``allowed``), in parallel lists indexed by state."""

    def __init__(self):
        self.step: list[dict[str, int]] = []
        self.other: list[int | None] = []  # where a character not in step goes (None: refused)
        self.allowed: list[CharSet] = []

    def add(self) -> int:
        self.step.append({})
        self.other.append(None)
        self.allowed.append(NOTHING)
        return len(self.step) - 1


def _word_trie(automaton: Automaton, words: set[str]) -> list[bool]:
    """Add a state per prefix of ``words`` (state 0 is the empty one) and return, per state,
    whether a non-letter may come there: at a whole word, after a whole word's apostrophe
    (it then closes the word, as in "o' the"), and between words."""
    ends = [True]
    automaton.add()
    for word in sorted(words):
        node = 0
        for char in word:
            if char not in automaton.step[node]:
                automaton.step[node][char] = automaton.add()
                ends.append(False)
            node = automaton.step[node][char]
        ends[node] = True
    for node in [n for n in range(1, len(ends)) if ends[n]]:
        if "'" not in automaton.step[node]:
            automaton.step[node]["'"] = automaton.add()
            ends.append(True)
        ends[automaton.step[node]["'"]] = True
    return ends


def _close_words(automaton: Automaton, ends: list[bool], line_start: int) -> None:
    """Both cases of each letter; where a word may end, a newline to ``line_start`` and any
    other character to "between words"; each word state's allowed characters."""
    interned: dict[CharSet, CharSet] = {}
    for node, end in enumerate(ends):
        step = automaton.step[node]
        step.update({char.upper(): nxt for char, nxt in step.items()})
        if end:
            step["\n"] = line_start
            automaton.other[node] = 0
            charset = anything_but(LETTERS - step.keys())
        else:
            charset = only(step)
        automaton.allowed[node] = interned.setdefault(charset, charset)


def _speaker_trie(automaton: Automaton, speakers: set[str], line_start: int) -> int:
    """Add a state per prefix of ``speakers`` (each a line with its newline), the last newline
    leading to ``line_start``; return the root, which also takes the blank lines before a speech."""
    root = automaton.add()
    automaton.step[root]["\n"] = root
    for speaker in sorted(speakers):
        node = root
        for char in speaker[:-1]:
            if char not in automaton.step[node]:
                automaton.step[node][char] = automaton.add()
            node = automaton.step[node][char]
        automaton.step[node][speaker[-1]] = line_start
    for state in range(root, len(automaton.step)):
        automaton.allowed[state] = only(automaton.step[state])
    return root


@lru_cache(maxsize=2)
def automaton(corpus: str) -> tuple[Automaton, int]:
    """The guide's automaton for ``corpus`` and its start state."""
    machine = Automaton()
    ends = _word_trie(machine, {word.lower() for word in WORD.findall(corpus)})
    line_start = machine.add()
    _close_words(machine, ends, line_start)
    speakers = {corpus[a:b].split("\n", 1)[0] + "\n" for a, b in blocks(corpus)}
    start = _speaker_trie(machine, speakers, line_start)
    # a verse line's start is "between words", but a newline there ends the speech, and a
    # space or tab would make the line blank (no line of the corpus starts with one)
    machine.step[line_start] = {**machine.step[0], "\n": start}
    machine.other[line_start] = 0
    machine.allowed[line_start] = anything_but(LETTERS - machine.step[0].keys() | {" ", "\t"})
    return machine, start


class ShakespeareGuide:
    """The Shakespeare domain's guide (see the module's docstring)."""

    def __init__(self):
        from playground.corpora import corpus_text
        from playground_shakespeare import SHAKESPEARE

        self.machine, self.start_state = automaton(corpus_text(SHAKESPEARE))

    def start(self) -> int:
        return self.start_state

    def allowed(self, state: int) -> CharSet:
        return self.machine.allowed[state]

    def advance(self, state: int, char: str) -> int:
        nxt = self.machine.step[state].get(char)
        return self.machine.other[state] if nxt is None else nxt
