"""The checkpoint file: round trip, atomic writes, and every way it can be bad."""

import pytest
import torch

from engine_support import TINY, tiny_domain
from playground.engine import checkpoint
from playground.engine.model import CharRNN
from playground.engine.config import ModelConfig
from playground.errors import PlaygroundError
from playground.run import run_training
from playground.sampling import load_sampler


@pytest.fixture
def ckpt(tmp_path):
    list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 10}, tmp_path / "run"))
    return tmp_path / "run" / "checkpoints" / "last.pt"


def test_round_trip_holds_everything_needed_to_resume(ckpt):
    payload = checkpoint.load(ckpt)
    assert payload["version"] == checkpoint.VERSION and payload["step"] == 10
    for key in ("model", "optimizer", "rng", "cursor", "stream_state", "vocab", "config", "best_val", "domain"):
        assert key in payload
    model = CharRNN(ModelConfig(**payload["config"]["model"]), len(payload["vocab"]["chars"]) + 1)
    model.load_state_dict(payload["model"])  # strict: every weight is there
    assert payload["stream_state"][0].shape == (1, 8, 32)  # (layers, streams, hidden)
    assert torch.load(ckpt, weights_only=True)["step"] == 10  # plain tensors and values only


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "ckpt" / "c.pt"
    checkpoint.save(target, {"model": {}, "vocab": {}, "config": {}, "step": 1})
    checkpoint.save(target, {"model": {}, "vocab": {}, "config": {}, "step": 2})
    assert checkpoint.load(target)["step"] == 2 and [p.name for p in target.parent.iterdir()] == ["c.pt"]


def test_a_failed_save_keeps_the_old_file(tmp_path):
    target = tmp_path / "ckpt" / "c.pt"
    checkpoint.save(target, {"model": {}, "vocab": {}, "config": {}, "step": 1})
    with pytest.raises(Exception):
        checkpoint.save(target, {"model": {}, "vocab": {}, "config": {}, "step": 2, "bad": lambda: 0})
    assert checkpoint.load(target)["step"] == 1 and len(list(target.parent.iterdir())) == 1


def test_missing(tmp_path):
    with pytest.raises(PlaygroundError, match="not found"):
        checkpoint.load(tmp_path / "nope.pt")


def test_truncated(ckpt):
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 2])
    with pytest.raises(PlaygroundError, match="corrupt or not a checkpoint"):
        checkpoint.load(ckpt)


def test_corrupt(ckpt):
    ckpt.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(PlaygroundError, match="corrupt or not a checkpoint"):
        load_sampler(ckpt, {})


def test_not_a_playground_checkpoint(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(PlaygroundError, match="not a playground checkpoint"):
        checkpoint.load(tmp_path / "other.pt")


def test_incompatible_version(ckpt):
    payload = checkpoint.load(ckpt)
    payload["version"] = checkpoint.VERSION + 1
    torch.save(payload, ckpt)
    with pytest.raises(PlaygroundError, match=f"format version {checkpoint.VERSION + 1}"):
        checkpoint.load(ckpt)


def test_incomplete(ckpt):
    payload = checkpoint.load(ckpt)
    del payload["vocab"]
    torch.save(payload, ckpt)
    with pytest.raises(PlaygroundError, match="missing vocab"):
        checkpoint.load(ckpt)
