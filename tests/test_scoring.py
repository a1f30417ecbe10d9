"""Aggregating verdicts: MOSES-style rates, Wilson intervals, novelty, the background pool,
and reading samples for `playground score`."""

import dataclasses
import json
import math
import re
import threading

import pytest

from playground.domains import Corpus, Domain, Score
from playground import scoring
from playground.errors import PlaygroundError
from playground.scoring import (BackgroundScorer, judge, measure, novelty, novelty_index, read_samples,
                                score_samples, wilson)


def word_scorer(samples):
    """Valid: lowercase letters only."""
    return [Score(True, 1.0) if s.isalpha() and s.islower() else Score(False, 0.0, "not-a-word", repr(s))
            for s in samples]


def lines_domain(corpus_file=None, **changes):
    corpus = Corpus(kind="lines", path=corpus_file)
    return dataclasses.replace(Domain("words", "test words", corpus, score=word_scorer), **changes)


@pytest.mark.parametrize("k, n, low, high", [
    (5, 10, 0.236593, 0.763407),  # textbook values
    (0, 10, 0.0, 0.277533),
    (10, 10, 0.722467, 1.0),
])
def test_wilson_interval(k, n, low, high):
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(low, abs=1e-6) and hi == pytest.approx(high, abs=1e-6)
    assert lo <= k / n <= hi


@pytest.mark.parametrize("k, n", [(81, 263), (1, 3), (31, 32)])
def test_wilson_bounds_solve_the_score_equation(k, n):
    """Wilson's bounds are the p with |k/n - p| = z * sqrt(p (1 - p) / n)."""
    z = 1.959963984540054
    for bound in wilson(k, n):
        assert abs(k / n - bound) == pytest.approx(z * math.sqrt(bound * (1 - bound) / n), abs=1e-12)


def test_wilson_of_nothing_is_none():
    assert wilson(0, 0) is None


def test_rates_follow_moses(tmp_path):
    corpus = tmp_path / "words.txt"
    corpus.write_text("ann\nbob\ncid\n")
    domain = lines_domain(corpus)
    samples = ["ann", "ann", "zed", "qux", "Bad1", "no way"]
    j = judge(domain, samples)
    rates = j.rates.to_dict()
    assert rates["n"] == 6 and rates["valid"] == 4 and rates["valid_rate"] == pytest.approx(4 / 6)
    assert rates["unique_rate"] == pytest.approx(3 / 4)  # ann, zed, qux among 4 valid
    assert rates["novel_rate"] == pytest.approx(2 / 3)  # zed and qux of the 3 distinct valid ones
    assert rates["categories"] == {"ok": 4, "not-a-word": 2}
    assert rates["valid_ci"] == [pytest.approx(b, abs=1e-6) for b in wilson(4, 6)]
    assert j.novel == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]


def test_novelty_uses_the_domains_units(tmp_path):
    corpus = tmp_path / "words.txt"
    corpus.write_text("Ann\nBob\n")
    words = lambda text: [m.span() for m in re.finditer(r"\w+(?=\s)", text)]  # a word once a space follows
    domain = lines_domain(corpus, units=words)
    index = novelty_index(domain)
    assert index == {"Ann", "Bob"}
    assert novelty(domain, ["Ann", "Ann zed", ""], index) == [0.0, 0.5, None]


def test_without_the_corpus_novelty_is_unknown(tmp_path):
    domain = lines_domain(tmp_path / "absent.txt")
    assert novelty_index(domain) is None
    rates = judge(domain, ["ann", "x1"]).rates.to_dict()
    assert rates["novel_rate"] is None and rates["novel_ci"] is None
    assert rates["valid_rate"] == 0.5


def test_no_valid_sample_leaves_unique_and_novel_undefined(tmp_path):
    rates = measure(lines_domain(), ["1", "2"], word_scorer(["1", "2"]), frozenset()).to_dict()
    assert rates["valid_rate"] == 0.0 and rates["unique_rate"] is None and rates["novel_rate"] is None


@pytest.mark.parametrize("scorer, message", [
    (lambda samples: [], "returned 0 scores for 2 samples"),
    (lambda samples: [Score(True, 1.5)] * len(samples), "must lie in [0, 1]"),
    (lambda samples: [True] * len(samples), "must lie in [0, 1]"),
])
def test_a_broken_scorer_is_caught(scorer, message):
    with pytest.raises(PlaygroundError, match=message.replace("[", r"\[").replace("]", r"\]")):
        score_samples(lines_domain(score=scorer), ["a", "b"])


def raising(error):
    def call(*args):
        raise error
    return call


@pytest.mark.parametrize("error", [SystemExit("bye"), KeyboardInterrupt(), GeneratorExit(), ValueError("[/] x")])
@pytest.mark.parametrize("hook", ["score", "split", "units"])
def test_whatever_a_domains_callable_raises_is_one_error_naming_it(tmp_path, hook, error):
    """Its SystemExit or KeyboardInterrupt too: they come from the plugin's thread, not from Ctrl-C."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("ann\nbob\n")
    domain = lines_domain(corpus, **{hook: raising(error)})
    what = {"score": "scorer"}.get(hook, hook)
    with pytest.raises(PlaygroundError, match=f"^the words domain's {what} failed: {type(error).__name__}"):
        (tmp_path / "s.txt").write_text("ann\n")
        judge(domain, [s for _, s in read_samples(domain, [str(tmp_path / "s.txt")])])


@pytest.mark.parametrize("hook, value", [("split", None), ("split", [1, 2]), ("split", "ab"),
                                         ("units", None), ("units", [b"x"]), ("units", [(0, 10**6)])])
def test_a_domains_split_and_units_must_return_what_they_promise(tmp_path, hook, value):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("ann\n")
    (tmp_path / "s.txt").write_text("ann\n")
    domain = lines_domain(corpus, **{hook: lambda text: value})
    promise = "it must return a list of str" if hook == "split" else "units must be a list of"
    with pytest.raises(PlaygroundError, match=f"^the words domain's {hook} .*{promise}"):
        judge(domain, [s for _, s in read_samples(domain, [str(tmp_path / "s.txt")])])


def test_a_scorer_that_never_returns_is_an_error_after_its_allowance(monkeypatch):
    """The allowance is lowered here; the thread cannot be killed, so the test releases it."""
    monkeypatch.setattr(scoring, "CALL_BASE_S", 0.0)
    monkeypatch.setattr(scoring, "CALL_PER_SAMPLE_S", 0.5)
    release = threading.Event()
    try:
        with pytest.raises(PlaygroundError, match="^the words domain's scorer did not return within 1 s"):
            score_samples(lines_domain(score=lambda samples: release.wait()), ["a", "b"])
    finally:
        release.set()


def test_missing_scorers_are_named():
    with pytest.raises(PlaygroundError, match="has no validity scorer"):
        score_samples(lines_domain(score=None), ["a"])
    with pytest.raises(PlaygroundError, match="has no strict check"):
        score_samples(lines_domain(), ["a"], strict=True)


def test_background_scoring_never_makes_the_caller_wait():
    gate, started = threading.Event(), threading.Event()

    def slow(samples):
        started.set()
        assert gate.wait(30)
        return word_scorer(samples)

    scorer = BackgroundScorer(lines_domain(score=slow))
    scorer.submit(10, ["ann", "Bad"])
    scorer.submit(20, ["bob"])
    assert started.wait(30)
    assert scorer.finished() == [] and scorer.busy  # submitted, not done, and nobody waited
    gate.set()
    first, second = scorer.finished(wait=True)
    assert (first.step, second.step) == (10, 20)
    assert first.judgement.rates.valid.k == 1 and second.judgement.rates.valid.k == 1
    assert not scorer.busy
    scorer.close()


def test_background_scorer_reports_a_failing_scorer():
    def broken(samples):
        raise RuntimeError("checker exploded\nwith a traceback")

    scorer = BackgroundScorer(lines_domain(score=broken))
    scorer.submit(5, ["a"])
    [done] = scorer.finished(wait=True)
    assert done.judgement is None and done.error == "RuntimeError: checker exploded"
    scorer.close()


def test_read_samples_from_files_stdin_and_jsonl(tmp_path):
    one = tmp_path / "one.txt"
    one.write_text("ann\n\nbob\n")
    rows = tmp_path / "s.jsonl"
    rows.write_text(json.dumps({"text": "zed", "index": 0}) + "\n\n" + json.dumps({"text": "a b"}) + "\n")
    pairs = read_samples(lines_domain(), [str(one), "-"], [str(rows)], stdin=lambda n: b"cid\n")
    assert pairs == [(f"{one}:1", "ann"), (f"{one}:3", "bob"), ("stdin:1", "cid"),
                     (f"{rows}:1", "zed"), (f"{rows}:3", "a b")]
    stream = dataclasses.replace(lines_domain(), corpus=Corpus())
    assert read_samples(stream, [str(one)]) == [(str(one), "ann\n\nbob\n")]


@pytest.mark.parametrize("content, message", [
    (b"not json\n", r"s.jsonl:1 is not JSON"),
    (b'{"txt": 1}\n', r"s.jsonl:1 has no \"text\""),
    (b"\xff\xfe", "is not UTF-8 text"),
])
def test_read_samples_rejects_bad_jsonl(tmp_path, content, message):
    path = tmp_path / "s.jsonl"
    path.write_bytes(content)
    with pytest.raises(PlaygroundError, match=message):
        read_samples(lines_domain(), [], [str(path)])


def test_read_samples_names_a_missing_file(tmp_path):
    with pytest.raises(PlaygroundError, match="sample file .*absent.txt not found"):
        read_samples(lines_domain(), [str(tmp_path / "absent.txt")])
