"""The Wikipedia markup scorer: labelled fixtures, real pages and mutants of them, slices."""

import random
import re
from pathlib import Path

import pytest

from playground import Score, blocks, plugins
from playground_wikipedia import scorer
from playground_wikipedia.scorer import score, unescape

DATA = Path(__file__).parent / "data" / "score" / "wikipedia"
FIXTURES = sorted(DATA.glob("*.txt"))
CATEGORIES = {
    "unclosed-comment", "unclosed-nowiki", "unclosed-math", "unclosed-pre", "unbalanced-ref", "nested-ref",
    "unbalanced-link", "unbalanced-template", "unbalanced-table", "crossed-nesting", "unbalanced-bold",
    "unbalanced-italic", "unclosed-tag", "unmatched-closing-tag", "empty",
}
TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)


@pytest.fixture(scope="module")
def corpus(shared_corpora) -> str:
    return (shared_corpora / "wikipedia" / "input.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def valid_articles(corpus) -> list[str]:
    """The real pages (escaped wikitext, as in the dump) of over 1,000 characters (articles
    rather than redirects) that the scorer finds valid."""
    pages = [page for page in TEXT.findall(corpus) if len(page) > 1000]
    return [page for page, s in zip(pages, score(pages)) if s.valid]


def test_fixtures_cover_every_category():
    bad = {p.name for p in FIXTURES if p.name.startswith("bad-")}
    for category in CATEGORIES:
        assert any(name.startswith(f"bad-{category}-") for name in bad), category
    assert sum(p.name.startswith("ok-") for p in FIXTURES) >= 6


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_labelled_fixtures(path):
    [s] = score([path.read_text()])
    if path.name.startswith("ok-"):
        assert (s.valid, s.value, s.category) == (True, 1.0, "ok"), s
    else:
        assert not s.valid and s.category in CATEGORIES and path.name.startswith(f"bad-{s.category}-"), s
        assert 0.0 <= s.value < 1.0


@pytest.mark.parametrize(
    ("sample", "category", "detail"),
    [
        ("[[a {{b]] }}", "crossed-nesting", "line 1: ]] closes the [[ of line 1 across the {{ of line 1"),
        ("a\n''b\n", "unbalanced-italic", "line 2: '' (italic) is still open at the end of the line"),
        ("x <!-- [[a\n", "unclosed-comment", "line 1: <!-- opened here is never closed"),
        ("[[a]]\n{{b\n", "unbalanced-template", "line 2: {{ opened here is never closed"),
        ("{{{a\n", "unbalanced-template", "line 1: {{{ opened here is never closed"),
        ("a]]\n", "unbalanced-link", "line 1: ]] closes nothing"),
        ("<ref>a<ref>b</ref></ref>", "nested-ref", "line 1: <ref> inside another <ref>"),
        ("<ref>a<ref>b</ref> c", "unbalanced-ref", "line 1: <ref> opened here is never closed"),
        ("a</span> <Div>", "unmatched-closing-tag", "line 1: </span> closes no <span>"),
        ("<Div>a</span>", "unclosed-tag", "line 1: <div> opened here is never closed"),
        # lines are counted in the sample, XML included
        ('<page>\n<title>A</title>\n<text xml:space="preserve">a\n[[b\n', "unbalanced-link",
         "line 4: [[ opened here is never closed"),
    ],
)
def test_categories_and_details(sample, category, detail):
    [s] = score([sample])
    assert (s.valid, s.category, s.detail) == (False, category, detail)


@pytest.mark.parametrize(
    "sample",
    [
        "{{{1}}} {{foo|{{{x|}}}}} {{{{{name}}}|arg}}",  # parameters and MediaWiki's brace runs
        "<MATH>{{</math> <nowiki/> [[a]] <ref name=x/> <br> </br> <li>item <p>para",
        "'''a'' l'''amour'' ''''b'''' '''''c'''''",  # 3+2 reads as ' + 2+2; 4 is ' + bold; 5 is both
        "{|\n| cell\n|}\n: {|\n|}\n{{a\n|}}",  # |}} closes a template, not a table
        "''a<!-- a comment\nover two lines -->b''",  # comments do not end the line
        "<div><span>a</div></span>",  # HTML tags need to close, not to nest
    ],
)
def test_valid_constructs(sample):
    assert score([sample])[0] == Score(True, 1.0)


@pytest.mark.parametrize("sample", ["<page></page>", "<page><text></text></page>", '<text xml:space="preserve"> \n</text>',
                                    "<!-- -->", "<!-- a -->\n<!-- b -->", "<page><text>&lt;!-- x --&gt;</text></page>"])
def test_a_sample_with_no_wikitext_content_is_empty(sample):
    s = score([sample])[0]
    assert (s.valid, s.value, s.category) == (False, 0.0, "empty"), s


def test_extraction_modes():
    xml = '  </revision>\n  </page>\n  <page>\n    <title>A</title>\n    <id>1</id>\n'
    nothing = Score(False, 0.0, "empty", "no wikitext in this sample (only XML metadata, comments or blanks)")
    assert score([xml])[0] == nothing
    assert score(["", " \n\t"]) == [Score(False, 0.0, "empty", "no wikitext")] * 2
    # only the wikitext inside <text> is checked: the title's [[ is not
    page = '<title>[[x</title>\n<text xml:space="preserve">&lt;ref&gt;[[a]]&lt;/ref&gt;</text>\n<text>b [[c'
    assert scorer.wikitext_pieces(page) == (True, [(page.index("&lt;ref"), "<ref>[[a]]</ref>"), (len(page) - 5, "b [[c")])
    assert score([page])[0].detail == "line 3: [[ opened here is never closed"
    # escaped wikitext without XML is unescaped once; bare wikitext with a raw < is not
    assert scorer.wikitext_pieces("&lt;ref&gt;a &amp;amp;") == (False, [(0, "<ref>a &amp;")])
    assert scorer.wikitext_pieces("<ref>&lt;</ref>") == (False, [(0, "<ref>&lt;</ref>")])


def test_value_is_matched_over_all_constructs():
    [s] = score(["[[a]] {{b}} <!-- c --> [[d"])  # 3 matched, 1 unmatched
    assert s.value == pytest.approx(0.75)
    [s] = score(["'''a''' ''b'' ''c"])  # per line: 1 bold pair, 1 italic pair, 1 italic left open
    assert (s.category, s.value) == ("unbalanced-italic", pytest.approx(2 / 3))


def test_a_unit_is_a_paragraph_and_a_sample_is_cut_after_its_last():
    domain = plugins.host().domains["wikipedia"]
    assert domain.cut("a\nb\n\nc\n\nunfinis") == "a\nb\n\nc\n"
    assert domain.cut("one long paragraph") == "" and domain.cut("  \n\nunfinished") == ""


def test_most_real_pages_are_valid(corpus):
    pages = [page for page in TEXT.findall(corpus) if page.strip()]
    assert len(pages) >= 500
    valid = sum(s.valid for s in score(pages))
    assert valid / len(pages) >= 0.9, f"{valid} of {len(pages)} real pages valid"


def in_xml(page: str) -> str:
    return f'    <revision>\n      <text xml:space="preserve">{page}</text>\n    </revision>\n'


def drop_last(pattern: str, group: int = 1):
    """A mutation deleting group ``group`` of the last match of ``pattern`` (None: no match)."""
    def mutate(page: str):
        matches = list(re.finditer(pattern, page, re.M))
        if not matches:
            return None
        m = matches[-1]
        return page[: m.start(group)] + page[m.end(group) :]
    return mutate


def nest_ref(page: str):
    i = page.rfind("&lt;/ref&gt;")
    return None if i < 0 else page[:i] + "&lt;ref&gt;inner&lt;/ref&gt;" + page[i:]


def add_bold(page: str):
    first, rest = page.partition("\n")[::2]
    if "&lt;" in first:
        return None
    return first + " '''" + "\n" + rest


# The links, templates and refs removed are the last ones of a page, on a line of their own
# (categories, interwiki links, {{reflist}}, ...), so that what is left open is at top level.
MUTATIONS = {
    "drop-link-close": (drop_last(r"^\[\[[^\[\]\n]*(\]\])[ \t]*$"), "unbalanced-link"),
    "drop-template-close": (drop_last(r"^\{\{[^{}\n]*(\}\})[ \t]*$"), "unbalanced-template"),
    "drop-ref-close": (drop_last(r"(&lt;/ref&gt;)"), "unbalanced-ref"),
    "nest-ref": (nest_ref, "nested-ref"),
    "add-bold": (add_bold, "unbalanced-bold"),
    "drop-table-close": (drop_last(r"^[ \t:]*(\|\})(?!\})"), "unbalanced-table"),
    "open-comment": (lambda page: page + "\n&lt;!-- unfinished", "unclosed-comment"),
    "open-math": (lambda page: page + "\n&lt;math&gt;x^2", "unclosed-math"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_mutants_of_real_pages(valid_articles, name):
    """Each mutant is invalid with the expected category, both as dump XML and unescaped."""
    assert len(valid_articles) >= 200
    mutate, category = MUTATIONS[name]
    mutants = [m for m in map(mutate, valid_articles) if m is not None][:100]
    assert len(mutants) >= 10, name
    for mutant in mutants:
        for sample in (in_xml(mutant), unescape(mutant)):
            [s] = score([sample])
            assert (s.valid, s.category) == (False, category), (name, s, sample[-300:])
            assert 0.0 <= s.value < 1.0


def test_unmutated_real_pages_are_valid_in_every_form(valid_articles):
    for page in valid_articles:
        for sample in (in_xml(page), unescape(page)):
            assert score([sample])[0].valid, sample[:300]


def test_random_slices_score_deterministically(corpus):
    rng = random.Random(1234)
    starts = [rng.randrange(len(corpus) - 1024) for _ in range(500)]
    samples = [corpus[i : i + 1024] for i in starts]
    first, second = score(samples), score(samples)
    assert first == second
    assert all(0.0 <= s.value <= 1.0 and (s.value == 1.0) == s.valid for s in first)
    assert any(s.valid for s in first) and any(not s.valid for s in first)


def test_domain_uses_the_scorer_and_paragraph_units():
    domain = plugins.host().domains["wikipedia"]
    assert domain.score is scorer.score
    assert domain.units is blocks
