"""Scoring throughput per domain, in samples per second, on slices of the real corpora.

    PLAYGROUND_CORPORA=../shared/corpora python bench/score_speed.py [--seconds 10]

Samples: latex, 1-2 KB of the Stacks project from a paragraph's start, cut to complete
paragraphs and environments (the domain's own post-processing), compiled by the real
pdflatex; c, wikipedia and shakespeare, 1 KB slices from a definition's, line's or speech's
start (post-processed); names, the training names. Starting at a boundary, most samples
are valid and are checked to their end, as a good model's samples would be. Each domain's batch
goes through ``playground.scoring.score_samples`` as ``playground score`` does; the figure
is the best of a few rounds of at least ``--seconds`` / 3 each. ``valid_rate`` shows what the
samples were like. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import random
import time

from playground import plugins
from playground.corpora import corpus_text
from playground.scoring import score_samples

GOALS = {"latex": 8, "c": 2000, "wikipedia": 1000, "names": 100_000}
BATCH = {"latex": 32, "c": 2000, "wikipedia": 2000, "shakespeare": 2000, "names": 100_000}
BOUNDARY = {"latex": "\n\n", "c": "\n}\n", "wikipedia": "\n", "shakespeare": "\n\n"}


def slices(domain, n: int, low: int, high: int, rng: random.Random) -> list[str]:
    """n post-processed slices of the corpus, each from ``low`` to ``high`` characters long."""
    text = corpus_text(domain)
    out: list[str] = []
    while len(out) < n:
        start = text.find(BOUNDARY[domain.name], rng.randrange(len(text) - 4 * high)) + len(BOUNDARY[domain.name])
        sample = domain.finish(text[start : start + rng.randint(low, 2 * high)])
        if low <= len(sample) <= high:
            out.append(sample)
    return out


def samples_for(domain, rng: random.Random) -> list[str]:
    n = BATCH[domain.name]
    if domain.name == "names":
        names = corpus_text(domain).split()
        return [rng.choice(names) for _ in range(n)]
    if domain.name == "latex":
        return slices(domain, n, 1000, 2000, rng)
    return slices(domain, n, 900, 1024, rng)


def measure(domain, samples: list[str], seconds: float) -> dict:
    best, valid = 0.0, 0
    for _ in range(3):
        done, start = 0, time.perf_counter()
        while True:
            scores = score_samples(domain, samples)
            done += len(samples)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / 3:
                break
        best = max(best, done / elapsed)
        valid = sum(s.valid for s in scores)
    mean_len = sum(map(len, samples)) / len(samples)
    row = {"samples_per_s": round(best, 1), "batch": len(samples), "mean_chars": round(mean_len),
           "valid_rate": round(valid / len(samples), 3)}
    if domain.name in GOALS:
        row.update(goal=GOALS[domain.name], met=best >= GOALS[domain.name])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="time per domain")
    args = parser.parse_args()
    domains = plugins.host().domains
    if domains["latex"].missing_tools():
        raise SystemExit("this benchmark needs the real pdflatex (bash scripts/install-tools.sh)")
    rng = random.Random(0)
    result = {}
    for name in ("latex", "c", "wikipedia", "names", "shakespeare"):
        domain = domains[name]
        result[name] = measure(domain, samples_for(domain, rng), args.seconds)
        print(f"{name}: {result[name]}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
