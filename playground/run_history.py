"""A run folder read back: its settings and the events its logs hold, sorted by kind.

A run still being written reads as a snapshot of what it has logged so far (its last line may
be torn, and is skipped). A DDP run's folder is written by rank 0 alone, so it reads the same.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground import jsonl
from playground.errors import PlaygroundError
from playground.events import (EvalCompleted, RunFinished, RunStarted, SampleScored, ScoringFailed, StepCompleted,
                               ValidityMeasured, from_dict)
from playground.run_folder import RunFolder

MAX_LOG_BYTES = 512 * 2**20  # a log larger than this is not read: no run of ours writes one


@dataclass
class RunHistory:
    folder: Path
    config: dict[str, Any]
    in_use: bool  # a run is writing the folder now
    starts: list[RunStarted] = field(default_factory=list)  # one per start or resume
    finish: RunFinished | None = None  # the last one
    steps: list[StepCompleted] = field(default_factory=list)
    evals: list[EvalCompleted] = field(default_factory=list)
    validity: list[ValidityMeasured] = field(default_factory=list)  # the raw batches
    guided: list[ValidityMeasured] = field(default_factory=list)
    failures: list[ScoringFailed] = field(default_factory=list)
    scored: dict[tuple[int, bool], list[SampleScored]] = field(default_factory=dict)  # by (step, guided)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def domain(self) -> str:
        return str(self.config.get("domain", "?"))

    @property
    def last_step(self) -> int:
        return self.steps[-1].step if self.steps else 0

    @property
    def elapsed_s(self) -> float:
        """Training time: the last step's clock (a resume carries the clock on from its checkpoint)."""
        return self.steps[-1].elapsed_s if self.steps else 0.0


def read(path: Path) -> RunHistory:
    """The history of the run folder at ``path``; PlaygroundError if it is not one."""
    folder = RunFolder.of(Path(path))
    if folder is None or not folder.path.is_dir():
        raise PlaygroundError(f"{path} is not a run folder (no config.json)")
    history = RunHistory(folder.path, folder.read_config(), folder.in_use())
    scored = defaultdict(list)
    for log in (folder.metrics, folder.samples):
        for event in map(from_dict, _rows(log)):
            _file(history, event, scored)
    history.scored = dict(scored)
    return history


def _rows(log: Path) -> list[dict[str, Any]]:
    if log.exists() and log.stat().st_size > MAX_LOG_BYTES:
        raise PlaygroundError(f"{log} is over {MAX_LOG_BYTES >> 20} MiB: not a log this tool wrote")
    return jsonl.rows(log)


def _file(history: RunHistory, event: Any, scored: dict) -> None:
    match event:
        case RunStarted():
            history.starts.append(event)
        case RunFinished():
            history.finish = event
        case StepCompleted():
            history.steps.append(event)
        case EvalCompleted():
            history.evals.append(event)
        case ValidityMeasured(guided=True):
            history.guided.append(event)
        case ValidityMeasured():
            history.validity.append(event)
        case ScoringFailed():
            history.failures.append(event)
        case SampleScored():
            scored[(event.step, event.guided)].append(event)
