"""Training throughput with the TUI open against the same run headless: does drawing the charts,
the status and the samples four times a second slow training down?

    python bench/tui_throughput.py [--domain names] [--steps 300] [--repeats 2] [--size 120x40]

Each repeat trains the same run twice, each in a fresh process as a user would start it:
headless (the events consumed as `playground train` does, without printing) and in the TUI
(started with `s`, in Textual's headless driver, which draws every frame as a terminal would),
alternating so that a drift of the machine hits both. A process of its own matters: torch's
OpenMP threads spin-wait only while libgomp manages no more threads than there are cores, so a
thread that ran torch and is still alive (a headless run in the main thread, say) makes every
later training thread sleep between its parallel regions, at about half the speed. chars/s is
read from each run's metrics.jsonl: characters trained between its first and last step over the
run's own clock, evals and validity scoring included. Measure alone on the machine. Prints one
JSON object on its last line; ``ratio`` is TUI over headless (medians).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from playground import jsonl, plugins
from playground.run import run_training
from playground.tui.app import PlaygroundApp

BUSY = {"eval_every": 100, "score_samples": 16}  # evals and scoring as a run does them, only more often


def chars_per_s(run_dir: Path) -> float:
    rows = [row for row in jsonl.rows(run_dir / "metrics.jsonl") if row.get("event") == "step_completed"]
    config = json.loads((run_dir / "config.json").read_text())["train"]
    first, last = rows[0], rows[-1]
    chars = (last["step"] - first["step"]) * config["batch_size"] * config["seq_len"]
    return chars / (last["elapsed_s"] - first["elapsed_s"])


def headless(domain, flags: dict, out: Path) -> float:
    for _ in run_training(domain, flags, out):
        pass
    return chars_per_s(out)


async def in_tui(domain, flags: dict, size: tuple[int, int]) -> float:
    """The run goes where the TUI puts runs: $PLAYGROUND_HOME/runs."""
    app = PlaygroundApp(domain, flags)
    async with app.run_test(size=size) as pilot:
        await pilot.press("s")
        while app.controller.state.status not in ("finished", "failed"):
            await asyncio.sleep(0.2)
        if app.controller.state.status == "failed":
            raise SystemExit("the TUI run failed")
    return chars_per_s(Path(app.controller.state.run_dir))


def measured(mode: str, args: argparse.Namespace, home: Path) -> float:
    """One run in a process of its own, as a user starts one (see the module's docstring)."""
    result = subprocess.run([sys.executable, __file__, "--one", mode, "--domain", args.domain, "--steps",
                             str(args.steps), "--size", args.size], capture_output=True, text=True,
                            env={**os.environ, "PLAYGROUND_HOME": str(home)})
    if result.returncode != 0:
        raise SystemExit(f"the {mode} run failed: {result.stderr.strip()[-2000:]}")
    return float(result.stdout.split()[-1])


def one(mode: str, args: argparse.Namespace) -> float:
    domain, size = plugins.host().domains[args.domain], tuple(int(v) for v in args.size.split("x"))
    flags = {**BUSY, "max_steps": args.steps}
    if mode == "headless":
        return headless(domain, flags, Path(os.environ["PLAYGROUND_HOME"]) / "headless")
    return asyncio.run(in_tui(domain, flags, size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", default="names")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--size", default="120x40", help="the TUI's terminal, columns x rows")
    parser.add_argument("--one", choices=("headless", "tui"), help=argparse.SUPPRESS)  # one run, in this process
    args = parser.parse_args()
    if args.one:
        print(one(args.one, args))
        return
    speeds: dict[str, list[float]] = {"headless": [], "tui": []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for mode in speeds:
                speeds[mode].append(measured(mode, args, Path(tmp) / f"{mode}-{repeat}"))
    medians = {mode: statistics.median(values) for mode, values in speeds.items()}
    print(json.dumps({"domain": args.domain, "settings": {**BUSY, "max_steps": args.steps}, "size": args.size,
                      "chars_per_s": {mode: [round(v) for v in values] for mode, values in speeds.items()},
                      "ratio": round(medians["tui"] / medians["headless"], 3)}))


if __name__ == "__main__":
    main()
