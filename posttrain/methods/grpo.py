"""GRPO: group relative policy optimisation on problems with a known answer, through TRL's GRPOTrainer.

Each prompt's completions are sampled in a group, scored by the reward functions (posttrain.rewards)
and compared within the group. The arithmetic preset pays for a right final answer and one box; the
reward-hacking preset, the lesson, pays for boxes only. Judged on held-out problems
(posttrain.evaluation.ArithmeticEvaluation), correct answers first.
"""

from __future__ import annotations

from dataclasses import replace

from .. import charts, jobs
from ..config import GRPOSettings
from ..data import fit_prompts, load_grpo_data
from ..arithmetic import ARITHMETIC_SYSTEM_PROMPT, build_arithmetic_problems
from ..evaluation import ArithmeticEvaluation, arithmetic_compare_rows
from .base import Flag, Method, Plan, n_tokens, prompt_lengths

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
ARITHMETIC_PROBLEMS = 64
ARITHMETIC_HINT = 0.75  # share of training questions that end with one of arithmetic.FORMAT_HINTS


class GRPO(Method):
    name, label = "grpo", "GRPO"
    summary = "group relative policy optimisation (arithmetic preset or your problems)"
    settings_cls = GRPOSettings
    presets = {"arithmetic": ARITHMETIC, "reward-hacking": REWARD_HACKING}
    row_keys = ("prompt", "answer")
    table = "problems"
    system_prompt = ARITHMETIC_SYSTEM_PROMPT
    flags = (Flag("--num-generations", "num_generations", int, "completions sampled per prompt (at least 2)"),
             Flag("--max-completion-length", "max_completion_length", int, "tokens per sampled completion"))
    fields = ("num_generations", "max_completion_length", "temperature", "kl_beta", "reward_funcs", "reward_weights")

    def load_rows(self, source):
        return load_grpo_data(source)

    def preset_rows(self, preset, settings):
        rows = build_arithmetic_problems(ARITHMETIC_PROBLEMS, seed=settings.seed, format_hint=ARITHMETIC_HINT)
        return rows, f"preset {preset}: {ARITHMETIC_PROBLEMS} problems, {ARITHMETIC_HINT:.0%} with a format hint"

    def prepare(self, spec, lm, job) -> Plan:
        tok = lm.tokenizer

        def cut(text: str, n: int) -> str:
            ids = tok(text, add_special_tokens=False)["input_ids"]
            return tok.decode(ids[-n:]) if len(ids) > n else text

        rows, note = fit_prompts(spec.rows, prompt_lengths(tok, spec.rows), lambda text: n_tokens(tok, text), cut)
        if note:
            job.note(note)
        job.say(f"{len(rows)} problems")
        return Plan(rows, spec.settings)

    def evaluation(self, spec):
        return ArithmeticEvaluation(spec.eval_problems, spec.settings.seed)

    def train(self, lm, plan, job, callbacks):
        return jobs.run_grpo(lm.model, lm.tokenizer, plan.training_rows, plan.settings, job.run_dir / "trainer",
                             callbacks, groups=job.groups, adapter_dir=job.run_dir / "adapter")

    def compare_rows(self):
        return arithmetic_compare_rows()

    def figure(self, rows, lang="en"):
        return charts.grpo_figure(rows, lang)
