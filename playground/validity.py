"""Live validity during training: the engine draws a batch of (post-processed) samples every
``score_every`` steps with a weights-only ``scored`` snapshot beside it (and, with ``guided``,
a second batch drawn with the domain's guide); here the batches are scored in the background,
their verdicts come back as events, and the snapshot whose raw batch has the highest valid
rate so far becomes the run's ``best-valid`` checkpoint (the others go).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from playground import jsonl
from playground.domains import Domain
from playground.events import CheckpointSaved, Event, SampleScored, SamplesDrawn, ScoringFailed, ValidityMeasured
from playground.run_folder import RunFolder
from playground.scoring import BackgroundScorer, Scored


def best_valid_rate(metrics: Path) -> float:
    """The highest valid rate a run's metrics.jsonl records so far (0.0 for none)."""
    measured = [row.get("valid_rate") or 0.0 for row in jsonl.rows(metrics)
                if row.get("event") == ValidityMeasured.kind and not row.get("guided")]
    return max(measured, default=0.0)


class LiveValidity:
    def __init__(self, domain: Domain, folder: RunFolder, best_rate: float = 0.0):
        self.domain, self.folder, self.best_rate = domain, folder, best_rate
        self.scorer = BackgroundScorer(domain)
        self.waiting: set[int] = set()  # steps whose snapshot awaits its verdict

    def drawn(self, event: SamplesDrawn) -> None:
        if not event.guided:
            self.waiting.add(event.step)
        self.scorer.submit(event.step, list(event.texts), event.guided)

    def verdicts(self, wait: bool = False) -> Iterator[Event]:
        """Events for the batches scored so far (with ``wait``, for all of them)."""
        for batch in self.scorer.finished(wait):
            yield from self._events(batch)

    def _events(self, batch: Scored) -> Iterator[Event]:
        if batch.error:
            if not batch.guided:
                self.waiting.discard(batch.step)
                self.folder.discard(batch.step)
            yield ScoringFailed(batch.step, batch.error)
            return
        judgement = batch.judgement
        for text, score, novel in zip(batch.samples, judgement.scores, judgement.novel):
            yield SampleScored(batch.step, text, score.to_dict(), novel, guided=batch.guided)
        yield ValidityMeasured(batch.step, **judgement.rates.to_dict(), guided=batch.guided)
        if batch.guided:
            return
        self.waiting.discard(batch.step)
        rate = judgement.rates.valid.value or 0.0
        if rate > 0 and rate >= self.best_rate:  # ties go to the later, better-trained model
            self.best_rate = rate
            yield CheckpointSaved(batch.step, str(self.folder.promote(batch.step)), "best-valid")
        else:
            self.folder.discard(batch.step)

    def close(self) -> None:
        """Stop scoring; drop the snapshots of batches that never got a verdict."""
        self.scorer.close()
        for step in self.waiting:
            self.folder.discard(step)
        self.waiting.clear()
