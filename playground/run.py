"""Runs: a domain, its settings, its dataset and its folder, prepared eagerly; then the
engine's events, logged, scored and handed to the plugins.

``Run.create`` and ``Run.resume`` do all the checking and loading, so every bad input (a
missing corpus, a bad setting, a bad resume) is a one-line PlaygroundError before any
output. Only ``Run.events`` is lazy. The folder's files are described in run_folder.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground import jsonl
from playground.corpora import home, verified_corpus
from playground.domains import Domain, text_domain
from playground.engine.config import RunConfig, apply, copy_config, resolve, validate
from playground.engine.steering import Steering
from playground.errors import PlaygroundError
from playground.events import (EvalCompleted, Event, RunFinished, RunStarted, SampleGenerated, SampleScored,
                               SamplesDrawn, ScoringFailed, StepCompleted, ValidityMeasured)
from playground.run_folder import RunFolder, find_checkpoint
from playground.sampling import shaping

EXTENDABLE = ("max_steps", "max_time")


def run_settings(domain: Domain, flags: Mapping[str, Any], config_file: Path | None = None) -> RunConfig:
    """A new run's settings: flags > config file > the domain's defaults (its stop rule
    among them) > the built-in defaults."""
    defaults = {**({"stop": domain.stop} if domain.stop is not None else {}), **domain.defaults}
    config = resolve(flags, config_file, defaults, scorer=domain.score is not None)
    if config.train.score_every and domain.score is None:
        raise PlaygroundError(f"domain {domain.name!r} has no validity scorer to run every "
                              f"{config.train.score_every} steps (use --score-every 0)")
    if (config.sample.guided or config.train.score_guided) and domain.guide is None:
        raise PlaygroundError(f"domain {domain.name!r} has no guide to sample with (guided, score_guided)")
    return config


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


def run_domain(path: Path, domains: Mapping[str, Domain], required: bool = True) -> Domain | None:
    """The domain a run was trained on, from the config.json of its folder."""
    folder = RunFolder.of(path)
    if folder is None:
        if required:
            raise PlaygroundError(f"{path} is not a run folder (no config.json); give the DOMAIN too")
        return None
    saved = folder.read_config()
    name, corpus = saved.get("domain"), saved.get("corpus")
    if name in domains:
        if corpus:
            from playground.corpora import remember

            remember(name, Path(corpus))  # where the run found it: its commands need no PLAYGROUND_CORPORA
        return domains[name]
    if name == "text" and corpus:
        return text_domain(Path(corpus))
    if required:
        raise PlaygroundError(f"the run's domain {name!r} is not registered (is its plugin installed?)")
    return None


@dataclass
class Run:
    """A prepared run: settings resolved, dataset loaded, folder claimed (on rank 0)."""

    domain: Domain
    config: RunConfig
    folder: RunFolder | None  # None until rank 0 reserves a new folder under runs/ (and on other ranks)
    dataset: Any  # engine.data.Dataset
    world: Any  # engine.distributed.World
    corpus: Path
    corpus_sha256: str
    resumed: dict | None = None  # the checkpoint it continues
    steering: Steering | None = None
    tracker: Any = None  # the plugin host whose track_event hooks see every event
    stop: Any = None  # engine.train.Stop, shared with the training loop
    _unlock: Any = field(default=None, repr=False)  # releases the folder's lock (held on rank 0)

    @classmethod
    def create(cls, domain: Domain, flags: Mapping[str, Any], out: Path | None = None,
               config_file: Path | None = None, **options: Any) -> Run:
        """A new run of ``domain`` in ``out`` (default: a new folder under runs/); ``options``
        are Run's own fields (steering, tracker)."""
        config = run_settings(domain, flags, config_file)
        return cls._prepare(domain, config, RunFolder(Path(out)) if out is not None else None, None, **options)

    @classmethod
    def resume(cls, path: Path, domain: Domain, flags: Mapping[str, Any], allow_changed_corpus: bool = False,
               out: Path | None = None, **options: Any) -> Run:
        """Continue the run whose last checkpoint is at ``path``: a run folder or its last.pt
        (continued in place), or a checkpoint file of its own (continued in ``out``)."""
        from playground.engine import checkpoint

        ckpt = find_checkpoint(path, "last")
        saved = checkpoint.load(ckpt)
        if "optimizer" not in saved:
            raise PlaygroundError(f"{ckpt} holds weights only, for sampling; resume from a run's last.pt")
        own = RunFolder.of(ckpt)
        if own is not None and ckpt.resolve() != own.checkpoint("last").resolve():
            raise PlaygroundError(f"{ckpt} is not its run's last checkpoint; resume the run folder {own.path}")
        if own is not None and out is not None and Path(out).resolve() != own.path.resolve():
            raise PlaygroundError(f"{ckpt} continues in its own run folder {own.path}; drop --out")
        if saved.get("domain") != domain.name:
            raise PlaygroundError(f"{ckpt} is a run of domain {saved.get('domain')!r}, not {domain.name!r}")
        config = resume_config(RunConfig.from_dict(saved["config"]), flags)
        folder = own or (RunFolder(Path(out)) if out is not None else None)
        return cls._prepare(domain, config, folder, saved, allow_changed_corpus, in_place=own is not None, **options)

    @classmethod
    def _prepare(cls, domain: Domain, config: RunConfig, folder: RunFolder | None, saved: dict | None,
                 allow_changed_corpus: bool = False, in_place: bool = False, **options: Any) -> Run:
        """Check and load everything; then (rank 0) claim the folder, a new one under runs/
        when ``folder`` is None, and lay it out. ``in_place``: it is the resumed run's own."""
        from playground.engine.data import Vocab, check_fits, load_dataset
        from playground.engine.distributed import barrier, join
        from playground.engine.sample import check_prime
        from playground.engine.train import Stop, resolve_device

        world = join(resolve_device(config.train.device), config.train.batch_size)
        corpus, sha256 = verified_corpus(domain)  # one read: verified and hashed
        recorded = (saved or {}).get("corpus_sha256")
        if recorded and recorded != sha256 and not allow_changed_corpus:
            raise PlaygroundError(f"the corpus {corpus} changed since this run began (sha256 {sha256[:12]}…, "
                                  f"the run's {recorded[:12]}…); resume anyway with --allow-changed-corpus")
        vocab = Vocab.from_dict(saved["vocab"]) if saved else None
        dataset = load_dataset(corpus, home() / "cache", config.train.max_vocab, vocab) if world.main else None
        barrier(world)  # rank 0 has encoded the corpus into the cache; the other ranks read it
        dataset = dataset or load_dataset(corpus, home() / "cache", config.train.max_vocab, vocab)
        check_fits(dataset, config.train.batch_size, config.train.seq_len)
        check_prime(dataset.vocab, config.sample.prime)
        run = cls(domain, config, folder, dataset, world, corpus, sha256, saved, stop=Stop(), **options)
        if world.main:  # only rank 0 writes
            run._claim(in_place)
        return run

    def _claim(self, in_place: bool) -> None:
        """Lock the folder (a new one if none was named) and lay it out; released by
        ``release``, or when the Run is dropped."""
        self.folder = self.folder or RunFolder.reserve(home() / "runs", self.domain.name)
        handle = self.folder.claim()
        self._unlock = weakref.finalize(self, RunFolder.release, handle)
        try:
            if not in_place:
                self.folder.check_fresh()
            self._lay_out()
        except BaseException:
            self.release()
            raise

    def _lay_out(self) -> None:
        """The folder's config.json, its logs cut back to the step resumed (if any), no stale files."""
        folder = self.folder
        try:
            folder.checkpoints.mkdir(exist_ok=True)
            folder.clean_stale()
            folder.write_config({"domain": self.domain.name, "corpus": str(self.corpus),
                                 "corpus_sha256": self.corpus_sha256, **self.config.to_dict()})
        except OSError as err:
            raise PlaygroundError(f"cannot write the run folder {folder.path}: {err.strerror or err}") from None
        for log in (folder.metrics, folder.samples):
            jsonl.truncate(log, self.resumed["step"] if self.resumed else 0)

    def save(self, kind: str, step: int, payload: dict) -> str:
        """The engine's checkpoint writer: rank 0 writes (and returns the path)."""
        from playground.engine import checkpoint

        if not self.world.main:
            return ""
        path = self.folder.checkpoint(kind, step)
        checkpoint.save(path, {**payload, "corpus_sha256": self.corpus_sha256})
        return str(path)

    def events(self) -> Iterator[Event]:
        """Train, yielding the engine's events and the validity verdicts as they arrive. A
        KeyboardInterrupt thrown in stops the run at its next step boundary; closing the
        stream saves a checkpoint."""
        from playground.engine.distributed import leave
        from playground.engine.train import train
        from playground.validity import LiveValidity, best_valid_rate

        live = LiveValidity(self.domain, self.folder, best_valid_rate(self.folder.metrics)) if self.world.main else None
        run_dir = str(self.folder.path) if self.folder else ""
        engine = train(self.config, self.dataset, self.save, domain=self.domain.name, run_dir=run_dir,
                       resume=self.resumed, steering=self.steering, shaping=shaping(self.domain), world=self.world,
                       stop=self.stop)
        finished = False
        with contextlib.ExitStack() as cleanup:  # every step runs, even when one before it raises
            cleanup.callback(self.release)
            cleanup.callback(lambda: leave(finished))
            if live:
                cleanup.callback(live.close)
            cleanup.callback(engine.close)  # a run closed early saves its checkpoint here
            for event in engine:
                finished = isinstance(event, RunFinished)  # every rank got here: they leave together
                if isinstance(event, SamplesDrawn):  # only rank 0 draws them
                    live.drawn(event)
                # verdicts arrive when they are ready; at the end all of them, but a stopped run does
                # not wait: the batches still being scored are dropped (LiveValidity.close)
                verdicts = list(live.verdicts(wait=finished and self.stop.reason is None)) if live else []
                for out in [*verdicts, event] if finished else [event, *verdicts]:
                    self.record(out)
                    try:
                        yield out
                    except KeyboardInterrupt:
                        self.stop.request("interrupted")

    def record(self, event: Event) -> None:
        """Log an event in the run folder and hand it to the plugins (rank 0 only)."""
        if not self.world.main:
            return
        match event:
            case SampleGenerated() | SampleScored():
                jsonl.append(self.folder.samples, event.to_dict())
            case (RunStarted() | StepCompleted() | EvalCompleted() | ValidityMeasured() | ScoringFailed()
                  | RunFinished()):
                jsonl.append(self.folder.metrics, event.to_dict())
        if self.tracker is not None:
            self.tracker.track_event(event)

    def release(self) -> None:
        if self._unlock is not None:
            self._unlock()


def run_training(domain: Domain, overrides: Mapping[str, Any], run_dir: Path | None = None,
                 resume: Path | None = None, config_file: Path | None = None, allow_changed_corpus: bool = False,
                 **options: Any) -> Iterator[Event]:
    """Prepare a run of ``domain`` (new in ``run_dir``, or resumed from ``resume``) and return
    its events. Preparing is eager: a bad input raises here, before the first event."""
    if "tracker" not in options:
        from playground import plugins

        options["tracker"] = plugins.host()
    if resume is not None:
        if config_file is not None:
            raise PlaygroundError("a resumed run keeps its config; --config cannot be used with --resume")
        run = Run.resume(resume, domain, overrides, allow_changed_corpus, out=run_dir, **options)
    else:
        run = Run.create(domain, overrides, run_dir, config_file, **options)
    return run.events()
