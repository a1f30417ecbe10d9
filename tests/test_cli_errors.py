"""Bad input on the real command line (`python -m playground`, through `main`): one line on
stderr, exit 2, nothing on stdout, no traceback, and no torch loaded to say so."""

import subprocess
import sys

import pytest


def playground(*args):
    return subprocess.run([sys.executable, "-m", "playground", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("args, expected", [
    (["train", "shakespeare", "--hidden", "abc"], "error: Invalid value for '--hidden': "),
    (["train", "shakespeare", "--no-such-flag"], "error: No such option: --no-such-flag"),
    (["domains", "extra"], "error: Got unexpected extra argument(s) (extra)"),
    (["train", "/no/such/folder/notes.txt"], "error: /no/such/folder/notes.txt: no such file"),
    (["train", "shakespar"], "error: unknown domain 'shakespar' (did you mean 'shakespeare'?)"),
    (["corpus", "fetch", "names", "--from", "/no/such/file"], "error: no such file, folder or URL: /no/such/file"),
])
def test_bad_input_is_one_line_and_exit_2(args, expected):
    result = playground(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(expected) and result.stderr.count("\n") == 1, result.stderr


def test_a_misspelt_domain_is_refused_before_torch_loads():
    probe = ("import sys, runpy; sys.argv = ['playground', 'train', 'shakespar']\n"
             "try:\n    runpy.run_module('playground', run_name='__main__')\nexcept SystemExit as exit:\n"
             "    assert exit.code == 2, exit.code\n"
             "assert 'torch' not in sys.modules, 'torch was imported'")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_no_command_shows_the_help():
    result = playground()
    assert result.returncode == 2 and "Usage:" in result.stdout and "train" in result.stdout


def test_a_bad_setting_is_named_as_the_user_gave_it(tmp_path):
    """`--dropout 2` is reported as --dropout; the same value from a config file as dropout."""
    flag = playground("train", "shakespeare", "--dropout", "2")
    config = tmp_path / "bad.toml"
    config.write_text("dropout = 2\n")
    in_file = playground("train", "shakespeare", "--config", config)
    assert flag.returncode == in_file.returncode == 2
    assert flag.stderr == "error: --dropout must be in [0, 1)\n"
    assert in_file.stderr == "error: dropout must be in [0, 1)\n"
