"""What a domain is: its corpus, how samples are post-processed and scored, its defaults."""

from __future__ import annotations

import dataclasses
import difflib
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from playground.errors import PlaygroundError
from playground.units import Span, Units, cut_after, lines, unit_texts

CorpusKind = Literal["stream", "lines"]


@dataclass(frozen=True)
class Score:
    """The verdict on one sample."""

    valid: bool
    value: float  # in [0, 1]: how close to valid (1.0 when valid, unless the domain says otherwise)
    category: str = "ok"  # error class, e.g. "undefined-control-sequence", or "ok"
    detail: str = ""  # the first relevant error line

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Source:
    """One upstream file. ``sha256`` pins its bytes where they are known."""

    url: str
    sha256: str | None = None
    filename: str | None = None  # name to store it under; defaults to the URL's last segment

    @property
    def name(self) -> str:
        return self.filename or self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Corpus:
    """Where a domain's training text comes from and how it is put together.

    ``sources`` are downloaded into one folder. Without ``assemble`` there must be exactly
    one source and it is the corpus; with it, ``assemble(folder) -> bytes`` builds the
    corpus from that folder (which may also be a local checkout given with ``--from``).
    ``sha256`` pins the finished corpus where it is known. ``bundled`` is a copy shipped inside
    the plugin's package (small, freely licensed corpora only): found before any other, it makes
    the domain work offline right after install; it must match ``sha256``.
    """

    sources: tuple[Source, ...] = ()
    license: str = "unknown"
    kind: CorpusKind = "stream"  # a character stream, or one example per line
    sha256: str | None = None
    assemble: Callable[[Path], bytes] | None = None
    homepage: str = ""
    path: Path | None = None  # a fixed local file (ad-hoc text domains)
    bundled: Path | None = None  # a pinned copy inside the package, used before any corpus folder


@dataclass(frozen=True)
class Domain:
    """A kind of text the playground can learn, sample and judge.

    ``defaults`` holds flat config overrides (``{"hidden": 512, "temperature": 0.8}``),
    applied over the built-in defaults and under a config file and flags.
    """

    name: str
    description: str
    corpus: Corpus
    postprocess: Sequence[Callable[[str], str]] = ()
    score: Callable[[list[str]], list[Score]] | None = None
    score_strict: Callable[[list[str]], list[Score]] | None = None  # a slower, stricter check (--strict)
    repair: Callable[[str], str] | None = None  # closes what a sample left open (--repair)
    units: Units | None = None  # a text's complete units (see playground.units); default: its lines
    fold: Callable[[str], str] | None = None  # a unit as novelty compares it (names: str.lower)
    requires: Sequence[str] = ()  # external programs the scorer uses
    split: Callable[[str], list[str]] | None = None  # one file's text -> samples
    stop: str | None = None  # sampling stops a sample at this string
    guide: Callable[[], Any] | None = None  # builds its playground.guide.Guide (for --guided)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    plugin: str = ""  # set by the plugin host: which plugin registered it

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum() or self.name != self.name.lower():
            raise ValueError(f"domain name {self.name!r} must be a lowercase identifier")
        if self.corpus.kind not in ("stream", "lines"):
            raise ValueError(f"domain {self.name!r}: corpus kind must be 'stream' or 'lines'")

    def missing_tools(self) -> list[str]:
        return [tool for tool in self.requires if shutil.which(tool) is None]

    def finish(self, text: str) -> str:
        """A raw sample after the domain's post-processing steps."""
        for step in self.postprocess:
            text = step(text)
        return text

    def unit_spans(self, text: str) -> list[Span]:
        """The spans of the text's complete units (the plugin's answer, checked)."""
        spans = (self.units or lines)(text)
        if not isinstance(spans, list) or not all(_is_span(span, len(text)) for span in spans):
            raise ValueError(f"the {self.name} domain's units must be a list of (start, end) spans within the text")
        return spans

    def cut(self, text: str) -> str:
        """A sample that reached its length, cut after its last complete unit ("" without one);
        kept whole by a domain that declares no units."""
        return cut_after(text, self.unit_spans(text)) if self.units else text

    def count(self, text: str) -> int:
        return len(self.unit_spans(text))

    def unit_texts(self, text: str) -> list[str]:
        """A finished text's units, stripped (what novelty compares with the corpus). Its end
        ends its last unit: they are found as if a blank line followed."""
        padded = text + "\n\n"
        found = unit_texts(padded, self.unit_spans(padded))
        return [self.fold(unit) for unit in found] if self.fold else found

    def split_samples(self, text: str) -> list[str]:
        if self.split is not None:
            return self.split(text)
        if self.corpus.kind == "lines":
            return [line for line in text.splitlines() if line.strip()]
        return [text]


def _is_span(span: object, size: int) -> bool:
    return (isinstance(span, tuple) and len(span) == 2 and all(type(i) is int for i in span)
            and 0 <= span[0] <= span[1] <= size)


def per_sample(score_one: Callable[[str], Score], parallel: bool = False) -> Callable[[list[str]], list[Score]]:
    """A batch scorer (for ``Domain.score``) from a function that judges one sample; with
    ``parallel``, one sample per core at a time (for a checker that runs a program)."""

    def score(samples: list[str]) -> list[Score]:
        if not parallel:
            return [score_one(sample) for sample in samples]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            return list(pool.map(score_one, samples))

    return score


def text_domain(path: Path) -> Domain:
    """A generic domain for an ad-hoc UTF-8 text file: train on anything."""
    return Domain(
        name="text",
        description=f"ad-hoc text from {path}",
        corpus=Corpus(path=path.resolve(), license="yours"),
    )


def get_domain(name_or_path: str, domains: Mapping[str, Domain]) -> Domain:
    """Find a registered domain by name, or treat an existing file as ad-hoc text."""
    if name_or_path in domains:
        return domains[name_or_path]
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return text_domain(path)
    if path.exists():
        raise PlaygroundError(f"{name_or_path} is not a file; give a domain name or a UTF-8 text file")
    if "/" in name_or_path or path.suffix:  # meant as a file: say that it is missing
        raise PlaygroundError(f"{name_or_path}: no such file (give a domain name or a UTF-8 text file)")
    close = difflib.get_close_matches(name_or_path, list(domains), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    known = ", ".join(sorted(domains)) or "none"
    raise PlaygroundError(f"unknown domain {name_or_path!r}{hint}; known domains: {known}")
