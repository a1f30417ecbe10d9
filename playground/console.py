"""Printing for the CLI: a training event stream and samples, as rich text or JSON lines.

No torch at import time: the events and samplers come in already made.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from playground.events import (CheckpointSaved, EvalCompleted, EvalStarted, Event, RunFinished, RunStarted, SampleGenerated,
                               SampleStreamed, ScoringFailed, StepCompleted, ValidityMeasured)

if TYPE_CHECKING:
    from playground.domains import Score
    from playground.sampling import Sampler
    from playground.scoring import Judgement


PIPED_WIDTH = 4096  # characters a line may take where output is not a terminal: none is wrapped


def cli_console(stderr: bool = False) -> Console:
    """A console for the CLI: the terminal's width, or, where output goes to a file or a pipe,
    wide enough that no line is hard-wrapped (a log line stays one line; COLUMNS still rules)."""
    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty()) and "COLUMNS" not in os.environ
    return Console(stderr=stderr, highlight=False, width=PIPED_WIDTH if piped else None)


def time_left(step: int, elapsed: float, max_steps: int | None, max_time: float | None) -> float | None:
    """Seconds until the run ends, by its steps at the pace so far (evals included) or by its
    time budget, whichever comes first; None before there is a pace to go by."""
    left = []
    if max_steps and step and elapsed:
        left.append((max_steps - step) * elapsed / step)
    if max_time:
        left.append(max_time - elapsed)
    return max(0.0, min(left)) if left else None


def clock(seconds: float) -> str:
    """3:07, or 1:02:03 past an hour."""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"


def _print_json(row: dict) -> None:
    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    sys.stdout.flush()


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline


def shown(text: str) -> str:
    """Untrusted text (a sample, a file name, a checker's line) as the terminal may receive it:
    control characters, escape sequences among them, written out (``\x1b``), not obeyed."""
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def bits(nats: float) -> float:
    return nats / math.log(2)


def render_training(events: Iterable[Event], console: Console | None = None, json_lines: bool = False) -> str:
    """Show a run as it happens; return the reason it finished ("" if it never did)."""
    if json_lines:
        reason = ""
        for event in events:
            _print_json(event.to_dict())
            reason = event.reason if isinstance(event, RunFinished) else reason
        return reason
    view = TrainingView(console or cli_console())
    try:
        for event in events:
            view.show(event)
    finally:
        view.close()
    return view.reason


class TrainingView:
    """A run on the terminal: a progress line, and a printed line per eval, sample, validity
    measurement and checkpoint."""

    def __init__(self, console: Console):
        self.console, self.reason, self.task, self.by_time, self.total = console, "", None, False, 0.0
        self.progress = Progress(TextColumn("step {task.completed:>6.0f}"), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"), TextColumn("loss {task.fields[loss]:.4f}"),
                                 TextColumn("{task.fields[speed]:>8,.0f} chars/s"), TimeElapsedColumn(),
                                 TextColumn("ETA {task.fields[eta]}"), TextColumn("{task.fields[doing]}"),
                                 console=console, transient=True)
        self.budget: tuple[int | None, float | None] = (None, None)  # max_steps, max_time

    def show(self, event: Event) -> None:
        say = functools.partial(self.console.print, highlight=False)
        match event:
            case RunStarted():
                self.started(event)
            case StepCompleted() if self.task is not None:
                done = min(event.elapsed_s, self.total) if self.by_time else event.step
                left = time_left(event.step, event.elapsed_s, *self.budget)
                self.progress.update(self.task, completed=done, loss=event.loss, speed=event.chars_per_s,
                                     eta="–" if left is None else clock(left), doing="")
            case EvalStarted() if self.task is not None:  # the step and clock stand still until it ends
                self.progress.update(self.task, doing="evaluating…")
            case EvalCompleted():
                best = "  (best)" if event.is_best else ""
                say(f"step {event.step:>6}  train {event.train_loss:.4f}  val {event.val_loss:.4f} nats/char"
                    f"  = {bits(event.val_loss):.3f} bits/char{best}")
            case SampleGenerated():
                say(f"[dim]sample at step {event.step}:[/dim]")
                if event.text:
                    say(shown(event.text), markup=False)
                else:
                    say("[dim](empty: it ended no complete unit within its length)[/dim]")
            case ValidityMeasured():
                say(f"step {event.step:>6}  {rates_line(event.to_dict())}")
            case ScoringFailed():
                say(f"[yellow]step {event.step:>6}  scoring failed:[/] {escape(shown(event.error))}")
            case CheckpointSaved():
                say(f"[dim]saved {event.path}[/dim]")
            case RunFinished():
                self.reason = event.reason
                say(f"finished at step {event.step}: {event.reason}")

    def started(self, event: RunStarted) -> None:
        self.progress.start()  # not before: a run that fails to start leaves no stray line
        train, model = event.config["train"], event.config["model"]
        self.by_time = train["max_steps"] is None
        self.total = train["max_time"] if self.by_time else train["max_steps"]
        self.budget = (train["max_steps"], train["max_time"])
        self.task = self.progress.add_task("train", total=self.total, completed=0 if self.by_time else event.step,
                                           loss=math.nan, speed=0.0, eta="–", doing="")
        verb = f"resuming at step {event.step}" if event.step else "training"
        self.console.print(f"{verb} {event.domain}: {model['layers']}x{model['hidden']} {model['cell']}, "
                           f"{event.n_params:,} parameters, vocab {event.vocab_size}, on {event.device}"
                           f" -> {event.run_dir}", highlight=False)

    def close(self) -> None:
        if self.progress.live.is_started:
            self.progress.stop()


def render_samples(sampler: Sampler, console: Console | None = None, json_lines: bool = False,
                   judge: Callable[[list[str]], Judgement] | None = None) -> list[str]:
    """Print samples; a single one streams as it is generated. With ``judge``, each sample's
    verdict follows it (or joins its JSON row). Returns the finished texts."""
    settings = sampler.settings
    console = console or cli_console()
    streaming = settings.n == 1 and not json_lines
    generation = None
    if streaming:
        for event in sampler.streamed():
            if isinstance(event, SampleStreamed):
                if event.text:
                    console.out(shown(event.text), end="", highlight=False)
            else:  # the finished sample closes the stream
                texts = [event.text]
    else:
        texts, generation = sampler.drawn()
    judgement = judge(texts) if judge else None
    verdicts = [verdict(judgement, i) if judgement else "" for i in range(len(texts))]
    if generation is not None and settings.guided:
        verdicts = [f"{v} [yellow]⊘ the guide allowed nothing more[/]".strip() if stuck else v
                    for v, stuck in zip(verdicts, generation.stuck)]
    if json_lines:
        meta = {k: v for k, v in vars(settings).items() if k != "seed"}
        for i, text in enumerate(texts):
            row = {"text": text, "index": i, "seed": sampler.seed, **meta,
                   "nll_per_char": _rounded(generation.nll_per_char[i]), "stuck": generation.stuck[i]}
            if judgement:
                row.update(score=judgement.scores[i].to_dict(), novel=judgement.novel[i])
            _print_json(row)
        return texts
    if streaming:
        console.out("")
    one_line = all("\n" not in t for t in texts)
    for i, text in enumerate(texts):
        if one_line and not streaming:
            console.print(f"{escape(shown(text))}  {verdicts[i]}".rstrip(), highlight=False)
            continue
        if not streaming:
            console.out(shown(text), highlight=False)
        if verdicts[i]:
            console.print(verdicts[i], highlight=False)
        if not streaming:
            console.out("")
    return texts


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def verdict(judgement: Judgement, i: int) -> str:
    """✓/✗, the category and first error line, and the novelty of sample ``i``."""
    score, novel = judgement.scores[i], judgement.novel[i]
    text = mark(score.valid) + ("" if score.valid else f" {escape(shown(score.category))}")
    if score.detail:
        text += f" [dim]{escape(shown(score.detail))}[/]"
    if novel is not None:
        text += f"  [dim]novel {percent(novel)}[/]"
    return text


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def ceiling_cell(ceiling: dict | None) -> str:
    """A ceiling (Ceiling.to_dict()) in a few words: the valid rate of real units, and the share
    of their mutations rejected."""
    if ceiling is None:
        return "–"
    rejected = f", mutations rejected {percent(ceiling['mutations_rejected'])}" if ceiling["mutations_n"] else ""
    return f"{percent(ceiling['ceiling'])} of {ceiling['ceiling_n']} units{rejected}"


def rates_line(rates: dict) -> str:
    """valid k/n = p% (95% CI) over the samples with a verdict, how many were undetermined,
    the unique and novel rates, and the commonest errors (``rates``: Rates.to_dict()'s schema)."""
    categories, undetermined = rates["categories"], rates["undetermined"]
    judged, valid, k, ci = rates["n"] - undetermined, rates["valid_rate"], rates["valid"], rates["valid_ci"]
    interval = f" (95% CI {ci[0]:.0%}–{ci[1]:.0%})" if ci else ""
    apart = f", {undetermined} undetermined" if undetermined else ""
    errors = [f"{c} {count}" for c, count in categories.items() if c not in ("ok", "undetermined")]
    worst = f"; errors: {', '.join(errors[:3])}" + (", …" if len(errors) > 3 else "") if errors else ""
    ceiling = f" against a ceiling of {percent(rates['ceiling'])}" if rates.get("ceiling") is not None else ""
    return (f"valid {k}/{judged} = {percent(valid)}{interval}{ceiling}{apart}, "
            f"unique {percent(rates['unique_rate'])}, novel {percent(rates['novel_rate'])}{worst}")


def mark(valid: bool) -> str:
    return "[green]✓[/]" if valid else "[red]✗[/]"


def render_scores(sources: list[str], scores: list[Score], novel: list[float | None], rates: dict,
                  console: Console, repaired: list[Score] | None = None, repaired_rates: dict | None = None) -> None:
    """A row per sample (✓/✗, value, novelty, category and first error line), then the rates."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("")
    table.add_column("sample", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("novel", justify="right")
    if repaired is not None:
        table.add_column("repaired", justify="center")
    table.add_column("category: first error", overflow="fold")
    for i, (source, score) in enumerate(zip(sources, scores)):
        why = escape(shown(score.category)) + (f"\n[dim]{escape(shown(score.detail))}[/]" if score.detail else "")
        row = [mark(score.valid), escape(shorten(shown(source))), f"{score.value:.2f}", percent(novel[i])]
        if repaired is not None:
            row.append(mark(repaired[i].valid))
        table.add_row(*row, why)
    console.print(table)
    console.print(rates_line(rates), highlight=False)
    if repaired_rates is not None:
        console.print(f"after --repair: {rates_line(repaired_rates)}", highlight=False)
    if rates["novel_rate"] is None and rates["valid_rate"]:
        console.print("[dim]novelty needs the training corpus (see `playground corpus fetch`)[/]")


def shorten(path: str, width: int = 24) -> str:
    """The end of a long path (its informative part)."""
    return path if len(path) <= width else "…" + path[-(width - 1):]


def render_sweep(rows: list[dict], console: Console, guided: bool = False) -> None:
    """The trade-off curve: valid, unique, novel and valid-and-novel rates per temperature,
    and nats per character under the model, the best trade-off marked."""
    table = Table(box=None, header_style="bold", pad_edge=False, title="guided" if guided else None)
    for name in ("temperature", "valid", "95% CI", "unique", "novel", "valid & novel", "nats/char",
                 "most common error"):
        table.add_column(name, justify="left" if name == "most common error" else "right")
    best = best_temperature(rows)
    for row in rows:
        ci = row["valid_ci"]
        errors = [c for c in row["categories"] if c not in ("ok", "undetermined")]
        mark = " ←" if row["temperature"] == best else ""
        table.add_row(f"{row['temperature']:g}{mark}", percent(row["valid_rate"]),
                      f"{ci[0]:.0%}–{ci[1]:.0%}" if ci else "–", percent(row["unique_rate"]),
                      percent(row["novel_rate"]), percent(row.get("valid_and_novel_rate")),
                      "–" if row.get("nll_per_char") is None else f"{row['nll_per_char']:.2f}",
                      escape(errors[0]) if errors else "")
    console.print(table)
    if best is not None and rows:
        ceiling = f" (ceiling {percent(rows[0]['ceiling'])})" if rows[0].get("ceiling") is not None else ""
        console.print(f"best trade-off: temperature {best:g}{ceiling}; give it to a run's validity batches "
                      f"with --score-temperature {best:g}{' --guided' if guided else ''}", highlight=False)


def trade_off(row: dict) -> float:
    """How good a sweep row is: its valid-and-novel rate, else valid × novel."""
    if row.get("valid_and_novel_rate") is not None:
        return row["valid_and_novel_rate"]
    return (row["valid_rate"] or 0.0) * (1.0 if row["novel_rate"] is None else row["novel_rate"])


def best_temperature(rows: list[dict]) -> float | None:
    """The temperature of the row with the best trade-off (the lower one on a tie); None when none has any."""
    scored = [row for row in rows if trade_off(row) > 0]
    return max(scored, key=lambda row: (trade_off(row), -row["temperature"]))["temperature"] if scored else None
