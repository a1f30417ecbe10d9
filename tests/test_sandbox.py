"""The sandbox that pdflatex and gcc run in: limits, a timeout that kills the whole group."""

import os
import signal
import time

import pytest

from playground.sandbox import Limits, jail_problem, run_limited

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
LIMITS = Limits(timeout=10, cpu=3, file_size=4096, memory=2**30)


def test_limits_apply_to_the_command(tmp_path):
    outcome = run_limited(["sh", "-c", "{ ulimit -t; ulimit -f; ulimit -v; nice; } >&2"], LIMITS, tmp_path, ENV)
    assert outcome.returncode == 0
    assert outcome.stderr.split() == ["3", "8", str(2**20), "10"]  # CPU s, 512-byte blocks, KiB, niceness


@pytest.mark.parametrize("timeout, cpu", [(10, 12), (1, 1), (0, 0), (5, -1)])
def test_limits_keep_the_wall_clock_well_above_the_cpu_budget(timeout, cpu):
    """Else a runaway and a starved checker both meet the wall clock first, and look alike."""
    with pytest.raises(ValueError, match="at least twice"):
        Limits(timeout, cpu, 4096, 2**30)


def test_a_file_past_the_size_limit_kills_the_writer(tmp_path):
    outcome = run_limited(["sh", "-c", "head -c 100000 /dev/zero > big"], LIMITS, tmp_path, ENV)
    assert outcome.returncode != 0
    assert (tmp_path / "big").stat().st_size <= 4096


def test_timeout_kills_the_whole_process_group(tmp_path):
    outcome = run_limited(["sh", "-c", "sleep 60 & echo $! >&2; wait"], Limits(2, 1, 4096, 2**30), tmp_path, ENV)
    assert outcome.timed_out and outcome.starved  # stopped by the wall clock, having used no CPU
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


def test_a_checker_that_the_wall_clock_stops_before_its_cpu_budget_was_starved(tmp_path):
    outcome = run_limited(["sleep", "10"], Limits(2, 1, 4096, 2**30), tmp_path, ENV)
    assert outcome.timed_out and outcome.starved


def test_a_runaway_dies_at_its_cpu_limit_and_is_not_starved(tmp_path):
    outcome = run_limited(["sh", "-c", "while :; do :; done"], Limits(60, 1, 4096, 2**30), tmp_path, ENV)
    assert outcome.returncode == -signal.SIGXCPU and not outcome.starved  # the soft limit; SIGKILL 1 s later


def test_cpu_of_finished_children_counts_towards_the_budget(tmp_path):
    """Short-lived children, each far under the per-process limit, spend the group's budget."""
    spin = "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"
    cmd = ["sh", "-c", f"while :; do sh -c '{spin}'; done"]
    outcome = run_limited(cmd, Limits(10, 1, 4096, 2**30), tmp_path, ENV)
    assert outcome.timed_out and not outcome.starved


def test_the_jail_holds_only_the_system_the_given_paths_and_the_folder(tmp_path):
    assert jail_problem() is None, jail_problem()
    (tmp_path / "mine").write_text("ok\n")
    script = "{ ls /; cat mine; ls /etc; ls /dev; ls /tmp; cat /etc/passwd; ls /proc; env; } >&2"
    outcome = run_limited(["sh", "-c", script], LIMITS, tmp_path, {**ENV, "A": "1"}, read_only=["/etc/texmf"])
    lines = outcome.stderr.splitlines()
    root = ["bin", "dev", "etc", "lib", "lib64", "sbin", "tmp", "usr"]
    assert lines[: len(root) + 5] == [*root, "ok", "alternatives", "ld.so.cache", "texmf", "null"]
    assert lines[len(root) + 5] == tmp_path.relative_to("/tmp").parts[0]  # only the way to the folder
    assert "cat: /etc/passwd: No such file or directory" in lines
    assert "ls: cannot access '/proc': No such file or directory" in lines
    assert sorted(line for line in lines if "=" in line) == ["A=1", f"PATH={ENV['PATH']}", f"PWD={tmp_path}"]


def test_a_jailed_command_killed_by_a_signal_reads_as_killed(tmp_path):
    outcome = run_limited(["sh", "-c", "kill -9 $$"], LIMITS, tmp_path, ENV, read_only=[])
    assert outcome.returncode == -9


def test_timeout_kills_everything_in_the_jail(tmp_path):
    outcome = run_limited(["sh", "-c", "sleep 61.25 & wait"], Limits(2, 1, 4096, 2**30), tmp_path, ENV,
                          read_only=[])
    assert outcome.timed_out and outcome.starved
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and sleeping():
        time.sleep(0.05)
    assert not sleeping()


def sleeping() -> bool:
    """Whether the jailed `sleep 61.25` is still alive."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if open(f"/proc/{pid}/cmdline", "rb").read() == b"sleep\x0061.25\x00" and alive(int(pid)):
                return True
        except OSError:
            pass
    return False
