"""Config resolution: precedence, validation, and the no-torch rule."""

import subprocess
import sys

import pytest

from playground.engine.config import RunConfig, read_config_file, resolve
from playground.errors import PlaygroundError


def test_builtin_defaults():
    config = resolve({"max_steps": 10})
    assert config.model.cell == "lstm" and config.train.max_steps == 10 and config.sample.temperature == 1.0


def test_precedence_flags_over_file_over_domain_over_builtin(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('hidden = 64\nlr = 0.01\n[sample]\ntemperature = 0.5\n')
    domain = {"hidden": 32, "layers": 3, "lr": 0.02, "temperature": 0.9}
    config = resolve({"lr": 0.005, "dropout": None}, toml, domain)
    assert config.model.layers == 3  # domain default
    assert config.model.hidden == 64  # file beats domain
    assert config.train.lr == 0.005  # flag beats file
    assert config.sample.temperature == 0.5
    assert config.model.dropout == 0.0  # a None flag is not given


def test_a_budget_key_replaces_the_budget_below_it():
    assert resolve({"max_time": 60}, domain_defaults={"max_steps": 500}).train.max_steps is None
    both = resolve({"max_time": 60, "max_steps": 10}, domain_defaults={"max_steps": 500}).train
    assert (both.max_steps, both.max_time) == (10, 60)
    assert resolve({"lr": 0.1}, domain_defaults={"max_time": 9}).train.max_time == 9


def test_seed_is_the_runs_seed_only():
    config = resolve({"seed": 7})
    assert config.train.seed == 7 and config.sample.seed is None  # the sample seed is `playground sample`'s


def test_a_setting_belongs_to_one_section():
    config = resolve({"seed": 1337, "temperature": 0.5})
    assert config == resolve({"temperature": 0.5})  # the default value, given, changes nothing


def test_round_trip_through_dict():
    config = resolve({"hidden": 48, "top_k": 5})
    assert RunConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("flags, message", [
    ({"hidden": 0}, "hidden must be a positive integer"),
    ({"layers": -1}, "layers must be a positive integer"),
    ({"embed": 2.5}, "embed must be a positive integer"),
    ({"seq_len": 0}, "seq_len must be a positive integer"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"dropout": 1.0}, "dropout must be in [0, 1)"),
    ({"state_resets": 1.0}, "state_resets must be in [0, 1)"),
    ({"state_resets": float("nan")}, "state_resets must be in [0, 1)"),
    ({"lr": 0}, "lr must be a positive number"),
    ({"lr": float("nan")}, "lr must be a positive number"),
    ({"grad_clip": -1}, "grad_clip must be >= 0"),
    ({"max_steps": 0}, "max_steps must be a positive integer"),
    ({"max_time": -5}, "max_time must be a positive number"),
    ({"eval_every": 0}, "eval_every must be a positive integer"),
    ({"cell": "transformer"}, "cell must be one of"),
    ({"device": "tpu"}, "device must be one of"),
    ({"max_vocab": 1}, "max_vocab must be an integer in [2, 65536]"),
    ({"temperature": 0}, "temperature must be at least 1e-06"),
    ({"temperature": 1e-300}, "temperature must be at least 1e-06"),
    ({"temperature": -1}, "temperature must be at least 1e-06"),
    ({"top_p": 0}, "top_p must be in (0, 1]"),
    ({"top_p": 1.5}, "top_p must be in (0, 1]"),
    ({"top_k": 0}, "top_k must be a positive integer"),
    ({"n": 0}, "n must be a positive integer"),
    ({"length": -3}, "length must be a positive integer"),
    ({"units": -1}, "units must be an integer in 0..1000"),
    ({"units": 1.5}, "units must be an integer in 0..1000"),
    ({"warm": "yes"}, "warm must be true or false"),
    ({"score_temperature": float("nan")}, "score_temperature must be a finite number"),
    ({"score_temperature": -2.0}, "score_temperature must be a finite number"),
    ({"nonsense": 1}, "unknown setting(s): nonsense"),
])
def test_bad_values_raise_one_line(flags, message):
    with pytest.raises(PlaygroundError) as err:
        resolve(flags)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_zero_temperature_is_fine_with_argmax():
    assert resolve({"temperature": 0, "argmax": True}).sample.argmax


def test_no_budget_at_all_is_an_error():
    with pytest.raises(PlaygroundError, match="set max_steps or max_time"):
        resolve({}, domain_defaults={"max_steps": None})


def test_config_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("hiden = 3\nlr = 0.1\n")
    with pytest.raises(PlaygroundError, match="unknown key.*hiden"):
        read_config_file(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("hidden = = 3\n")
    with pytest.raises(PlaygroundError, match="not valid TOML"):
        resolve({}, broken)
    with pytest.raises(PlaygroundError, match="not found"):
        resolve({}, tmp_path / "missing.toml")


def test_config_does_not_import_torch():
    probe = "import sys, playground.engine.config, playground.console; assert 'torch' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
