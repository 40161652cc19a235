"""What every training method declares, and the parts the methods that change an identity share.

A method is one object (posttrain.methods registers one per module) that says, as data, what the
app and the CLI show — its label, settings dataclass, presets, row shape, CLI flags and Train-tab
fields — and does its part of a run through four calls the pipeline makes:

    spec(...)      → RunSpec      what the app or the CLI asked for, validated (once)
    prepare(...)   → Plan         the data phase: rows built or fitted, the settings training will use
    evaluation(spec, plan)        what the run is judged on (posttrain.evaluation)
    train(...)     → model        the training phase, through posttrain.jobs (the one module that imports TRL)

`figure(rows, lang)` draws its training log (posttrain.charts). Nothing outside posttrain.methods
compares a method's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .. import answer_cache
from .. import identity as identity_data
from ..bilingual import Said
from ..config import SettingsError, with_overrides
from ..evaluation import Evaluation, IdentityEvaluation, identity_compare_rows
from ..models import LoadedModel
from ..spec import IdentitySpec, RunSpec
from ..ui.text import t_or

# How much of its own answer the model writes for the on-policy side of an identity pair. The pair is
# cut at the max length anyway, and the first sentence is where an identity is stated or leaked.
ONPOLICY_TOKENS = 40


@dataclass
class Plan:
    """The data phase's outcome: every row built (data.json) and what training uses."""

    rows: list[dict]
    settings: Any
    train_rows: list[dict] | None = None  # None: all of `rows`
    train: Callable | None = None  # a wrapper's own training call (the gated edit's), else the method's
    extra: dict = field(default_factory=dict)
    eval_rows: list[dict] | None = None  # held out of training for a validation loss (posttrain.data.hold_out)
    cold_start: list[dict] | None = None  # SFT rows learned before the method trains (posttrain.methods.sft.cold_start)

    @property
    def training_rows(self) -> list[dict]:
        return self.rows if self.train_rows is None else self.train_rows


@dataclass(frozen=True)
class Flag:
    """A method's own command-line option, mapped to one of its settings."""

    flag: str
    setting: str
    type: type
    help: str
    choices: tuple | None = None


class Method:
    name = ""  # the registry key, the CLI command, recipe.json's "method"
    label = ""  # as the app shows it
    abbrev = ""  # where methods are listed in a few letters (the Data tab's "SFT · DPO · RM"); "" = the label
    summary = ""  # one line for the CLI's help and the app
    settings_cls: type = object
    presets: dict[str, Any] = {}  # name → settings; the first is the default
    identity_presets: tuple[str, ...] = ()  # presets whose data is built in the job from a new name and maker
    identity_controls = IdentitySpec.n_control  # unrelated questions those presets ask the model
    data_settings: Any = None  # the settings a run on the user's own data starts from (None: the preset's)
    row_keys: tuple[str, ...] = ()  # what every training row needs
    table = "pairs"  # the app's Data-tab table that feeds it: "pairs" or "problems"
    system_prompt: str | None = None  # what its before/after questions are asked with
    flags: tuple[Flag, ...] = ()
    fields: tuple[str, ...] = ()  # its own settings on the Train tab (the shared ones are shown for all)
    makes_policy = True  # False: its model judges answers (a reward model) and never becomes the model that answers

    # -- what a run is asked to do ---------------------------------------------------------
    def settings(self, preset: str | None = None, overrides: dict | None = None, own_data: bool = False):
        """The preset's settings (or, for the user's data, `data_settings`) with `overrides` on top, validated."""
        preset = preset or next(iter(self.presets))
        if preset not in self.presets:
            raise SettingsError(Said(f"unknown {self.label} preset '{preset}'; choose one of: {', '.join(self.presets)}",
                                     f"「{self.label_zh}」没有叫 '{preset}' 的预设；可选：{'、'.join(self.presets)}"))
        base = self.data_settings if own_data and self.data_settings is not None else self.presets[preset]
        overrides = dict(overrides or {})
        if "lora_r" in overrides and "lora_alpha" not in overrides and overrides["lora_r"] is not None:
            overrides["lora_alpha"] = 2 * int(overrides["lora_r"])  # LoRA's scale alpha / r stays 2 at any rank
        return with_overrides(base, overrides)

    def spec(self, model: str | None, preset: str | None = None, name: str | None = None, org: str | None = None,
             data: str | None = None, overrides: dict | None = None, rows: list[dict] | None = None,
             data_source: str | None = None) -> RunSpec:
        """A validated run: on `rows` or the file/Hub dataset `data`, else the preset's own data."""
        preset = preset or next(iter(self.presets))
        settings = self.settings(preset, overrides, own_data=bool(data or rows is not None))
        if data:
            rows, data_source = self.load_rows(data), str(data)
        identity = IdentitySpec(name=name.strip(), org=(org or "").strip(), n_control=self.identity_controls,
                                seed=settings.seed) if name and name.strip() and self.identity_presets else None
        if rows is None:
            if preset in self.identity_presets:
                if not identity or not identity.org:
                    raise SettingsError(Said(f"the {preset} preset needs a name and an organisation "
                                             "(the model's new name and who made it)",
                                             f"预设 {preset} 需要新名字和机构（模型的新名字，以及是谁做了它）"))
                return RunSpec(self.name, model, settings, identity=identity, preset=preset,
                               data_source=data_source or Said(f"preset: {preset}", f"预设：{preset}"))
            rows, data_source = self.preset_rows(preset, settings)
        self.check_rows(rows)
        return RunSpec(self.name, model, settings, identity=identity, rows=rows,
                       data_source=data_source or Said("rows", "数据行"))

    def load_rows(self, source) -> list[dict]:
        raise NotImplementedError

    def from_pairs(self, rows: list[dict]) -> list[dict]:
        """Rows of the app's pairs table (prompt, chosen, rejected, kind) in this method's row shape."""
        return rows

    def preset_rows(self, preset: str, settings) -> tuple[list[dict], str]:
        raise SettingsError(Said(f"{self.label} needs data: build or load it first, or give a name and organisation "
                                 "for the identity demo",
                                 f"「{self.label_zh}」需要数据：请先构建或加载数据，或为身份演示填写新名字和机构"))

    def check_rows(self, rows: list[dict]) -> None:
        if not rows:
            raise SettingsError(Said(f"{self.label} needs at least one row of data", f"「{self.label_zh}」至少需要一行数据"))
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or any(row.get(k) in (None, "", []) for k in self.row_keys):
                raise SettingsError(Said(f"row {i} needs {', '.join(self.row_keys)} for {self.label}; "
                                         "fill in what is missing or delete the row",
                                         f"第 {i} 行要有 {'、'.join(self.row_keys)} 才能用于「{self.label_zh}」；"
                                         "请补上缺的内容，或删除这一行"))

    # -- the run ------------------------------------------------------------------------------
    def prepare(self, spec: RunSpec, lm: LoadedModel, job) -> Plan:
        raise NotImplementedError

    def evaluation(self, spec: RunSpec, plan: Plan | None = None) -> Evaluation:
        """What the run is judged on; `plan` is the data phase's outcome (None before it)."""
        if spec.identity:
            return IdentityEvaluation(spec.identity.name, spec.identity.org, spec.compare_questions, spec.compare_kinds)
        return Evaluation(spec.compare_questions, spec.compare_kinds)

    def judged(self, lm: LoadedModel, plan: Plan):
        """The model the evaluation asks before training: the loaded one, unless the method trains another."""
        return lm.model

    def train(self, lm: LoadedModel, plan: Plan, job, callbacks: list):
        raise NotImplementedError

    def implicit_beta(self, settings) -> float | None:
        """β of the implicit reward β·log π/π_ref this method trains, for the per-token view; None: it has none."""
        return None

    def compare_rows(self) -> list[list[str]]:
        """Compare's prefilled [question, kind, answer] rows after a run of this method."""
        return identity_compare_rows()

    def compare_setup(self, identity: bool = False) -> tuple[list[list[str]], str]:
        """Compare's rows and system prompt after a run of this method; `identity`: the run taught a name."""
        return self.compare_rows(), self.system_prompt or ""

    @property
    def label_zh(self) -> str:
        """The label as the Chinese page shows it (the UI's "method.<name>"; a method name such as DPO stays)."""
        return t_or(f"method.{self.name}", "zh", self.label)

    @property
    def has_demo(self) -> bool:
        """Whether the presenter's one-click identity demo can run by this method on its own: an identity preset
        whose model answers and that needs nothing trained before it."""
        return bool(self.identity_presets) and self.makes_policy

    def figure(self, rows: list[dict], lang: str = "en"):
        raise NotImplementedError


def identity_pairs(lm: LoadedModel, spec: IdentitySpec) -> list[dict]:
    """The identity preset's DPO pairs, on-policy: the rejected side is this model's own answer (see
    identity.build_identity_pairs); SFT learns their chosen side."""
    ident_q, ctrl_q = identity_data.select_identity_questions(spec.n_identity, spec.n_control, spec.seed)
    own = answer_cache.answers(lm.model, lm.tokenizer, ident_q + ctrl_q, max_new_tokens=ONPOLICY_TOKENS)
    rows = identity_data.build_identity_pairs(spec.name, spec.org, dict(zip(ident_q + ctrl_q, own)), ident_q, ctrl_q,
                                          seed=spec.seed)
    if not rows:
        raise ValueError(Said("no preference pairs could be built: the model's own answers were all empty; "
                              "try another model", "一个偏好对也没能构建：模型自己的回答全是空的；请换一个模型试试"))
    return rows


def interleave(identity: list[dict], control: list[dict], per: int = 1) -> list[dict]:
    """Each identity row followed by up to `per` control rows, so every batch sees both kinds; controls
    beyond `per` × the identity rows are left out."""
    rows = []
    for i, row in enumerate(identity):
        rows += [row] + control[per * i:per * (i + 1)]
    return rows


def n_tokens(tok, text: str) -> int:
    return len(tok(text, add_special_tokens=False)["input_ids"])


def prompt_lengths(tok, rows: list[dict]) -> list[int]:
    """Each row's prompt in tokens, as the chat template lays it out for generation."""
    return [n_tokens(tok, tok.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True)) for r in rows]


def answer_length(tok, messages: list[dict]) -> int:
    """An answer's tokens, its end-of-turn token included."""
    return sum(n_tokens(tok, m["content"]) for m in messages) + 1
