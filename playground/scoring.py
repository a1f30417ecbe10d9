"""Scoring many samples: a domain's verdicts, and MOSES-style rates with Wilson intervals.

- valid rate: valid samples / samples;
- unique rate: distinct valid samples / valid samples;
- novel rate: over the distinct valid samples, the share of their novelty units (a name,
  a line; see ``Domain.units``) that the training corpus does not hold.

Each rate comes with a Wilson 95% interval, and the error categories with a histogram.
``BackgroundScorer`` scores batches on a worker thread, so that training never waits.

Bounds, checked before any work: a sample file (or stdin) holds at most MAX_INPUT_BYTES and
must be a regular file; one call scores at most MAX_SAMPLES samples; a sample of more than
MAX_SAMPLE_CHARS characters is "oversized". Some verdicts are given here, never by a plugin:
an empty or whitespace-only sample is "empty" and one that is not Unicode text (a lone
surrogate) is "not-unicode", both invalid. A checker stopped by the wall clock before it used
its CPU (a busy machine) says "undetermined": such a sample is scored once more, and if it
stays undetermined it is left out of the valid rate and counted apart.

A domain's callables (score, score_strict, split, units) are plugin code: each call runs
through ``plugin_call``, in a daemon thread, so that whatever it raises (SystemExit and
KeyboardInterrupt included; a real Ctrl-C reaches the waiting main thread) or a wrong return
type is one PlaygroundError naming the domain. It may take CALL_BASE_S plus CALL_PER_SAMPLE_S
per sample (per MiB of corpus for the novelty index's units); past that it is an error too, but the
thread cannot be killed and runs on, detached, until the process exits.
"""

from __future__ import annotations

import dataclasses
import json
import math
import queue
import statistics
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

from playground.domains import Domain, Score
from playground.errors import PlaygroundError, one_line
from playground.files import read_bounded
from playground.memo import remembered

Z95 = 1.959963984540054

MAX_INPUT_BYTES = 8 * 2**20  # one sample file, JSONL file or stdin
MAX_SAMPLES = 100_000  # samples in one call (the names corpus, 32,033 lines, fits)
MAX_SAMPLE_CHARS = 1_000_000  # one sample; a longer one is "oversized"
UNDETERMINED = "undetermined"
EMPTY = Score(False, 0.0, "empty", "an empty sample")
CALL_BASE_S = 60.0  # a domain's callable may take this long, plus the next per sample
CALL_PER_SAMPLE_S = 60.0


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

    valid: Rate  # over the samples with a verdict: undetermined ones are left out
    unique: Rate
    novel: Rate | None  # None when the corpus is not at hand
    categories: dict[str, int] = field(default_factory=dict)
    undetermined: int = 0
    ceiling: float | None = None  # the valid rate of real held-out units (playground.ceiling)
    valid_and_novel: Rate | None = None  # valid, mostly new units, not mostly copied; None without the corpus
    longest_copy_median: float | None = None  # characters (playground.memorisation)
    mostly_copied: int = 0  # samples whose longest copy is most of them

    @property
    def n(self) -> int:
        return self.valid.n + self.undetermined

    def to_dict(self) -> dict[str, Any]:
        novel, fresh = self.novel or Rate(0, 0), self.valid_and_novel or Rate(0, 0)
        return {
            "n": self.n,
            "valid": self.valid.k,
            "undetermined": self.undetermined,
            "valid_rate": self.valid.value, "valid_ci": ci_pair(self.valid.ci),
            "unique_rate": self.unique.value, "unique_ci": ci_pair(self.unique.ci),
            "novel_rate": novel.value, "novel_ci": ci_pair(novel.ci),
            "categories": self.categories, "ceiling": self.ceiling,
            "valid_and_novel_rate": fresh.value, "valid_and_novel_ci": ci_pair(fresh.ci),
            "longest_copy_median": self.longest_copy_median, "mostly_copied": self.mostly_copied,
        }


def ci_pair(ci: tuple[float, float] | None) -> list[float] | None:
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
    """The verdict on each sample: ``screen``'s, else the domain's (its strict check with
    ``strict``), checked; a sample left undetermined is scored once more."""
    scorer = check_scorer(domain, strict)
    if len(samples) > MAX_SAMPLES:
        raise PlaygroundError(f"{len(samples):,} samples to score; at most {MAX_SAMPLES:,} at a time")
    scores = [screen(sample) for sample in samples]
    todo = [i for i, score in enumerate(scores) if score is None]
    for _ in range(2):  # the second time, for the undetermined only
        if todo:
            for i, score in zip(todo, _ask(domain, scorer, [samples[i] for i in todo])):
                scores[i] = score
            todo = [i for i in todo if scores[i].category == UNDETERMINED]
    return scores  # type: ignore[return-value]  # every None was replaced


def screen(sample: str) -> Score | None:
    """The verdict on a sample that no plugin is asked about (empty, oversized, not Unicode
    text), or None."""
    if len(sample) > MAX_SAMPLE_CHARS:
        return Score(False, 0.0, "oversized", f"{len(sample):,} characters; at most {MAX_SAMPLE_CHARS:,} are scored")
    if not sample.strip():
        return EMPTY
    bad = lone_surrogate(sample)
    return None if bad is None else Score(False, 0.0, "not-unicode", f"a lone surrogate at character {bad + 1}")


def lone_surrogate(text: str) -> int | None:
    """Where ``text`` holds a lone surrogate (no Unicode text does), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def plugin_call(name: str, what: str, call: Callable[[], Any], n: int = 1) -> Any:
    """``call()``'s value, run isolated (``plugins.isolated``) for at most CALL_BASE_S +
    n * CALL_PER_SAMPLE_S; anything it raises, or a timeout, is a PlaygroundError naming
    domain ``name``'s ``what``."""
    from playground.plugins import isolated

    limit = CALL_BASE_S + n * CALL_PER_SAMPLE_S
    outcome = isolated(call, limit, name=f"{name} {what}")
    if isinstance(outcome.exception, PlaygroundError):
        raise outcome.exception
    if outcome.raised:
        raise PlaygroundError(f"the {name} domain's {what} failed: {outcome.error}") from outcome.exception
    if outcome.error:
        raise PlaygroundError(f"the {name} domain's {what} {outcome.error} "
                              "(it runs on in the background: a thread cannot be stopped)")
    return outcome.value


def _strings(name: str, what: str, value: object) -> list[str]:
    """``value`` when it is a list of str, else a PlaygroundError naming the domain's ``what``."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        bad = value if not isinstance(value, list) else next(i for i in value if not isinstance(i, str))
        raise PlaygroundError(f"the {name} domain's {what} returned {type(bad).__name__} "
                              f"{repr(bad)[:60]}; it must return a list of str")
    return value


def _ask(domain: Domain, scorer: Callable[[list[str]], list[Score]], samples: list[str]) -> list[Score]:
    """The plugin's verdicts, checked: one well-formed Score per sample."""
    scores = plugin_call(domain.name, "scorer", lambda: list(scorer(samples)), len(samples))
    if len(scores) != len(samples):
        raise PlaygroundError(f"the {domain.name} scorer returned {len(scores)} scores for {len(samples)} samples")
    for s in scores:
        if not well_formed(s):
            shown = repr(s).replace("\n", " ")[:200]
            raise PlaygroundError(f"the {domain.name} scorer returned {shown}; a Score needs valid: bool, value: "
                                  "a number that must lie in [0, 1], category: a non-empty str, detail: str")
    return scores


def well_formed(score: object) -> bool:
    """Whether ``score`` is a Score of the right types, its value in [0, 1] (so not NaN)."""
    return (isinstance(score, Score) and isinstance(score.valid, bool)
            and isinstance(score.value, (int, float)) and not isinstance(score.value, bool)
            and 0.0 <= score.value <= 1.0 and isinstance(score.category, str) and bool(score.category)
            and isinstance(score.detail, str))


def novelty_index(domain: Domain) -> frozenset[str] | None:
    """The novelty units of the training corpus, or None when the corpus is not at hand."""
    from playground.corpora import corpus_text

    try:
        text = corpus_text(domain)
    except PlaygroundError:
        return None
    return remembered(_indexes, (domain.name, domain.units, text), lambda: _index(domain, text))


_indexes: dict[tuple, frozenset[str]] = {}  # per domain, units function and corpus text (its hash is kept)


def _index(domain: Domain, text: str) -> frozenset[str]:
    found = plugin_call(domain.name, "units", lambda: domain.unit_texts(text), 1 + len(text) // 2**20)
    return frozenset(_strings(domain.name, "units", found))


def unit_lists(domain: Domain, samples: Sequence[str]) -> list[list[str]]:
    """Each sample's units (``Domain.unit_texts``), in one checked plugin call."""
    found = plugin_call(domain.name, "units", lambda: [domain.unit_texts(s) for s in samples], len(samples))
    return [_strings(domain.name, "units", units) for units in found]


def novel_counts(units: list[str], index: frozenset[str]) -> tuple[int, int]:
    """(novel units, units) of one sample: its names or lines that the corpus lacks."""
    return sum(u not in index for u in units), len(units)


def novelty(domain: Domain, samples: Sequence[str], index: frozenset[str] | None) -> list[float | None]:
    """Each sample's share of novel units (None without the corpus, or with no units)."""
    if index is None:
        return [None] * len(samples)
    return [Rate(*novel_counts(units, index)).value for units in unit_lists(domain, samples)]


def measure(domain: Domain, samples: Sequence[str], scores: Sequence[Score],
            index: frozenset[str] | None = None) -> Rates:
    """Valid, unique and novel rates of scored samples; novelty against ``index``. The
    undetermined samples are counted apart, outside the valid rate."""
    judged = [(s, score) for s, score in zip(samples, scores) if score.category != UNDETERMINED]
    valid = [s for s, score in judged if score.valid]
    distinct = list(dict.fromkeys(valid))
    novel = None
    if index is not None:
        counts = [novel_counts(units, index) for units in unit_lists(domain, distinct)]
        novel = Rate(sum(k for k, _ in counts), sum(n for _, n in counts))
    categories = Counter(score.category for score in scores)
    return Rates(Rate(len(valid), len(judged)), Rate(len(distinct), len(valid)), novel,
                 dict(categories.most_common()), undetermined=len(samples) - len(judged))


@dataclass(frozen=True)
class Judgement:
    """Verdicts on a batch: each sample's score, share of novel units and longest copy
    (None without the corpus), and the rates."""

    scores: list[Score]
    novel: list[float | None]
    rates: Rates
    copies: list[int | None] = field(default_factory=list)


def judge(domain: Domain, samples: Sequence[str], strict: bool = False) -> Judgement:
    """Verdicts, novelty and rates, with the ceiling beside them (measured first if need be)."""
    from playground.ceiling import ceiling

    from playground.memorisation import copy_lengths, mostly_copied

    scores = score_samples(domain, samples, strict)
    index = novelty_index(domain)
    novel, copies = novelty(domain, samples, index), copy_lengths(domain, samples)
    found = ceiling(domain, strict)
    judged = [(s, sc, nv, cp) for s, sc, nv, cp in zip(samples, scores, novel, copies) if sc.category != UNDETERMINED]
    fresh = None
    if index is not None and copies[0:1] != [None]:
        fresh = Rate(sum(sc.valid and (nv or 0) >= 0.5 and not mostly_copied(s, cp) for s, sc, nv, cp in judged),
                     len(judged))
    known = [(s, cp) for s, _, _, cp in judged if cp is not None]  # over the samples with a verdict, as the rates
    rates = dataclasses.replace(
        measure(domain, samples, scores, index), ceiling=found.valid.value if found else None, valid_and_novel=fresh,
        longest_copy_median=statistics.median(cp for _, cp in known) if known else None,
        mostly_copied=sum(mostly_copied(s, cp) for s, cp in known))
    return Judgement(scores, novel, rates, copies)


@dataclass(frozen=True)
class Scored:
    """A finished background batch: its judgement, or the error its scorer raised."""

    step: int
    samples: list[str]
    judgement: Judgement | None = None
    error: str = ""
    guided: bool = False


class BackgroundScorer:
    """Scores batches on one daemon thread (subprocess scorers fan out from there), so that
    the caller never waits: ``submit`` a batch, later collect it with ``finished``."""

    def __init__(self, domain: Domain, strict: bool = False):
        self.domain, self.strict = domain, strict
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._pending: list[Future[Scored]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._work, name=f"score-{domain.name}", daemon=True).start()

    def submit(self, step: int, samples: list[str], guided: bool = False) -> None:
        future: Future[Scored] = Future()
        with self._lock:
            self._pending.append(future)
        self._jobs.put((future, step, samples, guided))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, *batch = job
            if not future.set_running_or_notify_cancel():  # dropped by close
                continue
            try:
                future.set_result(self._score(*batch))
            except BaseException as exc:  # whoever waits for it gets it, as from an executor
                future.set_exception(exc)

    def _score(self, step: int, samples: list[str], guided: bool) -> Scored:
        try:
            return Scored(step, samples, judge(self.domain, samples, self.strict), guided=guided)
        except Exception as exc:  # a plugin's scorer failed: report its own error, keep training
            return Scored(step, samples, error=one_line(exc.__cause__ or exc), guided=guided)

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
        """Drop the batches not collected, without waiting: one being scored is let go (its
        daemon thread neither reports it nor keeps the process alive) and the thread ends."""
        with self._lock:
            for future in self._pending:
                future.cancel()
            self._pending.clear()
        self._jobs.put(None)


def read_samples(domain: Domain, files: Sequence[str] = (), jsonl: Sequence[str] = (),
                 stdin: Callable[[int], bytes | str] | None = None) -> list[tuple[str, str]]:
    """(source, sample) pairs: each file is one sample, or one per line for a corpus of
    lines ("names.txt:3"); ``-`` reads ``stdin`` (``stdin(n)`` returns at most n bytes); a
    JSONL file holds ``{"text": ...}`` rows (``playground sample --json``). An input past a
    bound (see the module) is a PlaygroundError, raised before anything is scored."""
    pairs: list[tuple[str, str]] = []
    for name in files:
        text = _decode(_read_stdin(stdin), "stdin") if name == "-" and stdin else _read(name)
        label = "stdin" if name == "-" else name
        if domain.corpus.kind == "lines" and domain.split is None:
            more = [(f"{label}:{i}", line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
        else:
            parts = plugin_call(domain.name, "split", lambda: domain.split_samples(text))
            parts = _strings(domain.name, "split", parts)
            more = [(label if len(parts) == 1 else f"{label}#{i}", part) for i, part in enumerate(parts, 1)]
        pairs += _bounded(more, len(pairs))
    for name in jsonl:
        pairs += _bounded(_jsonl_samples(name), len(pairs))
    return pairs


def _jsonl_samples(name: str) -> list[tuple[str, str]]:
    pairs = []
    for i, line in enumerate(_read(name).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:  # a JSONDecodeError, or an integer past Python's digit limit
            raise PlaygroundError(f"{name}:{i} is not JSON that can be read ({getattr(exc, 'msg', exc)})") from None
        except RecursionError:
            raise PlaygroundError(f"{name}:{i} is not JSON that can be read (nested too deeply)") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise PlaygroundError(f"{name}:{i} has no \"text\"; --jsonl reads `playground sample --json` output")
        if lone_surrogate(row["text"]) is not None:
            raise PlaygroundError(f"{name}:{i}: its \"text\" is not Unicode text (it holds a lone surrogate)")
        pairs.append((f"{name}:{i}", row["text"]))
    return pairs


def _bounded(pairs: list[tuple[str, str]], before: int) -> list[tuple[str, str]]:
    """``pairs``, which follow ``before`` others, once they are known to keep within the bounds."""
    if before + len(pairs) > MAX_SAMPLES:
        raise PlaygroundError(f"more than {MAX_SAMPLES:,} samples to score; give them in smaller batches")
    for source, sample in pairs:
        if len(sample) > MAX_SAMPLE_CHARS:
            raise PlaygroundError(f"{source} holds {len(sample):,} characters; "
                                  f"a sample may hold at most {MAX_SAMPLE_CHARS:,}")
    return pairs


def _read_stdin(stdin: Callable[[int], bytes | str]) -> bytes | str:
    try:
        data = stdin(MAX_INPUT_BYTES + 1)
    except UnicodeDecodeError:  # a text-mode stdin decodes as it reads
        raise PlaygroundError("stdin is not UTF-8 text") from None
    if len(data) > MAX_INPUT_BYTES:
        raise PlaygroundError(f"stdin holds more than {MAX_INPUT_BYTES:,} bytes, the limit for samples to score")
    return data


def _read(name: str) -> str:
    """A sample file's text: a regular file of at most MAX_INPUT_BYTES, in UTF-8."""
    return _decode(read_bounded(name, MAX_INPUT_BYTES, "sample file"), name)


def _decode(data: bytes | str, name: str) -> str:
    """Strict UTF-8; text read with surrogateescape (a text-mode stdin) holds lone surrogates."""
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise PlaygroundError(f"{name} is not UTF-8 text") from None
    if lone_surrogate(data) is not None:
        raise PlaygroundError(f"{name} is not UTF-8 text")
    return data
