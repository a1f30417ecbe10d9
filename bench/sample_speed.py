"""Sampling throughput: batch-1 stepping at 2x512 and 64 streams at 2x256.

    python bench/sample_speed.py [--length 400]

``speedup``: the engine's batch-1 chars/s over naive stepping of nn.LSTM one character at a
time (oneDNN on, torch's default). The engine steps LSTMCell-style on the layer's weights with
oneDNN off; the alternatives are reported too: the fused layer with oneDNN off, and cell
steps with oneDNN on. Each is warmed up once, then rounds interleave; best of rounds.
``bandwidth_fraction``: batch-1 stepping reads every weight once per character, so memory
bandwidth / weight bytes is a chars/s ceiling; this is the engine's share of it.
Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import functools
import json
import time

import torch

from playground.engine.config import ModelConfig, SampleConfig
from playground.engine.data import Vocab
from playground.engine.model import CharRNN
from playground.engine.allocator import keep_freed_memory
from playground.engine.sample import Generation

VOCAB = 65


def read_bandwidth(mib: int = 512, reps: int = 5) -> float:
    """Bytes/s of a streaming read (sum over a buffer far larger than the caches)."""
    buf = torch.ones(mib * 2**20 // 4)
    buf.sum()
    best = min(_timed(buf.sum) for _ in range(reps))
    return buf.numel() * 4 / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def model(hidden: int) -> tuple[CharRNN, Vocab]:
    torch.manual_seed(0)
    return CharRNN(ModelConfig(layers=2, hidden=hidden), VOCAB).eval(), Vocab([chr(33 + i) for i in range(VOCAB - 1)])


def engine_speed(net: CharRNN, vocab: Vocab, n: int, length: int) -> float:
    cfg = SampleConfig(n=n, length=length)
    start = time.perf_counter()
    chars = sum(len(p) for pieces in Generation(net, vocab, cfg, seed=0) for p in pieces)
    return chars / (time.perf_counter() - start)


@torch.no_grad()
def naive_speed(net: CharRNN, length: int) -> float:
    """What one writes first: the fused layer fed one character at a time."""
    idx, state = torch.zeros(1, 1, dtype=torch.long), None
    start = time.perf_counter()
    for _ in range(length):
        out, state = net.rnn(net.embed(idx), state)
        probs = net.head(out[:, -1]).softmax(-1)
        idx = torch.multinomial(probs, 1)
    return length / (time.perf_counter() - start)


@torch.no_grad()
def cell_step_speed(net: CharRNN, length: int) -> float:
    """LSTMCell-style steps on the shared weights, as the engine does, without its sampling rules."""
    rnn, layers = net.rnn, net.config.layers
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    weights = [[getattr(rnn, f"{w}_l{i}") for w in names] for i in range(layers)]
    idx = torch.zeros(1, dtype=torch.long)
    state = [(torch.zeros(1, net.config.hidden), torch.zeros(1, net.config.hidden)) for _ in range(layers)]
    start = time.perf_counter()
    for _ in range(length):
        x = net.embed(idx)
        for i in range(layers):
            state[i] = torch.lstm_cell(x, state[i], *weights[i])
            x = state[i][0]
        idx = torch.multinomial(net.head(x).softmax(-1), 1)[:, 0]
    return length / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--length", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    net, vocab = model(512)
    keep_freed_memory()  # as the engine does
    mkldnn_off = functools.partial(torch.backends.mkldnn.flags, enabled=False, allow_tf32=None)
    ways = {"engine": lambda: engine_speed(net, vocab, 1, args.length),
            "naive": lambda: naive_speed(net, args.length),
            "cell_steps_mkldnn_on": lambda: cell_step_speed(net, args.length)}
    runs = {name: [] for name in [*ways, "fused_mkldnn_off"]}
    for round_ in range(args.rounds + 1):
        for name, way in ways.items():
            speed = way()
            if round_:  # the first round warms up
                runs[name].append(speed)
        with mkldnn_off():
            speed = naive_speed(net, args.length)
        if round_:
            runs["fused_mkldnn_off"].append(speed)
    best = {k: max(v) for k, v in runs.items()}
    weight_bytes = sum(p.numel() * p.element_size() for name, p in net.named_parameters()
                       if not name.startswith("embed"))  # one embedding row is read per step
    bandwidth = max(read_bandwidth() for _ in range(2))
    ceiling = bandwidth / weight_bytes
    net256, vocab = model(256)
    batched = max(engine_speed(net256, vocab, 64, args.length) for _ in range(args.rounds + 1))
    print(json.dumps({
        "speedup": best["engine"] / best["naive"], "bandwidth_fraction": best["engine"] / ceiling,
        "batched_chars_per_s": batched, "batch1_chars_per_s": best["engine"],
        "naive_chars_per_s": best["naive"], "fused_mkldnn_off_chars_per_s": best["fused_mkldnn_off"],
        "cell_steps_mkldnn_on_chars_per_s": best["cell_steps_mkldnn_on"],
        "weight_bytes": weight_bytes, "read_bandwidth_gb_s": bandwidth / 1e9, "ceiling_chars_per_s": ceiling,
        "rounds": runs, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
