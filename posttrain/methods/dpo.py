"""DPO: direct preference optimisation on pairs (prompt, chosen, rejected), through TRL's DPOTrainer.

The identity preset builds its pairs on-policy inside the job (the rejected side is the model's own
answer) and trains the gated edit (posttrain.methods.gated, which wraps this method's training);
on the user's pairs, and on models that cannot take the gated edit, it trains LoRA.
"""

from __future__ import annotations

from .. import charts, jobs
from ..config import LOSS_TYPES, DPOSettings
from ..data import fit_pairs, load_preference_data
from . import gated
from .base import Flag, Method, Plan, answer_length, identity_pairs, prompt_lengths
from .gated import IDENTITY, IDENTITY_LORA


def pair_lengths(tok, rows: list[dict]) -> list[tuple[int, int, int]]:
    """(prompt, chosen, rejected) of each DPO pair in tokens."""
    return [(p, answer_length(tok, r["chosen"]), answer_length(tok, r["rejected"]))
            for p, r in zip(prompt_lengths(tok, rows), rows)]


class DPO(Method):
    name, label = "dpo", "DPO"
    summary = "direct preference optimisation (identity preset or your pairs)"
    settings_cls = DPOSettings
    presets = {"identity": IDENTITY}
    identity_presets = ("identity",)
    data_settings = IDENTITY_LORA
    row_keys = ("prompt", "chosen", "rejected")
    flags = (Flag("--beta", "beta", float, "how far from the reference the policy may move (β)"),
             Flag("--loss", "loss_type", str, "the preference loss", LOSS_TYPES),
             Flag("--max-length", "max_length", int, "tokens per pair; longer pairs are cut to fit"),
             Flag("--eval-share", "eval_share", float, "share of the pairs held out for validation (0 to 0.5)"))
    fields = ("beta", "loss_type", "sft_weight", "label_smoothing", "max_length", "eval_share")

    def load_rows(self, source):
        return load_preference_data(source)

    def prepare(self, spec, lm, job) -> Plan:
        if spec.rows is None:  # the preset's on-policy answers run past the max length by design
            with gated.recording(lm.model, spec.settings) as recorder:
                rows = identity_pairs(lm, spec.identity)
        else:
            recorder = None
            rows, note = fit_pairs(spec.rows, pair_lengths(lm.tokenizer, spec.rows), spec.settings.max_length)
            if note:
                job.note(note)
        job.say(f"{len(rows)} preference pairs")
        return gated.plan(job, lm.model, lm.tokenizer, spec.settings, rows, recorder)

    def train(self, lm, plan, job, callbacks):
        train = plan.train or jobs.run_dpo
        return train(lm.model, lm.tokenizer, plan.training_rows, plan.settings, job.run_dir / "trainer", callbacks,
                     adapter_dir=job.run_dir / "adapter", eval_rows=plan.eval_rows, **plan.extra)

    def implicit_beta(self, settings):
        return settings.beta

    def figure(self, rows, lang="en"):
        return charts.dpo_figure(rows, lang)
