"""Key latency of the TUI while it trains: the seconds from a key reaching the app until its
effect is there (the help screen open, then closed again), over many presses.

    python bench/tui_latency.py [--domain names] [--presses 20] [--set hidden=64 ...]

The default run is the domain's own model with evals and scoring every 10 steps (8 samples of
40 characters), so that the training thread is busy with everything it does. ``chars_per_s``
is the run's throughput over the measurement (steps x batch x seq_len / wall time, evals and
scoring included). Measure alone on the machine: other work on the cores changes every figure.
Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

from textual import events

from playground import plugins
from playground.engine.config import declared
from playground.tui.app import PlaygroundApp
from playground.tui.screens import HelpScreen

BUSY = {"eval_every": 10, "score_samples": 8, "length": 40, "max_steps": 1_000_000}
SETTINGS = {s.name: s for s in declared("model", "train", "sample")}


def setting(text: str) -> tuple[str, object]:
    """KEY=VALUE, the value typed as the setting is declared."""
    key, _, value = text.partition("=")
    if key not in SETTINGS:
        raise argparse.ArgumentTypeError(f"unknown setting {key!r}")
    kind = SETTINGS[key].type
    return key, (value.lower() == "true") if kind is bool else kind(value)


async def key_latency(app: PlaygroundApp, key: str, done, limit: float = 30.0) -> float:
    """Seconds from posting ``key`` to the app until ``done()``. (Pilot.press would also wait
    for the CPU to go idle, which it never does while training.)"""
    start = time.perf_counter()
    app.post_message(events.Key(key, None))
    while not done():
        if time.perf_counter() - start > limit:
            sys.exit(f"{key} was not handled within {limit:g} s")
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


async def measure(domain: str, flags: dict, presses: int) -> dict:
    app = PlaygroundApp(plugins.host().domains[domain], flags)
    controller = app.controller
    async with app.run_test() as pilot:
        await pilot.press("s")
        while controller.state.step < 5:  # past start-up and the first steps
            if controller.state.status == "failed":
                sys.exit("training failed to start")
            await asyncio.sleep(0.05)
        first_step, started = controller.state.step, time.perf_counter()
        latencies = []
        for _ in range(presses):
            latencies.append(await key_latency(app, "question_mark", lambda: isinstance(app.screen, HelpScreen)))
            latencies.append(await key_latency(app, "escape", lambda: not isinstance(app.screen, HelpScreen)))
        steps, wall = controller.state.step - first_step, time.perf_counter() - started
        still_training = controller.state.status == "training"
        controller.stop()
        while controller.training:
            await asyncio.sleep(0.05)
    train = controller.run.config.train
    deciles = statistics.quantiles(latencies, n=10, method="inclusive")
    return {"domain": domain, "settings": flags, "keys": len(latencies), "trained_throughout": still_training,
            "p50_ms": round(statistics.median(latencies) * 1e3, 1), "p90_ms": round(deciles[8] * 1e3, 1),
            "max_ms": round(max(latencies) * 1e3, 1),
            "chars_per_s": round(steps * train.batch_size * train.seq_len / wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domain", default="names")
    parser.add_argument("--presses", type=int, default=20, help="help-screen opens (each also closes it)")
    parser.add_argument("--set", type=setting, action="append", default=[], metavar="KEY=VALUE",
                        help="a training setting, e.g. hidden=64 (repeatable)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.domain, {**BUSY, **dict(args.set)}, args.presses))))


if __name__ == "__main__":
    main()
