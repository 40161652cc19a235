"""A whole run, phase by phase, for any method: load → data → before → train → after → save.

`recipe(spec, lm)` returns the function the background `Job` runs (posttrain.runner); the app, the
CLI, recipe files and the ZeroGPU worker all start runs this way. The pipeline knows no method: the
method (posttrain.methods) prepares the data and trains, its evaluation (posttrain.evaluation) says
what is asked before and after and how it is scored. Each run writes its receipt into the run folder:
config.json, recipe.json (what reruns it, posttrain.recipe_file), data.json, before_after.json,
scores.json and model/.
"""

from __future__ import annotations

from . import answer_cache, bilingual, methods, switches
from . import scores as judge
from .bilingual import Said
from .compare import before_after
from .data import hold_out
from .methods.base import ONPOLICY_TOKENS
from .methods.sft import cold_start
from .metrics import Filed, TrainingCallback
from .models import LoadedModel, load_model
from .processes import process_device, release_processes
from .recipe_file import write_recipe
from .runs import write_json
from .spec import RunSpec
from .watch import Watch


def recipe(spec: RunSpec, lm: LoadedModel | None = None):
    """The run as a recipe `f(job) -> {"scores", "before_after", "model"}`; `lm` reuses a loaded model."""
    method = methods.get(spec.method)

    def run(job) -> dict:
        write_json(job.run_dir / "config.json", spec.config())
        write_recipe(job.run_dir, spec)
        if spec.trained_on:
            chain = ' → '.join(spec.trained_on)
            job.note(Said(f"trains on top of {chain}: the model those runs left, not the base model "
                          "(in the app: Model tab, Reset to the base model)",
                          f"在 {chain} 之上继续训练：用的是这些训练留下的模型，不是基础模型"
                          "（在应用里：「模型」页，重置为基础模型）"))
        served = answer_cache.tally()  # the untrained model's answers the cache serves in the data and before phases
        job.enter("load")
        model_lm = lm or load_model(spec.model, progress=job.say, **process_device())
        tok = model_lm.tokenizer

        job.enter("data")
        plan = method.prepare(spec, model_lm, job)
        share = getattr(plan.settings, "eval_share", 0.0)
        if share and plan.eval_rows is None:  # a method may hold rows out itself (the gated edit: before its fit)
            plan.train_rows, plan.eval_rows = hold_out(plan.training_rows, share, plan.settings.seed)
        if share:
            held, rows = len(plan.eval_rows or []), len(plan.training_rows) + len(plan.eval_rows or [])
            job.note(Said(f"{held} of {rows} rows are held out for validation: their loss is measured, never trained on",
                          f"{rows} 行中留出 {held} 行做验证：只测它们的损失，从不在上面训练") if held else
                     Said("too few rows to hold any out for validation; all of them train",
                          "行数太少，无法留出验证集；全部用于训练"))
        write_json(job.run_dir / "data.json", plan.rows)
        evaluation = method.evaluation(spec, plan)

        def ask(model, cache: bool = False):
            return evaluation.asker(model, tok, cache)

        job.enter("before")
        before = evaluation.before(ask(method.judged(model_lm, plan), cache=True))
        probe = evaluation.probe(tok, job)
        if plan.settings.probe_every:  # the probe timeline's step 0 is the untrained model: asked here
            probe(model_lm.model, 0)

        cold = _cold_start(job, plan, model_lm, evaluation, before, ask) if plan.cold_start else None
        if job.stop_event.is_set() and plan.cold_start:  # stopped during the cold start: what it taught is kept,
            model = model_lm.model                          # answered and saved; no RL
        else:
            model = _train(job, method, plan, model_lm, evaluation, probe, served)

        job.enter("after", stoppable=False)
        after = ask(model)(evaluation.questions, evaluation.system)
        rows = before_after(evaluation.questions, before, after, evaluation.kinds)
        changed = round(sum(r["changed"] for r in rows) / max(1, len(rows)), 4)  # before `score` adds rows of its own
        scores = evaluation.score(rows, ask(model))
        scores.setdefault("changed", changed)
        if cold:
            scores.update(judge.cold_scores(cold))
        bilingual.file(scores, "alarms", judge.alarms(scores, judge.mean_reward_trend(job.metrics.rows())))
        for sentence in judge.inherited(scores):
            job.note(sentence)
        write_json(job.run_dir / "before_after.json", rows)
        write_json(job.run_dir / "scores.json", scores)

        job.enter("save", stoppable=False)
        model.save_pretrained(job.run_dir / "model")
        tok.save_pretrained(job.run_dir / "model")
        return {"scores": scores, "before_after": rows, "model": model, "system": evaluation.system}

    return run


def _cold_start(job, plan, lm, evaluation, before: list[str], ask) -> dict | None:
    """SFT on the plan's worked examples before the method trains (`lm.model` is trained in place), then the
    held-out questions asked again: the scores after the cold start, or None when a stop came during it."""
    job.enter("cold_start")
    steps = plan.settings.cold_start_steps
    job.say(f"cold start: {steps} SFT steps on {len(plan.cold_start)} examples")
    cb = TrainingCallback(Filed(job.metrics, "cold_start/"), job.progress, job.stop_event)
    lm.model = cold_start(lm, plan.cold_start, steps, plan.settings.seed, job.run_dir / "cold_start", [cb])
    if cb.nonfinite:
        raise ValueError(cb.nonfinite)
    if job.stop_event.is_set():
        return None
    job.progress.restart()
    answers = ask(lm.model)(evaluation.questions, evaluation.system)
    cold = evaluation.score(before_after(evaluation.questions, before, answers, evaluation.kinds), ask(lm.model))
    job.note(judge.cold_start_sentence(cold, steps))
    return cold


def _train(job, method, plan, lm, evaluation, probe, served):
    """The method's own training, watched: the flip curve and the implicit reward per token (posttrain.watch),
    teacher-forced step by step, and the probes; returns the trained model."""
    tok = lm.tokenizer
    flip = evaluation.flip_pairs(lambda qs: answer_cache.answers(lm.model, tok, qs, max_new_tokens=ONPOLICY_TOKENS))
    beta = method.implicit_beta(plan.settings)
    watched = Watch(tok, flip, flip[:1] or plan.training_rows[:1], beta, job.metrics, job.token_rewards,
                    system=evaluation.system, every=switches.watch_every())
    if served.hits:
        job.note(served.sentence())
    job.enter("train")
    cb = TrainingCallback(job.metrics, job.progress, job.stop_event, probe, plan.settings.probe_every,
                          probed_at_start=True, curve=watched.gaps)
    model = method.train(lm, plan, job, [watched, cb])  # the curve is logged before the probes read it
    if cb.nonfinite:
        raise ValueError(cb.nonfinite)
    facts = release_processes()
    if facts and facts["world_size"] > 1:
        job.note(Said(f"trained data-parallel on {facts['world_size']} processes ({facts['backend']} backend), "
                      f"{plan.settings.batch_size} sequences per process per step; this is rank {facts['rank']}",
                      f"在 {facts['world_size']} 个进程上数据并行训练（{facts['backend']} 后端），每个进程每步 "
                      f"{plan.settings.batch_size} 条序列；这是第 {facts['rank']} 号进程"))
    return model
