"""The LaTeX guide (plugins/playground_latex/guide.py) against the real corpus: it allows every
real held-out text, refuses what cannot compile, and never leaves a sample without a way out."""

import random

import pytest

from playground import plugins
from playground.corpora import corpus_text
from playground.testing import check_guide_allows_held_out
from playground.guide import first_refusal, walk
from playground.held_out import held_out_text, held_out_units
from playground_latex.guide import MAX_DEPTH, LatexGuide


@pytest.fixture
def domain(with_corpora):
    return plugins.host().domains["latex"]


@pytest.fixture
def guide(domain):
    return domain.guide()


def test_the_domain_brings_the_guide(domain):
    assert domain.guide is LatexGuide


def test_it_allows_the_whole_validation_split(domain, guide):
    assert check_guide_allows_held_out(domain, guide) > 1_000_000


def test_it_allows_each_held_out_unit_from_the_start_and_ends_it_where_the_domain_does(domain, guide):
    units = held_out_units(domain)
    assert len(units) >= 100
    for unit in units:
        assert first_refusal(guide, unit) is None, unit[:80]
        end, _ = walk(guide, unit + "\n\n")
        assert end == guide.start(), f"the guide does not see the unit end: {unit[:80]!r}"


@pytest.mark.parametrize("allowed, refused", [
    ("\\begin{itemize}\n\\item a\n\\end{", "p"),  # only the innermost environment may close
    ("\\begin{proof}\nLet $x\n", "\n"),  # no blank line in math,
    ("\\begin{lemma}\nLet $x$.\n", "\n"),  # in an environment the corpus never breaks,
    ("Let {\\it x\n", "\n"),  # or in a brace group
    ("See \\foo", "b"),  # an unknown control word stops where no known one goes on
    ("Let $\\alpha$.\n\\", "a"),  # a math command in text
    ("Let $x$.", "}"),  # a brace that closes nothing
    ("Let $x", "}"),
    ("Let $x$ and x", "^"),  # scripts in math only
    ("Let $a ", "&"),  # alignment tabs in alignments only
    ("Let $a$ ", "#"),
    ("Let $$x$", " "),  # display math ends with $$
    ("\\begin{equation}\nx", "$"),
    ("\\begin{proof}\n\\begin{", "p"),  # the corpus never nests a proof
    ("Let $x$.\n\\begin{d", "o"),  # a document begins only where a unit does
    ("Let $x$.\n\\end{document}\n", "m"),  # and nothing follows its end
    ("$\\left( x", "$"),  # \left needs its \right first
    ("Let $x$ \\b", "e"),  # \begin only at a line's start, as in the corpus
    ("$\\frac", "1"),  # \frac always takes braces there
    ("$\\Hom_{a}", "_"),  # no double subscript,
    ("$B_\\mathfrak p", "_"),
    ("$x^a", "'"),  # nor superscript
])
def test_it_refuses_what_cannot_compile(guide, allowed, refused):
    assert first_refusal(guide, allowed) is None
    assert walk(guide, allowed + refused)[1] == len(allowed)


def test_comments_hide_nothing_but_themselves(guide):
    assert first_refusal(guide, "Let $x$ % a comment with $ and } and \\foo\nand more.\n\n") is None
    _, index = walk(guide, "Let $x % a comment\n\n")
    assert index == len("Let $x % a comment\n")  # the blank line after it is still inside math


def test_a_unit_ends_only_where_nothing_is_open(guide):
    for text in ["\\begin{proof}\nA.\n\nB.\n\\end{proof}\n\n", "Let $x$.\n\n", "$$\nx\n$$\n\n"]:
        end, index = walk(guide, text)
        assert index is None and end == guide.start(), text


def closing_order(guide) -> str:
    """Enough to close anything from a line's end, closers first: brackets, dollars, newlines,
    \\end{...} with the environments' names, \\right and a delimiter."""
    names = "".join(name for _, name in guide.facts.children)
    return "".join(dict.fromkeys("}]\n\\end{right.$" + names))


def way_out(guide, state, order: str, budget: int = 20_000) -> bool:
    """Whether a unit end is reachable from ``state`` with at most one frame beyond what is
    open (a depth-first search, closers first)."""
    stack = state[0]
    todo, seen = [state], {state}
    while todo and budget:
        here = todo.pop()
        budget -= 1
        allowed = guide.allowed(here)
        for char in reversed(order):
            if char in allowed:
                there = guide.advance(here, char)
                if there == guide.start():
                    return True
                if there not in seen and there[0][:-1] == stack[:max(len(there[0]) - 1, 0)]:
                    seen.add(there)
                    todo.append(there)
    return False


def test_every_state_along_real_text_has_a_way_out(domain, guide):
    text = held_out_text(domain)
    text = text[domain.unit_spans(text)[1][0]:]
    order = closing_order(guide)
    state, checked = guide.start(), 0
    for index, char in enumerate(text):
        if char == "\n" and index % 19 == 0:  # at some line ends (where any name is whole)
            assert way_out(guide, state, order), f"no way out after {text[max(0, index - 80):index]!r}"
            checked += 1
        state = guide.advance(state, char)
    assert checked > 1000


def test_a_random_walk_never_sticks_and_stays_bounded(domain, guide):
    chars = sorted(set(corpus_text(domain)))
    rng = random.Random(14)
    state = guide.start()
    for _ in range(30_000):
        allowed = [c for c in chars if c in guide.allowed(state)]
        assert allowed, f"stuck in {state!r}"
        state = guide.advance(state, rng.choice(allowed))
        stack, lex = state
        assert len(stack) <= MAX_DEPTH + 1
        assert len(str(lex)) < 40
        hash(state)

