"""The GPU fast path: training throughput of big LSTMs in bf16, and Shakespeare in 180 s.

    PLAYGROUND_CORPORA=../shared/corpora python bench/gpu.py [--seconds 180] [--compile]

- ``throughput``: chars/s of 3x512 and 3x1024 LSTM training (cuDNN, bf16 autocast, TF32,
  pinned batches), the median step after a warm-up, batch 128 x 256 characters.
- ``shakespeare``: full-validation loss (nats/char) of a 3x512 LSTM trained for ``--seconds``
  wall-clock seconds (the learning-rate schedule follows the clock).

Goals on one H100: >= 2M chars/s at 3x512; val <= 1.47 within 180 s (nanoGPT's transformer
reaches 1.4697 in about 3 minutes on an A100). ``--device cpu --seconds 10 --steps 3`` checks
that the script runs on a machine without a GPU. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import torch

from playground import plugins
from playground.corpora import corpus_path
from playground.engine.config import resolve
from playground.engine.data import load_dataset
from playground.engine.train import train
from playground.events import EvalCompleted, StepCompleted
from playground.run import run_training

SIZES = ((3, 512), (3, 1024))
BATCH, SEQ = 128, 256
# The Shakespeare recipe: tuned for a GPU's large batch, 3 minutes, no compile by default.
RECIPE = {"layers": 3, "hidden": 512, "embed": 128, "dropout": 0.2, "batch_size": BATCH, "seq_len": SEQ,
          "lr": 3e-3, "min_lr": 1e-4, "warmup": 50, "eval_every": 1000, "sample_every": 0, "score_every": 0}


def throughput(dataset, layers: int, hidden: int, device: str, steps: int, compile_step: bool) -> float:
    config = resolve({"layers": layers, "hidden": hidden, "batch_size": BATCH, "seq_len": SEQ, "device": device,
                      "max_steps": steps, "eval_every": 10**9, "sample_every": 0, "score_every": 0,
                      "compile": compile_step})
    discard = lambda kind, step, payload: ""  # noqa: E731  (no checkpoints: only the speed counts)
    speeds = [e.chars_per_s for e in train(config, dataset, discard) if isinstance(e, StepCompleted)]
    return statistics.median(speeds[len(speeds) // 3:])  # after the warm-up (and compilation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="Shakespeare training budget")
    parser.add_argument("--steps", type=int, default=60, help="steps per throughput measurement")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--compile", action="store_true", help="torch.compile the training step")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA GPU here; run this on the device tool's machine"}))
        raise SystemExit(1)
    os.environ["PLAYGROUND_HOME"] = home = tempfile.mkdtemp(prefix="playground-gpu-")
    try:
        run(args, Path(home))
    finally:
        shutil.rmtree(home)


def run(args: argparse.Namespace, home: Path) -> None:
    domain = plugins.host().domains["shakespeare"]
    dataset = load_dataset(corpus_path(domain), home / "cache", 256)  # the same cache as the run below
    result: dict = {"device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
                    "torch": torch.__version__, "compile": args.compile, "throughput": {}}
    for layers, hidden in SIZES:
        speed = throughput(dataset, layers, hidden, args.device, args.steps, args.compile)
        result["throughput"][f"{layers}x{hidden}"] = {"chars_per_s": round(speed)}
        print(f"{layers}x{hidden}: {speed:,.0f} chars/s", flush=True)
    result["throughput"]["3x512"]["goal"] = 2_000_000
    settings = {**RECIPE, "max_steps": None, "max_time": args.seconds, "device": args.device, "compile": args.compile}
    evals = [e for e in run_training(domain, settings) if isinstance(e, EvalCompleted)]
    result["shakespeare"] = {"seconds": args.seconds, "val_loss": round(evals[-1].val_loss, 4), "steps": evals[-1].step,
                             "goal": 1.47, "settings": RECIPE}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
