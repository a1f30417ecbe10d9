"""The written-out Colah cells (LSTM variants and the GRU): their whole-sequence function against the step-by-step
reference (the equations one step at a time, differentiated by autograd), in float64."""

import pytest
import torch
import torch.nn.functional as F

from playground.engine.cells import ColahGRU, ColahLSTM, _GRULayer, _Layer, gru_step


def reference(model: ColahLSTM, x, h0, c0):
    """The layers stepped one character at a time through ``model.cell``, under autograd."""
    hs, cs = [], []
    for layer in range(model.layers):
        h, c, out = h0[layer], c0[layer], []
        for t in range(x.size(1)):
            gates = F.linear(x[:, t], model.w_ih[layer], model.bias[layer]) + F.linear(h, model.w_hh[layer])
            h, c = model.cell(layer, gates, c)
            out.append(h)
        x = torch.stack(out, 1)
        hs.append(h)
        cs.append(c)
    return x, torch.stack(hs), torch.stack(cs)


@pytest.mark.parametrize("variant", ["peephole", "coupled"])
def test_outputs_states_and_every_gradient_match_the_step_by_step_reference(variant):
    torch.manual_seed(0)
    model = ColahLSTM(variant, 5, 7, 2, dropout=0.0).double()
    x = torch.randn(3, 6, 5, dtype=torch.double, requires_grad=True)
    h0, c0 = (torch.randn(2, 3, 7, dtype=torch.double, requires_grad=True) for _ in range(2))
    out, (h, c) = model(x, (h0, c0))
    expected = reference(model, x, h0, c0)
    for got, want in zip((out, h, c), expected):
        assert torch.allclose(got, want, atol=1e-12)
    weights = [torch.randn_like(t) for t in expected]  # a loss that reaches the outputs and both final states
    inputs = [x, h0, c0, *model.parameters()]
    ours = torch.autograd.grad(sum((w * t).sum() for w, t in zip(weights, (out, h, c))), inputs)
    theirs = torch.autograd.grad(sum((w * t).sum() for w, t in zip(weights, expected)), inputs)
    for got, want in zip(ours, theirs):
        assert torch.allclose(got, want, atol=1e-12)


@pytest.mark.parametrize("variant", ["peephole", "coupled"])
def test_the_backward_pass_passes_gradcheck(variant):
    torch.manual_seed(1)
    gates, hidden = (4 if variant == "peephole" else 3), 3
    xg = torch.randn(4, 2, gates * hidden, dtype=torch.double, requires_grad=True)
    h0, c0 = (torch.randn(2, hidden, dtype=torch.double, requires_grad=True) for _ in range(2))
    w_hh = torch.randn(gates * hidden, hidden, dtype=torch.double, requires_grad=True)
    peep = torch.randn(3, hidden, dtype=torch.double, requires_grad=True) if variant == "peephole" else None
    assert torch.autograd.gradcheck(lambda *a: _Layer.apply(variant, *a), (xg, h0, c0, w_hh, peep))


def test_a_final_state_left_out_of_the_loss_gets_no_gradient_and_breaks_nothing():
    torch.manual_seed(0)
    model = ColahLSTM("peephole", 4, 5, 1, dropout=0.0)
    x = torch.randn(2, 3, 4, requires_grad=True)
    out, _ = model(x, (torch.zeros(1, 2, 5), torch.zeros(1, 2, 5)))
    out.sum().backward()  # the training loop's case: the carried state is detached, not differentiated
    assert x.grad is not None and all(p.grad is not None for p in model.parameters())


def gru_reference(model: ColahGRU, x, h0):
    hs = []
    for layer in range(model.layers):
        h, out = h0[layer], []
        for t in range(x.size(1)):
            h = gru_step(F.linear(x[:, t], model.w_ih[layer], model.bias[layer]), h, model.w_hh[layer])
            out.append(h)
        x = torch.stack(out, 1)
        hs.append(h)
    return x, torch.stack(hs)


def test_the_gru_matches_its_step_by_step_reference_with_every_gradient():
    torch.manual_seed(0)
    model = ColahGRU(5, 7, 2, dropout=0.0).double()
    x = torch.randn(3, 6, 5, dtype=torch.double, requires_grad=True)
    h0 = torch.randn(2, 3, 7, dtype=torch.double, requires_grad=True)
    ours, expected = model(x, h0), gru_reference(model, x, h0)
    for got, want in zip(ours, expected):
        assert torch.allclose(got, want, atol=1e-12)
    weights = [torch.randn_like(t) for t in expected]
    inputs = [x, h0, *model.parameters()]
    mine = torch.autograd.grad(sum((w * t).sum() for w, t in zip(weights, ours)), inputs)
    theirs = torch.autograd.grad(sum((w * t).sum() for w, t in zip(weights, expected)), inputs)
    for got, want in zip(mine, theirs):
        assert torch.allclose(got, want, atol=1e-12)


def test_the_gru_backward_pass_passes_gradcheck():
    torch.manual_seed(1)
    xg = torch.randn(4, 2, 9, dtype=torch.double, requires_grad=True)
    h0 = torch.randn(2, 3, dtype=torch.double, requires_grad=True)
    w_hh = torch.randn(9, 3, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(_GRULayer.apply, (xg, h0, w_hh))
