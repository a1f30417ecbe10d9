"""CharRNN: embedding -> stacked recurrent layers -> linear head over the vocabulary.

``lstm``, ``gru`` and ``rnn`` use torch's fused layers (cuDNN on GPU, oneDNN on CPU).
``lstm-peephole`` and ``lstm-coupled`` are the variants from Colah's "Understanding LSTM
Networks", written out step by step (slower: a Python loop over time).

State is ``(h, c)`` for the LSTM family and ``h`` for gru/rnn, each ``(layers, batch, hidden)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from playground.engine.config import ModelConfig

FUSED = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
CELL_STEP = {"lstm": torch.lstm_cell, "gru": torch.gru_cell, "rnn": torch.rnn_tanh_cell}
WEIGHT_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # per layer, suffixed _l0, _l1, ...


class ColahLSTM(nn.Module):
    """A stacked LSTM variant, batch first.

    ``peephole``: the gates also look at the cell (diagonal peepholes: forget and input gates
    see c[t-1], the output gate sees c[t]). ``coupled``: one gate f decides both what to
    forget and what to write, c = f*c + (1-f)*g.
    """

    def __init__(self, variant: str, input_size: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.variant, self.hidden, self.layers, self.dropout = variant, hidden, layers, dropout
        gates = 3 if variant == "coupled" else 4
        sizes = [input_size] + [hidden] * (layers - 1)
        self.w_ih = nn.ParameterList(nn.Parameter(torch.empty(gates * hidden, n)) for n in sizes)
        self.w_hh = nn.ParameterList(nn.Parameter(torch.empty(gates * hidden, hidden)) for _ in sizes)
        self.bias = nn.ParameterList(nn.Parameter(torch.empty(gates * hidden)) for _ in sizes)
        if variant == "peephole":
            self.peep = nn.ParameterList(nn.Parameter(torch.empty(3, hidden)) for _ in sizes)
        bound = 1 / math.sqrt(hidden)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def cell(self, layer: int, gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One time step of one layer from its pre-activations."""
        if self.variant == "coupled":
            f, g, o = gates.chunk(3, dim=-1)
            f = torch.sigmoid(f)
            c = f * c + (1 - f) * torch.tanh(g)
            return torch.sigmoid(o) * torch.tanh(c), c
        i, f, g, o = gates.chunk(4, dim=-1)
        p = self.peep[layer]
        c = torch.sigmoid(f + p[0] * c) * c + torch.sigmoid(i + p[1] * c) * torch.tanh(g)
        return torch.sigmoid(o + p[2] * c) * torch.tanh(c), c

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        h0, c0 = state
        hs, cs = [], []
        for layer in range(self.layers):
            if layer > 0:
                x = F.dropout(x, self.dropout, self.training)
            xg = F.linear(x, self.w_ih[layer], self.bias[layer])  # all time steps at once
            h, c = h0[layer], c0[layer]
            out = []
            for t in range(x.size(1)):
                h, c = self.cell(layer, xg[:, t] + F.linear(h, self.w_hh[layer]), c)
                out.append(h)
            x = torch.stack(out, dim=1)
            hs.append(h)
            cs.append(c)
        return x, (torch.stack(hs), torch.stack(cs))

    def step(self, x: torch.Tensor, state):
        """One time step for all layers (sampling); x is ``(batch, input_size)``."""
        h0, c0 = state
        hs, cs = [], []
        for layer in range(self.layers):
            gates = torch.addmm(self.bias[layer], x, self.w_ih[layer].t()).addmm_(h0[layer], self.w_hh[layer].t())
            x, c = self.cell(layer, gates, c0[layer])
            hs.append(x)
            cs.append(c)
        return x, (torch.stack(hs), torch.stack(cs))


class CharRNN(nn.Module):
    def __init__(self, config: ModelConfig, vocab_size: int):
        super().__init__()
        self.config, self.vocab_size = config, vocab_size
        self.embed = nn.Embedding(vocab_size, config.embed)
        if config.cell in FUSED:
            self.rnn = FUSED[config.cell](config.embed, config.hidden, config.layers, batch_first=True,
                                         dropout=config.dropout if config.layers > 1 else 0.0)
        else:
            self.rnn = ColahLSTM(config.cell.removeprefix("lstm-"), config.embed, config.hidden,
                                 config.layers, config.dropout)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, vocab_size)

    @property
    def has_cell_state(self) -> bool:
        return self.config.cell.startswith("lstm")

    def initial_state(self, batch: int, device: torch.device | str = "cpu"):
        zeros = torch.zeros(self.config.layers, batch, self.config.hidden, device=device)
        return (zeros, zeros.clone()) if self.has_cell_state else zeros

    def forward(self, idx: torch.Tensor, state=None, targets: torch.Tensor | None = None):
        """idx ``(batch, time)`` -> logits ``(batch, time, vocab)``, mean loss (targets of -1
        are ignored) or None, and the final state."""
        if state is None:
            state = self.initial_state(idx.size(0), idx.device)
        x = self.drop(self.embed(idx))
        out, state = self.rnn(x, state)
        logits = self.head(self.drop(out))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), ignore_index=-1)
        return logits, loss, state

    def step(self, idx: torch.Tensor, state):
        """One character per stream, idx ``(batch,)`` -> logits ``(batch, vocab)``, state.

        For sampling: single-cell steps on the fused layer's own weights (engine.sample runs
        them with oneDNN off). At small batch on CPU this is several times faster than stepping
        the fused layer through oneDNN, and a little faster than the fused layer with oneDNN
        off (bench/sample_speed.py).
        """
        x = self.embed(idx)
        if isinstance(self.rnn, ColahLSTM):
            x, state = self.rnn.step(x, state)
            return self.head(x), state
        cell, hs, cs = CELL_STEP[self.config.cell], [], []
        for layer in range(self.config.layers):
            weights = [getattr(self.rnn, f"{name}_l{layer}") for name in WEIGHT_NAMES]
            if self.has_cell_state:
                x, c = cell(x, (state[0][layer], state[1][layer]), *weights)
                cs.append(c)
            else:
                x = cell(x, state[layer], *weights)
            hs.append(x)
        state = (torch.stack(hs), torch.stack(cs)) if self.has_cell_state else torch.stack(hs)
        return self.head(x), state


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
