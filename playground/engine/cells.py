"""Colah's cells, written out: the LSTM with peephole connections or coupled gates, and the GRU.

Each layer runs as one autograd function over the whole sequence: the input projections of
all time steps are one matmul, the forward loop runs without building a graph, and the
backward pass is the LSTM's backpropagation through time written out, with the weight
gradients as one matmul over all steps. That leaves a few kernels per step where autograd
would record a dozen, and keeps these cells near the fused LSTM's speed (bench/train_speed.py).
``step`` (sampling) and the tests' reference use the same equations one step at a time.

Gate order in the weights: i, f, g, o (peephole); f, g, o (coupled); z, r, h̃ (gru).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def peephole_step(gates: torch.Tensor, c: torch.Tensor, peep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f = σ(W_f·[h, x] + p_f⊙c[t-1]), i likewise, c[t] = f⊙c[t-1] + i⊙tanh(g), o = σ(… + p_o⊙c[t]), h = o⊙tanh(c[t])."""
    i, f, g, o = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f + peep[0] * c) * c + torch.sigmoid(i + peep[1] * c) * torch.tanh(g)
    return torch.sigmoid(o + peep[2] * c) * torch.tanh(c), c


def coupled_step(gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One gate decides both what to forget and what to write: c[t] = f⊙c[t-1] + (1-f)⊙tanh(g)."""
    f, g, o = gates.chunk(3, dim=-1)
    f = torch.sigmoid(f)
    c = f * c + (1 - f) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def gru_step(x_gates: torch.Tensor, h: torch.Tensor, w_hh: torch.Tensor) -> torch.Tensor:
    """z = σ(W_z·[h, x]), r = σ(W_r·[h, x]), h̃ = tanh(W·[r⊙h, x]), h[t] = (1-z)⊙h + z⊙h̃ (Colah's
    and Cho et al.'s form: the reset gate acts on h before its matmul)."""
    hidden = h.size(-1)
    z, r = torch.sigmoid(x_gates[:, :2 * hidden] + F.linear(h, w_hh[:2 * hidden])).chunk(2, dim=-1)
    n = torch.tanh(x_gates[:, 2 * hidden:] + F.linear(r * h, w_hh[2 * hidden:]))
    return h + z * (n - h)


class _GRULayer(torch.autograd.Function):
    """One written-out GRU layer over a sequence: xg ``(T, B, 3H)`` the input projections of
    z, r and h̃ (bias included); returns the outputs ``(T, B, H)`` and the final h."""

    @staticmethod
    def forward(ctx, xg, h0, w_hh):  # noqa: D102
        steps, hidden = xg.size(0), h0.size(-1)
        w_zr, w_n = w_hh[:2 * hidden].t(), w_hh[2 * hidden:].t()
        out, acts = xg.new_empty(steps, *h0.shape), torch.empty_like(xg)  # acts: z, r, h̃
        x_zr, x_n = xg[..., :2 * hidden].unbind(0), xg[..., 2 * hidden:].unbind(0)  # per-step views, made once
        zr, r, n, z, outs = (acts[..., :2 * hidden].unbind(0), acts[..., hidden:2 * hidden].unbind(0),
                             acts[..., 2 * hidden:].unbind(0), acts[..., :hidden].unbind(0), out.unbind(0))
        h = h0
        for t in range(steps):
            torch.sigmoid(torch.addmm(x_zr[t], h, w_zr), out=zr[t])
            torch.tanh(torch.addmm(x_n[t], r[t] * h, w_n), out=n[t])
            h = torch.addcmul(h, z[t], n[t] - h, out=outs[t])
        ctx.save_for_backward(h0, w_hh, out, acts)
        return out, out[-1].clone()

    @staticmethod
    def backward(ctx, d_out, d_h):  # noqa: D102
        h0, w_hh, out, acts = ctx.saved_tensors
        hidden = h0.size(-1)
        w_zr, w_n = w_hh[:2 * hidden], w_hh[2 * hidden:]
        h_prev = torch.cat([h0[None], out[:-1]])
        z, r, n = acts.chunk(3, dim=-1)
        e_n = z * (1 - n * n)  # dL/da_h̃ = dh * e_n
        e_z = (n - h_prev) * z * (1 - z)  # dL/da_z = dh * e_z
        e_r = h_prev * r * (1 - r)  # dL/da_r = d(r⊙h) * e_r
        keep = 1 - z  # dL/dh[t-1], directly: dh * keep
        d_gates = torch.empty_like(acts)
        d_z, d_r, d_n = (d_gates[..., i * hidden:(i + 1) * hidden].unbind(0) for i in range(3))
        d_zr, outs = d_gates[..., :2 * hidden].unbind(0), d_out.unbind(0)
        dh = outs[-1] + d_h
        for t in range(acts.size(0) - 1, -1, -1):
            torch.mul(dh, e_n[t], out=d_n[t])
            torch.mul(dh, e_z[t], out=d_z[t])
            d_rh = d_n[t] @ w_n
            torch.mul(d_rh, e_r[t], out=d_r[t])
            direct = torch.addcmul(outs[t - 1], dh, keep[t]) if t else dh * keep[0]
            dh = torch.addmm(direct.addcmul_(d_rh, r[t]), d_zr[t], w_zr)
        flat = lambda tensor: tensor.flatten(0, 1)  # noqa: E731
        d_w_hh = torch.cat([flat(d_gates[..., :2 * hidden]).t() @ flat(h_prev), flat(d_gates[..., 2 * hidden:]).t() @ flat(r * h_prev)])
        return d_gates, dh, d_w_hh


class _Layer(torch.autograd.Function):
    """One layer over a whole sequence, time first: xg ``(T, B, gates*H)`` holds the input
    projections (bias included); returns the outputs ``(T, B, H)`` and the final h and c."""

    @staticmethod
    def forward(ctx, variant: str, xg, h0, c0, w_hh, peep):  # noqa: D102
        steps, batch, hidden = xg.size(0), xg.size(1), h0.size(-1)
        out = xg.new_empty(steps, batch, hidden)
        acts = torch.empty_like(xg)  # the gates after their squashing, per step
        cells = xg.new_empty(steps + 1, batch, hidden)  # c[-1], c[0], ...
        cells[0] = c0
        step = _peephole_forward if variant == "peephole" else _coupled_forward
        looks = (peep[[1, 0]], peep[2]) if variant == "peephole" else None  # i and f's peepholes, o's
        xs, act, c, outs, w = xg.unbind(0), acts.unbind(0), cells.unbind(0), out.unbind(0), w_hh.t()
        h = h0
        for t in range(steps):
            step(torch.addmm(xs[t], h, w), c[t], act[t], c[t + 1], outs[t], looks)
            h = outs[t]
        ctx.variant = variant
        ctx.save_for_backward(h0, w_hh, peep, out, acts, cells)
        return out, out[-1].clone(), cells[-1].clone()

    @staticmethod
    def backward(ctx, d_out, d_h, d_c):  # noqa: D102
        h0, w_hh, peep, out, acts, cells = ctx.saved_tensors
        factors = _peephole_factors if ctx.variant == "peephole" else _coupled_factors
        k, m, e, a = factors(acts, cells, peep)
        d_gates, d_h0, d_c0 = _bptt(d_out, d_h, d_c, w_hh, k, m, e, a)
        h_prev = torch.cat([h0[None], out[:-1]])
        d_w_hh = d_gates.flatten(0, 1).t() @ h_prev.flatten(0, 1)
        d_peep = _peephole_peep_grad(d_gates, cells) if ctx.variant == "peephole" else None
        return None, d_gates, d_h0, d_c0, d_w_hh, d_peep


def _peephole_forward(a, c, act, c_next, h_next, looks) -> None:
    """One peephole step from the pre-activations ``a``, writing act, c_next and h_next."""
    hidden, (look_if, look_o) = c.size(-1), looks
    i_f = a[:, :2 * hidden].unflatten(1, (2, hidden))  # i and f see c[t-1] through their peepholes
    torch.sigmoid(torch.addcmul(i_f, look_if, c[:, None]), out=act[:, :2 * hidden].unflatten(1, (2, hidden)))
    torch.tanh(a[:, 2 * hidden:3 * hidden], out=act[:, 2 * hidden:3 * hidden])
    si, sf, tg, so = act.chunk(4, dim=1)
    torch.addcmul(sf * c, si, tg, out=c_next)
    torch.sigmoid(torch.addcmul(a[:, 3 * hidden:], look_o, c_next), out=so)  # o sees c[t]
    torch.mul(so, torch.tanh(c_next), out=h_next)


def _coupled_forward(a, c, act, c_next, h_next, looks) -> None:
    """One coupled step from the pre-activations ``a``, writing act, c_next and h_next."""
    sf, tg, so = act.chunk(3, dim=1)
    f, g, o = a.chunk(3, dim=1)
    torch.sigmoid(f, out=sf)
    torch.tanh(g, out=tg)
    torch.sigmoid(o, out=so)
    torch.addcmul(tg, sf, c - tg, out=c_next)  # f*c + (1-f)*g
    torch.mul(so, torch.tanh(c_next), out=h_next)


def _peephole_factors(acts, cells, peep):
    """The per-step factors of the backward recurrence (see _bptt), for all steps at once."""
    si, sf, tg, so = acts.chunk(4, dim=-1)
    c_prev, tc = cells[:-1], torch.tanh(cells[1:])
    e = acts.new_empty(*tg.shape[:2], 3, tg.size(-1))  # written in place: no stack
    e_i, e_f, e_g = e.unbind(2)
    torch.mul(tg, _slope(si), out=e_i)  # dL/da_i = dc * e_i
    torch.mul(c_prev, _slope(sf), out=e_f)
    torch.addcmul(si, si, tg * tg, value=-1, out=e_g)  # si * (1 - tg²)
    a = tc * _slope(so)  # dL/da_o = dh * a
    k = torch.addcmul(so, so, tc * tc, value=-1).addcmul_(a, peep[2])  # dc = dc_next + dh * k
    m = torch.addcmul(sf, e_f, peep[0]).addcmul_(e_i, peep[1])  # dc_prev = dc * m
    return k, m, e, a


def _slope(s: torch.Tensor) -> torch.Tensor:
    """σ'(x) from s = σ(x): s - s²."""
    return torch.addcmul(s, s, s, value=-1)


def _coupled_factors(acts, cells, peep):
    sf, tg, so = acts.chunk(3, dim=-1)
    tc = torch.tanh(cells[1:])
    e = acts.new_empty(*tg.shape[:2], 2, tg.size(-1))
    e_f, e_g = e.unbind(2)
    torch.mul(cells[:-1] - tg, _slope(sf), out=e_f)
    torch.mul(1 - sf, 1 - tg * tg, out=e_g)
    return torch.addcmul(so, so, tc * tc, value=-1), sf, e, tc * _slope(so)


def _bptt(d_out, d_h, d_c, w_hh, k, m, e, a):
    """Backpropagation through time, given per-step factors: with dh the gradient reaching
    h[t], dc = dc[t+1 → t] + dh*k; the gates before the output gate get dc*e, the output gate
    dh*a; c[t-1] gets dc*m and h[t-1] the gates' gradient through w_hh (plus its own output's)."""
    steps, batch, n, hidden = e.shape
    d_gates = e.new_empty(steps, batch, (n + 1) * hidden)
    d_first = d_gates[..., :n * hidden].unflatten(-1, (n, hidden)).unbind(0)  # per-step views, made once
    d_o, gates, outs = d_gates[..., n * hidden:].unbind(0), d_gates.unbind(0), d_out.unbind(0)
    dh, dc_next = outs[-1] + d_h, d_c
    for t in range(steps - 1, -1, -1):
        dc = torch.addcmul(dc_next, dh, k[t])
        torch.mul(e[t], dc[:, None], out=d_first[t])
        torch.mul(dh, a[t], out=d_o[t])
        dc_next = dc * m[t]
        dh = torch.addmm(outs[t - 1], gates[t], w_hh) if t else gates[0] @ w_hh
    return d_gates, dh, dc_next


def _peephole_peep_grad(d_gates, cells):
    d_i, d_f, _, d_o = d_gates.chunk(4, dim=-1)
    c_prev, c = cells[:-1], cells[1:]
    return torch.stack([(d_f * c_prev).sum((0, 1)), (d_i * c_prev).sum((0, 1)), (d_o * c).sum((0, 1))])


class _Stacked(nn.Module):
    """Stacked layers' weights, batch first: per layer w_ih ``(gates*H, in)``, w_hh ``(gates*H, H)``
    and one bias, initialised U(-1/√H, 1/√H) as torch's own recurrent layers are."""

    def __init__(self, gates: int, input_size: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.hidden, self.layers, self.dropout = hidden, layers, dropout
        sizes = [input_size] + [hidden] * (layers - 1)
        self.w_ih = nn.ParameterList(nn.Parameter(torch.empty(gates * hidden, n)) for n in sizes)
        self.w_hh = nn.ParameterList(nn.Parameter(torch.empty(gates * hidden, hidden)) for _ in sizes)
        self.bias = nn.ParameterList(nn.Parameter(torch.empty(gates * hidden)) for _ in sizes)

    def reset(self) -> None:
        bound = 1 / math.sqrt(self.hidden)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def inputs(self, x: torch.Tensor, layer: int) -> torch.Tensor:
        """The input projections of all time steps at once, time first ``x`` included."""
        if layer > 0:
            x = F.dropout(x, self.dropout, self.training)
        return F.linear(x, self.w_ih[layer], self.bias[layer])


class ColahLSTM(_Stacked):
    """A stacked LSTM variant. ``peephole``: the gates also look at the cell (diagonal peepholes:
    forget and input gates see c[t-1], the output gate sees c[t]). ``coupled``: one gate f
    decides both what to forget and what to write, c = f*c + (1-f)*g. State: ``(h, c)``."""

    def __init__(self, variant: str, input_size: int, hidden: int, layers: int, dropout: float):
        super().__init__(3 if variant == "coupled" else 4, input_size, hidden, layers, dropout)
        self.variant = variant
        if variant == "peephole":
            self.peep = nn.ParameterList(nn.Parameter(torch.empty(3, hidden)) for _ in range(layers))
        self.reset()

    def cell(self, layer: int, gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One time step of one layer from its pre-activations."""
        if self.variant == "coupled":
            return coupled_step(gates, c)
        return peephole_step(gates, c, self.peep[layer])

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        h0, c0 = state
        x = x.transpose(0, 1)  # time first: each step's slices are contiguous
        hs, cs = [], []
        for layer in range(self.layers):
            peep = self.peep[layer] if self.variant == "peephole" else None
            x, h, c = _Layer.apply(self.variant, self.inputs(x, layer), h0[layer], c0[layer], self.w_hh[layer], peep)
            hs.append(h)
            cs.append(c)
        return x.transpose(0, 1), (torch.stack(hs), torch.stack(cs))

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


class ColahGRU(_Stacked):
    """A stacked GRU as Colah's post writes it (gru_step), to set beside torch's fused ``gru``,
    which applies the reset gate after its matmul. State: ``h``."""

    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float):
        super().__init__(3, input_size, hidden, layers, dropout)
        self.reset()

    def forward(self, x: torch.Tensor, state: torch.Tensor):
        x = x.transpose(0, 1)
        hs = []
        for layer in range(self.layers):
            x, h = _GRULayer.apply(self.inputs(x, layer), state[layer], self.w_hh[layer])
            hs.append(h)
        return x.transpose(0, 1), torch.stack(hs)

    def step(self, x: torch.Tensor, state: torch.Tensor):
        hs = []
        for layer in range(self.layers):
            x = gru_step(F.linear(x, self.w_ih[layer], self.bias[layer]), state[layer], self.w_hh[layer])
            hs.append(x)
        return x, torch.stack(hs)
