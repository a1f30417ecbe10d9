"""Sharing the CPU cores between the trainings on one machine.

torch gives each process one thread per core, and its OpenMP threads spin at each barrier
waiting for their siblings: two such processes on the same cores keep preempting each other's
threads, and both slow to a small fraction of their solo speed (bench/sharing.py). So each
process that trains holds a lock on a file named for its pid in a folder every user can see,
and with ``threads = 0`` (auto) a training uses torch's default thread count divided by the
number of processes training now, re-counted every few seconds as others start and stop.
A fixed ``threads`` is used as given (and keeps a run's arithmetic the same from start to end).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from pathlib import Path

import torch

REGISTRY = Path(tempfile.gettempdir()) / "playground-trainings"
RECOUNT_S = 2.0
DEFAULT_THREADS = torch.get_num_threads()  # torch's own choice (or OMP_NUM_THREADS), before any change


class CoreShare:
    """This process's share of the cores while it trains: ``with CoreShare(threads):`` around a
    training, then ``adjust()`` at each step."""

    _holders = 0  # trainings of this process inside the context (the TUI runs one after another)
    _lock_file = None

    def __init__(self, threads: int = 0):
        self.fixed, self.next_count = threads, 0.0

    def __enter__(self) -> CoreShare:
        if CoreShare._holders == 0:
            CoreShare._lock_file = _register()
        CoreShare._holders += 1
        self.adjust(force=True)
        return self

    def __exit__(self, *exc_info: object) -> None:
        CoreShare._holders -= 1
        if CoreShare._holders == 0 and CoreShare._lock_file is not None:
            _unregister(CoreShare._lock_file)
            CoreShare._lock_file = None
        torch.set_num_threads(DEFAULT_THREADS)

    def adjust(self, force: bool = False) -> int:
        """Set this process's thread count to its share (at most every RECOUNT_S); return it."""
        now = time.monotonic()
        if self.fixed or (not force and now < self.next_count):
            wanted = self.fixed or torch.get_num_threads()
        else:
            self.next_count = now + RECOUNT_S
            wanted = max(1, DEFAULT_THREADS // max(1, live_trainings()))
        if wanted != torch.get_num_threads():
            torch.set_num_threads(wanted)
        return wanted


def live_trainings() -> int:
    """Processes training on this machine now: registry files whose lock is held."""
    try:
        names = os.listdir(REGISTRY)
    except OSError:
        return 1
    live = 0
    for name in names:
        if name == str(os.getpid()):
            live += 1
            continue
        try:
            fd = os.open(REGISTRY / name, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # granted: its holder has gone
        except BlockingIOError:
            live += 1
        finally:
            os.close(fd)
    return max(1, live)


def _register():
    """Create and lock this process's registry file; None where the folder cannot be used."""
    try:
        REGISTRY.mkdir(mode=0o1777, exist_ok=True)
        if REGISTRY.stat().st_uid == os.getuid():
            REGISTRY.chmod(0o1777)  # sticky and open to all users, like /tmp: mkdir's mode is masked
        fd = os.open(REGISTRY / str(os.getpid()), os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd
    except OSError:
        return None


def _unregister(fd: int) -> None:
    try:
        os.unlink(REGISTRY / str(os.getpid()))
    except OSError:
        pass
    os.close(fd)
