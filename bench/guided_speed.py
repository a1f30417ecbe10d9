"""Sampling speed with and without each domain's guide, on the same weights: a batch of 64
streams, each generating exactly LENGTH characters (no stop string, no stop at units), so that
both sides do the same number of steps and only the guide's cost differs.

    PLAYGROUND_CORPORA=/work/shared/corpora python bench/guided_speed.py DIR [--domains names,c]

DIR holds a run folder per domain (``DIR/<domain>/run``, as ``bench/validity.py --keep`` leaves
them). Run it alone. Prints a JSON line per domain, then one object with them all.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

BATCH, LENGTH, SEED = 64, 300, 20261204


def chars_per_s(domain, run_dir: Path, settings: dict) -> float:
    """Characters generated per second by BATCH streams of LENGTH characters (after a warm-up batch)."""
    from playground.sampling import load_sampler

    fixed = {**settings, "n": BATCH, "length": LENGTH, "units": 0, "stop": "", "seed": SEED}
    sampler = load_sampler(run_dir, fixed, domain)
    sampler.drawn()  # first use: the guide is built, the warm-ups are read
    started = time.perf_counter()
    _, generation = sampler.drawn()
    return round(sum(generation.chars) / (time.perf_counter() - started), 1)


def speeds(domain, run_dir: Path, settings: dict) -> dict:
    raw, guided = (chars_per_s(domain, run_dir, {**settings, "guided": g}) for g in (False, True))
    return {"chars_per_s_raw": raw, "chars_per_s_guided": guided, "guided_speed_ratio": round(guided / raw, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--domains", default="names,shakespeare,latex,wikipedia,c")
    args = parser.parse_args()

    from playground import plugins
    from playground.engine.config import declared

    domains, board = plugins.host().domains, {}
    sampling = {s.name for s in declared("sample")}
    for name in args.domains.split(","):
        domain = domains[name]
        defaults = {key: value for key, value in domain.defaults.items() if key in sampling}
        board[name] = speeds(domain, args.folder / name / "run", defaults)
        print(json.dumps({name: board[name]}), flush=True)
    print(json.dumps({"batch": BATCH, "length": LENGTH, "domains": board}))


if __name__ == "__main__":
    main()
