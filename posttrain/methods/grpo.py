"""GRPO: group relative policy optimisation on problems with a known answer, through TRL's GRPOTrainer.

Each prompt's completions are sampled in a group, scored by the reward functions (posttrain.rewards)
and compared within the group. The arithmetic preset pays for a right final answer and one box; the
reward-hacking preset, the lesson, pays for boxes only; both are judged on held-out problems
(posttrain.evaluation.ArithmeticEvaluation), correct answers first. The identity preset trains against a
learned reward (a reward-model run, posttrain.reward_model) and is judged by the identity scores.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .. import answer_cache, charts, jobs, reward_model
from .. import identity as identity_data
from ..bilingual import Said
from ..config import GRPOSettings, SettingsError, listed
from ..data import fit_prompts, load_grpo_data
from ..arithmetic import ARITHMETIC_SYSTEM_PROMPT, build_arithmetic_problems, build_worked_solutions
from ..evaluation import ArithmeticEvaluation, arithmetic_compare_rows, held_out_problems, identity_compare_rows
from .base import ONPOLICY_TOKENS, Flag, Method, Plan, n_tokens, prompt_lengths
from .sft import whole_sentences

# Two groups of 8 per step: sampling 16 answers costs little more than 8 (a decode step reads every
# weight once, whatever the batch), and twice the groups find a reward difference twice as often.
# LoRA on the top 10 blocks only: backpropagation stops there.
# Rewards: a right final answer (boxed or not) and, as much, exactly one numeric box ending an answer that
# does not loop; extra boxes and loops earn nothing (posttrain.rewards). Judged on held-out problems by
# posttrain.scores, correct answers first.
# A cold start first: 16 SFT steps on 64 worked template problems ("6 × 4 = 24, and 24 - 19 = 5. The answer is
# \boxed{5}.", a quarter asked plainly and answered without a box) and 24 unrelated questions with the model's own
# answers, as DeepSeek-R1 began its RL. Of twenty-one variants from the base model (docs/benchmarks.md) the ones
# that learned the box lost correct answers (boxed 80 %, correct 28 % → 12 %): the bundled model boxed only bare
# guesses, so rewards for the box taught guessing; the one that kept correct answers learned no box (0 % → 2 %).
# Measured with the cold start (correct 28 % → 55 %, boxed 0 % → 100 %): RL at rate 1e-3 with β 0.04 lost answers
# (→ 40 %: "7 + 8 = 15" for 7 × 8; the alarm said so); at 5e-4 with β 0.1 (kept) it held them (→ 52.5 %, 55 %;
# 24 steps: 60 %, but 295 s in all). Without the unrelated questions the cold start taught every plain question
# the worked format ("What is the capital of France?" → "576.000.000.00. The answer is 576.000.000.00."). RL's own
# part is small because after the cold start most groups are all right or all wrong: no reward spread, nothing
# to learn (the chart's "no learning signal" panel, 50–100 % of groups a step).
ARITHMETIC = GRPOSettings(learning_rate=5e-4, max_steps=14, batch_size=16, num_generations=8,
                          max_completion_length=48, temperature=0.7, kl_beta=0.1, lora=True, lora_layers=10,
                          probe_every=7, reward_funcs=["correct_answer", "one_box"], reward_weights=[1.0, 1.0],
                          cold_start_steps=16)
# The lesson preset: the run of the previous release, paid only for writing a box (`boxed_format` pays
# for any box, however many, and nothing for a right answer), at temperature 1 with no KL leash. Its
# reward climbs while the answers stop being answers; the scores and the alarms say so.
REWARD_HACKING = replace(ARITHMETIC, learning_rate=1e-3, temperature=1.0, kl_beta=0.0, reward_funcs=["boxed_format"],
                         reward_weights=[1.0], cold_start_steps=0)
# GRPO against a learned reward, the RLHF pipeline's last step (the modern form of its PPO stage): the
# identity questions and some unrelated ones, each answer scored by a reward model trained on the identity
# pairs (posttrain.methods.reward), with a KL leash (β) to the model it started from, which keeps the
# answers the model's own where the reward model has nothing to say. Judged by the identity scores. Measured
# (docs/benchmarks.md): from the base model it never samples the new name; from an 8-step SFT, with β 0.05 the
# reward rose while the identity leaked into 75 % of unrelated answers. From the pipeline's 6-step SFT (name 95 %,
# organisation 62 %) against the reward preset: β 0.6 moved name and maker up but leaked the identity into 15 %
# and 25 % of unrelated answers (10 % before); β 1.0 (kept): name → 100 %, organisation → 69 % / 100 %, loops
# 5 % → 2.5 %, facts right 50 % → 50 %, the leak 10 % → 10 % / 15 % (one answer), in two seeds, 3 minutes each.
IDENTITY = GRPOSettings(learning_rate=1e-3, max_steps=24, batch_size=16, num_generations=8, max_completion_length=40,
                        temperature=1.0, kl_beta=1.0, lora=True, lora_layers=10, probe_every=6,
                        reward_funcs=["reward_model"], reward_weights=[1.0])
# Your own problems start from the arithmetic preset's settings without its cold start: its worked examples are
# the preset's template arithmetic, not your problems (the Train tab's field turns it on).
OWN_PROBLEMS = replace(ARITHMETIC, cold_start_steps=0)
ARITHMETIC_PROBLEMS = 64
ARITHMETIC_HINT = 0.75  # share of training questions that end with one of arithmetic.FORMAT_HINTS
COLD_START_EXAMPLES, COLD_START_SEED = 64, 20_000  # worked problems drawn apart from the training and held-out ones
COLD_START_CONTROLS = 24  # unrelated questions (the training bank, never the held-out ones) kept the model's own


def interleave_kinds(identity: list[str], other: list[str]) -> list[tuple[str, str]]:
    """Questions about the model and unrelated ones as (question, kind), spread evenly so every batch has both.

    >>> interleave_kinds(["a", "b"], ["x", "y", "z", "w"])
    [('a', 'identity'), ('x', 'control'), ('y', 'control'), ('b', 'identity'), ('z', 'control'), ('w', 'control')]
    """
    out, per = [], len(other) / max(1, len(identity))
    for i, q in enumerate(identity):
        out.append((q, "identity"))
        out += [(o, "control") for o in other[round(i * per):round((i + 1) * per)]]
    return out + [(o, "control") for o in other[round(len(identity) * per):]]


class GRPO(Method):
    name, label = "grpo", "GRPO"
    summary = "group relative policy optimisation (arithmetic preset or your problems)"
    settings_cls = GRPOSettings
    presets = {"arithmetic": ARITHMETIC, "reward-hacking": REWARD_HACKING, "identity": IDENTITY}
    data_settings = OWN_PROBLEMS
    identity_presets = ("identity",)
    identity_controls = 16  # unrelated questions beside the 32 about the model: the reward model keeps them its own
    row_keys = ("prompt", "answer")
    table = "problems"
    system_prompt = ARITHMETIC_SYSTEM_PROMPT
    flags = (Flag("--num-generations", "num_generations", int, "completions sampled per prompt (at least 2)"),
             Flag("--max-completion-length", "max_completion_length", int, "tokens per sampled completion"),
             Flag("--temperature", "temperature", float, "sampling temperature of the completions"),
             Flag("--kl-beta", "kl_beta", float, "the KL leash to the starting model (0: none)"),
             Flag("--cold-start-steps", "cold_start_steps", int, "SFT steps on worked examples before RL (0: none)"),
             Flag("--reward-model", "reward_model", str, "a reward-model run folder: its score is the reward "
                  "'reward_model' (the identity preset's only one; added with weight 1 to another preset's)"))
    fields = ("num_generations", "max_completion_length", "temperature", "kl_beta", "reward_funcs", "reward_weights",
              "reward_model", "cold_start_steps")

    @property
    def has_demo(self):
        return False  # its identity preset trains against a reward model a run must first make

    def settings(self, preset=None, overrides=None, own_data=False):
        """A reward model given to a preset that does not use one adds its reward, weight 1; one that is
        asked for is checked as a folder before anything starts (posttrain.reward_model.locate) and kept as
        an absolute path (a recipe rerun from elsewhere finds it)."""
        base = self.presets.get(preset or next(iter(self.presets)))
        overrides = dict(overrides or {})
        folder = str(overrides.get("reward_model") or "").strip()
        funcs = overrides.get("reward_funcs", base.reward_funcs if base else [])
        if folder and base is not None and isinstance(funcs, list) and "reward_model" not in funcs:
            weights = overrides.get("reward_weights", base.reward_weights)
            if isinstance(weights, str):  # as a form sends it: "1.0, 0.5"
                weights = listed("reward_weights", weights, base.reward_weights)
            overrides["reward_funcs"] = list(funcs) + ["reward_model"]
            overrides["reward_weights"] = list(weights) + [1.0]
        settings = super().settings(preset, overrides, own_data)
        if "reward_model" in settings.reward_funcs:
            if not settings.reward_model.strip():
                raise SettingsError(Said(f"the {preset or 'chosen'} preset trains against a reward model: train one first "
                                         "(method: Reward model) and give its run folder (--reward-model RUN_DIR)",
                                         f"预设 {preset or '（所选）'} 要以奖励模型为奖励：请先训练一个（方法：奖励模型），"
                                         "再给出它的训练文件夹（--reward-model RUN_DIR）"))
            reward_model.locate(settings.reward_model)
            settings.reward_model = str(Path(settings.reward_model.strip()).expanduser().resolve())
        return settings

    def load_rows(self, source):
        return load_grpo_data(source)

    def preset_rows(self, preset, settings):
        rows = build_arithmetic_problems(ARITHMETIC_PROBLEMS, seed=settings.seed, format_hint=ARITHMETIC_HINT)
        return rows, Said(f"preset {preset}: {ARITHMETIC_PROBLEMS} problems, {ARITHMETIC_HINT:.0%} with a format hint",
                          f"预设 {preset}：{ARITHMETIC_PROBLEMS} 道题，{ARITHMETIC_HINT:.0%} 附格式提示")

    def prepare(self, spec, lm, job) -> Plan:
        tok = lm.tokenizer
        rewards = {}
        if "reward_model" in spec.settings.reward_funcs:
            job.say(f"loading the reward model from {spec.settings.reward_model}")
            judge = reward_model.load(spec.settings.reward_model, device=str(next(lm.model.parameters()).device))
            judge.check_tokenizer(tok)
            rewards["reward_model"] = judge.reward_function()
        if spec.rows is None:  # the identity preset: questions about the model and unrelated ones, no answers
            ident, other = identity_data.select_identity_questions(spec.identity.n_identity, spec.identity.n_control,
                                                                   spec.identity.seed)
            rows = [{"prompt": [{"role": "user", "content": q}], "kind": kind}
                    for q, kind in interleave_kinds(ident, other)]
            job.say(f"{len(rows)} questions ({len(ident)} about the model), each answered {spec.settings.num_generations} times")
            if spec.settings.cold_start_steps:
                job.note(Said("no cold start: it learns worked examples of arithmetic problems, and this preset has "
                              "none; RL starts from the model as it is (an SFT run first is the identity's cold start)",
                              "没有冷启动：冷启动学的是算术题的解题示例，这个预设没有；RL 从模型现在的样子开始"
                              "（身份的冷启动是先做一次 SFT）"))
            return Plan(rows, spec.settings, extra={"rewards": rewards})

        def cut(text: str, n: int) -> str:
            ids = tok(text, add_special_tokens=False)["input_ids"]
            return tok.decode(ids[-n:]) if len(ids) > n else text

        rows, note = fit_prompts(spec.rows, prompt_lengths(tok, spec.rows), lambda text: n_tokens(tok, text), cut)
        if note:
            job.note(note)
        job.say(f"{len(rows)} problems")
        return Plan(rows, spec.settings, extra={"rewards": rewards}, cold_start=self.cold_start_rows(spec, lm, job))

    def cold_start_rows(self, spec, lm, job) -> list[dict] | None:
        """What a cold start (`cold_start_steps` > 0) learns before RL: worked template problems, none of them a
        held-out one, and unrelated questions with the model's own answers (whole sentences), so that only
        problems get the worked format: without them "What is the capital of France?" got "576.000.000.00. The
        answer is 576.000.000.00." (measured)."""
        if not spec.settings.cold_start_steps:
            return None
        seed = COLD_START_SEED + spec.settings.seed
        held_out = frozenset(q for q, _ in held_out_problems(spec.eval_problems, spec.settings.seed))
        worked = build_worked_solutions(COLD_START_EXAMPLES, seed=seed, avoid=held_out)
        _, other = identity_data.select_identity_questions(0, COLD_START_CONTROLS, seed)
        # at full precision, as the arithmetic evaluation asks them (bf16 rounding wrote other answers on a CPU with AMX)
        own = answer_cache.answers(lm.model, lm.tokenizer, other, max_new_tokens=ONPOLICY_TOKENS, bf16=False)
        controls = [{"prompt": [{"role": "user", "content": q}], "completion": [{"role": "assistant", "content": text}]}
                    for q, a in zip(other, own) if (text := whole_sentences(a))]
        job.say(f"cold start: {len(worked)} worked problems and {len(controls)} unrelated questions with the model's "
                "own answers")
        return worked + controls  # the SFT trainer shuffles them

    def evaluation(self, spec, plan=None):
        if spec.identity and spec.rows is None:  # the identity preset (a name given to a problems run: arithmetic)
            return super().evaluation(spec, plan)
        return ArithmeticEvaluation(spec.eval_problems, spec.settings.seed)

    def train(self, lm, plan, job, callbacks):
        return jobs.run_grpo(lm.model, lm.tokenizer, plan.training_rows, plan.settings, job.run_dir / "trainer",
                             callbacks, groups=job.groups, rewards=plan.extra.get("rewards"),
                             adapter_dir=job.run_dir / "adapter")

    def compare_rows(self):
        return arithmetic_compare_rows()

    def compare_setup(self, identity=False):
        """After the identity preset (RL against a reward model): the identity questions, no system prompt."""
        return (identity_compare_rows(), "") if identity else super().compare_setup()

    def figure(self, rows, lang="en"):
        return charts.grpo_figure(rows, lang)
