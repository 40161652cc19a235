"""The processes of one run: alone, or one of N under torchrun / accelerate launch.

Under a launcher every process runs the whole run and trains data-parallel (the Trainer reads the
launcher's environment). Rank 0 writes the run folder DIR; rank k writes DIR/rank{k}/, so no process
overwrites another's receipt.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.distributed as dist

from .models import pick_dtype


def process_rank() -> tuple[int, int, int]:
    """(rank, local rank, world size) from the launcher's environment; (0, 0, 1) when run directly.

    torchrun and accelerate launch both set RANK, LOCAL_RANK and WORLD_SIZE before the Trainer reads them.
    """
    def env(name, default):
        return int(os.environ.get(name) or default)

    return env("RANK", 0), env("LOCAL_RANK", 0), env("WORLD_SIZE", 1)


def process_dir(out: str | Path, rank: int | None = None) -> Path:
    """Where this process writes: `out` for rank 0, `out/rank{k}` for the others."""
    rank = process_rank()[0] if rank is None else rank
    return Path(out) if rank == 0 else Path(out) / f"rank{rank}"


def is_rank_dir(path: Path) -> bool:
    return path.is_dir() and path.name.startswith("rank") and path.name[4:].isdigit()


def process_device() -> dict:
    """load_model's device/dtype: under a launcher on GPUs, each process on its own GPU (LOCAL_RANK), not all on GPU 0."""
    _, local_rank, world = process_rank()
    if world == 1 or not torch.cuda.is_available():
        return {}
    torch.cuda.set_device(local_rank)
    return {"device": f"cuda:{local_rank}", "dtype": pick_dtype("cuda")}


def release_processes() -> dict | None:
    """After training: wait for every rank, release the process group, and say what it was.

    Returns {"rank", "world_size", "backend"}, or None when this process trained alone. What follows
    training (after-answers, merging LoRA, saving) is local to each process, and without a process
    group transformers' `save_pretrained` writes on every rank (with one it writes on rank 0 only), so
    rank k's own model lands in DIR/rank{k}/model. This assumes each rank holds the whole model (DDP);
    a sharded model (FSDP, ZeRO-3) would have to be gathered before the group is released.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return None
    facts = {"rank": dist.get_rank(), "world_size": dist.get_world_size(), "backend": str(dist.get_backend())}
    dist.barrier()
    dist.destroy_process_group()
    return facts


def threads_per_process() -> None:
    """N processes on one machine share its cores: one torch thread each by default, or they oversubscribe."""
    _, _, world = process_rank()
    if world > 1:
        local = int(os.environ.get("LOCAL_WORLD_SIZE") or world)
        os.environ.setdefault("POSTTRAIN_THREADS", str(max(1, len(os.sched_getaffinity(0)) // local)))
