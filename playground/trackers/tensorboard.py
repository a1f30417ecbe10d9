"""The TensorBoard tracker: a run's events as TensorBoard event files (``--log tensorboard[:DIR]``).

Scalars at their step: ``loss/train`` (each batch), ``loss/val`` and ``loss/train_mean`` (each eval),
``train/lr``, ``train/chars_per_s``, and each validity batch's rates under ``validity/`` (the guided
batch's under ``validity_guided/``). Text: each scored batch, every sample with its verdict
(``samples/scored``), and the printed samples (``samples/printed``). HParams: the run's settings,
flattened (``model.hidden``), with the last val loss and valid rates, written when the run ends.

It flushes at every eval and validity batch and closes when the run ends. Only rank 0 is given
events (``Run.record``), so under DDP one process writes. torch's SummaryWriter is imported when
a run starts (``check_importable`` first imports it on the main thread), never with this module.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from playground.engine.config import flattened
from playground.errors import PlaygroundError
from playground.events import (EvalCompleted, Event, RunFinished, RunStarted, SampleGenerated, SampleScored,
                               ScoringFailed, StepCompleted, ValidityMeasured)
from playground.hookspecs import hookimpl

RATES = ("valid_rate", "unique_rate", "novel_rate", "valid_and_novel_rate", "ceiling")
FOLDER = "tensorboard"  # inside the run folder, when no DIR is given


def check_importable() -> None:
    """torch's SummaryWriter imports (it needs the tensorboard package), or a one-line error."""
    try:
        importlib.import_module("torch.utils.tensorboard")
    except ImportError as exc:
        raise PlaygroundError(f"--log tensorboard: cannot import torch.utils.tensorboard ({exc})") from None


class TensorBoardTracker:
    """A ``track_event`` plugin that writes one run into ``folder`` (default: RUN_DIR/tensorboard)."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.writer = None
        self.hparams: dict[str, bool | int | float | str] = {}
        self.last: dict[str, float] = {}  # final metrics for the hparams table: val_loss, valid_rate, ...
        self.scored: list[SampleScored] = []  # the batch being scored; its ValidityMeasured follows

    @hookimpl
    def track_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.start(event)
        elif self.writer is None:
            return
        elif isinstance(event, StepCompleted):
            self.scalars(event.step, "loss", train=event.loss)
            self.scalars(event.step, "train", lr=event.lr, chars_per_s=event.chars_per_s)
        elif isinstance(event, EvalCompleted):
            self.scalars(event.step, "loss", val=event.val_loss, train_mean=event.train_loss)
            self.last["val_loss"] = event.val_loss
            self.writer.flush()
        elif isinstance(event, SampleScored):
            self.scored.append(event)
        elif isinstance(event, ValidityMeasured):
            self.measured(event)
        elif isinstance(event, ScoringFailed):
            self.scored = []
            self.writer.add_text("samples/scoring_failed", _escape(event.error), event.step)
        elif isinstance(event, SampleGenerated):
            self.writer.add_text("samples/printed", _code(event.text), event.step)
        elif isinstance(event, RunFinished):
            self.finish(event)

    def start(self, event: RunStarted) -> None:
        """Open the writer; a resumed run drops what was logged after its checkpoint."""
        from torch.utils.tensorboard import SummaryWriter

        if self.writer is not None:  # the previous run never finished
            self.writer.close()
        folder = self.folder or Path(event.run_dir) / FOLDER
        self.writer = SummaryWriter(str(folder), purge_step=event.step + 1 if event.step else None)
        settings = {k: v for k, v in flattened(event.config).items() if isinstance(v, (bool, int, float, str))}
        self.hparams = {"domain": event.domain, "n_params": event.n_params, **settings}  # unset (None) left out

    def scalars(self, step: int, group: str, **values: float | None) -> None:
        for name, value in values.items():
            if value is not None:
                self.writer.add_scalar(f"{group}/{name}", value, step)

    def measured(self, event: ValidityMeasured) -> None:
        """A validity batch: its rates, and its samples with their verdicts as one text."""
        prefix = "validity_guided" if event.guided else "validity"
        self.scalars(event.step, prefix, **{rate: getattr(event, rate) for rate in RATES})
        if event.valid_rate is not None:
            self.last["guided_valid_rate" if event.guided else "valid_rate"] = event.valid_rate
        batch = [s for s in self.scored if s.step == event.step and s.guided == event.guided]
        self.scored = []
        if batch:
            tag = "samples/scored_guided" if event.guided else "samples/scored"
            self.writer.add_text(tag, _batch(event, batch), event.step)
        self.writer.flush()

    def finish(self, event: RunFinished) -> None:
        """The settings and final metrics as HParams, in the run's own event file; then close."""
        from torch.utils.tensorboard.summary import hparams

        for summary in hparams(self.hparams, {f"hparam/{name}": value for name, value in self.last.items()}):
            self.writer.file_writer.add_summary(summary, event.step)
        self.scalars(event.step, "hparam", **self.last)
        self.writer.close()
        self.writer = None


def _batch(event: ValidityMeasured, batch: list[SampleScored]) -> str:
    """Markdown: the batch's count, then each sample's verdict and its text as a code block."""
    parts = [f"**{event.valid} of {event.n} valid**"]
    for i, sample in enumerate(batch, 1):
        score = sample.score
        verdict = "✓ valid" if score.get("valid") else f"✗ {_escape(str(score.get('category', '')))}"
        detail = f": {_escape(str(score['detail']))}" if score.get("detail") and not score.get("valid") else ""
        novel = f" · novel {sample.novel:.0%}" if sample.novel is not None else ""
        parts.append(f"**{i}. {verdict}**{detail}{novel}\n\n{_code(sample.text)}")
    return "\n\n".join(parts)


def _code(text: str) -> str:
    """``text`` as a Markdown indented code block (backticks in it cannot end it)."""
    if not text.strip():
        return "*(empty)*"
    return "\n".join("    " + line for line in text.rstrip("\n").split("\n"))


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", text.replace("\n", " "))
