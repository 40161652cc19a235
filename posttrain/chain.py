"""The RLHF pipeline of the course as steps backed by runs: SFT → reward model → RL, and DPO beside it.

Each step is a method's identity preset (posttrain.methods), started from the base model or from the
model of the run that backs the step it comes after (posttrain.studio loads it from that run's folder),
the RL step paid by the reward model of the reward step's run (`reward_model`, a run folder). Runs are chained through their folders: a run's config.json says what
it trained on top of (`trained_on_top_of`) and, for RL, which reward model paid it. `chains(runs)` reads
that back, pure, from run summaries — which run backs each step now, and what it was built on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Step:
    key: str  # its place in the diagram
    method: str  # the registry name of the method it runs (its identity preset)
    after: str | None  # the step whose model it starts from (None: the base model)
    paid_by: str | None = None  # the step whose reward model pays it (RL)
    preset: str | None = None  # the method's preset it runs (None: its first identity preset)


# The reward model learns from pairs whose rejected side is the *base* model's own answer (an SFT model already
# says the new name, and its pairs would teach nothing), so it starts from the base like SFT and DPO; RL starts
# from SFT's model, as in the course. DPO gets to the identity in one step from the same kind of pairs.
# SFT is its warm-up preset (6 steps): after the full one RL had nothing left to move (docs/benchmarks.md).
STEPS = (Step("sft", "sft", None, preset="warm-up"), Step("reward", "reward", None),
         Step("rl", "grpo", "sft", paid_by="reward"), Step("dpo", "dpo", None))
BY_KEY = {s.key: s for s in STEPS}


def step_of(run: dict) -> str | None:
    """The step a run backs, from its config (`run` as posttrain.runs.read_run gives it, or with "config"): only
    an identity preset's run (a name taught, the data built in the job: no rows given) backs one, and GRPO
    only when a reward model paid it. A step with its own preset (SFT's warm-up) is backed only by a run of it.

    >>> ident = {"name": "Nova", "org": "Lantern"}
    >>> step_of({"config": {"method": "grpo", "identity": ident, "settings": {"reward_model": "runs/2-reward"}}})
    'rl'
    >>> step_of({"config": {"method": "grpo", "identity": ident, "settings": {"reward_model": ""}}}) is None
    True
    >>> step_of({"config": {"method": "sft", "identity": ident, "n_rows": 40, "settings": {}}}) is None  # own rows
    True
    >>> [step_of({"config": {"method": "sft", "identity": ident, "settings": {}, "preset": p}}) for p in ("warm-up", "identity")]
    ['sft', None]
    """
    config = run.get("config") or {}
    if not config.get("identity") or config.get("n_rows") is not None:
        return None
    for s in STEPS:
        if s.method != config.get("method"):
            continue
        if s.paid_by and not (config.get("settings") or {}).get("reward_model"):
            return None
        if s.preset and config.get("preset") != s.preset:  # the full SFT leaves RL nothing to move
            return None
        return s.key
    return None


def _same(a, b) -> bool:
    return str(a or "").strip().casefold() == str(b or "").strip().casefold()


def chains(runs: list[dict], name: str | None = None, org: str | None = None) -> dict[str, dict]:
    """Per step, the newest finished run that backs it: {"name", "path", "scores", "on_top_of" (run names),
    "reward_model" (the RL step's, a run name), "linked" (whether it was built on the run that backs the
    step before it, so the diagram's arrow is real)}. `runs` newest first, each with "path", "status",
    "config" and "scores". A step no run backs yet is absent. With `name` and `org`, only runs that taught that
    identity count (the steps of one pipeline teach one identity).

    >>> ident = {"name": "Nova", "org": "Lantern"}
    >>> runs = [{"path": "r/3-grpo", "status": "done", "scores": {}, "config": {"method": "grpo", "identity": ident,
    ...          "settings": {"reward_model": "r/2-reward"}, "trained_on_top_of": ["1-sft"]}},
    ...         {"path": "r/2-reward", "status": "done", "scores": {}, "config": {"method": "reward", "identity": ident,
    ...          "settings": {}}},
    ...         {"path": "r/1-sft", "status": "done", "scores": {}, "config": {"method": "sft", "identity": ident,
    ...          "settings": {}, "preset": "warm-up"}}]
    >>> c = chains(runs)
    >>> c["rl"]["reward_model"], c["rl"]["linked"], c["reward"]["linked"], "dpo" in c
    ('2-reward', True, True, False)
    >>> chains(runs, "Nova", "Lantern") == c, chains(runs, "Quill", "Lantern")
    (True, {})
    """
    found: dict[str, dict] = {}
    for run in runs:
        key = step_of(run)
        if key is None or key in found or run.get("status") != "done":
            continue
        taught = (run.get("config") or {}).get("identity") or {}
        if name is not None and not (_same(taught.get("name"), name) and _same(taught.get("org"), org)):
            continue
        config = run.get("config") or {}
        folder = str((config.get("settings") or {}).get("reward_model") or "")
        found[key] = {"name": Path(run["path"]).name, "path": run["path"], "scores": run.get("scores") or {},
                      "on_top_of": list(config.get("trained_on_top_of") or []),
                      "reward_model": Path(folder.rstrip("/")).name if folder else None}
    for key, info in found.items():
        step = BY_KEY[key]
        before = found.get(step.after) if step.after else None  # a step from the base model is always linked
        linked = not step.after or (before is not None and info["on_top_of"][-1:] == [before["name"]])
        if step.paid_by:
            linked = linked and found.get(step.paid_by, {}).get("name") == info["reward_model"]
        info["linked"] = linked
    return found
