"""Score JSON samples: valid when Python's ``json.loads`` reads them.

An invalid sample's category names the decoder's complaint, its value is the share of the
sample read before the error, and its detail says where: "line 3 col 7: Expecting value".
Python's json accepts NaN and Infinity, and so does this scorer.
"""

from __future__ import annotations

import json
import re

from playground import Score, per_sample

VALID = Score(True, 1.0)

# The start of each message CPython's json decoder (Python or C) raises -> category.
CATEGORIES = (
    ("Expecting value", "expecting-value"),
    ("Expecting ',' delimiter", "expecting-delimiter"),
    ("Expecting ':' delimiter", "expecting-colon"),
    ("Expecting property name", "expecting-property-name"),
    ("Unterminated string", "unterminated-string"),
    ("Invalid control character", "invalid-control-character"),
    ("Invalid \\uXXXX escape", "invalid-unicode-escape"),
    ("Invalid \\escape", "invalid-escape"),
    ("Illegal trailing comma", "trailing-comma"),  # Python 3.13 and later
    ("Extra data", "extra-data"),
)


def category(msg: str) -> str:
    """The category of a ``JSONDecodeError.msg``; a message not in the table is slugified."""
    for prefix, name in CATEGORIES:
        if msg.startswith(prefix):
            return name
    words = re.sub(r"'[^']*'|\b(starting )?at$", " ", msg.lower())  # drop quoted bits and a trailing "at"
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-") or "invalid-json"


def score_one(sample: str) -> Score:
    if not sample.strip():
        return Score(False, 0.0, "empty", "no document")
    try:
        json.loads(sample)
    except json.JSONDecodeError as err:
        return Score(False, err.pos / len(sample), category(err.msg), f"line {err.lineno} col {err.colno}: {err.msg}")
    except RecursionError:
        return Score(False, 0.0, "too-deep", "nested too deeply for Python's json decoder")
    return VALID


score = per_sample(score_one)


def strip(text: str) -> str:
    """Post-processing: a document without the whitespace around it. Nothing is cut after
    the first complete document: a sample that runs on past it has not ended its document
    (it was writing the middle of one), and the scorer says so ("extra-data")."""
    return text.strip()
