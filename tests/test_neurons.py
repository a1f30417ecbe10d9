"""Neuron analysis: traces from every cell, agreement with forward, text features, unit ranking."""

import pytest
import torch

from engine_support import TINY, tiny_domain
from playground.engine.config import ModelConfig
from playground.engine.data import UNK_TEXT, Vocab
from playground.engine.model import CharRNN
from playground.neurons import FEATURES, Trace, passage, rank_units, trace
from playground.run import run_training
from playground.sampling import load_sampler

CELLS = ["lstm", "gru", "rnn", "lstm-peephole", "lstm-coupled", "gru-colah"]
VOCAB = Vocab(list('abc ()[]{}"\n'))
TEXT = 'ab "c (a [b] c)"\nba {x} "a"\n'  # x is outside the vocabulary


def tiny_model(cell: str, dropout: float = 0.0) -> CharRNN:
    torch.manual_seed(0)
    return CharRNN(ModelConfig(cell=cell, layers=2, hidden=16, embed=8, dropout=dropout), len(VOCAB))


def check_agrees_with_forward(model: CharRNN, vocab: Vocab, text: str) -> Trace:
    """Top-1 of the step-by-step trace is the argmax of the fused forward (up to near ties)."""
    result = trace(model, vocab, text)
    with torch.no_grad():
        logits = model(torch.tensor([vocab.encode(text)]))[0][0]
    if not vocab.capped:
        logits[:, vocab.unk] = float("-inf")
    probs = logits.softmax(dim=-1)
    for t, row in enumerate(result.top):
        best = probs[t].argmax().item()
        if row[0][0] != vocab.decode([best]):
            assert abs(row[0][1] - probs[t, best].item()) < 1e-5, (t, row[0], vocab.decode([best]))
    return result


@pytest.mark.parametrize("cell", CELLS)
def test_trace_shapes_ranges_and_top(cell):
    model = tiny_model(cell)
    result = check_agrees_with_forward(model, VOCAB, TEXT)
    assert result.text == TEXT
    assert result.kind == ("cell" if cell.startswith("lstm") else "hidden")
    assert result.activations.shape == (2, len(TEXT), 16) and result.activations.dtype == torch.float32
    assert result.activations.abs().max() <= 1 and result.activations.std() > 0
    assert len(result.top) == len(TEXT)
    for row in result.top:
        probs = [p for _, p in row]
        assert len(row) == 5 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6
        assert all(ch in VOCAB.index for ch, _ in row)  # never <unk>: the vocabulary is not capped


def test_trace_of_a_trained_checkpoint_agrees_with_forward(tmp_path):
    list(run_training(tiny_domain(tmp_path), {**TINY, "layers": 2, "max_steps": 10}, tmp_path / "run"))
    sampler = load_sampler(tmp_path / "run", {})
    text = "The cat sat on the mat.\nA dog ran far.\n" * 3
    result = check_agrees_with_forward(sampler.model, sampler.vocab, text)
    assert result.activations.shape == (2, len(text), 32)
    assert all(len(row) == 5 for row in result.top)


def test_unk_is_a_next_character_only_when_the_vocabulary_was_capped():
    model = tiny_model("gru")
    with torch.no_grad():
        model.head.bias[VOCAB.unk] = 100.0
    assert all(ch != UNK_TEXT for row in trace(model, VOCAB, TEXT).top for ch, _ in row)
    capped = Vocab(VOCAB.chars, capped=True)
    assert all(row[0][0] == UNK_TEXT for row in trace(model, capped, TEXT).top)


def test_trace_runs_in_eval_mode_and_restores_the_training_flag():
    model = tiny_model("lstm", dropout=0.5).train()
    first = trace(model, VOCAB, TEXT)
    assert model.training
    assert torch.equal(first.activations, trace(model, VOCAB, TEXT).activations)  # no dropout
    model.eval()
    trace(model, VOCAB, TEXT)
    assert not model.training


def test_empty_text():
    result = trace(tiny_model("rnn"), VOCAB, "")
    assert result.activations.shape == (2, 0, 16) and result.top == []


def test_features_on_hand_made_text():
    assert FEATURES["inside quotes"]('a"bc"d"e') == [0, 1, 1, 1, 0, 0, 1, 1]
    assert FEATURES["inside $math$"]("x $y$ z") == [0, 0, 1, 1, 0, 0, 0]
    assert FEATURES["bracket depth"]("f(a[b]{c}))x") == [0, 1, 1, 2, 2, 1, 2, 2, 1, 0, 0, 0]
    assert FEATURES["position in line"]("ab\ncde\n\nf") == [1, 2, 0, 1, 2, 3, 0, 0, 1]
    assert all(FEATURES[name]("") == [] for name in FEATURES)


def test_rank_units_finds_a_planted_unit():
    torch.manual_seed(0)
    text = "f(a(b[c]d)e)g {h(i)} j\n" * 20
    activations = 0.3 * torch.randn(2, len(text), 8).tanh()
    depth = torch.tensor(FEATURES["bracket depth"](text))
    activations[1, :, 3] = depth / depth.max() - 0.5
    activations[0, :, 5] = 0.7  # a constant unit
    ranked = rank_units(Trace(text, activations, [], "cell"), "bracket depth", top=4)
    assert len(ranked) == 4
    assert ranked[0][:2] == (1, 3) and ranked[0][2] == pytest.approx(1.0)
    assert all(abs(r) < 0.5 for _, _, r in ranked[1:])
    assert (0, 5, 0.0) in rank_units(Trace(text, activations, [], "cell"), "bracket depth", top=16)

    flat = rank_units(Trace(text, activations, [], "cell"), "inside quotes", top=16)  # no quotes: constant
    assert len(flat) == 16 and all(r == 0.0 for _, _, r in flat)


def test_passage_starts_at_a_line_start():
    text = "".join(f"line {i} " + "x" * (i % 7) + "\n" for i in range(500))
    for seed in range(5):
        piece = passage(text, 300, seed)
        start = text.index(piece)
        assert len(piece) == 300 and (start == 0 or text[start - 1] == "\n")
    assert passage(text, 300, 1) == passage(text, 300, 1)
    assert passage("short\ntext", 300) == "short\ntext"
