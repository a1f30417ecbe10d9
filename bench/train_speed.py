"""Training throughput: the engine against a bare nn.LSTM loop with the same shapes.

    python bench/train_speed.py [--steps 20] [--rounds 3]

Both are measured in this process, interleaved over a few rounds (best median per side),
so machine noise hits both. A float32 matmul calibration (the faster of MKL and oneDNN)
states each figure as a fraction of the machine's peak. Rows for the other cells give their time
per step relative to the fused lstm's at the same size (2x256 and 2x512).
Also reports the effect of the engine's glibc malloc tuning on the bare loop (subprocesses).
Prints one JSON object on its last line; ``ratio`` is engine/bare at the worst size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn

from playground.engine.config import ModelConfig, RunConfig, TrainConfig
from playground.engine.data import Dataset, Vocab
from playground.engine.allocator import keep_freed_memory
from playground.engine.train import train
from playground.events import StepCompleted

VOCAB, EMBED, BATCH, SEQ = 65, 64, 32, 128
WRITTEN_OUT = ("lstm-peephole", "lstm-coupled", "gru-colah")  # engine.cells: the goal is time_vs_lstm <= 2


def matmul_gflops(n: int = 2048, reps: int = 5) -> dict[str, float]:
    """float32 n x n matmul GFLOP/s through MKL (torch.mm) and through oneDNN (the library
    behind the CPU LSTM); on this AMD CPU oneDNN is about twice as fast, so it sets the peak."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a_dnn, b_dnn = a.to_mkldnn(), b.to_mkldnn()
    ways = {"mkl": lambda: a @ b, "onednn": lambda: torch._C._nn.mkldnn_linear(a_dnn, b_dnn, None)}
    result = {}
    for name, way in ways.items():
        way()
        result[name] = 2 * n**3 / min(_timed(way) for _ in range(reps)) / 1e9
    return result


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def flops_per_char(layers: int, hidden: int) -> float:
    """LSTM matmul FLOPs to train on one character: forward (2 per MAC) times 3 for backward."""
    forward = 8 * hidden * (EMBED + hidden) + 8 * hidden * 2 * hidden * (layers - 1)
    return 3 * (forward + 2 * hidden * VOCAB)


def dataset(n: int = 1 << 21) -> Dataset:
    ids = np.random.default_rng(0).integers(0, VOCAB - 1, n, dtype=np.uint8)
    return Dataset(Vocab([chr(33 + i) for i in range(VOCAB - 1)]), ids[: n - n // 10], ids[n - n // 10:])


def engine_speed(cell: str, layers: int, hidden: int, steps: int, data: Dataset) -> float:
    config = RunConfig(model=ModelConfig(cell=cell, layers=layers, hidden=hidden, embed=EMBED),
                       train=TrainConfig(seq_len=SEQ, batch_size=BATCH, max_steps=steps + 3, eval_every=10**9,
                                         sample_every=0, device="cpu"))
    discard = lambda kind, step, payload: ""  # noqa: E731  (no checkpoints: only the speed counts)
    speeds = [e.chars_per_s for e in train(config, data, discard) if isinstance(e, StepCompleted)]
    return statistics.median(speeds[3:])


def bare_speed(layers: int, hidden: int, steps: int) -> float:
    """The textbook loop: embedding, nn.LSTM, linear head, AdamW, clipping."""
    torch.manual_seed(0)
    embed, head = nn.Embedding(VOCAB, EMBED), nn.Linear(hidden, VOCAB)
    lstm = nn.LSTM(EMBED, hidden, layers, batch_first=True)
    params = [*embed.parameters(), *lstm.parameters(), *head.parameters()]
    opt = torch.optim.AdamW(params, lr=1e-3)
    data = torch.randint(0, VOCAB, (steps + 3, BATCH, SEQ + 1))
    state, times = None, []
    for i in range(steps + 3):
        start = time.perf_counter()
        x, y = data[i, :, :-1], data[i, :, 1:]
        out, state = lstm(embed(x), state)
        loss = nn.functional.cross_entropy(head(out).flatten(0, 1), y.flatten())
        state = tuple(s.detach() for s in state)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        times.append(time.perf_counter() - start)
    return BATCH * SEQ / statistics.median(times[3:])


def bare_in_subprocess(hidden: int, steps: int, tuned: bool) -> float:
    args = [sys.executable, __file__, "--bare-only", str(hidden), "--steps", str(steps)]
    args += ["--tuned"] if tuned else []
    out = subprocess.run(args, capture_output=True, text=True, check=True, env=os.environ.copy())
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bare-only", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tuned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_only:
        if args.tuned:
            keep_freed_memory()
        print(bare_speed(2, args.bare_only, args.steps))
        return

    malloc = {"untuned_bare_2x512": bare_in_subprocess(512, args.steps, False),
              "tuned_bare_2x512": bare_in_subprocess(512, args.steps, True)}
    malloc["speedup"] = malloc["tuned_bare_2x512"] / malloc["untuned_bare_2x512"]
    keep_freed_memory()  # the engine does this; give the bare loop the same allocator
    calibration = matmul_gflops()
    peak = max(calibration.values())
    data = dataset()
    sizes = {}
    for hidden in (256, 512):
        engine, bare = [], []
        for _ in range(args.rounds):
            engine.append(engine_speed("lstm", 2, hidden, args.steps, data))
            bare.append(bare_speed(2, hidden, args.steps))
        flops = flops_per_char(2, hidden)
        sizes[f"2x{hidden}"] = {
            "engine_chars_per_s": max(engine), "bare_chars_per_s": max(bare), "ratio": max(engine) / max(bare),
            "engine_gflops": max(engine) * flops / 1e9, "engine_fraction_of_peak": max(engine) * flops / 1e9 / peak,
            "bare_fraction_of_peak": max(bare) * flops / 1e9 / peak, "rounds_engine": engine, "rounds_bare": bare}
        print(json.dumps({f"2x{hidden}": sizes[f"2x{hidden}"]}), flush=True)
    cells = {}
    for cell in ("gru", "rnn", "lstm-peephole", "lstm-coupled", "gru-colah"):
        for hidden in (256, 512):
            speed = max(engine_speed(cell, 2, hidden, args.steps, data) for _ in range(2))
            lstm = sizes[f"2x{hidden}"]["engine_chars_per_s"]
            cells.setdefault(cell, {})[f"2x{hidden}"] = {"chars_per_s": speed, "time_vs_lstm": lstm / speed}
        print(json.dumps({cell: cells[cell]}), flush=True)
    written_out = [row["time_vs_lstm"] for cell in WRITTEN_OUT for row in cells[cell].values()]
    print(json.dumps({"ratio": min(s["ratio"] for s in sizes.values()), "written_out_worst_time_vs_lstm": max(written_out),
                      "matmul_peak_gflops": peak,
                      "matmul_gflops": calibration,
                      "sizes": sizes, "cells": cells, "malloc_tuning": malloc, "batch": BATCH, "seq_len": SEQ,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
