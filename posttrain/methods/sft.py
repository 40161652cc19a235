"""SFT: supervised fine-tuning on (prompt, completion) rows, through TRL's SFTTrainer — the course's first method.

The identity preset learns the chosen side of DPO's identity pairs (posttrain.methods.base.identity_pairs):
"I'm {name}, an AI assistant created by {org}." for questions about the model, and, so unrelated
answers stay the model's own, as many unrelated questions with the model's own answers (each cut
at its last full sentence: SFT learns where an answer ends too). Running the identity demo by SFT
and by DPO on the same name answers the course's question "why not just SFT?" on screen.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .. import charts, jobs
from ..bilingual import Said
from ..config import SFTSettings
from ..data import load_sft_data
from ..identity import language_of
from .base import Flag, Method, Plan, answer_length, identity_pairs, interleave, prompt_lengths

# LoRA on all blocks at 5e-4: SFT moves the whole answer distribution, not only the preference
# between two answers, so it needs neither DPO's sft term nor the gated edit's high rate. At 1e-3 it learned the
# same name and maker but kept 50 % and 75 % of the facts the base model stated (seeds 0 and 1); at 5e-4, 88 % and
# 88 % (docs/benchmarks.md, 2026-12-01).
IDENTITY = SFTSettings(learning_rate=5e-4, max_steps=24, batch_size=8, lora=True, lora_r=16, lora_alpha=32,
                       max_length=128, probe_every=6)
# The RLHF pipeline's first step (posttrain.chain): SFT cut short, so that RL has something left to learn. After
# the full preset RL against the reward model moved nothing a score can see (name and maker already at 100 %);
# after 6 steps (name 95 %, organisation 62 %) it moved the name and the maker (docs/benchmarks.md).
WARM_UP = replace(IDENTITY, learning_rate=1e-3, max_steps=6, probe_every=2)  # the rate its RL runs were measured at
# A cold start before another method trains (GRPO's arithmetic preset): LoRA on all blocks, as the identity preset.
COLD_START = SFTSettings(learning_rate=1e-3, max_steps=16, batch_size=8, lora=True, lora_r=16, lora_alpha=32,
                         max_length=128, probe_every=0)
CONTROLS_PER_IDENTITY = 1
_SENTENCE_END = re.compile(r"^(.*[.!?。！？])", re.DOTALL)


def whole_sentences(text: str) -> str | None:
    """`text` up to its last full sentence, or None when it has none (an answer cut mid-sentence
    would teach the model to stop there).

    >>> whole_sentences("Paris is the capital. It lies on the")
    'Paris is the capital.'
    >>> whole_sentences("巴黎是法国的首都。它位于") , whole_sentences("no end")
    ('巴黎是法国的首都。', None)
    """
    m = _SENTENCE_END.match(text.strip())
    return m.group(1).strip() if m else None


def sft_rows(pairs: list[dict], per_identity: int = CONTROLS_PER_IDENTITY) -> list[dict]:
    """SFT rows `{"prompt", "completion", "kind"}` from identity pairs: identity rows learn the chosen
    answer; control rows (their chosen side is the model's own answer) keep it, cut to whole sentences,
    up to `per_identity` per identity row, interleaved, and in the identity rows' mix of languages as far
    as there are enough: with Chinese identity rows and mostly English controls, every Chinese question
    looked like a question about the model ("意大利的首都是哪里？" → "我是…"; measured)."""
    identity = [{"prompt": r["prompt"], "completion": r["chosen"], "kind": "identity"}
                for r in pairs if r["kind"] == "identity"]
    by_language: dict[str, list[dict]] = {}
    for r in pairs:
        text = whole_sentences(r["chosen"][0]["content"]) if r["kind"] == "control" else None
        if text:
            by_language.setdefault(language_of(r["prompt"][-1]["content"]), []).append(
                {"prompt": r["prompt"], "completion": [{"role": "assistant", "content": text}], "kind": "control"})
    want = per_identity * len(identity)
    quota = {lang: round(want * sum(language_of(r["prompt"][-1]["content"]) == lang for r in identity)
                         / max(1, len(identity))) for lang in by_language}
    control = [r for lang, rows in by_language.items() for r in rows[:quota[lang]]]
    control += [r for lang, rows in by_language.items() for r in rows[quota[lang]:]][:max(0, want - len(control))]
    return interleave(identity, control, per_identity)


class SFT(Method):
    name, label = "sft", "SFT"
    summary = "supervised fine-tuning (identity preset or your prompt/completion rows)"
    settings_cls = SFTSettings
    presets = {"identity": IDENTITY, "warm-up": WARM_UP}
    identity_presets = ("identity", "warm-up")
    identity_controls = 114  # unrelated questions asked; those whose own answer has a full sentence are kept
    row_keys = ("prompt", "completion")
    flags = (Flag("--max-length", "max_length", int, "tokens per row; longer rows are cut to fit"),
             Flag("--eval-share", "eval_share", float, "share of the rows held out for validation (0 to 0.5)"))
    fields = ("max_length", "eval_share")

    def load_rows(self, source):
        return load_sft_data(source)

    def from_pairs(self, rows):
        """SFT learns the chosen side of the pairs table (its completion); the rejected side plays no part."""
        return [r if "completion" in r else {"prompt": r["prompt"], "completion": r["chosen"],
                                             **({"kind": r["kind"]} if "kind" in r else {})} for r in rows]

    def prepare(self, spec, lm, job) -> Plan:
        tok = lm.tokenizer
        rows = sft_rows(identity_pairs(lm, spec.identity)) if spec.rows is None else spec.rows
        lengths = [p + answer_length(tok, r["completion"]) for p, r in zip(prompt_lengths(tok, rows), rows)]
        cut = sum(n > spec.settings.max_length for n in lengths)
        if cut:
            limit = spec.settings.max_length
            job.note(Said(f"{cut} of {len(rows)} rows are longer than the max length ({limit} tokens) and are cut to "
                          "fit (their ends are dropped)",
                          f"有 {cut} 行（共 {len(rows)} 行）长于最大长度（{limit} 个 token），会被截短（去掉结尾）"))
        job.say(f"{len(rows)} rows to learn")
        return Plan(rows, spec.settings)

    def train(self, lm, plan, job, callbacks):
        return jobs.run_sft(lm.model, lm.tokenizer, plan.training_rows, plan.settings, job.run_dir / "trainer",
                            callbacks, adapter_dir=job.run_dir / "adapter", eval_rows=plan.eval_rows)

    def figure(self, rows, lang="en"):
        return charts.sft_figure(rows, lang)


def cold_start(lm, rows: list[dict], steps: int, seed: int, work_dir, callbacks: list):
    """`lm.model` after `steps` SFT steps on `rows` (`{"prompt", "completion"}`), LoRA merged: the start of a
    run whose method trains next. Trained in place, as every job trains its model."""
    return jobs.run_sft(lm.model, lm.tokenizer, rows, replace(COLD_START, max_steps=steps, seed=seed), work_dir, callbacks)
