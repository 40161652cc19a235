"""The gated edit as a wrapper around DPO: new neurons that open only on questions about the model.

DPO with LoRA moves every answer a little; the gated edit (posttrain.gate, its gates fitted by
posttrain.gate_fit) keeps unrelated answers bit-for-bit. It needs identity and control pairs and a
model whose MLP can take it. `plan` decides, in the data phase, whether it runs (else LoRA, said in a
note); `train` wraps DPO's training call: gates fitted and attached, the blocks below frozen and
memoised, `jobs.run_dpo` on the identity pairs only, the neurons baked into the returned model.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from .. import cpu, gate, gate_fit, jobs
from ..bilingual import Said
from ..config import DPOSettings
from ..data import hold_out
from ..frozen import FrozenBlocks
from .base import Plan, interleave

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


def lora_instead(settings):
    """`settings` for LoRA where the gated edit cannot run; the gated preset's rate, steps and batch become LoRA's."""
    swap = {k: getattr(IDENTITY_LORA, k) for k in ("learning_rate", "max_steps", "batch_size", "probe_every")
            if getattr(settings, k) == getattr(IDENTITY, k)}
    return replace(settings, gated=False, **swap)


def recording(model, settings):
    """While the model writes its own answers: record the block inputs the gates are fitted on (if gated)."""
    return gate_fit.Recorder(model) if settings.gated and gate.supports(model) else contextlib.nullcontext()


def plan(job, model, tok, settings, rows: list[dict], recorder: gate_fit.Recorder | None = None) -> Plan:
    """The gated edit where it can run, else LoRA.

    It trains on the identity pairs only: the control answers fit the gate, which then keeps those
    prompts exactly as they were. LoRA trains on both kinds, as many control pairs as identity ones.
    A `recorder` that watched the model write its own answers spares the gate's fit a forward pass.
    """
    kinds = {r.get("kind") for r in rows}
    if settings.gated and {"identity", "control"} <= kinds and gate.supports(model):
        job.say("gated edit: its gates are fitted on these answers when training starts")
        # validation pairs are held out here, before the fit: a gate fitted to open on them would have seen them
        train_rows, held = hold_out([r for r in rows if r["kind"] == "identity"], settings.eval_share, settings.seed)
        fitted = [r for r in rows if r["kind"] != "identity"] + train_rows
        return Plan(rows, settings, train_rows=train_rows, eval_rows=held, train=train,
                    extra={"gate_data": gate_fit.sequences(tok, fitted, recorder), "note": job.note})
    if settings.gated:
        why = (Said("this model's MLP cannot take the gated edit", "这个模型的 MLP 无法做门控编辑")
               if not gate.supports(model) else
               Said("the gated edit needs identity and control pairs", "门控编辑需要身份（identity）和对照（control）偏好对"))
        job.note(Said(f"{why}; trained LoRA instead, so unrelated answers may change too",
                      f"{why.zh}；改用 LoRA 训练，所以无关问题的回答也可能改变"))
        settings = lora_instead(settings)
    elif settings.lora and (swapped := lora_instead(settings)) != settings:
        # the gated edit switched off with its own rate left in place: LoRA at 1e-2 turned every answer into
        # "0000…" (measured), so the gated preset's rate, steps and batch become LoRA's here too
        settings = swapped
        rate, steps, batch = f"{settings.learning_rate:g}", settings.max_steps, settings.batch_size
        job.note(Said(f"LoRA instead of the gated edit, with LoRA's own rate ({rate}), steps ({steps}) and batch ({batch})",
                      f"用 LoRA 代替门控编辑，并用 LoRA 自己的学习率（{rate}）、步数（{steps}）和批大小（{batch}）"))
    train_rows = None
    if {"identity", "control"} <= kinds:
        train_rows = interleave([r for r in rows if r["kind"] == "identity"],
                                [r for r in rows if r["kind"] == "control"])
    return Plan(rows, settings, train_rows=train_rows)


def train(model, tok, rows, settings, work_dir, callbacks, adapter_dir=None, gate_data=None, note=print,
          eval_rows=None):
    """DPO on the gated edit's new neurons only; they are baked into the returned model as plain MLP neurons
    (`note` says where)."""
    patches = gate.attach(model, gate_fit.fit(model, gate_data, bf16=cpu.bf16_autocast(model)), gate.WIDTH,
                          seed=settings.seed)
    # Below the lowest patch nothing trains: those blocks run once per pair (the reference pass), not every step.
    with FrozenBlocks(model, min(patches)):
        model = jobs.run_dpo(model, tok, rows, replace(settings, lora=False), work_dir, callbacks, eval_rows=eval_rows)
    gate.bake(model, patches)
    note(gate.describe_baked(model))
    return model
