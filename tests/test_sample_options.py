"""Sampling: every option, determinism, streaming, and bad input."""

import pytest
import torch

from engine_support import TINY, tiny_domain
from playground.engine.config import SampleConfig
from playground.engine.sample import Generation, filter_logits, sample
from playground.errors import PlaygroundError
from playground.run import run_training
from playground.sampling import load_sampler


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sampling")
    list(run_training(tiny_domain(folder), {**TINY, "max_steps": 60, "eval_every": 60, "sample_every": 0},
                      folder / "run"))
    return folder / "run"


def texts(run_dir, **settings):
    sampler = load_sampler(run_dir, settings)
    return sample(sampler.model, sampler.vocab, sampler.settings, sampler.seed)


def test_same_seed_same_samples(run_dir):
    a = texts(run_dir, n=4, seed=3, length=50)
    assert len(a) == 4 and len(set(a)) > 1  # one batch of different samples
    assert a == texts(run_dir, n=4, seed=3, length=50)
    assert a != texts(run_dir, n=4, seed=4, length=50)


def test_a_seed_is_drawn_when_none_is_given(run_dir):
    sampler = load_sampler(run_dir, {})
    assert isinstance(sampler.seed, int) and sampler.settings.seed == sampler.seed


def test_length_without_stop(run_dir):
    assert [len(t) for t in texts(run_dir, n=3, length=25, seed=0)] == [25, 25, 25]


def test_prime_starts_every_sample(run_dir):
    out = texts(run_dir, n=3, length=10, prime="The cat", seed=0)
    assert all(t.startswith("The cat") and len(t) == 17 for t in out)


def test_prime_from_file(run_dir, tmp_path):
    (tmp_path / "p.txt").write_text("A dog")
    assert texts(run_dir, length=5, prime=f"@{tmp_path / 'p.txt'}", seed=0)[0].startswith("A dog")


def test_prime_with_unknown_characters(run_dir):
    with pytest.raises(PlaygroundError, match="never saw: 'Z', '!'"):
        texts(run_dir, prime="Zoo!")


def test_unknown_characters_allowed_when_unk_was_trained(run_dir):
    sampler = load_sampler(run_dir, {"prime": "The ", "length": 5, "seed": 0})
    sampler.vocab.capped = True
    sampler.settings.prime = "Zoo"
    assert sample(sampler.model, sampler.vocab, sampler.settings, 0)[0].startswith("Zoo")


def test_argmax_ignores_seed_and_matches_greedy_filters(run_dir):
    greedy = texts(run_dir, n=2, length=30, argmax=True, seed=1)
    assert greedy[0] == greedy[1] == texts(run_dir, length=30, argmax=True, seed=2)[0]
    assert texts(run_dir, length=30, top_k=1, seed=5)[0] == greedy[0]
    assert texts(run_dir, length=30, top_p=1e-9, seed=6)[0] == greedy[0]
    assert texts(run_dir, length=30, temperature=1e-4, seed=7)[0] == greedy[0]


def test_high_temperature_is_more_varied(run_dir):
    cold = "".join(texts(run_dir, n=8, length=60, temperature=0.3, seed=0))
    hot = "".join(texts(run_dir, n=8, length=60, temperature=3.0, seed=0))
    assert len(set(hot)) > len(set(cold))


def test_stop_ends_each_sample(run_dir):
    out = texts(run_dir, n=6, length=200, stop=".", seed=0)
    assert all("." not in t for t in out) and any(len(t) < 200 for t in out)
    multi = texts(run_dir, n=6, length=200, stop=" the", seed=0)
    assert all(" the" not in t for t in multi)


def test_streaming_pieces_add_up_to_the_samples(run_dir):
    sampler = load_sampler(run_dir, {"n": 3, "length": 80, "stop": "at", "prime": "The", "seed": 9})
    steps = list(Generation(sampler.model, sampler.vocab, sampler.settings, sampler.seed))
    assert steps[0] == ["The"] * 3 and all(len(p) <= 1 for piece in steps[1:-1] for p in piece)
    joined = ["".join(piece[i] for piece in steps) for i in range(3)]
    assert joined == sample(sampler.model, sampler.vocab, sampler.settings, sampler.seed)


def test_sampling_restores_training_mode(run_dir):
    sampler = load_sampler(run_dir, {"length": 5})
    sampler.model.train()
    sample(sampler.model, sampler.vocab, sampler.settings, 0)
    assert sampler.model.training


def test_filter_logits():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    kept = lambda out: torch.isfinite(out)[0].tolist()  # noqa: E731
    assert kept(filter_logits(logits, 2, None)) == [True, True, False, False]
    assert kept(filter_logits(logits, None, 0.5)) == [True, False, False, False]
    assert kept(filter_logits(logits, None, 0.79)) == [True, True, False, False]
    assert kept(filter_logits(logits, None, 0.81)) == [True, True, True, False]
    assert kept(filter_logits(logits, None, 1.0)) == [True] * 4


@pytest.mark.parametrize("settings, message", [
    ({"temperature": 0}, "temperature must be at least 1e-06"),
    ({"top_p": 2}, "top_p must be in"),
    ({"top_k": -1}, "top_k must be a positive integer"),
    ({"n": 0}, "n must be a positive integer"),
    ({"hidden": 5}, "not a sampling setting: hidden"),
    ({"prime": "@/nonexistent/file"}, "prime file /nonexistent/file not found"),
])
def test_bad_sample_settings(run_dir, settings, message):
    with pytest.raises(PlaygroundError, match=message):
        load_sampler(run_dir, settings)


def test_domain_stop_and_postprocess(run_dir):
    from playground.domains import text_domain

    domain = text_domain(run_dir / "config.json")
    sampler = load_sampler(run_dir, {"n": 2, "length": 5})
    assert sampler.settings.stop is None  # the run's domain had none
    import dataclasses
    domain = dataclasses.replace(domain, stop=".", postprocess=(str.upper,))
    sampler = load_sampler(run_dir, {"n": 2}, domain)
    assert sampler.settings.stop == "." and sampler.shaping.finish("ab") == "AB"


def test_sample_config_defaults_are_valid():
    from playground.engine.config import validate_sample

    validate_sample(SampleConfig())
