"""The README's two set-up commands are the ones CI runs and the CLI knows."""

import re
from pathlib import Path

from typer.testing import CliRunner

from playground.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def quickstart_commands():
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_exactly_two_setup_commands_and_ci_runs_the_test_one():
    main, tests = quickstart_commands()
    assert "pip install torch==2.13.0" in main and "pip install torch==2.13.0" in tests
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_every_command_in_the_reference_exists():
    names = set(re.findall(r"^\| `playground (?:--[\w-]+ \w+ \.\.\. )?([a-z][a-z-]*)", README, flags=re.M))
    assert names >= {"domains", "plugins", "corpus"}
    for name in names:
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, name


def test_the_readme_lists_the_tuis_keys():
    from playground.tui.keys import KEYS

    table = README.split("| key | action |", 1)[1].split("\n\n", 1)[0]
    keys = set(re.findall(r"^\| (.+?) \|", table, flags=re.M))
    shown = {part.strip("` ") for row in keys for part in row.split(" / ")}
    assert {k.shown for k in KEYS} <= shown
