"""Quality per CPU-second: train shakespeare for a wall-clock budget, report full-val nats/char.

    PLAYGROUND_CORPORA=/work/shared/corpora python bench/quality.py [--budget 600] [--set key=value ...]

The split is nanoGPT's (last 10% of characters is validation). Settings are the shakespeare
domain's defaults unless overridden with --set. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import ast
import json
import tempfile
import time
from collections import deque
from pathlib import Path

from playground.events import EvalCompleted, RunFinished, RunStarted, StepCompleted


def shakespeare():
    from playground import plugins

    domains = plugins.host().domains
    if "shakespeare" in domains:
        return domains["shakespeare"]
    from playground.corpora import search_roots
    from playground.domains import text_domain

    for root in search_roots():
        if (root / "shakespeare" / "input.txt").is_file():
            return text_domain(root / "shakespeare" / "input.txt")
    raise SystemExit("shakespeare corpus not found; set PLAYGROUND_CORPORA")


def parse_value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=600, help="training seconds (wall clock)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a config override")
    args = parser.parse_args()
    overrides = {"max_time": args.budget, "sample_every": 0, "eval_every": 10**9}
    overrides.update({k: parse_value(v) for k, v in (item.split("=", 1) for item in args.set)})

    from playground.run import run_training

    domain = shakespeare()
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        steps, started, recent = 0, time.perf_counter(), deque(maxlen=100)
        for event in run_training(domain, overrides, run_dir=Path(tmp) / "run"):
            if isinstance(event, RunStarted):
                result.update(params=event.n_params, config=event.config)
                batch = event.config["train"]["batch_size"] * event.config["train"]["seq_len"]
            elif isinstance(event, StepCompleted):
                steps, elapsed = event.step, event.elapsed_s
                recent.append(event.loss)
                if steps % 200 == 0:
                    print(json.dumps({"step": steps, "loss": round(event.loss, 4), "elapsed_s": round(elapsed, 1)}),
                          flush=True)
            elif isinstance(event, EvalCompleted):
                result.update(val_loss=event.val_loss, train_loss_last100=sum(recent) / len(recent))
            elif isinstance(event, RunFinished):
                result["reason"] = event.reason
        result.update(budget_s=args.budget, steps=steps, chars_per_s=steps * batch / elapsed,
                      total_s=time.perf_counter() - started)
    config = result.pop("config")
    result["settings"] = {**config["model"], **{k: config["train"][k] for k in
                                                ("seq_len", "batch_size", "lr", "min_lr", "weight_decay", "warmup")}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
