"""Real processes: SIGKILL at any moment loses only the steps since the last checkpoint and
never corrupts it, resuming reproduces the uninterrupted losses exactly; SIGINT saves."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from engine_support import TINY, tiny_domain
from playground.engine import checkpoint
from playground.events import StepCompleted
from playground.run import run_training

SETTINGS = {**TINY, "dropout": 0.2, "max_steps": 400, "eval_every": 1000, "checkpoint_every": 3,
            "sample_every": 0, "seq_len": 8}
ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, sys
from pathlib import Path
from playground.domains import text_domain
from playground.run import run_training
corpus, run_dir, settings, resume = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4] == "resume"
domain = text_domain(Path(corpus))
events = run_training(domain, {}, resume=run_dir) if resume else run_training(domain, settings, run_dir)
for event in events:
    print(json.dumps(event.to_dict()), flush=True)
"""


def start(corpus: Path, run_dir: Path, settings: dict | None = None) -> subprocess.Popen:
    """A training process printing its events; without settings it resumes ``run_dir``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    mode = "new" if settings else "resume"
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(corpus), str(run_dir), json.dumps(settings), mode],
                            stdout=subprocess.PIPE, text=True, env=env)


def run_until(proc: subprocess.Popen, step: int) -> None:
    """Read events until StepCompleted(step)."""
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "step_completed" and event["step"] >= step:
            return
    raise AssertionError("the run ended early")


def kill(proc: subprocess.Popen) -> tuple[int, int]:
    """SIGKILL; return the last step and the last checkpoint step the process reported."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    last_step = last_saved = 0
    for line in proc.stdout.read().splitlines():
        event = json.loads(line) if line.endswith("}") else {}  # the last line may be torn
        if event.get("event") == "step_completed":
            last_step = event["step"]
        elif event.get("event") == "checkpoint_saved":
            last_saved = event["step"]
    return last_step, last_saved


def logged_losses(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if r["event"] == "step_completed"]


def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    domain = tiny_domain(tmp_path)
    settings = {**SETTINGS, "max_steps": 200}
    reference = [e.loss for e in run_training(domain, settings, tmp_path / "ref") if isinstance(e, StepCompleted)]

    run_dir = tmp_path / "run"
    for i, kill_at in enumerate((11, 29)):  # the second kill hits a resumed process
        proc = start(domain.corpus.path, run_dir, settings if i == 0 else None)
        run_until(proc, kill_at)
        last_step, last_saved = kill(proc)
        step = checkpoint.load(run_dir / "checkpoints" / "last.pt")["step"]  # loads: not corrupted
        assert last_saved <= step <= max(last_step, kill_at) + 1
        assert max(last_step, kill_at) - step <= settings["checkpoint_every"]  # lost at most one interval
    final = list(run_training(domain, {}, resume=run_dir))
    assert final[-1].reason == "max_steps"
    assert logged_losses(run_dir) == reference


def test_sigint_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    domain = tiny_domain(tmp_path)
    settings = {**SETTINGS, "checkpoint_every": 1000, "max_steps": 150}
    run_dir = tmp_path / "run"
    proc = start(domain.corpus.path, run_dir, settings)
    run_until(proc, 7)
    proc.send_signal(signal.SIGINT)
    rest = [json.loads(line) for line in proc.stdout]
    assert proc.wait() == 0
    assert rest[-1]["event"] == "run_finished" and rest[-1]["reason"] == "interrupted"
    assert rest[-2]["event"] == "checkpoint_saved"
    stopped = rest[-1]["step"]
    assert checkpoint.load(run_dir / "checkpoints" / "last.pt")["step"] == stopped >= 7
    assert len(logged_losses(run_dir)) == stopped

    reference = [e.loss for e in run_training(domain, settings, tmp_path / "ref") if isinstance(e, StepCompleted)]
    list(run_training(domain, {}, resume=run_dir))
    assert logged_losses(run_dir) == reference
