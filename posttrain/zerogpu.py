"""Training on a ZeroGPU Space: the whole run inside `spaces.GPU`'s forked worker, streamed back.

On ZeroGPU ($SPACES_ZERO_GPU=true) the GPU exists only inside a function decorated with `spaces.GPU`,
which ZeroGPU runs in a worker process forked from the app: a thread started in the app never sees
CUDA, and nothing the worker changes in memory comes back. So there a run is one generator call,
`train_in_worker`, which loads the model, trains, answers the before/after questions and saves the
tuned weights into the run directory, yielding the job's snapshot about once a second. The app side,
`RemoteJob`, reads the logs from the run directory as the worker flushes them (the charts stream as
usual) and the Studio loads the saved weights back for Compare. Closing the generator (Stop, or
Gradio's cancel) stops training after the current step; what was trained is still saved. The worker
stops training on its own before the GPU time it was granted runs out.

`gpu_train()` picks how `train_in_worker` runs: `spaces.GPU` on ZeroGPU, the local stand-in `forked`
when $POSTTRAIN_ZEROGPU=standin (a forked worker, a queue for the yields and an event for the cancel,
as ZeroGPU does; the tests use it), and None elsewhere (the job runs in a thread of this process).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import queue
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from . import switches
from . import pipeline
from .bilingual import Said, append, first_line, loaded, message_of, put, zh
from .metrics import MetricsLog
from .models import load_model
from .runner import ACTIVE, JobHandle, forget_parent_job, start_job
from .runs import read_run

# GPU seconds asked for per run. ZeroGPU grants each visitor a few minutes a day; a 135M identity run
# needs well under a minute on a GPU. $POSTTRAIN_GPU_SECONDS changes it.
GPU_SECONDS = switches.gpu_seconds()


def train_in_worker(spec, run_dir: str, budget_s: float = GPU_SECONDS, start_from: str | None = None,
                    token: str | None = None) -> Iterator[dict]:
    """The GPU function: one whole run in this (worker) process, yielding its snapshot about once a second.

    `start_from` is a saved model to train instead of `spec.model` (a second run goes on from the
    first); `token` loads a private base model and is gone from the worker when the run ends. Training
    stops by itself when what is left of `budget_s` is about what the after-answers and the save need,
    so the visitor always gets a saved model and a comparison.
    """
    forget_parent_job()
    # datasets names in-memory data by drawing from its own generator, which the fork copied: the worker
    # would draw the parent's next names, and TRL caches reference log-probs under them in a folder both
    # share, so a later run in the parent read this run's (found by the tests). Draw fresh names here.
    from datasets import fingerprint

    fingerprint.fingerprint_rng.seed()
    # A forked child cannot start OpenMP threads once its parent has used them (libgomp hangs), and on
    # ZeroGPU the parent has run CPU tensor work; the GPU does the heavy lifting here anyway.
    os.environ["POSTTRAIN_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)

    def recipe(job):
        return pipeline.recipe(spec, load_model(start_from) if start_from else None)(job)

    if token:
        os.environ["HF_TOKEN"] = token  # read by huggingface_hub for this run's downloads only
    job = start_job(spec.method, run_dir, recipe)
    t0 = time.time()
    try:
        while job.thread.is_alive():
            job.wait(1.0)
            reserve = 10 + job.phase_times.get("before", 10)  # the after-answers take about as long as the before
            if job.phase in ("cold_start", "train") and job.status == "running" and time.time() - t0 > budget_s - reserve:
                job.note(Said(f"stopped after step {job.progress.step}: the GPU time granted for this run "
                              f"({budget_s:.0f} s) was nearly used up; the model trained so far is saved and compared",
                              f"在第 {job.progress.step} 步后停止：这次分配的 GPU 时间（{budget_s:.0f} 秒）快用完了；"
                              "已训练的模型会被保存并参与对比"))
                job.stop()
            yield job.snapshot()
    finally:
        if job.status in ACTIVE:  # closed early (Stop or cancel): finish the step, answer, save
            job.stop()
            job.wait()
        if token:
            os.environ.pop("HF_TOKEN", None)
    yield job.snapshot()


def forked(task: Callable[..., Iterator]) -> Callable[..., Iterator]:
    """A local stand-in for `spaces.GPU` on a generator: run `task` in a forked worker, as ZeroGPU does.

    The worker's yields come back through a queue; closing the returned generator sets an event the
    worker checks after each yield, and then closes `task`'s generator there (ZeroGPU's cancel).
    """

    @functools.wraps(task)
    def handler(*args, **kwargs):
        ctx = multiprocessing.get_context("fork")
        results, stop = ctx.Queue(), ctx.Event()
        worker = ctx.Process(target=_iterate, args=(task, args, kwargs, results, stop), daemon=True)
        worker.start()
        while True:
            try:
                kind, value = results.get(timeout=5)
            except queue.Empty:
                if not worker.is_alive():
                    raise RuntimeError(Said("the GPU worker ended without a word (killed, or out of memory)",
                                            "GPU 工作进程没留下一句话就结束了（被终止，或内存不够）")) from None
                continue
            if kind == "error":
                raise RuntimeError(value)
            if kind == "end":
                return
            try:
                yield value
            except GeneratorExit:
                stop.set()
                raise

    return handler


def _iterate(task, args, kwargs, results, stop) -> None:
    gen = task(*args, **kwargs)
    try:
        for value in gen:
            if stop.is_set():
                gen.close()
                break
            results.put(("ok", value))
    except Exception as e:  # noqa: BLE001 - reported to the app, as ZeroGPU does
        results.put(("error", f"{type(e).__name__}: {e}"))
    results.put(("end", None))


_WRAPPED: dict[str, Callable] = {}


def gpu_train() -> Callable[..., Iterator[dict]] | None:
    """`train_in_worker` as this machine runs it, or None where a local thread sees the device."""
    if os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true"):
        if "zero" not in _WRAPPED:  # decorated once, at startup (app.py calls this on import)
            import spaces

            _WRAPPED["zero"] = spaces.GPU(duration=lambda req, run_dir, budget_s=GPU_SECONDS, *rest: budget_s)(train_in_worker)
        return _WRAPPED["zero"]
    if switches.zerogpu_standin():
        return forked(train_in_worker)
    return None


class _DiskLog:
    """A log the worker writes: read from its file each time (the worker flushes every row)."""

    def __init__(self, path: Path):
        self.path = path

    def rows(self) -> list[dict]:
        return MetricsLog.read(self.path)


class RemoteJob(JobHandle):
    """The app's handle on a run in the GPU worker: looks like a `runner.Job` to the Studio and the UI.

    `drive()` iterates the GPU generator and must run in the request that started the job (ZeroGPU
    ties the GPU to it); `stop()` makes the next step close the generator.
    """

    where = Said(" on the GPU", "在 GPU 上，")  # in Chinese it opens describe()'s parentheses: （在 GPU 上，第 3/10 步，…）

    def __init__(self, kind: str, run_dir: str | Path, call: Callable[[], Iterator[dict]],
                 on_end: Callable[["RemoteJob"], None] | None = None):
        self.kind, self.run_dir = kind, Path(run_dir)
        self.status, self.phase, self.error = "running", "starting", None
        self.outcome: str | None = None  # how the worker's run ended, known just before `status` says it
        self.result: dict = {}
        self.messages: list[str] = []
        self.metrics, self.probes, self.groups, self.token_rewards = (
            _DiskLog(self.run_dir / f"{n}.jsonl") for n in ("metrics", "probes", "groups", "token_rewards"))
        self._call, self._on_end = call, on_end
        self.stop_event, self._done = threading.Event(), threading.Event()
        self._t0, self._ended = time.time(), None  # the clock stops when the run has settled
        self._snap: dict = {"kind": kind, "step": 0, "total": 0, "eta_s": None, "error": None,
                            "run_dir": str(self.run_dir), "phase_times": {}, "notes": [], "notes_zh": []}

    def drive(self) -> Iterator[dict]:
        gen = self._call()
        try:
            for snap in gen:  # the status stays active until _settle: the Studio adopts the model first
                self._snap = dict(snap)
                self.phase = snap.get("phase", self.phase)
                yield self.snapshot()
                if self.stop_event.is_set():
                    break
        except Exception as e:  # noqa: BLE001 - the worker failed; say so, keep what it wrote
            self.error = first_line(message_of(e)) or type(e).__name__
        finally:
            gen.close()  # Stop or Gradio's cancel: the worker ends training after this step
            self._settle()
        yield self.snapshot()

    def _settle(self) -> None:
        """Wait for the worker's last word in status.json, take the result from the run directory, hand over.

        A worker still writing is waited for as long as its process lives and the GPU time it was
        granted (plus the after-answers and the save) allows; then it is reported as lost.
        """
        deadline = time.time() + GPU_SECONDS + 600
        while True:
            run = read_run(self.run_dir)
            status = run["status"]
            if status.get("status") not in ACTIVE or time.time() > deadline:
                break
            time.sleep(0.5)
        final = status.get("status")
        lost = final in ACTIVE + ("interrupted",) or not final
        self.error = loaded(status, "error") or self.error or (
            Said("the GPU worker stopped answering before the run finished; what it wrote is in the run folder",
                 "训练还没结束，GPU 工作进程就没了回应；它已写下的内容在训练文件夹里") if lost else None)
        self.phase = status.get("phase", self.phase)
        self._snap.update({k: status[k] for k in ("step", "total", "phase_times", "notes", "notes_zh")
                           if k in status})
        self.result = {"scores": run["scores"] or None, "before_after": run["before_after"] or None}
        self.outcome = "failed" if lost else final
        try:  # still active meanwhile: nobody starts or loads while the Studio takes up the model
            if self._on_end is not None:
                self._on_end(self)
        except Exception as e:  # noqa: BLE001 - the run is on disk; say why its model was not taken up
            append(self._snap, "notes", Said(f"the trained model could not be loaded back: {e}",
                                             f"训练好的模型没能载回：{zh(message_of(e))}"))
        finally:
            self.status, self._ended = self.outcome, time.time()
            self._done.set()

    def snapshot(self) -> dict:
        return {**self._snap, "status": self.status, "phase": self.phase, **put({}, "error", self.error),
                "elapsed_s": round((self._ended or time.time()) - self._t0, 1), "eta_s": self._snap.get("eta_s") if self.status in ACTIVE else None}

    def wait(self, timeout: float | None = None) -> None:
        self._done.wait(timeout)
