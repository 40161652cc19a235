"""Every `POSTTRAIN_*` environment switch, read in one place: name, meaning, default.

Each function reads the environment when called (not at import), so a test's `monkeypatch.setenv`
or a launcher's `os.environ.setdefault("POSTTRAIN_THREADS", …)` before the call takes effect.

| switch | meaning | default |
|---|---|---|
| `POSTTRAIN_THREADS` | torch CPU threads (the CLI sets it per rank under torchrun, ZeroGPU's worker to 1) | 0: one per available core |
| `POSTTRAIN_CPU_BF16` | `0`: no bf16 on a CPU with native bf16 (training's autocast, and answers written with bf16 weights) | on |
| `POSTTRAIN_CPU_LM_HEAD` | `0`: TRL's own LM head on the CPU instead of posttrain.logprobs' | on |
| `POSTTRAIN_RUNS` | folder the runs are written to | `runs` |
| `POSTTRAIN_CACHE` | folder the converted bundled model is cached in | `~/.cache/posttrain` |
| `POSTTRAIN_ANSWER_CACHE` | `0`: no cache of the untrained model's answers (posttrain.answer_cache); a folder: keep it there | `$POSTTRAIN_CACHE/answers` |
| `POSTTRAIN_PUBLIC` | `1`: public mode (as on a Space): visitors may not read the server's files | off |
| `POSTTRAIN_ZEROGPU` | `standin`: run ZeroGPU's forked-worker path without a GPU (tests) | off |
| `POSTTRAIN_GPU_SECONDS` | GPU seconds one ZeroGPU run asks for | 120 |
| `POSTTRAIN_CHROMIUM` | the Chromium the browser test and the screenshot script drive | `chromium` on $PATH / `/usr/bin/chromium` |
| `POSTTRAIN_WATCH_EVERY` | the flip curve and the token rewards (posttrain.watch) every k steps (and at the first and last): on 2 CPU cores they add 13 % to a DPO step at 1, 2.5 % at 5 over an 8-step run (docs/benchmarks.md) | 1 |
"""

from __future__ import annotations

import os
from pathlib import Path


def threads() -> int:
    """$POSTTRAIN_THREADS as a number; 0 when unset (then one thread per available core)."""
    return int(os.environ.get("POSTTRAIN_THREADS", "0"))


def cpu_bf16() -> bool:
    """Whether bf16 may be used on a CPU that has native bf16, to train and to write answers ($POSTTRAIN_CPU_BF16=0: no)."""
    return os.environ.get("POSTTRAIN_CPU_BF16", "1") != "0"


def cpu_lm_head() -> bool:
    """Whether jobs on a CPU score log-probs with posttrain.logprobs ($POSTTRAIN_CPU_LM_HEAD=0: TRL's own)."""
    return os.environ.get("POSTTRAIN_CPU_LM_HEAD", "1") != "0"


def runs_dir() -> Path:
    """Where runs are written: $POSTTRAIN_RUNS, else ./runs."""
    return Path(os.environ.get("POSTTRAIN_RUNS", "runs"))


def cache_dir() -> Path:
    """Where posttrain caches the converted bundled model: $POSTTRAIN_CACHE, else ~/.cache/posttrain."""
    return Path(os.environ.get("POSTTRAIN_CACHE") or Path.home() / ".cache" / "posttrain")


def answer_cache() -> Path | None:
    """Where the untrained model's answers are cached: None when $POSTTRAIN_ANSWER_CACHE is 0, else that folder,
    else `cache_dir()/answers`."""
    where = os.environ.get("POSTTRAIN_ANSWER_CACHE", "")
    if where == "0":
        return None
    return Path(where) if where else cache_dir() / "answers"


def public() -> bool:
    """$POSTTRAIN_PUBLIC=1 asks for public mode (a Space turns it on by itself)."""
    return os.environ.get("POSTTRAIN_PUBLIC", "") == "1"


def zerogpu_standin() -> bool:
    """$POSTTRAIN_ZEROGPU=standin: ZeroGPU's forked-worker path on a machine without ZeroGPU."""
    return os.environ.get("POSTTRAIN_ZEROGPU") == "standin"


def gpu_seconds() -> int:
    """GPU seconds one ZeroGPU run asks for: $POSTTRAIN_GPU_SECONDS, else 120."""
    return int(os.environ.get("POSTTRAIN_GPU_SECONDS", "120"))


def chromium() -> str | None:
    """$POSTTRAIN_CHROMIUM, the browser binary for tests/test_browser.py and scripts/screenshot.py; None if unset."""
    return os.environ.get("POSTTRAIN_CHROMIUM") or None


def watch_every() -> int:
    """$POSTTRAIN_WATCH_EVERY: score the flip curve and the token rewards every k steps (at least 1; default 1)."""
    return max(1, int(os.environ.get("POSTTRAIN_WATCH_EVERY", "1")))
