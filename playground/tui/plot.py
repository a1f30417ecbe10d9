"""A line chart for the terminal, drawn with Textual's Line API: a legend on top, a y axis with
tick labels (linear or log), braille lines (2x4 dots a cell), a shaded band (cell backgrounds)
and a dashed level line, over an x axis whose labels sit on the axis line.

Native rather than a library, on measurement (bench/tui_plot.py: a 400-point loss curve in a
60x12 widget, one frame updated and painted: this module 2.3 ms, textual-plot 6.3 ms, plotext
through textual-plotext 9.8 ms, medians over 1,000 frames; none grew in memory once Textual's
caches were full), and its band and dashed level are drawn as the charts need them.
A chart is drawn again only when its Figure changes or it is resized.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

Point = tuple[float, ...]  # (x, y) on a line, (x, low, high) on a band
BRAILLE = 0x2800
DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row in cell][column in cell]


@dataclass(frozen=True)
class Line:
    label: str  # in the legend, e.g. "loss 1.23"
    points: tuple[Point, ...]
    color: str


@dataclass(frozen=True)
class Figure:
    lines: tuple[Line, ...] = ()  # the first is drawn on top
    band: tuple[Point, ...] = ()  # shaded between low and high, from point to point
    band_label: str = ""
    level: float | None = None  # a dashed horizontal line
    level_label: str = ""
    level_color: str = "grey70"
    y_range: tuple[float | None, float | None] = (None, None)  # fixed ends; None: the data's
    x_range: tuple[float, float] | None = None  # default: the data's
    log: bool = False  # log-scaled y
    percent: bool = False  # y tick labels as percentages
    x_name: str = "step"  # under the y labels, left of the x axis


def scale(low: float, high: float, dots: int, log: bool = False) -> Callable[[float], float]:
    """Data values low..high onto dot positions 0..dots-1 (log: evenly in log10)."""
    axis = (lambda v: math.log10(max(v, low))) if log else (lambda v: v)
    start, per_unit = axis(low), (dots - 1) / (axis(high) - axis(low))
    return lambda value: (axis(value) - start) * per_unit


def nice_step(span: float, most: int) -> float:
    """The smallest 1, 2 or 5 x 10^k that cuts ``span`` into at most ``most`` parts."""
    rough = span / max(most, 1)
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def linear_ticks(low: float, high: float, most: int, least_step: float = 0.0) -> list[float]:
    """At most ``most`` round values (multiples of a 1-2-5 step) within low..high."""
    if most < 1 or high <= low:
        return [low][:most]
    step = max(nice_step(high - low, most), least_step)
    ticks = [round(k * step, 12) for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1)]
    while len(ticks) > most:  # a 1-2-5 step can still leave one too many
        ticks = ticks[::2]
    return ticks


def log_ticks(low: float, high: float, most: int) -> list[float]:
    """Round values for a log axis: 1, 2, 5 x 10^k over a decade or more (fewer if they do
    not fit), linear ones within a decade."""
    if high < 10 * low:
        return linear_ticks(low, high, most)
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        ticks = [m * 10.0**k for k in decades for m in mantissas if low <= m * 10.0**k <= high]
        if len(ticks) <= most:
            return ticks
    return ticks[:: math.ceil(len(ticks) / most)]


def number(value: float) -> str:
    """A tick label: 0.5, 20, 1.5k, 2M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def y_limits(figure: Figure) -> tuple[float, float]:
    """The y axis ends: fixed ones, else the data's (widened when they meet)."""
    values = [v for line in figure.lines for _, v in line.points] + [v for p in figure.band for v in p[1:]]
    values += [] if figure.level is None else [figure.level]
    if figure.log:
        values = [v for v in values if v > 0]
    low, high = figure.y_range
    empty = (1.0, 10.0) if figure.log else (0.0, 1.0)  # the ends with no data: a log axis needs low > 0
    low = min(values, default=empty[0]) if low is None else low
    high = max(values, default=empty[1]) if high is None else high
    if high <= low:
        low, high = (low / 1.1, high * 1.1) if figure.log and low > 0 else (low - 1.0, high + 1.0)
    return low, high


def x_limits(figure: Figure) -> tuple[float, float]:
    if figure.x_range is not None:
        low, high = figure.x_range
    else:
        xs = [p[0] for line in figure.lines for p in line.points] + [p[0] for p in figure.band]
        low, high = min(xs, default=0.0), max(xs, default=1.0)
    return low, max(high, low + 1)


class Canvas:
    """Braille dots on cols x rows cells: ``dot`` takes dot positions from the bottom left; each
    cell keeps the colour of the last line through it, and whether it is shaded."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.bits = [[0] * cols for _ in range(rows)]
        self.colors: list[list[str | None]] = [[None] * cols for _ in range(rows)]
        self.shaded = [[False] * cols for _ in range(rows)]

    def dot(self, x: int, y: int, color: str) -> None:
        if 0 <= x < 2 * self.cols and 0 <= y < 4 * self.rows:
            row, col = self.rows - 1 - y // 4, x // 2
            self.bits[row][col] |= DOT_BITS[3 - y % 4][x % 2]
            self.colors[row][col] = color

    def segment(self, start: tuple[float, float], end: tuple[float, float], color: str) -> None:
        (x0, y0), (x1, y1) = start, end
        n = max(round(abs(x1 - x0)), round(abs(y1 - y0)), 1)
        for i in range(n + 1):
            self.dot(round(x0 + (x1 - x0) * i / n), round(y0 + (y1 - y0) * i / n), color)

    def shade(self, col: int, low: float, high: float) -> None:
        """Shade the cells of column ``col`` that dots ``low``..``high`` pass through."""
        bottom, top = max(0, math.floor(low / 4)), min(self.rows - 1, math.floor(high / 4))
        for from_bottom in range(bottom, top + 1):
            self.shaded[self.rows - 1 - from_bottom][col] = True

    def row(self, row: int, band: Style) -> list[Segment]:
        """One row of cells as segments, one per run of cells that look alike."""
        bits, colors, shaded = self.bits[row], self.colors[row], self.shaded[row]
        segments = []
        for (color, shade), cols in groupby(range(self.cols), lambda col: (colors[col], shaded[col])):
            text = "".join(chr(BRAILLE + bits[col]) if bits[col] else " " for col in cols)
            segments.append(Segment(text, (band if shade else Style()) + Style(color=color)))
        return segments


def plotted(figure: Figure, cols: int, rows: int, y: Callable[[float], float]) -> Canvas:
    """The band, the level and the lines (the first on top) on a canvas."""
    canvas, x = Canvas(cols, rows), scale(*x_limits(figure), 2 * cols)
    band = [(x(p[0]), y(p[1]), y(p[2])) for p in figure.band]
    for (x0, low0, high0), (x1, low1, high1) in zip(band, band[1:] or band):
        for col in range(max(0, math.ceil(x0 / 2 - 0.5)), min(cols - 1, math.floor(x1 / 2)) + 1):
            t = min(max((2 * col + 0.5 - x0) / (x1 - x0), 0.0), 1.0) if x1 > x0 else 0.0
            canvas.shade(col, low0 + (low1 - low0) * t, high0 + (high1 - high0) * t)
    if figure.level is not None:
        for dot in range(0, 2 * cols, 4):  # dashes two dots long
            canvas.segment((dot, y(figure.level)), (dot + 1, y(figure.level)), figure.level_color)
    for line in reversed(figure.lines):
        dots = [(x(px), y(py)) for px, py in line.points if py > 0 or not figure.log]
        for start, end in zip(dots, dots[1:] or dots):
            canvas.segment(start, end, line.color)
    return canvas


def legend(figure: Figure, width: int, band: Style) -> list[Strip]:
    """The legend's entries wrapped to ``width``: spaced out, or packed when that takes fewer lines."""
    keys = [(Segment("━", Style(color=line.color)), line.label) for line in figure.lines]
    if figure.band and figure.band_label:
        keys.append((Segment(" ", band), figure.band_label))
    if figure.level is not None and figure.level_label:
        keys.append((Segment("┄", Style(color=figure.level_color)), figure.level_label))
    roomy, packed = wrapped(keys, width, " ", "  "), wrapped(keys, width, "", " ")
    return roomy if len(roomy) <= len(packed) else packed


def wrapped(keys: list[tuple[Segment, str]], width: int, gap: str, between: str) -> list[Strip]:
    lines: list[list[Segment]] = [[]]
    for key, label in keys:
        entry = [key, Segment(gap + label)]
        if lines[-1] and Segment.get_line_length(lines[-1]) + len(between) + 1 + len(gap + label) > width:
            lines.append([])
        lines[-1] += [Segment(between)] * bool(lines[-1]) + entry
    return [Strip(line).crop_extend(0, width, None) for line in lines if line]


def tick_label(figure: Figure, value: float) -> str:
    return f"{value:.0%}" if figure.percent else number(value)


def x_axis(figure: Figure, cols: int, gutter: int, axis: Style) -> Strip:
    """The x axis line with its tick labels on it, the x name left of it."""
    low, high = x_limits(figure)
    x, room = scale(low, high, 2 * cols), len(number(high)) + 2
    line, end = ["─"] * cols, -2  # end: the last cell a label took
    for tick in linear_ticks(low, high, max(1, cols // room), least_step=1):
        label = number(tick)
        start = min(max(round(x(tick)) // 2 - len(label) // 2, 0), cols - len(label))
        if start > end + 1:
            line[start:start + len(label)] = label
            end = start + len(label) - 1
    return Strip([Segment(figure.x_name.rjust(gutter) + "└" + "".join(line), axis)])


def draw(figure: Figure, width: int, height: int, axis: Style = Style(), band: Style = Style()) -> list[Strip]:
    """The chart as strips ``width`` cells wide: the legend, then, where there is room, the plot
    with its axes."""
    top = legend(figure, width, band)
    rows = height - len(top) - 1
    low, high = y_limits(figure)
    ticks = (log_ticks if figure.log else linear_ticks)(low, high, max(2, (rows + 1) // 2))
    labels = [tick_label(figure, tick) for tick in ticks]
    gutter = max(len(figure.x_name), *map(len, labels))
    cols = width - gutter - 1
    if rows < 2 or cols < 4:
        return top[:height]
    y = scale(low, high, 4 * rows, figure.log)
    canvas, marks = plotted(figure, cols, rows, y), {}
    for tick, label in zip(ticks, labels):
        marks.setdefault(rows - 1 - round(y(tick)) // 4, label)
    body = [Strip([Segment(marks.get(row, "").rjust(gutter) + ("┤" if row in marks else "│"), axis),
                   *canvas.row(row, band)]) for row in range(rows)]
    return [*top, *body, x_axis(figure, cols, gutter, axis)]


class Plot(Widget):
    """A chart of a Figure; ``show`` a new one to change it."""

    DEFAULT_CSS = """
    Plot { height: 8; }
    Plot > .plot--axis { color: $text-muted; }
    Plot > .plot--band { background: $success 30%; }
    """
    COMPONENT_CLASSES = {"plot--axis", "plot--band"}

    figure = Figure()
    strips: list[Strip] | None = None  # drawn for the current figure and size

    def show(self, figure: Figure) -> None:
        if figure != self.figure:
            self.figure, self.strips = figure, None
            self.refresh()

    def on_resize(self) -> None:
        self.strips = None

    def render_line(self, y: int) -> Strip:
        if self.strips is None:
            axis, band = (self.get_component_rich_style(name) for name in ("plot--axis", "plot--band"))
            self.strips = [strip.apply_style(self.rich_style)
                           for strip in draw(self.figure, self.size.width, self.size.height, axis, band)]
        return self.strips[y] if y < len(self.strips) else Strip.blank(self.size.width, self.rich_style)
