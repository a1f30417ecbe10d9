"""Data-parallel training with PyTorch's own DistributedDataParallel, launched by torchrun.

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; without them a run is one process. The global
batch is ``batch_size`` streams laid out exactly as in one process; rank r reads its own
contiguous share of them, so W ranks see what one process would, and DDP's gradient average
is the one-process gradient. Only rank 0 writes anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from playground.errors import PlaygroundError


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def rows(self, batch_size: int) -> slice:
        """This rank's streams of the global batch."""
        share = batch_size // self.size
        return slice(self.rank * share, (self.rank + 1) * share)


def launched() -> World:
    """The world torchrun launched this process into (one process without torchrun)."""
    return World(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)))


def join(device: torch.device, batch_size: int) -> World:
    """Join the process group (NCCL on CUDA, gloo on CPU) if torchrun started several ranks."""
    world = launched()
    if world.size == 1:
        return world
    if batch_size % world.size:
        raise PlaygroundError(f"batch_size {batch_size} must be a multiple of the {world.size} processes")
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return world


def leave(finished: bool) -> None:
    """Leave the process group. After a finished run every rank waits for the others first:
    a rank that tore gloo down while rank 0 still wrote its last checkpoint aborted at exit
    now and then ("terminate called without an active exception"). A failed run leaves at
    once, since its peers may never arrive."""
    if dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def total(values: torch.Tensor, world: World) -> torch.Tensor:
    """The sum of ``values`` over every rank (the tensor itself in one process)."""
    if world.size > 1:
        dist.all_reduce(values)
    return values


def gathered(tensor: torch.Tensor, world: World, dim: int) -> torch.Tensor:
    """Every rank's ``tensor`` joined along ``dim``, in rank order."""
    if world.size == 1:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(world.size)]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts, dim)


def barrier(world: World) -> None:
    if world.size > 1:
        dist.barrier()
