"""The ceiling: how valid real text is when it is scored the way samples are. Held-out units
(playground.held_out) are scored, and so is one mutation of each (its last closer, ``$``,
``;`` or ``:`` dropped), which a checker that means anything must reject. A rate of samples
stands beside the ceiling: 34% valid means little until one knows real text scores 99%.

Measured once per corpus version, checker and check (``--strict`` or not), and cached in
PLAYGROUND_CACHE (default: PLAYGROUND_HOME/cache) as one small JSON file each.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType

from playground import __version__
from playground.atomic import write_text_atomic
from playground.domains import Domain
from playground.scoring import UNDETERMINED, Rate, ci_pair, score_samples

MUTABLE = "}])$;:"  # a unit's last one of these is dropped to make its mutation


@dataclass(frozen=True)
class Ceiling:
    valid: Rate  # held-out units that pass
    rejected: Rate  # their mutations that fail (n = 0: none could be made)

    def to_dict(self) -> dict:
        return {"ceiling": self.valid.value, "ceiling_ci": ci_pair(self.valid.ci), "ceiling_n": self.valid.n,
                "mutations_rejected": self.rejected.value, "mutations_n": self.rejected.n}

    @classmethod
    def from_dict(cls, data: dict) -> Ceiling:
        valid = round(data["ceiling"] * data["ceiling_n"]) if data["ceiling_n"] else 0
        rejected = round((data["mutations_rejected"] or 0) * data["mutations_n"])
        return cls(Rate(valid, data["ceiling_n"]), Rate(rejected, data["mutations_n"]))


def cache_root() -> Path:
    """Where measurements that outlive a run are kept: ceilings and suffix arrays."""
    from playground.corpora import home

    return Path(os.environ.get("PLAYGROUND_CACHE") or home() / "cache")


def ceiling(domain: Domain, strict: bool = False, measure: bool = True) -> Ceiling | None:
    """The domain's ceiling: cached, else measured (when ``measure``) and cached; None when the
    corpus is missing, it is not measured yet, or the domain's code failed on the real units."""
    from playground.corpora import verified_corpus
    from playground.errors import PlaygroundError

    try:
        _, corpus_sha = verified_corpus(domain)
    except PlaygroundError:
        return None
    path = cache_root() / "ceilings" / f"{domain.name}-{_key(domain, corpus_sha, strict)}.json"
    if path.is_file():
        try:
            return Ceiling.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged cache entry is measured again
    if not measure:
        return None
    try:
        found = measured(domain, strict)
    except PlaygroundError:  # the domain's units or scorer failed on real text: no ceiling to show
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(found.to_dict()))
    except OSError:
        pass  # an unwritable cache: measured again next time
    return found


def measured(domain: Domain, strict: bool = False) -> Ceiling:
    """Score the held-out units and their mutations (one batch each)."""
    from playground.held_out import held_out_units

    units = held_out_units(domain)
    mutations = [m for m in map(mutated, units) if m is not None]
    verdicts = score_samples(domain, units + mutations, strict)
    return Ceiling(_rate(verdicts[:len(units)], valid=True), _rate(verdicts[len(units):], valid=False))


def mutated(unit: str) -> str | None:
    """``unit`` without its last closer, ``$``, ``;`` or ``:`` (None when it has none)."""
    at = max(unit.rfind(char) for char in MUTABLE)
    return unit[:at] + unit[at + 1:] if at >= 0 else None


def _rate(verdicts: list, valid: bool) -> Rate:
    judged = [v for v in verdicts if v.category != UNDETERMINED]
    return Rate(sum(v.valid == valid for v in judged), len(judged))


def _key(domain: Domain, corpus_sha: str, strict: bool) -> str:
    """What the ceiling depends on: the corpus; the source files beside the checker's and the
    units' code (their plugin's) and playground's own that draw, mutate, sandbox and score the
    units; its version; the check; and the tools the checker runs (each known by its file's
    path, size and time, or as missing)."""
    from playground.held_out import UNITS

    digest = hashlib.sha256(f"{corpus_sha} {__version__} {strict} {UNITS} {MUTABLE} {_tools(domain)}".encode())
    folders = {Path(f).parent for f in _sources(domain.score_strict if strict else domain.score) | _sources(domain.units)}
    shared = [Path(__file__).with_name(name)
              for name in ("ceiling.py", "held_out.py", "sandbox.py", "scoring.py", "units.py")]
    for path in sorted(p for folder in folders for p in folder.glob("*.py")) + shared:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _tools(domain: Domain) -> str:
    """Each required tool's real file, size and modification time: an upgrade of pdflatex or gcc
    is a new checker. A missing tool is named too (its checker falls back to another check)."""
    found = []
    for tool in domain.requires:
        where = shutil.which(tool)
        if where is None:
            found.append(f"{tool}:missing")
            continue
        real = Path(where).resolve()
        stat = real.stat()
        found.append(f"{tool}:{real}:{stat.st_size}:{stat.st_mtime_ns}")
    return " ".join(found)


def _sources(fn: object, depth: int = 3) -> set[str]:
    """The files that hold ``fn``'s code and that of the functions in its closure (so that a
    checker made with ``per_sample`` is known by its plugin's file, not playground's)."""
    if not isinstance(fn, FunctionType) or depth == 0:
        return set()
    found = {fn.__code__.co_filename}
    for cell in fn.__closure__ or ():
        try:
            found |= _sources(cell.cell_contents, depth - 1)
        except ValueError:  # an empty cell
            pass
    return found
