"""Units: what each domain counts as a complete piece of text, and how sampling uses them
(stop after K units, cut a sample that ran out of length, warm up on a unit boundary)."""

import dataclasses
import threading

import pytest

from engine_support import TINY, tiny_domain
from playground import blocks, lines, plugins
from playground.engine.sample import Generation, Shaping, sample
from playground.errors import PlaygroundError
from playground.held_out import WARMUP_CHARS, held_out_units, warmups
from playground.run import run_training
from playground.sampling import load_sampler, shaping
from playground.units import cut_after


def test_a_line_is_complete_once_its_newline_has_come():
    text = "ann\n\n bob \ncar"
    assert [text[a:b] for a, b in lines(text)] == ["ann", " bob "]
    assert cut_after(text, lines(text)) == "ann\n\n bob\n"
    assert cut_after("car", lines("car")) == ""


def test_a_block_is_complete_once_a_blank_line_follows():
    text = "A:\nfoo\n\n\nB:\nbar\n \nC:\nhalf"
    assert [text[a:b] for a, b in blocks(text)] == ["A:\nfoo\n", "B:\nbar\n"]
    assert blocks("A:\nfoo\n") == []


def test_every_built_in_domain_says_what_its_units_are(with_corpora):
    domains = plugins.host().domains
    speech = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak"
    assert domains["shakespeare"].unit_texts(speech) == [
        "First Citizen:\nBefore we proceed any further, hear me speak.", "All:\nSpeak"]  # a finished text's end ends its last
    assert domains["shakespeare"].cut(speech) == "First Citizen:\nBefore we proceed any further, hear me speak.\n"
    assert domains["names"].unit_texts("emma") == ["emma"] and domains["names"].cut("emma\nol") == "emma\n"
    for name in ("shakespeare", "names", "latex", "c", "wikipedia"):
        units = held_out_units(domains[name])
        assert len(units) >= 150 and all(u and u == u.strip() for u in units), name


def test_a_domain_without_units_keeps_a_sample_that_reaches_its_length_whole(tmp_path):
    domain = tiny_domain(tmp_path)
    assert domain.cut("a\nhalf") == "a\nhalf" and domain.unit_texts("a\nhalf") == ["a", "half"]


def test_a_units_function_that_answers_nonsense_is_refused(tmp_path):
    for answer in ([(0, 99)], [(2, 1)], [[0, 1]], "0-1", [(0.0, 1.0)]):
        domain = tiny_domain(tmp_path, units=lambda text, answer=answer: answer)
        with pytest.raises(ValueError, match="units must be a list of"):
            domain.unit_spans("abc")
        with pytest.raises(PlaygroundError, match="units failed"):
            shaping(domain).cut("abc")


def test_a_units_function_that_never_returns_ends_the_sampling_after_its_allowance(trained, monkeypatch):
    """The allowance is lowered here; the thread cannot be killed, so the test releases it."""
    from playground import scoring

    monkeypatch.setattr(scoring, "CALL_BASE_S", 0.0)
    monkeypatch.setattr(scoring, "CALL_PER_SAMPLE_S", 0.5)
    domain, run_dir = trained
    release = threading.Event()
    hanging = dataclasses.replace(domain, units=lambda text: release.wait() or [])
    try:
        with pytest.raises(PlaygroundError, match="domain's units did not return within"):
            load_sampler(run_dir, {"n": 2, "length": 200, "units": 1, "seed": 3}, hanging).texts()
    finally:
        release.set()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("units")
    domain = tiny_domain(folder, units=lines)
    run_dir = folder / "run"
    list(run_training(domain, {**TINY, "max_steps": 40}, run_dir))
    return domain, run_dir


def test_sampling_stops_after_k_complete_units(trained):
    domain, run_dir = trained
    for k in (1, 3):
        sampler = load_sampler(run_dir, {"n": 8, "length": 2000, "units": k, "seed": 3}, domain)
        texts = sampler.texts()
        assert all(len(domain.unit_spans(t)) == k and t.endswith("\n") for t in texts), texts


def test_a_sample_that_runs_out_of_length_is_cut_after_its_last_unit(trained):
    domain, run_dir = trained
    sampler = load_sampler(run_dir, {"n": 8, "length": 100, "seed": 5}, domain)
    generation = Generation(sampler.model, sampler.vocab, sampler.settings, 5, sampler.shaping)
    raw = ["".join(pieces) for pieces in zip(*generation)]
    assert all(generation.capped)
    cut = sampler.texts()
    assert cut == [domain.cut(text) for text in raw]
    assert all(len(c) < len(r) for c, r in zip(cut, raw))  # the unfinished line went


def test_a_warm_start_runs_on_real_text_ending_at_a_unit_boundary(trained):
    domain, run_dir = trained
    found = warmups(domain)
    assert 0 < len(found) <= 64 and {len(w) for w in found} == {WARMUP_CHARS}
    assert all(w.endswith("\n") for w in found)  # a line starts after each
    sampler = load_sampler(run_dir, {"n": 4, "length": 60, "seed": 11}, domain)
    warm = sampler.texts()
    assert warm == sampler.texts()  # same seed, same samples
    zero = load_sampler(run_dir, {"n": 4, "length": 60, "seed": 11, "warm": False}, domain).texts()
    assert zero != warm
    cold = sample(sampler.model, sampler.vocab, dataclasses.replace(sampler.settings, warm=True), 11,
                  Shaping(cut=domain.cut))  # no warm-up texts at hand: a zero state
    assert cold == zero
