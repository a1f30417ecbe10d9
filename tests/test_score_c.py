"""The C scorer (tree-sitter) and its strict mode agree with gcc -fsyntax-only."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from playground import plugins
from playground_c import scorer
from playground_c.units import units
from playground_c.scorer import blank_directives, score, score_strict, split_definitions

DATA = Path(__file__).parent / "data" / "score" / "c"
FIXTURES = sorted(DATA.glob("*.c"))
OK = [p for p in FIXTURES if p.name.startswith("ok-")]


@pytest.fixture(scope="module", autouse=True)
def gcc():
    if shutil.which("gcc") is None:
        pytest.fail("these tests need the real gcc")


def gcc_valid(text: str) -> bool:
    """The reference: gcc itself on the complete file, headers and all."""
    result = subprocess.run(
        ["gcc", "-fsyntax-only", "-std=gnu11", "-x", "c", "-"], input=text.encode(), capture_output=True, timeout=60,
    )
    return result.returncode == 0


def drop_semicolon(text: str) -> str:
    """Remove the ; that ends the first return statement."""
    return re.sub(r"(return [^;\n]*);", r"\1", text, count=1)


def drop_last_brace(text: str) -> str:
    """Remove the last brace that closes a definition (at the start of a line)."""
    i = text.rindex("\n}") + 1
    return text[:i] + text[i + 1 :]


def stray_token(text: str) -> str:
    return text.replace("return ", "return @ ", 1)


# tree-sitter does not always recover from a missing ; with a MISSING node: it may wrap the
# statement in an ERROR node instead.
MUTATIONS = (
    (drop_semicolon, {"missing-semicolon", "error-in-statement", "stray-token"}),
    (drop_last_brace, {"missing-brace"}),
    (stray_token, {"stray-token"}),
)


def labelled_samples():
    """(text, label, expected category) for every fixture and every mutant of a valid one."""
    out = []
    for path in FIXTURES:
        text = path.read_text()
        out.append((text, path.name.startswith("ok-"), None))
    for path in OK:
        text = path.read_text()
        for mutate, categories in MUTATIONS:
            mutant = mutate(text)
            if mutant != text:
                out.append((mutant, False, categories))
    return out


def test_tree_sitter_agrees_with_gcc():
    samples = labelled_samples()
    assert len(samples) >= 40
    scores = score([text for text, _, _ in samples])
    for (text, label, categories), s in zip(samples, scores):
        assert s.valid == label == gcc_valid(text), (text, s)
        assert (s.value == 1.0) == s.valid and 0.0 <= s.value <= 1.0
        if categories:
            assert s.category in categories, (text, s)
            assert re.match(r"line \d+ col \d+: ", s.detail), s


def test_strict_mode_agrees_with_gcc():
    samples = labelled_samples()
    scores = score_strict([text for text, _, _ in samples])
    syntax = {category for category, _ in scorer.SYNTAX_ERRORS}
    for (text, label, _), s in zip(samples, scores):
        assert s.valid == label, (text, s)
        assert s.valid or s.category in syntax, s


@pytest.mark.parametrize("sample", ["int x = 08;", "double x = 1e;", "double x = 1..2;", "int y = 0x1p;",
                                    "int z = 0b12;", "double v = 0x.p1;", "int w = 12abc;"])
def test_strict_mode_calls_a_malformed_number_invalid(sample):
    """gcc rejects the number itself, which no missing header could explain."""
    assert not gcc_valid(f"{sample}\n")
    [s] = score_strict([f"{sample}\n"])
    assert (s.valid, s.category) == (False, "bad-number"), s


@pytest.mark.parametrize(
    ("sample", "category", "detail"),
    [
        ("int f(void) { int x = 1 return x; }", "missing-semicolon", "line 1 col 24: missing ';'"),
        ("int f(void) {\n  return 1;\n", "missing-brace", "line 2 col 12: missing '}'"),
        ("int f(void) { return 1; }\n}\n", "unbalanced-braces", "line 2 col 1: unexpected '}'"),
        ("int f(void) { return (1 + 2; }", "missing-paren", "line 1 col 28: missing ')'"),
        ("int f(void) { return 1 @ 2; }", "stray-token", "line 1 col 24: unexpected '@ 2'"),
    ],
)
def test_categories_and_details(sample, category, detail):
    [s] = score([sample])
    assert (s.valid, s.category, s.detail) == (False, category, detail)


def test_value_is_the_fraction_of_clean_definitions():
    sample = "int a;\nstruct s { int x; };\nint f(void) { return 0; }\nint b = 3 @;\n"
    assert split_definitions(sample) == ["int a;", "struct s { int x; };", "int f(void) { return 0; }", "int b = 3 @;"]
    [s] = score([sample])
    assert s.value == pytest.approx(3 / 4)
    assert score(["/* only a comment */"])[0].category == "empty"


def test_units_leave_out_a_trailing_unfinished_definition():
    sample = "int a;\nint f(void)\n{\n\treturn 1;\n}\nstatic int g(int x)\n{\n\tif (x) {\n\t\tx++"
    domain = plugins.host().domains["c"]
    assert [sample[a:b] for a, b in units(sample)] == ["int a;", "int f(void)\n{\n\treturn 1;\n}"]
    assert domain.cut(sample) == "int a;\nint f(void)\n{\n\treturn 1;\n}\n"
    assert score([domain.cut(sample)])[0].valid
    assert units("int a;") == [] and units("int a;\n") == [(0, 6)]  # complete once a newline follows


def test_unit_spans_count_characters_not_bytes():
    sample = 'char *s = "é";\nint b;\n'
    assert [sample[a:b] for a, b in units(sample)] == ['char *s = "é";', "int b;"]


def test_kernel_annotations_do_not_count_as_errors():
    assert score(["static int __init setup(char *__user p) { return 0; }"])[0].valid


def test_kernel_corpus_mostly_parses(shared_corpora):
    text = (shared_corpora / "c" / "input.txt").read_text()[:300_000]
    s = score([text])[0]
    assert s.value >= 0.9, s


def test_blank_directives_handles_every_spelling():
    spellings = [
        '#include "x"', '  # include "x"', '??=include "x"', '%:include "x"', "#\\\ninclude \"x\"",
        '#inc\\\nlude "x"', '#/**/include "x"', '/* a\n b */ #include "x"', "??/\n#include \"x\"",
        '#define LONG(a) \\\n  (a)',
    ]
    for directive in spellings:
        text = f"int a;\n{directive}\nint b;\n"
        assert blank_directives(text) == "int a;\n" + "\n" * (directive.count("\n") + 1) + "int b;\n", directive
    kept = 'int a; /* c\n */ #x\nchar *s = "#include";\n'  # not at the start of a logical line
    assert blank_directives(kept) == kept


def test_domain_uses_the_scorer_and_units():
    domain = plugins.host().domains["c"]
    assert domain.score is scorer.score
    assert domain.units is units


def test_a_definition_copied_from_the_corpus_is_not_new(with_corpora):
    from playground.scoring import novelty, novelty_index, unit_lists

    domain = plugins.host().domains["c"]
    index = novelty_index(domain)
    assert len(index) > 10_000  # the whole corpus, though one bad spot makes tree-sitter's root an ERROR
    # The first (in sorted order, not the set's hash order, which changes from run to run) that is
    # a unit on its own too: about one in eleven (118 of 1,329) is not, split alone, and a sample
    # of it has no units, so no novelty at all.
    candidates = sorted(unit for unit in index if unit.startswith("static int") and unit.endswith("}"))
    copied = next(unit for unit, units in zip(candidates, unit_lists(domain, [u + "\n" for u in candidates]))
                  if units == [unit])
    assert novelty(domain, [copied + "\n", "static int zz_made_up(void)\n{\n\treturn 42;\n}\n"], index) == [0.0, 1.0]
