"""CharRNN: every cell, the (logits, loss, state) contract, and single steps equal to forward."""

import math

import pytest
import torch

from playground.engine.config import ModelConfig
from playground.engine.model import CharRNN, n_params

CELLS = ["lstm", "gru", "rnn", "lstm-peephole", "lstm-coupled", "gru-colah"]


@pytest.mark.parametrize("cell", CELLS)
def test_forward_contract(cell):
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(cell=cell, layers=2, hidden=24, embed=8), vocab_size=11)
    idx = torch.randint(0, 11, (3, 5))
    logits, loss, state = model(idx, targets=idx)
    assert logits.shape == (3, 5, 11)
    assert abs(loss.item() - math.log(11)) < 0.5  # near uniform at init
    for s in (state if isinstance(state, tuple) else (state,)):
        assert s.shape == (2, 3, 24)
    assert (isinstance(state, tuple)) == cell.startswith("lstm")
    logits2, loss2, _ = model(idx)
    assert loss2 is None and logits2.shape == logits.shape


@pytest.mark.parametrize("cell", CELLS)
def test_steps_match_forward_and_carry_state(cell):
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(cell=cell, layers=2, hidden=16, embed=8, dropout=0.5), vocab_size=7).eval()
    idx = torch.randint(0, 7, (2, 9))
    with torch.no_grad():
        whole, _, end = model(idx)
        first, _, mid = model(idx[:, :4])
        second, _, _ = model(idx[:, 4:], mid)  # carried state continues the sequence
        state, steps = model.initial_state(2), []
        for t in range(9):
            logits, state = model.step(idx[:, t], state)
            steps.append(logits)
    assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-5)
    assert torch.allclose(torch.stack(steps, 1), whole, atol=1e-5)


def test_ignored_targets_and_coupled_is_smaller():
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(hidden=8, embed=4, layers=1), 5)
    idx = torch.randint(0, 5, (1, 6))
    targets = idx.clone()
    targets[0, 3:] = -1
    _, partial, _ = model(idx, targets=targets)
    logits, _, _ = model(idx)
    expected = torch.nn.functional.cross_entropy(logits[0, :3], idx[0, :3])
    assert torch.allclose(partial, expected)
    sizes = {cell: n_params(CharRNN(ModelConfig(cell=cell, hidden=8, embed=4, layers=1), 5)) for cell in CELLS}
    # coupled drops the input gate (8x(4+8+1) weights); peephole adds 3 vectors of 8
    assert sizes["lstm-peephole"] - sizes["lstm-coupled"] == 8 * (4 + 8 + 1) + 3 * 8


def test_dropout_only_in_training():
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(hidden=16, embed=8, dropout=0.5), 5)
    idx = torch.randint(0, 5, (2, 4))
    model.train()
    assert not torch.equal(model(idx)[0], model(idx)[0])
    model.eval()
    assert torch.equal(model(idx)[0], model(idx)[0])
