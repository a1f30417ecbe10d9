"""Events: the one stream that training produces and every front end consumes.

Each event is a frozen dataclass named in the past tense. ``to_dict()`` gives the
JSON form used by ``--json`` output and the run's JSONL logs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    run_dir: str
    domain: str
    config: dict[str, Any]
    n_params: int
    vocab_size: int
    device: str
    step: int = 0  # > 0 when the run resumes


@dataclass(frozen=True)
class StepCompleted(Event):
    kind: ClassVar[str] = "step_completed"
    step: int
    loss: float  # nats/char on this batch
    lr: float
    chars_per_s: float
    elapsed_s: float


@dataclass(frozen=True)
class EvalStarted(Event):
    """A full-validation eval begins (no step trains until it ends). A stop cuts it short:
    then no EvalCompleted follows, and the resumed run evaluates the step again."""

    kind: ClassVar[str] = "eval_started"
    step: int


@dataclass(frozen=True)
class EvalCompleted(Event):
    kind: ClassVar[str] = "eval_completed"
    step: int
    train_loss: float  # nats/char: the mean training-batch loss since the previous eval
    val_loss: float  # nats/char over the full validation split
    is_best: bool


@dataclass(frozen=True)
class SampleGenerated(Event):
    kind: ClassVar[str] = "sample_generated"
    step: int
    text: str
    temperature: float
    on_demand: bool = False  # asked for by a front end (Steering.sample_now), streamed first


@dataclass(frozen=True)
class SampleStreamed(Event):
    """A piece of an on-demand sample, as it is generated."""

    kind: ClassVar[str] = "sample_streamed"
    step: int
    text: str


@dataclass(frozen=True)
class SamplesDrawn(Event):
    """A batch drawn for a validity measurement, and the weights that drew it."""

    kind: ClassVar[str] = "samples_drawn"
    step: int
    texts: list[str]
    temperature: float
    checkpoint: str  # a weights-only snapshot; the run keeps it as best-valid.pt or drops it
    guided: bool = False  # drawn with the domain's guide (beside the raw batch, from the same weights)


@dataclass(frozen=True)
class SampleScored(Event):
    kind: ClassVar[str] = "sample_scored"
    step: int
    text: str
    score: dict[str, Any]  # Score.to_dict()
    novel: float | None = None  # share of its units (a name, lines) not in the corpus
    guided: bool = False


@dataclass(frozen=True)
class ValidityMeasured(Event):
    """One validity batch's rates: the fields are exactly ``scoring.Rates.to_dict()``'s, the one
    schema for rates that ``score --json``, ``sweep`` and the run's metrics.jsonl share."""

    kind: ClassVar[str] = "validity_measured"
    step: int
    n: int  # samples drawn
    valid: int  # of them valid
    valid_rate: float | None  # over the samples with a verdict; None when none has one
    valid_ci: list[float] | None  # Wilson 95% [low, high]
    unique_rate: float | None  # None when no sample was valid
    unique_ci: list[float] | None
    novel_rate: float | None  # None when no sample was valid, or the corpus is not at hand
    novel_ci: list[float] | None
    categories: dict[str, int] = field(default_factory=dict)  # error category (or "ok") -> samples
    undetermined: int = 0  # samples whose checker was starved of CPU: left out of valid_rate
    ceiling: float | None = None  # what real held-out units score (playground.ceiling); None: unknown
    valid_and_novel_rate: float | None = None  # valid, mostly new units and not mostly copied
    valid_and_novel_ci: list[float] | None = None
    longest_copy_median: float | None = None  # characters copied from the training text, median
    mostly_copied: int = 0  # samples that are mostly a copy of the training text
    guided: bool = False  # the guided batch (see SamplesDrawn); best-valid follows the raw one


@dataclass(frozen=True)
class ScoringFailed(Event):
    kind: ClassVar[str] = "scoring_failed"
    step: int
    error: str  # one line: the scorer's exception


@dataclass(frozen=True)
class CheckpointSaved(Event):
    kind: ClassVar[str] = "checkpoint_saved"
    step: int
    path: str
    checkpoint_kind: str = "last"  # last, best, best-valid or scored (see run_folder)


@dataclass(frozen=True)
class RunFinished(Event):
    kind: ClassVar[str] = "run_finished"
    step: int
    reason: str  # "max_steps", "max_time", "interrupted", "stopped", "failed"


KINDS = {cls.kind: cls for cls in Event.__subclasses__()}


def from_dict(row: dict[str, Any]) -> Event | None:
    """The event a ``to_dict()`` row (a line of metrics.jsonl) stands for; None for a row that
    is not one (an unknown kind, a missing or extra field: a newer or a hand-edited log)."""
    cls = KINDS.get(row.get("event"))
    if cls is None:
        return None
    try:
        return cls(**{k: v for k, v in row.items() if k != "event"})
    except TypeError:
        return None
