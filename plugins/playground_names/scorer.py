"""Score names: one per sample, 2 to 20 letters a-z after lowercasing.

Novelty (a name not in the training list) is measured by playground.scoring, a unit being a
line (the default), lowercased (the domain's ``fold``) as the check lowercases.
"""

from __future__ import annotations

import re

from playground import Score, per_sample

MIN, MAX = 2, 20
NAME = re.compile(rf"[a-z]{{{MIN},{MAX}}}")
VALID = Score(True, 1.0)


def score_one(sample: str) -> Score:
    name = sample.strip().lower()
    if NAME.fullmatch(name):
        return VALID
    if not name:
        return Score(False, 0.0, "empty", "no name")
    others = sorted({c for c in name if not "a" <= c <= "z"})
    if others:
        shown = "".join(others[:5]) + ("…" if len(others) > 5 else "")
        letters = len(name) - sum(name.count(c) for c in others)
        return Score(False, letters / len(name), "not-letters", f"{name[:40]!r} holds {shown!r}")
    if len(name) < MIN:
        return Score(False, len(name) / MIN, "too-short", f"{name!r} has {len(name)} letter (at least {MIN})")
    return Score(False, MAX / len(name), "too-long", f"{name[:40]!r}… has {len(name)} letters (at most {MAX})")


score = per_sample(score_one)

