"""A run as a recipe file: the JSON that reruns it headless, on one machine or on N processes.

Every run directory gets a `recipe.json` next to its config.json. It holds what the run needs and
nothing else: method, model, settings, seed, and the data (the identity preset's spec, which is
rebuilt deterministically, or the user's rows inline). `python -m posttrain run recipe.json --out DIR`
reruns it; the same command runs under `torchrun` or `accelerate launch`, where every process runs
the whole recipe and trains data-parallel (the Trainer reads the launcher's environment). Rank 0
writes DIR; rank k writes DIR/rank{k}/, so no process overwrites another's receipt. A recipe never
holds a Hub token: set HF_TOKEN in the environment of the machine that runs it.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from .config import SettingsError
from .runs import read_json

FORMAT = 1
# The accelerate configs shipped in the repository (recipes/accelerate/); the printed commands use them.
ACCELERATE_CONFIGS = {"ddp": "recipes/accelerate/ddp.yaml", "fsdp": "recipes/accelerate/fsdp.yaml",
                      "deepspeed_zero3": "recipes/accelerate/deepspeed_zero3.yaml"}
_SECRETS = ("token", "hub_token", "hf_token", "use_auth_token")


def recipe_of(req) -> dict:
    """The recipe of a `Request` as plain JSON data.

    Keys: format, method ("dpo" | "grpo"), model (None = bundled), seed, settings (every field),
    identity (the preset's spec, or None), rows (the user's or the preset's rows inline, or None
    when the identity preset builds them), data (where the rows came from, for people),
    compare_questions, compare_kinds, eval_problems.
    """
    return {
        "format": FORMAT, "method": req.method, "model": req.model, "seed": req.settings.seed,
        "settings": req.settings.to_dict(), "identity": asdict(req.identity) if req.identity else None,
        "data": req.data_source, "rows": req.rows,
        "compare_questions": list(req.compare_questions), "compare_kinds": list(req.compare_kinds),
        "eval_problems": req.eval_problems,
    }


def request_from_recipe(recipe: dict, base_dir: str | Path | None = None):
    """The `Request` a recipe describes; the inverse of `recipe_of`.

    A hand-written recipe may give `rows_file` (a .jsonl/.json/.csv/.parquet path, relative to
    `base_dir`, e.g. a run's data.json) instead of inline `rows`; settings it leaves out take the
    preset's values, and a top-level `seed` wins over `settings.seed`.
    """
    from . import presets
    from .data import load_grpo_data, load_preference_data
    from .recipes import IdentitySpec, Request

    if not isinstance(recipe, dict):
        raise SettingsError("a recipe is a JSON object with at least a method; see a run's recipe.json")
    secret = sorted(set(recipe) & set(_SECRETS))
    if secret:
        raise SettingsError(f"a recipe never holds a Hub token (found '{secret[0]}'); remove it and set HF_TOKEN "
                            "in the environment instead")
    method = recipe.get("method")
    if method not in ("dpo", "grpo"):
        raise SettingsError(f"the recipe's method must be 'dpo' or 'grpo' (got {method!r})")
    base = presets.IDENTITY if method == "dpo" else presets.ARITHMETIC
    settings = dict(recipe.get("settings") or {})
    if recipe.get("seed") is not None:
        settings["seed"] = recipe["seed"]
    settings = presets.with_overrides(base, settings)
    try:
        identity = IdentitySpec(**recipe["identity"]) if recipe.get("identity") else None
    except TypeError as e:
        raise SettingsError(f"the recipe's identity spec has an unknown field: {e}") from None
    rows = recipe.get("rows")
    if rows is None and recipe.get("rows_file"):
        path = Path(base_dir or ".") / recipe["rows_file"]
        rows = load_preference_data(path) if method == "dpo" else load_grpo_data(path)
    if rows is None and not (method == "dpo" and identity):
        raise SettingsError("the recipe has no data: give rows, rows_file or (DPO) an identity spec")
    needed = ("prompt", "chosen", "rejected") if method == "dpo" else ("prompt", "answer")
    for i, row in enumerate(rows or [], start=1):
        if not isinstance(row, dict) or any(row.get(k) in (None, "", []) for k in needed):
            raise SettingsError(f"row {i} of the recipe needs {', '.join(needed)}; see a run's recipe.json for the shape")
    try:
        eval_problems = int(recipe.get("eval_problems", 16))
    except (TypeError, ValueError):
        raise SettingsError(f"eval_problems must be a whole number (got {recipe.get('eval_problems')!r})") from None
    return Request(method, recipe.get("model"), settings, identity=identity, rows=rows,
                   data_source=recipe.get("data") or ("preset" if rows is None else "recipe"),
                   compare_questions=list(recipe.get("compare_questions") or []),
                   compare_kinds=list(recipe.get("compare_kinds") or []),
                   eval_problems=eval_problems)


def read_recipe(path: str | Path):
    """The `Request` in a recipe file, with a message a person can act on when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise SettingsError(f"the recipe '{path}' was not found; every run folder has one (recipe.json)")
    recipe = read_json(path)
    if recipe is None:
        raise SettingsError(f"'{path}' is not valid JSON; give a run's recipe.json")
    return request_from_recipe(recipe, base_dir=path.parent)


def commands(recipe_path: str | Path, out: str = "runs/rerun", nproc: int = 2) -> dict[str, str]:
    """The command lines that rerun a recipe: here, on `nproc` processes, and with each accelerate config.

    Under a launcher `batch_size` is per process: N processes see N times the sequences per step.
    """
    run = f"-m posttrain run {recipe_path} --out {out}"
    lines = {"single": f"python {run}", "torchrun": f"torchrun --standalone --nproc_per_node {nproc} {run}"}
    for name, config in ACCELERATE_CONFIGS.items():
        lines[f"accelerate_{name}"] = f"accelerate launch --config_file {config} --num_processes {nproc} {run}"
    return lines


def write_recipe(run_dir: str | Path, req) -> dict:
    """Write run_dir/recipe.json (the recipe plus, for people, the commands that rerun it)."""
    from .runs import write_json

    path = Path(run_dir) / "recipe.json"
    recipe = {**recipe_of(req), "commands": commands(path)}
    write_json(path, recipe)
    return recipe


# ------------------------------------------------------------------------------ processes


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


def release_processes() -> dict | None:
    """After training: wait for every rank, release the process group, and say what it was.

    Returns {"rank", "world_size", "backend"}, or None when this process trained alone. What follows
    training (after-answers, merging LoRA, saving) is local to each process, and without a process
    group transformers' `save_pretrained` writes on every rank (with one it writes on rank 0 only), so
    rank k's own model lands in DIR/rank{k}/model. This assumes each rank holds the whole model (DDP);
    a sharded model (FSDP, ZeRO-3) would have to be gathered before the group is released.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return None
    facts = {"rank": dist.get_rank(), "world_size": dist.get_world_size(), "backend": str(dist.get_backend())}
    dist.barrier()
    dist.destroy_process_group()
    return facts
