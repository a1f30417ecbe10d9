"""Two trainings at once on one machine: each one's chars/s over its solo chars/s.

    python bench/sharing.py [--seconds 30] [--hidden 256]

Runs a 2xHIDDEN LSTM training alone, then two of them started together, first with every
process on torch's default thread count (what two runs got before the engine shared the
cores) and then with ``threads = 0`` (auto: the cores split between the processes training).
Each training is a process of its own; its speed is the median chars/s of its steps after
the first five. Prints one JSON object on its last line; ``worst_share`` is the lower of the
two auto processes' shares (the goal: at least 0.4 each).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

SKIP = 5


def worker(threads: int, seconds: float, hidden: int) -> None:
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    import torch
    from train_speed import BATCH, EMBED, SEQ, dataset

    from playground.engine.config import ModelConfig, RunConfig, TrainConfig
    from playground.engine.train import train
    from playground.events import StepCompleted

    config = RunConfig(model=ModelConfig(cell="lstm", layers=2, hidden=hidden, embed=EMBED),
                       train=TrainConfig(seq_len=SEQ, batch_size=BATCH, max_steps=None, max_time=seconds,
                                         eval_every=10**9, sample_every=0, device="cpu", threads=threads))
    discard = lambda kind, step, payload: ""  # noqa: E731  (no checkpoints: only the speed counts)
    speeds, used = [], set()
    for event in train(config, dataset(), discard):
        if isinstance(event, StepCompleted):
            speeds.append(event.chars_per_s)
            used.add(torch.get_num_threads())
    print(json.dumps({"chars_per_s": statistics.median(speeds[SKIP:]), "steps": len(speeds),
                      "threads_seen": sorted(used)}))


def together(count: int, threads: int, seconds: float, hidden: int) -> list[dict]:
    args = [sys.executable, __file__, "--worker", "--threads", str(threads), "--seconds", str(seconds),
            "--hidden", str(hidden)]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    return [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc in procs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.threads, args.seconds, args.hidden)
        return
    import torch

    default = torch.get_num_threads()
    solo = together(1, 0, args.seconds, args.hidden)[0]
    print(json.dumps({"solo": solo}), flush=True)
    result = {"solo": solo, "default_threads": default, "hidden": args.hidden, "seconds": args.seconds}
    for name, threads in (("pair_default_threads", default), ("pair_auto", 0)):
        pair = together(2, threads, args.seconds, args.hidden)
        result[name] = {"runs": pair, "shares": [run["chars_per_s"] / solo["chars_per_s"] for run in pair]}
        print(json.dumps({name: result[name]}), flush=True)
    result["worst_share"] = min(result["pair_auto"]["shares"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
