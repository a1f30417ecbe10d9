"""Sharing the cores: each process that trains counts the others through the registry."""

import os
import subprocess
import sys

import pytest
import torch

from playground.engine import threads
from playground.engine.threads import CoreShare, live_trainings

HOLDER = """
import sys, time
from playground.engine import threads
threads.REGISTRY = __import__("pathlib").Path(sys.argv[1])
with threads.CoreShare():
    print("training", flush=True)
    time.sleep(60)
"""


@pytest.fixture(autouse=True)
def restore_threads(tmp_path, monkeypatch):
    """A registry of this test's own, and torch's thread count as it was afterwards."""
    monkeypatch.setattr(threads, "REGISTRY", tmp_path / "registry")
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_a_second_training_process_halves_the_share_and_its_end_restores_it(tmp_path, monkeypatch):
    monkeypatch.setattr(threads, "DEFAULT_THREADS", 4)
    with CoreShare() as share:
        assert live_trainings() == 1 and share.adjust(force=True) == 4 == torch.get_num_threads()
        other = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "registry")], stdout=subprocess.PIPE,
                                 text=True)
        try:
            assert other.stdout.readline() == "training\n"
            assert live_trainings() == 2
            assert share.adjust() == 4  # not re-counted before RECOUNT_S has passed
            assert share.adjust(force=True) == 2 == torch.get_num_threads()
        finally:
            other.kill()
            other.wait()
        assert live_trainings() == 1  # a killed process's lock is gone, though its file stays
        assert share.adjust(force=True) == 4
    assert torch.get_num_threads() == 4  # back to the default once training ends
    assert not (tmp_path / "registry" / str(os.getpid())).exists()


def test_a_fixed_thread_count_is_used_whatever_else_trains():
    with CoreShare(1) as share:
        assert share.adjust(force=True) == 1 == torch.get_num_threads()


def test_the_registry_is_open_to_every_user_and_sticky(tmp_path):
    with CoreShare():
        assert (tmp_path / "registry").stat().st_mode & 0o7777 == 0o1777
