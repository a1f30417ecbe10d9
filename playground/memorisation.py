"""Memorisation shown, not hidden: the longest span of each sample that the training text
holds word for word. A sample that copies the corpus is valid and worthless.

A suffix array of the training split (its characters, as numpy built it by prefix doubling)
is made once per corpus and cached in PLAYGROUND_CACHE; a sample's longest copy is found
by growing the best length so far and looking each candidate up by binary search.
"""

from __future__ import annotations

import bisect

import numpy as np

from playground.atomic import atomic_file
from playground.memo import remembered

MOSTLY = 0.5  # a sample is mostly copied when its longest copy covers more than this share
MIN_COPY = 32  # ... and is at least this many characters (a new name is made of old parts)
MAX_SCAN = 50_000  # a longer sample is searched in its first this many characters
MAX_INDEX_CHARS = 64 * 2**20  # a larger training text is not indexed (the arrays take ~40 bytes a character)


class CopyIndex:
    """The training text and its suffix array."""

    def __init__(self, text: str, suffixes: np.ndarray):
        self.text, self.suffixes = text, suffixes

    def occurs(self, piece: str) -> bool:
        text, size = self.text, len(piece)
        at = bisect.bisect_left(self.suffixes, piece, key=lambda start: text[start:start + size])
        return at < len(self.suffixes) and text.startswith(piece, int(self.suffixes[at]))

    def longest_copy(self, sample: str) -> int:
        """The length of the longest span of ``sample`` (its first MAX_SCAN characters) that the text holds."""
        sample, best = sample[:MAX_SCAN], 0
        for start in range(len(sample)):
            while start + best < len(sample) and self.occurs(sample[start:start + best + 1]):
                best += 1
        return best


def mostly_copied(sample: str, copy: int) -> bool:
    return copy >= MIN_COPY and copy > MOSTLY * len(sample.strip())


def suffix_array(text: str) -> np.ndarray:
    """The start of each suffix of ``text`` in sorted order (prefix doubling: each round sorts by
    the rank of a suffix's first k characters and of the k after them)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    rank = np.unique(codes, return_inverse=True)[1].astype(np.int64)
    k = 1
    while True:
        keys = rank * (n + 1)
        keys[:n - k] += rank[k:] + 1  # + 0: the suffix ends within these k
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        new = np.empty(n, dtype=np.int64)
        new[order] = np.concatenate(([0], np.cumsum(keys[1:] != keys[:-1])))
        rank = new
        if rank.max() == n - 1 or k >= n:
            return order.astype(np.int32)
        k *= 2


_indexes: dict[tuple, CopyIndex] = {}


def copy_index(name: str, text: str, digest: str) -> CopyIndex:
    """The index of a domain's training text (``digest``: its corpus's sha256), from the cache
    or built and cached."""
    return remembered(_indexes, (name, digest), lambda: CopyIndex(text, _suffixes(name, text, digest)), keep=2)


def _suffixes(name: str, text: str, digest: str) -> np.ndarray:
    from playground.ceiling import cache_root

    path = cache_root() / "suffixes" / f"{name}-{digest[:16]}.npy"
    if path.is_file():
        try:
            found = np.load(path, allow_pickle=False)
            if found.shape == (len(text),):
                return found
        except (OSError, ValueError):
            pass  # damaged: built again
    found = suffix_array(text)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path, "wb") as handle:
            np.save(handle, found, allow_pickle=False)
    except OSError:
        pass  # an unwritable cache: built again next time
    return found


def copy_lengths(domain, samples: list[str]) -> list[int | None]:
    """Each sample's longest copy from the domain's training split (None each when the corpus
    is not at hand, or is over MAX_INDEX_CHARS)."""
    from playground.corpora import corpus_text, verified_corpus
    from playground.engine.split import train_size
    from playground.errors import PlaygroundError

    try:
        _, digest = verified_corpus(domain)
        text = corpus_text(domain)
    except PlaygroundError:
        return [None] * len(samples)
    if len(text) > MAX_INDEX_CHARS:
        return [None] * len(samples)
    index = copy_index(domain.name, text[:train_size(len(text))], digest)
    return [index.longest_copy(sample) for sample in samples]
