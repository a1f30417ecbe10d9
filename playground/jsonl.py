"""A run's JSON-lines logs (metrics.jsonl, samples.jsonl): appended a whole line at a time,
read back past a torn last line that a kill may leave."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from playground.atomic import write_text_atomic


def append(path: Path, row: Mapping[str, Any]) -> None:
    """One whole line per write, so a kill leaves at most a torn last line."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(line, row) for every line that parses; none for a missing file."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield line, json.loads(line)
        except json.JSONDecodeError:
            continue


def rows(path: Path) -> list[dict[str, Any]]:
    return [row for _, row in _lines(path)]


def truncate(path: Path, step: int) -> None:
    """Keep the rows up to ``step`` (and drop a torn last line), atomically."""
    if path.exists():
        write_text_atomic(path, "".join(line + "\n" for line, row in _lines(path) if row.get("step", 0) <= step))
