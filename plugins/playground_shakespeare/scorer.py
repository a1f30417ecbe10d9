"""Score Shakespeare: real words, and speaker lines that look like speakers.

``value`` is the fraction of a sample's words found in the training corpus's vocabulary
(case-insensitive). A sample is valid when that fraction is at least 0.9 and every speaker
line (a line ending in ``:`` after a blank line, as in the corpus) is a plausible name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from playground import Score

THRESHOLD = 0.9
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
# "First Citizen:", "KING RICHARD III:", "Ghost of King Henry VI:", "Senators, &C:":
# a capitalised first word, then at most four more, at most 32 characters in all.
SPEAKER = re.compile(r"[A-Z][A-Za-z'-]*(?:[ ,]+[A-Za-z'&-]+){0,4}:")
MAX_SPEAKER = 32


@lru_cache(maxsize=2)
def vocabulary(corpus: str) -> frozenset[str]:
    return frozenset(word.lower() for word in WORD.findall(corpus))


def speaker_lines(text: str) -> list[tuple[int, str]]:
    """(line number from 1, line) of each line that ends in ':' right after a blank line."""
    lines = text.split("\n")
    return [(i + 1, line) for i, line in enumerate(lines)
            if i > 0 and not lines[i - 1].strip() and line.rstrip().endswith(":")]


def plausible_speaker(line: str) -> bool:
    line = line.strip()
    return len(line) <= MAX_SPEAKER and SPEAKER.fullmatch(line) is not None


def score_one(sample: str, known: frozenset[str]) -> Score:
    if not sample.strip():
        return Score(False, 0.0, "empty", "no text")
    words = [word.lower() for word in WORD.findall(sample)]
    if not words:
        return Score(False, 0.0, "no-words", "no words")
    unknown = [word for word in words if word not in known]
    value = 1 - len(unknown) / len(words)
    if value < THRESHOLD:
        shown = ", ".join(dict.fromkeys(unknown[:8]))
        return Score(False, value, "unknown-words", f"{value:.0%} of {len(words)} words are known; not: {shown}")
    for number, line in speaker_lines(sample):
        if not plausible_speaker(line):
            return Score(False, value, "bad-speaker", f"line {number}: {line.strip()[:60]!r} is no speaker's name")
    return Score(True, value)


def score(samples: list[str], known: frozenset[str]) -> list[Score]:
    return [score_one(sample, known) for sample in samples]
