"""docs/plugins.md, datasette style: every hook is documented with its exact signature and
tested, and the guide's plugin examples run."""

import inspect
import re
from pathlib import Path

import pytest

from playground import hookspecs
from playground.plugins import PluginHost
from playground.testing import check_domain

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "plugins.md").read_text()
HOOKS = [name for name, f in vars(hookspecs).items() if callable(f) and hasattr(f, "playground_spec")]


def test_there_are_hooks():
    assert HOOKS == ["register_domains", "track_event"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_exact_signature(hook):
    signature = str(inspect.signature(getattr(hookspecs, hook))).replace("'", "")
    assert f"### `{hook}{signature}`" in GUIDE


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    assert re.search(rf"def test_\w*{hook}\w*\(", tests), f"no test function is named after {hook}"


def guide_examples() -> dict[str, str]:
    """The guide's one-file plugins: code blocks whose first line is `# file: NAME.py`."""
    blocks = re.findall(r"```python\n# file: (\S+)\n(.*?)```", GUIDE, re.S)
    return dict(blocks)


def test_register_domains_example_from_the_guide_registers_a_valid_domain(tmp_path):
    (tmp_path / "haiku.py").write_text(guide_examples()["haiku.py"])
    host = PluginHost(plugins_dir=tmp_path)
    domain = host.domains["haiku"]
    assert host.plugins["haiku"].status == "ok"
    check_domain(domain, valid=["an old silent pond\na frog jumps into the pond\nsplash, silence again"],
                 invalid=["just one line"])
    from playground.guide import first_refusal

    guide = domain.guide()
    assert first_refusal(guide, "one\ntwo\nthree\n\n") is None
    assert first_refusal(guide, "one\n\n") == "line 2: '\\n' after 'one\\n'"  # a poem has three lines
    assert first_refusal(guide, "a\nb\nc\nd") == "line 4: 'd' after 'a\\nb\\nc\\n'"  # and no fourth


def test_track_event_example_from_the_guide_writes_its_csv(tmp_path, monkeypatch):
    from engine_support import TINY, tiny_domain
    from playground import plugins
    from playground.run import run_training

    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "evals_to_csv.py").write_text(guide_examples()["evals_to_csv.py"])
    monkeypatch.setenv("PLAYGROUND_PLUGINS_DIR", str(tmp_path / "plugins"))
    monkeypatch.chdir(tmp_path)
    plugins._host.cache_clear()
    list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 20}, tmp_path / "run"))
    rows = (tmp_path / "evals.csv").read_text().splitlines()
    assert rows[0] == "step,train_loss,val_loss" and [r.split(",")[0] for r in rows[1:]] == ["10", "20"]


def test_the_readme_links_the_guide():
    assert "docs/plugins.md" in (ROOT / "README.md").read_text()
