"""Hostile and broken inputs to a run: each is one line on stderr and exit 2 before any
output, or the documented outcome, and nothing already written is lost."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine_support import TINY, tiny_corpus, tiny_domain
from playground.cli import app
from playground.engine import checkpoint
from playground.errors import PlaygroundError
from playground.events import RunFinished, StepCompleted
from playground.run import Run, run_training

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--layers", "1", "--hidden", "32", "--embed", "16", "--seq-len", "16", "--batch-size", "8",
         "--warmup", "5", "--eval-every", "10"]


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    assert result.stdout == ""  # nothing before the error: no progress display, no event
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.output


def sample_texts(result) -> list[str]:
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return [r["text"] for r in rows if r["event"] in ("sample_generated", "sample_scored")]


def test_the_default_seed_given_is_the_same_run(with_corpora, tmp_path):
    args = ["train", "shakespeare", "--hidden", "32", "--max-steps", "5", "--score-samples", "4", "--json"]
    given = cli(*args, "--seed", "1337", "--out", tmp_path / "a")
    default = cli(*args, "--out", tmp_path / "b")
    assert given.exit_code == default.exit_code == 0, given.output
    assert sample_texts(given) and sample_texts(given) == sample_texts(default)


@pytest.mark.parametrize("flags, needle", [
    (["--hidden", "0"], "hidden"),
    (["--hidden", "10000000"], "hidden must be a positive integer of at most"),
    (["--layers", "64", "--hidden", "65536"], "parameter limit"),
    (["--seed", "100000000000000000000"], "seed must be an integer in [0, 2**63)"),
    (["--seed", "-1"], "seed"),
    (["--seq-len", "100000000"], "--seq-len must be"),
    (["--device", "tpu"], "device must be one of"),
    (["--config", "/dev/zero"], "not a regular file"),
    (["--resume", "nowhere"], "not found"),
])
def test_a_bad_setting_fails_before_any_output(tmp_path, flags, needle):
    one_line_error(cli("train", tiny_corpus(tmp_path), *FLAGS, *flags, "--out", tmp_path / "run"), needle)
    assert not (tmp_path / "run").exists()


def test_a_missing_corpus_fails_before_any_output(tmp_path):
    one_line_error(cli("train", "latex", "--out", tmp_path / "run"), "corpus is missing")


def test_a_second_writer_of_one_folder_is_refused(tmp_path):
    domain = tiny_domain(tmp_path)
    first = Run.create(domain, {**TINY, "max_steps": 10}, tmp_path / "run")
    with pytest.raises(PlaygroundError, match="in use by another run"):
        Run.create(domain, {**TINY, "max_steps": 10}, tmp_path / "run")
    events = list(first.events())  # the first run is untouched and finishes; then the folder is free again
    assert isinstance(events[-1], RunFinished)
    list(run_training(domain, {"max_steps": 20}, resume=tmp_path / "run"))


def test_a_second_writer_from_another_process_is_refused(tmp_path):
    corpus, run = tiny_corpus(tmp_path), tmp_path / "run"
    hold = ("import sys, time; from pathlib import Path; from playground.run_folder import RunFolder; "
            "RunFolder(Path(sys.argv[1])).claim(); print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        one_line_error(cli("train", corpus, *FLAGS, "--max-steps", "5", "--out", run), "in use by another run")
    finally:
        holder.kill()
        holder.wait()


def test_resume_refuses_a_changed_corpus_unless_allowed(tmp_path):
    corpus = tiny_corpus(tmp_path)
    assert cli("train", corpus, *FLAGS, "--max-steps", "10", "--out", tmp_path / "run").exit_code == 0
    corpus.write_text(corpus.read_text(encoding="utf-8").replace("cat", "cow"), encoding="utf-8")
    one_line_error(cli("train", "--resume", tmp_path / "run", "--max-steps", "20"), "changed since this run began")
    assert checkpoint.load(tmp_path / "run" / "checkpoints" / "last.pt")["step"] == 10
    resumed = cli("train", "--resume", tmp_path / "run", "--max-steps", "20", "--allow-changed-corpus")
    assert resumed.exit_code == 0, resumed.output


def test_what_a_killed_run_left_is_cleaned_and_torn_logs_are_read_past(tmp_path):
    domain, run = tiny_domain(tmp_path), tmp_path / "run"
    list(run_training(domain, {**TINY, "max_steps": 10}, run))
    stale = [run / "checkpoints" / ".last.pt.k1ll3d", run / "checkpoints" / "scored-7.pt", run / ".config.json.x"]
    for path in stale:
        path.write_bytes(b"half")
    with open(run / "samples.jsonl", "ab") as f:
        f.write('{"event": "sample_generated", "text": "caf'.encode() + "é".encode()[:1])  # torn mid-character
    with open(run / "metrics.jsonl", "a", encoding="utf-8") as f:
        f.write('[1, 2]\n7\n"text"\n{"step": "x"}\n')  # JSON, but not a row
    events = list(run_training(domain, {"max_steps": 20}, resume=run))
    assert events[-1].reason == "max_steps" and not any(path.exists() for path in stale)
    for log in ("samples.jsonl", "metrics.jsonl"):
        assert all(isinstance(json.loads(line), dict) for line in (run / log).read_text(encoding="utf-8").splitlines())


def _train_process(args: list, preamble: str = "") -> subprocess.CompletedProcess:
    """`playground train ARGS` in a shell that first runs ``preamble`` (a ulimit, a mount)."""
    command = f'{preamble} exec "{sys.executable}" -m playground train "$@"'
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    return subprocess.run(["sh", "-c", command, "sh", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def _intact(run: Path, step: int) -> None:
    assert checkpoint.load(run / "checkpoints" / "last.pt")["step"] == step
    for log in ("metrics.jsonl", "samples.jsonl"):
        for line in (run / log).read_text(encoding="utf-8").splitlines():
            json.loads(line)
    assert not list((run / "checkpoints").glob(".*"))  # no half-written temp file left


def test_a_full_disk_during_training_is_one_line_and_loses_nothing(tmp_path):
    corpus, run = tiny_corpus(tmp_path), tmp_path / "run"
    assert cli("train", corpus, *FLAGS, "--max-steps", "10", "--out", run).exit_code == 0
    before = (run / "metrics.jsonl").read_text(encoding="utf-8")
    # a file-size limit makes every write past 32 KiB fail as a full disk would (EFBIG; Python ignores SIGXFSZ)
    result = _train_process(["--resume", run, "--max-steps", "40"], preamble="ulimit -f 64;")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "cannot write checkpoint" in result.stderr
    assert "Traceback" not in result.stderr
    _intact(run, 10)
    assert (run / "metrics.jsonl").read_text(encoding="utf-8").startswith(before)


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare and root")
def test_a_read_only_run_folder_is_one_line_and_loses_nothing(tmp_path):
    corpus, run = tiny_corpus(tmp_path), tmp_path / "run"
    assert cli("train", corpus, *FLAGS, "--max-steps", "10", "--out", run).exit_code == 0
    readonly = f'mount --bind "{run}" "{run}" && mount -o remount,ro,bind "{run}" &&'
    result = subprocess.run(["unshare", "-m", "sh", "-c", readonly + f' exec "{sys.executable}" -m playground train '
                             f'--resume "{run}" --max-steps 20'], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])})
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Read-only file system" in result.stderr
    assert "Traceback" not in result.stderr
    _intact(run, 10)


def test_runs_started_together_get_folders_of_their_own(tmp_path):
    domain = tiny_domain(tmp_path)
    first, second = (Run.create(domain, {**TINY, "max_steps": 10}) for _ in range(2))
    assert first.folder.path != second.folder.path and first.folder.path.parent == second.folder.path.parent


def test_a_run_dropped_before_it_trains_frees_its_folder(tmp_path):
    domain = tiny_domain(tmp_path)
    run = Run.create(domain, {**TINY, "max_steps": 10}, tmp_path / "run")
    events = run.events()  # never started
    del run, events
    list(run_training(domain, {**TINY, "max_steps": 10}, tmp_path / "run"))


def test_out_is_never_a_folder_of_something_else(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine", encoding="utf-8")
    (project / ".eslintrc.json.bak").write_text("mine too", encoding="utf-8")
    one_line_error(cli("train", tiny_corpus(tmp_path), *FLAGS, "--max-steps", "5", "--out", project),
                   "is not a run folder and not empty")
    assert sorted(p.name for p in project.iterdir()) == [".eslintrc.json.bak", "notes.txt"]


def test_resume_continues_in_the_right_folder(tmp_path):
    domain, run = tiny_domain(tmp_path), tmp_path / "run"
    list(run_training(domain, {**TINY, "max_steps": 10}, run))
    loose = tmp_path / "loose.pt"
    shutil.copy(run / "checkpoints" / "last.pt", loose)
    list(run_training(domain, {"max_steps": 20}, tmp_path / "elsewhere", resume=loose))
    assert checkpoint.load(tmp_path / "elsewhere" / "checkpoints" / "last.pt")["step"] == 20
    with pytest.raises(PlaygroundError, match="continues in its own run folder"):
        run_training(domain, {"max_steps": 20}, tmp_path / "other", resume=run)
    with pytest.raises(PlaygroundError, match="not its run's last checkpoint"):
        run_training(domain, {"max_steps": 20}, resume=run / "checkpoints" / "best.pt")


def test_a_prime_the_corpus_cannot_spell_fails_before_training(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('prime = "Zebra\\u00e9"\n', encoding="utf-8")
    one_line_error(cli("train", tiny_corpus(tmp_path), *FLAGS, "--max-steps", "5", "--config", config,
                       "--out", tmp_path / "run"), "prime has characters the model never saw")


def test_a_fifo_as_config_or_prime_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    one_line_error(cli("train", tiny_corpus(tmp_path), *FLAGS, "--config", fifo), "not a regular file")
    list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 10}, tmp_path / "run"))
    one_line_error(cli("sample", tmp_path / "run", "--prime", f"@{fifo}"), "not a regular file")


def test_a_batch_of_samples_has_a_bound(tmp_path):
    list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 10}, tmp_path / "run"))
    one_line_error(cli("sample", tmp_path / "run", "--n", "65536", "--length", "1000000"), "character limit")


def _boundary_rows(run: Path) -> list:
    """What a run logged at its eval boundaries: eval losses and the samples."""
    rows = [json.loads(line) for log in ("metrics.jsonl", "samples.jsonl")
            for line in (run / log).read_text(encoding="utf-8").splitlines()]
    return [(r["step"], r.get("val_loss"), r.get("train_loss"), r.get("text"))
            for r in rows if r["event"] in ("eval_completed", "sample_generated")]


def test_a_stop_at_an_eval_step_resumes_exactly(tmp_path):
    domain, settings = tiny_domain(tmp_path), {**TINY, "max_steps": 30, "eval_every": 10}
    list(run_training(domain, settings, tmp_path / "ref"))
    stream = run_training(domain, settings, tmp_path / "run")
    for event in stream:
        if isinstance(event, StepCompleted) and event.step == 10:  # before step 10's eval and samples
            break
    stream.throw(KeyboardInterrupt())
    list(stream)
    list(run_training(domain, {}, resume=tmp_path / "run"))
    assert _boundary_rows(tmp_path / "run") == _boundary_rows(tmp_path / "ref")


@pytest.mark.parametrize("args, needle", [
    (["sample", "{run}", "--stop", "\\x"], "not a valid escape sequence"),
    (["sample", "{run}", "--temperature", "nan"], "temperature must be a finite number"),
    (["sample", "{run}", "--seed", "100000000000000000000"], "seed must be an integer in [0, 2**63)"),
    (["sweep", "{run}", "--temperatures", "nan,1"], "finite numbers > 0"),
    (["sweep", "{run}", "--temperatures", "inf"], "finite numbers > 0"),
])
def test_bad_sampling_input_is_one_line(tmp_path, args, needle):
    list(run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 10}, tmp_path / "run"))
    one_line_error(cli(*[a.format(run=tmp_path / "run") for a in args]), needle)


@pytest.mark.parametrize("step", [lambda text: sys.exit(0), lambda text: 42])
def test_a_post_processing_step_that_exits_or_returns_garbage_is_one_line_and_keeps_the_steps(tmp_path, step):
    domain = tiny_domain(tmp_path, postprocess=(step,))
    with pytest.raises(PlaygroundError, match="domain's post-processing"):
        list(run_training(domain, {**TINY, "max_steps": 30, "eval_every": 7}, tmp_path / "run"))
    assert checkpoint.load(tmp_path / "run" / "checkpoints" / "last.pt")["step"] == 7  # the first eval's samples
