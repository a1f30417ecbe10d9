"""Run an external checker (pdflatex, gcc) on untrusted text, with limits.

The command gets its own session and process group, which is killed on timeout; CPU time,
file size and address space are capped with ``ulimit`` in ``/bin/sh`` before ``exec``. (Not
with ``preexec_fn``: Python code between fork and exec is unsafe in a program with threads,
and scorers run in thread pools, beside training.) Its stdout is discarded; stderr is kept.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Checkers also run at a lower priority, so that training beside them keeps its cores.
LIMITS = 'ulimit -c 0; ulimit -t "$1"; ulimit -f "$2"; ulimit -v "$3"; shift 3; exec nice -n 10 "$@"'


@dataclass(frozen=True)
class Limits:
    timeout: float  # wall-clock seconds, then the process group is killed
    cpu: int  # CPU seconds (SIGXCPU, then SIGKILL)
    file_size: int  # bytes any one written file may reach (SIGXFSZ)
    memory: int  # bytes of address space


@dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None when it ran past the timeout; negative: killed by a signal
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_limited(cmd: Sequence[str], limits: Limits, cwd: Path, env: Mapping[str, str],
                stdin: bytes | None = None) -> Outcome:
    """Run ``cmd`` in ``cwd`` under ``limits``; its stdin is ``stdin`` (or nothing)."""
    ulimits = [str(limits.cpu), str(max(1, limits.file_size // 512)), str(max(1, limits.memory // 1024))]
    proc = subprocess.Popen(
        ["/bin/sh", "-c", LIMITS, "sandbox", *ulimits, *cmd], cwd=cwd, env=dict(env),
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        _, stderr = proc.communicate(stdin, timeout=limits.timeout)
        returncode: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        _, stderr = proc.communicate()
        returncode = None
    _kill_group(proc.pid)  # anything it left running in its group
    return Outcome(returncode, stderr.decode("utf-8", "replace"))


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
