"""A run as a recipe file: the JSON that reruns it headless, on one machine or on N processes.

Every run directory gets a `recipe.json` next to its config.json. It holds what the run needs and
nothing else (posttrain.spec.RunSpec.recipe): method, model, settings, seed, and the data (the identity preset's spec, which is
rebuilt deterministically, or the user's rows inline). `python -m posttrain run recipe.json --out DIR`
reruns it; the same command runs under `torchrun` or `accelerate launch`, where every process runs
the whole recipe and trains data-parallel (the Trainer reads the launcher's environment). Rank 0
writes DIR; rank k writes DIR/rank{k}/, so no process overwrites another's receipt. A recipe never
holds a Hub token: set HF_TOKEN in the environment of the machine that runs it.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from . import methods
from .bilingual import Said, loaded
from .config import SettingsError
from .runs import read_json, write_json
from .spec import IdentitySpec, RunSpec

# The accelerate configs shipped in the repository (recipes/accelerate/); the printed commands use them.
ACCELERATE_CONFIGS = {"ddp": "recipes/accelerate/ddp.yaml", "fsdp": "recipes/accelerate/fsdp.yaml",
                      "deepspeed_zero3": "recipes/accelerate/deepspeed_zero3.yaml"}
_SECRETS = ("token", "hub_token", "hf_token", "use_auth_token")
# Settings added after recipes were first written, and what a recipe without them ran with: a GRPO recipe of
# before the cold start (2026-11-30) reruns without one, though the arithmetic preset has one now.
ABSENT_BEFORE = {"cold_start_steps": 0}


def spec_from_recipe(recipe: dict, base_dir: str | Path | None = None) -> RunSpec:
    """The `RunSpec` a recipe describes; the inverse of `RunSpec.recipe()`.

    A hand-written recipe may give `rows_file` (a .jsonl/.json/.csv/.parquet path, relative to
    `base_dir`, e.g. a run's data.json) instead of inline `rows`; settings it leaves out take the
    method's default preset's values (but those in ABSENT_BEFORE: what runs had before the setting existed), and
    a top-level `seed` wins over `settings.seed`.
    """
    if not isinstance(recipe, dict):
        raise SettingsError(Said("a recipe is a JSON object with at least a method; see a run's recipe.json",
                                 "recipe 是一个至少含 method 的 JSON 对象；可参考任一训练记录里的 recipe.json"))
    secret = sorted(set(recipe) & set(_SECRETS))
    if secret:
        raise SettingsError(Said(f"a recipe never holds a Hub token (found '{secret[0]}'); remove it and set HF_TOKEN "
                                 "in the environment instead",
                                 f"recipe 里绝不能放 Hub 令牌（发现了 '{secret[0]}'）；请删掉它，改在环境变量里设置 HF_TOKEN"))
    method = methods.get(recipe.get("method"))
    overrides = dict(recipe.get("settings") or {})
    if recipe.get("seed") is not None:
        overrides["seed"] = recipe["seed"]
    for key, then in ABSENT_BEFORE.items():  # a recipe written before a setting existed ran without it
        if key in {f.name for f in fields(method.settings_cls)}:
            overrides.setdefault(key, then)
    settings = method.settings(overrides=overrides)
    try:
        identity = IdentitySpec(**recipe["identity"]) if recipe.get("identity") else None
    except TypeError as e:
        raise SettingsError(Said(f"the recipe's identity spec has an unknown field: {e}",
                                 f"recipe 的 identity 里有未知字段：{e}")) from None
    rows = recipe.get("rows")
    if rows is None and recipe.get("rows_file"):
        rows = method.load_rows(Path(base_dir or ".") / recipe["rows_file"])
    if rows is None and not (identity and method.identity_presets):
        raise SettingsError(Said("the recipe has no data: give rows, rows_file or an identity spec",
                                 "recipe 里没有数据：请给出 rows、rows_file 或 identity"))
    if rows is not None:
        method.check_rows(rows)
    try:
        eval_problems = int(recipe.get("eval_problems", 16))
    except (TypeError, ValueError):
        raise SettingsError(Said(f"eval_problems must be a whole number (got {recipe.get('eval_problems')!r})",
                                 f"eval_problems 须为整数（当前为 {recipe.get('eval_problems')!r}）")) from None
    return RunSpec(method.name, recipe.get("model"), settings, identity=identity, rows=rows,
                   data_source=loaded(recipe, "data") or ("preset" if rows is None else "recipe"),
                   preset=recipe.get("preset") if rows is None else None,
                   compare_questions=list(recipe.get("compare_questions") or []),
                   compare_kinds=list(recipe.get("compare_kinds") or []), eval_problems=eval_problems)


def read_recipe(path: str | Path):
    """The `RunSpec` in a recipe file, with a message a person can act on when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise SettingsError(Said(f"the recipe '{path}' was not found; every run folder has one (recipe.json)",
                                 f"找不到 recipe '{path}'；每个训练文件夹里都有一个（recipe.json）"))
    recipe = read_json(path)
    if recipe is None:
        raise SettingsError(Said(f"'{path}' is not valid JSON; give a run's recipe.json",
                                 f"'{path}' 不是有效的 JSON；请给出某次训练的 recipe.json"))
    return spec_from_recipe(recipe, base_dir=path.parent)


def commands(recipe_path: str | Path, out: str = "runs/rerun", nproc: int = 2) -> dict[str, str]:
    """The command lines that rerun a recipe: here, on `nproc` processes, and with each accelerate config.

    Under a launcher `batch_size` is per process: N processes see N times the sequences per step.
    """
    run = f"-m posttrain run {recipe_path} --out {out}"
    lines = {"single": f"python {run}", "torchrun": f"torchrun --standalone --nproc_per_node {nproc} {run}"}
    for name, config in ACCELERATE_CONFIGS.items():
        lines[f"accelerate_{name}"] = f"accelerate launch --config_file {config} --num_processes {nproc} {run}"
    return lines


def write_recipe(run_dir: str | Path, spec: RunSpec) -> dict:
    """Write run_dir/recipe.json (the recipe plus, for people, the commands that rerun it)."""
    path = Path(run_dir) / "recipe.json"
    recipe = {**spec.recipe(), "commands": commands(path)}
    write_json(path, recipe)
    return recipe
