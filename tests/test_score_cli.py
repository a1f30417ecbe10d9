"""`playground score`, `sample --score` and `sweep` from the command line."""

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from playground.cli import app

LATEX = Path(__file__).parent / "data" / "score" / "latex"


def run(*args, input=None):
    return CliRunner().invoke(app, list(args), input=input)


def test_a_compiling_file_exits_0_and_a_broken_one_says_why():
    ok = run("score", "latex", str(LATEX / "ok-theorems.tex"))
    assert ok.exit_code == 0, ok.output
    assert "✓" in ok.stdout and "valid 1/1 = 100%" in ok.stdout

    bad = run("score", "latex", str(LATEX / "bad-undefined.tex"), str(LATEX / "ok-lists.tex"))
    assert bad.exit_code == 1
    assert "undefined-control-sequence" in bad.stdout and "Undefined control sequence" in bad.stdout
    assert "valid 1/2 = 50%" in bad.stdout


def test_json_document_follows_the_schema(with_corpora, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("emma\nzorblax\nx\n\nemma\n")
    result = run("score", "names", str(names), "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    summary = doc["summary"]
    assert {"n", "valid_rate", "valid_ci", "unique_rate", "novel_rate", "categories"} <= set(summary)
    assert summary["n"] == 4 and summary["valid_rate"] == 0.75
    assert summary["unique_rate"] == pytest.approx(2 / 3) and summary["novel_rate"] == 0.5
    assert summary["categories"] == {"ok": 3, "too-short": 1}
    assert [s["source"] for s in doc["samples"]] == [f"{names}:1", f"{names}:2", f"{names}:3", f"{names}:5"]
    assert set(doc["samples"][2]) >= {"source", "valid", "value", "category", "detail"}
    assert doc["samples"][2]["category"] == "too-short" and doc["samples"][2]["valid"] is False


def test_stdin_and_jsonl_inputs(tmp_path):
    result = run("score", "names", "-", input="emma\nolivia\n")
    assert result.exit_code == 0 and "stdin:2" in result.stdout
    rows = tmp_path / "samples.jsonl"
    rows.write_text("\n".join(json.dumps({"text": t, "index": i}) for i, t in enumerate(["ava", "b4"])) + "\n")
    result = run("score", "names", "--jsonl", str(rows), "--json")
    assert result.exit_code == 1
    assert [s["valid"] for s in json.loads(result.stdout)["samples"]] == [True, False]


def test_repair_is_reported_apart(tmp_path):
    unclosed = tmp_path / "unclosed.tex"
    unclosed.write_text("\\begin{lemma}\nLet $x$ be a point.\n\\begin{itemize}\n\\item one\n")
    result = run("score", "latex", str(unclosed), "--repair", "--json")
    assert result.exit_code == 1  # raw validity decides the exit status
    doc = json.loads(result.stdout)
    assert doc["summary"]["valid_rate"] == 0.0 and doc["summary"]["repaired"]["valid_rate"] == 1.0
    assert doc["samples"][0]["valid"] is False and doc["samples"][0]["repaired"]["valid"] is True


def test_strict_c_runs_gcc(tmp_path):
    sample = tmp_path / "f.c"
    sample.write_text("int f(int x) { return x + ; }\n")
    result = run("score", "c", str(sample), "--strict", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["samples"][0]["category"] == "error-in-expression"


@pytest.mark.parametrize("args, message", [
    (["score", "latex"], "no samples"),
    (["score", "latex", "/nonexistent/x.tex"], "sample file /nonexistent/x.tex not found"),
    (["score", "lattex", "x"], "did you mean 'latex'"),
    (["score", "latex", "--strict", "-"], "has no strict check"),
    (["score", "names", "--repair", "-"], "has no repair step"),
])
def test_usage_and_input_errors_exit_2(args, message):
    result = run(*args, input="x\n")
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_binary_input_is_an_input_error(tmp_path):
    blob = tmp_path / "blob.tex"
    blob.write_bytes(b"\xff\xfe\x00")
    result = run("score", "latex", str(blob))
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


@pytest.fixture
def names_run(with_corpora, tmp_path):
    """A tiny names model, trained for a few seconds."""
    from playground import plugins
    from playground.run import run_training

    settings = {"layers": 1, "hidden": 32, "embed": 16, "seq_len": 16, "batch_size": 8, "max_steps": 40,
                "eval_every": 20, "warmup": 5, "score_samples": 8}
    list(run_training(plugins.host().domains["names"], settings, tmp_path / "run"))
    return tmp_path / "run"


def test_sample_score_and_sweep(names_run):
    result = run("sample", str(names_run), "--n", "6", "--seed", "3", "--score")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("✓") + result.stdout.count("✗") == 6 and "valid " in result.stdout

    result = run("sample", str(names_run), "--n", "3", "--seed", "3", "--score", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3 and all({"valid", "category"} <= set(r["score"]) for r in rows)
    assert all(r["novel"] in (0.0, 1.0) for r in rows if r["text"])

    result = run("sweep", str(names_run), "--temperatures", "0.5,1.5", "--n", "16", "--json")
    assert result.exit_code == 0, result.output
    *rows, best = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["temperature"] for r in rows] == [0.5, 1.5] and all(r["n"] == 16 for r in rows)
    assert best["best_temperature"] in (0.5, 1.5, None)
    table = run("sweep", str(names_run), "--temperatures", "0.5,1.5", "--n", "16")
    assert "temperature" in table.stdout and "1.5" in table.stdout


@pytest.mark.parametrize("value", ["a,b", "0,1", ""])
def test_sweep_rejects_bad_temperatures(names_run, value):
    result = run("sweep", str(names_run), "--temperatures", value)
    assert result.exit_code == 2 and "--temperatures" in result.stderr


def test_render_scores_fits_80_columns():
    from rich.console import Console

    from playground.console import render_scores
    from playground.domains import Score

    out = io.StringIO()
    score = Score(False, 0.25, "undefined-control-sequence", "! Undefined control sequence. l.4 see \\foo")
    render_scores(["/a/rather/long/path/to/some/sample.tex"], [score], [0.5],
                  {"n": 1, "valid": 0, "undetermined": 0, "valid_rate": 0.0, "valid_ci": [0.0, 0.79],
                   "unique_rate": None, "unique_ci": None, "novel_rate": None, "novel_ci": None,
                   "categories": {"undefined-control-sequence": 1}}, Console(file=out, width=80))
    text = out.getvalue()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "undefined-control-sequence" in text and "…path/to/some/sample.tex" in text


def test_without_pdflatex_the_structural_check_is_labelled(monkeypatch, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no pdflatex to be found
    result = run("score", "latex", str(LATEX / "bad-unclosed-env.tex"), str(LATEX / "ok-lists.tex"), "--json")
    assert result.exit_code == 1
    assert "pdflatex is not installed" in result.stderr
    samples = json.loads(result.stdout)["samples"]
    assert samples[0]["category"].startswith("structural:") and "install TeX Live" in samples[0]["detail"]
    assert samples[1]["valid"] and "structural check" in samples[1]["detail"]


def test_help_shows_defaults_in_brackets():
    """Square brackets in help text are words, not rich markup that would vanish."""
    text = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"}).stdout
    assert "[built-in: 256]" in text and "[default: at every eval]" in text
    assert "[built-in: 32]" in text  # --score-samples


def test_a_checkpoint_outside_its_run_folder_knows_its_domain(names_run, tmp_path):
    loose = tmp_path / "loose.pt"
    loose.write_bytes((names_run / "checkpoints" / "last.pt").read_bytes())
    result = run("sweep", str(loose), "--temperatures", "1.0", "--n", "4", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["n"] == 4
    assert run("sample", str(loose), "--n", "2", "--score").exit_code == 0


@pytest.mark.parametrize("command", [["sweep"], ["sample", "--score"]])
def test_a_corrupt_checkpoint_is_a_one_line_error(tmp_path, command):
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    result = run(command[0], str(bad), *command[1:])
    assert result.exit_code == 2 and "is corrupt or not a checkpoint" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("flag, value", [("--score-every", "-1"), ("--score-samples", "0")])
def test_bad_training_settings_are_one_line_and_print_nothing_else(flag, value):
    result = run("train", "names", flag, value)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{flag} must be" in result.stderr and "Traceback" not in result.output  # named as typed


POEMS = '''
from playground import Corpus, Domain, Score, Source, hookimpl

def score(samples):
    from playground.corpora import corpus_text  # the training text, as shakespeare's scorer reads it
    words = set(corpus_text(POEMS).split())
    return [Score(bool(s.split()) and all(w in words for w in s.split()), 1.0, "ok", "") for s in samples]

POEMS = Domain(name="poems", description="poems", score=score,
               corpus=Corpus(sources=(Source("https://example.org/poems.txt"),)))

@hookimpl
def register_domains(register):
    register(POEMS)
'''


def test_a_run_remembers_its_corpus_so_sample_scores_without_playground_corpora(tmp_path, monkeypatch):
    """Trained with PLAYGROUND_CORPORA set, sampled and scored in a new shell without it."""
    (plugins := tmp_path / "plugins").mkdir()
    (plugins / "poems.py").write_text(POEMS)
    (corpora := tmp_path / "corpora" / "poems").mkdir(parents=True)
    (corpora / "input.txt").write_text("the moon rose over the still water\n" * 300)
    monkeypatch.setenv("PLAYGROUND_PLUGINS_DIR", str(plugins))
    monkeypatch.setenv("PLAYGROUND_CORPORA", str(tmp_path / "corpora"))
    trained = run("train", "poems", "--layers", "1", "--hidden", "16", "--seq-len", "16", "--batch-size", "4",
                  "--max-steps", "3", "--score-every", "0", "--out", str(tmp_path / "run"))
    assert trained.exit_code == 0, trained.output
    monkeypatch.delenv("PLAYGROUND_CORPORA")
    assert "the poems corpus is missing" in run("corpus", "info", "poems").stderr  # not findable by name
    sampled = run("sample", str(tmp_path / "run"), "--n", "2", "--length", "40", "--score", "--json")
    assert sampled.exit_code in (0, 1), sampled.output  # 1: some sample invalid; never 2 (no corpus)
    rows = [json.loads(line) for line in sampled.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 2 and all("valid" in json.dumps(row) for row in rows)
