"""What single units of a trained CharRNN track: the analysis behind Karpathy's neuron pictures.

``trace`` runs a model over a passage one character at a time and keeps every unit's
activation (tanh of the LSTM cell state, as in "The Unreasonable Effectiveness of Recurrent
Neural Networks"; the hidden state for gru/rnn) and the likeliest next characters.
``rank_units`` finds the units that follow a feature of the text (``FEATURES``) most closely.
Pure torch, so a UI can call it from a worker thread.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import torch

from playground.engine.data import Vocab
from playground.engine.model import CharRNN


@dataclass(frozen=True)
class Trace:
    text: str  # the passage as given (characters outside the vocabulary were read as <unk>)
    activations: torch.Tensor  # (layers, len(text), hidden) float32 on CPU, in [-1, 1]
    top: list[list[tuple[str, float]]]  # per position: likeliest next characters, most likely first
    kind: str  # "cell" (tanh of the LSTM cell state) or "hidden" (the gru/rnn state)


def trace(model: CharRNN, vocab: Vocab, text: str, top_k: int = 5) -> Trace:
    """Run ``model`` over ``text`` a character at a time from a zero state, keeping every
    layer's activation after each character and the ``top_k`` likeliest characters to follow."""
    was_training = model.training
    model.eval()
    try:
        activations, logits = _steps(model, vocab.encode(text))
    finally:
        model.train(was_training)
    if not vocab.capped:  # <unk> stood for nothing in training: never a likely next character
        logits[:, vocab.unk] = float("-inf")
    k = min(top_k, len(vocab) - (not vocab.capped))
    probs, ids = logits.softmax(dim=-1).topk(k, dim=-1)
    top = [[(vocab.decode([i]), p) for i, p in zip(row_ids, row_probs)]
           for row_ids, row_probs in zip(ids.tolist(), probs.tolist())]
    return Trace(text, activations, top, "cell" if model.has_cell_state else "hidden")


@torch.no_grad()
def _steps(model: CharRNN, ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Activations ``(layers, time, hidden)`` and next-character logits ``(time, vocab)``, on CPU."""
    device = next(model.parameters()).device
    activations = torch.empty(len(ids), model.config.layers, model.config.hidden, device=device)
    logits = torch.empty(len(ids), model.vocab_size, device=device)
    state = model.initial_state(1, device)
    for t, idx in enumerate(torch.tensor(ids, dtype=torch.long, device=device).view(-1, 1)):
        logits[t], state = model.step(idx, state)
        activations[t] = state[1][:, 0].tanh() if model.has_cell_state else state[:, 0]
    return activations.transpose(0, 1).float().cpu(), logits.float().cpu()


def passage(text: str, length: int = 1500, seed: int = 0) -> str:
    """A slice of ``text`` (say, the validation split) of at most ``length`` characters,
    starting at the start of a line picked by ``seed``."""
    end = random.Random(seed).randint(0, max(len(text) - length, 0))
    start = text.rfind("\n", 0, end) + 1  # back to the start of that line
    return text[start:start + length]


# Features of the text, one value per character: the state *after* reading that character,
# as the model's activation at that position is (an opening quote is already inside).

def _between(mark: str) -> Callable[[str], list[float]]:
    """1.0 from an opening ``mark`` up to, not including, its closing one; else 0."""
    def feature(text: str) -> list[float]:
        inside, values = False, []
        for ch in text:
            inside ^= ch == mark
            values.append(float(inside))
        return values
    return feature


def bracket_depth(text: str) -> list[float]:
    """How many ( [ { are open (closing brackets of any kind close one; never below 0)."""
    depth, values = 0, []
    for ch in text:
        depth = depth + 1 if ch in "([{" else max(depth - 1, 0) if ch in ")]}" else depth
        values.append(float(depth))
    return values


def position_in_line(text: str) -> list[float]:
    """Characters read since the last newline (0 at a newline; the text starts a line)."""
    column, values = 0, []
    for ch in text:
        column = 0 if ch == "\n" else column + 1
        values.append(float(column))
    return values


FEATURES: dict[str, Callable[[str], list[float]]] = {
    "inside quotes": _between('"'),
    "bracket depth": bracket_depth,
    "position in line": position_in_line,
    "inside $math$": _between("$"),
}


def rank_units(trace: Trace, feature: str, top: int = 10) -> list[tuple[int, int, float]]:
    """``(layer, unit, r)`` for the ``top`` units whose activation has the strongest Pearson
    correlation r (by absolute value) with ``FEATURES[feature]`` over the passage; a constant
    feature or unit gives r = 0."""
    x = trace.activations.double().transpose(0, 1).flatten(1)  # (time, layers * hidden)
    f = torch.tensor(FEATURES[feature](trace.text), dtype=torch.float64)
    x, f = x - x.mean(dim=0), f - f.mean()
    x_norm, f_norm = x.norm(dim=0), f.norm()
    r = (f @ x) / (x_norm * f_norm).clamp_min(1e-12)
    r[(x_norm < 1e-9) | (f_norm < 1e-9)] = 0.0
    hidden = trace.activations.size(2)
    order = r.abs().argsort(descending=True, stable=True)[:top].tolist()
    return [(i // hidden, i % hidden, r[i].item()) for i in order]
