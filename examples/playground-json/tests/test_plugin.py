"""The json domain meets playground's contract and names what is wrong with a broken document;
its guide allows the corpus, refuses what cannot become JSON, and lets a text end where it is JSON."""

import json
import random
import string
import zipfile
from pathlib import Path

import pytest

from playground import blocks, plugins
from playground.guide import first_refusal, walk
from playground.testing import check_domain
from playground_json import SEPARATOR, assemble
from playground_json.guide import MAX_DEPTH, JsonGuide

GOOD = ['{\n  "pagination": {\n    "ListThings": {\n      "result_key": "Things"\n    }\n  }\n}',
        '{"version": 2, "waiters": {}}', "[1, 2.5, null, true]", '"just a string"']
BROKEN = {
    "": "empty",
    '{\n  "a": 1\n  "b": 2\n}': "expecting-delimiter",
    '{\n  "a": 1,\n}': "expecting-property-name",
    '{\n  "a" 1\n}': "expecting-colon",
    '{\n  "a": \n}': "expecting-value",
    '{\n  "a": "open\n}': "invalid-control-character",
    '{\n  "a": "never closed': "unterminated-string",
    '{"a": "\\q"}': "invalid-escape",
    '{"a": "\\u12"}': "invalid-unicode-escape",
    '{}\n}': "extra-data",
    "[" * 100_000: "too-deep",
}


def domain():
    return plugins.host().domains["json"]


def test_the_domain_is_registered_and_meets_the_contract():
    check_domain(domain(), valid=GOOD, invalid=list(BROKEN))
    assert plugins.host().plugins["json"].status == "ok"


@pytest.mark.parametrize("sample, category", BROKEN.items(), ids=BROKEN.values())
def test_a_broken_document_is_named(sample, category):
    [verdict] = domain().score([sample])
    assert (verdict.valid, verdict.category) == (False, category)


def test_detail_and_value_say_where_the_error_is():
    [verdict] = domain().score(['{\n  "a": 1\n  "b": 2\n}'])
    assert verdict.detail == "line 3 col 3: Expecting ',' delimiter"  # at "b", where the comma should be
    assert verdict.value == pytest.approx(13 / 21)  # 13 of the 21 characters come before it


def test_postprocessing_strips_and_cuts_nothing():
    assert domain().finish('\n  {"a": [1]}\n}\n') == '{"a": [1]}\n}'


def test_assemble_pretty_prints_each_distinct_document_once(tmp_path):
    with zipfile.ZipFile(tmp_path / "botocore-0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("botocore/data/b/1/paginators-1.json", '{"pagination": {"ListB": {"result_key": "B"}}}')
        wheel.writestr("botocore/data/a/1/waiters-2.json", '{"version": 2, "waiters": {}}')
        wheel.writestr("botocore/data/b/1/waiters-2.json", '{"version":2,"waiters":{}}')  # a duplicate
        wheel.writestr("botocore/data/a/1/examples-1.json", '{"examples": {}}')  # not taken
    text = assemble(tmp_path).decode()
    docs = text.split("\n\n")
    assert [json.loads(d) for d in docs] == [{"version": 2, "waiters": {}}, {"pagination": {"ListB": {"result_key": "B"}}}]
    assert docs[1].startswith('{\n  "pagination": {\n    "ListB": {') and text.endswith("}\n")


# Each is refused at its last character.
REFUSED = {
    '{\n  "a": 1,\n}': "trailing-comma",
    "[1, 2,]": "trailing-comma-in-array",
    "{}\n{": "second-value",
    "{} ": "space-after-the-value",
    "{" + " " * 5: "spaces-running-on",
    '{\n  "a": "open\n': "raw-newline-in-string",
    '{"a": "\x01': "raw-control-character",
    '{"a": "\\q': "bad-escape",
    '{"a": "\\u12x': "bad-unicode-escape",
    '{"a" 1': "missing-colon",
    "{a": "unquoted-key",
    "[01": "leading-zero",
    "[-N": "negative-nan",
    '{\n  "a": 1\n\n': "blank-line-inside",
    '{\n  "a": [\n  \t\n': "blank-line-of-spaces-inside",
    "\n": "blank-line-before",
    "[" * (MAX_DEPTH + 1): "too-deep",
}
ACCEPTED = [*GOOD, '{"a": [-0.5e+3, 1E2, -Infinity, NaN, false], "\\u00e9\\n\\"": {}}', ' [ ]\n']


def lets_end(guide, state) -> bool:
    """Whether the blank line that ends a document may come now."""
    return walk(guide, SEPARATOR, state)[1] is None


@pytest.fixture(scope="module")
def corpus_documents() -> list[str]:
    """The corpus as ``assemble`` builds it, from the botocore installed here (whatever its
    version: the pinned corpus is 1.43.107's)."""
    import botocore  # a test dependency (the [test] extra)
    return assemble(Path(botocore.__file__).parent / "data").decode().split(SEPARATOR)


def test_the_guide_allows_every_document_of_the_corpus_and_its_end(corpus_documents):
    guide = JsonGuide()
    assert len(corpus_documents) > 300
    for document in corpus_documents:  # each starts with the prime, "{\n", so the guide reads it too
        assert first_refusal(guide, document + SEPARATOR) is None


@pytest.mark.parametrize("text", ACCEPTED)
def test_the_guide_allows_json_and_then_the_end(text):
    guide = JsonGuide()
    state, refused = walk(guide, text)
    assert refused is None and lets_end(guide, state)


@pytest.mark.parametrize("text", REFUSED, ids=REFUSED.values())
def test_the_guide_refuses_what_cannot_become_json(text):
    assert walk(JsonGuide(), text)[1] == len(text) - 1


CLOSING = '"}]0'  # taken first when allowed: each closes something or starts what closes soonest
SYNTAX = '{}[]":, \n\\/u0123456789.eE+-truefalsnNIiy'  # the literals' letters only: deeper nesting


def parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def random_walk(alphabet: str, seed: int, steps: int = 300) -> list[tuple[str, bool]]:
    """Each text on the way from the prime, with whether the guide lets it end there: ``steps``
    characters of ``alphabet`` each drawn uniformly from those the guide allows that do not let
    the document end, then the greedy close, to the first place where it may end."""
    guide, rng, text = JsonGuide(), random.Random(seed), "{\n"
    state, _ = walk(guide, text)
    seen = []
    for step in range(10_000):
        seen.append((text, lets_end(guide, state)))
        if seen[-1][1]:
            return seen
        assert not blocks(text), f"a blank line before the end: {text!r}"
        options = [c for c in alphabet if c in guide.allowed(state)]
        assert options, f"stuck after {text!r}"
        going_on = [c for c in options if not lets_end(guide, guide.advance(state, c))]
        closing = [c for c in CLOSING if c in options]
        char = rng.choice(going_on) if step < steps and going_on else (closing or options)[0]
        state, text = guide.advance(state, char), text + char
    raise AssertionError(f"not closed: {text!r}")


@pytest.mark.parametrize("alphabet", [string.printable, SYNTAX], ids=["printable", "syntax"])
@pytest.mark.parametrize("seed", range(20))
def test_a_random_walk_may_end_exactly_where_it_is_json(alphabet, seed):
    seen = random_walk(alphabet, seed)
    assert len(seen) > 300
    assert [(text, parses(text)) for text, _ in seen] == seen
