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
import json
import os
import threading
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from . import chain, hub, methods, pipeline, reward_model, switches, zerogpu
from . import scores as judge
from .compare import before_after
from .data import MissingColumns, load_grpo_data
from .identity import build_identity_pairs
from .arithmetic import build_arithmetic_problems
from .bilingual import Said, joined, message_of, zh
from .evaluation import COMPARE_TOKENS, exact_for, judge_rows, kind_batches, run_batch
from .methods.base import identity_pairs
from .methods.grpo import ARITHMETIC_HINT
from .metrics import MetricsLog
from .models import LoadedModel, default_source, generate_answers, is_bundled, load_model
from .spec import IdentitySpec, RunSpec
from .runner import ACTIVE, Job, JobBusy, current_job, register_job, start_job
from .runs import export_dir, list_runs, new_run_dir, read_json, read_run, run_labels, run_summary, runs_root
from .ui.receipt import receipt_html
from .votes import Side, VoteError, VoteLog, ballot, make_vote, preference_pairs, questions, run_sides, tally


MAX_SIDE_BY_SIDE = 6  # runs the Runs tab sets side by side: more columns than that cannot be read


def is_public() -> bool:
    """Public mode: on a Hugging Face Space ($SPACE_ID is set there) or when $POSTTRAIN_PUBLIC=1."""
    return bool(os.environ.get("SPACE_ID")) or switches.public()


class StudioError(ValueError):
    """Something the visitor can fix; the message (a `bilingual.Said`) says what and how."""


class Studio:
    def __init__(self, default_model: str | None = None, root: str | Path | None = None, public: bool | None = None):
        self.default_model = default_model or default_source()
        self.root = Path(root) if root else runs_root()
        # Public mode (a Space, or $POSTTRAIN_PUBLIC=1): strangers may not read the server's files.
        self.public = is_public() if public is None else public
        self.lm: LoadedModel | None = None
        self.base: str = self.default_model  # the source the current model was loaded from
        self.trained_by: str | None = None  # run dir whose trained weights the current model holds
        self.lineage: list[str] = []  # the run dirs the current model was trained by, in order (base → A → B)
        self.identity_name: str | None = None  # the new name of the last identity run (for the scores)
        self._judge: reward_model.RewardModel | None = None  # the reward model the score box loaded last
        self._judge_lock = threading.Lock()
        self.identity_org: str | None = None  # ... and the organisation it was told made it
        self.last_kind: str | None = None  # the method of the last run started (Compare's default questions)
        self.last_setup: dict | None = None  # what the last run was started with (a reopened page shows it)
        # (device, system, full precision, questions) -> the base model's answers to them (`_units`)
        self._before: dict[tuple[str, str, bool, tuple[str, ...]], list[str]] = {}
        self._model_lock = threading.Lock()
        self._token: str | None = None  # the visitor's Hub token, in memory only
        # On ZeroGPU (or its local stand-in) runs happen in a GPU worker process; None: in a thread here.
        self.gpu = zerogpu.gpu_train()

    # -- the model ------------------------------------------------------------------------
    def _idle(self) -> None:
        job = current_job()
        if job is not None and job.status in ACTIVE:
            busy = job.describe()
            raise JobBusy(Said(f"{busy}; the model is busy until it ends", f"{zh(busy)}；它结束之前模型一直被占用"))

    @contextmanager
    def _use(self):
        """Exclusive use of the current model, loading the default first if none is loaded."""
        self._idle()
        if not self._model_lock.acquire(timeout=120):
            raise StudioError(Said("the model is busy answering another request; try again in a moment",
                                   "模型正在回答另一个请求；请稍后再试"))
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
        self.base, self.trained_by, self.lineage = source, None, []
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
            raise StudioError(Said("this is a public app where every visitor shares the loaded model, so it does not "
                                   "load private or gated models; duplicate the Space to use yours with your token",
                                   "这是一个公开应用，所有访客共用已加载的模型，所以不加载私有或受限模型；"
                                   "复制（Duplicate）这个 Space，就能用你的令牌加载你的模型"))
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
            raise StudioError(Said("this is a public app: it loads the bundled model, Hub ids (like "
                                   "Qwen/Qwen2.5-0.5B-Instruct) and its own runs, not folders on the server",
                                   "这是一个公开应用：它只加载自带的模型、Hub id（如 Qwen/Qwen2.5-0.5B-Instruct）"
                                   "和它自己的训练记录，不加载服务器上的文件夹"))

    def card(self) -> dict:
        """The current model's facts, plus which run trained it (None: as loaded) and its lineage: the
        source it was loaded from, then each run that trained it since, in order."""
        if self.lm is None:
            return {}
        return {**self.lm.card(), "base": self.base, "trained_by": self.trained_by,
                "lineage": [self.base, *(Path(r).name for r in self.lineage)]}

    def ready(self) -> dict:
        """The current model's card, loading the default model first if none is loaded yet (a page opening shows
        the model ready, not a promise); while a job runs, the card as it is."""
        if self.lm is None:
            job = current_job()
            if job is None or job.status not in ACTIVE:
                with self._use():
                    pass
        return self.card()

    def reset_to_base(self) -> dict:
        """Reload the model the runs started from (as loaded, untrained) as the current model."""
        self._idle()
        with self._model_lock:
            self._load(self.base)
            return self.card()

    def ask(self, question: str, system: str | None = None, max_new_tokens: int = COMPARE_TOKENS) -> str:
        if not (question or "").strip():
            raise StudioError(Said("type a question first", "请先输入一个问题"))
        with self._use():
            return generate_answers(self.lm.model, self.lm.tokenizer, [question.strip()], system=system or None,
                                    max_new_tokens=max_new_tokens)[0]

    # -- data -------------------------------------------------------------------------------
    def identity_pairs(self, name: str, org: str, n_pairs: int = 64, seed: int = 0) -> list[dict]:
        """On-policy identity pairs from the current model: up to 32 about its identity, the rest controls
        (unrelated questions: the gated edit's gate is fitted on all of them, LoRA trains on some)."""
        n = int(n_pairs or 0)
        if not 2 <= n <= 400:
            raise StudioError(Said(f"ask for between 2 and 400 pairs (got {n})", f"偏好对数量须在 2 到 400 之间（当前为 {n}）"))
        spec = IdentitySpec(name=name, org=org, n_identity=min(32, n // 2), n_control=n - min(32, n // 2), seed=seed)
        build_identity_pairs(name, org, {}, [], [])  # the same name checks, before a minute of generation
        with self._use():
            return identity_pairs(self.lm, spec)

    def preference_data(self, source, uploaded: bool = False, method: str | None = None) -> list[dict]:
        """Rows for the pairs table from an uploaded file or a Hub dataset id (in public mode, never a
        server path): `method`'s, or whichever of the pairs-table methods reads it (DPO pairs, else SFT
        prompt/completion or chat rows)."""
        if not source:
            raise StudioError(Said("choose a .jsonl, .csv or .parquet file, or type a Hub dataset id",
                                   "请选择一个 .jsonl、.csv 或 .parquet 文件，或输入 Hub 数据集名"))
        if self.public and not uploaded and Path(str(source)).expanduser().exists():
            raise StudioError(Said("this is a public app: upload the file, or type a Hub dataset id",
                                   "这是一个公开应用：请上传文件，或输入 Hub 数据集名"))
        if method:
            return methods.get(method).load_rows(source)
        readers = [m for m in methods.METHODS.values() if m.table == "pairs"]
        readers.sort(key=lambda m: len(m.row_keys), reverse=True)  # the fullest shape first: pairs, then SFT rows
        refusals = []
        for m in readers:
            try:
                return m.load_rows(source)
            except MissingColumns as e:  # another method's shape: the next reader may take it
                refusals.append(Said(f"{m.label}: {e}", f"{m.label_zh}：{zh(message_of(e))}"))
        raise MissingColumns(joined(refusals, " ", ""))

    @staticmethod
    def arithmetic_data(n: int, hint: float = ARITHMETIC_HINT, seed: int = 0) -> list[dict]:
        n = int(n or 0)
        if not 1 <= n <= 2000:
            raise StudioError(Said(f"ask for between 1 and 2000 problems (got {n})",
                                   f"题目数量须在 1 到 2000 之间（当前为 {n}）"))
        return build_arithmetic_problems(n, seed=seed, format_hint=hint)

    @staticmethod
    def problem_file(source) -> list[dict]:
        if not source:
            raise StudioError(Said("choose a .jsonl, .csv or .parquet file with question and answer columns",
                                   "请选择一个带 question 和 answer 两列的 .jsonl、.csv 或 .parquet 文件"))
        return load_grpo_data(source)

    # -- training ---------------------------------------------------------------------------
    def start(self, method: str, values: dict, rows: list[dict] | None, name: str | None = None,
              org: str | None = None, data_source: str = "app", preset: str | None = None,
              from_base: bool = False) -> Job:
        """Start a run of `method` on the current model in the background; raises JobBusy if one runs.

        `values` are the settings as typed (the preset's, or the method's own-data settings, under them).
        With `rows=None` and a name and organisation, an identity preset runs end to end (pairs built
        inside the job, so the presenter's one click shows every phase); with rows, `name` (if any)
        scores the identity. A model that runs already trained is trained further (the run's config and
        notes say on top of what) unless `from_base`: then the base model is reloaded first.
        """
        m = methods.get(method)
        if rows is None and not (m.identity_presets and name and org):
            raise StudioError(Said("build the data first (Data tab), or give a name and organisation for the identity demo",
                                   "请先构建数据（「数据」页），或为身份演示填写新名字和机构"))
        spec = m.spec(self.base, preset=preset, name=name, org=org, rows=None if rows is None else m.from_pairs(rows),
                      data_source=data_source, overrides=values)
        if from_base and self.trained_by is not None:
            self.reset_to_base()
        spec.trained_on = [Path(r).name for r in self.lineage]
        if self.gpu is not None:
            return self._start_remote(spec, rows)
        with self._use():
            job = start_job(spec.method, new_run_dir(spec.method, self.root), self._recipe(spec))
        self._remember_run(spec, rows)
        return job

    def _remember_run(self, spec: RunSpec, rows: list[dict] | None) -> None:
        """What Compare needs to judge the current model (the run's method, and the identity it was given) and
        what a reopened page shows of the run (`setup`)."""
        if methods.get(spec.method).makes_policy:  # a reward model leaves the model Compare asks as it was
            self.last_kind = spec.method
            self.identity_name = spec.identity.name if spec.identity else None
            self.identity_org = (spec.identity.org or None) if spec.identity else None
        job = current_job()
        self.last_setup = {"method": spec.method, "settings": spec.settings.to_dict(), "rows": rows,
                           "name": spec.identity.name if spec.identity else None,
                           "org": (spec.identity.org or None) if spec.identity else None,
                           "run_dir": str(job.run_dir) if job is not None else None}

    def setup(self) -> dict | None:
        """What the current or last run was started with, for a page opened during or after it: {"method",
        "settings" (the validated settings as a dict), "rows" (the Data table it trains on: the rows as the
        page gave them, or the ones the identity demo built, once it has; None before), "given" (whether the
        page gave them), "name", "org", "run" (its folder's name), "running"}. None before the first run."""
        job, setup = current_job(), self.last_setup
        if job is None or setup is None or setup["run_dir"] != str(job.run_dir):  # (a run between start and here)
            return None
        rows = setup["rows"]
        if rows is None:
            built = Path(job.run_dir) / "data.json"
            rows = json.loads(built.read_text(encoding="utf-8")) if built.exists() else None
        return {**setup, "rows": rows, "given": setup["rows"] is not None, "run": Path(job.run_dir).name,
                "running": job.status in ACTIVE}

    def start_identity_demo(self, name: str, org: str, method: str = "dpo") -> Job:
        """The presenter's one click: the identity preset of `method` (data, training, compare) from the loaded model.

        A model an earlier run already renamed is first reloaded as it was, so the demo tells the same
        story every time it is pressed.
        """
        m = methods.get(method)
        if not m.has_demo:  # a method with no demo of its own (GRPO, a reward model): the first one that has it
            m = next(x for x in methods.METHODS.values() if x.has_demo)
        preset = m.identity_presets[0]
        m.spec(self.base, preset=preset, name=name, org=org)  # a missing name says so before anything reloads
        if self.trained_by is not None:
            self._idle()
            with self._model_lock:
                self._load(self.base)
        return self.start(m.name, {}, None, name=name, org=org, preset=preset,
                          data_source=Said(f"preset: {preset} (pairs built from the model's own answers)",
                                           f"预设：{preset}（偏好对由模型自己的回答构建）"))

    def _start_remote(self, spec: RunSpec, rows: list[dict] | None) -> zerogpu.RemoteJob:
        """Start a run in the GPU worker; `drive(job)` must then be iterated by the request that started it."""
        self._idle()
        with self._model_lock:
            # The worker cannot see this process's memory: after a run it starts from the saved weights
            # (the request still names the base model, for the receipt and the model card).
            start_from = str(Path(self.trained_by) / "model") if self.trained_by else None
            token = self._token  # a private base model: the worker needs the token to load it
        run_dir = new_run_dir(spec.method, self.root)
        job = zerogpu.RemoteJob(spec.method, run_dir,
                                lambda: self.gpu(spec, str(run_dir), zerogpu.GPU_SECONDS, start_from, token),
                                on_end=self._adopt_remote)
        register_job(job)
        self._remember_run(spec, rows)
        return job

    @staticmethod
    def drive(job) -> Iterator[dict]:
        """Carry a GPU-worker run to its end (a local job needs nothing); the Studio adopts its model then."""
        if isinstance(job, zerogpu.RemoteJob):
            yield from job.drive()

    def _adopt_remote(self, job: zerogpu.RemoteJob) -> None:
        """Called by the RemoteJob once the worker has finished: load the weights it saved as the current model."""
        model_dir = export_dir(job.run_dir, "model")
        if job.outcome not in ("done", "stopped") or model_dir is None or not methods.get(job.kind).makes_policy:
            return
        with self._model_lock:
            device = self.lm.device if self.lm else "cpu"
            # the worker's before-answers seed nothing: written on its device, not this process's
            self.lm = load_model(str(model_dir), device=device)
            self.trained_by = str(job.run_dir)
            self.lineage.append(self.trained_by)

    def _recipe(self, spec: RunSpec):
        inner = pipeline.recipe(spec, self.lm)

        def recipe(job: Job) -> dict:
            try:
                result = inner(job)
            except BaseException:
                touched = methods.get(spec.method).makes_policy  # (a reward model trains a copy of the body)
                if touched and job.phase in ("cold_start", "train", "after", "save"):  # maybe adapters attached: drop it
                    self.lm, self.trained_by, self.lineage = None, None, []
                raise
            self._adopt(job, result)
            return result

        return recipe

    def _adopt(self, job: Job, result: dict) -> None:
        """The trained model becomes the current one; the run's before-answers seed Compare's cache. A model
        that judges answers (a reward model) stays in its run folder: the model that answers is unchanged."""
        if not methods.get(job.kind).makes_policy:
            result.pop("model", None)
            return
        self._remember_before(job.kind, result.get("before_after"), result.get("system"))
        self.lm.model = result.pop("model")
        self.trained_by = str(job.run_dir)
        self.lineage.append(self.trained_by)

    def _remember_before(self, kind: str, rows: list[dict] | None, system: str | None = None) -> None:
        """A run's before-answers seed Compare's cache, while they still describe the base model. `system`: the
        system prompt the run asked with (default: the method's)."""
        if self.trained_by is not None or self.lm is None:
            return
        system = (methods.get(kind).system_prompt if system is None else system) or ""
        rows = rows or []
        kinds = [row.get("kind") for row in rows]
        for plain in (False, True):  # a row asked with no system prompt (`plain`: the arithmetic run's facts) is kept so
            asked = [row for row in rows if bool(row.get("plain")) == plain]
            units = self._units("" if plain else system, [r["question"] for r in asked], [r.get("kind") for r in asked],
                                kinds)
            for key, part, _, _ in units:
                self._before[key] = [asked[i]["before"] for i in part]

    def _units(self, system: str, questions: list[str], kinds: list, all_kinds: list | None = None,
               as_runs: bool = False) -> list:
        """How answers to `questions` are asked and kept for Compare: [(key, places, picks, whole)], the answer to
        `questions[places[j]]` being the `picks[j]`-th of the batch `key[3]`. Each kind is one batch at its own
        precision (exact_for), as a run's evaluation asks (evaluation.by_kind). A batch written in fp32 on a CPU is
        kept question by question (fp32 wrote the same answers in any batch here); any other batch is kept whole
        (`whole`), since on a CPU with AMX, and on a GPU, a bf16 answer can depend on the rest of its batch. With
        `as_runs` (Compare's own questions), those of a kind that a run's evaluation asks are asked inside the batch
        it asks them in (evaluation.run_batch), so that Compare and the run's side-by-side show the same answer."""
        device = str(self.lm.device).split(":")[0]
        units = []
        for batch in kind_batches(kinds):
            kind = kinds[batch[0]]
            exact = exact_for(kind, kinds if all_kinds is None else all_kinds)
            if exact and device == "cpu":
                units += [((device, system, exact, (questions[i],)), [i], [0], False) for i in batch]
                continue
            run = run_batch(kind) if as_runs else ()
            inside, rest = [i for i in batch if questions[i] in run], [i for i in batch if questions[i] not in run]
            if inside:
                units.append(((device, system, exact, run), inside, [run.index(questions[i]) for i in inside], True))
            if rest:
                units.append(((device, system, exact, tuple(questions[i] for i in rest)), rest, list(range(len(rest))),
                              True))
        return units

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
                "token_rewards": job.token_rewards.rows(),
                "scores": job.result.get("scores"), "before_after": job.result.get("before_after"),
                "name": self.identity_name, "org": self.identity_org}

    # -- compare ----------------------------------------------------------------------------
    def compare(self, questions: list[str], kinds: list[str] | None = None, system: str = "",
                answers: list[str] | None = None) -> dict:
        """Before (the base model, as loaded before any run) and after (the current model) answers, each row
        marked with what a person would judge in it (see `_judge`).

        `answers[i]` is what question i needs: the number a "problem" asks for, or the accepted answers
        to an "unrelated" question separated by " / " (the banks' held-out questions know theirs).
        Returns {"rows": before_after rows with `marks`, "scores": the honest scores and their alarms, or
        {} while no run has changed the model, "trained": bool}.
        """
        keep = [i for i, q in enumerate(questions) if q and q.strip()]
        questions = [questions[i].strip() for i in keep]
        if not questions:
            raise StudioError(Said("add at least one question to compare", "请至少添加一个要对比的问题"))
        given_kinds, given = list(kinds or []), list(answers or [])
        kinds = [str(given_kinds[i] or "").strip().lower() if i < len(given_kinds) else "question" for i in keep]
        answers = [str(given[i] or "") if i < len(given) else "" for i in keep]
        system = (system or "").strip()
        with self._use():
            lm = self.lm

            def ask(model, tok, asked: list[str], exact: bool) -> list[str]:
                return generate_answers(model, tok, asked, system=system or None, max_new_tokens=COMPARE_TOKENS,
                                        bf16=not exact)

            units = self._units(system, questions, kinds, as_runs=True)
            # what the current model is asked: each whole unit's batch; fp32 questions on a CPU, one batch a kind
            batches: dict[tuple[bool, tuple[str, ...]], list[tuple[int, int]]] = {}
            for key, part, picks, whole in units:
                if whole:
                    batches.setdefault((key[2], key[3]), []).extend(zip(part, picks))
            loose = {part[0] for _, part, _, whole in units if not whole}
            for batch in kind_batches(kinds):
                if mine := [i for i in batch if i in loose]:
                    batches.setdefault((True, tuple(questions[i] for i in mine)), []).extend(
                        zip(mine, range(len(mine))))
            written = {asked: ask(lm.model, lm.tokenizer, list(asked[1]), asked[0]) for asked in batches}
            after = [""] * len(questions)
            for asked, places in batches.items():
                for i, k in places:
                    after[i] = written[asked][k]
            missing = [(key, part, whole) for key, part, _, whole in units if key not in self._before]
            if missing and self.trained_by is None:  # the current model is the base model
                for key, part, whole in missing:
                    self._before[key] = written[key[2], key[3]] if whole else [after[part[0]]]
            elif missing:  # the base model is asked the very batches the current one was (fp32 ones: what is missing)
                base = load_model(self.base, device=lm.device, token=self._token)
                fp32 = [key for key, _, whole in missing if not whole]
                for key, _, whole in missing:
                    if whole:
                        self._before[key] = ask(base.model, base.tokenizer, list(key[3]), key[2])
                if fp32:
                    for key, answer in zip(fp32, ask(base.model, base.tokenizer, [k[3][0] for k in fp32], True)):
                        self._before[key] = [answer]
                del base
                gc.collect()
        before = [""] * len(questions)
        for key, part, picks, _ in units:
            for i, k in zip(part, picks):
                before[i] = self._before[key][k]
        rows = before_after(questions, before, after, kinds)
        trend = judge.mean_reward_trend(MetricsLog.read(Path(self.trained_by) / "metrics.jsonl")) if self.trained_by else None
        scores = judge_rows(rows, answers, self.identity_name, self.identity_org, trend)
        return {"rows": rows, "scores": scores if self.trained_by is not None else {},
                "trained": self.trained_by is not None}

    def compare_runs(self, paths: list[str]) -> dict:
        """Two or more runs side by side (the identity demo by SFT and by DPO, DPO at β 0.1 and 0.5, LoRA and the
        gated edit): each run's label (posttrain.runs.run_labels), method, scores and metrics log (for the
        overlaid curves), and their after-answers to the questions every one of them was asked, in the first
        run's order. Returns {"runs": [{"path", "name", "label", "method", "scores", "metrics"}], "rows":
        [{"question", "kind", "answer", "answers": [one per run], "marks": [one per run]}]}; `rows` is empty
        when the runs share no question. The same run picked twice counts once."""
        paths = [paths] if isinstance(paths, str) else paths or []
        picked = list(dict.fromkeys(self._inside(p) for p in paths if p))
        if len(picked) < 2:
            raise StudioError(Said("pick at least two runs to set side by side", "请至少选两条训练记录来并排对比"))
        if len(picked) > MAX_SIDE_BY_SIDE:
            raise StudioError(Said(f"pick at most {MAX_SIDE_BY_SIDE} runs: more columns than that cannot be read "
                                   f"(got {len(picked)})",
                                   f"最多选 {MAX_SIDE_BY_SIDE} 条训练记录：列再多就读不过来了（当前为 {len(picked)}）"))
        runs = [read_run(p) for p in picked]
        answers = [{r["question"]: r for r in (run.get("before_after") or [])} for run in runs]
        rows = [{"question": q, "kind": first.get("kind", ""), "answer": first.get("answer"),
                 "answers": [a[q]["after"] for a in answers], "marks": [a[q].get("marks") for a in answers]}
                for q, first in answers[0].items() if all(q in a for a in answers[1:])]
        side = [{"path": run["path"], "name": Path(run["path"]).name, "label": label,
                 "method": (run.get("config") or {}).get("method"), "scores": run.get("scores") or {},
                 "metrics": run["metrics"]} for run, label in zip(runs, run_labels(runs))]
        return {"runs": side, "rows": rows}

    def default_questions(self, method: str | None = None) -> list[list[str]]:
        """Compare's prefilled [question, kind, answer] rows for `method` (default: the last run's):
        held-out problems with their answers, or held-out identity questions and unrelated ones with
        their accepted answers (posttrain.evaluation)."""
        return self.compare_setup(method)[0]

    def compare_setup(self, method: str | None = None) -> tuple[list[list[str]], str]:
        """Compare's rows and system prompt for `method` (default: the last run's); after the last run, as that
        run was judged (GRPO that taught a name: the identity questions)."""
        name = method or self.last_kind or next(iter(methods.METHODS))
        return methods.get(name).compare_setup(identity=name == self.last_kind and self.identity_name is not None)

    # -- blind votes ------------------------------------------------------------------------
    def _sides(self, path: str, other: str | None = None) -> tuple[Path, Side, Side]:
        """The run whose votes.jsonl keeps the votes, and the two sides its ballot sets against each other: the
        run's model before and after training, or (`other`) its trained model against another run's."""
        if path and not Path(path).exists() and self._under_root(Path(path)):
            raise StudioError(Said("that run is gone (deleted or moved); pick a run from the list",
                                   "这条训练记录已经不在了（被删除或移走）；请从列表中另选一条"))
        # only the answers: a vote must not read the whole run (its metrics and probes logs) twice per click
        runs = [{"path": str(p), "before_after": read_json(p / "before_after.json", [])}
                for p in [self._inside(path)] + ([self._inside(other)] if other else [])]
        if not all(r["before_after"] for r in runs):
            raise StudioError(Said("that run has no before/after answers to vote on (it did not finish); pick a finished run",
                                   "这条训练记录没有可投票的训练前后回答（它没有完成）；请选一条已完成的"))
        if not all(methods.answers((read_json(Path(r["path"]) / "config.json", {}) or {}).get("method")) for r in runs):
            raise StudioError(Said("that is a reward model's run: it scores answers and wrote none to vote on; pick a run "
                                   "whose model answers",
                                   "这是奖励模型的训练记录：它只给回答打分，自己没有写回答可供投票；请选一条模型会回答问题的训练记录"))
        if len(runs) == 1:
            first, second = run_sides(runs[0]["before_after"])
        else:
            first, second = (Side(Path(r["path"]).name, {x["question"]: x["after"] for x in r["before_after"]})
                             for r in runs)
            if first.label == second.label or not set(first.answers) & set(second.answers):
                raise StudioError(Said("pick two different runs that answered the same questions",
                                       "请选两条不同的、回答过相同问题的训练记录"))
        if not questions(first, second):
            raise StudioError(Said("the two sides answered every question word for word the same: there is nothing to "
                                   "vote on", "两边对每个问题的回答都一字不差：没有可投票的内容"))
        return Path(runs[0]["path"]), first, second

    def ballot(self, path: str, voter: str, other: str | None = None) -> dict:
        """A blind ballot for `voter`: {"items": [{"index", "question", "A", "B"}] (the questions the two sides
        answered differently), "voted": {index: the vote} (what this voter already said), "tally": `votes.tally`,
        "sides": [first label, second label]}."""
        run, first, second = self._sides(path, other)
        votes = VoteLog(run / "votes.jsonl").read()
        asked = questions(first, second)
        mine = {asked.index(v["question"]): v for v in votes if v.get("voter") == voter and v.get("question") in asked
                and {v.get("A"), v.get("B")} == {first.label, second.label}}
        return {"items": ballot(first, second, voter), "voted": mine, "tally": tally(votes, first.label, second.label),
                "sides": [first.label, second.label]}

    def vote(self, path: str, voter: str, index: int, choice: str, other: str | None = None) -> dict:
        """Count one blind vote (written to the run's votes.jsonl before this returns): {"vote" (with the labels
        A and B stood for), "tally"}. A voter may vote on a question once."""
        run, first, second = self._sides(path, other)
        log = VoteLog(run / "votes.jsonl")
        try:
            row = make_vote(first, second, str(voter), int(index), str(choice))
        except (VoteError, TypeError, ValueError) as e:
            raise StudioError(message_of(e)) from None
        if any(v.get("voter") == row["voter"] and v.get("question") == row["question"] and
               {v.get("A"), v.get("B")} == {first.label, second.label} for v in log.read()):
            raise StudioError(Said("you have already voted on this question; go on to the next one",
                                   "你已经给这个问题投过票了；请继续下一题"))
        log.append(row)
        return {"vote": row, "tally": tally(log.read(), first.label, second.label)}

    def vote_pairs(self, path: str, other: str | None = None) -> list[dict]:
        """The run's votes as DPO pairs (chosen = the answer most voters preferred), for the Data tab."""
        run, first, second = self._sides(path, other)
        pairs = preference_pairs(VoteLog(run / "votes.jsonl").read(), first, second)
        if not pairs:
            raise StudioError(Said("no question has a majority yet: vote on some questions first (a tie or an even split "
                                   "gives no pair)",
                                   "还没有哪个问题得到多数票：请先给一些问题投票（平局或票数持平不产生偏好对）"))
        return pairs

    # -- the RLHF pipeline -------------------------------------------------------------------
    def pipeline(self, name: str | None = None, org: str | None = None) -> dict[str, dict]:
        """Which run backs each step of SFT → reward model → RL, and DPO, now (posttrain.chain.chains); with a
        name and organisation, only runs that taught that identity to the model loaded now."""
        runs = [{**run_summary(p), "config": read_json(p / "config.json", {}) or {}} for p in list_runs(self.root)]
        return chain.chains(runs, name, org)

    def start_step(self, key: str, name: str, org: str) -> Job:
        """Start step `key` of the pipeline as the identity preset of its method, for the identity `name`, `org`:
        SFT, the reward model (whose pairs are the base model's own answers) and DPO from the base model; RL from
        the model of the newest SFT run for that identity, loaded back from its folder, paid by the newest reward
        model for it. Raises StudioError when a step it needs has no such run, before any model is swapped."""
        step = chain.BY_KEY.get(key)
        if step is None:
            raise StudioError(Said(f"unknown pipeline step '{key}'; choose one of: {', '.join(chain.BY_KEY)}",
                                   f"没有叫 '{key}' 的流程步骤；可选：{'、'.join(chain.BY_KEY)}"))
        name, org = (name or "").strip(), (org or "").strip()
        if not name or not org:
            raise StudioError(Said("give the new name and organisation first (Data tab): every step teaches that identity",
                                   "请先填写新名字和机构（「数据」页）：每一步教的都是这个身份"))
        found = self.pipeline(name, org)
        values = {}
        if step.paid_by:
            if step.paid_by not in found:
                raise StudioError(Said(f"train the reward model first (step 2) for {name} / {org}: RL needs a reward to "
                                       "train against",
                                       f"请先为 {name} / {org} 训练奖励模型（第 2 步）：强化学习需要一个奖励才能训练"))
            values["reward_model"] = found[step.paid_by]["path"]
        if step.after and step.after not in found:
            raise StudioError(Said(f"run SFT first (step 1) for {name} / {org}: this step starts from its model",
                                   f"请先为 {name} / {org} 运行 SFT（第 1 步）：这一步从它训练出的模型开始"))
        m = methods.get(step.method)
        preset = step.preset or m.identity_presets[0]
        m.settings(preset, values)  # refused here, before the model is swapped
        if step.after:
            self._continue_from(found[step.after]["path"])
        return self.start(m.name, values, None, name=name, org=org, preset=preset,
                          data_source=Said(f"pipeline step {key}: the {m.label} {preset} preset",
                                           f"RLHF 流程的 {key} 步：「{m.label_zh}」的 {preset} 预设"),
                          from_base=step.after is None)

    def _continue_from(self, run: str) -> None:
        """Make the model `run` saved the current one, its lineage the base it started from, the runs it was trained
        on top of, and it (nothing to do when it is the current one already)."""
        if self.trained_by == str(run):
            return
        config = read_json(Path(run) / "config.json", {}) or {}
        self._idle()
        with self._model_lock:
            lm = load_model(str(Path(run) / "model"), device=self.lm.device if self.lm else None)
            self.lm = lm
            self.base = config.get("model") or self.base
            self.trained_by = str(run)
            self.lineage = [str(self.root / n) for n in config.get("trained_on_top_of") or []] + [str(run)]
            self._before.clear()

    def score_answer(self, path: str, question: str, answer: str) -> float:
        """A reward-model run's score of one answer to one question (the "score any answer" box)."""
        if not (question or "").strip() or not (answer or "").strip():
            raise StudioError(Said("type a question and an answer to score", "请输入要打分的问题和回答"))
        folder = self._inside(path)
        with self._judge_lock:  # visitors share one loaded reward model: each scores with the one it asked for
            judge = self._judge
            if judge is None or judge.path != str(folder):
                try:
                    judge = self._judge = reward_model.load(folder)
                except reward_model.RewardModelError as e:
                    raise StudioError(message_of(e)) from None
            try:
                return judge.score([question.strip()], [answer.strip()])[0]
            except (ValueError, RuntimeError) as e:
                raise StudioError(Said(f"the reward model could not score that answer ({e}); try a shorter one",
                                       f"奖励模型没能给这个回答打分（{e}）；换一个短一些的回答试试")) from None

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
            raise StudioError(Said("choose a run from the list", "请从列表中选一条训练记录"))
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
                raise StudioError(Said("this run has no saved model (it failed or was interrupted before saving)",
                                       "这条训练记录没有保存的模型（它失败了，或在保存前被中断）") if what == "model"
                                  else Said("this run has no LoRA adapter (it was a full fine-tune, or it did not finish)",
                                            "这条训练记录没有 LoRA 适配器（它是全参数微调，或没有完成）"))
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
