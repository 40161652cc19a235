"""What a run is judged on: the questions asked before and after training, the probes, and the scores.

An `Evaluation` is the task side of a run, whatever the method: `IdentityEvaluation` for a run that
gives the model a new name and maker (SFT or DPO), `ArithmeticEvaluation` for problems with a known
answer (GRPO), and the plain `Evaluation` for the user's data, where nothing is known to check but
what changed and whether answers loop. The pipeline (posttrain.pipeline) asks `before(ask)` before
training, builds `probe(...)` for the timeline and the live `eval/…` rows, and calls `score(rows, ask)`
after; `ask(questions, system)` answers with the model of that moment. `judge_rows` scores the Compare
tab's own questions the same way. Scores come from posttrain.scores (pure, doctested).
"""

from __future__ import annotations

from typing import Callable

from . import answer_cache, banks, bilingual, watch
from . import scores as judge
from .compare import probe_recorder
from .arithmetic import ARITHMETIC_SYSTEM_PROMPT, arithmetic_questions, build_arithmetic_problems
from .answers import normalize_number
from .identity import language_of
from .models import generate_answers

# Before/after answers run to 64 new tokens: the bundled model tends to loop past ~50 tokens, and
# the side-by-side view stays readable.
COMPARE_TOKENS = 64
# Held-out questions judged at every probe (one generation pass with the probe questions), so the charts
# show name / organisation / loops (identity) or correct answers (problems) as training goes.
EVAL_DURING_IDENTITY = ["Which organisation trained you?", "Can you introduce yourself to my class?",
                        "What do people call you?", "你的创造者是谁？", "请向大家介绍一下你自己。", "和我对话的是谁？"]
EVAL_DURING_PROBLEMS = 8
HELD_OUT_SEED = 10_000  # held-out problems are drawn with this seed (+ the run's): never the training ones

Ask = Callable[[list[str], "str | None"], list[str]]


def by_kind(generate: Callable[[list[str], object], list[str]], questions: list[str], kinds: list) -> list[str]:
    """`generate(questions, kind)` called once per kind of question, the answers back in the questions' order.

    An answer must not depend on which other questions were asked beside it. On a CPU with AMX, bf16 generation
    let it: the gated identity edit, which leaves unrelated answers bit-for-bit when they are asked on their own
    (20 of 20, in batches of 10 to 30), changed 9 of 20 when the identity questions were in the same batch, and
    "facts kept" counted a rounding as a fact lost (docs/benchmarks.md). In fp32 mixing changed none.

    >>> by_kind(lambda qs, kind: [q.upper() + str(len(qs)) + kind for q in qs], ["a", "b", "c"], ["x", "y", "x"])
    ['A2x', 'B1y', 'C2x']
    """
    out = [""] * len(questions)
    for idx in kind_batches(kinds):
        for i, answer in zip(idx, generate([questions[i] for i in idx], kinds[idx[0]])):
            out[i] = answer
    return out


def kind_batches(kinds: list) -> list[list[int]]:
    """The batches `by_kind` asks: the places of each kind of question, kinds in the order they first appear.

    >>> kind_batches(["x", "y", "x", None])
    [[0, 2], [1], [3]]
    """
    groups: dict = {}
    for i, kind in enumerate(kinds):
        groups.setdefault(kind, []).append(i)
    return list(groups.values())


def run_batch(kind) -> tuple[str, ...]:
    """The batch an identity run's evaluation asks its questions of `kind` in (`by_kind` over
    `IdentityEvaluation.default_questions`): the Compare tab asks a question of that batch inside it, whatever else
    it asks, so that its answer is the one the run wrote. Two asks of one question in two batches can differ in bf16
    (a presenter saw the untrained model answer "Which company is responsible for building you?" one way on the
    Compare tab and another in the run's side-by-side, bf16 on a CPU with AMX).

    >>> len(run_batch("identity")) == len(banks.EVAL_IDENTITY_QUESTIONS), run_batch("question")
    (True, ())
    """
    return {"identity": tuple(banks.EVAL_IDENTITY_QUESTIONS),
            "unrelated": tuple(banks.EVAL_UNRELATED_QUESTIONS)}.get(kind, ())


EXACT_KINDS = ("problem", "unrelated")


def exact_kind(kind) -> bool:
    """Whether questions of this kind are answered at full precision (fp32 weights), not in bf16:

    - a "problem" is judged for a right result, and bf16 generation halved the bundled model's right answers to
      word problems (posttrain.models);
    - an "unrelated" question is judged for being left as it was (unchanged, facts kept, leak). On a CPU with AMX
      the gated identity edit, whose extra neurons change the shapes of the MLP's products, changed 4 of 6 of these
      answers in bf16 by rounding alone, and kept 6 of 6 (and 20 of 20) in fp32 (docs/benchmarks.md).

    Identity questions stay bf16: the name and maker are judged, and a rounding does not change them.

    >>> exact_kind("problem"), exact_kind("unrelated"), exact_kind("identity"), exact_kind("question")
    (True, True, False, False)
    """
    return kind in EXACT_KINDS


def asks_problems(kinds) -> bool:
    """Whether an evaluation over questions of `kinds` writes all its answers at full precision, its probes too
    (`Evaluation.exact_answers`): it does where problems are asked, so that its correctness chart shows training,
    not a change of precision between its answers."""
    return "problem" in kinds


def exact_for(kind, kinds) -> bool:
    """Whether a run's evaluation over questions of `kinds` answers those of `kind` at full precision: `exact_kind`,
    and every one where problems are asked (`asks_problems`).

    >>> exact_for("identity", ["identity", "unrelated"]), exact_for("question", ["question", "problem"])
    (False, True)
    """
    return exact_kind(kind) or asks_problems(kinds)


class Evaluation:
    """User data with nothing known to check: the held-out identity and unrelated questions, loops and changes."""

    system: str | None = None
    probe_tokens = 32
    # Answers judged for a right result are written at full precision: bf16 generation halved the bundled
    # model's right answers to word problems (posttrain.models.generate_answers); names and loops held.
    exact_answers = False

    def __init__(self, questions: list[str] | None = None, kinds: list[str] | None = None):
        if not questions:
            questions, kinds = self.default_questions()
        self.questions, self.kinds = list(questions), list(kinds or ["question"] * len(questions))
        self.exact_answers = type(self).exact_answers or asks_problems(self.kinds)  # probes too
        self.probe_questions = list(banks.PROBE_QUESTIONS)
        self.live_questions: list[str] = []

    def default_questions(self) -> tuple[list[str], list[str]]:
        other = list(banks.EVAL_UNRELATED_QUESTIONS)
        return other, ["unrelated"] * len(other)

    def live(self, answers: list[str]) -> dict:
        """Scores of the live questions' answers, logged as `eval/<name>` at each probe."""
        return {}

    def asker(self, model, tokenizer, cache: bool = False) -> Ask:
        """`ask(questions, system)` with `model` as it is now: its greedy answers (`cache`: through
        posttrain.answer_cache, for the untrained model), each kind of question in its own batch (`by_kind`)."""
        generate = answer_cache.answers if cache else generate_answers
        kind_of = dict(zip(self.questions, self.kinds))

        def ask(questions, system=None):
            return by_kind(lambda qs, kind: generate(model, tokenizer, qs, system=system, max_new_tokens=COMPARE_TOKENS,
                                                     bf16=not (self.exact_answers or exact_kind(kind))),
                           questions, [kind_of.get(q) for q in questions])

        return ask

    def before(self, ask: Ask) -> list[str]:
        return ask(self.questions, self.system)

    def flip_pairs(self, ask_untrained: Callable[[list[str]], list[str]]) -> list[dict]:
        """The identity flip curve's pairs (posttrain.watch); none when no name is being taught."""
        return []

    def probe(self, tokenizer, job):
        """The probe timeline's `probe(model, step)`, judging the live questions in the same pass."""
        live = dict(judged=self.live_questions, metrics=job.metrics, judge=self.live) if self.live_questions else {}
        return probe_recorder(tokenizer, self.probe_questions, job.probes, system=self.system,
                              max_new_tokens=self.probe_tokens, bf16=not self.exact_answers, **live)

    def score(self, rows: list[dict], ask: Ask) -> dict:
        """The run's own numbers; the changed share and the alarms are added by the pipeline."""
        return loop_scores(rows)


def loop_scores(rows: list[dict]) -> dict:
    """The share of before and after answers that loop (posttrain.scores.is_degenerate)."""
    return {f"degenerate_{when}": round(sum(judge.is_degenerate(r[when]) for r in rows) / max(1, len(rows)), 4)
            for when in ("before", "after")}


def identity_compare_rows(n: int = 6) -> list[list[str]]:
    """Compare's prefilled [question, kind, answer] rows for an identity run: `n` identity and `n` unrelated
    questions, a third of each in Chinese (the bundled model's weaker language, where a new name fails first).

    >>> [(kind, language_of(q)) for q, kind, _ in identity_compare_rows(3)]
    [('identity', 'en'), ('identity', 'en'), ('identity', 'zh'), ('unrelated', 'en'), ('unrelated', 'en'), ('unrelated', 'zh')]
    """
    def some(bank: list[str]) -> list[str]:
        def of(lang: str) -> list[str]:
            return [q for q in bank if language_of(q) == lang]
        return of("en")[:n - n // 3] + of("zh")[:n // 3]

    return [[q, "identity", ""] for q in some(banks.EVAL_IDENTITY_QUESTIONS)] + \
        [[q, "unrelated", " / ".join(banks.EVAL_FACTS.get(q) or [])] for q in some(banks.EVAL_UNRELATED_QUESTIONS)]


class IdentityEvaluation(Evaluation):
    """A new name and maker: name, organisation, loops, leak, facts kept (posttrain.scores.identity_scores)."""

    def __init__(self, name: str, org: str, questions=None, kinds=None):
        self.name, self.org = name, org
        super().__init__(questions, kinds)
        self.live_questions = list(EVAL_DURING_IDENTITY)

    def default_questions(self):
        ident, other = list(banks.EVAL_IDENTITY_QUESTIONS), list(banks.EVAL_UNRELATED_QUESTIONS)
        return ident + other, ["identity"] * len(ident) + ["unrelated"] * len(other)

    def live(self, answers):
        rows = [{"question": q, "kind": "identity", "after": a, "before": a} for q, a in zip(self.live_questions, answers)]
        s = judge.identity_scores(label_identity(rows, self.name, self.org), self.name, self.org)
        return {"name": s["name_after"], "organisation": s["organisation_after"], "degenerate": s["degenerate_after"]}

    def flip_pairs(self, ask_untrained):
        return watch.flip_pairs(ask_untrained, self.name, self.org)

    def score(self, rows, ask):
        return judge.identity_scores(label_identity(rows, self.name, self.org), self.name, self.org)


def label_identity(rows: list[dict], name: str, org: str) -> list[dict]:
    """Each row with what it asks about (identity) or its known answers (unrelated), and its marks."""
    for r in rows:
        if r["kind"] == "identity":
            r["about"] = judge.about_of(r["question"])
        elif r["question"] in banks.EVAL_FACTS:
            r["facts"] = banks.EVAL_FACTS[r["question"]]
        r["marks"] = judge.identity_marks(r, name, org)
    return rows


class PairEvaluation(Evaluation):
    """A reward model, judged on preference pairs it never trained on (posttrain.reward_model). It writes no
    answers: each "question" is a pair's prompt, and its "answer" the model's verdict on that pair, before
    and after training (which side scores higher, and both scores). Scored by `pair_accuracy`: the share
    of pairs whose chosen answer scores higher (a coin's 50 % for the untrained score head)."""

    def __init__(self, pairs: list[dict]):
        self.pairs = list(pairs)
        super().__init__([_last_user(r["prompt"]) for r in self.pairs] or ["(no held-out pairs)"], ["pair"] * max(1, len(self.pairs)))
        self.probe_questions = []
        self.verdicts: list[dict] = []  # each asking's scores, in order: before training, then after

    def asker(self, model, tokenizer, cache: bool = False):
        from .reward_model import RewardModel

        def ask(questions, system=None):
            result = RewardModel(model, tokenizer).pair_accuracy(self.pairs)
            self.verdicts.append(result)
            return [verdict(c, r) for c, r in zip(result["chosen"], result["rejected"])]

        return ask

    def score(self, rows, ask):
        before, after = self.verdicts[0], self.verdicts[-1]
        margin = [c - r for c, r in zip(after["chosen"], after["rejected"])]
        return {"pair_accuracy_before": before["accuracy"], "pair_accuracy": after["accuracy"],
                "pair_margin": round(sum(margin) / max(1, len(margin)), 4), "n_pairs": len(self.pairs),
                "changed": None}


def _last_user(prompt) -> str:
    return prompt if isinstance(prompt, str) else next(m["content"] for m in reversed(prompt) if m["role"] == "user")


def verdict(chosen: float, rejected: float) -> str:
    """A reward model's verdict on one pair, as Compare shows it.

    >>> verdict(1.5, -0.25)
    '✓ prefers the chosen answer (chosen +1.50, rejected -0.25)'
    """
    mark = "✓ prefers the chosen answer" if chosen > rejected else "✗ prefers the rejected answer"
    return f"{mark} (chosen {chosen:+.2f}, rejected {rejected:+.2f})"


def held_out_problems(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(question, answer) of `n` generated problems no training set draws, then the banks' word problems."""
    rows = build_arithmetic_problems(n, seed=HELD_OUT_SEED + seed)
    return [(q, r["answer"]) for q, r in zip(arithmetic_questions(rows), rows)]


def arithmetic_compare_rows(n: int = 6) -> list[list[str]]:
    """Compare's prefilled [question, kind, answer] rows after a problem-solving run."""
    return [[q, "problem", a] for q, a in held_out_problems(n)] + \
        [[q, "problem", a] for q, a in banks.EVAL_WORD_PROBLEMS[:4]]


class ArithmeticEvaluation(Evaluation):
    """Problems with a known answer, with the course's system prompt and asked plainly: correct, boxed, loops; and
    unrelated questions with a known answer, asked plainly: facts right before and after, facts kept (`score` adds
    them to the run's before/after rows, `"plain": True`)."""

    system = ARITHMETIC_SYSTEM_PROMPT
    probe_tokens = 48
    exact_answers = True

    def __init__(self, n_problems: int = 16, seed: int = 0):
        problems = held_out_problems(n_problems, seed) + list(banks.EVAL_WORD_PROBLEMS)  # other wording too
        self.answers = [a for _, a in problems]
        super().__init__([q for q, _ in problems], ["problem"] * len(problems))
        self.plain = list(banks.EVAL_WORD_PROBLEMS)  # asked with no system prompt: ordinary use must not break
        self.facts = [(q, a) for q, a in banks.EVAL_UNRELATED if a]  # asked plainly: what else it knew stays right
        self.probe_questions = self.questions[:2]
        self.live_questions = [q for q, _ in self.plain[:EVAL_DURING_PROBLEMS]]
        self.plain_before: list[str] = []
        self.facts_before: list[str] = []

    def live(self, answers):
        return judge.arithmetic_scores(answers, [a for _, a in self.plain[:EVAL_DURING_PROBLEMS]])

    def before(self, ask):
        before = ask(self.questions, self.system)
        self.plain_before = ask([q for q, _ in self.plain], None)
        self.facts_before = ask([q for q, _ in self.facts], None)
        return before

    def score(self, rows, ask):
        out = judge.judge_problems(rows, self.answers)
        plain_after = ask([q for q, _ in self.plain], None)
        for when, texts in (("before", self.plain_before), ("after", plain_after)):
            for k, v in judge.arithmetic_scores(texts, [a for _, a in self.plain]).items():
                out[f"plain_{k}_{when}"] = v
        out["n_plain"] = len(self.plain)
        if self.facts_before:
            facts_after = ask([q for q, _ in self.facts], None)
            # beside the problems on the Compare tab, marked, so the facts can be read and not only counted
            facts = [{"question": q, "kind": "unrelated", "before": b, "after": a, "changed": a != b, "plain": True,
                      "marks": {"fact": judge.states_fact(a, ok), "fact_before": judge.states_fact(b, ok),
                                "degenerate": judge.is_degenerate(a)}}
                     for (q, ok), b, a in zip(self.facts, self.facts_before, facts_after)]
            out.update(judge.fact_shares([r["marks"] for r in facts]))
            rows += facts
        return out


def judge_rows(rows: list[dict], answers: list[str], name: str | None, org: str | None,
               reward_trend: tuple[float, float] | None = None) -> dict:
    """Mark and score the Compare tab's own before/after rows, as the runs do on theirs.

    `answers[i]` is what row i needs: the number a "problem" asks for, or the accepted answers to an
    "unrelated" question separated by " / ". Problems with a numeric answer get the arithmetic marks
    and scores; identity and unrelated rows, when the model was given a new `name`, the identity ones;
    without either, the loops alone. The changed share and the alarms are added.
    """
    out: dict = {}
    problems = [(r, normalize_number(a)) for r, a in zip(rows, answers) if r["kind"] == "problem"]
    problems = [(r, a) for r, a in problems if a is not None]
    if problems:
        out.update(judge.judge_problems([r for r, _ in problems], [a for _, a in problems]))
    named = [r for r in rows if r["kind"] in ("identity", "unrelated")]
    for r, a in zip(rows, answers):
        accepted = [f.strip() for f in a.split(" / ") if f.strip()]
        if r["kind"] == "unrelated" and accepted:
            r["facts"] = accepted  # a banks question's own answers replace these in label_identity
    if name and named:
        label_identity(named, name, org)
        out.update(judge.identity_scores(named, name, org))
    elif not problems:
        out.update(loop_scores(rows))
    out["changed"] = round(sum(r["changed"] for r in rows) / len(rows), 4)
    return bilingual.file(out, "alarms", judge.alarms(out, reward_trend))
