"""A cell race: each cell sized to the same parameter count and trained for the same wall-clock
budget on one domain, one after another (never side by side, so no cell gets a bigger share of
the machine), each a normal run folder that the TUI and the report open.

Colah's post ends on the finding that the LSTM's variants perform about the same (Greff et al.,
"LSTM: A Search Space Odyssey"); a race shows it, or not, on your corpus and machine.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playground.domains import Domain
from playground.errors import PlaygroundError
from playground.events import EvalCompleted, Event, RunStarted, StepCompleted, ValidityMeasured

MAX_HIDDEN = 1 << 14


@dataclass
class Entry:
    """One cell's result: what it was, how far it got and how good it is."""

    cell: str
    hidden: int
    params: int = 0
    steps: int = 0
    chars_per_s: float = 0.0  # median over its steps
    val_loss: float | None = None  # nats/char on the full validation split, at the end
    valid: dict[str, Any] | None = None  # the last validity measurement's rates (raw samples)
    run_dir: str = ""
    curve: list[tuple[float, float]] = field(default_factory=list)  # (seconds, full-val nats/char)

    @property
    def bits(self) -> float | None:
        return None if self.val_loss is None else self.val_loss / math.log(2)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "bits_per_char": self.bits}


def parse_cells(text: str, known: Sequence[str]) -> list[str]:
    cells = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in cells if c not in known]
    if unknown or not cells:
        raise PlaygroundError(f"--cells takes names from {', '.join(known)}, separated by commas, not {text!r}")
    if len(set(cells)) != len(cells):
        raise PlaygroundError(f"--cells names a cell twice: {text!r}")
    return cells


def parse_params(text: str) -> int:
    """1M, 250k, 2.5M or a plain number."""
    scale = {"k": 1e3, "m": 1e6}.get(text[-1:].lower(), 1)
    try:
        value = float(text[:-1] if scale != 1 else text) * scale
    except ValueError:
        value = 0
    if not 1e3 <= value <= 1e9:
        raise PlaygroundError(f"--params takes a count such as 1M or 250k, from 1k to 1G, not {text!r}")
    return int(value)


def sized(cell: str, params: int, vocab: int, layers: int, embed: int) -> int:
    """The hidden size that brings ``cell`` closest to ``params`` parameters (counted on
    torch's meta device: nothing is allocated)."""
    low, high = 1, MAX_HIDDEN
    while low < high:  # the smallest hidden size with at least ``params`` parameters
        mid = (low + high) // 2
        if count(cell, mid, vocab, layers, embed) < params:
            low = mid + 1
        else:
            high = mid
    return min((low, max(1, low - 1)), key=lambda h: abs(count(cell, h, vocab, layers, embed) - params))


def count(cell: str, hidden: int, vocab: int, layers: int, embed: int) -> int:
    import torch

    from playground.engine.config import ModelConfig
    from playground.engine.model import CharRNN, n_params

    with torch.device("meta"):
        return n_params(CharRNN(ModelConfig(cell=cell, hidden=hidden, layers=layers, embed=embed), vocab))


def race(domain: Domain, cells: Sequence[str], params: int, budget: float, folder: Path,
         settings: Mapping[str, Any], watch: Callable[[str, Event], None]) -> Iterator[Entry]:
    """Train each cell for ``budget`` seconds into ``folder/CELL``; yield its Entry when it ends.
    ``watch(cell, event)`` sees every event (for a progress line)."""
    from playground.corpora import corpus_text
    from playground.run import run_training

    layers, embed = settings.get("layers") or 2, settings.get("embed") or 64
    vocab = min(len(set(corpus_text(domain))) + 1, settings.get("max_vocab") or 256)  # + <unk>: near enough to size
    for cell in cells:
        entry = Entry(cell, sized(cell, params, vocab, layers, embed))
        flags = {**settings, "cell": cell, "hidden": entry.hidden, "max_time": budget, "max_steps": None}
        speeds, elapsed = [], 0.0
        for event in run_training(domain, flags, folder / cell):
            watch(cell, event)
            match event:
                case RunStarted():
                    entry.params, entry.run_dir = event.n_params, event.run_dir
                case StepCompleted():
                    entry.steps, elapsed = event.step, event.elapsed_s
                    speeds.append(event.chars_per_s)
                case EvalCompleted():
                    entry.val_loss = event.val_loss
                    entry.curve.append((elapsed, event.val_loss))
                case ValidityMeasured() if not event.guided:
                    entry.valid = event.to_dict()
        entry.chars_per_s = statistics.median(speeds) if speeds else 0.0
        yield entry
