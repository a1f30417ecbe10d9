"""playground race: cells sized to one parameter count, each trained for the same budget."""

import json

import pytest
from engine_support import playground, tiny_corpus

from playground.engine.config import CELLS
from playground.race import count, parse_params, sized


@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_is_sized_to_within_a_few_percent_of_the_target(cell):
    hidden = sized(cell, 1_000_000, vocab=65, layers=2, embed=64)
    assert abs(count(cell, hidden, 65, 2, 64) - 1_000_000) < 0.02 * 1_000_000
    assert count(cell, hidden + 1, 65, 2, 64) > count(cell, hidden, 65, 2, 64)


def test_parameter_counts_read_as_people_write_them():
    assert (parse_params("1M"), parse_params("250k"), parse_params("2.5m"), parse_params("40000")) == (
        1_000_000, 250_000, 2_500_000, 40_000)


@pytest.mark.parametrize("args, message", [
    (["--cells", "lstm,transformer"], "--cells takes names from lstm, gru"),
    (["--cells", "lstm,lstm"], "--cells names a cell twice"),
    (["--params", "lots"], "--params takes a count such as 1M"),
    (["--budget", "0"], "--budget must be a positive number"),
])
def test_bad_race_options_are_one_line(args, message):
    result = playground("race", "shakespeare", *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and message in result.stderr


def test_a_race_trains_each_cell_for_its_budget_into_run_folders(tmp_path):
    corpus = tiny_corpus(tmp_path)
    (settings := tmp_path / "tiny.toml").write_text("seq_len = 16\nbatch_size = 8\neval_every = 20\nlength = 40\n")
    result = playground("race", corpus, "--cells", "lstm,gru-colah", "--params", "20k", "--budget", "3",
                        "--layers", "1", "--config", settings, "--out", tmp_path / "race", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [c["cell"] for c in document["cells"]] == ["lstm", "gru-colah"]
    for cell in document["cells"]:
        assert abs(cell["params"] - 20_000) < 2_000 and cell["steps"] > 0 and cell["val_loss"] > 0
        assert cell["bits_per_char"] == pytest.approx(cell["val_loss"] / 0.6931471805599453)
        assert (tmp_path / "race" / cell["cell"] / "config.json").is_file()  # a normal run folder
        assert cell["curve"][-1][0] <= 3 + 2  # stopped at its budget (plus the step that crossed it)
    assert json.loads((tmp_path / "race" / "race.json").read_text()) == document
    assert (tmp_path / "race" / "race.svg").read_text().startswith("<svg")
