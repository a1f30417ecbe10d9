"""Hostile inputs to the scorers and the scoring layer, with the real gcc: strict C opens no
file its sample names, no crash or odd output passes for valid, every input has a bound
before work starts, bad input is one line and exit 2, an empty sample is never valid, and an
undetermined verdict is retried once and then counted apart."""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from playground import plugins
from playground.cli import app
from playground.console import rates_line
from playground.domains import Corpus, Domain, Score, Source
from playground.errors import PlaygroundError
from playground.sandbox import Limits, run_limited
from playground.scoring import (MAX_INPUT_BYTES, MAX_SAMPLE_CHARS, MAX_SAMPLES, judge, read_samples, score_samples,
                                well_formed)
from playground_c import scorer as c
from playground_wikipedia import scorer as wiki

SECRET = "PROBE-SECRET-7f3a"


@pytest.fixture(scope="module", autouse=True)
def tools():
    for tool in ("gcc", "strace"):
        if shutil.which(tool) is None:
            pytest.fail(f"these tests need the real {tool}")


@pytest.fixture
def probe(tmp_path):
    """A file that no checker may open."""
    path = tmp_path / "probe.h"
    path.write_text(f"{SECRET}\n")
    return path


def cli(*args, input=None):
    return CliRunner().invoke(app, list(args), input=input)


def one_line_error(result, *words):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# --- strict C: one line splitter, and nothing the sample names is opened ---------------------

TRICKS = {  # how a directive line is smuggled past the blanking; {d} is the directive
    "form feed before the newline": "int a;\f\n{d}\nint b;\n",
    "lone CR": "int a;\r{d}\nint b;\n",
    "CRLF": "int a;\r\n{d}\r\nint b;\r\n",
    "CR ends a // comment": "int a; // note\r{d}\nint b;\n",
    "backslash-newline before it": "int a; \\\n{d}\nint b;\n",
    "vertical tab": "int a;\v\n{d}\nint b;\n",
    "NEL and LINE SEPARATOR": "int a;\x85\u2028\n{d}\nint b;\n",
    "file separators": "int a;\x1c\x1d\x1e\n{d}\nint b;\n",
    "NUL before it": "int a;\n\0{d}\nint b;\n",
    "BOM before it": "\ufeff{d}\nint b;\n",
    "comment before it": "int a;\n/* a\n */ {d}\nint b;\n",
    "blank lines of form feeds": "\f\f\f\n\f\n{d}\n",
}
SPELLINGS = ("#{x}", "%:{x}", "??={x}", "#/**/{x}", "/**/#{x}", "  #  {x}", "#\\\n{x}")


def strict_in_strace(samples: list[str], log: Path) -> list[Score]:
    """score_strict in a child Python traced with strace, which logs every file opened by it,
    by gcc and by cc1."""
    code = ("import json, sys; from playground_c.scorer import score_strict; "
            "print(json.dumps([s.to_dict() for s in score_strict(json.loads(sys.stdin.read()))]))")
    result = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve,open,openat,openat2", "-o", str(log),
                             sys.executable, "-c", code], input=json.dumps(samples), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "/cc1\"" in log.read_text()  # the trace did follow gcc into the compiler proper
    return [Score(**row) for row in json.loads(result.stdout)]


def test_strict_c_opens_no_file_the_sample_names(probe, tmp_path):
    directives = [spelling.format(x=f'{word} "{probe}"') for word in ("pragma GCC dependency", "include")
                  for spelling in SPELLINGS]
    samples = [trick.format(d=d) for trick in TRICKS.values() for d in directives]
    samples += [f'_Pragma("GCC dependency \\"{probe}\\"")\nint a;\n', f'asm(".incbin \\"{probe}\\"");\n',
                f'# 1 "{probe}"\nint a;\n', f'#line 1 "{probe}"\nint a;\n']
    log = tmp_path / "strace.log"
    scores = strict_in_strace(samples, log)
    assert str(probe) not in log.read_text()
    assert all(well_formed(s) and SECRET not in s.detail for s in scores)
    outside = {path for path in opened_by_gcc(log) if not path.startswith(SYSTEM) and path.startswith("/")}
    assert not outside  # gcc and cc1 open their own libraries and, relative to their folder, sample.c


SYSTEM = ("/usr/", "/lib/", "/lib64/", "/etc/ld.so.cache", "/dev/null")


def opened_by_gcc(log: Path) -> set[str]:
    """The paths that gcc and cc1 processes asked to open, from an strace log."""
    lines = log.read_text().splitlines()
    pids = {m[1] for m in map(re.compile(r'(\d+) +execve\("[^"]*/(?:gcc|cc1)"').match, lines) if m}
    opens = map(re.compile(r'(\d+) +open(?:at2?)?\((?:AT_FDCWD, )?"([^"]*)"').match, lines)
    return {m[2] for m in opens if m and m[1] in pids}


def test_one_line_splitter_for_finding_and_blanking():
    """gcc ends lines at \\n, \\r\\n and \\r only; the blanked text keeps every line's number."""
    for trick in TRICKS.values():
        sample = trick.format(d='#pragma GCC dependency "x"')
        blanked = c.blank_directives(sample)
        assert "\r" not in blanked and "pragma" not in blanked, repr(sample)
        assert blanked.count("\n") == len(c.gcc_lines(sample)) - 1
    assert c.gcc_lines("a\fb\x85c\u2028d\re\r\nf\ng") == ["a\fb\x85c\u2028d", "e", "f", "g"]


def test_a_smuggled_line_marker_cannot_hide_errors():
    """'# 1 "other.c"' would move gcc's errors to another file name, out of sight."""
    [score] = c.score_strict(['int a;\f\n# 1 "other.c"\nint f( {\n'])
    assert not score.valid and score.category == "error-in-declaration", score


@pytest.mark.parametrize("code", ["int f( {\n", "int f(void) { return undeclared; }\n"])
def test_errors_at_another_file_are_never_excused(code):
    """gcc's own output for a line marker that got through: even an error the missing headers
    would explain does not count as valid when it is not at sample.c."""
    source = c.PRELUDE + '# 1 "other.c"\n' + code
    outcome = gcc(source.encode())
    assert outcome.returncode == 1 and "other.c:" in outcome.stderr
    assert not c.verdict(outcome, 2).valid


def test_an_error_without_a_column_counts():
    [score] = c.score_strict(["int f(void)\n"])  # gcc: "sample.c:2: error: expected '{' at end of input"
    assert not score.valid and score.detail.startswith("line 2: expected"), score


def gcc(source: bytes, limits: Limits = c.STRICT_LIMITS):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    with tempfile.TemporaryDirectory(prefix="playground-test-") as folder:
        return run_limited(c.STRICT_CMD, limits, Path(folder), env, stdin=source)


# --- a checker that crashes, runs out of memory or is starved is never valid ----------------

def test_a_segfaulting_compiler_is_no_pass():
    sample = "int x = " + "(" * 100_000 + ";\n"
    [score] = c.score_strict([sample])
    assert not score.valid and score.category == "checker-crashed", score
    assert "internal compiler error" in score.detail


def test_a_compiler_out_of_memory_is_no_pass():
    outcome = gcc((c.PRELUDE + "int main(void) { return 0; }\n").encode(), Limits(60, 30, 2**20, 16 * 2**20))
    assert outcome.returncode != 0
    assert c.verdict(outcome, 1).category == "checker-crashed"


def test_a_starved_compiler_is_undetermined():
    """Stopped by the wall clock long before its CPU budget: the machine was busy, not gcc.
    (A sleeper stands in for a gcc that got no CPU: the wall clock must be twice the budget.)"""
    with tempfile.TemporaryDirectory(prefix="playground-test-") as folder:
        outcome = run_limited(["sleep", "30"], Limits(2, 1, 2**20, 2**31), Path(folder), {})
    assert outcome.timed_out and outcome.starved
    assert c.verdict(outcome, 40_000).category == "undetermined"
    runaway = dataclasses.replace(outcome, starved=False)  # the same stop after the whole CPU budget
    assert c.verdict(runaway, 40_000).category == "timeout"


def test_a_runaway_compiler_is_a_timeout_under_strict():
    """gcc spends its CPU budget on a 400,000-star pointer, long before the wall clock."""
    [score] = c.score_strict(["int " + "*" * 400_000 + "p;\n"])
    assert (score.valid, score.category) == (False, "timeout"), score


# --- bounds before work ----------------------------------------------------------------------

def words_domain(score=None, **changes) -> Domain:
    def words(samples):
        return [Score(True, 1.0) if s.isalpha() else Score(False, 0.0, "not-a-word") for s in samples]

    corpus = Corpus(sources=(Source("https://example.org/w.txt"),), kind="lines", license="CC0")
    return dataclasses.replace(Domain("words", "test words", corpus, score=score or words), **changes)


def never(samples):
    raise AssertionError(f"the plugin was asked about {samples!r}")


def hostile_file(kind: str, folder: Path) -> str:
    if kind == "fifo":  # nobody writes to it: opening it to read would wait forever
        os.mkfifo(folder / "fifo")
    elif kind == "huge.txt":  # 10 GiB, sparse
        with open(folder / "huge.txt", "wb") as handle:
            handle.truncate(10 * 2**30)
    return {"/dev/zero": "/dev/zero", "folder": str(folder)}.get(kind, str(folder / kind))


@pytest.mark.parametrize("kind, message", [
    ("/dev/zero", "/dev/zero is not a regular file"),
    ("fifo", "fifo is not a regular file"),
    ("folder", "is not a regular file"),
    ("huge.txt", f"huge.txt is over the {MAX_INPUT_BYTES:,}-byte limit"),
])
def test_a_sample_file_is_bounded_and_regular(tmp_path, kind, message):
    path = hostile_file(kind, tmp_path)
    with pytest.raises(PlaygroundError, match=message):
        read_samples(words_domain(), [path])
    with pytest.raises(PlaygroundError, match=message):
        read_samples(words_domain(), [], [path])


def test_stdin_is_read_with_a_bound():
    with pytest.raises(PlaygroundError, match=f"stdin holds more than {MAX_INPUT_BYTES:,} bytes"):
        read_samples(words_domain(), ["-"], stdin=lambda n: b"\0" * n)


def test_the_number_of_samples_is_bounded(tmp_path):
    lines = tmp_path / "many.txt"
    lines.write_text("ann\n" * (MAX_SAMPLES + 1))
    with pytest.raises(PlaygroundError, match=f"more than {MAX_SAMPLES:,} samples"):
        read_samples(words_domain(), [str(lines)])
    with pytest.raises(PlaygroundError, match=f"at most {MAX_SAMPLES:,} at a time"):
        score_samples(words_domain(never), ["ann"] * (MAX_SAMPLES + 1))
    result = cli("score", "names", str(lines))
    one_line_error(result, f"more than {MAX_SAMPLES:,} samples")


def test_an_oversized_sample_is_refused_on_reading_and_judged_without_the_plugin(tmp_path):
    big = tmp_path / "big.c"
    big.write_text("x" * (MAX_SAMPLE_CHARS + 1))
    with pytest.raises(PlaygroundError, match=f"big.c holds {MAX_SAMPLE_CHARS + 1:,} characters; .* at most"):
        read_samples(dataclasses.replace(words_domain(), corpus=Corpus()), [str(big)])
    [score] = score_samples(words_domain(never), ["x" * (MAX_SAMPLE_CHARS + 1)])
    assert not score.valid and score.category == "oversized"
    [score] = score_samples(plugins.host().domains["c"], ["int a;\n" * (MAX_SAMPLE_CHARS // 7 + 1)], strict=True)
    assert score.category == "oversized"


def work(fn, *args) -> int:
    """Lines of plugin code run by ``fn(*args)``: a measure of work that no clock or load sways."""
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        if "playground_" not in frame.f_code.co_filename:
            return None
        count += event == "line"
        return trace

    sys.settrace(trace)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("make", [
    lambda n: "{{ " * n + "]] " * n,  # each ]] once searched the whole stack of {{
    lambda n: "[[a {{b ]] " * n + "]] " * n,  # and each closer the list of crossed frames
    lambda n: "<ref>" * n + "</ref>" * n,
    lambda n: "{{{" * n + "}}" * n + "[[" * n + "|}\n" * n,
])
def test_the_wiki_scorer_is_linear(make):
    small, large = work(wiki.score, [make(1000)]), work(wiki.score, [make(4000)])
    assert large < 5 * small, (small, large)  # quadratic work would be 16 times as much


@pytest.mark.parametrize("make", [
    lambda n: "struct a { " * n + "int x y;" + "};" * n,
    lambda n: "int f(void) { return " + "g(" * n + "1 2" + ")" * n + "; }",
    lambda n: "(" * n,
])
def test_the_c_scorer_is_linear_in_deep_trees(make):
    small, large = work(c.score, [make(1000)]), work(c.score, [make(4000)])
    assert large < 5 * small, (small, large)


def test_deep_nesting_is_invalid_below_one():
    for sample in ["(" * 100_000, "int f(void) {" + "{" * 100_000, "}" * 100_000]:
        [score] = c.score([sample])
        assert not score.valid and score.value < 1.0, score


# --- bad input and broken plugins: one line, exit 2 ------------------------------------------

@pytest.mark.parametrize("domain", ["latex", "c", "names", "wikipedia"])
def test_invalid_utf8_on_stdin(domain):
    one_line_error(cli("score", domain, "-", input=b"int a;\xff\xfe\n"), "stdin is not UTF-8 text")


def test_surrogateescaped_stdin_is_refused_too():
    with pytest.raises(PlaygroundError, match="stdin is not UTF-8 text"):
        read_samples(words_domain(), ["-"], stdin=lambda n: b"ann\xff".decode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("row, message", [
    ('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ('{"text": "a\\ud800b"}', "lone surrogate"),
], ids=["deep-nesting", "lone-surrogate"])
def test_hostile_jsonl_rows(tmp_path, row, message):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(row + "\n")
    one_line_error(cli("score", "names", "--jsonl", str(rows)), "rows.jsonl:1", message)


def test_a_device_given_as_a_sample_file():
    one_line_error(cli("score", "c", "/dev/zero"), "/dev/zero is not a regular file")


PLUGIN = '''
from playground import Corpus, Domain, Score, Source, hookimpl

CORPUS = Corpus(sources=(Source("https://example.org/x.txt"),), kind="lines", license="CC0")


def raises(samples):
    raise RuntimeError("checker exploded")


def quits(samples):
    raise SystemExit("bye")


def stringly(samples):
    return [Score(True, "1.0") for _ in samples]


def busy(samples):
    """'later' is undetermined, every time: a checker that never gets its CPU."""
    return [Score(False, 0.0, "undetermined", "starved") if s.strip() == "later" else Score(s.isalpha(), 1.0 * s.isalpha(),
            "ok" if s.isalpha() else "bad") for s in samples]


@hookimpl
def register_domains(register):
    register(Domain("raises", "a scorer that raises", CORPUS, score=raises))
    register(Domain("quits", "a scorer that calls sys.exit", CORPUS, score=quits))
    register(Domain("stringly", "a scorer whose value is a str", CORPUS, score=stringly))
    register(Domain("busy", "a scorer on a busy machine", CORPUS, score=busy))
'''


@pytest.fixture
def plugin_dir(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "hostile.py").write_text(PLUGIN)
    (tmp_path / "sample.txt").write_text("abc\n")
    return folder


@pytest.mark.parametrize("domain, words", [
    ("raises", ["the raises domain's scorer failed", "RuntimeError: checker exploded"]),
    ("quits", ["the quits domain's scorer failed", "SystemExit: bye"]),
    ("stringly", ["the stringly scorer returned", "value: a number"]),
])
def test_a_broken_plugin_scorer_is_one_line(plugin_dir, domain, words):
    result = cli("--plugins-dir", str(plugin_dir), "score", domain, str(plugin_dir.parent / "sample.txt"))
    one_line_error(result, *words)


# --- empty samples ---------------------------------------------------------------------------

def test_empty_is_invalid_in_every_domain_and_never_asked(with_corpora):
    for name, domain in plugins.host().domains.items():
        for score in domain.score(["", " \n\t"]):  # the plugin's own verdict
            assert not score.valid and score.category == "empty", (name, score)
        for strict in (False, True) if domain.score_strict else (False,):
            checked = dataclasses.replace(domain, score=never, score_strict=never)
            scores = score_samples(checked, ["", "\n", " \r\n\t\f\v\u2028"], strict=strict)
            assert all(s == Score(False, 0.0, "empty", "an empty sample") for s in scores), (name, scores)
    assert c.score_strict([""])[0].category == "empty"


# --- undetermined: retried once, then counted apart ------------------------------------------

def test_an_undetermined_verdict_is_asked_for_once_more():
    calls = []

    def once_busy(samples):
        calls.append(list(samples))
        undetermined = Score(False, 0.0, "undetermined", "starved")
        return [undetermined if s == "slow" and len(calls) == 1 else Score(True, 1.0) for s in samples]

    scores = score_samples(words_domain(once_busy), ["ann", "slow", ""])
    assert calls == [["ann", "slow"], ["slow"]]
    assert [s.category for s in scores] == ["ok", "ok", "empty"]


def test_undetermined_samples_are_counted_apart(plugin_dir, tmp_path):
    samples = tmp_path / "five.txt"
    samples.write_text("ann\nlater\nb0b\nlater\ncid\n")
    result = cli("--plugins-dir", str(plugin_dir), "score", "busy", str(samples), "--json")
    summary = json.loads(result.stdout)["summary"]
    assert summary["n"] == 5 and summary["undetermined"] == 2 and summary["valid"] == 2
    assert summary["valid_rate"] == pytest.approx(2 / 3)
    line = rates_line(summary)
    assert line.startswith("valid 2/3 = 67% (95% CI") and ", 2 undetermined, unique" in line
    assert "errors: bad 1" in line and "undetermined 2" not in line
    table = cli("--plugins-dir", str(plugin_dir), "score", "busy", str(samples))
    assert "valid 2/3 = 67%" in table.stdout and "2 undetermined" in table.stdout


def test_all_undetermined_leaves_the_valid_rate_unknown():
    busy = words_domain(lambda samples: [Score(False, 0.0, "undetermined", "starved")] * len(samples))
    rates = judge(busy, ["ann", "bob", " "]).rates
    assert (rates.n, rates.undetermined, rates.valid.n, rates.valid.value) == (3, 2, 1, 0.0)
    rates = judge(busy, ["ann"]).rates
    assert rates.valid.value is None and rates_line(rates.to_dict()).startswith("valid 0/0 = –, 1 undetermined")


# --- what an attacker tries in every domain --------------------------------------------------

NASTY = {
    "NUL bytes": "int a;\0\0 [[x]] {{y}} emma\0\n",
    "lone CR and CRLF": "ROMEO:\r\nBut soft\rint a;\r\n",
    "unicode line ends": "a\x85b\u2028c\u2029d\x1c\x1d\x1e\f\v\n",
    "a huge line": "word " * 199_999,
    "deep brackets": "(" * 50_000 + "[[" * 50_000 + "{{" * 50_000 + "{" * 50_000,
    "control characters": "".join(map(chr, range(1, 32))) * 100,
    "private use and astral": "\ue000\U0010fffd\U0001f600 ok\n" * 100,
}


def test_every_domain_gives_a_verdict_on_nasty_samples(with_corpora):
    for name, domain in plugins.host().domains.items():
        if name == "latex":  # pdflatex's sandbox has its own tests
            continue
        for strict in (False, True) if domain.score_strict else (False,):
            scores = score_samples(domain, list(NASTY.values()), strict=strict)
            for (what, _), score in zip(NASTY.items(), scores):
                assert well_formed(score), (name, what, score)
                assert score.valid == (score.category == "ok"), (name, what, score)


def test_lone_surrogates_are_judged_here(with_corpora):
    for domain in plugins.host().domains.values():
        [score] = score_samples(dataclasses.replace(domain, score=never), ["int a; \udc80 emma"])
        assert score.category == "not-unicode" and "character 8" in score.detail


def test_background_scoring_survives_a_hostile_batch():
    from playground.scoring import BackgroundScorer

    scorer = BackgroundScorer(plugins.host().domains["c"])
    scorer.submit(1, ["", "\udc80", "x" * (MAX_SAMPLE_CHARS + 1), "(" * 100_000])
    [done] = scorer.finished(wait=True)
    scorer.close()
    assert [s.category for s in done.judgement.scores][:3] == ["empty", "not-unicode", "oversized"]
    assert not done.judgement.scores[3].valid
