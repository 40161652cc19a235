"""The run directory: the receipt of one run, readable while it runs and after a crash.

Layout::

    runs/<timestamp>-<kind>/
        config.json        what was asked for (model, data, settings)
        status.json        running / done / failed / stopped, phase times, error
        metrics.jsonl      every TRL log row, appended as it arrives
        probes.jsonl       probe answers every k steps
        groups.jsonl       GRPO only: one prompt's completions, rewards, advantages, correct per step
        token_rewards.jsonl  DPO only: one pair's implicit reward per token, every few steps (posttrain.watch)
        before_after.json  the same questions answered before and after
        scores.json        the numbers that judge the run
        recipe.json        what reruns it headless (posttrain.recipe_file)
        model/             the trained model, loadable with from_pretrained (LoRA merged)
        adapter/           with LoRA: the adapter alone (peft)
        receipt.html       the whole run on one page, written when asked for (posttrain.ui.receipt)
        error.txt          a failed run's traceback (its status says why in one sentence)

A run whose status.json still says "running" but whose process is gone is reported as
"interrupted" by `read_run`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from . import switches
from .metrics import MetricsLog


def runs_root() -> Path:
    return switches.runs_dir()


def new_run_dir(kind: str, root: str | Path | None = None) -> Path:
    """A fresh, uniquely named directory under `root` (default ./runs or $POSTTRAIN_RUNS)."""
    root = Path(root) if root else runs_root()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for i in range(1000):
        path = root / (f"{stamp}-{kind}" + (f"-{i}" if i else ""))
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a run directory under {root}")


def write_json(path: str | Path, data) -> None:
    """Write JSON atomically (temp file + rename), so a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # two writers never share one
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def read_json(path: str | Path, default=None):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return default


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
        return True
    except (OSError, TypeError, ValueError):
        return False


def _status(path: Path) -> dict:
    """status.json, with a run whose process is gone reported as "interrupted"."""
    status = read_json(path / "status.json", {}) or {}
    if status.get("status") in ("running", "stopping") and not _alive(status.get("pid")):
        status = {**status, "status": "interrupted"}
    return status


_EXPORTS = {"model": "config.json", "adapter": "adapter_config.json"}


def export_dir(path: str | Path, what: str) -> Path | None:
    """A finished run's `model/` (merged) or `adapter/` (LoRA) folder, or None when it has none.

    A run counts as finished once its model is saved: a failed one may hold an adapter, never a model.
    """
    path = Path(path)
    folder = path / what
    return folder if (path / "model" / _EXPORTS["model"]).exists() and (folder / _EXPORTS[what]).exists() else None


def run_summary(path: str | Path) -> dict:
    """What a list of runs shows (name, method, status, scores, model saved?), without reading the logs."""
    path = Path(path)
    return {"path": str(path), "name": path.name,
            "method": (read_json(path / "config.json", {}) or {}).get("method", "?"),
            "status": _status(path).get("status", "?"), "scores": read_json(path / "scores.json", {}),
            "has_model": export_dir(path, "model") is not None}


def read_run(path: str | Path) -> dict:
    """Everything a run directory holds, as plain data; tolerant of a run killed mid-way."""
    path = Path(path)
    return {
        "path": str(path),
        "config": read_json(path / "config.json", {}),
        "status": _status(path),
        "metrics": MetricsLog.read(path / "metrics.jsonl"),
        "probes": MetricsLog.read(path / "probes.jsonl"),
        "groups": MetricsLog.read(path / "groups.jsonl"),
        "token_rewards": MetricsLog.read(path / "token_rewards.jsonl"),
        "before_after": read_json(path / "before_after.json", []),
        "scores": read_json(path / "scores.json", {}),
        "has_model": export_dir(path, "model") is not None,
    }


# The settings a label may name when they tell runs apart (the ones a workshop varies between runs).
LABEL_SETTINGS = ("beta", "loss_type", "sft_weight", "lora", "gated", "lora_r", "learning_rate", "max_steps",
                  "kl_beta", "num_generations", "temperature", "seed")


def run_labels(runs: list[dict]) -> list[str]:
    """One label per run for a legend or a column: its name and method, then the settings every run has but
    not all with the same value (`runs` as `read_run` returns them).

    >>> run_labels([{"path": "runs/1-dpo", "config": {"method": "dpo", "settings": {"beta": 0.1, "lora": True}}},
    ...             {"path": "runs/2-dpo", "config": {"method": "dpo", "settings": {"beta": 0.5, "lora": True}}},
    ...             {"path": "runs/3-dpo", "config": {"method": "dpo", "settings": {"beta": 0.5, "lora": False}}}])
    ['1-dpo · DPO · beta=0.1 · lora on', '2-dpo · DPO · beta=0.5 · lora on', '3-dpo · DPO · beta=0.5 · lora off']
    """
    settings = [(r.get("config") or {}).get("settings") or {} for r in runs]
    differ = [k for k in LABEL_SETTINGS if all(k in s for s in settings) and len({repr(s[k]) for s in settings}) > 1]
    labels = []
    for r, s in zip(runs, settings):
        parts = [Path(r["path"]).name, str((r.get("config") or {}).get("method", "?")).upper()]
        labels.append(" · ".join(parts + [_setting(k, s[k]) for k in differ]))
    return labels


def _setting(key: str, value) -> str:
    if isinstance(value, bool):
        return f"{key} {'on' if value else 'off'}"
    return f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"


def list_runs(root: str | Path | None = None) -> list[Path]:
    """Run directories under `root`, newest first."""
    root = Path(root) if root else runs_root()
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if (p / "config.json").exists()), key=lambda p: p.name, reverse=True)
