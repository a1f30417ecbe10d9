"""The report's charts, drawn by matplotlib as inline SVG (text kept as text, ids fixed, so the
same run gives the same file). Each function takes run histories and returns one ``<svg>``.

matplotlib's object API (``Figure``, no pyplot) keeps no global state, so a report can be
built from any thread; its SVG needs no script, font or network to show.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from playground.run_history import RunHistory

SIZE = (10.0, 3.4)  # inches: 1000 x 340 px at 100 dpi
MAX_POINTS = 2000  # per curve: longer ones are thinned to bucket means
VALID_COLOUR = "#2e7d32"
ERROR_COLOURS = ("C3", "C4", "C1", "C5", "C6", "C7", "C8", "C9", "C0")  # no green: that is "valid"


def _figure(title: str, ylabel: str):
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "playground", "font.size": 9})
    fig = Figure(figsize=SIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, loc="left", fontsize=10)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def thinned(xs: Sequence[float], ys: Sequence[float], limit: int = MAX_POINTS) -> tuple[list[float], list[float]]:
    """At most ``limit`` points: consecutive buckets averaged, so the curve keeps its shape."""
    if len(xs) <= limit:
        return list(xs), list(ys)
    size = len(xs) / limit
    buckets = [range(int(i * size), max(int((i + 1) * size), int(i * size) + 1)) for i in range(limit)]
    return ([sum(xs[j] for j in b) / len(b) for b in buckets], [sum(ys[j] for j in b) / len(b) for b in buckets])


def _label(run: RunHistory, runs: Sequence[RunHistory], what: str) -> str:
    return what if len(runs) == 1 else f"{run.name}: {what}"


def loss_chart(runs: Sequence[RunHistory]) -> str:
    """Training loss per step (thin) and validation loss per eval (dots), log-scaled."""
    fig, ax = _figure("Loss", "nats/char (log scale)")
    for index, run in enumerate(runs):
        colour = f"C{index}"
        xs, ys = thinned([s.step for s in run.steps], [s.loss for s in run.steps])
        ax.plot(xs, ys, color=colour, alpha=0.45, linewidth=0.8, label=_label(run, runs, "train"))
        ax.plot([e.step for e in run.evals], [e.val_loss for e in run.evals], "o-", color=colour,
                markersize=3.5, linewidth=1.5, label=_label(run, runs, "validation"))
    ax.set_yscale("log")
    for set_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
        set_formatter("{x:.3g}")  # 0.8, 1, 2 rather than 8x10^-1
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return _svg(fig)


def validity_chart(runs: Sequence[RunHistory]) -> str:
    """The valid rate per validity batch with its 95% interval as a band, the ceiling (what real
    held-out text scores) as a dashed line, unique and novel as thin lines, guided where drawn."""
    fig, ax = _figure("Validity", "share of samples")
    for index, run in enumerate(runs):
        colour, rows = f"C{index}", [v for v in run.validity if v.valid_rate is not None]
        steps = [v.step for v in rows]
        ax.plot(steps, [v.valid_rate for v in rows], "o-", color=colour, markersize=3.5,
                label=_label(run, runs, "valid"))
        banded = [v for v in rows if v.valid_ci]
        ax.fill_between([v.step for v in banded], [v.valid_ci[0] for v in banded], [v.valid_ci[1] for v in banded],
                        color=colour, alpha=0.18, linewidth=0, label=_label(run, runs, "valid, 95% interval"))
        for what, style in (("unique_rate", ":"), ("novel_rate", "--")):
            kept = [v for v in rows if getattr(v, what) is not None]
            ax.plot([v.step for v in kept], [getattr(v, what) for v in kept], style, color=colour, linewidth=0.9,
                    label=_label(run, runs, what.removesuffix("_rate")))
        guided = [v for v in run.guided if v.valid_rate is not None]
        if guided:
            ax.plot([v.step for v in guided], [v.valid_rate for v in guided], "s-", color=colour, alpha=0.6,
                    markersize=3, linewidth=1, label=_label(run, runs, "guided valid"))
        ceiling = next((v.ceiling for v in reversed(rows) if v.ceiling is not None), None)
        if ceiling is not None:
            ax.axhline(ceiling, color=colour, linestyle=(0, (6, 3)), linewidth=1.2,
                       label=_label(run, runs, f"ceiling (real text) {ceiling:.0%}"))
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return _svg(fig)


def categories_chart(run: RunHistory) -> str:
    """Each validity batch's samples by verdict: valid, or their error category, stacked."""
    rows = [v for v in run.validity if v.categories]
    names = sorted({name for v in rows for name in v.categories}, key=lambda n: (n != "ok", n))
    fig, ax = _figure(f"Verdicts over training: {run.name}" if rows else "Verdicts: none measured yet", "samples")
    steps, bottom = [str(v.step) for v in rows], [0] * len(rows)
    for index, name in enumerate(names):
        counts = [v.categories.get(name, 0) for v in rows]
        colour = {"ok": VALID_COLOUR, "undetermined": "#bbbbbb"}.get(name, ERROR_COLOURS[index % len(ERROR_COLOURS)])
        ax.bar(steps, counts, bottom=bottom, label="valid" if name == "ok" else name, color=colour)
        bottom = [b + c for b, c in zip(bottom, counts)]
    if names:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return _svg(fig)


def speed_chart(runs: Sequence[RunHistory]) -> str:
    """Training throughput per step."""
    fig, ax = _figure("Speed", "characters per second")
    for index, run in enumerate(runs):
        xs, ys = thinned([s.step for s in run.steps], [s.chars_per_s for s in run.steps])
        ax.plot(xs, ys, color=f"C{index}", linewidth=0.9, label=run.name)
    if len(runs) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return _svg(fig)


def race_chart(curves: Sequence[tuple[str, Sequence[tuple[float, float]]]]) -> str:
    """A cell race: each cell's full-validation loss against the seconds it had trained."""
    fig, ax = _figure("Cell race: validation loss against training time", "nats/char")
    ax.set_xlabel("seconds of training")
    for index, (label, points) in enumerate(curves):
        ax.plot([p[0] for p in points], [p[1] for p in points], "o-", color=f"C{index}", markersize=3.5, label=label)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return _svg(fig)
