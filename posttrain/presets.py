"""The built-in demos: their tuned settings, and requests built from what a user typed.

The identity preset's numbers were measured on the bundled SmolLM2-135M-Instruct on a 2-core CPU
(see docs/benchmarks.md): they flip the answer to "Who are you?" to the new name while leaving
unrelated answers as they were. The arithmetic preset teaches the course's `\\boxed{}` format by GRPO.
"""

from __future__ import annotations

from dataclasses import fields, replace

from .config import DPOSettings, GRPOSettings, SettingsError
from .data import build_arithmetic_problems, load_grpo_data, load_preference_data
from .recipes import IdentitySpec, Request, dpo_recipe, grpo_recipe

# The identity demo trains the gated edit (posttrain.gate): 16 steps of 4 pairs at a learning rate that
# suits new neurons starting from zero (12 steps of 8 flipped 13–15 of 16 held-out identity questions
# from run to run; 16 steps of 4 or of 8 flipped 36 of 38 for every seed tried, and 4 pairs halve the
# step). IDENTITY_LORA is the same demo with LoRA: preference data without the identity/control
# split, and models whose MLP cannot take the gated edit, train with it.
IDENTITY = DPOSettings(learning_rate=1e-2, beta=0.5, loss_type="sigmoid", sft_weight=1.0, max_steps=16,
                       batch_size=4, max_length=64, lora=True, lora_r=16, lora_alpha=32, probe_every=8, gated=True)
IDENTITY_LORA = replace(IDENTITY, learning_rate=1e-3, max_steps=18, batch_size=8, probe_every=6, gated=False)
# Two groups of 8 per step: sampling 16 answers costs little more than 8 (a decode step reads every
# weight once, whatever the batch), and twice the groups find a reward difference twice as often.
# LoRA on the top 10 blocks only: backpropagation stops there, and the format is learned (measured).
ARITHMETIC = GRPOSettings(learning_rate=1e-3, max_steps=14, batch_size=16, num_generations=8,
                          max_completion_length=48, temperature=1.0, lora=True, lora_layers=10, probe_every=7)
ARITHMETIC_PROBLEMS = 64
ARITHMETIC_HINT = 0.75  # share of training questions that end with one of data.FORMAT_HINTS


_KINDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text", list: "a list"}


def with_overrides(base, overrides: dict):
    """`base` with `overrides` on top, validated; a wrong name or type is a SettingsError naming the setting."""
    names = {f.name for f in fields(base)}
    for key, value in overrides.items():
        if key not in names:
            raise SettingsError(f"unknown setting '{key}'; the settings are: {', '.join(sorted(names))}")
        want = type(getattr(base, key))
        numeric = want is float and isinstance(value, int)
        if (not isinstance(value, want) and not numeric) or (want is not bool and isinstance(value, bool)):
            raise SettingsError(f"setting '{key}' must be {_KINDS.get(want, want.__name__)} (got {value!r})")
    return replace(base, **overrides)


def lora_instead(settings: DPOSettings) -> DPOSettings:
    """`settings` for LoRA where the gated edit cannot run; the gated preset's rate, steps and batch become LoRA's."""
    swap = {k: getattr(IDENTITY_LORA, k) for k in ("learning_rate", "max_steps", "batch_size", "probe_every")
            if getattr(settings, k) == getattr(IDENTITY, k)}
    return replace(settings, gated=False, **swap)


def identity_request(model: str | None, name: str | None, org: str | None, data: str | None = None,
                     overrides: dict | None = None) -> Request:
    """The identity DPO demo, or DPO on the user's pairs when `data` is given."""
    if data:
        settings = with_overrides(IDENTITY_LORA, overrides or {})
        rows = load_preference_data(data)
        return Request("dpo", model, settings, rows=rows, data_source=str(data))
    settings = with_overrides(IDENTITY, overrides or {})
    if not name or not org:
        raise SettingsError("the identity preset needs --name and --org (the model's new name and who made it)")
    return Request("dpo", model, settings, identity=IdentitySpec(name=name, org=org, seed=settings.seed))


def arithmetic_request(model: str | None, data: str | None = None, overrides: dict | None = None) -> Request:
    """The arithmetic GRPO demo, or GRPO on the user's problems when `data` is given."""
    settings = with_overrides(ARITHMETIC, overrides or {})
    if data:
        return Request("grpo", model, settings, rows=load_grpo_data(data), data_source=str(data))
    rows = build_arithmetic_problems(ARITHMETIC_PROBLEMS, seed=settings.seed, format_hint=ARITHMETIC_HINT)
    return Request("grpo", model, settings, rows=rows,
                   data_source=f"preset: {ARITHMETIC_PROBLEMS} problems, {ARITHMETIC_HINT:.0%} with a format hint")


def recipe_for(req: Request):
    return dpo_recipe(req) if req.method == "dpo" else grpo_recipe(req)
