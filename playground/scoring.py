"""Scoring many samples: a domain's verdicts, and MOSES-style rates with Wilson intervals.

- valid rate: valid samples / samples;
- unique rate: distinct valid samples / valid samples;
- novel rate: over the distinct valid samples, the share of their novelty units (a name,
  a line; see ``Domain.novelty_units``) that the training corpus does not hold.

Each rate comes with a Wilson 95% interval, and the error categories with a histogram.
``BackgroundScorer`` scores batches on a worker thread, so that training never waits.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from playground.domains import Domain, Score, lines_of
from playground.errors import PlaygroundError, one_line

Z95 = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float] | None:
    """The Wilson score interval (95%) for k successes out of n; None when n is 0."""
    if n == 0:
        return None
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


@dataclass(frozen=True)
class Rate:
    k: int
    n: int

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def ci(self) -> tuple[float, float] | None:
        return wilson(self.k, self.n)


@dataclass(frozen=True)
class Rates:
    """The aggregate over one batch of scored samples."""

    valid: Rate
    unique: Rate
    novel: Rate | None  # None when the corpus is not at hand
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.valid.n

    def to_dict(self) -> dict[str, Any]:
        novel = self.novel or Rate(0, 0)
        return {
            "n": self.n,
            "valid": self.valid.k,
            "valid_rate": self.valid.value, "valid_ci": _pair(self.valid.ci),
            "unique_rate": self.unique.value, "unique_ci": _pair(self.unique.ci),
            "novel_rate": novel.value, "novel_ci": _pair(novel.ci),
            "categories": self.categories,
        }


def _pair(ci: tuple[float, float] | None) -> list[float] | None:
    return [round(bound, 6) for bound in ci] if ci else None


def check_scorer(domain: Domain | None, strict: bool = False) -> Callable[[list[str]], list[Score]]:
    """The domain's scorer (its strict check with ``strict``), or a PlaygroundError."""
    if domain is None:
        raise PlaygroundError("scoring needs the run's domain, and this checkpoint's is not registered "
                              "(is its plugin installed?)")
    scorer = domain.score_strict if strict else domain.score
    if scorer is None:
        what = "strict check (--strict)" if strict else "validity scorer"
        raise PlaygroundError(f"domain {domain.name!r} has no {what}")
    return scorer


def score_samples(domain: Domain, samples: Sequence[str], strict: bool = False) -> list[Score]:
    """The domain's verdict on each sample (its strict check with ``strict``), checked."""
    scorer = check_scorer(domain, strict)
    scores = list(scorer(list(samples)))
    if len(scores) != len(samples):
        raise PlaygroundError(f"the {domain.name} scorer returned {len(scores)} scores for {len(samples)} samples")
    for s in scores:
        if not isinstance(s, Score) or not 0.0 <= s.value <= 1.0:
            raise PlaygroundError(f"the {domain.name} scorer returned {s!r}; a Score's value must lie in [0, 1]")
    return scores


def novelty_index(domain: Domain) -> frozenset[str] | None:
    """The novelty units of the training corpus, or None when the corpus is not at hand."""
    from playground.corpora import corpus_text

    try:
        text = corpus_text(domain)
    except PlaygroundError:
        return None
    return _units(domain.novelty or lines_of, text)


@lru_cache(maxsize=4)
def _units(novelty_units: Callable[[str], list[str]], text: str) -> frozenset[str]:
    """Cached per function and corpus text (the same str object: its hash is kept)."""
    return frozenset(novelty_units(text))


def novel_counts(domain: Domain, sample: str, index: frozenset[str]) -> tuple[int, int]:
    """(novel units, units) of one sample: its names or lines that the corpus lacks."""
    units = domain.novelty_units(sample)
    return sum(u not in index for u in units), len(units)


def novelty(domain: Domain, samples: Sequence[str], index: frozenset[str] | None) -> list[float | None]:
    """Each sample's share of novel units (None without the corpus, or with no units)."""
    if index is None:
        return [None] * len(samples)
    return [Rate(*novel_counts(domain, s, index)).value for s in samples]


def measure(domain: Domain, samples: Sequence[str], scores: Sequence[Score],
            index: frozenset[str] | None = None) -> Rates:
    """Valid, unique and novel rates of scored samples; novelty against ``index``."""
    valid = [s for s, score in zip(samples, scores) if score.valid]
    distinct = list(dict.fromkeys(valid))
    novel = None
    if index is not None:
        counts = [novel_counts(domain, s, index) for s in distinct]
        novel = Rate(sum(k for k, _ in counts), sum(n for _, n in counts))
    categories = Counter(score.category for score in scores)
    return Rates(Rate(len(valid), len(samples)), Rate(len(distinct), len(valid)), novel,
                 dict(categories.most_common()))


@dataclass(frozen=True)
class Judgement:
    """Verdicts on a batch: each sample's score and share of novel units, and the rates."""

    scores: list[Score]
    novel: list[float | None]
    rates: Rates


def judge(domain: Domain, samples: Sequence[str], strict: bool = False) -> Judgement:
    scores = score_samples(domain, samples, strict)
    index = novelty_index(domain)
    return Judgement(scores, novelty(domain, samples, index), measure(domain, samples, scores, index))


@dataclass(frozen=True)
class Scored:
    """A finished background batch: its judgement, or the error its scorer raised."""

    step: int
    samples: list[str]
    judgement: Judgement | None = None
    error: str = ""


class BackgroundScorer:
    """Scores batches on one worker thread (subprocess scorers fan out from there), so that
    the caller never waits: ``submit`` a batch, later collect it with ``finished``."""

    def __init__(self, domain: Domain, strict: bool = False):
        self.domain, self.strict = domain, strict
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"score-{domain.name}")
        self._pending: list[Future[Scored]] = []
        self._lock = threading.Lock()

    def submit(self, step: int, samples: list[str]) -> None:
        with self._lock:
            self._pending.append(self._pool.submit(self._score, step, samples))

    def _score(self, step: int, samples: list[str]) -> Scored:
        try:
            return Scored(step, samples, judge(self.domain, samples, self.strict))
        except Exception as exc:  # a plugin's scorer failed: report it, keep training
            return Scored(step, samples, error=one_line(exc))

    def finished(self, wait: bool = False) -> list[Scored]:
        """The batches done so far, in submission order; with ``wait``, all of them."""
        with self._lock:
            done = []
            while self._pending and (wait or self._pending[0].done()):
                done.append(self._pending.pop(0).result())
            return done

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def read_samples(domain: Domain, files: Sequence[str] = (), jsonl: Sequence[str] = (),
                 stdin: Callable[[], str] | None = None) -> list[tuple[str, str]]:
    """(source, sample) pairs: each file is one sample, or one per line for a corpus of
    lines ("names.txt:3"); ``-`` reads ``stdin``; a JSONL file holds ``{"text": ...}`` rows
    (``playground sample --json``)."""
    pairs: list[tuple[str, str]] = []
    for name in files:
        text = stdin() if name == "-" and stdin else _read(name)
        label = "stdin" if name == "-" else name
        if domain.corpus.kind == "lines" and domain.split is None:
            pairs += [(f"{label}:{i}", line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
        else:
            parts = domain.split_samples(text)
            pairs += [(label if len(parts) == 1 else f"{label}#{i}", part) for i, part in enumerate(parts, 1)]
    for name in jsonl:
        for i, line in enumerate(_read(name).splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PlaygroundError(f"{name}:{i} is not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise PlaygroundError(f"{name}:{i} has no \"text\"; --jsonl reads `playground sample --json` output")
            pairs.append((f"{name}:{i}", row["text"]))
    return pairs


def _read(name: str) -> str:
    try:
        return Path(name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PlaygroundError(f"{name} is not UTF-8 text") from None
    except OSError as exc:
        raise PlaygroundError(f"cannot read {name}: {exc.strerror or exc}") from None
