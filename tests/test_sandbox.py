"""The sandbox that pdflatex and gcc run in: limits, a timeout that kills the whole group."""

import os
import time

from playground.sandbox import Limits, run_limited

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
LIMITS = Limits(timeout=10, cpu=3, file_size=4096, memory=2**30)


def test_limits_apply_to_the_command(tmp_path):
    outcome = run_limited(["sh", "-c", "{ ulimit -t; ulimit -f; ulimit -v; nice; } >&2"], LIMITS, tmp_path, ENV)
    assert outcome.returncode == 0
    assert outcome.stderr.split() == ["3", "8", str(2**20), "10"]  # CPU s, 512-byte blocks, KiB, niceness


def test_a_file_past_the_size_limit_kills_the_writer(tmp_path):
    outcome = run_limited(["sh", "-c", "head -c 100000 /dev/zero > big"], LIMITS, tmp_path, ENV)
    assert outcome.returncode != 0
    assert (tmp_path / "big").stat().st_size <= 4096


def test_timeout_kills_the_whole_process_group(tmp_path):
    start = time.monotonic()
    outcome = run_limited(["sh", "-c", "sleep 60 & echo $! >&2; wait"], Limits(1, 5, 4096, 2**30), tmp_path, ENV)
    assert outcome.timed_out and time.monotonic() - start < 10
    grandchild = int(outcome.stderr.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and alive(grandchild):
        time.sleep(0.05)
    assert not alive(grandchild)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead, awaiting its reaper
    except FileNotFoundError:
        return False


def test_stdin_reaches_the_command_and_stderr_comes_back(tmp_path):
    outcome = run_limited(["sh", "-c", "cat >&2"], LIMITS, tmp_path, ENV, stdin=b"hello\n")
    assert outcome.returncode == 0 and outcome.stderr == "hello\n"
