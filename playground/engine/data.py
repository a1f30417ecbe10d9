"""Characters to ids and back, the train/val split, and batches for stateful truncated BPTT.

The corpus is read in chunks and encoded once into a compact array (uint8, or uint16 for
big vocabularies) cached on disk and memory-mapped, so training never holds the corpus text
in memory (a domain's scorer may: it reads the text for novelty, see corpora.corpus_text).
The last 10% of the characters is validation (as in nanoGPT).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from playground.atomic import atomic_file
from playground.engine.split import train_size
from playground.errors import PlaygroundError

UNK_TEXT = "\ufffd"  # how a sampled <unk> is shown
CHUNK_CHARS = 1 << 22  # characters decoded per chunk (bounds the memory of encoding)
N_CODEPOINTS = 0x110000


class Vocab:
    """Characters by falling frequency, then ``<unk>`` for everything else.

    ``capped`` says the training text had more characters than the cap, so ``<unk>`` was
    trained on and may stand in for unknown characters.
    """

    def __init__(self, chars: list[str], capped: bool = False):
        self.chars = list(chars)
        self.capped = capped
        self.unk = len(self.chars)
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars) + 1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and (self.chars, self.capped) == (other.chars, other.capped)

    def to_dict(self) -> dict:
        return {"chars": list(self.chars), "capped": self.capped}

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        return cls(data["chars"], data["capped"])

    @property
    def dtype(self) -> type:
        return np.uint8 if len(self) <= 256 else np.uint16

    def encode(self, text: str) -> list[int]:
        return [self.index.get(c, self.unk) for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] if i < self.unk else UNK_TEXT for i in ids)

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` outside the vocabulary, in order of appearance."""
        return list(dict.fromkeys(c for c in text if c not in self.index))

    def lookup_table(self) -> np.ndarray:
        """Code point -> id, for encoding whole chunks with numpy."""
        table = np.full(N_CODEPOINTS, self.unk, dtype=self.dtype)
        table[[ord(c) for c in self.chars]] = np.arange(len(self.chars), dtype=self.dtype)
        return table


def _chunks(path: Path):
    """Code points of the file as uint32 arrays, CHUNK_CHARS at a time."""
    with open(path, encoding="utf-8", newline="") as f:
        while chunk := f.read(CHUNK_CHARS):
            yield np.frombuffer(chunk.encode("utf-32-le"), dtype=np.uint32)


def _read_error(path: Path, err: Exception) -> PlaygroundError:
    return PlaygroundError(f"cannot read corpus {path}: {err}")


def count_chars(path: Path) -> int:
    try:
        return sum(len(c) for c in _chunks(path))
    except (OSError, UnicodeDecodeError) as err:
        raise _read_error(path, err) from None


def build_vocab(path: Path, n_train: int, max_vocab: int) -> Vocab:
    """The ``max_vocab - 1`` most frequent code points of the first ``n_train`` characters."""
    counts = np.zeros(N_CODEPOINTS, dtype=np.int64)
    seen = 0
    for cps in _chunks(path):
        cps = cps[: n_train - seen]
        counts += np.bincount(cps, minlength=N_CODEPOINTS)
        seen += len(cps)
        if seen >= n_train:
            break
    present = np.flatnonzero(counts)
    order = present[np.lexsort((present, -counts[present]))]  # by count desc, then code point
    return Vocab([chr(cp) for cp in order[: max_vocab - 1]], capped=len(order) > max_vocab - 1)


def _cache_key(path: Path, vocab: Vocab) -> str:
    st = path.stat()
    ident = json.dumps([str(path.resolve()), st.st_size, st.st_mtime_ns, vocab.chars])
    return hashlib.sha256(ident.encode()).hexdigest()[:24]


def encode_file(path: Path, vocab: Vocab, cache_dir: Path) -> np.ndarray:
    """The whole corpus as ids, memory-mapped from ``cache_dir`` (encoded once, atomically)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{path.stem}-{_cache_key(path, vocab)}.{np.dtype(vocab.dtype).name}"
    if not target.exists():
        table = vocab.lookup_table()
        with atomic_file(target, "wb") as out:
            for cps in _chunks(path):
                table[cps].tofile(out)
    if target.stat().st_size == 0:
        return np.zeros(0, dtype=vocab.dtype)
    return np.memmap(target, dtype=vocab.dtype, mode="r")


@dataclass
class Dataset:
    vocab: Vocab
    train: np.ndarray
    val: np.ndarray


def load_dataset(path: Path, cache_dir: Path, max_vocab: int, vocab: Vocab | None = None) -> Dataset:
    """Split, vocabulary (built from the training split unless given) and encoded arrays."""
    path = Path(path)
    if vocab is None:  # a given vocabulary (a resume) needs no counting pass: one id per character
        vocab = build_vocab(path, train_size(count_chars(path)), max_vocab)
    try:
        data = encode_file(path, vocab, cache_dir)
    except (OSError, UnicodeDecodeError) as err:
        raise _read_error(path, err) from None
    n_train = train_size(len(data))
    return Dataset(vocab, data[:n_train], data[n_train:])


def check_fits(dataset: Dataset, batch_size: int, seq_len: int) -> None:
    """Raise PlaygroundError unless the training split holds one batch and validation 2 chars."""
    need = batch_size * (seq_len + 1)
    if len(dataset.train) < need:
        raise PlaygroundError(
            f"corpus too short: the training split has {len(dataset.train)} characters, one batch needs "
            f"{need} (batch_size x (seq_len + 1)); lower batch_size or seq_len")
    if len(dataset.val) < 2:
        raise PlaygroundError("corpus too short: the validation split (last 10%) needs at least 2 characters")


class StreamBatches:
    """``batch_size`` contiguous streams over the data, read ``seq_len`` characters at a time.

    Stream b covers ``data[b*span:(b+1)*span]``; the cursor is the offset inside every stream.
    When a window would run off the end, the epoch ends: the cursor returns to 0 and
    ``next()`` reports ``reset=True`` so the caller drops the carried hidden state.
    """

    def __init__(self, data: np.ndarray, batch_size: int, seq_len: int, cursor: int = 0,
                 rows: slice = slice(None)):
        self.data, self.seq_len = data, seq_len
        self.span = len(data) // batch_size
        self.starts = np.arange(batch_size, dtype=np.int64)[rows, None] * self.span  # rows: a rank's share
        self.offsets = np.arange(seq_len + 1, dtype=np.int64)[None, :]
        self.cursor = cursor

    def next(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        reset = self.cursor + self.seq_len + 1 > self.span
        if reset:
            self.cursor = 0
        window = torch.from_numpy(self.data[self.starts + self.cursor + self.offsets].astype(np.int64))
        self.cursor += self.seq_len
        return window[:, :-1], window[:, 1:], reset


def eval_windows(data: np.ndarray, n_streams: int, seq_len: int):
    """Cover every target of ``data`` exactly once with ``n_streams`` contiguous streams.

    Yields ``(x, y)`` windows in order, so state can be carried along the streams; targets
    past the end are -1 (ignored). Windows are read lazily: ``data`` may be memory-mapped.
    """
    n_targets = len(data) - 1
    if n_targets < 1:
        return
    n_streams = max(1, min(n_streams, n_targets // seq_len))
    span = -(-n_targets // n_streams)
    starts = np.arange(n_streams, dtype=np.int64)[:, None] * span
    for t in range(0, span, seq_len):
        pos = starts + t + np.arange(min(seq_len, span - t), dtype=np.int64)[None, :]
        valid = pos < n_targets
        pos = np.where(valid, pos, 0)
        x = torch.from_numpy(data[pos].astype(np.int64))
        y = torch.from_numpy(np.where(valid, data[pos + 1].astype(np.int64), -1))
        yield x, y
