"""A few results kept in memory, for values too costly to compute twice (a corpus read, its units)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


def remembered(cache: dict, key: Hashable, compute: Callable[[], T], keep: int = 4) -> T:
    """``cache[key]``, computed once; the oldest entry goes once ``keep`` are held."""
    if key not in cache:
        if len(cache) >= keep:
            cache.pop(next(iter(cache)))
        cache[key] = compute()
    return cache[key]
