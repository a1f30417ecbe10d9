"""The TUI, driven by Textual's Pilot: pick a domain, train, see scored samples, steer, stop."""

import asyncio
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Static

from playground import plugins
from playground.engine import checkpoint
from playground.errors import PlaygroundError
from playground.tui.app import PlaygroundApp
from playground.tui.messages import SamplesScored
from playground.tui.neuron_screen import NeuronScreen
from playground.tui.screens import HelpScreen, SampleScreen
from playground.run_folder import RunFolder
from playground.tui.plot import Plot
from playground.tui.widgets import DomainPicker, NowPanel, SampleStream, Settings

TINY = {"layers": 1, "hidden": 32, "embed": 16, "seq_len": 16, "batch_size": 8, "warmup": 5, "max_steps": 4000,
        "eval_every": 20, "score_samples": 8, "length": 40}


class Recording(PlaygroundApp):
    """The app, keeping the notifications it shows."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown: list[tuple[str, str]] = []

    def notify(self, message, *, severity="information", **kwargs):
        self.shown.append((severity, message))
        super().notify(message, severity=severity, **kwargs)


async def until(pilot, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


def names_app(**flags):
    return Recording(plugins.host().domains["names"], {**TINY, **flags})


def test_pick_names_train_see_scored_samples_and_stop(with_corpora):
    async def scenario():
        app = Recording(None, TINY)
        async with app.run_test(size=(100, 30)) as pilot:
            picker = app.query_one(DomainPicker)
            names = [picker.get_option_at_index(i).id for i in range(picker.option_count)]
            assert names == ["c", "latex", "names", "shakespeare", "wikipedia"]
            picker.highlighted = names.index("names")
            await pilot.pause()
            assert app.query_one("#set-hidden").value == "32"  # prefilled from the flags over the defaults
            await pilot.press("s")
            stream = app.query_one(SampleStream)
            await until(pilot, lambda: stream.row_count > 0)
            record = next(iter(stream.records.values()))
            assert record.score["category"] in ("ok", "too-short", "too-long", "empty", "not-letters")
            row = stream.get_row_at(0)
            assert str(row[1]) in ("✓", "✗") and row[3] in ("new", "known", "–")
            assert app.controller.state.loss and app.controller.state.status in ("training", "evaluating")
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "finished")
            return app.controller.state.run_dir

    run_dir = asyncio.run(scenario())
    assert (Path(run_dir) / "checkpoints" / "last.pt").is_file()


def test_quitting_stops_training_and_keeps_a_checkpoint(with_corpora):
    async def scenario():
        app = names_app()
        async with app.run_test() as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.step > 5)
            await pilot.press("q")
            await until(pilot, lambda: not app.is_running)
        return app.controller.state.run_dir

    run_dir = asyncio.run(scenario())
    assert (Path(run_dir) / "checkpoints" / "last.pt").is_file()


def test_pause_sample_now_and_temperature(with_corpora):
    async def scenario():
        app = names_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.step > 5)
            await pilot.press("p")
            assert app.controller.state.status == "paused"
            await pilot.pause(0.5)
            step = app.controller.state.step
            await pilot.press("plus", "plus")
            assert app.query_one("#set-temperature").value == "1.2" and app.controller.steering.temperature == 1.2
            await pilot.press("n")  # answered while paused
            now = app.query_one(NowPanel)
            await until(pilot, lambda: now.judged is not None)  # streamed, then judged
            assert now.judged.text == now.text  # (a name may be empty: the model can end at once)
            assert now.judged in app.query_one(SampleStream).records.values()
            assert app.controller.state.step == step  # nothing trained while paused
            await pilot.press("p")
            await until(pilot, lambda: app.controller.state.step > step)
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "finished")

    asyncio.run(scenario())


def test_a_key_press_is_handled_while_training(with_corpora):
    """Training holds the GIL in bursts; a key still gets through before the run ends. How
    fast is a benchmark (bench/tui_latency.py), not a test."""
    async def scenario():
        app = names_app(max_steps=100_000)
        async with app.run_test() as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.step > 5)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            assert app.controller.state.status in ("training", "evaluating")
            await pilot.press("escape", "s")
            await until(pilot, lambda: app.controller.state.status == "finished")
            assert app.controller.state.step < 100_000

    asyncio.run(scenario())


def test_keys_typed_into_a_settings_field_are_text_not_commands(with_corpora):
    """The single-letter keys act only outside a text field: typed into one, q and s are letters."""
    async def scenario():
        app = names_app(max_steps=100_000)
        async with app.run_test() as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.step > 5)
            field = app.query_one("#set-hidden")
            field.focus()
            field.value = ""
            await pilot.press("q", "s")
            assert field.value == "qs" and app.is_running
            assert app.controller.state.status in ("training", "evaluating")  # not stopping
            await pilot.press("escape", "s")  # out of the field, s stops the run
            await until(pilot, lambda: app.controller.state.status == "finished")
            field.focus()
            await pilot.press("q", "s")
            await pilot.pause()
            assert field.value.endswith("qs") and app.is_running and app.controller.state.status == "finished"

    asyncio.run(scenario())


@pytest.mark.parametrize("key", ["s", "q"])
def test_an_eval_says_evaluating_and_s_or_q_cuts_it_short(with_corpora, monkeypatch, key):
    """An eval (one that runs until it is asked to stop, checking between batches as the real one
    does) shows as "evaluating"; s or q ends it at once, saving the step's checkpoint, no eval recorded."""
    from playground.engine import train

    def endless(model, data, batch_size, seq_len, device, stopping, world):
        deadline = time.monotonic() + 60
        while not stopping() and time.monotonic() < deadline:
            time.sleep(0.01)
        return 1.0

    monkeypatch.setattr(train, "evaluate", endless)

    async def scenario():
        app = names_app()
        async with app.run_test() as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "evaluating")
            await pilot.pause(0.3)  # a status bar redraw
            status = str(app.query_one("#status", Static).render())
            asked = time.monotonic()
            await pilot.press(key)
            ended = (lambda: app.is_running) if key == "s" else (lambda: not app.is_running)
            await until(pilot, lambda: app.controller.state.status == "finished" and ended(), timeout=10)
            return status, time.monotonic() - asked, app.controller.state

    status, took, state = asyncio.run(scenario())
    assert status.startswith("evaluating · step 20/4,000") and took < 10
    metrics = Path(state.run_dir) / "metrics.jsonl"
    assert "eval_completed" not in metrics.read_text()
    assert checkpoint.load(Path(state.run_dir) / "checkpoints" / "last.pt")["step"] == state.step == 20


def test_a_typed_max_time_replaces_the_max_steps_budget_as_on_the_command_line(with_corpora):
    from playground.run import run_settings

    flags = {k: v for k, v in TINY.items() if k != "max_steps"}
    names = plugins.host().domains["names"]

    async def scenario():
        app = Recording(names, flags)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.query_one("#set-max_steps").value == "2000" and app.query_one("#set-max_time").value == ""
            await pilot.click("#set-max_time")
            await pilot.press("6", "0", "escape", "s")
            await until(pilot, lambda: app.controller.run is not None)
            config = app.controller.run.config
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "finished")
            return config

    config = asyncio.run(scenario())
    assert config.train.max_steps is None and config.train.max_time == 60
    assert config == run_settings(names, {**flags, "max_time": 60})


def test_only_the_changed_settings_are_sent_typed_by_their_declarations(with_corpora):
    async def scenario():
        app = names_app(hidden=64)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            settings = app.query_one(Settings)
            assert settings.changes() == {}
            settings.field("lr").value = "0.01"
            settings.field("layers").value = "3"
            settings.field("hidden").value = ""  # cleared: back to the domain's default
            assert settings.changes() == {"lr": 0.01, "layers": 3, "hidden": None}
            settings.field("layers").value = "2.5"
            try:
                settings.changes()
            except PlaygroundError as exc:
                return str(exc)

    assert asyncio.run(scenario()) == "layers: '2.5' is not a whole number"


def test_the_switch_interval_is_restored_when_the_app_exits(with_corpora):
    before = sys.getswitchinterval()

    async def scenario():
        app = names_app()
        async with app.run_test() as pilot:
            await pilot.pause()
            return sys.getswitchinterval()

    during = asyncio.run(scenario())
    assert during < before and sys.getswitchinterval() == before


def test_a_missing_corpus_is_a_notification_not_a_crash(tmp_path):
    async def scenario():
        app = Recording(plugins.host().domains["c"], TINY)
        async with app.run_test() as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "failed")
            await pilot.pause()
            return app.shown

    shown = asyncio.run(scenario())
    assert any(sev == "error" and "playground corpus fetch c" in msg for sev, msg in shown)


def test_a_broken_plugin_is_reported(tmp_path, monkeypatch, with_corpora):
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.setenv("PLAYGROUND_PLUGINS_DIR", str(tmp_path))
    plugins._host.cache_clear()

    async def scenario():
        app = Recording(None, {})
        async with app.run_test() as pilot:
            await pilot.pause()
            return app.shown

    shown = asyncio.run(scenario())
    assert any(sev == "warning" and "plugin 'broken' is broken" in msg for sev, msg in shown)


def test_fetch_a_missing_corpus_with_progress(tmp_path, monkeypatch, http_server):
    folder, base = http_server
    (folder / "poems.txt").write_text("a poem\n" * 2000)
    plugin_dir = tmp_path / "plugins"
    plugin_dir.mkdir()
    (plugin_dir / "poems.py").write_text(
        "from playground import Corpus, Domain, Source, hookimpl\n"
        "@hookimpl\n"
        "def register_domains(register):\n"
        f"    register(Domain(name='poems', description='poems', corpus=Corpus(sources=(Source('{base}/poems.txt'),))))\n")
    monkeypatch.setenv("PLAYGROUND_PLUGINS_DIR", str(plugin_dir))
    plugins._host.cache_clear()

    async def scenario():
        app = Recording(plugins.host().domains["poems"], {})
        async with app.run_test(size=(100, 30)) as pilot:
            app.action_fetch()
            app.action_fetch()  # at once, so the first download is still under way: ignored
            await until(pilot, lambda: any("fetched the poems corpus" in m for _, m in app.shown))
            await until(pilot, lambda: "●" in str(app.query_one(DomainPicker).get_option("poems").prompt))
            return app.shown

    shown = asyncio.run(scenario())
    assert not any(sev == "error" for sev, _ in shown)
    assert [m for _, m in shown if "poems" in m or "under way" in m] == [
        "a corpus download is already under way", "fetched the poems corpus"]


def test_open_a_checkpoint_sample_it_and_explore_neurons(with_corpora, tmp_path):
    from playground.run import run_training

    list(run_training(plugins.host().domains["names"], {**TINY, "max_steps": 20}, tmp_path / "run"))

    async def scenario():
        app = Recording(None, {}, checkpoint=tmp_path / "run")
        async with app.run_test(size=(100, 30)) as pilot:
            state = app.controller.state  # the run's logs, replayed
            assert state.status == "opened" and state.step == 20 and len(state.loss) == 20
            assert [step for step, _ in state.val_loss.points] == [20]
            await until(pilot, lambda: app.query_one(SampleStream).row_count == 8)  # its scored batch
            assert {r.step for r in app.query_one(SampleStream).records.values()} == {20}
            assert [len(line.points) for line in app.query_one("#loss-plot", Plot).figure.lines] == [1, 20]
            await pilot.press("n")
            await until(pilot, lambda: app.query_one(SampleStream).row_count == 9)
            await pilot.press("v")
            screen = app.screen
            assert isinstance(screen, NeuronScreen)
            await until(pilot, lambda: screen.trace is not None)
            await pilot.press("right", "right_square_bracket", "r")
            assert screen.cursor == 1 and screen.ranked
            assert (screen.at_layer, screen.at_unit) == screen.ranked[0][:2]
            await pilot.press("escape")
            assert not isinstance(app.screen, NeuronScreen)
            stream = app.query_one(SampleStream)
            stream.focus()
            await pilot.press("enter")
            assert isinstance(app.screen, SampleScreen)

    asyncio.run(scenario())


def test_a_missing_pdflatex_is_a_warning(with_corpora, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex on it

    async def scenario():
        app = Recording(plugins.host().domains["latex"], {})
        async with app.run_test() as pilot:
            await pilot.pause()
            return app.shown

    shown = asyncio.run(scenario())
    assert any(sev == "warning" and "pdflatex" in msg and "not found" in msg for sev, msg in shown)


def test_the_tui_command_passes_training_flags_as_settings(monkeypatch, with_corpora):
    from typer.testing import CliRunner

    from playground.cli import app as cli

    opened = {}
    monkeypatch.setattr(PlaygroundApp, "run", lambda self: opened.update(wanted=self.wanted, flags=self.flags))
    result = CliRunner().invoke(cli, ["tui", "names", "--hidden", "64", "--compile", "--max-time", "30"])
    assert result.exit_code == 0, result.output
    assert opened["wanted"] == "names"
    assert {k: v for k, v in opened["flags"].items() if v is not None} == {"hidden": 64, "compile": True, "max_time": 30.0}
    result = CliRunner().invoke(cli, ["tui", "namez"])
    assert result.exit_code == 2 and "did you mean 'names'" in result.stderr


def test_a_refused_temperature_is_a_notification_and_the_run_goes_on(with_corpora):
    """-1, nan or one under the sample settings' bound would break sampling: refused, unchanged."""
    async def scenario():
        app = names_app(temperature=0.9)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.step > 5)
            field = app.query_one("#set-temperature")
            field.focus()
            for bad in ("-1", "nan", "1e-300", "0"):
                field.value = bad
                await pilot.press("enter")
                assert app.controller.steering.temperature == 0.9 and field.value == "0.9"
            refused = [m for sev, m in app.shown if sev == "error"]
            assert len(refused) == 4 and "finite" in refused[1]
            field.value = "0.7"
            await pilot.press("enter", "escape", "n")
            await until(pilot, lambda: app.query_one(NowPanel).judged is not None)
            assert app.controller.steering.temperature == 0.7
            assert app.controller.state.status in ("training", "evaluating")
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "finished")

    asyncio.run(scenario())


def test_a_float_setting_must_be_finite(with_corpora):
    async def scenario():
        app = names_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            settings = app.query_one(Settings)
            for text in ("nan", "inf", "1e400"):
                settings.field("lr").value = text
                try:
                    settings.changes()
                except PlaygroundError as exc:
                    assert "not a finite number" in str(exc)
                else:
                    raise AssertionError(f"{text} was taken")
                await pilot.press("s")
                assert app.controller.state.status == "idle" and "not a finite number" in app.shown[-1][1]

    asyncio.run(scenario())


def test_a_new_run_drops_the_old_checkpoint_and_the_panel_is_refilled_when_it_ends(with_corpora, tmp_path):
    """The checkpoint and its domain change together; after the run the panel shows what `s`
    would train: the highlighted domain's settings."""
    async def scenario():
        app = names_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app.controller.checkpoint = tmp_path / "an-earlier-run.pt"
            app.query_one("#set-hidden").value = "0"  # the run fails as it is prepared
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "failed")
            await pilot.pause()
            assert app.controller.checkpoint is None and app.controller.domain.name == "names"
            assert app.query_one("#set-hidden").value == "32"
            await pilot.press("n")
            assert "start training" in app.shown[-1][1]

    asyncio.run(scenario())


def test_the_panel_follows_the_domain_highlighted_during_training(with_corpora):
    flags = {name: value for name, value in TINY.items() if name != "hidden"}

    async def scenario():
        app = Recording(plugins.host().domains["names"], flags)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.step > 2)
            picker = app.query_one(DomainPicker)
            picker.highlighted = [picker.get_option_at_index(i).id for i in range(picker.option_count)].index("shakespeare")
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "finished")
            await pilot.pause()
            return app.query_one(Settings).changes(), app.query_one("#set-hidden").value

    from playground.run import run_settings

    changes, hidden = asyncio.run(scenario())
    assert changes == {} and hidden == str(run_settings(plugins.host().domains["shakespeare"], flags).model.hidden)


def test_a_plugin_exiting_in_the_training_thread_fails_the_run_not_the_app(with_corpora, tmp_path, monkeypatch):
    import shutil
    from dataclasses import replace

    def exits(text):
        raise SystemExit(3)

    (tmp_path / "exiting").mkdir()
    shutil.copy(with_corpora / "names" / "input.txt", tmp_path / "exiting" / "input.txt")
    monkeypatch.setenv("PLAYGROUND_CORPORA", f"{with_corpora}:{tmp_path}")

    async def scenario():
        app = Recording(replace(plugins.host().domains["names"], name="exiting", postprocess=(exits,)), TINY)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "failed")
            await pilot.pause()
            assert app.is_running and "SystemExit" in app.shown[-1][1]
            await pilot.press("q")

    asyncio.run(scenario())


def test_the_run_status_never_leaves_finished_or_failed():
    from playground.events import RunFinished, RunStarted
    from playground.tui.state import RunState

    state = RunState(status="starting")
    assert state.move("stopping")  # stopped while starting: the start does not undo it
    state.update(RunStarted(run_dir="r", domain="names", config={"train": {"max_steps": 1, "max_time": None}},
                            n_params=1, vocab_size=2, device="cpu"))
    assert state.status == "stopping"
    state.update(RunFinished(step=1, reason="stopped"))
    for late in ("stopping", "paused", "training", "failed"):
        assert not state.move(late) and state.status == "finished"


def test_a_stale_sample_request_is_dropped(with_corpora):
    """`n` twice: what arrives for the first request reaches neither the panel nor the stream."""
    from playground.tui.messages import Judged
    from playground.tui.state import SampleRecord

    async def scenario():
        app = names_app()
        async with app.run_test(size=(100, 30)) as pilot:
            now = app.query_one(NowPanel)
            now.begin("first", None)
            now.begin("second", None)
            score = {"valid": True, "value": 1.0, "category": "ok", "detail": ""}
            now.post_message(Judged(SampleRecord(0, "stale", score, None), now.request - 1))
            now.post_message(Judged(SampleRecord(0, "fresh", score, None), now.request))
            await until(pilot, lambda: now.judged is not None)
            await pilot.pause()
            return [r.text for r in app.query_one(SampleStream).records.values()], now.judged.text

    assert asyncio.run(scenario()) == (["fresh"], "fresh")


def test_escape_sequences_in_a_sample_are_shown_not_obeyed(with_corpora):
    """A sample is untrusted text: its control characters reach the screen written out."""
    from playground.tui.state import SampleRecord

    hostile = "Ann\x1b[2J\x1b]0;owned\x07a"
    score = {"valid": False, "value": 0.0, "category": "not-letters", "detail": "bad \x1b[31mred"}

    async def scenario():
        app = names_app()
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one(SampleStream).add(SampleRecord(1, hostile, score, None))
            app.push_screen(SampleScreen(SampleRecord(1, hostile, score, None)))
            await pilot.pause()
            shown = [str(w.render()) for w in app.screen.query("Static")]
            row = [str(cell) for cell in app.query_one(SampleStream).get_row_at(0)]
            return shown, row

    shown, row = asyncio.run(scenario())
    assert any("Ann\\x1b[2J\\x1b]0;owned\\x07a" in text for text in shown)
    assert any("bad \\x1b[31mred" in text for text in shown)
    assert not any("\x1b" in text for text in shown + row)


def test_a_message_that_arrives_as_the_app_closes_is_let_go(with_corpora):
    """A worker's message or a late highlight can be handled after the widgets are gone."""
    async def scenario():
        app = names_app()
        async with app.run_test(size=(100, 30)) as pilot:
            picker = app.query_one(DomainPicker)
            await app.query_one(Settings).remove()
            await app.query_one(SampleStream).remove()
            picker.highlighted = (picker.highlighted + 1) % picker.option_count
            app.post_message(SamplesScored([]))
            await pilot.pause()
            return app.is_running

    assert asyncio.run(scenario())  # and leaving run_test raised nothing either


def test_g_turns_guided_sampling_on_mid_run_and_charts_raw_and_guided(with_corpora):
    async def scenario():
        app = names_app(eval_every=10)
        async with app.run_test(size=(100, 30)) as pilot:
            picker = app.query_one(DomainPicker)
            picker.highlighted = [picker.get_option_at_index(i).id for i in range(picker.option_count)].index("names")
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.step > 2)
            await pilot.press("g")
            assert app.guided and app.controller.steering.guided is True
            await until(pilot, lambda: len(app.controller.state.guided) >= 1)
            assert app.controller.state.guided.points[-1][1] == 1.0  # a guided name is always 2-20 letters
            await until(pilot, lambda: any(r.guided for r in app.query_one(SampleStream).records.values()))
            assert "guided" in str(app.query_one("#status").render())
            await pilot.press("s")
            await until(pilot, lambda: app.controller.state.status == "finished")

    asyncio.run(scenario())


def test_g_on_a_domain_without_a_guide_is_a_warning(with_corpora, tmp_path):
    async def scenario():
        text = tmp_path / "notes.txt"
        text.write_text("some text\n" * 50)
        from playground.domains import text_domain

        app = Recording(text_domain(text), TINY)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("g")
            assert not app.guided and ("warning", "the text domain has no guide") in app.shown

    asyncio.run(scenario())


def test_an_opened_run_folder_is_followed_as_it_grows_and_as_a_resume_cuts_it_back(with_corpora, tmp_path):
    """The charts take in lines another process appends (a line half written waits), the
    status says the folder is being written while its lock is held, and a log cut back by a
    resume is read again from its start."""
    from playground.run import run_training

    list(run_training(plugins.host().domains["names"], {**TINY, "max_steps": 20}, tmp_path / "run"))
    metrics = tmp_path / "run" / "metrics.jsonl"
    whole = metrics.read_text()
    first, rest = whole[:len(whole) // 2], whole[len(whole) // 2:]
    metrics.write_text(first)
    held = [RunFolder(tmp_path / "run").claim()]  # as a run still writing it would

    async def scenario():
        app = Recording(None, {}, checkpoint=tmp_path / "run")
        async with app.run_test(size=(100, 30)) as pilot:
            state = app.controller.state
            await until(pilot, lambda: state.status == "following")
            before = state.step
            assert 0 < before < 20
            with metrics.open("a") as log:
                log.write(rest)
            await until(pilot, lambda: state.step == 20)
            RunFolder.release(held.pop())
            await until(pilot, lambda: state.status == "opened")
            metrics.write_text(first)  # a resume from an earlier checkpoint cuts the log back
            await until(pilot, lambda: app.controller.state is not state)
            assert app.controller.state.step == before

    try:
        asyncio.run(scenario())
    finally:
        for handle in held:
            RunFolder.release(handle)


def test_the_help_scrolls_with_the_keys_on_a_small_terminal(with_corpora):
    from textual.containers import VerticalScroll

    async def scenario():
        app = names_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            scroll = app.screen.query_one(VerticalScroll)
            assert scroll.max_scroll_y > 0  # at 80x24 the help is taller than its dialog
            await pilot.press("end")
            await pilot.pause()
            return scroll.scroll_y, scroll.max_scroll_y

    at, end = asyncio.run(scenario())
    assert at == end


def test_highlighting_another_domain_clears_the_last_domain_s_sample(with_corpora):
    async def scenario():
        app = names_app()
        async with app.run_test(size=(100, 30)) as pilot:
            now, picker = app.query_one(NowPanel), app.query_one(DomainPicker)
            ids = [picker.get_option_at_index(i).id for i in range(picker.option_count)]
            picker.highlighted = ids.index("names")
            await pilot.pause()
            now.begin("a names sample", app.domains["names"])
            picker.highlighted = ids.index("shakespeare")
            await pilot.pause()
            return now.domain, str(now.render())

    domain, shown = asyncio.run(scenario())
    assert domain is None and "press s to train" in shown


def test_the_status_bar_keeps_device_temperature_and_guided_within_80_columns():
    from playground.events import RunStarted, StepCompleted
    from playground.tui.state import RunState
    from playground.tui.widgets import status_line

    state = RunState()
    state.update(RunStarted(run_dir="runs/x", domain="names", n_params=1, vocab_size=28, device="cuda:0",
                            config={"model": {}, "train": {"max_steps": 20_000, "max_time": None}, "sample": {}}))
    state.update(StepCompleted(12_345, 1.5, 1e-3, 123_456.0, 3_700.0))
    line = status_line(state, 0.5, guided=True)
    assert line == "training · step 12,345/20,000 · 123k chars/s · cuda:0 · T=0.5 · guided · 1:01:40, ETA 38:14"
    assert "guided" in line[:78]  # the status bar's width at 80 columns: only the clock may be cut
