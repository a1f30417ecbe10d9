"""Data-parallel training with torchrun on CPU (gloo): the same steps as one process, one
writer, and checkpoints that resume with any number of processes."""

import json
import os
import subprocess
import sys

import pytest

from engine_support import tiny_corpus

SETTINGS = ["--layers", "1", "--hidden", "32", "--embed", "16", "--seq-len", "16", "--batch-size", "8",
            "--warmup", "5", "--eval-every", "10", "--lr", "0.01", "--sample-every", "0", "--seed", "3"]


def playground(args, home, nproc=None, check=True):
    """Run `playground train ... --json` (under torchrun with ``nproc``); the events of rank 0."""
    env = {**os.environ, "PLAYGROUND_HOME": str(home), "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "playground"]
    if nproc:
        launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
                  "-m", "playground"]
    result = subprocess.run([*launch, "train", *args, "--json"], env=env, capture_output=True, text=True,
                            timeout=300, cwd=home)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()], result


def losses(events, kind="step_completed", key="loss"):
    return {e["step"]: e[key] for e in events if e["event"] == kind}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same 30 steps in one process and in two, then the two-process run resumed alone."""
    home = tmp_path_factory.mktemp("ddp")
    corpus = tiny_corpus(home, n_words=6000)
    flat = home / "flat.toml"  # a flat learning rate: 20 steps, then 10 more, is the same as 30 steps
    flat.write_text("min_lr = 0.01\n")
    settings = [str(corpus), *SETTINGS, "--config", str(flat)]
    one, _ = playground([*settings, "--max-steps", "30", "--out", str(home / "one")], home)
    two, _ = playground([*settings, "--max-steps", "20", "--out", str(home / "two")], home, nproc=2)
    resumed, _ = playground(["--resume", str(home / "two"), "--max-steps", "30"], home)
    return home, one, two, resumed


def test_two_processes_take_the_same_steps_as_one(runs):
    _, one, two, _ = runs
    assert two[0]["device"] == "cpu x2"
    single, double = losses(one), losses(two)
    assert sorted(double) == list(range(1, 21))
    for step in double:  # global batch 8: 4 streams per rank, gradients averaged by DDP
        assert double[step] == pytest.approx(single[step], rel=1e-4, abs=1e-5), step
    assert losses(two, "eval_completed", "val_loss")[20] == pytest.approx(
        losses(one, "eval_completed", "val_loss")[20], rel=1e-4)


def test_only_rank_0_writes(runs):
    home, *_ = runs
    run = home / "two"
    assert sorted(p.name for p in run.iterdir()) == ["checkpoints", "config.json", "metrics.jsonl"]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["best.pt", "last.pt"]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in rows if r["event"] == "step_completed"]
    assert steps == sorted(set(steps))  # one writer: each step once
    assert sorted(p.name for p in home.iterdir()) == ["cache", "flat.toml", "one", "tiny.txt", "two"]  # nothing stray


def test_a_ddp_checkpoint_resumes_in_one_process(runs):
    _, one, _, resumed = runs
    assert resumed[0]["event"] == "run_started" and resumed[0]["step"] == 20 and resumed[0]["device"] == "cpu"
    single, after = losses(one), losses(resumed)
    assert sorted(after) == list(range(21, 31))
    for step in after:  # the gathered stream state and the data cursor carry over exactly
        assert after[step] == pytest.approx(single[step], rel=1e-4, abs=1e-5), step


def test_batch_must_split_evenly(tmp_path):
    corpus = tiny_corpus(tmp_path)
    _, result = playground([str(corpus), *SETTINGS, "--batch-size", "7", "--max-steps", "2"], tmp_path, nproc=2,
                           check=False)
    assert result.returncode != 0
    assert "--batch-size 7 must be a multiple of the 2 processes" in result.stderr


@pytest.mark.slow
def test_compiled_training_takes_the_same_steps(tmp_path):
    """--compile (torch.compile; meant for GPUs) changes the speed, not the numbers."""
    from engine_support import TINY, tiny_domain
    from playground.run import run_training

    def step_losses(run, **flags):
        events = run_training(tiny_domain(tmp_path), {**TINY, "max_steps": 6, **flags}, tmp_path / run)
        return [e.loss for e in events if e.kind == "step_completed"]

    assert step_losses("compiled", compile=True) == pytest.approx(step_losses("eager"), rel=1e-5)


def test_nproc_launches_torchrun(tmp_path):
    corpus = tiny_corpus(tmp_path)
    events, _ = playground([str(corpus), *SETTINGS, "--max-steps", "4", "--nproc", "2"], tmp_path)
    assert events[0]["device"] == "cpu x2" and events[-1] == {"event": "run_finished", "step": 4, "reason": "max_steps"}
    assert len(list((tmp_path / "runs").iterdir())) == 1


def test_ctrl_c_under_nproc_stops_every_rank_with_a_checkpoint(tmp_path):
    """As a terminal would: SIGINT to the whole process group of `playground train --nproc 2`."""
    import signal
    import time

    from playground.engine import checkpoint

    corpus = tiny_corpus(tmp_path, n_words=6000)
    env = {**os.environ, "PLAYGROUND_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "playground", "train", str(corpus), *SETTINGS, "--max-steps",
                             "100000", "--score-every", "0", "--nproc", "2", "--out", str(tmp_path / "run")],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    metrics, deadline = tmp_path / "run" / "metrics.jsonl", time.monotonic() + 120
    while not (metrics.exists() and metrics.stat().st_size > 2000) and time.monotonic() < deadline:
        time.sleep(0.2)  # until both ranks are training (rank 0 has logged a few steps)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "finished at step" in out and out.rstrip().endswith("interrupted")
    step = int(out.rsplit("finished at step ", 1)[1].split(":")[0])
    assert checkpoint.load(tmp_path / "run" / "checkpoints" / "last.pt")["step"] == step
