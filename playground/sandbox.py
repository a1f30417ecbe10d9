"""Run an external checker (pdflatex, gcc) on untrusted text, with limits.

The command gets its own session and process group; CPU time, file size and address space
are capped with ``ulimit`` in ``/bin/sh`` before ``exec``. (Not with ``preexec_fn``: Python
code between fork and exec is unsafe in a program with threads, and scorers run in thread
pools, beside training.) Its stdout is discarded; stderr is kept.

Given ``read_only`` paths, the command runs jailed by bubblewrap: in new mount, PID, network,
IPC, UTS and cgroup namespaces, with no capabilities, only the environment it is given, no
``/proc``, no ``/dev`` but ``/dev/null``, and a root that holds nothing but the system's programs and
libraries, those paths (read-only) and its folder (read-write). Whatever a checker's file
primitives accept, there is nothing else for them to open. ``jail_problem`` says whether
bubblewrap works here (it needs namespaces, which some containers refuse).

The CPU limit judges runaways; the wall clock is a generous backstop. When the wall clock
runs out first, the CPU time of the command and of every process under it is read from
``/proc`` before they are killed: short of the CPU budget, the checker was starved (a busy
machine), not a runaway, and ``Outcome.starved`` says so.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Checkers also run at a lower priority, so that training beside them keeps its cores.
# The CPU budget is a soft limit (SIGXCPU, which a compiler driver reports by name) with a
# hard one a second above it (SIGKILL, for a process that ignores SIGXCPU).
LIMITS = ('ulimit -c 0; ulimit -S -t "$1"; ulimit -H -t "$(($1 + 1))"; ulimit -f "$2"; ulimit -v "$3"; shift 3; '
          'exec nice -n 10 "$@"')

# What every jail holds read-only: programs, libraries, the loader's cache and the links that
# name programs (awk -> mawk); links such as /bin -> usr/bin are recreated as links.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/alternatives")
JAIL_FLAGS = ("--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--clearenv",
              "--dev-bind", "/dev/null", "/dev/null")  # TeX's helper scripts (mktexpk) need it
DEFAULT_PATH = "/usr/bin:/bin"


@dataclass(frozen=True)
class Limits:
    timeout: float  # wall-clock seconds, then the command and everything under it are killed
    cpu: int  # CPU seconds of any one process (SIGXCPU, then SIGKILL); also the budget that tells starved from runaway
    file_size: int  # bytes any one written file may reach (SIGXFSZ)
    memory: int  # bytes of address space

    def __post_init__(self) -> None:
        # A command the wall clock stops must have had the time to use its CPU budget twice
        # over, or a runaway could not be told from a starved checker (see ``Outcome.starved``).
        if not self.timeout >= 2 * self.cpu > 0:
            raise ValueError(f"Limits: the wall clock ({self.timeout:g} s) must be at least twice "
                             f"the CPU budget ({self.cpu} s), which must be positive")


@dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None when it ran past the timeout; negative: killed by a signal
    stderr: str
    starved: bool  # it ran past the timeout before using its CPU budget: the machine was busy

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_limited(cmd: Sequence[str], limits: Limits, cwd: Path, env: Mapping[str, str],
                stdin: bytes | None = None, read_only: Sequence[str] | None = None) -> Outcome:
    """Run ``cmd`` in ``cwd`` under ``limits``; its stdin is ``stdin`` (or nothing).

    With ``read_only`` (host paths, possibly none), ``cmd`` runs in a jail (see the module).
    """
    if read_only is not None:
        cmd, env = jailed(cmd, cwd, env, read_only), {"PATH": os.environ.get("PATH", DEFAULT_PATH)}
    ulimits = [str(limits.cpu), str(max(1, limits.file_size // 512)), str(max(1, limits.memory // 1024))]
    proc = subprocess.Popen(
        ["/bin/sh", "-c", LIMITS, "sandbox", *ulimits, *cmd], cwd=cwd, env=dict(env),
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    starved = False
    try:
        _, stderr = proc.communicate(stdin, timeout=limits.timeout)
        returncode: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        tree = _tree(proc.pid)
        starved = sum(tree.values()) < limits.cpu
        for pid in tree:
            _kill(pid)
        _, stderr = proc.communicate()
        returncode = None
    _kill_group(proc.pid)  # anything it left running in its group
    if read_only is not None and returncode is not None and returncode > 128:
        returncode = 128 - returncode  # bwrap reports a command killed by signal N as 128 + N
    return Outcome(returncode, stderr.decode("utf-8", "replace"), starved)


def jailed(cmd: Sequence[str], cwd: Path, env: Mapping[str, str], read_only: Sequence[str]) -> list[str]:
    """The bubblewrap command line that runs ``cmd`` jailed, in ``cwd``, with only ``env``."""
    args = ["bwrap", *JAIL_FLAGS]
    for path in dict.fromkeys([*SYSTEM, *read_only]):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += ["--bind", str(cwd), str(cwd), "--chdir", str(cwd)]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--", *cmd]


@functools.cache
def jail_problem() -> str | None:
    """Why commands cannot be jailed here (no bwrap, or it cannot start), or None."""
    if shutil.which("bwrap") is None:
        return "bwrap not found (install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="playground-jail-") as folder:
        outcome = run_limited(["true"], Limits(30, 5, 2**20, 2**30), Path(folder), {}, read_only=())
    if outcome.returncode == 0:
        return None
    reason = next(iter(outcome.stderr.splitlines()), f"exit status {outcome.returncode}")
    return f"bwrap cannot start ({reason})"


def _tree(root: int) -> dict[int, float]:
    """CPU seconds of ``root`` and each process under it, by pid (reaped children included)."""
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        seconds[pid] = sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime
    tree = {root: seconds.get(root, 0.0)}
    grew = True
    while grew:
        found = {pid: seconds[pid] for pid, ppid in parents.items() if ppid in tree and pid not in tree}
        tree.update(found)
        grew = bool(found)
    return tree


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
