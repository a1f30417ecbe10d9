"""Hostile plugins in a plugins folder, through the real `playground` command: one that exits,
raises KeyboardInterrupt or GeneratorExit, never returns, or returns garbage is named in one
warning line, and every command still runs with its own exit status. No traceback anywhere."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from playground import plugins

FIVE = {"shakespeare", "names", "latex", "c", "wikipedia"}
LIMIT_S = "2"  # PLAYGROUND_PLUGIN_TIMEOUT for these tests: a hung plugin costs 2 s, not 10

HAIKU = """
    from playground import Corpus, Domain, Source, hookimpl

    @hookimpl
    def register_domains(register):
        register(Domain(name="haiku", description="three lines",
                        corpus=Corpus(sources=(Source("https://example.org/haiku.txt"),), kind="lines")))
"""
HOOK = "from playground import Corpus, Domain, hookimpl\n\n@hookimpl\ndef register_domains(register):\n"
HOSTILE = {  # plugin file -> (its source, the error `playground plugins` shows for it)
    "exits_at_import": ("import sys\nsys.exit(0)\n", "SystemExit: 0"),
    "interrupts_at_import": ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    "hangs_at_import": ("import threading\nthreading.Event().wait()\n", f"import did not return within {LIMIT_S} s"),
    "exits_in_register": (HOOK + "    raise SystemExit(3)\n", "register_domains raised SystemExit: 3"),
    "interrupts_in_register": (HOOK + "    raise KeyboardInterrupt\n", "register_domains raised KeyboardInterrupt"),
    "closes_in_register": (HOOK + "    raise GeneratorExit\n", "register_domains raised GeneratorExit"),
    "hangs_in_register": (HOOK + "    import threading\n    threading.Event().wait()\n",
                          f"register_domains did not return within {LIMIT_S} s"),
    "returns_domains": (HOOK + "    return [Domain(name='mine', description='', corpus=Corpus())]\n",
                        "register_domains returned a value (list); it should call register(Domain(...)) and return None"),
    "returns_a_number": (HOOK + "    return 42\n",
                         "register_domains returned a value (int); it should call register(Domain(...)) and return None"),
    "unprintable": ("class Weird(Exception):\n    def __str__(self):\n        raise SystemExit(1)\n\nraise Weird()\n",
                    "Weird (its message could not be read)"),
    "exits_in_track_event": ("from playground import hookimpl\n\n@hookimpl\ndef track_event(event):\n"
                             "    raise SystemExit(0)\n", ""),  # only runs can break it: see the last test
}


def folder_with(tmp_path, *names):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "haiku.py").write_text(textwrap.dedent(HAIKU))
    for name in names:
        (folder / f"{name}.py").write_text(HOSTILE[name][0])
    return folder


def playground(folder, *args, input="", **env):
    return subprocess.run([sys.executable, "-m", "playground", "--plugins-dir", str(folder), *args],
                          input=input, capture_output=True, text=True, timeout=120,
                          env={**os.environ, plugins.TIMEOUT_ENV: LIMIT_S, **env})


def assert_named_once(result, name, error):
    """One warning line names a broken plugin (none when ``error`` is empty); no traceback."""
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if repr(name) in line]
    assert len(lines) == (1 if error else 0), result.stderr
    assert all(line.startswith(f"warning: plugin {name!r} is broken: {error} ") for line in lines), lines


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_plugin_is_named_and_the_commands_run(tmp_path, name):
    folder = folder_with(tmp_path, name)
    listed = playground(folder, "domains", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {row["name"] for row in json.loads(listed.stdout)} == FIVE | {"haiku"}
    assert_named_once(listed, name, HOSTILE[name][1])

    scored = playground(folder, "score", "names", "-", input="emma\nb4\n")
    assert scored.returncode == 1, scored.stdout + scored.stderr  # b4 is not a name: not "all valid"
    assert "valid 1/2" in scored.stdout
    assert_named_once(scored, name, HOSTILE[name][1])


def test_all_of_them_at_once(tmp_path):
    folder = folder_with(tmp_path, *HOSTILE)
    valid = playground(folder, "score", "names", "-", input="emma\nolivia\n")
    invalid = playground(folder, "score", "names", "-", input="emma\nb4\n")
    assert (valid.returncode, invalid.returncode) == (0, 1), valid.stderr
    for name, (_, error) in HOSTILE.items():
        assert_named_once(valid, name, error)
        assert_named_once(invalid, name, error)
    assert not any(repr(name) in valid.stderr for name in FIVE | {"haiku"})


def signal_masks(pid: int) -> str:
    """Each thread's signal masks (ignored, caught, blocked, pending), from /proc."""
    lines = []
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        fields = dict(line.split(":\t", 1) for line in (task / "status").read_text().splitlines() if ":\t" in line)
        lines.append(f"thread {task.name} {fields.get('Name', '').strip()}: "
                     + " ".join(f"{k}={fields.get(k, '?').strip()}" for k in ("SigIgn", "SigCgt", "SigBlk", "SigPnd", "ShdPnd")))
    return "\n".join(lines)


def test_a_real_ctrl_c_while_a_plugin_hangs_still_interrupts(tmp_path):
    """KeyboardInterrupt raised by plugin code breaks the plugin; a real SIGINT reaches the main
    thread, which is waiting for the plugin, so the user can still stop the command."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    started = tmp_path / "started"
    (folder / "stuck.py").write_text(f"import pathlib, threading\npathlib.Path({str(started)!r}).touch()\n"
                                     "threading.Event().wait()\n")
    command = [sys.executable, "-m", "playground", "--plugins-dir", str(folder), "domains"]
    # As from a terminal: SIGINT at its default disposition. A suite started in the background
    # (as CI may start it) has SIGINT ignored, its children inherit that, and Python then leaves
    # it ignored, as it should for a background job: the failure three CI runs saw.
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, plugins.TIMEOUT_ENV: "600", "PYTHONFAULTHANDLER": "1"},
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) as process:
        deadline = time.monotonic() + 60
        while not started.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the plugin never started"
        process.send_signal(signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # fail, rather than wait forever on leaving the with
            masks = signal_masks(process.pid)
            process.send_signal(signal.SIGABRT)  # faulthandler: every thread's stack to stderr
            _, stderr = process.communicate(timeout=30)
            raise AssertionError(f"the command went on for 60 s after a SIGINT:\n{masks}\n{stderr[-4000:]}") from None
    assert process.returncode == 130
    assert stderr.strip() == "interrupted" and "Traceback" not in stdout


def test_a_bad_time_limit_is_one_line_and_exit_2(tmp_path):
    result = playground(folder_with(tmp_path), "domains", **{plugins.TIMEOUT_ENV: "soon"})
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: {plugins.TIMEOUT_ENV} takes seconds, more than 0 and at most 3600, "
                                     "not 'soon'")


def test_track_event_that_exits_or_hangs_is_turned_off_and_training_goes_on(tmp_path, monkeypatch):
    from engine_support import TINY, tiny_domain
    from playground.events import RunFinished
    from playground.run import run_training

    folder = folder_with(tmp_path, "exits_in_track_event")
    (folder / "hangs_on_event.py").write_text("import threading\nfrom playground import hookimpl\n\n"
                                              "@hookimpl\ndef track_event(event):\n    threading.Event().wait()\n")
    (folder / "counts.py").write_text(f"from playground import hookimpl\n\n@hookimpl\ndef track_event(event):\n"
                                      f"    open({str(tmp_path / 'seen')!r}, 'a').write(event.kind + '\\n')\n")
    monkeypatch.setenv("PLAYGROUND_PLUGINS_DIR", str(folder))
    monkeypatch.setenv(plugins.TIMEOUT_ENV, "1")
    events = list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 10}, tmp_path / "run"))
    assert isinstance(events[-1], RunFinished)
    seen = (tmp_path / "seen").read_text().splitlines()
    assert seen == [event.kind for event in events]
    status = {name: (info.status, info.error) for name, info in plugins.host().plugins.items()}
    assert status["exits_in_track_event"] == ("broken", "track_event raised SystemExit: 0")
    assert status["hangs_on_event"] == ("broken", "track_event did not return within 1 s")
    assert status["counts"] == ("ok", "")
