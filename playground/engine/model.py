"""CharRNN: embedding -> stacked recurrent layers -> linear head over the vocabulary.

``lstm``, ``gru`` and ``rnn`` use torch's fused layers (cuDNN on GPU, oneDNN on CPU).
``lstm-peephole`` and ``lstm-coupled`` are the variants from Colah's "Understanding LSTM
Networks", and ``gru-colah``, the GRU as the post writes it, are written out (engine.cells).

State is ``(h, c)`` for the LSTM family and ``h`` for gru/rnn, each ``(layers, batch, hidden)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from playground.engine.cells import ColahGRU, ColahLSTM
from playground.engine.config import ModelConfig

FUSED = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
CELL_STEP = {"lstm": torch.lstm_cell, "gru": torch.gru_cell, "rnn": torch.rnn_tanh_cell}
WEIGHT_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # per layer, suffixed _l0, _l1, ...


class CharRNN(nn.Module):
    def __init__(self, config: ModelConfig, vocab_size: int):
        super().__init__()
        self.config, self.vocab_size = config, vocab_size
        self.embed = nn.Embedding(vocab_size, config.embed)
        if config.cell in FUSED:
            self.rnn = FUSED[config.cell](config.embed, config.hidden, config.layers, batch_first=True,
                                         dropout=config.dropout if config.layers > 1 else 0.0)
        elif config.cell == "gru-colah":
            self.rnn = ColahGRU(config.embed, config.hidden, config.layers, config.dropout)
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
        if isinstance(self.rnn, (ColahLSTM, ColahGRU)):
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
