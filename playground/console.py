"""Printing for the CLI: a training event stream and samples, as rich text or JSON lines.

No torch at import time: the events and samplers come in already made.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from playground.events import (CheckpointSaved, EvalCompleted, Event, RunFinished, RunStarted,
                               SampleGenerated, StepCompleted)

if TYPE_CHECKING:
    from playground.run import Sampler


def _print_json(row: dict) -> None:
    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def bits(nats: float) -> float:
    return nats / math.log(2)


def render_training(events: Iterable[Event], console: Console | None = None, json_lines: bool = False) -> str:
    """Show a run as it happens; return the reason it finished ("" if it never did)."""
    reason = ""
    if json_lines:
        for event in events:
            _print_json(event.to_dict())
            if isinstance(event, RunFinished):
                reason = event.reason
        return reason
    console = console or Console()
    progress = Progress(TextColumn("step {task.completed:>6.0f}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                        TextColumn("loss {task.fields[loss]:.4f}"), TextColumn("{task.fields[speed]:>8,.0f} chars/s"),
                        TimeElapsedColumn(), console=console, transient=True)
    task = None
    by_time = False
    with progress:
        for event in events:
            if isinstance(event, RunStarted):
                train = event.config["train"]
                by_time = train["max_steps"] is None
                total = train["max_time"] if by_time else train["max_steps"]
                task = progress.add_task("train", total=total, completed=0 if by_time else event.step,
                                         loss=math.nan, speed=0.0)
                model = event.config["model"]
                verb = f"resuming at step {event.step}" if event.step else "training"
                console.print(f"{verb} {event.domain}: {model['layers']}x{model['hidden']} {model['cell']}, "
                              f"{event.n_params:,} parameters, vocab {event.vocab_size}, on {event.device}"
                              f" -> {event.run_dir}", highlight=False)
            elif isinstance(event, StepCompleted) and task is not None:
                done = min(event.elapsed_s, total) if by_time else event.step
                progress.update(task, completed=done, loss=event.loss, speed=event.chars_per_s)
            elif isinstance(event, EvalCompleted):
                best = "  (best)" if event.is_best else ""
                console.print(f"step {event.step:>6}  train {event.train_loss:.4f}  val {event.val_loss:.4f} nats/char"
                              f"  = {bits(event.val_loss):.3f} bits/char{best}", highlight=False)
            elif isinstance(event, SampleGenerated):
                console.print(f"[dim]sample at step {event.step}:[/dim]")
                console.print(event.text, markup=False, highlight=False)
            elif isinstance(event, CheckpointSaved):
                console.print(f"[dim]saved {event.path}[/dim]", highlight=False)
            elif isinstance(event, RunFinished):
                reason = event.reason
                console.print(f"finished at step {event.step}: {event.reason}", highlight=False)
    return reason


def render_samples(sampler: Sampler, console: Console | None = None, json_lines: bool = False) -> list[str]:
    """Print samples; a single one streams as it is generated. Returns the finished texts."""
    settings = sampler.settings
    texts = [""] * settings.n
    console = console or Console()
    streaming = settings.n == 1 and not json_lines
    for pieces in sampler.stream():
        texts = [t + p for t, p in zip(texts, pieces)]
        if streaming and pieces[0]:
            console.out(pieces[0], end="", highlight=False)
    texts = [sampler.finish(t) for t in texts]
    if json_lines:
        meta = {k: v for k, v in vars(settings).items() if k != "seed"}
        for i, text in enumerate(texts):
            _print_json({"text": text, "index": i, "seed": sampler.seed, **meta})
    elif streaming:
        console.out("")
    else:
        one_line = all("\n" not in t for t in texts)
        for text in texts:
            console.out(text if one_line else text + "\n", highlight=False)
    return texts
