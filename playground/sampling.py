"""Sampling from a trained checkpoint: its model, vocabulary and resolved sample settings,
and the temperature sweep. Post-processing happens in engine.sample, given the domain's
``finish``."""

from __future__ import annotations

import dataclasses
import functools
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from playground.domains import Domain
from playground.engine.config import RunConfig, SampleConfig, validate_sample
from playground.errors import PlaygroundError
from playground.files import read_text_bounded
from playground.events import Event
from playground.run_folder import find_checkpoint

MAX_PRIME_BYTES = 1 << 20  # a --prime @FILE larger than this is refused before it is read


@dataclasses.dataclass
class Sampler:
    """A checkpoint loaded for sampling, with its resolved settings (the seed drawn if it was not given)."""

    model: Any
    vocab: Any
    settings: SampleConfig
    domain: Domain | None = None

    @property
    def seed(self) -> int:
        return self.settings.seed

    @functools.cached_property
    def shaping(self):
        return shaping(self.domain)

    def streamed(self) -> Iterator[Event]:
        """One sample as events (see engine.sample.streamed), the last one shaped."""
        from playground.engine.sample import streamed

        return streamed(self.model, self.vocab, self.settings, self.seed, shaping=self.shaping)

    def texts(self) -> list[str]:
        """All the samples at once, shaped."""
        return self.drawn()[0]

    def drawn(self):
        """All the samples at once, shaped, and the generation that drew them (engine.sample.drawn)."""
        from playground.engine.sample import drawn

        return drawn(self.model, self.vocab, self.settings, self.seed, self.shaping)


def shaping(domain: Domain | None):
    """How ``domain`` shapes its samples (engine.sample.Shaping): its post-processing, the cut
    and count of its units, warm-up texts from its held-out split, and its guide (built when a
    guided sample first needs it). Each is plugin code: a failure, or an answer of the wrong
    type, is a one-line PlaygroundError."""
    from playground.engine.sample import Shaping
    from playground.guided import DomainGuide
    from playground.held_out import warmups

    if domain is None:
        return Shaping()
    return Shaping(finish=guarded(domain, "post-processing", domain.finish, str),
                   cut=guarded(domain, "units", domain.cut, str),
                   count=guarded(domain, "units", domain.count, int),
                   warmups=warmups(domain),
                   guide=DomainGuide(domain) if domain.guide is not None else None)


def guarded(domain: Domain, what: str, call: Callable[[str], Any], kind: type) -> Callable[[str], Any]:
    """``call`` as the engine may use it: run isolated and time-limited (``scoring.plugin_call``),
    so whatever it raises (SystemExit and KeyboardInterrupt too), a hang or a wrong type ends the
    run or the sampling in one line."""
    from playground.scoring import plugin_call

    def checked(text: str) -> Any:
        value = plugin_call(domain.name, what, lambda: call(text))
        if not isinstance(value, kind):
            raise PlaygroundError(f"the {domain.name} domain's {what} returned {type(value).__name__}, "
                                  f"not {kind.__name__}")
        return value

    return checked


def read_prime(value: str) -> str:
    """``--prime`` as given, or the text of the file in ``@FILE`` (bounded)."""
    if not value.startswith("@"):
        return value
    return read_text_bounded(value[1:], MAX_PRIME_BYTES, "prime file")


def load_sampler(checkpoint_path: Path, overrides: Mapping[str, Any], domain: Domain | None = None,
                 domains: Mapping[str, Domain] | None = None) -> Sampler:
    """Load a checkpoint (or a run folder's best checkpoint) and resolve sample settings:
    flags over the run's sample settings. ``prime`` may be ``@file``; a missing seed is drawn.
    ``domain`` defaults to the checkpoint's domain among ``domains`` (the registered ones when
    not given), for post-processing."""
    from playground import plugins
    from playground.engine import checkpoint
    from playground.engine.data import Vocab
    from playground.engine.model import CharRNN

    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(given) - {f.name for f in dataclasses.fields(SampleConfig)})
    if unknown:
        raise PlaygroundError(f"not a sampling setting: {', '.join(unknown)}")
    if isinstance(given.get("prime"), str):
        given["prime"] = read_prime(given["prime"])
    payload = checkpoint.load(find_checkpoint(checkpoint_path, "best", "last"))
    if domain is None:
        domain = (plugins.host().domains if domains is None else domains).get(payload.get("domain", ""))
    config = RunConfig.from_dict(payload["config"])
    settings = dataclasses.replace(config.sample, seed=None)
    if domain is not None and settings.stop is None:
        settings.stop = domain.stop
    settings = dataclasses.replace(settings, **given)
    validate_sample(settings)
    if settings.seed is None:
        settings.seed = secrets.randbelow(2**31)
    vocab = Vocab.from_dict(payload["vocab"])
    model = CharRNN(config.model, len(vocab))
    model.load_state_dict(payload["model"])
    return Sampler(model.eval(), vocab, settings, domain)


def sweep(checkpoint_path: Path, domain: Domain | None, temperatures: list[float], n: int, length: int | None,
          seed: int, strict: bool = False, domains: Mapping[str, Domain] | None = None,
          guided: bool = False) -> Iterator[dict[str, Any]]:
    """For each temperature, ``n`` samples from the same seed (``guided``: by the domain's guide),
    judged: one row of rates each, with the samples' mean negative log-likelihood per character
    under the model. ``domain`` defaults to the checkpoint's own (see load_sampler)."""
    from playground.scoring import check_scorer, judge

    sampler = load_sampler(checkpoint_path, {"n": n, "length": length, "seed": seed, "guided": guided}, domain, domains)
    check_scorer(sampler.domain, strict)
    for temperature in temperatures:
        sampler.settings.temperature = temperature
        texts, generation = sampler.drawn()
        judgement = judge(sampler.domain, texts, strict)
        yield {"temperature": temperature, "guided": guided, **judgement.rates.to_dict(),
               "nll_per_char": mean_nll(generation), "stuck": sum(generation.stuck)}


def mean_nll(generation) -> float | None:
    """A batch's negative log-likelihood per character under the model (nats), over all its characters."""
    chars = sum(generation.chars)
    return round(sum(generation.nll) / chars, 4) if chars else None
