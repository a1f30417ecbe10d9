"""What one chart frame costs in the TUI: playground's native Line-API plot against textual-plot
and plotext (through textual-plotext), each a 400-point loss curve on the same size of widget.

    pip install textual-plot textual-hires-canvas textual-plotext "plotext<6"   # the two to compare
    python bench/tui_plot.py [--size 60x12] [--frames 1000]

A frame is what a redraw after a new point costs: the data updated the way each library takes
it, then every line of the widget (and of its child widgets) rendered as the compositor would.
Frames are timed without tracing; then, traced, ``--frames`` frames fill the caches and
``kib_growth`` is what the next ``--frames`` leave allocated: a chart redrawn for hours must not
grow. Measure alone on the machine. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import time
import tracemalloc

from textual.app import App
from textual.geometry import Region

from playground.tui.plot import Figure, Line, Plot


def loss(n: int, shift: int = 0) -> tuple[list[float], list[float]]:
    steps = [float(s + shift) for s in range(1, n + 1)]
    return steps, [1.4 + 3.0 * math.exp(-s / 120) + 0.05 * math.sin(s) for s in steps]


def native():
    plot = Plot()

    def update(xs, ys):
        plot.show(Figure(lines=(Line(f"loss {ys[-1]:.3f}", tuple(zip(xs, ys)), "dodger_blue1"),), log=True))
    return plot, update


def textual_plot():
    from textual_plot import PlotWidget

    plot = PlotWidget()

    def update(xs, ys):
        plot.clear()
        plot.plot(xs, ys, label="loss")
    return plot, update


def plotext():
    from textual_plotext import PlotextPlot

    widget = PlotextPlot()

    def update(xs, ys):
        widget.plt.clear_data()
        widget.plt.yscale("log")
        widget.plt.plot(xs, ys, label="loss")
        widget.refresh()
    return widget, update


def paint(widget) -> None:
    """Render every line of ``widget`` and its descendants, from scratch."""
    for part in (widget, *widget.walk_children()):
        if part.size.area:
            part._styles_cache.clear()
            part.render_lines(Region(0, 0, part.size.width, part.size.height))


async def measure(name: str, make, size: tuple[int, int], frames: int) -> dict:
    class Bench(App):
        def compose(self):
            self.chart, self.update = make()
            yield self.chart

    app = Bench()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        shift = iter(range(10**9))

        async def frame() -> float:
            start = time.perf_counter()
            app.update(*loss(400, shift=next(shift)))
            await asyncio.sleep(0)  # what a widget defers to the next tick (textual-plot re-renders there)
            paint(app.chart)
            return time.perf_counter() - start

        times = [await frame() for _ in range(20 + frames)][20:]
        tracemalloc.start()
        for _ in range(frames):  # caches fill here
            await frame()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(frames):  # and stay full here, unless something grows
            await frame()
        growth = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    return {"chart": name, "frame_ms_median": round(statistics.median(times) * 1e3, 2),
            "frame_ms_p90": round(statistics.quantiles(times, n=10)[8] * 1e3, 2),
            "kib_growth": round(growth / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="60x12", help="the widget's columns x rows")
    parser.add_argument("--frames", type=int, default=1000)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    rows = [asyncio.run(measure(name, make, size, args.frames))
            for name, make in (("native", native), ("textual-plot", textual_plot), ("plotext", plotext))]
    print(json.dumps({"size": args.size, "points": 400, "frames": args.frames, "charts": rows}))


if __name__ == "__main__":
    main()
