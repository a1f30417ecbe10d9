"""The names guide: every real name passes; a 21st letter, a digit and a one-letter name do not."""

import pytest

from playground import plugins
from playground.guide import walk
from playground_names.guide import NameGuide


def test_the_domain_declares_it():
    assert plugins.host().domains["names"].guide is NameGuide


def test_every_name_of_the_corpus_passes(with_corpora):
    names = (with_corpora / "names" / "input.txt").read_text().split()
    assert len(names) == 32033
    assert walk(NameGuide(), "\n".join(names) + "\n") == (0, None)


@pytest.mark.parametrize("text, refused_at", [
    ("a" * 21, 20),  # a 21st letter
    ("a\n", 1),  # a one-letter name
    ("\n", 0),  # an empty one
    ("bob1", 3),  # a digit
    ("mary ann\n", 4),  # a space
    ("zoë\n", 2),  # a letter outside a-z
])
def test_it_refuses(text, refused_at):
    assert walk(NameGuide(), text)[1] == refused_at


def test_it_allows_either_case_and_twenty_letters():
    assert walk(NameGuide(), "Emma\nZOE\n" + "a" * 20 + "\n") == (0, None)
