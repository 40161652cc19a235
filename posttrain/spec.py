"""What a run is asked to do, as one serialisable object: the run spec.

A `RunSpec` is built once, by the app (posttrain.studio) or the CLI, through a method's `spec()`
(posttrain.methods), which validates it; it then travels one way: pipeline → method → TRL. Its
`recipe()` is the JSON that reruns it (recipe.json, read back by posttrain.recipe_file) and its
`config()` the receipt's config.json (the same minus the rows). It holds no Hub token, ever.
This module holds data only: no model, no TRL, no method logic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .bilingual import put

FORMAT = 1  # recipe.json's format


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
class RunSpec:
    """One run: method, model, validated settings, and its data (an identity to build, or rows).

    `rows` are in the method's row shape (posttrain.methods: `row_keys`); None means the identity
    preset builds them from the model's own answers inside the job, so every phase shows.
    """

    method: str
    model: str | None
    settings: Any  # the method's settings dataclass (posttrain.config)
    identity: IdentitySpec | None = None
    rows: list[dict] | None = None
    data_source: str = "preset"  # where the rows come from, said to a person (a bilingual.Said where the app can)
    preset: str | None = None  # the identity preset that builds the data in the job (None: rows given)
    compare_questions: list[str] = field(default_factory=list)
    compare_kinds: list[str] = field(default_factory=list)
    eval_problems: int = 16
    trained_on: list[str] = field(default_factory=list)  # earlier runs the starting model carries, in order

    def config(self) -> dict:
        """config.json: what was asked for, for people and the run list (no rows)."""
        return {"method": self.method, "model": self.model, "settings": self.settings.to_dict(),
                "identity": asdict(self.identity) if self.identity else None,
                **put({}, "data", self.data_source), "n_rows": None if self.rows is None else len(self.rows),
                **({"preset": self.preset} if self.preset else {}),
                "compare_questions": self.compare_questions,
                **({"trained_on_top_of": self.trained_on} if self.trained_on else {})}

    def recipe(self) -> dict:
        """recipe.json's data: everything that reruns this run, rows inline (see posttrain.recipe_file)."""
        return {"format": FORMAT, "method": self.method, "model": self.model, "seed": self.settings.seed,
                "settings": self.settings.to_dict(), "identity": asdict(self.identity) if self.identity else None,
                **put({}, "data", self.data_source), "rows": self.rows,
                **({"preset": self.preset} if self.preset else {}),
                "compare_questions": list(self.compare_questions), "compare_kinds": list(self.compare_kinds),
                "eval_problems": self.eval_problems}
