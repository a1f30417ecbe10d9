"""Reading a file the user names (a sample, a --config, a --prime @FILE) with a bound set
before any work: a regular file only (a FIFO or a device is refused, not waited on or read
without end), at most ``limit`` bytes, UTF-8."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from playground.errors import PlaygroundError


def read_bounded(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of ``path``, or a one-line PlaygroundError naming it as ``what``."""
    try:  # not blocking: a FIFO that nobody writes to is refused below, not waited on
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise PlaygroundError(f"{what} {path} not found") from None
    except OSError as exc:
        raise PlaygroundError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PlaygroundError(f"{what} {path} is not a regular file")
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise PlaygroundError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise PlaygroundError(f"{what} {path} is over the {limit:,}-byte limit")
    return data


def read_text_bounded(path: str | Path, limit: int, what: str) -> str:
    try:
        return read_bounded(path, limit, what).decode("utf-8")
    except UnicodeDecodeError:
        raise PlaygroundError(f"{what} {path} is not UTF-8 text") from None
