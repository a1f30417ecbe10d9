"""The LaTeX scorer agrees with the real pdflatex, on documents and on mutants of them."""

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from playground import plugins
from playground.sandbox import Limits, jail_problem
from playground_latex import scorer
from playground_latex.postprocess import repair, units

DATA = Path(__file__).parent / "data" / "score" / "latex"
FIXTURES = sorted(DATA.glob("*.tex"))

# (name, text inserted before \end{document} or at the end of a body, expected category)
MUTATIONS = (
    ("extra-brace", "text}\n", "unbalanced-braces"),
    ("begin-without-end", "\\begin{center}\ntext\n", "environment-mismatch"),
    ("undefined-command", "\\notacommand\n", "undefined-control-sequence"),
    ("mismatched-environment", "\\begin{center}\ntext\n\\end{itemize}\n", "environment-mismatch"),
    ("missing-dollar", "a_1 + a_2\n", "missing-dollar"),
)



def latex():
    return plugins.host().domains["latex"]


@pytest.fixture(scope="module", autouse=True)
def pdflatex():
    if shutil.which("pdflatex") is None:
        pytest.fail("these tests need the real pdflatex: install TeX Live")
    if jail_problem():
        pytest.fail(f"these tests need pdflatex jailed: {jail_problem()}")


def mutate(text: str, insert: str) -> str:
    if "\\end{document}" in text:
        return text.replace("\\end{document}", insert + "\\end{document}")
    return text + "\n" + insert


def reference_valid(sample: str, folder: Path) -> bool:
    """pdflatex itself, run plainly, on the document the scorer compiles."""
    document, _ = scorer.wrap(sample)
    (folder / "doc.tex").write_text(document)
    result = subprocess.run(
        ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=folder, capture_output=True, timeout=60,
    )
    return result.returncode == 0


def test_fixtures_and_mutants_agree_with_pdflatex(tmp_path):
    samples, labels, categories = [], [], []
    for path in FIXTURES:
        text = path.read_text()
        samples.append(text)
        labels.append(path.name.startswith("ok-"))
        categories.append(None)
        if path.name.startswith("ok-"):
            for _, insert, category in MUTATIONS:
                samples.append(mutate(text, insert))
                labels.append(False)
                categories.append(category)
    scores = scorer.score(samples)
    for sample, label, category, score in zip(samples, labels, categories, scores):
        assert score.valid == label == reference_valid(sample, tmp_path), (sample, score)
        assert 0.0 <= score.value <= 1.0
        assert (score.value == 1.0) == score.valid
        if category:
            assert score.category == category, (sample, score)
            assert score.detail.startswith("! "), score


@pytest.mark.parametrize(
    ("sample", "category", "detail"),
    [
        ("Text with \\foo here.", "undefined-control-sequence", "! Undefined control sequence. l.1 Text with \\foo"),
        ("Some } text.", "unbalanced-braces", "! Too many }'s."),
        ("\\begin{lemma}\nx\n\\end{proof}", "environment-mismatch", "! LaTeX Error: \\begin{lemma} on input line"),
        ("\\begin{nosuchenv}x\\end{nosuchenv}", "undefined-environment", "! LaTeX Error: Environment nosuchenv"),
        ("\\input{nosuchfile}", "missing-file", "! LaTeX Error: File `nosuchfile.tex' not found."),
        ("\\section{Title\n\nmore}", "runaway-argument", "! Paragraph ended before"),
        ("$x^2", "missing-dollar", "! Missing $ inserted."),
    ],
)
def test_error_categories(sample, category, detail):
    [score] = scorer.score([sample])
    assert not score.valid
    assert score.category == category
    assert score.detail.startswith(detail.split(" l.")[0])
    if " l." in detail:
        assert score.detail == detail


def test_partial_credit_counts_lines_before_the_error():
    sample = "line one\n\nline three $x$\n\\undefined\nline five"
    [score] = scorer.score([sample])
    assert score.category == "undefined-control-sequence"
    assert score.value == pytest.approx(3 / 6)  # 3 of 5 lines read cleanly, over n + 1


def test_unclosed_group_is_invalid_though_pdflatex_only_warns():
    [score] = scorer.score(["Some {text that never closes."])
    assert not score.valid
    assert score.category == "unbalanced-braces"
    assert "\\end occurred inside a group" in score.detail


def test_documents_compile_as_they_are():
    doc = "\\documentclass{article}\\begin{document}\\Spec\\end{document}"
    [score] = scorer.score([doc])
    assert score.category == "undefined-control-sequence"  # no Stacks preamble for whole documents


def test_scoring_is_deterministic():
    samples = [path.read_text() for path in FIXTURES] + ["\\oops", "{"]
    assert scorer.score(samples) == scorer.score(samples)


def test_corpus_chunks_compile_with_the_preamble(shared_corpora):
    """Chunks of the Stacks project that start at a lemma compile once cut to complete units."""
    text = (shared_corpora / "latex" / "input.txt").read_text()
    bodies = re.findall(r"\\begin\{document\}(.*?)\\end\{document\}", text, re.S)
    rng = random.Random(4)
    chunks = []
    while len(chunks) < 8:
        paragraphs = re.split(r"\n[ \t]*\n", rng.choice(bodies))
        starts = [i for i, p in enumerate(paragraphs) if p.startswith("\\begin{lemma}")]
        if starts:
            i = rng.choice(starts)
            chunks.append(latex().cut("\n\n".join(paragraphs[i : i + 12]) + "\n\n"))
    scores = scorer.score(chunks)
    assert sum(s.valid for s in scores) >= 7, [s for s in scores if not s.valid]


def test_empty_and_oversized_samples_are_invalid_without_compiling():
    scores = scorer.score(["", " \n\t\n", "%", "% one\n  % two\n", "x" * (scorer.MAX_SAMPLE_CHARS + 1)])
    assert [(s.valid, s.value, s.category) for s in scores] == [(False, 0.0, "empty")] * 4 + [
        (False, 0.0, "too-large")]


def test_documentclass_in_a_comment_does_not_skip_the_preamble():
    [score] = scorer.score(["Hello world $\\Spec$. % see \\documentclass\n"])
    assert score.valid, score


GARBAGE = "garbage \\undefinedmacro $ }}} \\begin{itemize}\n"


@pytest.mark.parametrize(
    ("trick", "category", "value"),
    [
        ("\\def\\x{document}\\end\\x\n", "text-after-end", 2 / 5),  # 2 of 4 lines read
        ("\\catcode`\\%=12 % \\end{document}\n", "text-after-end", 2 / 5),
        ("\\csname enddocument\\endcsname\n", "text-after-end", 2 / 5),
        ("\\makeatletter\\@@end\n", "ended-early", 0.0),
        ("\\stop\n", "ended-early", 0.0),
        ("\\newwrite\\f\\immediate\\openout\\f=e.tex\\immediate\\write\\f{\\string\\end{document}}"
         "\\immediate\\closeout\\f\\input{e}\n", "ended-early", 0.0),
    ],
)
def test_where_tex_really_ended_is_asked_of_tex(trick, category, value):
    """Text after an end the source does not spell \\end{document} was never checked: invalid."""
    [score] = scorer.score(["Hello.\n" + trick + GARBAGE])
    assert (score.valid, score.category, score.value) == (False, category, pytest.approx(value)), score


@pytest.mark.parametrize(
    ("sample", "category"),
    [
        ("Hello.\n\\def\\x{document}\\end\\x " + GARBAGE, "text-after-end"),  # on the end's own line
        ("\\documentclass{article}\\begin{document}x\n\\makeatletter\\@@end\n" + GARBAGE, "ended-early"),
        ("\\documentclass{article}\\begin{document}x\n\\def\\x{document}\\end\\x\n", "text-after-end"),
        ("\\documentclass{article}\\begin{document}x\n\\end{document}\n\n", "ok"),
        ("Hello.\n\\typeout{PGEND-0000000000000000 sample.tex 99}\\makeatletter\\@@end\n", "ended-early"),
    ],
)
def test_the_end_marker_works_for_documents_and_bodies(sample, category):
    [score] = scorer.score([sample])
    assert score.category == category, score


@pytest.mark.parametrize(
    ("sample", "valid", "value"),
    [
        ("Text.\n\\end{document}\nLeft over \\oops\n", False, 2 / 5),
        ("\\documentclass{article}\\begin{document}x\\end{document} more", False, 1 / 2),
        ("Text.\n\\end{document}\n\n  \n", True, 1.0),
        ("Text. % \\end{document} in a comment\nmore\n", True, 1.0),
    ],
)
def test_text_after_end_document_counts(sample, valid, value):
    [score] = scorer.score([sample])
    assert (score.valid, score.value) == (valid, pytest.approx(value)), score
    assert score.category == ("ok" if valid else "text-after-end")


def test_runaways_are_invalid_not_undetermined():
    scores = scorer.score(["\\def\\x{\\x}\\x", "\\loop\\newpage\\iftrue\\repeat"])
    assert [s.category for s in scores] == ["timeout", "timeout"], scores
    assert not any(s.valid for s in scores)


def test_a_compile_the_wall_clock_stops_first_is_undetermined(monkeypatch):
    """A wall clock far too short for any compile stands in for a machine too busy to give one."""
    limits = Limits(scorer.TIMEOUT_S, scorer.CPU_LIMIT_S, 2**20, 2**30)
    object.__setattr__(limits, "timeout", 0.01)  # past Limits' own check, which forbids this
    monkeypatch.setattr(scorer, "LIMITS", limits)
    [score] = scorer.score(["Fine."])
    assert (score.valid, score.value, score.category) == (False, 0.0, "undetermined")
    assert score.detail.startswith("checker starved of CPU")


def test_valid_documents_stay_valid_on_a_busy_machine():
    """Two CPU-bound processes at normal priority, one per core here, beside the compiles
    (which run at nice 10): the wall clock is generous enough that none is starved."""
    samples = [path.read_text() for path in FIXTURES if path.name.startswith("ok-")] * 2
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        scores = scorer.score(samples)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert [s.category for s in scores] == ["ok"] * len(samples)


def test_structural_check_without_pdflatex(monkeypatch):
    monkeypatch.setattr(scorer.shutil, "which", lambda name: None)
    scores = scorer.score(["ok {a} \\begin{x} b \\end{x}", "{a", "\\begin{x} a \\end{y}", "$x"])
    assert [s.valid for s in scores] == [True, False, False, False]
    assert [s.category for s in scores[1:]] == [
        "structural:unbalanced-braces", "structural:environment-mismatch", "structural:missing-dollar",
    ]
    assert all("structural check (pdflatex not found; install TeX Live)" in s.detail for s in scores)


def test_units_are_paragraphs_and_whole_environments():
    sample = "First.\n\n\\begin{lemma}\nA.\n\n\\end{lemma}\n\n\\begin{proof}\nB.\n\nC.\n\nhalf a para"
    assert [sample[a:b] for a, b in units(sample)] == ["First.\n", "\\begin{lemma}\nA.\n\n\\end{lemma}\n"]
    assert latex().cut(sample) == "First.\n\n\\begin{lemma}\nA.\n\n\\end{lemma}\n"
    assert latex().cut("Done.\n\n") == "Done.\n" and latex().cut("half a para") == ""


def test_repair_closes_what_is_open_and_then_compiles():
    sample = "\\begin{lemma}\nLet {\\it $x$ be } } given\n\\begin{enumerate}\n\\item {one"
    repaired = repair(sample)
    assert repaired.endswith("{one\n}\\end{enumerate}\\end{lemma}\n")
    assert "} } given" not in repaired  # the stray closing brace is gone
    [raw, fixed] = scorer.score([sample, repaired])
    assert not raw.valid and fixed.valid


def test_domain_uses_the_scorer_and_units():
    domain = plugins.host().domains["latex"]
    assert domain.score is scorer.score
    assert domain.units is units


def test_a_paragraph_copied_from_the_corpus_is_not_new(with_corpora):
    """Each chapter is a whole document: its paragraphs, not the document, are the units."""
    from playground.scoring import novelty, novelty_index

    index = novelty_index(latex())
    assert len(index) > 10_000 and max(map(len, index)) < 100_000
    copied = next(unit for unit in index if unit.startswith("\\begin{lemma}"))
    assert novelty(latex(), [copied + "\n", "A made-up paragraph about $x$.\n"], index) == [0.0, 1.0]


def test_line_numbers_in_a_detail_are_the_sample_s_own():
    """A 3-line body is compiled inside the preamble, but pdflatex's line numbers are given as in
    the sample: the lemma opened on its line 1, and the \\end{document} that closed it is the
    wrapper's, after the text."""
    [score] = scorer.score(["\\begin{lemma}\nLet $X$ be a scheme.\nThen $X$ is fine."])
    assert score.category == "environment-mismatch"
    assert "\\begin{lemma} on input line 1 ended by \\end{document}" in score.detail
    assert "after your text" in score.detail
    numbers = [int(n) for n in re.findall(r"(?:input line |l\.)(\d+)", score.detail)]
    assert numbers and all(1 <= n <= 3 for n in numbers), score.detail
    assert scorer.renumbered("l.80 x", 72, 3) == "after your text x"
    assert scorer.renumbered("l.9 x", 72, 3) == "in the wrapper's preamble x"
