"""Sampling: n streams as one batch, streamed a character per step.

Temperature, top-k, top-p (nucleus), argmax, a prime text, a stop string, a number of
units to stop after, a warm start on real text, a guide (``guided``: each step masks the
characters the domain's guide rules out, before temperature, top-k and top-p), and a seed:
the same seed gives the same samples. Each sample's negative log-likelihood under the model
itself (unmasked, at temperature 1) is kept, to show what a guide costs. Steps go through ``CharRNN.step`` (single-cell steps)
with oneDNN off, the fastest way found to step at small batch on CPU (bench/sample_speed.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from playground.engine.allocator import keep_freed_memory
from playground.engine.config import SampleConfig
from playground.engine.data import Vocab
from playground.engine.guidance import BatchGuide, Guidance
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


@dataclass(frozen=True)
class Shaping:
    """What a domain tells sampling, as plain callables (the engine knows no domains)."""

    finish: Callable[[str], str] = str  # post-processing, applied to every sample last
    cut: Callable[[str], str] = str  # a sample that reached its length: cut after its last complete unit
    count: Callable[[str], int] | None = None  # complete units in a text (for ``units``)
    warmups: Sequence[str] = ()  # real texts ending at a unit boundary, all the same length
    guide: BatchGuide | None = None  # what may come next (for ``guided``)

    def shaped(self, text: str, capped: bool) -> str:
        return self.finish(self.cut(text) if capped else text)


class Generation:
    """The ``cfg.n`` samples, generated as one batch. Iterating yields, per step, the new text
    of each sample ('' when it has none); the first yield is the prime. Joining a sample's
    pieces gives its text without the stop string. A sample ends at the stop string, after
    ``cfg.units`` complete units, or after ``cfg.length`` generated characters: then
    ``capped[i]`` is True. Guided, a sample also ends where its guide allows none of the
    model's characters: then ``stuck[i]`` is True too. ``nll[i]`` is the sum of the negative
    log-likelihoods of its characters under the model, ``chars[i]`` their number."""

    def __init__(self, model: CharRNN, vocab: Vocab, cfg: SampleConfig, seed: int, shaping: Shaping = Shaping()):
        check_prime(vocab, cfg.prime)
        if cfg.guided and shaping.guide is None:
            raise PlaygroundError("this domain has no guide: sample without --guided")
        self.model, self.vocab, self.cfg, self.seed, self.shaping = model, vocab, cfg, seed, shaping
        self.capped, self.stuck = [False] * cfg.n, [False] * cfg.n
        self.nll, self.chars = [0.0] * cfg.n, [0] * cfg.n

    @property
    def nll_per_char(self) -> list[float | None]:
        return [nll / chars if chars else None for nll, chars in zip(self.nll, self.chars)]

    def __iter__(self) -> Iterator[list[str]]:
        keep_freed_memory()
        was_training = self.model.training
        self.model.eval()
        try:
            # small-batch steps are memory-bound: oneDNN's path costs more than it gives there
            with torch.backends.mkldnn.flags(enabled=False, allow_tf32=None):  # None: leave TF32 alone
                yield from self._steps()
        finally:
            self.model.train(was_training)

    def _start(self, device: torch.device, generator: torch.Generator) -> torch.Tensor:
        """Each sample's first input: a warm-up text the model has every character of (when warm)
        and the prime, or a newline."""
        vocab, cfg = self.vocab, self.cfg
        warmups = [w for w in self.shaping.warmups if not vocab.unknown(w)] if cfg.warm else []
        prime = vocab.encode(cfg.prime)
        if not warmups:
            return torch.tensor([prime or [vocab.index.get("\n", 0)]] * cfg.n, device=device)
        picks = torch.randint(len(warmups), (cfg.n,), generator=generator, device=device).tolist()
        return torch.tensor([vocab.encode(warmups[i]) + prime for i in picks], device=device)

    def _ended(self, text: str, primed: int) -> bool:
        units, count = self.cfg.units, self.shaping.count
        return bool(units and count and text.endswith("\n") and count(self.cfg.prime + text) - primed >= units)

    @torch.no_grad()
    def _steps(self) -> Iterator[list[str]]:
        model, vocab, cfg = self.model, self.vocab, self.cfg
        device = next(model.parameters()).device
        generator = torch.Generator(device).manual_seed(self.seed)
        logits, _, state = model(self._start(device, generator))
        logits = logits[:, -1].float()
        never_trained = None if vocab.capped else vocab.unk  # <unk> only when it stood for something
        yield [cfg.prime] * cfg.n
        stop = cfg.stop or ""
        hold = max(len(stop) - 1, 0)
        primed = self.shaping.count(cfg.prime) if cfg.units and self.shaping.count else 0
        texts, emitted = [""] * cfg.n, [0] * cfg.n
        done = [False] * cfg.n
        guidance = Guidance(self.shaping.guide, vocab, cfg.prime, cfg.n, cfg.length, device) if cfg.guided else None
        for _ in range(cfg.length):
            if never_trained is not None:
                logits[:, never_trained] = float("-inf")
            nxt, stuck, nll = self._pick(logits, guidance, generator)
            tokens = nxt.tolist()
            for i, token in enumerate(tokens):
                if stuck[i] and not done[i]:
                    done[i] = self.stuck[i] = True
                elif not done[i]:
                    self.nll[i] += nll[i]
                    self.chars[i] += 1
                    done[i] = self._take(i, token, texts, primed)
            pieces = self._pieces(texts, emitted, done, hold)
            yield pieces
            if all(done):
                break
            if guidance is not None:
                guidance.advance(tokens, [i for i in range(cfg.n) if not done[i]])
            logits, state = model.step(nxt, state)
            logits = logits.float()
        self.capped = [not d or s for d, s in zip(done, self.stuck)]
        if hold and not all(done):
            yield [text[e:] for text, e in zip(texts, emitted)]

    def _pick(self, logits: torch.Tensor, guidance: Guidance | None,
              generator: torch.Generator) -> tuple[torch.Tensor, list[bool], list[float]]:
        """Each stream's next token (the guide's masks first), which streams are stuck (their
        guide allows nothing), and each token's negative log-likelihood under the model."""
        stuck = [False] * self.cfg.n
        masked = logits
        if guidance is not None:
            allowed = guidance.masks()
            none = ~allowed.any(dim=-1)
            stuck = none.tolist()
            masked = logits.masked_fill(~(allowed | none[:, None]), float("-inf"))
        if self.cfg.argmax:
            nxt = masked.argmax(dim=-1)
        else:
            probs = filter_logits(masked / self.cfg.temperature, self.cfg.top_k, self.cfg.top_p).softmax(dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        nll = -logits.log_softmax(dim=-1).gather(1, nxt[:, None]).squeeze(1)
        return nxt, stuck, nll.tolist()

    def _take(self, i: int, token: int, texts: list[str], primed: int) -> bool:
        """Stream ``i`` takes ``token``; whether its sample has ended (at the stop string, which
        is then dropped, or after its units)."""
        texts[i] += self.vocab.decode([token])
        stop = self.cfg.stop or ""
        if stop and texts[i].endswith(stop):
            texts[i] = texts[i][: -len(stop)]
            return True
        return self._ended(texts[i], primed)

    @staticmethod
    def _pieces(texts: list[str], emitted: list[int], done: list[bool], hold: int) -> list[str]:
        """Each stream's text since the last step, holding back what could still turn out to be
        the start of the stop string."""
        pieces = []
        for i, text in enumerate(texts):
            end = len(text) if done[i] else max(emitted[i], len(text) - hold)
            pieces.append(text[emitted[i]:end])
            emitted[i] = end
        return pieces


def streamed(model: CharRNN, vocab: Vocab, cfg: SampleConfig, seed: int, step: int = 0,
             shaping: Shaping = Shaping()) -> Iterator[Event]:
    """One sample (of ``cfg``, n=1) as events: a SampleStreamed per piece as it is generated,
    then the whole text, shaped, as an on-demand SampleGenerated."""
    text, generation = "", Generation(model, vocab, dataclasses.replace(cfg, n=1), seed, shaping)
    for pieces in generation:
        text += pieces[0]
        yield SampleStreamed(step, pieces[0])
    yield SampleGenerated(step, shaping.shaped(text, generation.capped[0]), cfg.temperature, on_demand=True)


def drawn(model: CharRNN, vocab: Vocab, cfg: SampleConfig, seed: int,
          shaping: Shaping = Shaping()) -> tuple[list[str], Generation]:
    """The ``cfg.n`` samples, prime included, each shaped (this module, here and in
    ``streamed``, is the one place where a domain's post-processing is applied), and the
    generation that drew them (``capped``, ``stuck``, ``nll_per_char``)."""
    texts, generation = [""] * cfg.n, Generation(model, vocab, cfg, seed, shaping)
    for pieces in generation:
        texts = [t + p for t, p in zip(texts, pieces)]
    return [shaping.shaped(text, capped) for text, capped in zip(texts, generation.capped)], generation


def sample(model: CharRNN, vocab: Vocab, cfg: SampleConfig, seed: int, shaping: Shaping = Shaping()) -> list[str]:
    """The ``cfg.n`` samples, shaped (see ``drawn``)."""
    return drawn(model, vocab, cfg, seed, shaping)[0]
