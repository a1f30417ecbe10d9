"""The TUI's native chart: round ticks, axes that fit, lines, band and level where the data
puts them, and curves that keep a whole run's shape in bounded memory."""

import pytest
from rich.style import Style

from playground.tui.plot import Figure, Line, draw, linear_ticks, log_ticks, number
from playground.tui.state import HISTORY, Curve, halved


def text(strips) -> list[str]:
    return [strip.text for strip in strips]


def test_linear_ticks_are_round_and_few():
    assert linear_ticks(0.0, 1.0, 6) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert linear_ticks(0, 600, 4) == [0, 200, 400, 600]
    assert linear_ticks(0, 600, 3) == [0, 400]  # 200 apart is one too many: every other one
    for low, high, most in ((0.0, 1.0, 5), (3.0, 1234.0, 4), (0.013, 0.017, 3), (1, 2000, 7)):
        ticks = linear_ticks(low, high, most)
        assert 1 <= len(ticks) <= most and all(low <= t <= high for t in ticks)
        steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
        assert len(steps) <= 1  # evenly spaced


def test_log_ticks_are_powers_of_ten_times_1_2_5():
    assert log_ticks(0.8, 40.0, 8) == [1.0, 2.0, 5.0, 10.0, 20.0]
    assert log_ticks(0.8, 40.0, 2) == [1.0, 10.0]
    assert log_ticks(1.2, 3.3, 4) == linear_ticks(1.2, 3.3, 4)  # within a decade: linear


def test_numbers_are_short():
    assert [number(v) for v in (0.5, 20, 1500, 2_000_000, 1.234)] == ["0.5", "20", "1.5k", "2M", "1.23"]


@pytest.mark.parametrize("width,height", [(60, 10), (28, 8), (12, 3), (3, 1)])
def test_every_size_gives_exactly_its_lines_and_columns(width, height):
    figure = Figure(lines=(Line("loss 1.5", tuple((s, 3.0 / s) for s in range(1, 200)), "red"),), log=True)
    strips = draw(figure, width, height)
    assert len(strips) <= height and all(strip.cell_length == width for strip in strips)


def test_an_empty_chart_draws_its_axes():
    for log in (True, False):
        lines = text(draw(Figure(lines=(Line("val –", (), "red"),), log=log), 30, 8))
        assert lines[0].startswith("━ val –") and lines[-1].lstrip().startswith("step└")


def test_a_rising_line_goes_from_the_bottom_left_to_the_top_right():
    figure = Figure(lines=(Line("up", ((0, 0.0), (100, 1.0)), "red"),), y_range=(0.0, 1.0), percent=True)
    lines = text(draw(figure, 40, 10))
    body = lines[1:-1]
    assert body[0].rstrip()[-1] != " " and body[-1].split("┤")[-1][0] != " "  # top right, bottom left
    assert body[0].startswith("100%┤") and body[-1].startswith("  0%┤")
    assert "100" in lines[-1] and lines[-1].startswith("step└")


def test_the_band_shades_between_its_ends_and_the_level_is_dashed():
    band = ((0, 0.4, 0.6), (100, 0.4, 0.6))
    figure = Figure(lines=(Line("valid", ((0, 0.5), (100, 0.5)), "green"),), band=band, band_label="95% CI",
                    level=0.9, level_label="real 90%", y_range=(0.0, 1.0))
    strips = draw(figure, 40, 12, band=Style(bgcolor="green"))
    assert "95% CI" in strips[0].text and "┄ real 90%" in strips[0].text
    rows = strips[1:-1]
    shaded = [any(seg.style and seg.style.bgcolor for seg in row) for row in rows]
    marked = [i for i, row in enumerate(shaded) if row]
    assert marked and all(0.3 < 1 - (i + 0.5) / len(rows) < 0.7 for i in marked)  # only around 40%-60%
    level = [i for i, row in enumerate(rows) if any(seg.style and seg.style.color and seg.style.color.name == "grey70"
                                                    for seg in row)]
    assert len(level) == 1 and level[0] == round(0.1 * len(rows))  # one row, at 90%


def test_a_curve_halves_its_resolution_keeps_its_ends_and_stays_bounded():
    curve = Curve()
    for step in range(1, 10 * HISTORY + 2):
        curve.add(step, float(step))
    assert HISTORY <= len(curve) <= 2 * HISTORY
    xs = [x for x, _ in curve.points]
    assert xs[-1] > 10 * HISTORY - 8 and xs[0] < 8  # both ends of the run, and evenly between them
    assert max(b - a for a, b in zip(xs, xs[1:])) <= 8 and min(b - a for a, b in zip(xs[:-2], xs[1:-1])) >= 4
    assert halved([(1, 1.0), (2, 3.0), (3, 5.0)]) == [(1.5, 2.0), (3, 5.0)]
