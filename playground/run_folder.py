"""A run folder: the one place that knows the names of a run's files.

``config.json`` (the resolved settings, the domain and its corpus with its sha256),
``metrics.jsonl`` and ``samples.jsonl`` (see playground.jsonl), and ``checkpoints/`` with
one file per checkpoint kind: ``last`` (to resume), ``best`` (lowest validation loss), ``best-valid`` (highest valid rate, weights only) and
``scored`` snapshots (weights only, one per validity batch awaiting its verdict). A run that
writes here holds a lock on the folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.atomic import write_text_atomic
from playground.errors import PlaygroundError

FILES = {"last": "last.pt", "best": "best.pt", "best-valid": "best-valid.pt"}
CONFIG, METRICS, SAMPLES, CHECKPOINTS = "config.json", "metrics.jsonl", "samples.jsonl", "checkpoints"
TOP_FILES = (CONFIG, METRICS, SAMPLES)


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @classmethod
    def reserve(cls, runs: Path, name: str) -> RunFolder:
        """A new folder under ``runs``, made here: NAME-TIMESTAMP, with -2, -3… if taken (by
        another run starting in the same second, too: the mkdir is the reservation)."""
        base = Path(runs) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        for n in range(1, 10_000):
            path = base if n == 1 else base.with_name(f"{base.name}-{n}")
            try:
                path.mkdir(parents=True)
                return cls(path)
            except FileExistsError:
                continue
            except OSError as err:
                raise PlaygroundError(f"cannot make a run folder in {runs}: {err.strerror or err}") from None
        raise PlaygroundError(f"no free run folder name for {base}")

    @classmethod
    def of(cls, path: Path) -> RunFolder | None:
        """The run folder ``path`` is, or the one a checkpoint file ``path`` lies in."""
        path = Path(path)
        folder = path if path.is_dir() else path.parent.parent
        if path.is_file() and path.parent.name != CHECKPOINTS:
            return None
        return cls(folder) if (folder / CONFIG).is_file() else None

    @property
    def config(self) -> Path:
        return self.path / CONFIG

    @property
    def metrics(self) -> Path:
        return self.path / METRICS

    @property
    def samples(self) -> Path:
        return self.path / SAMPLES

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    def checkpoint(self, kind: str, step: int | None = None) -> Path:
        if kind == "scored":
            return self.checkpoints / f"scored-{step}.pt"
        return self.checkpoints / FILES[kind]

    def holds_run(self) -> bool:
        return self.checkpoint("last").exists()

    def read_config(self) -> dict[str, Any]:
        try:
            saved = json.loads(self.config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise PlaygroundError(f"{self.config} cannot be read: {err}") from None
        if not isinstance(saved, dict):
            raise PlaygroundError(f"{self.config} is not a run's config")
        return saved

    def write_config(self, data: dict[str, Any]) -> None:
        write_text_atomic(self.config, json.dumps(data, indent=2) + "\n")

    def claim(self) -> int:
        """Make the folder and lock it for this process; a second writer gets a one-line
        error. The lock (on the folder itself) lasts until ``release``."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            handle = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as err:
            raise PlaygroundError(f"cannot write the run folder {self.path}: {err.strerror or err}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            raise PlaygroundError(f"{self.path} is in use by another run; wait for it or choose another --out") from None
        return handle

    @staticmethod
    def release(handle: int) -> None:
        os.close(handle)

    def in_use(self) -> bool:
        """Whether a run holds the folder's lock now (it is being written)."""
        try:
            handle = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return False
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except OSError:
            return True
        finally:
            os.close(handle)

    def check_fresh(self) -> None:
        """A new run may start here: the folder holds no run, and nothing but a run's files."""
        if self.holds_run():
            raise PlaygroundError(f"{self.path} already holds a run; resume it with --resume or choose another folder")
        others = sorted(p.name for p in self.path.iterdir() if p.name not in (*TOP_FILES, CHECKPOINTS))
        if others:
            raise PlaygroundError(f"{self.path} is not a run folder and not empty ({', '.join(others[:3])}); "
                                  "choose another --out")

    def clean_stale(self) -> None:
        """Drop what a killed run left: scored snapshots and its own half-written temp files."""
        stale = [*self.checkpoints.glob("scored-*.pt"), *self.checkpoints.glob(".scored-*.pt.*")]
        for folder, names in ((self.path, TOP_FILES), (self.checkpoints, FILES.values())):
            stale += [p for name in names for p in folder.glob(f".{name}.*")]
        for path in stale:
            path.unlink(missing_ok=True)

    def promote(self, step: int) -> Path:
        """The scored snapshot of ``step`` becomes best-valid."""
        target = self.checkpoint("best-valid")
        os.replace(self.checkpoint("scored", step), target)
        return target

    def discard(self, step: int) -> None:
        self.checkpoint("scored", step).unlink(missing_ok=True)


def find_checkpoint(path: Path, *kinds: str) -> Path:
    """A checkpoint file, or a run folder's first existing checkpoint of ``kinds``."""
    path = Path(path)
    if path.is_dir():
        folder = RunFolder(path)
        for kind in kinds:
            if folder.checkpoint(kind).is_file():
                return folder.checkpoint(kind)
        raise PlaygroundError(f"{path} is not a run folder with a checkpoint (no checkpoints/{FILES[kinds[0]]})")
    if not path.exists():
        raise PlaygroundError(f"{path} not found: give a run folder or a checkpoint file")
    return path
