"""Untrusted text on the terminal: file names, samples and checker lines are shown, never
obeyed (no markup, no escape sequences), and an error stays one line."""

from typer.testing import CliRunner

from playground.cli import app
from playground.console import shown


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_markup_in_a_file_name_is_text(tmp_path):
    result = cli("score", "names", tmp_path / "[/]x[bold]y")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{tmp_path}/[/]x[bold]y not found" in result.stderr


def test_escape_sequences_and_newlines_in_an_error_are_written_out(tmp_path):
    result = cli("score", "names", tmp_path / "a\nb\x1b[31mRED")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "\x1b" not in result.stderr and "a\\nb\\x1b[31mRED" in result.stderr


def test_escape_sequences_in_a_sample_file_name_do_not_reach_the_table(tmp_path):
    sample = tmp_path / "n\x1b[5mX.txt"
    sample.write_text("anna\n", encoding="utf-8")
    result = cli("score", "names", sample)
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "\\x1b[5mX.txt" in result.stdout


def test_shown_keeps_lines_and_tabs_and_writes_out_control_characters():
    assert shown("a\tb\nc") == "a\tb\nc"
    assert shown("\x1b[2J\x07\x9b") == "\\x1b[2J\\x07\\x9b"


def test_an_integer_past_pythons_digit_limit_in_a_config_is_one_line(tmp_path):
    config = tmp_path / "big.toml"
    config.write_text("hidden = " + "1" * 5000 + "\n", encoding="utf-8")
    result = cli("train", "names", "--config", config, "--max-steps", "1")
    assert result.exit_code == 2 and "is not valid TOML" in result.stderr and "Traceback" not in result.output


def test_an_integer_past_pythons_digit_limit_in_jsonl_is_one_line(tmp_path):
    rows = tmp_path / "big.jsonl"
    rows.write_text('{"text": "anna", "n": ' + "1" * 5000 + "}\n", encoding="utf-8")
    result = cli("score", "names", "--jsonl", rows)
    assert result.exit_code == 2 and "is not JSON that can be read" in result.stderr and "Traceback" not in result.output


def test_run_logs_are_read_past_a_line_json_cannot_read(tmp_path):
    from playground import jsonl

    log = tmp_path / "metrics.jsonl"
    log.write_text('{"step": 1}\n{"step": ' + "9" * 5000 + "}\n" + "[" * 100_000 + "\n", encoding="utf-8")
    assert jsonl.rows(log) == [{"step": 1}]
