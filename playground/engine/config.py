"""Run configuration: three dataclasses and a resolver. No torch here (keeps the CLI fast).

Each setting is declared once, below, with its default and help; the CLI's options and the
TUI's settings panel are made from these declarations (playground.options). Every run setting
has a flat name (``hidden``, ``lr``, ``temperature``) that belongs to one section, so domain
defaults, a TOML file and command-line flags all speak the same keys. ``seed`` is the run's
seed (weights, dropout and the samples drawn during training, from ``seed + step``); the
sample section's own ``seed`` is a setting of ``playground sample`` only.
Precedence: flags > config file > domain defaults > the defaults below.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.errors import PlaygroundError
from playground.files import read_text_bounded

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# Bounds checked before any work: past them a setting is a mistake, not a bigger run.
MAX_CONFIG_BYTES = 1 << 16  # a --config file
MAX_SIZE = 1 << 16  # layers, hidden units, embedding, sequence length, batch, samples
MAX_PARAMS = 2_000_000_000  # recurrent weights, estimated before the model is built
MAX_LENGTH = 1_000_000  # characters per sample
MAX_BATCH_CHARS = 10_000_000  # characters in one batch of samples (n, or score_samples, x length)
MAX_UNITS = 1_000  # units per sample (--units)
SEED_RANGE = 2**63  # seeds are in [0, 2**63)
MIN_TEMPERATURE = 1e-6  # far lower divides the logits past what float32 holds (inf, then nan)

CELLS = ("lstm", "gru", "rnn", "lstm-peephole", "lstm-coupled", "gru-colah")
DEVICES = ("auto", "cpu", "cuda")


def setting(default: Any, help: str, *, flag: str | None = None, panel: str | None = None,
            run: bool = True) -> Any:
    """Declare a setting once: its default and help, the ``--flag`` spelling when it is not
    the field's name, its label in the TUI's settings panel, and ``run=False`` for a setting
    that only the ``sample`` command takes (not part of a run's flat keys)."""
    return field(default=default, metadata={"help": help, "flag": flag, "panel": panel, "run": run})


@dataclass
class ModelConfig:
    cell: str = setting("lstm", f"Recurrent cell: {', '.join(CELLS[:-1])} or {CELLS[-1]}.", panel="cell")
    layers: int = setting(2, "Stacked recurrent layers.", panel="layers")
    hidden: int = setting(256, "Hidden units per layer.", panel="hidden")
    embed: int = setting(64, "Character embedding size.")
    dropout: float = setting(0.0, "Dropout on the embedding, between layers and before the output, in [0, 1).")


@dataclass
class TrainConfig:
    seq_len: int = setting(128, "Characters per truncated-BPTT window.", panel="seq-len")
    batch_size: int = setting(32, "Parallel contiguous streams per batch.", panel="batch")
    lr: float = setting(3e-3, "Peak learning rate (AdamW).", panel="lr")
    min_lr: float = setting(3e-4, "The learning rate the cosine decays to.")
    weight_decay: float = setting(0.1, "AdamW weight decay (on matrices and the embedding).")
    grad_clip: float = setting(1.0, "Max gradient norm; 0 turns clipping off.")
    warmup: int = setting(100, "Linear warmup steps before the cosine decay.")
    state_resets: float = setting(0.0, "Chance, per stream and step, that its carried state starts afresh, "
                                       "so that a sample's fresh state is one the model knows; in [0, 1).")
    max_steps: int | None = setting(2000, "Stop after this many steps.", panel="max-steps")
    max_time: float | None = setting(None, "Wall-clock budget in seconds; the learning-rate schedule follows it.",
                                     panel="max-time")
    eval_every: int = setting(250, "Steps between full-validation evals (and at the end).")
    checkpoint_every: int | None = setting(None, "Steps between checkpoints [default: at every eval].")
    sample_every: int | None = setting(None, "Steps between printed samples; 0 never [default: at every eval].")
    score_every: int | None = setting(
        None, "Steps between validity measurements; 0 never [default: at every eval, for a domain with a scorer].",
        panel="score-every")
    score_samples: int = setting(32, "Samples drawn (one batch) and scored at each validity measurement.")
    score_temperature: float | None = setting(
        None, "Temperature of the validity batches [default: the sampling temperature]; `playground sweep` "
              "prints the best one for a checkpoint.")
    score_guided: bool = setting(False, "Draw each validity batch twice from the same weights, raw and with the "
                                        "domain's guide (see `sample --guided`), to chart both rates.",
                                 flag="--score-guided/--no-score-guided")
    device: str = setting("auto", f"{', '.join(DEVICES[:-1])} or {DEVICES[-1]}.")
    threads: int = setting(0, "CPU threads; 0: torch's default split between the processes training on this "
                              "machine now, re-counted as they start and stop.")
    compile: bool = setting(False, "torch.compile the training step (worth it on a GPU; slow to start).",
                            flag="--compile/--no-compile")
    seed: int = setting(1337, "Seeds the weights, dropout and the samples drawn during training: same seed, same run.")
    max_vocab: int = setting(256, "Vocabulary cap, counting <unk>; rarer characters become <unk>.")


@dataclass
class SampleConfig:
    n: int = setting(1, "Samples, generated as one batch.", flag="--n")
    length: int = setting(500, "Max characters per sample (after the prime).")
    temperature: float = setting(1.0, "Softmax temperature, > 0; lower is more conservative.", panel="temperature")
    top_k: int | None = setting(None, "Keep only the k most likely characters.")
    top_p: float | None = setting(None, "Nucleus sampling: the smallest set with this mass, in (0, 1].")
    prime: str = setting("", "Text the samples start with, or @FILE to read it.")
    seed: int | None = setting(None, "Same seed, same samples [default: random, printed with --json].", run=False)
    argmax: bool = setting(False, "Always take the most likely character.", flag="--argmax")
    stop: str | None = setting(
        None, "End a sample at this text; escapes like \\n work [default: the domain's rule; names: a newline].")
    units: int | None = setting(
        None, "End a sample after this many complete units of its domain (a name, a speech, a paragraph, "
              "a definition); --length still caps it, and a sample that reaches it is cut after its last "
              "unit; 0: no stop at units.",
        panel="units")
    warm: bool = setting(True, "Start from a state warmed on real text that ends at a unit boundary (from the "
                               "validation split, not shown); --no-warm: from a zero state.",
                       flag="--warm/--no-warm")
    guided: bool = setting(False, "Mask the characters the domain's guide rules out at each step (what could not be "
                                  "completed: an unmatched brace, an unclosed string); validity batches then run "
                                  "raw and guided.", flag="--guided/--raw")


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
# flat key -> (section, field), for the settings a run takes
RUN_FIELDS = {f.name: (section, f) for section, cls in SECTIONS.items() for f in dataclasses.fields(cls)
              if f.metadata["run"]}
KEYS = set(RUN_FIELDS)


@dataclass(frozen=True)
class Setting:
    """One declared setting, as front ends see it."""

    name: str
    section: str
    type: type  # int, float, str or bool (the value type, None aside)
    default: Any
    help: str
    flag: str  # e.g. "--seq-len"
    panel: str | None  # its label in the TUI's settings panel, if it has one


def flattened(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config (config.json's sections) as one level of dotted keys:
    ``{"model": {"hidden": 32}}`` -> ``{"model.hidden": 32}``."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            flat.update(flattened(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def declared(*sections: str) -> list[Setting]:
    """The settings of ``sections``, in declaration order."""
    found = []
    for section in sections:
        hints = typing.get_type_hints(SECTIONS[section])
        for f in dataclasses.fields(SECTIONS[section]):
            kind = next(t for t in typing.get_args(hints[f.name]) or (hints[f.name],) if t is not type(None))
            meta = f.metadata
            flag = meta["flag"] or "--" + f.name.replace("_", "-")
            found.append(Setting(f.name, section, kind, f.default, meta["help"], flag, meta["panel"]))
    return found


def read_config_file(path: Path) -> dict[str, Any]:
    """Flat keys from a TOML file; ``[model]``/``[train]``/``[sample]`` tables are flattened."""
    text = read_text_bounded(path, MAX_CONFIG_BYTES, "config file")
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as err:  # ValueError: an integer past Python's digit limit
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
            domain_defaults: Mapping[str, Any] | None = None, scorer: bool = False) -> RunConfig:
    """Merge the layers (flags > file > domain defaults > built-in defaults) and validate the result.

    Flags whose value is None are treated as not given. ``max_steps`` and ``max_time`` form
    the budget: a layer that sets either replaces the budget of the layers below it, so
    ``--max-time 600`` alone means a time budget even when a domain default sets max_steps.
    ``score_every`` left unset means every eval when the domain has a ``scorer``, else never.
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
    if config.train.score_every is None:
        config.train.score_every = config.train.eval_every if scorer else 0
    validate(config)
    return config


def copy_config(config: RunConfig) -> RunConfig:
    return RunConfig.from_dict(config.to_dict())


def apply(config: RunConfig, values: Mapping[str, Any]) -> None:
    """Set flat keys, each on its own section."""
    unknown = sorted(set(values) - KEYS)
    if unknown:
        raise PlaygroundError(f"unknown setting(s): {', '.join(unknown)}")
    for key, value in values.items():
        setattr(getattr(config, RUN_FIELDS[key][0]), key, value)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise PlaygroundError(message)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _positive_int(value: Any, name: str, limit: int = MAX_SIZE) -> None:
    _check(_is_int(value) and 0 < value <= limit, f"{name} must be a positive integer of at most {limit:,}")


def _seed(value: Any) -> None:
    _check(_is_int(value) and 0 <= value < SEED_RANGE, "seed must be an integer in [0, 2**63)")


def validate(config: RunConfig) -> None:
    """Raise PlaygroundError with one line for the first nonsense value."""
    m, t, s = config.model, config.train, config.sample
    _check(m.cell in CELLS, f"cell must be one of {', '.join(CELLS)}, not {m.cell!r}")
    for name in ("layers", "hidden", "embed"):
        _positive_int(getattr(m, name), name)
    _check(4 * m.layers * m.hidden * (m.hidden + max(m.hidden, m.embed)) <= MAX_PARAMS,
           f"a {m.layers}x{m.hidden} model is over the {MAX_PARAMS:,}-parameter limit")
    _check(_is_num(m.dropout) and 0 <= m.dropout < 1, "dropout must be in [0, 1)")
    _positive_int(t.seq_len, "seq_len")
    _positive_int(t.batch_size, "batch_size")
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
    _positive_int(t.score_samples, "score_samples")
    _check(_is_num(t.state_resets) and 0 <= t.state_resets < 1, "state_resets must be in [0, 1)")
    _check(isinstance(t.score_guided, bool), "score_guided must be true or false")
    _check(t.score_temperature is None or (_is_num(t.score_temperature) and t.score_temperature >= MIN_TEMPERATURE),
           f"score_temperature must be a finite number of at least {MIN_TEMPERATURE:g}")
    _check(t.score_samples * s.length <= MAX_BATCH_CHARS,
           f"score_samples x length is over the {MAX_BATCH_CHARS:,}-character limit of a sample batch")
    _check(t.device in DEVICES, f"device must be one of {', '.join(DEVICES)}, not {t.device!r}")
    _check(isinstance(t.compile, bool), "compile must be true or false")
    _check(_is_int(t.threads) and 0 <= t.threads <= 1024, "threads must be an integer in [0, 1024] (0: auto)")
    _seed(t.seed)
    _check(_is_int(t.max_vocab) and 2 <= t.max_vocab <= 65536, "max_vocab must be an integer in [2, 65536]")
    validate_sample(s)


def validate_sample(s: SampleConfig) -> None:
    _positive_int(s.n, "n")
    _positive_int(s.length, "length", MAX_LENGTH)
    _check(s.n * s.length <= MAX_BATCH_CHARS, f"n x length is over the {MAX_BATCH_CHARS:,}-character limit of a sample batch")
    _check(_is_num(s.temperature), "temperature must be a finite number")
    _check(s.argmax or s.temperature >= MIN_TEMPERATURE,
           f"temperature must be at least {MIN_TEMPERATURE:g} (or use argmax)")
    _check(s.top_k is None or (_is_int(s.top_k) and s.top_k > 0), "top_k must be a positive integer")
    _check(s.top_p is None or (_is_num(s.top_p) and 0 < s.top_p <= 1), "top_p must be in (0, 1]")
    _check(isinstance(s.prime, str), "prime must be text")
    if s.seed is not None:
        _seed(s.seed)
    _check(isinstance(s.argmax, bool), "argmax must be true or false")
    _check(s.stop is None or isinstance(s.stop, str), "stop must be text")
    _check(s.units is None or (_is_int(s.units) and 0 <= s.units <= MAX_UNITS),
           f"units must be an integer in 0..{MAX_UNITS} (0: cut at the length)")
    _check(isinstance(s.warm, bool), "warm must be true or false")
    _check(isinstance(s.guided, bool), "guided must be true or false")
