"""Shared helpers for the engine, run and sample tests: a tiny corpus and a tiny config; the
command line, and a tiny real shakespeare run made with it."""

import os
import random
import subprocess
import sys
from pathlib import Path

from playground.domains import text_domain

TINY = {"layers": 1, "hidden": 32, "embed": 16, "seq_len": 16, "batch_size": 8, "warmup": 5,
        "max_steps": 30, "eval_every": 10, "lr": 1e-2, "min_lr": 1e-3, "length": 40}


def tiny_corpus(folder: Path, n_words: int = 3000) -> Path:
    """Pseudo-English: words from a small lexicon, lines of a few words."""
    rng = random.Random(0)
    lexicon = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far", "and", "a", "hat", "big", "red"]
    lines, words = [], []
    for _ in range(n_words):
        words.append(rng.choice(lexicon))
        if len(words) >= rng.randint(3, 8):
            lines.append(" ".join(words).capitalize() + ".")
            words = []
    path = folder / "tiny.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tiny_domain(folder: Path, **changes):
    import dataclasses

    return dataclasses.replace(text_domain(tiny_corpus(folder)), **changes)


TINY_RUN = ["--layers", "1", "--hidden", "32", "--embed", "16", "--seq-len", "32", "--batch-size", "8",
            "--max-steps", "40", "--eval-every", "20", "--score-samples", "6", "--lr", "0.01"]


def playground(*args, timeout=600):
    """``playground ARGS`` in a process of its own, without colour."""
    return subprocess.run([sys.executable, "-m", "playground", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "NO_COLOR": "1"})


def trained(folder: Path, *extra) -> Path:
    """A tiny shakespeare run of 40 steps, evaluated and scored at steps 20 and 40, with
    300-character samples (needs the shared corpora)."""
    (short := folder.with_name(f"{folder.name}.toml")).write_text("length = 300\n")
    result = playground("train", "shakespeare", *TINY_RUN, "--config", short, "--out", folder, *extra)
    assert result.returncode == 0, result.stderr
    return folder
