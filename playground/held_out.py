"""Real text the model never trained on: the validation split of a domain's corpus (the last
10% of its characters, as training splits it), cut into the domain's units. The ceiling scores
these units; a warm start runs the model over the text just before one of them."""

from __future__ import annotations

from playground.domains import Domain
from playground.errors import PlaygroundError
from playground.memo import remembered
from playground.units import Span

UNITS = 200  # held-out units a ceiling scores, spread evenly over the split
WARMUPS = 64  # warm-up texts to draw from, spread evenly over the split
WARMUP_CHARS = 256  # each one: the text just before a unit starts
MAX_UNIT_CHARS = 20_000  # a longer unit (a whole chapter without a blank line) is left out


def held_out_text(domain: Domain) -> str:
    """The validation split of the domain's corpus (a PlaygroundError when it is missing)."""
    from playground.corpora import corpus_text
    from playground.engine.split import train_size

    text = corpus_text(domain)
    return text[train_size(len(text)):]


def held_out_units(domain: Domain) -> list[str]:
    """Up to UNITS of the split's units, spread evenly, each at most MAX_UNIT_CHARS long. The
    first is left out: the split may start inside it."""
    text = held_out_text(domain)
    units = [text[a:b].strip() for a, b in _spans(domain, text)[1:] if b - a <= MAX_UNIT_CHARS]
    return _spread([unit for unit in units if unit], UNITS)


def warmups(domain: Domain) -> list[str]:
    """Texts of WARMUP_CHARS characters that end where a held-out unit starts; [] when the
    corpus is not at hand or the domain's units fail (sampling then starts from a zero state)."""
    try:
        text = held_out_text(domain)
        starts = [a for a, _ in _spans(domain, text) if a >= WARMUP_CHARS]
    except PlaygroundError:
        return []
    return [text[a - WARMUP_CHARS:a] for a in _spread(starts, WARMUPS)]


_found: dict[tuple, list[Span]] = {}


def _spans(domain: Domain, text: str) -> list[Span]:
    """The split's units, found once per domain and text (the plugin's code, run isolated)."""
    from playground.scoring import plugin_call

    return remembered(_found, (domain.name, domain.units, text),
                      lambda: plugin_call(domain.name, "units", lambda: domain.unit_spans(text), 1 + len(text) // 2**16))


def _spread(items: list, n: int) -> list:
    """``n`` of ``items`` at even steps (all of them when there are no more than ``n``)."""
    if len(items) <= n:
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]
