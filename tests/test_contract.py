"""The domain contract (playground.testing.check_domain) over every registered domain, what it
catches, and the `new-plugin` scaffold: installed with pip, it passes its own test."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from playground import plugins
from playground.cli import app
from playground.domains import Corpus, Domain, Score, Source
from playground.guide import anything_but
from playground.scaffold import next_steps
from playground.testing import check_domain

KNOWN = {  # domain -> (known-good samples, obviously broken ones)
    "names": (["emma", "Zoe"], ["", "x", "r2d2"]),
    "shakespeare": (["ROMEO:\nBut soft, what light through yonder window breaks?\n"], ["Xqzt vwkj plmn brrr"]),
    # a body's unit, as the corpus writes one (its guide starts where a unit may: inside a document)
    "latex": (["\\begin{lemma}\n\\label{lemma-easy}\nFor all $n \\in \\mathbf{N}$ we have $n \\leq n^2$.\n\\end{lemma}\n"],
              ["\\begin{lemma} $x", "\\undefinedmacro"]),
    "c": (["int main(void) { return 0; }\n"], ["int main( { return 0 }\n"]),
    "wikipedia": (["'''Anarchism''' is a [[political philosophy]].{{cite|a}}\n"], ["[[open link {{and template\n"]),
}


def test_every_registered_domain_meets_the_contract(with_corpora):
    domains = plugins.host().domains
    assert set(domains) == set(KNOWN)  # a new built-in domain must bring its samples here
    for name, domain in domains.items():
        check_domain(domain, *KNOWN[name])


def words_domain(**changes) -> Domain:
    def score(samples):
        return [Score(True, 1.0) if s.isalpha() else Score(False, 0.0, "not-a-word" if s.strip() else "empty")
                for s in samples]

    corpus = Corpus(sources=(Source("https://example.org/words.txt"),), kind="lines", license="CC0")
    return dataclasses.replace(Domain("words", "test words", corpus, score=score), **changes)


class NoN:
    """A guide that allows anything but the letter n."""

    def start(self):
        return 0

    def allowed(self, state):
        return anything_but("n")

    def advance(self, state, char):
        return state


class SaysStr(NoN):
    def allowed(self, state):
        return "abc"


@pytest.mark.parametrize("changes, message", [
    ({}, None),
    ({"guide": NoN}, "the guide refuses the known-good sample 'fine' at line 1: 'n' after 'fi'"),
    ({"guide": SaysStr}, "must return a playground.CharSet"),
    ({"corpus": Corpus(sources=(Source("https://example.org/w.txt"),), kind="lines")}, "license"),
    ({"corpus": Corpus(license="CC0")}, "needs sources"),
    ({"corpus": Corpus(sources=(Source("words.txt"),), license="CC0")}, "is not a URL"),
    ({"postprocess": (lambda s: None,)}, "not str"),
    ({"score": None}, "has no scorer"),
    ({"score": lambda samples: [Score(True, 1.0)] * len(samples)}, "accepts the broken sample"),
    ({"score": lambda samples: [Score(False, 0.0, "bad")] * len(samples)}, "rejects the known-good sample"),
    ({"score": lambda samples: [Score(s.isalpha(), 2.0) for s in samples]}, "outside [0, 1]"),
    ({"score": lambda samples: [Score(s.isalpha(), 1.0, "ok" if s.isalpha() else "") for s in samples]},
     "empty category"),
    ({"score": lambda samples: [Score(s.isalpha(), 1.0, "ok") for s in samples]}, "only valid samples are 'ok'"),
    ({"score": lambda samples: [Score(s.isalpha(), 1.0 * s.isalpha(), "ok" if s.isalpha() else "bad")
                                for s in samples]}, "call an empty sample invalid, with the category 'empty'"),
    ({"score": lambda samples: [Score(s.isalpha(), "1" if s.isalpha() else 0.0, "ok" if s.isalpha() else "empty")
                                for s in samples]}, "value must be a number"),
    ({"score": lambda samples: [Score(s.isalpha(), 1.0, "ok" if s.isalpha() else "no") for s in samples][:1]},
     "returned 1 scores for 2"),
])
def test_check_domain_catches_each_breach(changes, message):
    domain = words_domain(**changes)
    if message is None:
        check_domain(domain, valid="fine", invalid="not fine")
        return
    with pytest.raises(AssertionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_domain(domain, valid="fine", invalid="not fine")


def test_check_domain_catches_a_nondeterministic_scorer():
    calls = []

    def flaky(samples):
        calls.append(1)
        return [Score(s.isalpha(), 1.0 if len(calls) == 1 else 0.5, "ok" if s.isalpha() else "bad") for s in samples]

    with pytest.raises(AssertionError, match="not deterministic"):
        check_domain(words_domain(score=flaky), valid="fine", invalid="not fine")


def test_new_plugin_installs_and_passes_its_own_test(tmp_path):
    result = CliRunner().invoke(app, ["new-plugin", "haiku", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    package = tmp_path / "playground-haiku"
    assert result.stdout.splitlines()[1:] == [f"  pip install {package} && playground domains",
                                              f"  pip install '{package}[test]' && pytest {package}/tests"]
    docs = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text()
    for step in next_steps("./playground-haiku"):  # the guide gives the same commands
        assert step.split(" && ")[0] in docs and step.split(" && ")[1] in docs
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(package)], check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target), "PLAYGROUND_ENTRY_POINTS": "all"}
    listed = subprocess.run([sys.executable, "-m", "playground", "plugins"], env=env, capture_output=True, text=True)
    assert "haiku" in listed.stdout and "entry point" in listed.stdout
    (tmp_path / "playground" / "plugins").mkdir(parents=True)  # a clone of playground beside it, as a user may have
    pytest_command = Path(sys.executable).with_name("pytest")  # as printed: `python -m pytest` would import the clone
    tested = subprocess.run([pytest_command, "-q", "-p", "no:cacheprovider", str(package / "tests")],
                            env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert tested.returncode == 0, tested.stdout[-2000:]
    assert "2 passed" in tested.stdout
    picked = subprocess.run([sys.executable, "-c", TUI_DOMAINS], env=env, capture_output=True, text=True, timeout=300)
    assert "haiku" in picked.stdout.split(), picked.stderr[-2000:]


# The TUI's domain picker, listed from a headless run of the app.
TUI_DOMAINS = """
import asyncio
from playground.tui.app import PlaygroundApp
from playground.tui.widgets import DomainPicker

async def main():
    app = PlaygroundApp()
    async with app.run_test() as pilot:
        picker = app.query_one(DomainPicker)
        print(" ".join(picker.get_option_at_index(i).id for i in range(picker.option_count)))

asyncio.run(main())
"""


@pytest.mark.parametrize("name, message", [("Bad Name", "use lowercase"), ("class", "Python keyword")])
def test_new_plugin_rejects_bad_names(tmp_path, name, message):
    result = CliRunner().invoke(app, ["new-plugin", name, "--dir", str(tmp_path)])
    assert result.exit_code == 2 and message in result.stderr


def test_new_plugin_never_overwrites(tmp_path):
    CliRunner().invoke(app, ["new-plugin", "haiku", "--dir", str(tmp_path)])
    result = CliRunner().invoke(app, ["new-plugin", "haiku", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "already exists" in result.stderr
