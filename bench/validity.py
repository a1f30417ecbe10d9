"""The leaderboard: train each built-in domain on its defaults for a wall-clock budget, then
draw 256 samples at the run's settings (seed fixed) and judge them; then again with each of
the warm start and the stop at units turned off, for their effect. With ``--guided``, the same
256 samples are drawn again with the domain's guide instead of those two variants: its valid
rate beside the raw one, what it costs (the samples' negative log-likelihood per character
under the model, novelty, the longest copy) and the sampling speed raw and guided
(bench/guided_speed.py: 64 streams of the same length).

    PLAYGROUND_CORPORA=/work/shared/corpora python bench/validity.py [--budget 600] [--domains names,c]
        [--keep DIR | --from DIR] [--sample KEY=VALUE ...] [--train KEY=VALUE ...] [--guided]

Run it alone: a second torch process or compiler beside it halves both. With ``--keep DIR``
each domain's run folder and its judged samples (samples.json) stay in DIR; ``--from DIR``
samples and judges the runs kept there instead of training, with the domains' sampling
defaults as they are now (so a change of sampling is measured on the same weights). Prints a JSON
line per domain as it finishes, and one JSON object with them all on its last line.
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import tempfile
import time
from pathlib import Path

from guided_speed import speeds
from playground.events import EvalCompleted, RunFinished, StepCompleted

DOMAINS = ("shakespeare", "names", "latex", "c", "wikipedia")
SAMPLES, SEED = 256, 20261202


def train(domain, budget: float, run_dir: Path, settings: dict) -> dict:
    from playground.run import run_training

    figures = {"steps": 0, "val_loss": None}
    for event in run_training(domain, {**settings, "max_time": budget}, run_dir):
        if isinstance(event, StepCompleted):
            figures["steps"] = event.step
        elif isinstance(event, EvalCompleted):
            figures["val_loss"] = round(event.val_loss, 4)
        elif isinstance(event, RunFinished):
            figures["reason"] = event.reason
    return figures


def judged(domain, run_dir: Path, **settings) -> tuple[list[str], object]:
    return drawn_and_judged(domain, run_dir, **settings)[:2]


def drawn_and_judged(domain, run_dir: Path, **settings) -> tuple[list[str], object, object]:
    """The texts, their judgement and the generation that drew them."""
    from playground.sampling import load_sampler
    from playground.scoring import judge

    texts, generation = load_sampler(run_dir, {"n": SAMPLES, "seed": SEED, **settings}, domain).drawn()
    return texts, judge(domain, texts), generation


def figures_of(texts: list[str], judgement) -> dict:
    rates = judgement.rates.to_dict()
    valid, ceiling = rates["valid_rate"], rates["ceiling"]
    return {
        "valid": valid, "valid_ci": rates["valid_ci"], "ceiling": ceiling,
        "valid_over_ceiling": round(valid / ceiling, 4) if ceiling and valid is not None else None,
        "unique": rates["unique_rate"], "novel": rates["novel_rate"], "valid_and_novel": rates["valid_and_novel_rate"],
        "mean_chars": round(statistics.fmean(len(t) for t in texts), 1),
        "longest_copy_median": rates["longest_copy_median"], "mostly_copied": rates["mostly_copied"],
        "undetermined": rates["undetermined"], "categories": dict(list(rates["categories"].items())[:4]),
    }


def brief(texts: list[str], judgement) -> dict:
    figures = figures_of(texts, judgement)
    return {k: figures[k] for k in ("valid", "valid_ci", "valid_over_ceiling", "valid_and_novel", "mean_chars")}


def kept(path: Path, texts: list[str], judgement) -> None:
    path.write_text(json.dumps([{"text": t, "score": s.to_dict(), "novel": n, "copy": c}
                                for t, s, n, c in zip(texts, judgement.scores, judgement.novel, judgement.copies)]))


def guided_figures(domain, folder: Path, overrides: dict, raw_generation) -> dict:
    """The guided samples' figures beside the raw ones (same weights, seed and settings), their
    cost, and the sampling speed raw and guided."""
    from playground.sampling import mean_nll

    texts, judgement, generation = drawn_and_judged(domain, folder / "run", **overrides, guided=True)
    kept(folder / "samples-guided.json", texts, judgement)
    figures = figures_of(texts, judgement)
    result = {f"guided_{key}": figures[key] for key in ("valid", "valid_ci", "valid_over_ceiling", "novel",
                                                        "valid_and_novel", "longest_copy_median", "mean_chars",
                                                        "categories")}
    result["guided_stuck"] = sum(generation.stuck)
    result["raw_nll_per_char"], result["guided_nll_per_char"] = mean_nll(raw_generation), mean_nll(generation)
    result.update(speeds(domain, folder / "run", overrides))
    return result


def sampled(domain, folder: Path, overrides: dict, guided: bool = False) -> dict:
    """The figures at the run's settings (with ``overrides``), and with the warm start and the
    stop at units off (``guided``: instead of those, with the domain's guide)."""
    from playground.sampling import load_sampler

    texts, judgement, generation = drawn_and_judged(domain, folder / "run", **overrides)
    result = figures_of(texts, judgement)
    kept(folder / "samples.json", texts, judgement)
    settings = load_sampler(folder / "run", overrides, domain).settings
    result["settings"] = {k: getattr(settings, k) for k in ("temperature", "length", "units", "warm")}
    if guided:
        result.update(guided_figures(domain, folder, overrides, generation))
        return result
    if settings.warm:
        result["zero_state"] = brief(*judged(domain, folder / "run", **{**overrides, "warm": False}))
    if settings.units:
        result["cut_at_length"] = brief(*judged(domain, folder / "run", **{**overrides, "units": 0}))
    return result


def run_domain(domain, budget: float | None, folder: Path, overrides: dict, training: dict,
               guided: bool = False) -> dict:
    """Train with ``training`` over the domain's defaults (unless ``budget`` is None: the run is
    already in ``folder``), then sample and judge with the domain's sampling defaults as they
    are now, and ``overrides`` over them."""
    from playground.engine.config import declared

    started = time.perf_counter()
    result = train(domain, budget, folder / "run", training) if budget is not None else {}
    sampling = {s.name for s in declared("sample")}
    defaults = {key: value for key, value in domain.defaults.items() if key in sampling}
    result.update(sampled(domain, folder, {**defaults, **overrides}, guided))
    result["total_s"] = round(time.perf_counter() - started, 1)
    return result


def settings_of(items: list[str]) -> dict:
    """``KEY=VALUE`` items as a dict, each value a Python literal."""
    return {key: ast.literal_eval(value) for key, value in (item.split("=", 1) for item in items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=600, help="training seconds per domain (wall clock)")
    parser.add_argument("--domains", default=",".join(DOMAINS), help="comma-separated domains")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", type=Path, help="keep each domain's run and samples in this folder")
    where.add_argument("--from", dest="kept", type=Path, help="sample the runs kept in this folder; no training")
    parser.add_argument("--sample", action="append", default=[], metavar="KEY=VALUE",
                        help="a sampling setting over the run's (e.g. temperature=0.8, units=1)")
    parser.add_argument("--train", action="append", default=[], metavar="KEY=VALUE",
                        help="a training setting over the domain's defaults (e.g. state_resets=0.05)")
    parser.add_argument("--guided", action="store_true",
                        help="also sample with each domain's guide: its rates, costs and speed beside the raw ones")
    args = parser.parse_args()
    overrides, training = settings_of(args.sample), settings_of(args.train)

    from playground import plugins

    domains = plugins.host().domains
    board = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.kept or args.keep or Path(tmp)
        for name in args.domains.split(","):
            folder = root / name
            folder.mkdir(parents=True, exist_ok=True)
            board[name] = run_domain(domains[name], None if args.kept else args.budget, folder, overrides, training,
                                     args.guided)
            print(json.dumps({name: board[name]}), flush=True)
    print(json.dumps({"budget_s": None if args.kept else args.budget, "samples": SAMPLES, "seed": SEED,
                      "train": training, "sample": overrides, "guided": args.guided, "domains": board}))


if __name__ == "__main__":
    main()
