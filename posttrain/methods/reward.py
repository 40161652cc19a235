"""Reward model: the middle step of the classic RLHF pipeline, through TRL's RewardTrainer.

Trained on preference pairs (the identity preset's, with pairs whose rejected side answers another
question or names another identity, posttrain.identity.off_topic_pairs / decoy_pairs; pairs made from the room's votes; or the user's file) to give the chosen answer a higher score than the rejected one: the Bradley-Terry loss
−log σ(r(chosen) − r(rejected)). It starts from the loaded model's own body under a new score head
(posttrain.reward_model.from_policy), so it reads text as the policy does, and LoRA keeps it cheap on a
CPU. It is judged on pairs held out of training (`pair_accuracy` in scores.json, a coin's 50 % before);
it writes no answers and leaves the loaded model as it was. A GRPO run then uses it as its reward
(`--reward-model RUN_DIR`, posttrain.methods.grpo's identity preset).
"""

from __future__ import annotations

from .. import charts, jobs
from ..bilingual import Said
from ..config import RewardSettings
from ..data import DataError, hold_out_prompts, load_preference_data
from ..evaluation import PairEvaluation
from ..identity import decoy_pairs, off_topic_pairs
from ..reward_model import from_policy
from .base import Flag, Method, Plan, identity_pairs
from .dpo import pair_lengths

# LoRA on all blocks, the score head trained whole, 32 steps of 8 pairs. A fifth of the pairs are held out,
# whole questions at a time: the pair accuracy is theirs (0.93 on 82 pairs after 80 s of training on 2 cores,
# with the third decoy of identity.decoy_pairs; without it 0.93 on 72 after 112 s on a slower day; 24 steps:
# 0.89). On the top 10 blocks only, training was 40 % faster but accuracy fell by 0.09 (docs/benchmarks.md).
IDENTITY = RewardSettings(max_steps=32)
MIN_PAIRS = 10  # fewer leave too few held-out pairs for an accuracy to mean anything
# The held-out curve while it trains is drawn on this many of the held-out pairs (each judging of all 65 of
# the preset's took 12 s of a 130 s training, measured); the score in scores.json judges all of them.
EVAL_DURING = 24


class Reward(Method):
    name, label, abbrev = "reward", "Reward model", "RM"
    summary = "a reward model on preference pairs (identity preset, votes or your pairs), for GRPO to train against"
    settings_cls = RewardSettings
    presets = {"identity": IDENTITY}
    identity_presets = ("identity",)
    row_keys = ("prompt", "chosen", "rejected")
    makes_policy = False
    flags = (Flag("--max-length", "max_length", int, "tokens per pair; longer pairs are left out"),
             Flag("--eval-share", "eval_share", float, "share of the pairs held out to judge it (0.05 to 0.5)"))
    fields = ("max_length", "eval_share", "center_rewards")

    def load_rows(self, source):
        return load_preference_data(source)

    def prepare(self, spec, lm, job) -> Plan:
        if spec.rows is None:  # the preset: the identity pairs, as many that answer another question, and
            pairs = identity_pairs(lm, spec.identity)  # the new identity against others' (posttrain.identity)
            ident, seed = spec.identity, spec.settings.seed
            rows = pairs + off_topic_pairs(pairs, seed) + decoy_pairs(pairs, ident.name, ident.org, seed)
        else:
            rows = spec.rows
        if len(rows) < MIN_PAIRS:
            raise DataError(Said(f"a reward model needs at least {MIN_PAIRS} preference pairs (got {len(rows)}): some "
                                 "train it, the rest judge it; add pairs, or collect more votes",
                                 f"奖励模型至少需要 {MIN_PAIRS} 个偏好对（当前为 {len(rows)} 个）：一部分用来训练它，"
                                 "其余用来评判它；请添加偏好对，或收集更多投票"))
        limit = spec.settings.max_length
        fits = [p + max(c, r) <= limit for p, c, r in pair_lengths(lm.tokenizer, rows)]
        keep = [r for r, ok in zip(rows, fits) if ok]
        if len(keep) < MIN_PAIRS:
            raise DataError(Said(f"only {len(keep)} of {len(rows)} pairs fit in the max length ({limit} tokens); "
                                 "raise max length or shorten the answers",
                                 f"只有 {len(keep)} 个偏好对（共 {len(rows)} 个）放得进最大长度（{limit} 个 token）；"
                                 "请调大最大长度，或缩短回答"))
        if len(keep) < len(rows):
            out = len(rows) - len(keep)
            job.note(Said(f"{out} of {len(rows)} pairs are longer than the max length ({limit} tokens) and are left "
                          "out (a reward model scores whole answers, so they are not cut)",
                          f"有 {out} 个偏好对（共 {len(rows)} 个）长于最大长度（{limit} 个 token），已被排除"
                          "（奖励模型给整个回答打分，所以不截短）"))
        job.say(f"{len(keep)} preference pairs; the reward model starts from this model with a new score head")
        train, held = hold_out_prompts(keep, spec.settings.eval_share, spec.settings.seed)  # whole questions
        if not held:
            raise DataError(Said("every pair asks the same question, so none can be held out to judge the reward model; "
                                 "add pairs that ask other questions",
                                 "所有偏好对问的都是同一个问题，没法留出一部分来评判奖励模型；请添加问其他问题的偏好对"))
        return Plan(keep, spec.settings, train_rows=train, eval_rows=held,
                    extra={"reward_model": from_policy(lm.model, lm.tokenizer, spec.settings.seed)})

    def evaluation(self, spec, plan=None):
        return PairEvaluation(plan.eval_rows if plan else [])

    def judged(self, lm, plan):
        return plan.extra["reward_model"]

    def train(self, lm, plan, job, callbacks):
        return jobs.run_reward(plan.extra["reward_model"], lm.tokenizer, plan.training_rows, plan.settings,
                               job.run_dir / "trainer", callbacks, eval_rows=(plan.eval_rows or [])[:EVAL_DURING],
                               adapter_dir=job.run_dir / "adapter")

    def figure(self, rows, lang="en"):
        return charts.reward_figure(rows, lang)
