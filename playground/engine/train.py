"""The training loop, as a generator of events.

AdamW, linear warmup then cosine decay (following max_steps, or the wall clock when only
max_time is set), gradient clipping, stateful truncated BPTT over parallel streams, full
validation evals with carried state, checkpoints that resume bit-exactly on CPU. Under
torchrun, DDP over disjoint shares of the batch's streams (see engine.distributed).

Stopping: closing the generator, Ctrl-C (SIGINT, caught in the main thread), throwing
KeyboardInterrupt into it or ``Steering.stop`` all end training at a step boundary with a
checkpoint saved.
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
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from playground.engine import checkpoint
from playground.engine.allocator import keep_freed_memory
from playground.engine.config import RunConfig, TrainConfig
from playground.engine.distributed import World, gathered, join, total
from playground.engine.data import Dataset, StreamBatches, check_fits, eval_windows
from playground.engine.model import CharRNN, n_params
from playground.engine.sample import sample, streamed
from playground.engine.steering import Steering
from playground.errors import PlaygroundError
from playground.events import (CheckpointSaved, EvalCompleted, Event, RunFinished, RunStarted,
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


@contextlib.contextmanager
def sigint_flag():
    """While active (main thread only), Ctrl-C sets ``flag["set"]`` instead of raising."""
    flag = {"set": False}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum, frame):
        flag["set"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def train(config: RunConfig, dataset: Dataset, checkpoint_dir: Path, *, domain: str = "text",
          run_dir: str = "", resume: dict | None = None, steering: Steering | None = None) -> Iterator[Event]:
    """Train, yielding events; ``resume`` is a loaded checkpoint of this same run, ``steering``
    lets a front end pause, stop, sample now and change the temperature."""
    t = config.train
    device = resolve_device(t.device)
    world = join(device, t.batch_size)
    rows = world.rows(t.batch_size)
    keep_freed_memory()
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    check_fits(dataset, t.batch_size, t.seq_len)
    batches = StreamBatches(dataset.train, t.batch_size, t.seq_len, rows=rows)
    torch.manual_seed(t.seed)
    random.seed(t.seed)
    model = CharRNN(config.model, len(dataset.vocab)).to(device)
    # DDP averages the gradients over ranks; evals, samples and checkpoints use the model itself
    stepper = DistributedDataParallel(model) if world.size > 1 else model
    if t.compile:
        stepper = torch.compile(stepper)
    optimizer = make_optimizer(model, t)
    local_batch = rows.stop - rows.start
    state = model.initial_state(local_batch, device)
    step, elapsed, best_val, loss_sum, loss_count = 0, 0.0, math.inf, 0.0, 0
    if resume is not None:
        model.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        step, elapsed, best_val = resume["step"], resume["elapsed"], resume["best_val"]
        loss_sum, loss_count = resume["loss_sum"], resume["loss_count"]
        batches.cursor = resume["cursor"]
        state = state_from_list(resume["stream_state"], device, rows)
        set_rng_states(resume["rng"])
    checkpoint_every = t.checkpoint_every or t.eval_every
    sample_every = t.eval_every if t.sample_every is None else t.sample_every
    score_every = t.score_every or 0  # the run resolves None from the domain
    last_saved = step

    def save(name: str, weights_only: bool = False) -> CheckpointSaved:
        """A checkpoint to resume from, or (``weights_only``) one only to sample from."""
        path = Path(checkpoint_dir) / name
        payload = {"model": model.state_dict(), "step": step, "vocab": dataset.vocab.to_dict(),
                   "config": config.to_dict(), "domain": domain, "device": device.type}
        if not weights_only:  # every rank takes part: the carried state is gathered
            payload.update({
                "optimizer": optimizer.state_dict(), "elapsed": elapsed, "best_val": best_val,
                "loss_sum": loss_sum, "loss_count": loss_count, "cursor": batches.cursor,
                "stream_state": state_list(state, world), "rng": rng_states()})
        if world.main:
            checkpoint.save(path, payload)
        return CheckpointSaved(step, str(path))

    def steer() -> Iterator[Event]:
        """Honour the front end's requests; while paused, wait (the clock stops)."""
        nonlocal started
        waited_from = time.perf_counter()
        while True:
            if steering.temperature is not None:
                config.sample.temperature = steering.temperature
            if steering.sample_now.is_set():
                steering.sample_now.clear()
                # its own seed: the run's random streams are untouched, so it still resumes exactly
                yield from streamed(model, dataset.vocab, config.sample, secrets.randbelow(2**31), step)
            if not steering.paused.is_set() or steering.stop.is_set() or interrupted["set"]:
                break
            time.sleep(0.05)
        started += time.perf_counter() - waited_from

    yield RunStarted(run_dir=run_dir, domain=domain, config=config.to_dict(), n_params=n_params(model),
                     vocab_size=len(dataset.vocab), step=step,
                     device=device.type + (f" x{world.size}" if world.size > 1 else ""))
    model.train()
    started = time.perf_counter() - elapsed
    reason = stop_reason(t, step, elapsed)
    with sigint_flag() as interrupted:
        try:
            while reason is None:
                if steering is not None:
                    yield from steer()
                    if steering.stop.is_set():
                        reason = "stopped"
                        break
                if interrupted["set"]:
                    reason = "interrupted"
                    break
                tick = time.perf_counter()
                lr = lr_at(t, step, elapsed)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                x, y, reset = batches.next()
                if reset:
                    state = model.initial_state(local_batch, device)
                with autocast(device):
                    _, loss, state = stepper(to_device(x, device), state, to_device(y, device))
                state = detach(state)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if t.grad_clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
                optimizer.step()
                step += 1
                now = time.perf_counter()
                elapsed = now - started
                loss_value = loss.item()
                if world.size > 1:  # the global batch's loss; rank 0's clock and Ctrl-C decide for all
                    votes = total(torch.tensor([loss_value, elapsed * world.main, float(interrupted["set"])],
                                               dtype=torch.float64), world).tolist()
                    loss_value, elapsed, interrupted["set"] = votes[0] / world.size, votes[1], votes[2] > 0
                loss_sum, loss_count = loss_sum + loss_value, loss_count + 1
                done = stop_reason(t, step, elapsed)
                yield StepCompleted(step, loss_value, lr, t.batch_size * t.seq_len / (now - tick), elapsed)

                if step % t.eval_every == 0 or done:
                    stopping = (lambda: interrupted["set"]) if world.size == 1 else (lambda: False)
                    val = evaluate(model, dataset.val, t.batch_size, t.seq_len, device, stopping, world)
                    if interrupted["set"]:
                        reason = "interrupted"
                        break
                    is_best = val < best_val
                    best_val = min(best_val, val)
                    train_loss = loss_sum / loss_count
                    loss_sum, loss_count = 0.0, 0
                    saved = save("best.pt") if is_best else None
                    yield EvalCompleted(step, train_loss, val, is_best)
                    if saved:
                        yield saved
                settings = config.sample
                seed = settings.seed if settings.seed is not None else t.seed + step
                if world.main and sample_every and (step % sample_every == 0 or done):
                    for text in sample(model, dataset.vocab, settings, seed=seed):
                        yield SampleGenerated(step, text, settings.temperature)
                if world.main and score_every and (step % score_every == 0 or done):
                    batch = dataclasses.replace(settings, n=t.score_samples)
                    texts = sample(model, dataset.vocab, batch, seed=seed)
                    snapshot = save(f"scored-{step}.pt", weights_only=True)
                    yield SamplesDrawn(step, texts, settings.temperature, snapshot.path)
                if step % checkpoint_every == 0 or done:
                    last_saved = step
                    yield save("last.pt")
                reason = done
        except KeyboardInterrupt:  # thrown in by a consumer at a yield: a step boundary
            reason = "interrupted"
        except GeneratorExit:
            if step > last_saved:
                save("last.pt")
            raise
    if step > last_saved:
        yield save("last.pt")
    yield RunFinished(step, reason)
