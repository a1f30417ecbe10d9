"""The ceiling: real held-out units scored the way samples are, and their mutations rejected."""

import json

import pytest

from playground import ceiling as ceilings
from playground import held_out, plugins
from playground.ceiling import ceiling, mutated
from playground.scoring import judge


def test_a_mutation_drops_the_last_closer_or_dollar():
    assert mutated("a $x$ {b}.") == "a $x$ {b."
    assert mutated("int f(void) { return 0; }") == "int f(void) { return 0; "
    assert mutated("emma") is None


def test_the_names_ceiling_is_measured_once_and_cached(with_corpora, monkeypatch):
    domain = plugins.host().domains["names"]
    found = ceiling(domain)
    assert found.valid.n == held_out.UNITS and found.valid.value == 1.0
    assert found.rejected.n == 0  # a name has nothing to drop
    [cached] = list((ceilings.cache_root() / "ceilings").glob("names-*.json"))
    assert json.loads(cached.read_text())["ceiling"] == 1.0
    monkeypatch.setattr(ceilings, "measured", lambda *a: pytest.fail("measured again"))
    assert ceiling(domain) == found
    assert judge(domain, ["emma", "x1"]).rates.to_dict()["ceiling"] == 1.0


def test_the_latex_ceiling_compiles_real_units_and_rejects_their_mutations(with_corpora, monkeypatch):
    """The real pdflatex, on 30 held-out paragraphs and environments and a mutation of each."""
    monkeypatch.setattr(held_out, "UNITS", 30)
    found = ceiling(plugins.host().domains["latex"])
    assert found.valid.n == 30 and found.valid.value >= 0.9, found
    assert found.rejected.n >= 25 and found.rejected.value >= 0.8, found


def test_a_damaged_cache_entry_is_measured_again(with_corpora):
    domain = plugins.host().domains["names"]
    first = ceiling(domain)
    [cached] = list((ceilings.cache_root() / "ceilings").glob("names-*.json"))
    cached.write_text("{not json")
    assert ceiling(domain) == first and json.loads(cached.read_text())["ceiling"] == 1.0


def test_without_the_corpus_there_is_no_ceiling():
    assert ceiling(plugins.host().domains["c"]) is None  # names and shakespeare ship theirs


def test_an_unwritable_cache_measures_and_goes_on(with_corpora, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("PLAYGROUND_CACHE", str(blocker / "below-a-file"))
    assert ceiling(plugins.host().domains["names"]).valid.value == 1.0
    assert judge(plugins.host().domains["names"], ["emma"]).copies == [4]


def test_a_new_version_of_a_checkers_tool_is_a_new_ceiling(with_corpora, monkeypatch, tmp_path):
    """A domain that runs a tool (here a stand-in script named in ``requires``) is keyed by it."""
    import dataclasses
    import os

    tool = tmp_path / "checker-tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PLAYGROUND_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    domain = dataclasses.replace(plugins.host().domains["names"], requires=("checker-tool",))
    ceiling(domain)
    tool.write_text("#!/bin/sh\n# upgraded\n")
    ceiling(domain)
    tool.unlink()
    ceiling(domain)
    assert len(list((tmp_path / "cache" / "ceilings").glob("names-*.json"))) == 3
