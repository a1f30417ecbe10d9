"""The Shakespeare guide: it allows the real validation split and refuses non-words and
speakers that are no speaker's name."""

import pytest

from playground import plugins
from playground.testing import check_guide_allows_held_out
from playground.guide import walk
from playground.held_out import held_out_units
from playground_shakespeare.guide import ShakespeareGuide


@pytest.fixture
def domain(with_corpora):
    return plugins.host().domains["shakespeare"]


@pytest.fixture
def guide(domain):
    return ShakespeareGuide()


def test_the_domain_declares_it(domain):
    assert domain.guide is ShakespeareGuide


def test_it_allows_the_whole_validation_split(domain, guide):
    assert check_guide_allows_held_out(domain, guide) > 100_000


def test_it_allows_each_held_out_unit_alone_and_ends_it_at_the_blank_line(domain, guide):
    units = held_out_units(domain)
    assert len(units) == 200
    for unit in units:
        assert walk(guide, unit + "\n\n") == (guide.start(), None), unit


def test_no_state_is_a_dead_end(domain, guide):
    """Each state allows a character of the corpus, and each allowed one leads to a state."""
    from playground.corpora import corpus_text

    alphabet = sorted(set(corpus_text(domain)))
    for state in range(len(guide.machine.allowed)):
        allowed = [char for char in alphabet if char in guide.allowed(state)]
        assert allowed and all(guide.advance(state, char) is not None for char in allowed), state


@pytest.mark.parametrize("text, refused_at", [
    ("ROMEO:\nO xqzt, my lord.\n", "ROMEO:\nO x"),  # no word starts "xq"
    ("ROMEO:\nthoug it be\n", "ROMEO:\nthoug"),  # a word must end at a known word
    ("ROMEO:\nknow'xyz\n", "ROMEO:\nknow'"),  # an apostrophe between letters joins a word
    ("ROMEO:\nAy\n\nHello there, my friend:\n", "ROMEO:\nAy\n\nHe"),  # no speaker's name
    ("romeo:\nAy.\n", ""),  # speakers are as the corpus writes them
    ("ROMEO\nAy.\n", "ROMEO"),  # a speaker's line ends in ':'
    ("ROMEO:\n  \n", "ROMEO:\n"),  # a verse line never starts blank
])
def test_it_refuses(guide, text, refused_at):
    assert walk(guide, text)[1] == len(refused_at)


@pytest.mark.parametrize("text", [
    "ROMEO:\nO'er the sea, o' the shore; 'Tis so.\n",  # inner, closing and opening apostrophes
    "KING RICHARD III:\nA HORSE! a horse! my kingdom for a horse!--\n",  # any case, any punctuation
    "First Citizen:\n\n\n",  # a speaker alone, extra blank lines
])
def test_it_allows(guide, text):
    assert walk(guide, text)[1] is None
