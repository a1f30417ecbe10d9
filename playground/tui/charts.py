"""What the main screen's charts show of a RunState: the loss (log scale), the validity rates
(the valid rate's 95% interval as a band, the ceiling as a dashed line) and the speed."""

from __future__ import annotations

from playground.tui.plot import Figure, Line
from playground.tui.state import RunState


def _last(points: tuple, fmt: str) -> str:
    return format(points[-1][1], fmt) if points else "–"


def loss_figure(state: RunState) -> Figure:
    """Training loss per step and validation loss per eval, in nats per character."""
    with state.lock:
        train, val = tuple(state.loss.points), tuple(state.val_loss.points)
    return Figure(lines=(Line(f"val {_last(val, '.3f')}", val, "orange1"),
                         Line(f"train {_last(train, '.3f')}", train, "dodger_blue1")), log=True)


def rates_figure(state: RunState) -> Figure:
    """Valid (raw and, when drawn, guided), unique and novel rates, on 0..100%."""
    with state.lock:
        valid, band, guided = tuple(state.valid.points), tuple(state.valid_ci.points), tuple(state.guided.points)
        unique, novel, ceiling = tuple(state.unique.points), tuple(state.novel.points), state.ceiling
    lines = [Line(f"valid {_last(valid, '.0%')}", valid, "green3")]
    if guided:
        lines.append(Line(f"guided {_last(guided, '.0%')}", guided, "magenta"))
    lines += [Line(f"unique {_last(unique, '.0%')}", unique, "cyan"),
              Line(f"novel {_last(novel, '.0%')}", novel, "yellow")]
    return Figure(lines=tuple(lines), band=band, band_label="95% CI", level=ceiling,
                  level_label="" if ceiling is None else f"real {ceiling:.0%}",
                  y_range=(0.0, 1.0), percent=True)


def speed_figure(state: RunState) -> Figure:
    """Training characters per second, per step."""
    with state.lock:
        speed = tuple(state.speed.points)
    return Figure(lines=(Line(f"chars/s {_last(speed, ',.0f')}", speed, "dodger_blue1"),), y_range=(0.0, None))
