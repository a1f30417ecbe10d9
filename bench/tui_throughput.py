"""Training throughput with the TUI open against the same run headless: does drawing the charts,
the status and the samples four times a second slow training down?

    python bench/tui_throughput.py [--domain names] [--steps 300] [--repeats 2] [--size 120x40]

Each repeat trains the same run twice, headless (the events consumed as `playground train`
does, without printing) and in the TUI (started with `s`, in Textual's headless driver, which
draws every frame as a terminal would), alternating so that a drift of the machine hits both,
after an untimed warm-up run.
chars/s is read from each run's metrics.jsonl: characters trained between its first and last
step over the run's own clock, evals and validity scoring included. Measure alone on the
machine. Prints one JSON object on its last line; ``ratio`` is TUI over headless (medians).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", default="names")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--size", default="120x40", help="the TUI's terminal, columns x rows")
    args = parser.parse_args()
    domain, size = plugins.host().domains[args.domain], tuple(int(v) for v in args.size.split("x"))
    flags = {**BUSY, "max_steps": args.steps}
    speeds: dict[str, list[float]] = {"headless": [], "tui": []}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PLAYGROUND_HOME"] = tmp
        headless(domain, {**flags, "max_steps": 20}, Path(tmp) / "warm-up")  # one-time costs, untimed
        for repeat in range(args.repeats):
            speeds["headless"].append(headless(domain, flags, Path(tmp) / f"headless-{repeat}"))
            speeds["tui"].append(asyncio.run(in_tui(domain, flags, size)))
    medians = {mode: statistics.median(values) for mode, values in speeds.items()}
    print(json.dumps({"domain": args.domain, "settings": flags, "size": args.size,
                      "chars_per_s": {mode: [round(v) for v in values] for mode, values in speeds.items()},
                      "ratio": round(medians["tui"] / medians["headless"], 3)}))


if __name__ == "__main__":
    main()
