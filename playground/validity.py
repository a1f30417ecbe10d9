"""Live validity during training: the engine draws a batch of samples every ``score_every``
steps with a weights-only snapshot beside it; here the batch is post-processed and scored in
the background, its verdicts come back as events, and the snapshot with the highest valid
rate so far becomes ``checkpoints/best-valid.pt`` (the others are deleted).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from playground import jsonl
from playground.domains import Domain
from playground.events import CheckpointSaved, Event, SampleScored, SamplesDrawn, ScoringFailed, ValidityMeasured
from playground.scoring import BackgroundScorer, Rates, Scored

BEST = "best-valid.pt"


def best_valid_rate(metrics: Path) -> float:
    """The highest valid rate a run's metrics.jsonl records so far (0.0 for none)."""
    measured = [row.get("valid_rate") or 0.0 for row in jsonl.rows(metrics) if row.get("event") == ValidityMeasured.kind]
    return max(measured, default=0.0)


def validity_event(step: int, rates: Rates) -> ValidityMeasured:
    d = rates.to_dict()
    ci = {name: d[f"{name}_ci"] for name in ("valid", "unique", "novel") if d[f"{name}_ci"]}
    return ValidityMeasured(step, d["valid_rate"], d["unique_rate"], d["novel_rate"], rates.n, ci, rates.categories)


class LiveValidity:
    def __init__(self, domain: Domain, checkpoints: Path, best_rate: float = 0.0):
        self.domain, self.checkpoints, self.best_rate = domain, Path(checkpoints), best_rate
        self.scorer = BackgroundScorer(domain)
        self.snapshots: dict[int, Path] = {}
        for stale in self.checkpoints.glob("scored-*.pt"):  # left by a run that was killed
            stale.unlink()

    def drawn(self, event: SamplesDrawn) -> None:
        self.snapshots[event.step] = Path(event.checkpoint)
        self.scorer.submit(event.step, [self.domain.finish(text) for text in event.texts])

    def verdicts(self, wait: bool = False) -> Iterator[Event]:
        """Events for the batches scored so far (with ``wait``, for all of them)."""
        for batch in self.scorer.finished(wait):
            yield from self._events(batch)

    def _events(self, batch: Scored) -> Iterator[Event]:
        snapshot = self.snapshots.pop(batch.step)
        if batch.error:
            snapshot.unlink(missing_ok=True)
            yield ScoringFailed(batch.step, batch.error)
            return
        judgement = batch.judgement
        for text, score, novel in zip(batch.samples, judgement.scores, judgement.novel):
            yield SampleScored(batch.step, text, score.to_dict(), novel)
        yield validity_event(batch.step, judgement.rates)
        rate = judgement.rates.valid.value or 0.0
        if rate > 0 and rate >= self.best_rate:  # ties go to the later, better-trained model
            self.best_rate = rate
            os.replace(snapshot, self.checkpoints / BEST)
            yield CheckpointSaved(batch.step, str(self.checkpoints / BEST))
        else:
            snapshot.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop scoring; drop the snapshots of batches that never got a verdict."""
        self.scorer.close()
        for snapshot in self.snapshots.values():
            snapshot.unlink(missing_ok=True)
        self.snapshots.clear()
