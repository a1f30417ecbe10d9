"""The Wikipedia guide: it allows the real validation split (all but what the checker rejects,
or what is too long for one sample), refuses what cannot end valid, and every paragraph it lets
end, the length budget's forced endings included, is valid by the real checker."""

import random
import time

import pytest

from playground import only, plugins
from playground.guide import walk
from playground.held_out import held_out_text, held_out_units
from playground_wikipedia.guide import BUDGET, SLACK, WikiGuide


@pytest.fixture
def domain(with_corpora):
    return plugins.host().domains["wikipedia"]


@pytest.fixture
def guide():
    return WikiGuide()


def ended(state) -> bool:
    """Whether the guide's state is just after a blank line (a paragraph ended)."""
    return state[0] == 0 and state[1]


def test_the_domain_declares_it(domain):
    assert domain.guide is WikiGuide


def refused_units(domain, guide, text):
    """Walk ``text`` from its first unit's start; where the guide refuses, start again at the
    next unit. The units it refused, as (unit, index in it, what it allowed there)."""
    spans = domain.unit_spans(text)
    refused, state, unit, i = [], guide.start(), 0, spans[0][0]
    while i < len(text):
        while unit + 1 < len(spans) and spans[unit + 1][0] <= i:
            unit += 1
        if text[i] not in guide.allowed(state):
            refused.append((text[spans[unit][0]:spans[unit][1]], i - spans[unit][0], guide.allowed(state)))
            if unit + 1 == len(spans):
                break
            state, i = guide.start(), spans[unit + 1][0]
            continue
        state = guide.advance(state, text[i])
        i += 1
    return refused


def by_the_budget(unit: str, allowed) -> bool:
    """Whether the guide refused ``unit`` closing it for the length budget: one character
    allowed, and the unit leaves a sample less than twice SLACK characters to spare."""
    return not allowed.complement and len(allowed.chars) == 1 and len(unit) + 2 > BUDGET - 2 * SLACK


def test_it_allows_the_whole_validation_split(domain, guide):
    """All but units that the checker rejects or that (nearly) fill a whole sample."""
    text = held_out_text(domain)
    began = time.perf_counter()
    refused = refused_units(domain, guide, text)
    seconds = time.perf_counter() - began
    walked = len(text) - domain.unit_spans(text)[0][0]
    print(f"walked {walked:,} characters in {seconds:.1f} s; {len(refused)} units refused")
    assert walked > 1_000_000
    scores = domain.score([unit for unit, _, _ in refused])
    false_masks = [(unit[max(0, at - 60):at], unit[at]) for (unit, at, allowed), score in zip(refused, scores)
                   if score.valid and not by_the_budget(unit, allowed)]
    assert not false_masks
    short = [len(unit) for (unit, _, _), score in zip(refused, scores) if score.valid and len(unit) + 2 <= BUDGET]
    print(f"{sum(not s.valid for s in scores)} rejected by the checker; valid but within the budget's margin: {short}")
    assert sum(not score.valid for score in scores) >= 15 and len(short) <= 5


def test_it_allows_each_held_out_unit_alone_and_ends_it_at_the_blank_line(domain, guide):
    units = held_out_units(domain)
    assert len(units) == 200
    scores = domain.score(units)
    passed = 0
    for unit, score in zip(units, scores):
        state, index = walk(guide, unit + "\n\n")
        if index is None:
            assert ended(state), unit
            passed += 1
        else:
            assert not score.valid or by_the_budget(unit, guide.allowed(state)), (unit[max(0, index - 60):index])
    assert passed > 170


@pytest.mark.parametrize("text, refused_at", [
    ("a]]", "a]"),  # ]] with nothing open
    ("{{a\n\n", "{{a\n"),  # a blank line inside {{
    ("[[a\n", "[[a"),  # a plain link never holds a line end
    ("[[a}}", "[[a"),  # }} closing a [[
    ("{{a|[[b}}]]", "{{a|[[b"),  # crossed nesting
    ("''a\n", "''a"),  # a line end after an odd ''
    ("'''a\n", "'''a"),  # ... after an odd '''
    ("'''''a''\n", "'''''a''"),  # bold still open
    ("a}", "a"),  # a lone }
    ("[[a|b]c]]", "[[a|b]"),  # a ] in a plain link is the start of ]]
    ("[[a [[b]]]]", "[[a "),  # a [ in a plain link
    ("&lt;ref&gt;a&lt;ref&gt;", "&lt;ref&gt;a&lt;ref"),  # a ref inside a ref (one closing itself may come)
    ("&lt;ref&gt;a\n\n", "&lt;ref&gt;a\n"),  # a blank line inside a ref
    ("&lt;/ref&gt;", "&lt;/ref"),  # </ref> with no ref open
    ("&lt;/small&gt;", "&lt;/small"),  # a closing tag the checker counts, with nothing to close
    ("&lt;ref name&quot;x&quot;&gt;", "&lt;ref name&"),  # attributes are name="value"
    ("a&lt;b\nc", "a&lt;b"),  # a tag on two lines
    ("&lt;!-- a\n\n", "&lt;!-- a\n"),  # a blank line inside a comment
    ("&lt;nowiki&gt;a\n\n", "&lt;nowiki&gt;a\n"),  # ... inside an opaque tag
    ("{|\n|a\n\n", "{|\n|a\n"),  # ... inside a table
    ("a & b", "a &"),  # a raw & starts an entity
    ("[[a<", "[[a"),  # a raw < only starts </text>, once all is closed
    ("a</b>", "a</"),  # ... and nothing else
    ("\n", ""),  # a paragraph holds some text
    ("&lt;!-- a --&gt;\n\n", "&lt;!-- a --&gt;\n"),  # ... not only a comment
])
def test_it_refuses(guide, text, refused_at):
    assert walk(guide, text)[1] == len(refused_at)


@pytest.mark.parametrize("text", [
    "[[File:a.jpg|thumb|A [[b]] c\nd]]",  # a File: caption may hold links and lines
    "{{{1}}} {{foo|{{{x|}}}}} {{{{{name}}}|arg}}",  # MediaWiki's brace runs
    "'''''a''' b'' '''c'' d",  # 5 = both; ''' + '' closes by the checker's rule
    "&lt;ref name=&quot;a&quot;/&gt; &lt;ref name=b&gt;c&lt;/ref&gt; &lt;small&gt;d&lt;/small&gt;",
    "&lt;math&gt;{{ [[ '' &lt;/math&gt; &lt;nowiki/&gt;",  # opaque
    "{|\n|a\n|}\n:{|\n|}",  # tables
    "&lt;!-- [[ ''\n --&gt;x",  # a comment over a line
    "a &amp;nbsp; &quot;b&quot;",
    "a&lt;br /&gt;b &lt;br&gt; &lt;http://a.b/c&gt;",  # tags the checker does not count: free
    "{{a\n| b = [[c]]\n}}",
    "[[a]]</text>\n    </revision>\n  </page>\n  <page>\n    <title>B</title>\n"
    "    <text xml:space=\"preserve\">''b''",  # the next page's wikitext
])
def test_it_allows(guide, domain, text):
    state, index = walk(guide, text + "\n\n")
    assert index is None and ended(state)
    assert domain.score([text])[0].valid


def test_it_closes_what_is_open_within_the_budget(guide, domain):
    """Near BUDGET characters, a sample that would go on writing x may only close what is open,
    one character at a time where room is short; the paragraph then ends within BUDGET, valid."""
    state, index = walk(guide, "x" * BUDGET)
    assert BUDGET - 2 * SLACK < index < BUDGET and guide.allowed(state) == only("\n")  # a blank line now
    text = "&lt;ref&gt;{{a|[[b|''c &lt;small&gt;&lt;!-- d"
    state, forced = walk(guide, text)[0], 0
    while not ended(state):
        allowed = guide.allowed(state)
        char = "x" if allowed.complement else min(allowed.chars)
        forced += not allowed.complement
        text, state = text + char, guide.advance(state, char)
    assert len(text) <= BUDGET and forced > 20
    assert text.endswith("\n\n") and "]]}}&lt;/ref&gt;" in text[-40:], text[-60:]
    assert domain.score([text])[0].valid, text[-60:]


def test_the_budget_is_the_samples_length():
    state, index = walk(WikiGuide(length=300), "x" * 300)
    assert 300 - 2 * SLACK < index < 300 and WikiGuide(length=300).allowed(state) == only("\n")


def test_random_walks_never_stick_and_end_valid(guide, domain):
    """Random text that the guide allows, of the constructs it knows: it always allows one of
    the corpus's characters, and whatever paragraph it lets end, the checker finds valid."""
    from playground.corpora import corpus_text

    alphabet = sorted(set(corpus_text(domain)))
    pieces = ["[[", "]]", "{{", "}}", "{|", "|}", "\n", "''", "'''", "&lt;ref&gt;", "&lt;/ref&gt;",
              "&lt;ref name=x", "&lt;!--", "--&gt;", "&lt;nowiki&gt;", "&lt;small&gt;", "&lt;/", "&gt;",
              "&quot;", "[[File:", "|", "</text>", "<text xml:space=\"preserve\">", "\n|", "&", "<", "a", " "]
    rng, paragraphs = random.Random(14), []
    for _ in range(12):
        state, text = guide.start(), ""
        while not ended(state):
            allowed = guide.allowed(state)
            assert any(char in allowed for char in alphabet), text[-60:]
            piece = rng.choice(pieces) if allowed.complement else rng.choice(sorted(allowed.chars))
            for char in piece:
                if char not in guide.allowed(state):
                    break
                text, state = text + char, guide.advance(state, char)
        assert len(text) <= BUDGET
        paragraphs.append(text)
    assert all(score.valid for score in domain.score(paragraphs)), paragraphs
