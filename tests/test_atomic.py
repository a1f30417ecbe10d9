"""Checkpoints, corpora's meta.json and run files are replaced atomically."""

import pytest

from playground.atomic import atomic_file, write_text_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    target = folder / "config.json"
    write_text_atomic(target, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as handle:
            handle.write("half of the new")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert [p.name for p in folder.iterdir()] == ["config.json"]


def test_a_finished_write_replaces_the_file(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    target = folder / "weights.bin"
    with atomic_file(target, "wb") as handle:
        handle.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in folder.iterdir()] == ["weights.bin"]
