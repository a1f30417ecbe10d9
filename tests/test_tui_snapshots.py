"""Snapshots of the TUI's main screens at 80x24 and 120x40, from canned events (no training).

Regenerate after an intended change: python -m pytest tests/test_tui_snapshots.py --snapshot-update
"""

from playground import plugins
from playground.domains import Domain
from playground.events import (EvalCompleted, RunStarted, StepCompleted, ValidityMeasured)
from playground.tui.app import PlaygroundApp
from playground.tui.messages import Judged
from playground.tui.screens import SampleScreen
from playground.tui.state import SampleRecord
from playground.tui.widgets import NowPanel, SampleStream

CONFIG = {"model": {}, "train": {"max_steps": 2000, "max_time": None}, "sample": {}}
NAMES = ["emma", "zorblax", "x", "kaylin", "brynnleigh", "ava"]
LATEX = [  # (sample, its verdict, novelty): the longest category judged last
    ("\\begin{definition}\nA scheme $X$ is \\emph{reduced} if its local rings are.\n\\end{definition}\n",
     {"valid": True, "value": 1.0, "category": "ok", "detail": ""}, 1.0),
    ("\\begin{proof}\nBy Lemma \\ref{lemma-x}.\n\\end{lemma}\n",
     {"valid": False, "value": 0.5, "category": "environment-mismatch",
      "detail": "! LaTeX Error: \\begin{proof} on input line 1 ended by \\end{lemma}."}, 0.5),
    ("\\begin{remark}\n$x^2_3$ is {\n\\end{remark}\n",
     {"valid": False, "value": 0.3, "category": "unbalanced-braces", "detail": "! File ended while scanning."}, 0.0),
    ("\\begin{lemma}\n\\label{lemma-finite-type}\nLet $f : X \\to S$ be a morphism of schemes.\n"
     "If $f$ is locally of finite type, then so is \\foo{X}.\n\\end{lemma}\n",
     {"valid": False, "value": 0.6, "category": "undefined-control-sequence",
      "detail": "! Undefined control sequence. l.4 ...finite type, then so is \\foo"}, 1.0),
]


def canned_run(app: PlaygroundApp, guided: bool = False) -> None:
    """A run 600 steps in: losses falling, six validity measurements (``guided``: each with its
    guided batch beside it), six scored names."""
    state = app.controller.state
    state.update(RunStarted(run_dir="runs/names-demo", domain="names", config=CONFIG, n_params=800_000,
                            vocab_size=28, device="cpu"))
    for step in range(1, 601):
        state.update(StepCompleted(step, 3.3 * 0.9985**step + 1.9, 3e-3, 60_000.0, step / 14))
        if step % 100 == 0:
            state.update(EvalCompleted(step, 2.0 + 300 / (step + 200), 2.1 + 300 / (step + 200), True))
            valid = min(1.0, 0.6 + step / 1500)
            low, high = max(0.0, valid - 0.15), min(1.0, valid + 0.1)  # about a Wilson interval at n = 32
            state.update(ValidityMeasured(step, 32, round(valid * 32), valid, [low, high], 1.0, None, 0.8, None,
                                          ceiling=0.97))
            if guided:
                state.update(ValidityMeasured(step, 32, 32, 1.0, None, 1.0, None, 0.7, None, ceiling=1.0, guided=True))
    records = []
    for name in NAMES:
        valid = 2 <= len(name) <= 20 and name.isalpha()
        score = {"valid": valid, "value": 1.0 if valid else 0.5, "category": "ok" if valid else "too-short",
                 "detail": "" if valid else f"{name!r} has 1 letter (at least 2)"}
        records.append(SampleRecord(600, name, score, 0.0 if name in ("emma", "ava") else 1.0, guided and valid))
    app.query_one(SampleStream).add(*records)
    app.refresh_live()


def names_app():
    return PlaygroundApp(plugins.host().domains["names"], {})


def test_main_screen_idle(snap_compare, with_corpora):
    assert snap_compare(names_app(), terminal_size=(80, 24))


def test_main_screen_training(snap_compare, with_corpora):
    async def run_before(pilot):
        canned_run(pilot.app)
        await pilot.pause()

    assert snap_compare(names_app(), terminal_size=(80, 24), run_before=run_before)


def test_main_screen_uses_a_larger_terminal(snap_compare, with_corpora):
    async def run_before(pilot):
        canned_run(pilot.app)
        await pilot.pause()

    assert snap_compare(names_app(), terminal_size=(120, 40), run_before=run_before)


def test_main_screen_training_raw_and_guided(snap_compare, with_corpora):
    async def run_before(pilot):
        pilot.app.guided = True
        canned_run(pilot.app, guided=True)
        await pilot.pause()

    assert snap_compare(names_app(), terminal_size=(80, 24), run_before=run_before)


def test_main_screen_latex_shows_categories_and_sample_text(snap_compare, with_corpora, monkeypatch):
    """At 80x24 the longest LaTeX category fits in the sample stream, and the judged sample's
    verdict takes one line above the first lines of its text."""
    monkeypatch.setattr(Domain, "missing_tools", lambda self: [])  # no pdflatex warning on any machine

    async def run_before(pilot):
        app = pilot.app
        canned_run(app)
        records = [SampleRecord(600, text, score, novel) for text, score, novel in LATEX]
        stream = app.query_one(SampleStream)
        stream.reset()
        stream.add(*records[:-1])
        now = app.query_one(NowPanel)
        now.begin("", app.domains["latex"])
        now.text = records[-1].text
        now.post_message(Judged(records[-1], now.request))  # judged: into the panel, then the stream
        await pilot.pause()

    assert snap_compare(PlaygroundApp(plugins.host().domains["latex"], {}), terminal_size=(80, 24),
                        run_before=run_before)


def test_help_screen(snap_compare, with_corpora):
    assert snap_compare(names_app(), terminal_size=(80, 24), press=["question_mark"])


def test_sample_detail(snap_compare, with_corpora):
    async def run_before(pilot):
        record = SampleRecord(250, "\\begin{lemma}\nLet $X$ be a scheme.\n\\foo\n\\end{lemma}\n",
                              {"valid": False, "value": 0.5, "category": "undefined-control-sequence",
                               "detail": "! Undefined control sequence. l.3 \\foo"}, 0.75)
        pilot.app.push_screen(SampleScreen(record))
        await pilot.pause()

    assert snap_compare(names_app(), terminal_size=(80, 24), run_before=run_before)
