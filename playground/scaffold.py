"""`playground new-plugin NAME`: a working domain-plugin package to start from.

It writes ``playground-NAME/`` with a pyproject (entry point in the group ``playground``), the
plugin module (a domain, its corpus spec and a scorer) and a test that runs
``playground.testing.check_domain``; ``pip install ./playground-NAME`` and its test passes.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from playground.errors import PlaygroundError

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "playground-{name}"
version = "0.1.0"
description = "A playground domain: {name}"
requires-python = ">=3.10"
dependencies = ["playground"]

[project.optional-dependencies]
test = ["pytest"]

# This line is what makes playground find the plugin once the package is installed.
[project.entry-points.playground]
{name} = "playground_{module}"

[tool.setuptools]
packages = ["playground_{module}"]
'''

MODULE = '''\
"""The {name} domain for playground: its corpus, units and validity scorer.

Edit the corpus spec to point at your text, and the scorer to say what a valid sample is.
"""

from playground import Corpus, Domain, Score, Source, hookimpl, lines, per_sample

MAX_LINE = 80


def score_one(sample: str) -> Score:
    """Valid: some text, and no line longer than MAX_LINE characters."""
    lines = sample.strip().splitlines()
    if not lines:
        return Score(False, 0.0, "empty", "no text")
    long = [i for i, line in enumerate(lines, 1) if len(line) > MAX_LINE]
    if long:
        return Score(False, 1 - len(long) / len(lines), "line-too-long",
                     f"line {{long[0]}} has {{len(lines[long[0] - 1])}} characters (at most {{MAX_LINE}})")
    return Score(True, 1.0)


score = per_sample(score_one)  # Domain.score judges a batch; this judges each sample


{upper} = Domain(
    name="{name}",
    description="{name}: describe your corpus here",
    corpus=Corpus(
        # One file; pin its sha256 once you know it (`playground corpus info {name}` prints it).
        # Or use `playground corpus fetch {name} --from PATH` for a local file.
        sources=(Source("https://example.org/{name}.txt"),),
        kind="lines",  # one example per line; "stream" for running text
        license="say the corpus's license here",
    ),
    units=lines,  # a unit is a line; a sample that runs out of length is cut after its last
    score=score,
    stop="\\n",  # one sample is one line; remove for running text
)


@hookimpl
def register_domains(register):
    register({upper})
'''

TEST = '''\
"""The {name} domain meets playground's contract and judges samples as intended."""

from playground import plugins
from playground.testing import check_domain


def test_the_domain_is_registered_and_meets_the_contract():
    domain = plugins.host().domains["{name}"]
    check_domain(domain, valid=["a short line", "two\\nlines"], invalid=["", "x" * 200])


def test_long_lines_are_named():
    [verdict] = plugins.host().domains["{name}"].score(["fine\\n" + "y" * 90])
    assert verdict.category == "line-too-long" and "line 2" in verdict.detail
'''

README = '''\
# playground-{name}

A domain plugin for playground: `{name}`.

    pip install ./playground-{name}            # then: playground domains
    playground corpus fetch {name} --from my-corpus.txt
    playground train {name}
    pip install "./playground-{name}[test]" && pytest playground-{name}/tests

Edit `playground_{module}/__init__.py`: the corpus spec, the post-processing and the scorer.
'''


def next_steps(where: str) -> list[str]:
    """What to run after writing the package at ``where``: the commands docs/plugins.md gives.
    `pytest`, not `python -m pytest`: run from the folder that holds a clone of playground, the
    latter would import the clone's folder as the playground package."""
    return [f"pip install {where} && playground domains", f"pip install '{where}[test]' && pytest {where}/tests"]


def new_plugin(name: str, folder: Path) -> Path:
    """Write the package for domain ``name`` into ``folder``; return its path."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise PlaygroundError(f"plugin name {name!r}: use lowercase letters, digits, '-' and '_', starting with a letter")
    module = name.replace("-", "_")
    if keyword.iskeyword(module):
        raise PlaygroundError(f"plugin name {name!r} is a Python keyword")
    root = Path(folder) / f"playground-{name}"
    if root.exists():
        raise PlaygroundError(f"{root} already exists; choose another name or --dir")
    files = {
        "pyproject.toml": PYPROJECT, f"playground_{module}/__init__.py": MODULE,
        "tests/test_plugin.py": TEST, "README.md": README,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(name=name, module=module, upper=module.upper()), encoding="utf-8")
    return root
