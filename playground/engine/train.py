"""The training loop, as a generator of events.

AdamW, linear warmup then cosine decay (following max_steps, or the wall clock when only
max_time is set), gradient clipping, stateful truncated BPTT over parallel streams, full
validation evals with carried state, checkpoints that resume bit-exactly on CPU. Under
torchrun, DDP over disjoint shares of the batch's streams (see engine.distributed).

Stopping: Ctrl-C (SIGINT) or SIGTERM, caught in the main thread, ``Steering.stop`` and a KeyboardInterrupt
thrown into the generator all request one ``Stop``, which ends training at a step boundary
with a checkpoint saved; closing the generator saves one too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import random
import secrets
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from playground.engine.allocator import keep_freed_memory
from playground.engine.config import RunConfig, TrainConfig
from playground.engine.distributed import World, gathered, join, total
from playground.engine.data import Dataset, StreamBatches, eval_windows
from playground.engine.model import CharRNN, n_params
from playground.engine.sample import Shaping, sample, streamed
from playground.engine.steering import Steering
from playground.engine.threads import CoreShare
from playground.errors import PlaygroundError
from playground.events import (CheckpointSaved, EvalCompleted, EvalStarted, Event, RunFinished, RunStarted,
                               SampleGenerated, SamplesDrawn, StepCompleted)


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise PlaygroundError("--device cuda: CUDA is not available on this machine (use cpu or auto)")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def to_device(batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    """On CUDA, through pinned memory without waiting (the copy overlaps the previous step)."""
    if device.type == "cuda":
        return batch.pin_memory().to(device, non_blocking=True)
    return batch


def autocast(device: torch.device):
    """bf16 autocast on CUDA; plain float32 on CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def progress(t: TrainConfig, step: int, elapsed: float) -> float:
    """How far along the run is, in [0, 1]: by steps, by time, or whichever is further."""
    parts = []
    if t.max_steps is not None:
        parts.append(step / t.max_steps)
    if t.max_time is not None:
        parts.append(elapsed / t.max_time)
    return min(1.0, max(parts))


def lr_at(t: TrainConfig, step: int, elapsed: float) -> float:
    warm = min(1.0, (step + 1) / t.warmup) if t.warmup else 1.0
    cosine = 0.5 * (1 + math.cos(math.pi * progress(t, step, elapsed)))
    return warm * (t.min_lr + (t.lr - t.min_lr) * cosine)


def stop_reason(t: TrainConfig, step: int, elapsed: float) -> str | None:
    if t.max_steps is not None and step >= t.max_steps:
        return "max_steps"
    if t.max_time is not None and elapsed >= t.max_time:
        return "max_time"
    return None


def make_optimizer(model: torch.nn.Module, t: TrainConfig) -> torch.optim.AdamW:
    """Weight decay on matrices (and the embedding), none on biases and peepholes."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": t.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=t.lr, betas=(0.9, 0.99))


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def fresh_at_random(carried, fresh, chance: float):
    """``carried`` with each stream's state replaced by ``fresh`` with probability ``chance``
    (drawn from torch's generator, which checkpoints keep, so a resumed run draws the same)."""
    pairs = list(zip(carried, fresh)) if isinstance(carried, tuple) else [(carried, fresh)]
    restart = (torch.rand(pairs[0][0].shape[1]) < chance).to(pairs[0][0].device)[None, :, None]
    mixed = tuple(torch.where(restart, new, old) for old, new in pairs)
    return mixed if isinstance(carried, tuple) else mixed[0]


def state_list(state, world: World = World()) -> list[torch.Tensor]:
    """The carried state of every stream of the global batch (gathered from all ranks)."""
    return [gathered(s, world, dim=1).cpu() for s in (state if isinstance(state, tuple) else [state])]


def state_from_list(tensors: list[torch.Tensor], device: torch.device, rows: slice = slice(None)):
    """This rank's share of a saved state (any number of ranks may have saved it)."""
    tensors = [s[:, rows].to(device) for s in tensors]
    return tuple(tensors) if len(tensors) == 2 else tensors[0]


@torch.no_grad()
def evaluate(model: CharRNN, data, batch_size: int, seq_len: int, device: torch.device,
             stopping=lambda: False, world: World = World()) -> float:
    """Mean nats/char over every character of ``data``, state carried along each stream;
    with several ranks, each takes every world.size-th stream and the sums are reduced."""
    was_training = model.training
    model.eval()
    sums = torch.zeros(2, dtype=torch.float64, device=device)  # loss, characters
    state = None
    for x, y in eval_windows(data, batch_size, seq_len):
        if stopping():
            break
        x, y = x[world.rank::world.size].to(device), y[world.rank::world.size].to(device)
        if len(x):
            with autocast(device):
                logits, _, state = model(x, state)
            sums[0] += F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), ignore_index=-1, reduction="sum")
            sums[1] += (y != -1).sum()
    model.train(was_training)
    total(sums, world)
    return (sums[0] / sums[1].clamp(min=1)).item()


def rng_states() -> dict:
    version, internal, gauss = random.getstate()
    states = {"torch": torch.get_rng_state(), "python": [version, list(internal), gauss]}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


class Stop:
    """The one way a run stops early: Ctrl-C, a front end's stop, or a KeyboardInterrupt
    thrown in all ``request`` it here. The loop settles it into ``reason`` (at once in one
    process; under DDP when the ranks vote, so that they all stop at the same step) and ends
    at its next step boundary."""

    def __init__(self) -> None:
        self.asked: str | None = None
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        self.asked = self.asked or reason


@contextlib.contextmanager
def signals_stop(stop: Stop):
    """While active (main thread only), Ctrl-C (SIGINT) and SIGTERM request a stop instead of
    ending the process: the run stops at its next step with a checkpoint saved. (torchrun
    sends its workers SIGTERM when it is interrupted.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.request("interrupted"))  # sets a flag only
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclasses.dataclass
class TrainState:
    """What the loop changes as it goes; a checkpoint carries all of it, to resume exactly."""

    model: CharRNN
    optimizer: torch.optim.Optimizer
    batches: StreamBatches
    carried: Any  # the hidden state of this rank's streams
    step: int = 0
    elapsed: float = 0.0
    best_val: float = math.inf
    loss_sum: float = 0.0  # training loss since the last eval
    loss_count: int = 0
    pending: bool = False  # the step is done, its boundary (eval, samples, checkpoint) not yet

    def restore(self, saved: dict, device: torch.device, rows: slice) -> None:
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.step, self.elapsed, self.best_val = saved["step"], saved["elapsed"], saved["best_val"]
        self.loss_sum, self.loss_count = saved["loss_sum"], saved["loss_count"]
        self.batches.cursor, self.pending = saved["cursor"], saved.get("pending", False)
        self.carried = state_from_list(saved["stream_state"], device, rows)
        set_rng_states(saved["rng"])

    def resumable(self, world: World) -> dict:
        """The rest of a checkpoint to resume from (every rank takes part: the state is gathered)."""
        return {"optimizer": self.optimizer.state_dict(), "elapsed": self.elapsed, "best_val": self.best_val,
                "loss_sum": self.loss_sum, "loss_count": self.loss_count, "cursor": self.batches.cursor,
                "pending": self.pending,
                "stream_state": state_list(self.carried, world), "rng": rng_states()}


Saver = Callable[[str, int, dict], str]  # (kind, step, payload) -> the path it was saved to


def train(config: RunConfig, dataset: Dataset, save: Saver, *, domain: str = "text", run_dir: str = "",
          resume: dict | None = None, steering: Steering | None = None, shaping: Shaping = Shaping(),
          world: World | None = None, stop: Stop | None = None) -> Iterator[Event]:
    """Train, yielding events; ``save`` writes a checkpoint of a kind (see run_folder),
    ``resume`` is a loaded checkpoint of this same run, ``steering`` lets a front end pause,
    stop, sample now and change the temperature, ``shaping`` is how the domain shapes samples; ``world``
    is the process group already joined and ``stop`` a Stop the caller may request too."""
    t = config.train
    device = resolve_device(t.device)
    world = world or join(device, t.batch_size)
    keep_freed_memory()
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(t.seed)
    random.seed(t.seed)
    model = CharRNN(config.model, len(dataset.vocab)).to(device)
    rows = world.rows(t.batch_size)
    state = TrainState(model, make_optimizer(model, t), StreamBatches(dataset.train, t.batch_size, t.seq_len, rows=rows),
                       model.initial_state(rows.stop - rows.start, device))
    if resume is not None:
        state.restore(resume, device, rows)
    loop = Loop(config, dataset, save, world, device, domain, steering, shaping, stop or Stop())
    yield RunStarted(run_dir=run_dir, domain=domain, config=config.to_dict(), n_params=n_params(model),
                     vocab_size=len(dataset.vocab), step=state.step,
                     device=device.type + (f" x{world.size}" if world.size > 1 else ""))
    with CoreShare(t.threads) as cores:  # its share of the CPU cores, re-counted as other trainings come and go
        for event in loop.run(state):
            if isinstance(event, StepCompleted):
                cores.adjust()
            yield event


class Loop:
    """The training loop, one method per concern, read top to bottom from ``run``."""

    def __init__(self, config: RunConfig, dataset: Dataset, save: Saver, world: World, device: torch.device,
                 domain: str, steering: Steering | None, shaping: Shaping, stop: Stop):
        self.config, self.t, self.dataset, self.saver = config, config.train, dataset, save
        self.world, self.device, self.domain, self.steering, self.shaping = world, device, domain, steering, shaping
        self.stop = stop
        self.last_saved = 0

    def run(self, state: TrainState) -> Iterator[Event]:
        t = self.t
        # DDP averages the gradients over ranks; evals, samples and checkpoints use the model itself
        stepper = DistributedDataParallel(state.model) if self.world.size > 1 else state.model
        stepper = torch.compile(stepper) if t.compile else stepper
        self.last_saved, started = state.step, time.perf_counter() - state.elapsed
        state.model.train()
        reason = None
        with signals_stop(self.stop):
            try:
                while not self.stopping():
                    if state.pending:  # the last step's eval, samples and checkpoint (first thing on a resume)
                        yield from self.boundary(state)
                        continue
                    reason = stop_reason(t, state.step, state.elapsed)
                    if reason:
                        break
                    started += yield from self.steer(state)
                    if not self.stopping():
                        yield self.train_step(state, stepper, started)
                        state.pending = True
            except KeyboardInterrupt:  # thrown in by a consumer at a yield: this process stops here
                self.stop.reason = self.stop.reason or "interrupted"
            except GeneratorExit:  # closed: save what it has, quietly
                if state.step > self.last_saved:
                    self.save("last", state)
                raise
            except Exception:  # a failure beside training (a plugin's post-processing, say): keep the steps
                if state.step > self.last_saved:
                    with contextlib.suppress(Exception):  # the failure may be the disk itself
                        self.save("last", state)
                raise
        if state.step > self.last_saved:
            yield self.save("last", state)
        yield RunFinished(state.step, reason or self.stop.reason)

    def stopping(self) -> bool:
        """Whether to stop now. In one process, as soon as a stop is asked for; under DDP only
        once the ranks have voted on it (in ``train_step``), so that they agree."""
        if self.steering is not None and self.steering.stop.is_set():
            self.stop.request("stopped")
        if self.world.size == 1:
            self.stop.reason = self.stop.asked
        return self.stop.reason is not None

    def boundary(self, state: TrainState) -> Iterator[Event]:
        """What follows a step: the eval, the samples and the checkpoint. A stop during the
        eval cuts it short; the step's boundary then stays pending in the checkpoint, and the
        resumed run does it first, so a stopped run resumes exactly."""
        done = stop_reason(self.t, state.step, state.elapsed)
        yield from self.evaluate(state, done)
        if self.stopping():
            return
        yield from self.sample(state, done)
        state.pending = False
        yield from self.checkpoint(state, done)

    def steer(self, state: TrainState) -> Generator[Event, None, float]:
        """Honour the front end's requests; while paused, wait. Returns the seconds waited
        (the run's clock stops while it is paused)."""
        steering = self.steering
        if steering is None:
            return 0.0
        waited_from = time.perf_counter()
        while True:
            if steering.temperature is not None:
                self.config.sample.temperature = steering.temperature
            if steering.guided is not None and self.shaping.guide is not None:
                self.config.sample.guided = self.t.score_guided = steering.guided
            if steering.sample_now.is_set():
                steering.sample_now.clear()
                # its own seed: the run's random streams are untouched, so it still resumes exactly
                yield from streamed(state.model, self.dataset.vocab, self.config.sample, secrets.randbelow(2**31),
                                    state.step, self.shaping)
            if not steering.paused.is_set() or self.stopping():
                return time.perf_counter() - waited_from
            time.sleep(0.05)

    def train_step(self, state: TrainState, stepper, started: float) -> StepCompleted:
        t, device, world = self.t, self.device, self.world
        tick = time.perf_counter()
        lr = lr_at(t, state.step, state.elapsed)
        for group in state.optimizer.param_groups:
            group["lr"] = lr
        x, y, reset = state.batches.next()
        if reset:
            state.carried = state.model.initial_state(len(x), device)
        elif t.state_resets:
            state.carried = fresh_at_random(state.carried, state.model.initial_state(len(x), device), t.state_resets)
        with autocast(device):
            _, loss, carried = stepper(to_device(x, device), state.carried, to_device(y, device))
        state.carried = detach(carried)
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if t.grad_clip:
            torch.nn.utils.clip_grad_norm_(state.model.parameters(), t.grad_clip)
        state.optimizer.step()
        state.step += 1
        now = time.perf_counter()
        state.elapsed, loss_value = now - started, loss.item()
        if world.size > 1:  # the global batch's loss; rank 0's clock, and a stop asked on any rank, for all
            asked = float(self.stop.asked is not None)
            votes = total(torch.tensor([loss_value, state.elapsed * world.main, asked], dtype=torch.float64),
                          world).tolist()
            loss_value, state.elapsed = votes[0] / world.size, votes[1]
            if votes[2] > 0:
                self.stop.reason = self.stop.asked or "interrupted"
        state.loss_sum, state.loss_count = state.loss_sum + loss_value, state.loss_count + 1
        return StepCompleted(state.step, loss_value, lr, t.batch_size * t.seq_len / (now - tick), state.elapsed)

    def evaluate(self, state: TrainState, done: str | None) -> Iterator[Event]:
        t = self.t
        if state.step % t.eval_every and not done:
            return
        yield EvalStarted(state.step)
        stopping = self.stopping if self.world.size == 1 else (lambda: False)
        val = evaluate(state.model, self.dataset.val, t.batch_size, t.seq_len, self.device, stopping, self.world)
        if self.stopping():  # cut short: the boundary stays pending
            return
        is_best = val < state.best_val
        state.best_val = min(state.best_val, val)
        train_loss = state.loss_sum / state.loss_count
        state.loss_sum, state.loss_count = 0.0, 0
        saved = self.save("best", state) if is_best else None
        yield EvalCompleted(state.step, train_loss, val, is_best)
        if saved:
            yield saved

    def sample(self, state: TrainState, done: str | None) -> Iterator[Event]:
        """The printed samples, and the batch drawn for a validity measurement (only rank 0 samples)."""
        t, settings, step = self.t, self.config.sample, state.step
        sample_every = t.eval_every if t.sample_every is None else t.sample_every
        seed = t.seed + step  # the run's seed decides its samples too
        if not self.world.main:
            return
        if sample_every and (step % sample_every == 0 or done):
            for text in sample(state.model, self.dataset.vocab, settings, seed, self.shaping):
                yield SampleGenerated(step, text, settings.temperature)
        if t.score_every and (step % t.score_every == 0 or done):
            scored = dataclasses.replace(settings, n=t.score_samples,
                                         temperature=t.score_temperature or settings.temperature)
            texts = sample(state.model, self.dataset.vocab, dataclasses.replace(scored, guided=False), seed,
                           self.shaping)
            snapshot = self.save("scored", state, resumable=False)
            yield SamplesDrawn(step, texts, scored.temperature, snapshot.path)
            if t.score_guided:  # from the same weights and seed: the guide's gain, side by side
                texts = sample(state.model, self.dataset.vocab, dataclasses.replace(scored, guided=True), seed,
                               self.shaping)
                yield SamplesDrawn(step, texts, scored.temperature, snapshot.path, guided=True)

    def checkpoint(self, state: TrainState, done: str | None) -> Iterator[Event]:
        if state.step % (self.t.checkpoint_every or self.t.eval_every) == 0 or done:
            yield self.save("last", state)

    def save(self, kind: str, state: TrainState, resumable: bool = True) -> CheckpointSaved:
        """A checkpoint to resume from, or (not ``resumable``) one only to sample from."""
        payload = {"model": state.model.state_dict(), "step": state.step, "vocab": self.dataset.vocab.to_dict(),
                   "config": self.config.to_dict(), "domain": self.domain, "device": self.device.type}
        if resumable:
            payload.update(state.resumable(self.world))
        if kind == "last":
            self.last_saved = state.step
        return CheckpointSaved(state.step, self.saver(kind, state.step, payload), kind)
