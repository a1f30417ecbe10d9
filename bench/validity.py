"""The leaderboard: train each built-in domain on its defaults for a wall-clock budget, then
draw 256 samples at fixed settings and judge them.

    PLAYGROUND_CORPORA=/work/shared/corpora python bench/validity.py [--budget 600] [--domains names,c]
        [--keep DIR]

Run it alone: a second torch process or compiler beside it halves both. With ``--keep DIR``
each domain's run folder and its judged samples (samples.json) stay in DIR. Prints a JSON
line per domain as it finishes, and one JSON object with them all on its last line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from playground.events import EvalCompleted, RunFinished, StepCompleted

DOMAINS = ("shakespeare", "names", "latex", "c", "wikipedia")
SAMPLES, SEED = 256, 20261202


def train(domain, budget: float, run_dir: Path) -> dict:
    from playground.run import run_training

    figures = {"steps": 0, "val_loss": None}
    for event in run_training(domain, {"max_time": budget}, run_dir):
        if isinstance(event, StepCompleted):
            figures["steps"] = event.step
        elif isinstance(event, EvalCompleted):
            figures["val_loss"] = round(event.val_loss, 4)
        elif isinstance(event, RunFinished):
            figures["reason"] = event.reason
    return figures


def judged(domain, run_dir: Path) -> tuple[list[str], object]:
    from playground.sampling import load_sampler
    from playground.scoring import judge

    texts = load_sampler(run_dir, {"n": SAMPLES, "seed": SEED}, domain).texts()
    return texts, judge(domain, texts)


def figures_of(texts: list[str], judgement) -> dict:
    rates = judgement.rates
    novel_valid = sum(1 for score, share in zip(judgement.scores, judgement.novel)
                      if score.valid and share is not None and share >= 0.5)
    return {
        "valid": rates.valid.value, "valid_ci": [round(b, 4) for b in rates.valid.ci or ()],
        "unique": rates.unique.value, "novel": rates.novel.value if rates.novel else None,
        "valid_and_novel": novel_valid / len(texts),
        "undetermined": rates.undetermined,
        "mean_chars": round(statistics.fmean(len(t) for t in texts), 1),
        "categories": dict(list(rates.categories.items())[:4]),
    }


def run_domain(domain, budget: float, folder: Path) -> dict:
    started = time.perf_counter()
    result = train(domain, budget, folder / "run")
    texts, judgement = judged(domain, folder / "run")
    result.update(figures_of(texts, judgement))
    result["total_s"] = round(time.perf_counter() - started, 1)
    (folder / "samples.json").write_text(json.dumps(
        [{"text": t, "score": s.to_dict(), "novel": n} for t, s, n in zip(texts, judgement.scores, judgement.novel)]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=600, help="training seconds per domain (wall clock)")
    parser.add_argument("--domains", default=",".join(DOMAINS), help="comma-separated domains")
    parser.add_argument("--keep", type=Path, help="keep each domain's run and samples in this folder")
    args = parser.parse_args()

    from playground import plugins

    domains = plugins.host().domains
    board = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        for name in args.domains.split(","):
            folder = root / name
            folder.mkdir(parents=True, exist_ok=True)
            board[name] = run_domain(domains[name], args.budget, folder)
            print(json.dumps({name: board[name]}), flush=True)
    print(json.dumps({"budget_s": args.budget, "samples": SAMPLES, "seed": SEED, "domains": board}))


if __name__ == "__main__":
    main()
