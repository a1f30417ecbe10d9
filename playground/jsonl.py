"""A run's JSON-lines logs (metrics.jsonl, samples.jsonl): appended a whole line at a time,
read back past a torn last line that a kill may leave."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from playground.atomic import write_text_atomic
from playground.errors import PlaygroundError


def append(path: Path, row: Mapping[str, Any]) -> None:
    """One whole line per write, so a kill leaves at most a torn last line; a full disk or a
    read-only folder is a PlaygroundError."""
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as err:
        raise PlaygroundError(f"cannot write {path}: {err.strerror or err}") from None


def _lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(line, row) for every line that is a JSON object; none for a missing file. A torn
    line (cut mid-character, or mid-object) and anything else are skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as err:
        raise PlaygroundError(f"cannot read {path}: {err.strerror or err}") from None
    for raw in data.split(b"\n"):
        try:
            line = raw.decode("utf-8")
            row = json.loads(line)
        except (ValueError, RecursionError):  # torn, cut mid-character, or past what json reads
            continue
        if isinstance(row, dict):
            yield line, row


def rows(path: Path) -> list[dict[str, Any]]:
    return [row for _, row in _lines(path)]


def truncate(path: Path, step: int) -> None:
    """Keep the rows up to ``step`` (and drop a torn last line), atomically."""
    if path.exists():
        kept = "".join(line + "\n" for line, row in _lines(path) if _step(row) <= step)
        try:
            write_text_atomic(path, kept)
        except OSError as err:
            raise PlaygroundError(f"cannot write {path}: {err.strerror or err}") from None


def _step(row: dict[str, Any]) -> float:
    step = row.get("step", 0)
    return step if isinstance(step, (int, float)) else 0
