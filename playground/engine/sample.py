"""Sampling: n streams as one batch, streamed a character per step.

Temperature, top-k, top-p (nucleus), argmax, a prime text, a stop string, and a seed: the
same seed gives the same samples. Steps go through ``CharRNN.step`` (single-cell steps)
with oneDNN off, the fastest way found to step at small batch on CPU (bench/sample_speed.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import torch

from playground.engine.allocator import keep_freed_memory
from playground.engine.config import SampleConfig
from playground.engine.data import Vocab
from playground.engine.model import CharRNN
from playground.errors import PlaygroundError
from playground.events import Event, SampleGenerated, SampleStreamed


def check_prime(vocab: Vocab, prime: str) -> None:
    unknown = vocab.unknown(prime)
    if unknown and not vocab.capped:
        shown = ", ".join(repr(c) for c in unknown[:10])
        raise PlaygroundError(f"prime has characters the model never saw: {shown}")


def filter_logits(logits: torch.Tensor, top_k: int | None, top_p: float | None) -> torch.Tensor:
    """Set logits outside the top k / the top-p nucleus to -inf (the best one always stays)."""
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(dim=-1)
        drop = probs.cumsum(dim=-1) - probs >= top_p  # mass before this one is enough
        logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    return logits


def generate(model: CharRNN, vocab: Vocab, cfg: SampleConfig, seed: int) -> Iterator[list[str]]:
    """Yield, per step, the new text of each of the ``cfg.n`` samples ('' when it has none).

    The first yield is the prime. Joining a sample's pieces gives its text without the stop
    string; a sample ends at the stop string or after ``cfg.length`` generated characters.
    """
    check_prime(vocab, cfg.prime)
    keep_freed_memory()
    was_training = model.training
    model.eval()
    try:
        # small-batch steps are memory-bound: oneDNN's path costs more than it gives there
        with torch.backends.mkldnn.flags(enabled=False, allow_tf32=None):  # None: leave TF32 alone
            yield from _generate(model, vocab, cfg, seed)
    finally:
        model.train(was_training)


@torch.no_grad()
def _generate(model: CharRNN, vocab: Vocab, cfg: SampleConfig, seed: int) -> Iterator[list[str]]:
    device = next(model.parameters()).device
    generator = torch.Generator(device).manual_seed(seed)
    start = vocab.encode(cfg.prime) or [vocab.index.get("\n", 0)]
    idx = torch.tensor([start] * cfg.n, device=device)
    logits, _, state = model(idx)
    logits = logits[:, -1].float()
    never_trained = None if vocab.capped else vocab.unk  # <unk> only when it stood for something
    yield [cfg.prime] * cfg.n
    stop = cfg.stop or ""
    hold = max(len(stop) - 1, 0)
    texts, emitted = [""] * cfg.n, [0] * cfg.n
    done = [False] * cfg.n
    for _ in range(cfg.length):
        if never_trained is not None:
            logits[:, never_trained] = float("-inf")
        if cfg.argmax:
            nxt = logits.argmax(dim=-1)
        else:
            probs = filter_logits(logits / cfg.temperature, cfg.top_k, cfg.top_p).softmax(dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        pieces = []
        for i, token in enumerate(nxt.tolist()):
            if not done[i]:
                texts[i] += vocab.decode([token])
                if stop and texts[i].endswith(stop):
                    texts[i], done[i] = texts[i][: -len(stop)], True
            # hold back what could still turn out to be the start of the stop string
            end = len(texts[i]) if done[i] else max(emitted[i], len(texts[i]) - hold)
            pieces.append(texts[i][emitted[i]:end])
            emitted[i] = end
        yield pieces
        if all(done):
            return
        logits, state = model.step(nxt, state)
        logits = logits.float()
    if hold:
        yield [text[e:] for text, e in zip(texts, emitted)]


def streamed(model: CharRNN, vocab: Vocab, cfg: SampleConfig, seed: int, step: int = 0,
             finish: Callable[[str], str] = str) -> Iterator[Event]:
    """One sample (of ``cfg``, n=1) as events: a SampleStreamed per piece as it is generated,
    then the whole text, post-processed by ``finish``, as an on-demand SampleGenerated."""
    text = ""
    for pieces in generate(model, vocab, dataclasses.replace(cfg, n=1), seed):
        text += pieces[0]
        yield SampleStreamed(step, pieces[0])
    yield SampleGenerated(step, finish(text), cfg.temperature, on_demand=True)


def sample(model: CharRNN, vocab: Vocab, cfg: SampleConfig, seed: int,
           finish: Callable[[str], str] = str) -> list[str]:
    """The ``cfg.n`` finished samples, prime included, each post-processed by ``finish`` (this
    module, here and in ``streamed``, is the one place where a domain's post-processing is applied)."""
    texts = [""] * cfg.n
    for pieces in generate(model, vocab, cfg, seed):
        texts = [t + p for t, p in zip(texts, pieces)]
    return [finish(text) for text in texts]
