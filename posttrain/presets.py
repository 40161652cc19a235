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
# 24 steps since the gate opens over the whole answer (name and organisation): the one-sentence answer
# is learned end to end, end of turn included (name 100 %, organisation 92 %, no loops; docs/benchmarks.md).
IDENTITY = DPOSettings(learning_rate=1e-2, beta=0.5, loss_type="sigmoid", sft_weight=1.0, max_steps=24,
                       batch_size=4, max_length=64, lora=True, lora_r=16, lora_alpha=32, probe_every=6, gated=True)
IDENTITY_LORA = replace(IDENTITY, learning_rate=1e-3, max_steps=18, batch_size=8, probe_every=6, gated=False)
# Two groups of 8 per step: sampling 16 answers costs little more than 8 (a decode step reads every
# weight once, whatever the batch), and twice the groups find a reward difference twice as often.
# LoRA on the top 10 blocks only: backpropagation stops there.
# Rewards: a right final answer (boxed or not) and, as much, exactly one numeric box ending an answer that
# does not loop; extra boxes and loops earn nothing (posttrain.rewards). Sampling at 0.7 and a KL leash
# (β 0.04) keep the answers the model's own. Judged on held-out problems by posttrain.scores, correct
# answers first. Of twenty-one variants measured (docs/benchmarks.md) this one kept correct answers
# (28 % → 25 %, asked plainly 25 % → 25 %, no loops) but learned the box rarely (0 % → 2 %); the
# variants that learned the box (up to 80 %) lost correct answers (28 % → 12 %).
ARITHMETIC = GRPOSettings(learning_rate=1e-3, max_steps=14, batch_size=16, num_generations=8,
                          max_completion_length=48, temperature=0.7, kl_beta=0.04, lora=True, lora_layers=10,
                          probe_every=7, reward_funcs=["correct_answer", "one_box"], reward_weights=[1.0, 1.0])
# The lesson preset: the run of the previous release, paid only for writing a box (`boxed_format` pays
# for any box, however many, and nothing for a right answer), at temperature 1 with no KL leash. Its
# reward climbs while the answers stop being answers; the scores and the alarms say so.
REWARD_HACKING = replace(ARITHMETIC, temperature=1.0, kl_beta=0.0, reward_funcs=["boxed_format"], reward_weights=[1.0])
GRPO_PRESETS = {"arithmetic": ARITHMETIC, "reward-hacking": REWARD_HACKING}
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


def arithmetic_request(model: str | None, data: str | None = None, overrides: dict | None = None,
                       preset: str = "arithmetic") -> Request:
    """The arithmetic GRPO demo (`preset` "arithmetic", or "reward-hacking": paid for boxes only), or GRPO
    on the user's problems when `data` is given."""
    if preset not in GRPO_PRESETS:
        raise SettingsError(f"unknown GRPO preset '{preset}'; choose one of: {', '.join(GRPO_PRESETS)}")
    settings = with_overrides(GRPO_PRESETS[preset], overrides or {})
    if data:
        return Request("grpo", model, settings, rows=load_grpo_data(data), data_source=str(data))
    rows = build_arithmetic_problems(ARITHMETIC_PROBLEMS, seed=settings.seed, format_hint=ARITHMETIC_HINT)
    return Request("grpo", model, settings, rows=rows,
                   data_source=f"preset {preset}: {ARITHMETIC_PROBLEMS} problems, {ARITHMETIC_HINT:.0%} with a format hint")


def recipe_for(req: Request):
    return dpo_recipe(req) if req.method == "dpo" else grpo_recipe(req)
