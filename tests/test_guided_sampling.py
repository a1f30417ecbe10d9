"""Guided sampling on a tiny model: the mask holds, a stuck sample ends marked, the cost in
likelihood is measured, and a guide's failures end the sampling in one line."""

import dataclasses
import threading

import pytest

from engine_support import TINY, tiny_domain
from playground import scoring
from playground.errors import PlaygroundError
from playground.guide import ANYTHING, NOTHING, anything_but, first_refusal, only, walk
from playground.run import run_training
from playground.sampling import load_sampler

NO_E = anything_but("eE")  # the tiny corpus's words are full of e: "the", "red"


class NoE:
    """Allows anything but the letter e."""

    def start(self):
        return 0

    def allowed(self, state):
        return NO_E

    def advance(self, state, char):
        return state + 1


class FiveThenNothing(NoE):
    def allowed(self, state):
        return NOTHING if state >= 5 else ANYTHING


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guided")
    domain = tiny_domain(folder)
    list(run_training(domain, {**TINY, "max_steps": 60, "eval_every": 60, "sample_every": 0}, folder / "run"))
    return domain, folder / "run"


def drawn(trained, guide, **settings):
    domain, run_dir = trained
    sampler = load_sampler(run_dir, {"n": 16, "seed": 5, "length": 80, "warm": False, **settings},
                           dataclasses.replace(domain, guide=guide))
    return sampler.drawn()


def test_guided_samples_keep_to_the_mask_and_cost_likelihood(trained):
    raw, raw_generation = drawn(trained, NoE)
    guided, generation = drawn(trained, NoE, guided=True)
    assert sum(t.count("e") for t in raw) > 16  # the model wants e ...
    assert not any("e" in t or "E" in t for t in guided)  # ... and never gets it
    assert not any(generation.stuck)
    raw_nll = sum(raw_generation.nll) / sum(raw_generation.chars)
    guided_nll = sum(generation.nll) / sum(generation.chars)
    assert guided_nll > raw_nll  # what the model would rather have said is masked
    assert all(n is not None and n > 0 for n in generation.nll_per_char)


def test_guided_sampling_is_deterministic(trained):
    assert drawn(trained, NoE, guided=True)[0] == drawn(trained, NoE, guided=True)[0]


def test_a_sample_ends_where_the_guide_allows_nothing(trained):
    texts, generation = drawn(trained, FiveThenNothing, guided=True, units=0)
    assert all(generation.stuck) and generation.chars == [5] * 16
    assert all(generation.capped)  # cut after its last complete unit, as a sample that ran out


def test_the_prime_must_pass_the_guide(trained):
    with pytest.raises(PlaygroundError, match=r"guide refuses the prime at character 3 \('e'\)"):
        drawn(trained, NoE, guided=True, prime="The cat")
    texts, _ = drawn(trained, NoE, guided=True, prime="A cat")
    assert all(t.startswith("A cat") for t in texts)


class Counts(NoE):
    """Told the samples' length: allows nothing past half of it."""

    def __init__(self, length):
        self.half = length // 2

    def allowed(self, state):
        return NOTHING if state >= self.half else NO_E


def test_a_guide_that_takes_length_is_told_the_samples_length(trained):
    _, generation = drawn(trained, Counts, guided=True, units=0, length=30)
    assert generation.chars == [15] * 16 and all(generation.stuck)
    _, generation = drawn(trained, Counts, guided=True, units=0, length=50)
    assert generation.chars == [25] * 16


def test_guided_needs_a_guide(trained):
    with pytest.raises(PlaygroundError, match="no guide"):
        drawn(trained, None, guided=True)


class Broken(NoE):
    def allowed(self, state):
        if state > 3:
            raise SystemExit("a plugin that exits")
        return NO_E


class WrongType(NoE):
    def allowed(self, state):
        return "abc"


class Hangs(NoE):
    def advance(self, state, char):
        threading.Event().wait()


@pytest.mark.parametrize("guide, message", [
    (Broken, "the text domain's guide failed: SystemExit"),
    (WrongType, "guide's allowed\\(\\) returned str, not a playground.CharSet"),
    (Hangs, "the text domain's guide did not return within"),
])
def test_a_failing_guide_ends_the_sampling_in_one_line(trained, monkeypatch, guide, message):
    monkeypatch.setattr(scoring, "CALL_BASE_S", 0.0)
    monkeypatch.setattr(scoring, "CALL_PER_SAMPLE_S", 0.5)
    with pytest.raises(PlaygroundError, match=message):
        drawn(trained, guide, guided=True)


def test_masks_are_made_once_per_distinct_charset(trained):
    from playground.engine.guidance import Guidance

    domain, run_dir = trained
    sampler = load_sampler(run_dir, {"n": 4}, dataclasses.replace(domain, guide=NoE))
    guidance = Guidance(sampler.shaping.guide, sampler.vocab, "", 4, 10, sampler.model.embed.weight.device)
    for _ in range(10):
        guidance.advance([0, 1, 2, 3], [0, 1, 2, 3])
    assert len(guidance.rows) == 1
    assert guidance.masks().sum().item() == 4 * sum(c not in "eE" for c in sampler.vocab.chars)


def test_charset_algebra_and_walk():
    vowels, no_a = only("aeiou"), anything_but("a")
    assert "e" in vowels | no_a and "a" not in vowels & no_a and "a" in vowels - no_a
    assert "z" in ~vowels and "z" not in vowels and "z" in no_a
    state, refused = walk(NoE(), "abcde")
    assert (state, refused) == (4, 4)
    assert first_refusal(NoE(), "ab\ncde") == "line 2: 'e' after 'ab\\ncd'"
    assert first_refusal(NoE(), "abc") is None


def test_training_draws_each_validity_batch_raw_and_guided(tmp_path):
    from playground import Score, per_sample
    from playground.events import ValidityMeasured
    from playground.validity import best_valid_rate

    def score_one(sample):
        if not sample.strip():
            return Score(False, 0.0, "empty")
        return Score("e" not in sample.lower(), 1.0 if "e" not in sample.lower() else 0.0,
                     "ok" if "e" not in sample.lower() else "has-e")

    domain = tiny_domain(tmp_path, score=per_sample(score_one), guide=NoE)
    events = list(run_training(domain, {**TINY, "max_steps": 20, "eval_every": 10, "score_samples": 8,
                                        "score_guided": True}, tmp_path / "run"))
    measured = [e for e in events if isinstance(e, ValidityMeasured)]
    raw, guided = [e for e in measured if not e.guided], [e for e in measured if e.guided]
    assert [e.step for e in raw] == [e.step for e in guided] == [10, 20]
    assert all(e.valid_rate == 1.0 for e in guided) and all(e.valid_rate < 1.0 for e in raw), [e.valid_rate for e in raw]
    assert best_valid_rate(tmp_path / "run" / "metrics.jsonl") == max(e.valid_rate for e in raw)


def test_a_run_of_a_domain_without_a_guide_refuses_score_guided(tmp_path):
    with pytest.raises(PlaygroundError, match="has no guide"):
        run_training(tiny_domain(tmp_path), {**TINY, "score_guided": True}, tmp_path / "run")
