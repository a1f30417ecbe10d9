"""Guided sampling's masks: which characters each stream of a batch may take next.

The engine knows no domains: it is handed a ``BatchGuide`` (playground.sampling builds one from
a domain's guide) that keeps a state per stream and answers, for each, a CharSet. Each distinct
CharSet becomes a row of a mask table once; a batch's mask is then one index into that table.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Protocol

import torch

from playground.engine.data import Vocab
from playground.guide import CharSet


class BatchGuide(Protocol):
    def start(self, prime: str, n: int, length: int) -> tuple[list[Hashable], list[CharSet]]: ...

    def advance(self, states: Sequence[Hashable], chars: Sequence[str]) -> tuple[list[Hashable], list[CharSet]]: ...


class Guidance:
    """The guide's states for a batch of ``n`` streams, and their masks over ``vocab``."""

    def __init__(self, guide: BatchGuide, vocab: Vocab, prime: str, n: int, length: int, device: torch.device):
        self.guide, self.vocab, self.device = guide, vocab, device
        self.rows: dict[CharSet, int] = {}
        self.table = torch.zeros((16, len(vocab)), dtype=torch.bool, device=device)
        self.states, charsets = guide.start(prime, n, length)
        self.ids = [self.row(c) for c in charsets]

    def row(self, charset: CharSet) -> int:
        """The mask table's row for ``charset``, added on first sight (``<unk>`` is never allowed)."""
        found = self.rows.get(charset)
        if found is not None:
            return found
        found = self.rows[charset] = len(self.rows)
        if found == len(self.table):
            self.table = torch.cat([self.table, torch.zeros_like(self.table)])
        allowed = [char in charset for char in self.vocab.chars] + [False]
        self.table[found] = torch.tensor(allowed, device=self.device)
        return found

    def masks(self) -> torch.Tensor:
        """(n, vocab) booleans: True where a stream may take that character."""
        return self.table[torch.tensor(self.ids, device=self.device)]

    def advance(self, tokens: Sequence[int], active: Sequence[int]) -> None:
        """Advance the ``active`` streams by their new token (the others keep their state)."""
        if not active:
            return
        chars = [self.vocab.chars[tokens[i]] for i in active]
        states, charsets = self.guide.advance([self.states[i] for i in active], chars)
        for i, state, charset in zip(active, states, charsets):
            self.states[i], self.ids[i] = state, self.row(charset)
