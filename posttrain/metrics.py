"""The metrics log: every row TRL logs, kept in memory for charts and appended to disk at once.

`MetricsLog` is a thread-safe list of dict rows (TRL's own metric names: `loss`, `rewards/margins`,
`reward`, `rewards/<func>/mean`, … plus `step` and `elapsed_s`) that also appends each row to a JSONL
file and flushes it, so a process killed mid-run leaves a file that still reads and charts.
`TrainingCallback` feeds it from the training thread, tracks progress for the ETA, honours a stop
request after the current step, stops the job when the loss stops being finite, and records probe
answers every k steps and where the identity flip curve moves.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Callable

import torch
from transformers import TrainerCallback

from .bilingual import Said, zh


class MetricsLog:
    """Append-only, thread-safe rows, mirrored to `path` (JSONL) as they arrive."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        self._rows: list[dict] = []
        self._lock = threading.Lock()
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, row: dict) -> None:
        row = {k: _plain(v) for k, v in row.items()}
        with self._lock:
            self._rows.append(row)
            if self.path:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    f.flush()
                    os.fsync(f.fileno())

    def rows(self) -> list[dict]:
        """A copy of every row so far (safe to read while training appends)."""
        with self._lock:
            return list(self._rows)

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    @staticmethod
    def read(path: str | Path) -> list[dict]:
        """Rows of a JSONL file; a torn last line (a killed process) is skipped, not fatal."""
        rows = []
        p = Path(path)
        if not p.exists():
            return rows
        for line in p.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return rows


def _plain(v):
    if isinstance(v, torch.Tensor):
        v = v.item() if v.numel() == 1 else v.tolist()
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # JSON has no NaN/inf; keep the fact visible as a string
    return v


class Progress:
    """Step, total and ETA of a running job, updated from the training thread.

    The ETA is the recent step time (the mean of the last RECENT steps' durations; the first step carries
    warm-up costs and is left out) times the steps left, counted down from the last step's end: it falls
    smoothly within a step instead of jumping at each one, and follows a run that speeds up or slows down.
    """

    RECENT = 5

    def __init__(self, clock=time.time):
        self.step = 0
        self.total = 0
        self.clock = clock
        self.started = clock()
        self._marks: list[float] = []  # when steps 1, 2, … ended (the last RECENT + 1 of them)

    def step_s(self) -> float | None:
        """Seconds per step, from the last RECENT steps after the first; None until two steps have ended."""
        if len(self._marks) < 2:
            return None
        return (self._marks[-1] - self._marks[0]) / (len(self._marks) - 1)

    def eta_s(self) -> float | None:
        per_step = self.step_s()
        if per_step is None or self.total <= 0:
            return None
        after = max(0, self.total - self.step - 1)  # the steps after the one under way
        return max(per_step * after, per_step * (self.total - self.step) - (self.clock() - self._marks[-1]))

    def mark(self, step: int, total: int) -> None:
        self.step, self.total = step, total
        if step >= 1:
            self._marks = (self._marks + [self.clock()])[-(self.RECENT + 1):]

    def restart(self) -> None:
        """A new training phase begins (after a cold start): its steps count from 0, their time from now on."""
        self.step, self.total, self._marks = 0, 0, []


# How far (log-probability per token) the flip curve's gap must move since the last probe to probe again.
DENSE_NATS = 1.0


class Filed:
    """A view of a MetricsLog that files each value of a row under `prefix` (`step` and `elapsed_s` as they are):
    a cold start's SFT loss logs as `cold_start/loss`, beside the loss of the job that follows it.

    >>> log = MetricsLog(); Filed(log, "cold_start/").append({"step": 3, "loss": 0.5, "elapsed_s": 1.0})
    >>> log.rows()
    [{'step': 3, 'cold_start/loss': 0.5, 'elapsed_s': 1.0}]
    """

    def __init__(self, log: MetricsLog, prefix: str):
        self.log, self.prefix = log, prefix

    def append(self, row: dict) -> None:
        self.log.append({k if k in ("step", "elapsed_s") else self.prefix + k: v for k, v in row.items()})


class TrainingCallback(TrainerCallback):
    """Feeds the metrics log and the probe log, tracks progress, and stops on request or on NaN.

    `probe(model, step)` is called at step 0 (unless `probed_at_start`: the caller already asked the
    untrained model), every `probe_every` steps, and in between at a step where the flip curve `curve`
    (step → gap, kept by posttrain.watch.Watch, which must come first in the callbacks) moved by DENSE_NATS
    since the last probe; it must leave the model as it found it (see compare.probe_recorder).
    """

    def __init__(self, log: MetricsLog, progress: Progress, stop_event: threading.Event,
                 probe: Callable | None = None, probe_every: int = 0, probed_at_start: bool = False,
                 curve: dict[int, float] | None = None):
        self.log, self.progress, self.stop_event = log, progress, stop_event
        self.probe, self.probe_every, self.probed_at_start = probe, probe_every, probed_at_start
        self.curve, self._probed = curve, 0  # step → flip-curve gap (posttrain.watch); the last probed step
        self.nonfinite: Said | None = None
        self._t0 = time.time()

    def on_train_begin(self, args, state, control, model=None, **kw):
        self._t0 = time.time()
        self.progress.mark(0, state.max_steps)
        if self.probe and self.probe_every and not self.probed_at_start:
            self.probe(model, 0)

    def on_step_end(self, args, state, control, model=None, **kw):
        step = state.global_step
        self.progress.mark(step, state.max_steps)
        if self.probe and self.probe_every and (step % self.probe_every == 0 or step == state.max_steps
                                                or self._moved(step)):
            self.probe(model, step)
            self._probed = step
        if self.stop_event.is_set() or self.nonfinite:
            control.should_training_stop = True

    def _moved(self, step: int) -> bool:
        """Whether the flip curve moved by DENSE_NATS since the last probe: the timeline asks then too, so its
        rows are densest where the answer changes."""
        if not self.curve or step not in self.curve:
            return False
        # the curve as it stood at the last probe (its last point then: $POSTTRAIN_WATCH_EVERY may thin it)
        then = max((s for s in self.curve if s <= self._probed), default=None)
        return then is not None and abs(self.curve[step] - self.curve[then]) >= DENSE_NATS

    def on_log(self, args, state, control, logs=None, **kw):
        logs = dict(logs or {})
        for key, what in (("loss", Said("the loss", "损失")), ("grad_norm", Said("the gradient", "梯度"))):
            value = logs.get(key)
            if isinstance(value, (int, float)) and not math.isfinite(value) and not self.nonfinite:
                self.nonfinite = Said(f"{what} became {value} at step {state.global_step}; lower the learning rate and "
                                      "try again",
                                      f"{zh(what)}变成了 {value}（第 {state.global_step} 步）；请调低学习率后重试")
                control.should_training_stop = True
        self.log.append({"step": state.global_step, **logs, "elapsed_s": round(time.time() - self._t0, 3)})
