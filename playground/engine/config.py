"""Run configuration: three dataclasses and a resolver. No torch here (keeps the CLI fast).

Every field has a flat name (``hidden``, ``lr``, ``temperature``), so domain defaults, a TOML
file and command-line flags all speak the same keys. ``seed`` is shared by training and
sampling. Precedence: flags > config file > domain defaults > the defaults below.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.errors import PlaygroundError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CELLS = ("lstm", "gru", "rnn", "lstm-peephole", "lstm-coupled")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class ModelConfig:
    cell: str = "lstm"  # lstm | gru | rnn | lstm-peephole | lstm-coupled
    layers: int = 2  # stacked recurrent layers
    hidden: int = 256  # hidden units per layer
    embed: int = 64  # character embedding size
    dropout: float = 0.0  # on the embedding, between layers and before the output layer


@dataclass
class TrainConfig:
    seq_len: int = 128  # characters per truncated-BPTT window
    batch_size: int = 32  # parallel contiguous streams
    lr: float = 3e-3  # peak learning rate (AdamW)
    min_lr: float = 3e-4  # the cosine decays to this
    weight_decay: float = 0.1  # AdamW decoupled weight decay on matrices
    grad_clip: float = 1.0  # max global grad norm; 0 disables clipping
    warmup: int = 100  # linear warmup steps
    max_steps: int | None = 2000  # stop after this many steps (None: only max_time)
    max_time: float | None = None  # wall-clock budget in seconds; the LR schedule follows it
    eval_every: int = 250  # steps between full-validation evals (and at the end)
    checkpoint_every: int | None = None  # steps between checkpoints; None: at every eval
    sample_every: int | None = None  # steps between samples; None: at every eval, 0: never
    score_every: int | None = None  # steps between validity checks; None: every eval if the domain scores; 0: never
    score_samples: int = 32  # samples drawn (as one batch) for each validity measurement
    device: str = "auto"  # auto | cpu | cuda
    compile: bool = False  # torch.compile the training step (worth it on a GPU; slow to start)
    seed: int = 1337  # seeds weights, dropout and (unless given) sampling
    max_vocab: int = 256  # vocabulary cap, counting <unk>; the rarest characters map to <unk>


@dataclass
class SampleConfig:
    n: int = 1  # samples, generated as one batch
    length: int = 500  # max characters per sample (after the prime)
    temperature: float = 1.0  # > 0; lower is more conservative
    top_k: int | None = None  # keep only the k most likely characters
    top_p: float | None = None  # nucleus sampling: keep the smallest set with this mass, in (0, 1]
    prime: str = ""  # text the samples start with
    seed: int | None = None  # same seed, same samples; None picks one
    argmax: bool = False  # always take the most likely character
    stop: str | None = None  # end a sample at this string; None: the domain's rule


@dataclass
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        return cls(ModelConfig(**data["model"]), TrainConfig(**data["train"]), SampleConfig(**data["sample"]))


SECTIONS = {"model": ModelConfig, "train": TrainConfig, "sample": SampleConfig}
BUDGET = ("max_steps", "max_time")
KEYS = {f.name for cls in SECTIONS.values() for f in dataclasses.fields(cls)}
DEFAULTS = {f.name: f.default for cls in reversed(SECTIONS.values()) for f in dataclasses.fields(cls)}  # train's seed wins


def read_config_file(path: Path) -> dict[str, Any]:
    """Flat keys from a TOML file; ``[model]``/``[train]``/``[sample]`` tables are flattened."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlaygroundError(f"config file {path} not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, IsADirectoryError) as err:
        raise PlaygroundError(f"config file {path} is not valid TOML: {err}") from None
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    unknown = sorted(set(flat) - KEYS)
    if unknown:
        raise PlaygroundError(f"config file {path}: unknown key(s) {', '.join(unknown)}")
    return flat


def resolve(flags: Mapping[str, Any] | None = None, config_file: Path | None = None,
            domain_defaults: Mapping[str, Any] | None = None) -> RunConfig:
    """Merge the layers (flags > file > domain defaults > built-in defaults) and validate the result.

    Flags whose value is None are treated as not given. ``max_steps`` and ``max_time`` form
    the budget: a layer that sets either replaces the budget of the layers below it, so
    ``--max-time 600`` alone means a time budget even when a domain default sets max_steps.
    """
    layers = [dict(domain_defaults or {})]
    if config_file is not None:
        layers.append(read_config_file(config_file))
    layers.append({k: v for k, v in (flags or {}).items() if v is not None})
    config = RunConfig()
    for layer in layers:
        if any(key in layer for key in BUDGET):
            config.train.max_steps = config.train.max_time = None
        apply(config, layer)
    validate(config)
    return config


def copy_config(config: RunConfig) -> RunConfig:
    return RunConfig.from_dict(config.to_dict())


def apply(config: RunConfig, values: Mapping[str, Any]) -> None:
    """Set flat keys on every section that has them."""
    unknown = sorted(set(values) - KEYS)
    if unknown:
        raise PlaygroundError(f"unknown setting(s): {', '.join(unknown)}")
    for section in (config.model, config.train, config.sample):
        for f in dataclasses.fields(section):
            if f.name in values:
                setattr(section, f.name, values[f.name])


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise PlaygroundError(message)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def validate(config: RunConfig) -> None:
    """Raise PlaygroundError with one line for the first nonsense value."""
    m, t, s = config.model, config.train, config.sample
    _check(m.cell in CELLS, f"cell must be one of {', '.join(CELLS)}, not {m.cell!r}")
    for name in ("layers", "hidden", "embed"):
        _check(_is_int(getattr(m, name)) and getattr(m, name) > 0, f"{name} must be a positive integer")
    _check(_is_num(m.dropout) and 0 <= m.dropout < 1, "dropout must be in [0, 1)")
    _check(_is_int(t.seq_len) and t.seq_len > 0, "seq_len must be a positive integer")
    _check(_is_int(t.batch_size) and t.batch_size > 0, "batch_size must be a positive integer")
    _check(_is_num(t.lr) and t.lr > 0, "lr must be a positive number")
    _check(_is_num(t.min_lr) and 0 <= t.min_lr <= t.lr, "min_lr must be in [0, lr]")
    _check(_is_num(t.weight_decay) and t.weight_decay >= 0, "weight_decay must be >= 0")
    _check(_is_num(t.grad_clip) and t.grad_clip >= 0, "grad_clip must be >= 0 (0 disables clipping)")
    _check(_is_int(t.warmup) and t.warmup >= 0, "warmup must be an integer >= 0")
    _check(t.max_steps is None or (_is_int(t.max_steps) and t.max_steps > 0), "max_steps must be a positive integer")
    _check(t.max_time is None or (_is_num(t.max_time) and t.max_time > 0),
           "max_time must be a positive number of seconds")
    _check(t.max_steps is not None or t.max_time is not None, "set max_steps or max_time")
    _check(_is_int(t.eval_every) and t.eval_every > 0, "eval_every must be a positive integer")
    _check(t.checkpoint_every is None or (_is_int(t.checkpoint_every) and t.checkpoint_every > 0),
           "checkpoint_every must be a positive integer")
    _check(t.sample_every is None or (_is_int(t.sample_every) and t.sample_every >= 0),
           "sample_every must be an integer >= 0 (0: never)")
    _check(t.score_every is None or (_is_int(t.score_every) and t.score_every >= 0),
           "score_every must be an integer >= 0 (0: never)")
    _check(_is_int(t.score_samples) and t.score_samples > 0, "score_samples must be a positive integer")
    _check(t.device in DEVICES, f"device must be one of {', '.join(DEVICES)}, not {t.device!r}")
    _check(isinstance(t.compile, bool), "compile must be true or false")
    _check(_is_int(t.seed), "seed must be an integer")
    _check(_is_int(t.max_vocab) and 2 <= t.max_vocab <= 65536, "max_vocab must be an integer in [2, 65536]")
    validate_sample(s)


def validate_sample(s: SampleConfig) -> None:
    _check(_is_int(s.n) and s.n > 0, "n must be a positive integer")
    _check(_is_int(s.length) and s.length > 0, "length must be a positive integer")
    _check(_is_num(s.temperature), "temperature must be a number")
    _check(s.argmax or s.temperature > 0, "temperature must be > 0 (or use argmax)")
    _check(s.top_k is None or (_is_int(s.top_k) and s.top_k > 0), "top_k must be a positive integer")
    _check(s.top_p is None or (_is_num(s.top_p) and 0 < s.top_p <= 1), "top_p must be in (0, 1]")
    _check(isinstance(s.prime, str), "prime must be text")
    _check(s.seed is None or _is_int(s.seed), "seed must be an integer")
    _check(isinstance(s.argmax, bool), "argmax must be true or false")
    _check(s.stop is None or isinstance(s.stop, str), "stop must be text")
