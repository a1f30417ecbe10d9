"""Vocabulary, encoding cache, split, and the stream batches of stateful TBPTT."""

import numpy as np
import pytest
import torch

from playground.engine import data
from playground.engine.data import Dataset, StreamBatches, Vocab, check_fits, eval_windows, load_dataset
from playground.errors import PlaygroundError


def write(tmp_path, text, name="corpus.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_vocab_by_frequency_from_the_training_split_only(tmp_path):
    text = "aaaabbbcc\n" * 9 + "zzzzzzzzzz"  # the last 10% (z) is validation
    ds = load_dataset(write(tmp_path, text), tmp_path / "cache", max_vocab=256)
    assert ds.vocab.chars == ["a", "b", "c", "\n"]
    assert "z" not in ds.vocab.chars and not ds.vocab.capped
    assert len(ds.train) == 90 and len(ds.val) == 10
    assert list(ds.val) == [ds.vocab.unk] * 10  # unseen in training: <unk>
    assert ds.vocab.decode(ds.train[:4]) == "aaaa"


def test_vocab_cap_keeps_the_most_frequent(tmp_path):
    text = "a" * 50 + "b" * 40 + "c" * 30 + "d" * 20 + "e" * 10 + "x" * 20
    ds = load_dataset(write(tmp_path, text), tmp_path / "cache", max_vocab=3)
    assert ds.vocab.chars == ["a", "b"] and ds.vocab.capped and len(ds.vocab) == 3
    assert ds.vocab.encode("abc") == [0, 1, 2]


def test_unicode_and_compact_dtypes(tmp_path):
    text = "héllo wörld ✓ 𝄞\n" * 20
    ds = load_dataset(write(tmp_path, text), tmp_path / "cache", max_vocab=256)
    assert ds.train.dtype == np.uint8
    assert ds.vocab.decode(ds.train[:16]) == "héllo wörld ✓ 𝄞\n"
    big = "".join(chr(0x4E00 + i) for i in range(400)) * 3
    ds = load_dataset(write(tmp_path, big, "big.txt"), tmp_path / "cache", max_vocab=1000)
    assert ds.train.dtype == np.uint16 and len(ds.vocab) == 401


def test_encoding_is_cached_and_memory_mapped(tmp_path, monkeypatch):
    path = write(tmp_path, "abcabc\n" * 100)
    cache = tmp_path / "cache"
    first = load_dataset(path, cache, 256)
    assert isinstance(first.train.base, np.memmap) or isinstance(first.train, np.memmap)
    assert len(list(cache.iterdir())) == 1
    monkeypatch.setattr(data.Vocab, "lookup_table", lambda self: pytest.fail("encoded twice"))
    again = load_dataset(path, cache, 256)
    assert np.array_equal(first.train, again.train)


def test_chunked_encoding_matches_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CHUNK_CHARS", 7)
    text = "the quick brown fox jumps over the lazy dog ü\n" * 30
    ds = load_dataset(write(tmp_path, text), tmp_path / "cache", 256)
    assert ds.vocab.decode(np.concatenate([ds.train, ds.val])) == text


def test_stream_batches_are_contiguous_and_carry_a_cursor():
    seq = np.arange(100, dtype=np.uint16) % 50
    batches = StreamBatches(seq, batch_size=4, seq_len=5)  # 4 streams of 25
    x1, y1, reset = batches.next()
    assert not reset and x1.shape == (4, 5) and x1.dtype == torch.int64
    assert x1[1].tolist() == [25, 26, 27, 28, 29] and y1[1].tolist() == [26, 27, 28, 29, 30]
    x2, _, _ = batches.next()
    assert x2[1].tolist() == [30, 31, 32, 33, 34]  # continues where stream 1 stopped
    for _ in range(2):
        batches.next()
    assert batches.cursor == 20
    x5, _, reset = batches.next()  # 20 + 5 + 1 > 25: a new epoch
    assert reset and x5[0].tolist() == [0, 1, 2, 3, 4]


def test_corpus_shorter_than_one_batch():
    short = Dataset(Vocab(["a"]), np.zeros(50, dtype=np.uint8), np.zeros(10, dtype=np.uint8))
    with pytest.raises(PlaygroundError, match="corpus too short.*one batch needs 136"):
        check_fits(short, batch_size=8, seq_len=16)
    check_fits(short, batch_size=2, seq_len=24)
    with pytest.raises(PlaygroundError, match="validation split"):
        check_fits(Dataset(Vocab(["a"]), short.train, short.val[:1]), batch_size=2, seq_len=24)


@pytest.mark.parametrize("n, streams, seq_len", [(101, 4, 7), (10, 32, 64), (2, 1, 1), (1000, 3, 1000)])
def test_eval_windows_cover_every_target_once(n, streams, seq_len):
    seq = np.arange(n, dtype=np.int64)
    if n == 300:
        seq = (seq % 250).astype(np.uint8)  # compact ids, as the encoded corpus has
    seen = []
    for x, y in eval_windows(seq, streams, seq_len):
        mask = y != -1
        assert torch.equal(y[mask], x[mask] + 1)  # target follows its input
        seen += y[mask].tolist()
    assert sorted(seen) == sorted(seq[1:].tolist())


def test_vocab_serialises():
    vocab = Vocab(["a", "\n"], capped=True)
    assert Vocab.from_dict(vocab.to_dict()) == vocab
    assert vocab.unknown("ab\nc") == ["b", "c"]
