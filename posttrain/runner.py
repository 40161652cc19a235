"""The background job: one training run in a thread, observable and stoppable from anywhere.

`start_job` runs a recipe (a function of the `Job`) in a daemon thread and refuses a second one
while the first is alive (one job per process: TRL and torch keep process-global state). Anyone can
read the job: status (running / stopping / done / failed / stopped), phase, step and total, ETA, the
live metrics, probes and groups logs, and the error when it failed. `stop()` asks the training loop to
end after the current step; calling it twice, or when nothing runs, is harmless.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

import torch

from .bilingual import Said, first_line, message_of, put, zh
from .metrics import MetricsLog, Progress
from .runs import write_json
from .ui.text import t_or

ACTIVE = ("running", "stopping")


OUT_OF_MEMORY = Said("ran out of memory; the memory is freed and you can start again with a smaller batch size "
                     "or max length, or with LoRA",
                     "内存不够用了；内存已释放，可以调小批大小或最大长度、或开启 LoRA 后重新开始")


def is_out_of_memory(e: BaseException) -> bool:
    """torch's CUDA OOM, Python's MemoryError, or the CPU allocator's failure (a plain RuntimeError)."""
    text = str(e)
    return isinstance(e, (torch.OutOfMemoryError, MemoryError)) or (
        isinstance(e, RuntimeError) and ("DefaultCPUAllocator" in text or "out of memory" in text.lower()))


class JobBusy(RuntimeError):
    """A job is already running; the message says which and how far it is."""


class JobStopped(Exception):
    """Raised inside a recipe between phases when a stop was requested."""


class JobHandle:
    """What everyone may do with a job, wherever it runs: read it, describe it, ask it to stop.

    A subclass has `kind`, `status`, `stop_event` and `snapshot()`; `where` says where it runs.
    """

    where = ""

    def describe(self) -> Said:
        """The job in a sentence (a refused request says what it waits for), its words in Chinese from the UI's table."""
        s = self.snapshot()
        at = f"step {s['step']}/{s['total']}" if s.get("total") else s["phase"]
        at_zh = f"第 {s['step']}/{s['total']} 步" if s.get("total") else t_or("phase." + s["phase"], "zh", s["phase"])
        return Said(f"a {self.kind} job is {s['status']}{self.where} ({at}, {s['elapsed_s']:.0f} s so far)",
                    f"{self.kind.upper()} 任务{t_or('status.' + s['status'], 'zh', s['status'])}"
                    f"（{zh(self.where)}{at_zh}，已用 {s['elapsed_s']:.0f} 秒）")

    def stop(self) -> str:
        if self.status not in ACTIVE:
            return f"nothing to stop: the {self.kind} job is {self.status}"
        self.stop_event.set()
        self.status = "stopping"
        return f"stopping the {self.kind} job after the current step"


class Job(JobHandle):
    def __init__(self, kind: str, run_dir: str | Path):
        self.kind = kind
        self.run_dir = Path(run_dir)
        self.status = "running"
        self.phase = "starting"
        self.phase_times: dict[str, float] = {}
        self.error: str | None = None  # one sentence; a `bilingual.Said` brings its Chinese
        self.result: dict = {}
        self.progress = Progress()
        self.stop_event = threading.Event()
        self.metrics = MetricsLog(self.run_dir / "metrics.jsonl")
        self.probes = MetricsLog(self.run_dir / "probes.jsonl")
        self.groups = MetricsLog(self.run_dir / "groups.jsonl")
        self.token_rewards = MetricsLog(self.run_dir / "token_rewards.jsonl")
        self.messages: list[str] = []
        self.notes: list[str] = []  # what the user should know about this run (data cut to fit, …)
        self.notes_zh: list[str] = []  # the same in Chinese (`posttrain.bilingual`)
        self.thread: threading.Thread | None = None
        self.ended: float | None = None  # when the job ended: its clock stops there
        self._phase_t0 = time.time()

    # -- called from the recipe (the job's thread) ------------------------------------------
    def enter(self, phase: str, stoppable: bool = True) -> None:
        """Start a new phase (closing the timing of the last one); stop here if asked to.

        Phases after training pass `stoppable=False`: a model stopped mid-training still gets its
        after-answers and is saved, so stopping never throws away what was trained. A stop stops before the
        new phase begins: the job's phase stays the last one it ran (a stop before training leaves a model
        no training touched, and the Studio keeps it).
        """
        now = time.time()
        if self.phase != "starting":
            self.phase_times[self.phase] = round(self.phase_times.get(self.phase, 0) + now - self._phase_t0, 2)
        self._phase_t0 = now
        if stoppable and self.stop_event.is_set():
            self._save_status()
            raise JobStopped
        self.phase = phase
        self._save_status()

    def say(self, message: str) -> None:
        self.messages.append(message)

    def note(self, message: str) -> None:
        """Something the user should see next to the job's status (and the CLI prints); a `bilingual.Said`
        brings its Chinese."""
        self.messages.append(str(message))
        self.notes.append(str(message))
        self.notes_zh.append(zh(message))
        self._save_status()

    # -- called from anywhere ---------------------------------------------------------------
    def eta_s(self) -> float | None:
        """Seconds until the job ends, where that can be told, phase by phase: while it trains, the steps left
        at the recent step time plus the answering after training, which asks what the answering before
        asked (its time is known by then); while it answers, what is left of that time. None before
        training's second step, while saving, and once the job has ended."""
        if self.status != "running":  # stopping: the step under way, then the answers; not told here
            return None
        answering = self.phase_times.get("before")
        if self.phase == "train":
            steps = self.progress.eta_s()
            return None if steps is None else steps + (answering or 0.0)
        if self.phase == "after" and answering is not None:
            return max(0.0, answering - (time.time() - self._phase_t0))
        return None

    def snapshot(self) -> dict:
        """Plain-data view for UIs and the CLI; the elapsed clock stops when the job ends."""
        eta = self.eta_s()
        return {
            "kind": self.kind, "status": self.status, "phase": self.phase,
            "step": self.progress.step, "total": self.progress.total,
            "eta_s": None if eta is None else round(eta, 1),
            "elapsed_s": round((self.ended or time.time()) - self.progress.started, 1),
            **put({}, "error", self.error), "run_dir": str(self.run_dir), "phase_times": dict(self.phase_times),
            "notes": list(self.notes), "notes_zh": list(self.notes_zh),
        }

    def wait(self, timeout: float | None = None) -> None:
        if self.thread:
            self.thread.join(timeout)

    def _save_status(self) -> None:
        write_json(self.run_dir / "status.json", {**self.snapshot(), "pid": os.getpid(), "messages": self.messages})

    def _fail(self, error: str) -> None:
        """Record a failure: one sentence for people, the traceback in error.txt for whoever debugs it."""
        self.status, self.error = "failed", error
        (self.run_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")

    def _run(self, recipe: Callable[["Job"], dict]) -> None:
        try:
            self.result = recipe(self) or {}
            self.enter("finished", stoppable=False)
            self.status = "stopped" if self.stop_event.is_set() else "done"
        except JobStopped:
            self.status = "stopped"
        except (torch.OutOfMemoryError, MemoryError):
            self._fail(OUT_OF_MEMORY)
        except (ValueError, RuntimeError, OSError) as e:  # our own errors carry readable messages
            self._fail(OUT_OF_MEMORY if is_out_of_memory(e) else first_line(message_of(e)) or type(e).__name__)
        except Exception as e:  # noqa: BLE001 - a job must never take the process down
            self._fail(f"{type(e).__name__}: {e}")
        finally:
            self.ended = time.time()
            if self.phase != "finished":  # a stopped or failed phase still gets its time
                self.phase_times.setdefault(self.phase, round(self.ended - self._phase_t0, 2))
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            self._save_status()


_lock = threading.Lock()
_current: Job | None = None


def current_job() -> Job | None:
    return _current


def start_job(kind: str, run_dir: str | Path, recipe: Callable[[Job], dict]) -> Job:
    """Start `recipe(job)` in a background thread, or raise JobBusy if a job is still running."""
    global _current
    with _lock:
        if _current is not None and _current.status in ACTIVE:
            raise _busy(_current)
        job = Job(kind, run_dir)
        job._save_status()
        job.thread = threading.Thread(target=job._run, args=(recipe,), name=f"posttrain-{kind}", daemon=True)
        _current = job
        job.thread.start()
        return job


def register_job(job) -> None:
    """Make `job` this process's current job: one that runs elsewhere (a ZeroGPU worker) but must be
    visible, stoppable and exclusive like a local one. Raises JobBusy if a job is still running."""
    global _current
    with _lock:
        if _current is not None and _current.status in ACTIVE:
            raise _busy(_current)
        _current = job


def _busy(job: JobHandle) -> JobBusy:
    """The refusal of a second job: it names the one running, so the person knows what to wait for."""
    busy = job.describe()
    return JobBusy(Said(f"{busy}; wait for it to finish or stop it first", f"{zh(busy)}；请等它结束，或先停止它"))


def forget_parent_job() -> None:
    """In a freshly forked worker: the parent's current job (copied by the fork) is not this process's."""
    global _current
    _current = None
