"""The training methods as plug-ins: one module per method, looked up here by name.

Each module declares one `Method` (posttrain.methods.base): its settings dataclass, presets, row
shape, data loader, CLI flags and Train-tab fields, and its data, evaluation and training steps.
The app, the CLI, the pipeline, recipe files, the ZeroGPU worker and the receipts look a method up
with `get(name)` and never compare its name. Adding a method is one module and one line below.
"""

from __future__ import annotations

from ..bilingual import Said
from ..config import SettingsError
from .base import Method
from .dpo import DPO
from .grpo import GRPO
from .reward import Reward
from .sft import SFT

METHODS: dict[str, Method] = {m.name: m for m in (SFT(), DPO(), GRPO(), Reward())}


def get(name: str | None) -> Method:
    """The method called `name`; a SettingsError that lists the methods when there is none."""
    if name not in METHODS:
        raise SettingsError(Said(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}",
                                 f"没有叫 {name!r} 的方法；可选：{'、'.join(METHODS)}"))
    return METHODS[name]


def answers(name: str | None) -> bool:
    """Whether a run of the method called `name` leaves a model that answers questions (a reward model's scores
    them instead); a run of a method this version lacks counts as answering, as its before/after says."""
    return getattr(METHODS.get(name), "makes_policy", True)


def figure(name: str | None, rows: list[dict], lang: str = "en"):
    """A run's training charts, drawn by its method (a run of a method this version lacks: DPO's panels)."""
    return METHODS.get(name, METHODS["dpo"]).figure(rows, lang)
