"""The app's view of the engine: one shared model, the current job, and everything as plain data.

A Gradio process serves every visitor from one `Studio`: one loaded model (the *current* model,
which a finished run replaces with its trained weights), one background job at a time, and the
before-answers of the model the run started from, so Compare can put the same questions side by
side. Each event handler in `app.py` makes one call here and gets plain data back (dicts, lists,
strings) or one of the engine's errors, whose message is a sentence to show. Nothing here imports
gradio.

The model is never used by two things at once: while a job trains it, asking, building on-policy
pairs, loading and comparing are refused with a message that says what is running and how far it is.
"""

from __future__ import annotations

import gc
import os
import threading
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from . import banks, hub, presets, zerogpu
from . import scores as judge
from .compare import before_after
from .config import DPOSettings, GRPOSettings
from .data import (ARITHMETIC_SYSTEM_PROMPT, arithmetic_questions, build_arithmetic_problems, build_identity_pairs,
                   load_grpo_data, load_preference_data)
from .metrics import MetricsLog
from .models import LoadedModel, default_source, generate_answers, is_bundled, load_model
from .recipes import COMPARE_TOKENS, IdentitySpec, Request, label_identity, dpo_recipe, grpo_recipe, identity_pairs
from .rewards import normalize_number
from .runner import ACTIVE, Job, JobBusy, current_job, register_job, start_job
from .runs import export_dir, list_runs, new_run_dir, read_run, run_summary, runs_root
from .ui.receipt import receipt_html


def is_public() -> bool:
    """Public mode: on a Hugging Face Space ($SPACE_ID is set there) or when $POSTTRAIN_PUBLIC=1."""
    return bool(os.environ.get("SPACE_ID")) or os.environ.get("POSTTRAIN_PUBLIC", "") == "1"


class StudioError(ValueError):
    """Something the visitor can fix; the message says what and how."""


class Studio:
    def __init__(self, default_model: str | None = None, root: str | Path | None = None, public: bool | None = None):
        self.default_model = default_model or default_source()
        self.root = Path(root) if root else runs_root()
        # Public mode (a Space, or $POSTTRAIN_PUBLIC=1): strangers may not read the server's files.
        self.public = is_public() if public is None else public
        self.lm: LoadedModel | None = None
        self.base: str = self.default_model  # the source the current model was loaded from
        self.trained_by: str | None = None  # run dir whose trained weights the current model holds
        self.identity_name: str | None = None  # the new name of the last identity run (for the scores)
        self.identity_org: str | None = None  # ... and the organisation it was told made it
        self.last_kind: str | None = None  # "dpo" or "grpo": the last run started (Compare's default questions)
        self._before: dict[tuple[str, str], str] = {}  # (system, question) -> answer of the base model
        self._model_lock = threading.Lock()
        self._token: str | None = None  # the visitor's Hub token, in memory only
        # On ZeroGPU (or its local stand-in) runs happen in a GPU worker process; None: in a thread here.
        self.gpu = zerogpu.gpu_train()

    # -- the model ------------------------------------------------------------------------
    def _idle(self) -> None:
        job = current_job()
        if job is not None and job.status in ACTIVE:
            raise JobBusy(f"{job.describe()}; the model is busy until it ends")

    @contextmanager
    def _use(self):
        """Exclusive use of the current model, loading the default first if none is loaded."""
        self._idle()
        if not self._model_lock.acquire(timeout=120):
            raise StudioError("the model is busy answering another request; try again in a moment")
        try:
            if self.lm is None:
                self._load(self.base)
            yield self.lm
        finally:
            self._model_lock.release()

    def _load(self, source: str | None, token: str | None = None) -> None:
        """Replace the current model, only once the new one has loaded: a bad source loses nothing."""
        source = source or self.default_model
        if token is None and source == self.base:  # reloading the same base (after a run) needs its token again
            token = self._token
        lm = load_model(source, token=token)
        self.lm = None
        gc.collect()
        self.lm, self._token = lm, token
        self.base, self.trained_by = source, None
        self._before.clear()

    def load(self, source: str | None, token: str | None = None) -> dict:
        """Load a model (bundled default, Hub id, local folder or run folder) as the current model.

        `token` (a Hub token, for private or gated models) stays in this process's memory: it is never
        written to a run, logged, or returned.
        """
        source = (source or "").strip() or self.default_model
        self._check_public_model(source)
        token = (token or "").strip() or None
        if token and self.public:
            raise StudioError("this is a public app where every visitor shares the loaded model, so it does not "
                              "load private or gated models; duplicate the Space to use yours with your token")
        self._idle()
        with self._model_lock:
            self._load(source, token)
            return self.card()

    def _check_public_model(self, source: str) -> None:
        if not self.public or source == self.default_model or is_bundled(source):
            return
        path = Path(source).expanduser()
        if path.exists() or source.startswith((".", "/", "~")):
            if path.resolve() == self.root.resolve() or self._under_root(path):
                return
            raise StudioError("this is a public app: it loads the bundled model, Hub ids (like "
                              "Qwen/Qwen2.5-0.5B-Instruct) and its own runs, not folders on the server")

    def card(self) -> dict:
        """The current model's facts, plus which run trained it (None: as loaded)."""
        if self.lm is None:
            return {}
        return {**self.lm.card(), "base": self.base, "trained_by": self.trained_by}

    def ask(self, question: str, system: str | None = None, max_new_tokens: int = COMPARE_TOKENS) -> str:
        if not (question or "").strip():
            raise StudioError("type a question first")
        with self._use():
            return generate_answers(self.lm.model, self.lm.tokenizer, [question.strip()], system=system or None,
                                    max_new_tokens=max_new_tokens)[0]

    # -- data -------------------------------------------------------------------------------
    def identity_pairs(self, name: str, org: str, n_pairs: int = 64, seed: int = 0) -> list[dict]:
        """On-policy identity pairs from the current model: up to 32 about its identity, the rest controls
        (unrelated questions: the gated edit's gate is fitted on all of them, LoRA trains on some)."""
        n = int(n_pairs or 0)
        if not 2 <= n <= 400:
            raise StudioError(f"ask for between 2 and 400 pairs (got {n})")
        spec = IdentitySpec(name=name, org=org, n_identity=min(32, n // 2), n_control=n - min(32, n // 2), seed=seed)
        build_identity_pairs(name, org, {}, [], [])  # the same name checks, before a minute of generation
        with self._use():
            return identity_pairs(self.lm, spec)

    def preference_data(self, source, uploaded: bool = False) -> list[dict]:
        """Pairs from an uploaded file or a Hub dataset id (in public mode, never a server path)."""
        if not source:
            raise StudioError("choose a .jsonl, .csv or .parquet file, or type a Hub dataset id")
        if self.public and not uploaded and Path(str(source)).expanduser().exists():
            raise StudioError("this is a public app: upload the file, or type a Hub dataset id")
        return load_preference_data(source)

    @staticmethod
    def arithmetic_data(n: int, hint: float = presets.ARITHMETIC_HINT, seed: int = 0) -> list[dict]:
        n = int(n or 0)
        if not 1 <= n <= 2000:
            raise StudioError(f"ask for between 1 and 2000 problems (got {n})")
        return build_arithmetic_problems(n, seed=seed, format_hint=hint)

    @staticmethod
    def problem_file(source) -> list[dict]:
        if not source:
            raise StudioError("choose a .jsonl, .csv or .parquet file with question and answer columns")
        return load_grpo_data(source)

    # -- training ---------------------------------------------------------------------------
    def start(self, method: str, settings: DPOSettings | GRPOSettings, rows: list[dict] | None,
              name: str | None = None, org: str | None = None, data_source: str = "app") -> Job:
        """Start a DPO or GRPO run on the current model in the background; raises JobBusy if one runs.

        DPO with `rows=None` is the identity preset end to end (pairs built inside the job, so the
        presenter's one click shows every phase); with rows, `name` (if any) scores the identity.
        """
        if method not in ("dpo", "grpo"):
            raise StudioError(f"unknown method {method!r}; choose DPO or GRPO")
        if rows is None and (method == "grpo" or not (name and org)):
            raise StudioError("build the data first (Data tab), or give a name and organisation for the identity demo")
        identity = IdentitySpec(name=name.strip(), org=(org or "").strip(), seed=settings.seed) if name and name.strip() else None
        req = Request(method, self.base, settings, identity=identity if method == "dpo" else None, rows=rows,
                      data_source=data_source)
        if self.gpu is not None:
            return self._start_remote(req)
        with self._use():
            job = start_job(method, new_run_dir(method, self.root), self._recipe(req))
        self._remember_run(req)
        return job

    def _remember_run(self, req: Request) -> None:
        """What Compare needs to judge the current model: the run's kind, and the identity it was given."""
        self.last_kind = req.method
        self.identity_name = req.identity.name if req.identity else None
        self.identity_org = (req.identity.org or None) if req.identity else None

    def start_identity_demo(self, name: str, org: str) -> Job:
        """The presenter's one click: the identity preset (data, training, compare) from the loaded model.

        A model an earlier run already renamed is first reloaded as it was, so the demo tells the same
        story every time it is pressed.
        """
        if self.trained_by is not None:
            self._idle()
            with self._model_lock:
                self._load(self.base)
        return self.start("dpo", presets.IDENTITY, None, name=name, org=org, data_source="preset: identity")

    def _start_remote(self, req: Request) -> zerogpu.RemoteJob:
        """Start a run in the GPU worker; `drive(job)` must then be iterated by the request that started it."""
        self._idle()
        with self._model_lock:
            # The worker cannot see this process's memory: after a run it starts from the saved weights
            # (the request still names the base model, for the receipt and the model card).
            start_from = str(Path(self.trained_by) / "model") if self.trained_by else None
            token = self._token  # a private base model: the worker needs the token to load it
        run_dir = new_run_dir(req.method, self.root)
        job = zerogpu.RemoteJob(req.method, run_dir,
                                lambda: self.gpu(req, str(run_dir), zerogpu.GPU_SECONDS, start_from, token),
                                on_end=self._adopt_remote)
        register_job(job)
        self._remember_run(req)
        return job

    @staticmethod
    def drive(job) -> Iterator[dict]:
        """Carry a GPU-worker run to its end (a local job needs nothing); the Studio adopts its model then."""
        if isinstance(job, zerogpu.RemoteJob):
            yield from job.drive()

    def _adopt_remote(self, job: zerogpu.RemoteJob) -> None:
        """Called by the RemoteJob once the worker has finished: load the weights it saved as the current model."""
        model_dir = export_dir(job.run_dir, "model")
        if job.outcome not in ("done", "stopped") or model_dir is None:
            return
        with self._model_lock:
            device = self.lm.device if self.lm else "cpu"
            self._remember_before(job.kind, job.result.get("before_after"))
            self.lm = load_model(str(model_dir), device=device)
            self.trained_by = str(job.run_dir)

    def _recipe(self, req: Request):
        lm = self.lm
        inner = dpo_recipe(req, lm) if req.method == "dpo" else grpo_recipe(req, lm)

        def recipe(job: Job) -> dict:
            try:
                result = inner(job)
            except BaseException:
                if job.phase in ("train", "after", "save"):  # touched by training (maybe adapters attached): drop it
                    self.lm, self.trained_by = None, None
                raise
            self._adopt(job, result)
            return result

        return recipe

    def _adopt(self, job: Job, result: dict) -> None:
        """The trained model becomes the current one; the run's before-answers seed Compare's cache."""
        self._remember_before(job.kind, result.get("before_after"))
        self.lm.model = result.pop("model")
        self.trained_by = str(job.run_dir)

    def _remember_before(self, kind: str, rows: list[dict] | None) -> None:
        """A run's before-answers seed Compare's cache, while they still describe the base model."""
        if self.trained_by is not None:
            return
        system = ARITHMETIC_SYSTEM_PROMPT if kind == "grpo" else ""
        for row in rows or []:
            self._before[(system, row["question"])] = row["before"]

    def stop(self) -> str:
        job = current_job()
        if job is None:
            return "nothing is running"
        return job.stop()

    # -- watching ---------------------------------------------------------------------------
    def job_view(self) -> dict | None:
        """The current (or last) job as plain data: status, progress, and its logs so far."""
        job = current_job()
        if job is None:
            return None
        return {**job.snapshot(), "messages": list(job.messages), "metrics": job.metrics.rows(),
                "probes": job.probes.rows(), "groups": job.groups.rows(),
                "scores": job.result.get("scores"), "before_after": job.result.get("before_after"),
                "name": self.identity_name, "org": self.identity_org}

    # -- compare ----------------------------------------------------------------------------
    def compare(self, questions: list[str], kinds: list[str] | None = None, system: str = "",
                answers: list[str] | None = None) -> dict:
        """Before (the model the last run started from) and after (the current model) answers, each row
        marked with what a person would judge in it (see `_judge`).

        `answers[i]` is what question i needs: the number a "problem" asks for, or the accepted answers
        to an "unrelated" question separated by " / " (the banks' held-out questions know theirs).
        Returns {"rows": before_after rows with `marks`, "scores": the honest scores and their alarms, or
        {} while no run has changed the model, "trained": bool}.
        """
        keep = [i for i, q in enumerate(questions) if q and q.strip()]
        questions = [questions[i].strip() for i in keep]
        if not questions:
            raise StudioError("add at least one question to compare")
        given_kinds, given = list(kinds or []), list(answers or [])
        kinds = [str(given_kinds[i] or "").strip().lower() if i < len(given_kinds) else "question" for i in keep]
        answers = [str(given[i] or "") if i < len(given) else "" for i in keep]
        system = (system or "").strip()
        with self._use():
            lm = self.lm
            after = generate_answers(lm.model, lm.tokenizer, questions, system=system or None, max_new_tokens=COMPARE_TOKENS)
            missing = [q for q in questions if (system, q) not in self._before]
            if missing and self.trained_by is None:
                found = dict(zip(questions, after))  # the current model is the base model
            elif missing:
                base = load_model(self.base, device=lm.device, token=self._token)
                found = dict(zip(missing, generate_answers(base.model, base.tokenizer, missing, system=system or None,
                                                           max_new_tokens=COMPARE_TOKENS)))
                del base
                gc.collect()
            else:
                found = {}
            for q, a in found.items():
                self._before[(system, q)] = a
        before = [self._before[(system, q)] for q in questions]
        rows = before_after(questions, before, after, kinds)
        scores = self._judge(rows, answers)
        return {"rows": rows, "scores": scores if self.trained_by is not None else {},
                "trained": self.trained_by is not None}

    def _judge(self, rows: list[dict], answers: list[str]) -> dict:
        """Mark each before/after row and score them (posttrain.scores), as the runs do on their own questions.

        Problems with a numeric answer get arithmetic marks (correct, boxed, loops) and scores; identity
        and unrelated rows, once a run has given the model a new name, get the identity marks and scores
        (name, organisation, loops, leak, facts kept, unchanged). Without either, the loops alone. The
        changed share and the alarms (with the last GRPO run's reward trend) are added.
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
        if self.identity_name and named:
            label_identity(named, self.identity_name, self.identity_org)
            out.update(judge.identity_scores(named, self.identity_name, self.identity_org))
        elif not problems:
            for when in ("before", "after"):
                out[f"degenerate_{when}"] = round(sum(judge.is_degenerate(r[when]) for r in rows) / len(rows), 4)
        out["changed"] = round(sum(r["changed"] for r in rows) / len(rows), 4)
        out["alarms"] = judge.alarms(out, self._reward_trend())
        return out

    def _reward_trend(self) -> tuple[float, float] | None:
        """The current model's run's (early, late) mean reward (GRPO), for the reward-hacking alarm."""
        if self.trained_by is None or self.last_kind != "grpo":
            return None
        return judge.mean_reward_trend(MetricsLog.read(Path(self.trained_by) / "metrics.jsonl"))

    def default_questions(self, method: str | None = None) -> list[list[str]]:
        """Compare's prefilled [question, kind, answer] rows for `method` (default: the last run's kind):
        held-out problems with their answers (GRPO), or held-out identity questions and unrelated ones
        with their accepted answers (DPO)."""
        if (method or self.last_kind) == "grpo":
            held_out = build_arithmetic_problems(6, seed=10_000)  # the runs' own held-out seed
            return [[q, "problem", r["answer"]] for q, r in zip(arithmetic_questions(held_out), held_out)] + \
                [[q, "problem", a] for q, a in banks.EVAL_WORD_PROBLEMS[:4]]
        return [[q, "identity", ""] for q in banks.EVAL_IDENTITY_QUESTIONS[:6]] + \
            [[q, "unrelated", " / ".join(banks.EVAL_FACTS.get(q) or [])] for q in banks.EVAL_UNRELATED_QUESTIONS[:6]]

    # -- runs -------------------------------------------------------------------------------
    def runs(self) -> list[dict]:
        """Past runs, newest first: path, method, status, scores (for the Runs tab's list)."""
        return [run_summary(path) for path in list_runs(self.root)]

    def run(self, path: str) -> dict:
        path = self._inside(path)
        return read_run(path)

    def _inside(self, path: str) -> Path:
        """A run folder under the runs root (never an arbitrary path a visitor typed)."""
        p = Path(path or "").resolve()
        if not path or not self._under_root(p) or not (p / "config.json").exists():
            raise StudioError("choose a run from the list")
        return p

    def _under_root(self, path: Path) -> bool:
        return self.root.resolve() in Path(path).resolve().parents

    def receipt(self, path: str, lang: str = "en") -> Path:
        """The run's self-contained HTML receipt (config, charts, probes, before/after, scores), written into it."""
        run = self._inside(path)
        target = run / "receipt.html"
        tmp = target.with_suffix(".html.tmp")
        tmp.write_text(receipt_html(read_run(run), lang), encoding="utf-8")
        tmp.replace(target)
        return target

    def archive(self, path: str, what: str = "receipt", lang: str = "en") -> Path:
        """A zip of a run's receipt (HTML + JSON files), its trained model (merged) or its LoRA adapter."""
        run = self._inside(path)
        target = run / f"{run.name}-{what}.zip"
        if what in ("model", "adapter"):
            folder = export_dir(run, what)
            files = sorted(folder.glob("*")) if folder else []
            if not files:
                raise StudioError("this run has no saved model (it failed or was interrupted before saving)" if what == "model"
                                  else "this run has no LoRA adapter (it was a full fine-tune, or it did not finish)")
            prefix = f"{what}/"
        else:
            self.receipt(path, lang)
            files, prefix = sorted(p for p in run.iterdir() if p.suffix in (".json", ".jsonl", ".txt", ".html")), ""
        tmp = target.with_suffix(".zip.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED if what == "receipt" else zipfile.ZIP_STORED) as z:
            for f in files:  # safetensors do not compress; the receipt's JSON and plotly.js do
                z.write(f, f"{run.name}/{prefix}{f.name}")
        tmp.replace(target)
        return target

    def push(self, path: str, repo_id: str, token: str, private: bool = True, what: str = "model") -> str:
        """Push a run's merged model or LoRA adapter to the visitor's Hub repository (see posttrain.hub)."""
        return hub.push(read_run(self._inside(path)), repo_id, token, private=private, what=what)

    def settings(self, method: str, **values) -> DPOSettings | GRPOSettings:
        """The preset's settings with the visitor's values on top, validated (SettingsError says what is wrong)."""
        base = presets.IDENTITY if method == "dpo" else presets.ARITHMETIC
        return presets.with_overrides(base, {k: v for k, v in values.items() if v is not None})
