"""A run folder's logs read as they grow: each call returns the events of the whole lines added
since the last one, so the TUI can replay a finished run and follow one still being written
(by another process, or by ranks of a DDP run, of which only rank 0 writes)."""

from __future__ import annotations

import json
from pathlib import Path

from playground.events import Event, from_dict

MAX_READ = 8 * 2**20  # bytes read per call: a long log arrives over several calls, never at once


class LogFollower:
    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def read(self) -> tuple[bool, list[Event]]:
        """(restarted, events): ``restarted`` when the log became shorter than what was read
        (a resume cut it back to its checkpoint), and the events are then read from its start."""
        try:
            with open(self.path, "rb") as log:
                size = log.seek(0, 2)
                restarted = size < self.offset
                self.offset = 0 if restarted else self.offset
                log.seek(self.offset)
                data = log.read(MAX_READ)
        except OSError:  # not written yet, or gone
            return False, []
        whole = data[:data.rfind(b"\n") + 1]  # a line being written waits for the next call
        self.offset += len(whole)
        return restarted, [event for line in whole.splitlines() if (event := _event(line)) is not None]


def _event(line: bytes) -> Event | None:
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return from_dict(row) if isinstance(row, dict) else None
