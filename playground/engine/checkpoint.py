"""One checkpoint file: everything needed to sample from a run or resume it exactly.

Only tensors and plain Python values go in, so it loads with ``weights_only=True``.
Writes are atomic: a temp file in the same folder, fsync, rename, fsync of the folder,
so a kill at any moment leaves either the old file or the new one.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from playground.atomic import atomic_file
from playground.errors import PlaygroundError

FORMAT = "playground-charrnn"
VERSION = 1
REQUIRED = ("model", "vocab", "config", "step")


def save(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically; a full disk or a read-only folder is a PlaygroundError, and the
    checkpoint that was there stays whole. (Serialised in memory first: torch turns a failed
    write into an opaque RuntimeError.)"""
    path = Path(path)
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **payload}, buffer)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path, "wb") as f:
            f.write(buffer.getbuffer())
    except OSError as err:
        raise PlaygroundError(f"cannot write checkpoint {path}: {err.strerror or err}") from None


def load(path: Path) -> dict[str, Any]:
    """Read a checkpoint onto the CPU, or raise PlaygroundError saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise PlaygroundError(f"checkpoint {path} not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for truncated or foreign files
        raise PlaygroundError(f"checkpoint {path} is corrupt or not a checkpoint ({type(err).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise PlaygroundError(f"{path} is not a playground checkpoint")
    if payload.get("version") != VERSION:
        raise PlaygroundError(
            f"checkpoint {path} has format version {payload.get('version')}, this playground reads version {VERSION}")
    missing = [key for key in REQUIRED if key not in payload]
    if missing:
        raise PlaygroundError(f"checkpoint {path} is incomplete (missing {', '.join(missing)})")
    return payload
