"""Runs: the glue between a domain, the engine and a run folder.

A run folder holds ``config.json`` (the resolved config), ``metrics.jsonl`` (a row per step,
per eval and per validity measurement), ``samples.jsonl`` (printed samples and scored ones)
and ``checkpoints/``: ``last.pt``, ``best.pt`` (lowest validation loss) and ``best-valid.pt``
(highest valid rate, weights only). Every event also goes to the plugins' ``track_event``.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from playground import jsonl
from playground.atomic import write_text_atomic
from playground.corpora import corpus_path, home
from playground.domains import Domain, text_domain
from playground.engine.config import RunConfig, SampleConfig, apply, copy_config, resolve, validate, validate_sample
from playground.engine.steering import Steering
from playground.errors import PlaygroundError
from playground.events import (EvalCompleted, Event, RunFinished, SampleGenerated, SampleScored, SamplesDrawn,
                               ScoringFailed, StepCompleted, ValidityMeasured)
from playground.validity import LiveValidity, best_valid_rate

EXTENDABLE = ("max_steps", "max_time")


def new_run_dir(domain: Domain) -> Path:
    base = home() / "runs" / f"{domain.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def find_checkpoint(path: Path, *names: str) -> Path:
    """A checkpoint file, or a run folder's first existing ``checkpoints/<name>``."""
    path = Path(path)
    if path.is_dir():
        for name in names:
            if (path / "checkpoints" / name).is_file():
                return path / "checkpoints" / name
        raise PlaygroundError(f"{path} is not a run folder with a checkpoint (no checkpoints/{names[0]})")
    if not path.exists():
        raise PlaygroundError(f"{path} not found: give a run folder or a checkpoint file")
    return path


def run_domain(path: Path, domains: Mapping[str, Domain], required: bool = True) -> Domain | None:
    """The domain a run was trained on, from the config.json of its folder."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent.parent
    try:
        saved = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if required:
            raise PlaygroundError(f"{path} is not a run folder (no config.json); give the DOMAIN too") from None
        return None
    name, corpus = saved.get("domain"), saved.get("corpus")
    if name in domains:
        return domains[name]
    if name == "text" and corpus:
        return text_domain(Path(corpus))
    if required:
        raise PlaygroundError(f"the run's domain {name!r} is not registered (is its plugin installed?)")
    return None


def resume_config(saved: RunConfig, overrides: Mapping[str, Any]) -> RunConfig:
    """The run's own config; overrides may only extend max_steps or max_time."""
    given = {k: v for k, v in overrides.items() if v is not None}
    others = sorted(set(given) - set(EXTENDABLE))
    if others:
        raise PlaygroundError(f"a resumed run keeps its config; only max_steps or max_time may change, "
                              f"not {', '.join(others)}")
    for key, value in given.items():
        old = getattr(saved.train, key)
        if old is not None and value < old:
            raise PlaygroundError(f"resume can only extend {key} (the run has {old}, got {value})")
    config = copy_config(saved)
    apply(config, given)
    validate(config)
    return config


def run_training(domain: Domain, overrides: Mapping[str, Any], run_dir: Path | None = None,
                 resume: Path | None = None, config_file: Path | None = None,
                 steering: Steering | None = None) -> Iterator[Event]:
    """Train ``domain`` (or resume a run), writing the run folder; yields the engine's events.

    ``overrides`` are flat settings from flags (None means not given). When resuming from a
    checkpoint that lies in a run folder, that folder is continued.
    """
    from playground import plugins
    from playground.engine import checkpoint
    from playground.engine.data import Dataset, Vocab, check_fits, load_dataset
    from playground.engine.distributed import barrier, join, leave
    from playground.engine.train import resolve_device, train

    saved = None
    if resume is not None:
        ckpt_path = find_checkpoint(resume, "last.pt")
        saved = checkpoint.load(ckpt_path)
        if "optimizer" not in saved:
            raise PlaygroundError(f"{ckpt_path} holds weights only, for sampling; resume from a run's last.pt")
        if saved.get("domain") != domain.name:
            raise PlaygroundError(f"{ckpt_path} is a run of domain {saved.get('domain')!r}, not {domain.name!r}")
        if config_file is not None:
            raise PlaygroundError("a resumed run keeps its config; --config cannot be used with --resume")
        config = resume_config(RunConfig.from_dict(saved["config"]), overrides)
        if ckpt_path.parent.name == "checkpoints" and (ckpt_path.parent.parent / "config.json").exists():
            run_dir = ckpt_path.parent.parent
    else:
        config = resolve(overrides, config_file, domain.defaults)
        if config.sample.stop is None:
            config.sample.stop = domain.stop
        if config.train.score_every is None:
            config.train.score_every = config.train.eval_every if domain.score else 0
        elif config.train.score_every and domain.score is None:
            raise PlaygroundError(f"domain {domain.name!r} has no validity scorer to run every "
                                  f"{config.train.score_every} steps (use --score-every 0)")
    world = join(resolve_device(config.train.device), config.train.batch_size)
    corpus = corpus_path(domain)
    vocab = Vocab.from_dict(saved["vocab"]) if saved else None

    def load() -> Dataset:
        return load_dataset(corpus, home() / "cache", config.train.max_vocab, vocab)

    dataset = load() if world.main else None
    barrier(world)  # rank 0 has encoded the corpus into the cache; the other ranks read it
    dataset = dataset or load()
    check_fits(dataset, config.train.batch_size, config.train.seq_len)

    if saved is None and run_dir is not None and (Path(run_dir) / "checkpoints" / "last.pt").exists():
        raise PlaygroundError(f"{run_dir} already holds a run; resume it with --resume or choose another folder")
    run_dir = Path(run_dir) if run_dir is not None else new_run_dir(domain)
    metrics, samples = run_dir / "metrics.jsonl", run_dir / "samples.jsonl"
    if world.main:  # only rank 0 writes
        (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        write_text_atomic(run_dir / "config.json", json.dumps({"domain": domain.name, "corpus": str(corpus),
                                                               **config.to_dict()}, indent=2) + "\n")
        for log in (metrics, samples):
            jsonl.truncate(log, saved["step"] if saved else 0)
    live = LiveValidity(domain, run_dir / "checkpoints", best_valid_rate(metrics)) if world.main else None

    def record(event: Event) -> None:
        if not world.main:
            return
        if isinstance(event, (SampleGenerated, SampleScored)):
            jsonl.append(samples, event.to_dict())
        elif isinstance(event, (StepCompleted, EvalCompleted, ValidityMeasured, ScoringFailed)):
            jsonl.append(metrics, event.to_dict())
        plugins.track_event(event)

    events = train(config, dataset, run_dir / "checkpoints", domain=domain.name, run_dir=str(run_dir), resume=saved,
                   steering=steering)
    thrown: BaseException | None = None
    finished = False
    try:
        while True:
            try:  # a KeyboardInterrupt thrown into this generator is passed on to the engine
                event = events.throw(thrown) if thrown else next(events)
            except StopIteration:
                return
            thrown = None
            finished = isinstance(event, RunFinished)  # every rank got here: they leave together
            if isinstance(event, SampleGenerated):
                event = dataclasses.replace(event, text=domain.finish(event.text))
            elif isinstance(event, SamplesDrawn):  # only rank 0 draws them
                live.drawn(event)
            # verdicts arrive when they are ready; the last ones before the run ends
            verdicts = list(live.verdicts(wait=isinstance(event, RunFinished))) if live else []
            batch = [*verdicts, event] if isinstance(event, RunFinished) else [event, *verdicts]
            for out in batch:
                record(out)
                try:
                    yield out
                except KeyboardInterrupt as exc:
                    thrown = exc
    finally:
        events.close()  # closing this generator closes the engine's, which saves a checkpoint
        if live:
            live.close()
        leave(finished)


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

    def streamed(self) -> Iterator[Event]:
        """One sample as events (see engine.sample.streamed), the last one finished."""
        from playground.engine.sample import streamed

        for event in streamed(self.model, self.vocab, self.settings, self.seed):
            yield dataclasses.replace(event, text=self.finish(event.text)) if isinstance(event, SampleGenerated) else event

    def texts(self) -> list[str]:
        """All the samples at once, finished."""
        from playground.engine.sample import sample

        return [self.finish(t) for t in sample(self.model, self.vocab, self.settings, self.seed)]

    def finish(self, text: str) -> str:
        """A finished sample after the domain's post-processing."""
        return self.domain.finish(text) if self.domain else text


def load_sampler(checkpoint_path: Path, overrides: Mapping[str, Any], domain: Domain | None = None) -> Sampler:
    """Load a checkpoint (or a run folder's best checkpoint) and resolve sample settings:
    flags over the run's sample settings. ``prime`` may be ``@file``; a missing seed is drawn.
    ``domain`` defaults to the run's domain if a plugin registers it (for post-processing)."""
    from playground import plugins
    from playground.engine import checkpoint
    from playground.engine.data import Vocab
    from playground.engine.model import CharRNN

    payload = checkpoint.load(find_checkpoint(checkpoint_path, "best.pt", "last.pt"))
    if domain is None:
        domain = plugins.host().domains.get(payload.get("domain", ""))
    config = RunConfig.from_dict(payload["config"])
    settings = dataclasses.replace(config.sample, seed=None)
    if domain is not None and settings.stop is None:
        settings.stop = domain.stop
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(given) - {f.name for f in dataclasses.fields(SampleConfig)})
    if unknown:
        raise PlaygroundError(f"not a sampling setting: {', '.join(unknown)}")
    if isinstance(given.get("prime"), str) and given["prime"].startswith("@"):
        try:
            given["prime"] = Path(given["prime"][1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise PlaygroundError(f"cannot read prime file {given['prime'][1:]}: {err}") from None
    settings = dataclasses.replace(settings, **given)
    validate_sample(settings)
    if settings.seed is None:
        settings.seed = secrets.randbelow(2**31)
    vocab = Vocab.from_dict(payload["vocab"])
    model = CharRNN(config.model, len(vocab))
    model.load_state_dict(payload["model"])
    return Sampler(model.eval(), vocab, settings, domain)


def sweep(checkpoint_path: Path, domain: Domain | None, temperatures: list[float], n: int, length: int | None,
          seed: int, strict: bool = False) -> Iterator[dict[str, Any]]:
    """For each temperature, ``n`` samples from the same seed, judged: one row of rates each.
    ``domain`` defaults to the checkpoint's own (see load_sampler)."""
    from playground.scoring import check_scorer, judge

    sampler = load_sampler(checkpoint_path, {"n": n, "length": length, "seed": seed}, domain)
    check_scorer(sampler.domain, strict)
    for temperature in temperatures:
        sampler.settings.temperature = temperature
        judgement = judge(sampler.domain, sampler.texts(), strict)
        yield {"temperature": temperature, **judgement.rates.to_dict()}
