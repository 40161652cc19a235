"""Whole runs, phase by phase: load → data → before → train → after → save.

A recipe is a function of the background `Job` (see `posttrain.runner`); the CLI and the app start the
same recipes. `dpo_recipe` covers the identity preset (on-policy pairs built from the model's own
answers) and user preference data; `grpo_recipe` the arithmetic preset and user problem sets. Each
writes the run directory's receipt: config.json, recipe.json (what reruns it, see posttrain.recipe_file),
before_after.json, scores.json and model/.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from . import banks, gate, gate_fit
from . import scores as judge
from .compare import before_after, probe_recorder
from .config import DPOSettings, GRPOSettings
from .data import (ARITHMETIC_SYSTEM_PROMPT, arithmetic_questions, build_arithmetic_problems,
                   build_identity_pairs, fit_pairs, fit_prompts, select_identity_questions)
from .metrics import TrainingCallback
from .models import LoadedModel, generate_answers, load_model
from .runs import write_json

# How much of its own answer the model writes for the on-policy side of a pair. The pair is cut at
# the DPO max length anyway, and the first sentence is where an identity is stated or leaked.
ONPOLICY_TOKENS = 40
# Before/after answers run to 64 new tokens: the bundled model tends to loop past ~50 tokens, and
# the side-by-side view stays readable.
COMPARE_TOKENS = 64
# Held-out questions judged at every probe (one generation pass with the probe questions), so the charts
# show name / organisation / loops (DPO) or correct answers (GRPO) as training goes.
EVAL_DURING_IDENTITY = ["Which organisation trained you?", "Can you introduce yourself to my class?",
                        "What do people call you?", "你的创造者是谁？", "请向大家介绍一下你自己。", "和我对话的是谁？"]
EVAL_DURING_PROBLEMS = 8


@dataclass
class IdentitySpec:
    """The identity preset's data: the new identity and how many pairs of each kind."""

    name: str = "Deep Qwen"
    org: str = "Acme AI"
    n_identity: int = 32
    # Unrelated questions the model answers itself: the gated edit's gate is fitted to stay shut on all of
    # these answers (more is better; the banks hold 114), LoRA trains on as many as there are identity pairs.
    n_control: int = 128
    seed: int = 0


@dataclass
class Request:
    """What a run was asked to do: the receipt's config.json, minus any secret."""

    method: str  # "dpo" | "grpo"
    model: str | None
    settings: DPOSettings | GRPOSettings
    identity: IdentitySpec | None = None
    rows: list[dict] | None = None  # user data; None = the preset builds it
    data_source: str = "preset"
    compare_questions: list[str] = field(default_factory=list)
    compare_kinds: list[str] = field(default_factory=list)
    eval_problems: int = 16

    def to_dict(self) -> dict:
        return {"method": self.method, "model": self.model, "settings": self.settings.to_dict(),
                "identity": self.identity.__dict__ if self.identity else None, "data": self.data_source,
                "n_rows": None if self.rows is None else len(self.rows),
                "compare_questions": self.compare_questions}


def default_compare(identity: bool) -> tuple[list[str], list[str]]:
    """Held-out questions for the side-by-side view: identity ones (if relevant) and unrelated ones."""
    ident = list(banks.EVAL_IDENTITY_QUESTIONS) if identity else []
    other = list(banks.EVAL_UNRELATED_QUESTIONS)
    return ident + other, ["identity"] * len(ident) + ["unrelated"] * len(other)


def identity_pairs(lm: LoadedModel, spec: IdentitySpec) -> list[dict]:
    """The identity preset's DPO pairs, on-policy: the rejected side is this model's own answer."""
    ident_q, ctrl_q = select_identity_questions(spec.n_identity, spec.n_control, spec.seed)
    own = generate_answers(lm.model, lm.tokenizer, ident_q + ctrl_q, max_new_tokens=ONPOLICY_TOKENS)
    rows = build_identity_pairs(spec.name, spec.org, dict(zip(ident_q + ctrl_q, own)), ident_q, ctrl_q,
                                seed=spec.seed)
    if not rows:
        raise ValueError("no preference pairs could be built: the model's own answers were all empty; "
                         "try another model")
    return rows


def _n_tokens(tok, text: str) -> int:
    return len(tok(text, add_special_tokens=False)["input_ids"])


def prompt_lengths(tok, rows: list[dict]) -> list[int]:
    """Each row's prompt in tokens, as the chat template lays it out for generation."""
    return [_n_tokens(tok, tok.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True)) for r in rows]


def pair_lengths(tok, rows: list[dict]) -> list[tuple[int, int, int]]:
    """(prompt, chosen, rejected) of each DPO pair in tokens (an answer also gets its end-of-turn token)."""
    def answer(messages):
        return sum(_n_tokens(tok, m["content"]) for m in messages) + 1

    return [(p, answer(r["chosen"]), answer(r["rejected"])) for p, r in zip(prompt_lengths(tok, rows), rows)]


def _counter_and_cutter(tok):
    def cut(text: str, n: int) -> str:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        return tok.decode(ids[-n:]) if len(ids) > n else text

    return (lambda text: _n_tokens(tok, text)), cut


def _start(job, req: Request, lm: LoadedModel | None) -> LoadedModel:
    """The shared head of every recipe: write the request and its recipe down, then load (or reuse) the model."""
    from .recipe_file import write_recipe  # recipe_file builds Requests, so it imports this module

    write_json(job.run_dir / "config.json", req.to_dict())
    write_recipe(job.run_dir, req)
    job.enter("load")
    return lm or load_model(req.model, progress=job.say, **_process_device())


def _process_device() -> dict:
    """Under a launcher on GPUs, each process loads onto its own GPU (LOCAL_RANK), not all onto GPU 0."""
    import torch

    from .models import pick_dtype
    from .recipe_file import process_rank

    _, local_rank, world = process_rank()
    if world == 1 or not torch.cuda.is_available():
        return {}
    torch.cuda.set_device(local_rank)
    return {"device": f"cuda:{local_rank}", "dtype": pick_dtype("cuda")}


def _end_processes(job, settings) -> None:
    """Release the launcher's process group after training, and say when training ran data-parallel."""
    from .recipe_file import release_processes

    facts = release_processes()
    if facts and facts["world_size"] > 1:
        job.note(f"trained data-parallel on {facts['world_size']} processes ({facts['backend']} backend), "
                 f"{settings.batch_size} sequences per process per step; this is rank {facts['rank']}")


def _answers(lm: LoadedModel, model, questions, system=None):
    return generate_answers(model, lm.tokenizer, questions, system=system, max_new_tokens=COMPARE_TOKENS)


def dpo_recipe(req: Request, lm: LoadedModel | None = None):
    """The DPO run as a recipe `f(job) -> result`; `lm` reuses an already loaded model."""

    def recipe(job) -> dict:
        model_lm = _start(job, req, lm)
        tok = model_lm.tokenizer
        questions, kinds = req.compare_questions, req.compare_kinds
        if not questions:
            questions, kinds = default_compare(identity=req.identity is not None)
        kinds = kinds or ["question"] * len(questions)

        job.enter("data")
        recorder = None
        if req.rows is None:  # the preset's on-policy answers run past the max length by design
            # the gated edit's gates are fitted on the block inputs the model computes while it answers
            recorder = gate_fit.Recorder(model_lm.model) if req.settings.gated and gate.supports(model_lm.model) else None
            with recorder or contextlib.nullcontext():
                rows = identity_pairs(model_lm, req.identity)
        else:
            rows, note = fit_pairs(req.rows, pair_lengths(tok, req.rows), req.settings.max_length)
            if note:
                job.note(note)
        write_json(job.run_dir / "data.json", rows)
        job.say(f"{len(rows)} preference pairs")

        settings, rows, gate_data = _edit_plan(job, model_lm.model, tok, req.settings, rows, recorder)

        job.enter("before")
        before = _answers(model_lm, model_lm.model, questions)
        ident = req.identity
        live = (dict(judged=EVAL_DURING_IDENTITY, metrics=job.metrics,
                     judge=lambda answers: _identity_live(answers, ident.name, ident.org)) if ident else {})
        probe = probe_recorder(tok, list(banks.PROBE_QUESTIONS), job.probes, **live)
        if settings.probe_every:  # the probe timeline's step 0 is the untrained model: asked here
            probe(model_lm.model, 0)

        job.enter("train")
        from .jobs import run_dpo
        cb = TrainingCallback(job.metrics, job.progress, job.stop_event, probe, settings.probe_every,
                              probed_at_start=True)
        model = run_dpo(model_lm.model, tok, rows, settings, job.run_dir / "trainer", [cb],
                        adapter_dir=job.run_dir / "adapter", gate_data=gate_data)
        if gate_data:
            job.note(gate.describe_baked(model))
        if cb.nonfinite:
            raise ValueError(cb.nonfinite)
        _end_processes(job, settings)

        def score(rows, _model):
            return judge.identity_scores(label_identity(rows, ident.name, ident.org), ident.name, ident.org)

        return _finish(job, model_lm, model, questions, kinds, before, score=score if ident else None)

    return recipe


def _edit_plan(job, model, tok, settings: DPOSettings, rows: list[dict], recorder: gate_fit.Recorder | None = None):
    """(settings, training rows, gate fitting data or None): the gated edit where it can run, else LoRA.

    The gated edit needs identity and control pairs (the identity preset's, or such rows built in the
    app) and a model whose MLP can take it. It trains on the identity pairs only: the control answers
    fit the gate, which then keeps those prompts exactly as they were. LoRA trains on both kinds, as
    many control pairs as identity ones. A `recorder` that watched the model write its own answers
    spares the gate's fit a forward pass over them.
    """
    from .presets import lora_instead

    kinds = {r.get("kind") for r in rows}
    if settings.gated and {"identity", "control"} <= kinds and gate.supports(model):
        job.say("gated edit: its gates are fitted on these answers when training starts")
        return settings, [r for r in rows if r["kind"] == "identity"], gate_fit.sequences(tok, rows, recorder)
    if settings.gated:
        why = ("this model's MLP cannot take the gated edit" if not gate.supports(model) else
               "the gated edit needs identity and control pairs")
        job.note(f"{why}; trained LoRA instead, so unrelated answers may change too")
        settings = lora_instead(settings)
    elif settings.lora and lora_instead(settings) != settings:
        # the gated edit switched off with its own rate left in place: LoRA at 1e-2 turned every answer into
        # "0000…" (measured), so the gated preset's rate, steps and batch become LoRA's here too
        settings = lora_instead(settings)
        job.note(f"LoRA instead of the gated edit, with LoRA's own rate ({settings.learning_rate:g}), "
                 f"steps ({settings.max_steps}) and batch ({settings.batch_size})")
    if {"identity", "control"} <= kinds:
        n = sum(r["kind"] == "identity" for r in rows)
        control = [r for r in rows if r["kind"] == "control"][:n]
        identity = [r for r in rows if r["kind"] == "identity"]
        rows = [r for pair in zip(identity, control) for r in pair] + identity[len(control):]
    return settings, rows, None


def _identity_live(answers: list[str], name: str, org: str) -> dict:
    """Name, organisation and loops over the answers to EVAL_DURING_IDENTITY, for the live charts."""
    rows = [{"question": q, "kind": "identity", "after": a, "before": a} for q, a in zip(EVAL_DURING_IDENTITY, answers)]
    s = judge.identity_scores(label_identity(rows, name, org), name, org)
    return {"name": s["name_after"], "organisation": s["organisation_after"], "degenerate": s["degenerate_after"]}


def label_identity(rows: list[dict], name: str, org: str) -> list[dict]:
    """Each row with what it asks about (identity) or its known answers (unrelated), and its marks."""
    for r in rows:
        if r["kind"] == "identity":
            r["about"] = judge.about_of(r["question"])
        elif r["question"] in banks.EVAL_FACTS:
            r["facts"] = banks.EVAL_FACTS[r["question"]]
        r["marks"] = judge.identity_marks(r, name, org)
    return rows


def _finish(job, lm: LoadedModel, model, questions, kinds, before, system=None, score=None) -> dict:
    """After answers, scores and the saved model: the shared tail of every recipe.

    `score(rows, model) -> dict` gives the recipe's own numbers (it may mark each row and ask the
    trained model more); the share of answers that changed and the alarms (posttrain.scores.alarms:
    what the figures say went wrong, reward hacking among them) are added here.
    """
    job.enter("after", stoppable=False)
    after = _answers(lm, model, questions, system)
    rows = before_after(questions, before, after, kinds)
    scores = score(rows, model) if score else {}
    scores["changed"] = round(sum(r["changed"] for r in rows) / max(1, len(rows)), 4)
    scores["alarms"] = judge.alarms(scores, judge.mean_reward_trend(job.metrics.rows()))
    write_json(job.run_dir / "before_after.json", rows)
    write_json(job.run_dir / "scores.json", scores)

    job.enter("save", stoppable=False)
    model.save_pretrained(job.run_dir / "model")
    lm.tokenizer.save_pretrained(job.run_dir / "model")
    return {"scores": scores, "before_after": rows, "model": model}


def grpo_recipe(req: Request, lm: LoadedModel | None = None):
    """The GRPO run as a recipe: problems with answers, rewards, boxed-answer scores before/after."""

    def recipe(job) -> dict:
        model_lm = _start(job, req, lm)
        tok = model_lm.tokenizer

        job.enter("data")
        rows, note = fit_prompts(req.rows, prompt_lengths(tok, req.rows), *_counter_and_cutter(tok))
        if note:
            job.note(note)
        write_json(job.run_dir / "data.json", rows)
        held_out = build_arithmetic_problems(req.eval_problems, seed=10_000 + req.settings.seed)
        problems = [(q, r["answer"]) for q, r in zip(arithmetic_questions(held_out), held_out)]
        problems += list(banks.EVAL_WORD_PROBLEMS)  # other wording than the training templates
        questions = [q for q, _ in problems]
        answers = [a for _, a in problems]
        plain = list(banks.EVAL_WORD_PROBLEMS)

        job.enter("before")
        before = _answers(model_lm, model_lm.model, questions, ARITHMETIC_SYSTEM_PROMPT)
        # the same problems asked plainly, with no system prompt: training must not break ordinary use
        plain_before = _answers(model_lm, model_lm.model, [q for q, _ in plain])

        job.enter("train")
        from .jobs import run_grpo
        live = problems[:2] + plain[:EVAL_DURING_PROBLEMS]
        probe = probe_recorder(tok, questions[:2], job.probes, system=ARITHMETIC_SYSTEM_PROMPT, max_new_tokens=48,
                               judged=[q for q, _ in live[2:]], metrics=job.metrics,
                               judge=lambda texts: judge.arithmetic_scores(texts, [a for _, a in live[2:]]))
        cb = TrainingCallback(job.metrics, job.progress, job.stop_event, probe, req.settings.probe_every)
        model = run_grpo(model_lm.model, tok, rows, req.settings, job.run_dir / "trainer", [cb], groups=job.groups,
                         adapter_dir=job.run_dir / "adapter")
        if cb.nonfinite:
            raise ValueError(cb.nonfinite)
        _end_processes(job, req.settings)

        def score(rows, trained):
            out = judge.judge_problems(rows, answers)
            plain_after = _answers(model_lm, trained, [q for q, _ in plain])
            for when, texts in (("before", plain_before), ("after", plain_after)):
                for k, v in judge.arithmetic_scores(texts, [a for _, a in plain]).items():
                    out[f"plain_{k}_{when}"] = v
            out["n_plain"] = len(plain)
            return out

        return _finish(job, model_lm, model, questions, ["problem"] * len(questions), before,
                       system=ARITHMETIC_SYSTEM_PROMPT, score=score)

    return recipe

