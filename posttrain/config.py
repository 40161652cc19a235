"""One settings dataclass per training method, validated before anything starts, mapped to TRL's names.

`SFTSettings`, `DPOSettings`, `GRPOSettings` and `RewardSettings` hold what the UI and the CLI show, with defaults sized
for a short demo on a laptop CPU (each method's presets, in posttrain.methods, start from them).
Validation happens in `__post_init__` and raises `SettingsError` naming the
setting and the allowed range. `trl_kwargs()` returns the keyword arguments for TRL's `DPOConfig` /
`GRPOConfig` / `SFTConfig`; the config objects themselves are built in `posttrain.jobs`, the one module that
imports TRL (its field names change between releases).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from .bilingual import Said, zh

LOSS_TYPES = ("sigmoid", "ipo", "hinge", "robust")
SCALE_REWARDS = ("group", "batch", "none")


class SettingsError(ValueError):
    """A setting is out of range; the message (a `bilingual.Said`) names it and says what is allowed."""


def _check(ok: bool, msg: Said) -> None:
    if not ok:
        raise SettingsError(msg)


def _named(name_zh: str) -> str:
    """A setting's Chinese name before the verb: a space after a Latin word ("KL beta 须"), none after a character."""
    return name_zh + (" " if name_zh[-1].isascii() else "")


def _within(value, lo, hi, name: str, name_zh: str) -> None:
    """`value` between `lo` and `hi` (both allowed), else a SettingsError naming the setting in both languages.

    >>> _within(0, 1, 512, "batch size", "批大小")
    Traceback (most recent call last):
    posttrain.config.SettingsError: batch size must be between 1 and 512 (got 0)
    """
    name_zh = _named(name_zh)
    _check(lo <= value <= hi, Said(f"{name} must be between {lo} and {hi} (got {value})",
                                   f"{name_zh}须在 {lo} 到 {hi} 之间（当前为 {value}）"))


def _above_zero(value, hi, name: str, name_zh: str) -> None:
    """`value` above 0 and at most `hi`, else a SettingsError naming the setting in both languages."""
    name_zh = _named(name_zh)
    _check(0 < value <= hi, Said(f"{name} must be above 0 and at most {hi} (got {value})",
                                 f"{name_zh}须大于 0 且不超过 {hi}（当前为 {value}）"))


@dataclass
class _Common:
    learning_rate: float = 5e-5
    max_steps: int = 20
    batch_size: int = 4
    grad_accum: int = 1
    lora: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    lora_layers: int = 0  # adapt only the top N blocks; 0 = all
    seed: int = 0
    probe_every: int = 2  # 0 disables probes
    logging_steps: int = 1

    def _validate_held_out(self) -> None:
        share = getattr(self, "eval_share", 0.0)
        _within(share, 0, 0.5, "held-out share", "验证集比例")

    def _validate_common(self) -> None:
        _above_zero(self.learning_rate, 0.01, "learning rate", "学习率")
        _within(self.max_steps, 1, 100000, "steps", "步数")
        _within(self.batch_size, 1, 512, "batch size", "批大小")
        _within(self.grad_accum, 1, 256, "gradient accumulation", "梯度累积")
        _within(self.lora_r, 1, 256, "LoRA rank", "LoRA 秩")
        _check(self.lora_layers >= 0, Said(f"LoRA layers must be 0 (all) or more (got {self.lora_layers})",
                                           f"LoRA 层数须为 0（全部）或更多（当前为 {self.lora_layers}）"))
        _check(self.probe_every >= 0, Said(f"probe every must be 0 (off) or more (got {self.probe_every})",
                                           f"探测间隔须为 0（关闭）或更多（当前为 {self.probe_every}）"))

    def to_dict(self) -> dict:
        return asdict(self)

    def _trainer_kwargs(self, output_dir: str, device: str, bf16: bool) -> dict:
        return dict(
            output_dir=output_dir,
            learning_rate=self.learning_rate,
            max_steps=self.max_steps,
            per_device_train_batch_size=self.batch_size,
            gradient_accumulation_steps=self.grad_accum,
            logging_steps=self.logging_steps,
            seed=self.seed,
            # On CPU TRL's defaults (bf16, gradient checkpointing) are slower or unsupported.
            use_cpu=device == "cpu",
            bf16=bf16,
            gradient_checkpointing=False,
            save_strategy="no",
            report_to="none",
            disable_tqdm=True,
            lr_scheduler_type="constant",
            warmup_steps=0,
            dataloader_num_workers=0,
            # The Trainer would log a NaN loss as the mean of earlier ones (0 at step 1); we stop on it.
            logging_nan_inf_filter=False,
        )


@dataclass
class SFTSettings(_Common):
    """Supervised fine-tuning: the loss is the negative log-likelihood of the completion tokens only."""

    max_length: int = 128
    eval_share: float = 0.0  # share of the rows held out for a validation loss (0 = none)

    def __post_init__(self):
        self._validate_common()
        self._validate_held_out()
        _check(16 <= self.max_length <= 8192, _max_length(self.max_length))

    def trl_kwargs(self, output_dir: str, device: str, bf16: bool = False) -> dict:
        return dict(
            self._trainer_kwargs(output_dir, device, bf16),
            max_length=self.max_length,
            # the prompt is the question; only the answer is learned (TRL's default for prompt-completion rows)
            completion_only_loss=True,
            packing=False,
        )


@dataclass
class DPOSettings(_Common):
    """Direct preference optimisation. Defaults: the identity demo on the bundled model."""

    beta: float = 0.2
    loss_type: str = "sigmoid"
    sft_weight: float = 0.0  # > 0 adds an SFT term on the chosen answers
    label_smoothing: float = 0.0  # for the robust loss
    max_length: int = 128
    # The identity preset's gated edit (posttrain.gate) instead of LoRA: new neurons that open only on
    # questions about the model. Needs identity and control pairs and a Llama-style MLP; otherwise the
    # run trains LoRA and says so.
    gated: bool = False
    eval_share: float = 0.0  # share of the pairs held out for validation loss and accuracy (0 = none)

    def __post_init__(self):
        self._validate_common()
        self._validate_held_out()
        _check(self.loss_type in LOSS_TYPES,
               Said(f"loss type must be one of {', '.join(LOSS_TYPES)} (got {self.loss_type!r})",
                    f"损失函数须为 {'、'.join(LOSS_TYPES)} 之一（当前为 {self.loss_type!r}）"))
        _above_zero(self.beta, 10, "beta", "beta")
        _within(self.sft_weight, 0, 10, "SFT weight", "SFT 权重")
        _check(0 <= self.label_smoothing < 0.5,
               Said(f"label smoothing must be at least 0 and below 0.5 (got {self.label_smoothing})",
                    f"标签平滑须不小于 0 且小于 0.5（当前为 {self.label_smoothing}）"))
        _check(16 <= self.max_length <= 8192, _max_length(self.max_length))

    def trl_kwargs(self, output_dir: str, device: str, bf16: bool = False) -> dict:
        loss, weights = [self.loss_type], [1.0]
        if self.sft_weight > 0:
            loss, weights = loss + ["sft"], weights + [self.sft_weight]
        return dict(
            self._trainer_kwargs(output_dir, device, bf16),
            beta=self.beta,
            loss_type=loss,
            loss_weights=weights,
            label_smoothing=self.label_smoothing,
            max_length=self.max_length,
            # The reference log-probs are computed once before training: no second copy of the model
            # for a full fine-tune, and no reference forward pass per step with LoRA.
            precompute_ref_log_probs=True,
        )


@dataclass
class GRPOSettings(_Common):
    """Group relative policy optimisation. Defaults: the arithmetic demo on the bundled model."""

    batch_size: int = 8  # completions per step: one group of 8
    num_generations: int = 8
    max_completion_length: int = 96
    temperature: float = 1.0
    kl_beta: float = 0.0
    # How advantages are scaled: "group" divides by each group's reward spread (GRPO), "batch" by the
    # whole batch's, "none" not at all (Dr. GRPO). With sparse rewards "group" turns one lucky sample
    # into a large step.
    scale_rewards: str = "group"
    shuffle: bool = True  # False keeps the data's order (a curriculum)
    reward_funcs: list[str] = field(default_factory=lambda: ["boxed_match", "boxed_format"])
    reward_weights: list[float] = field(default_factory=lambda: [1.0, 0.5])
    # A reward-model run folder (posttrain.reward_model): the reward named "reward_model" is its score
    # (checked by posttrain.methods.grpo, where the folder is looked at).
    reward_model: str = ""
    # SFT steps on worked solutions before RL (a cold start, as DeepSeek-R1 had): the format is learned from
    # examples, and RL starts where its rewards can tell answers apart. 0: none.
    cold_start_steps: int = 0

    def __post_init__(self):
        self._validate_common()
        _check(0 <= self.cold_start_steps <= 10_000,
               Said(f"cold-start steps must be between 0 (none) and 10000 (got {self.cold_start_steps})",
                    f"冷启动步数须在 0（不做）到 10000 之间（当前为 {self.cold_start_steps}）"))
        _check(2 <= self.num_generations <= 64,
               Said(f"generations per prompt must be between 2 and 64 (got {self.num_generations}); GRPO compares "
                    "answers within a group",
                    f"每个问题的采样数须在 2 到 64 之间（当前为 {self.num_generations}）；GRPO 要在一组回答之间比较"))
        _check((self.batch_size * self.grad_accum) % self.num_generations == 0,
               Said(f"batch size × gradient accumulation ({self.batch_size} × {self.grad_accum}) must be divisible by "
                    f"generations per prompt ({self.num_generations})",
                    f"批大小 × 梯度累积（{self.batch_size} × {self.grad_accum}）须能被每个问题的采样数"
                    f"（{self.num_generations}）整除"))
        _check(8 <= self.max_completion_length <= 4096,
               Said(f"max completion length must be between 8 and 4096 tokens (got {self.max_completion_length})",
                    f"最大回答长度须在 8 到 4096 个 token 之间（当前为 {self.max_completion_length}）"))
        _above_zero(self.temperature, 2, "temperature", "温度")
        _within(self.kl_beta, 0, 10, "KL beta", "KL beta")
        _check(self.scale_rewards in SCALE_REWARDS,
               Said(f"reward scaling must be one of {', '.join(SCALE_REWARDS)} (got {self.scale_rewards!r})",
                    f"奖励缩放方式须为 {'、'.join(SCALE_REWARDS)} 之一（当前为 {self.scale_rewards!r}）"))
        _check(len(self.reward_funcs) >= 1, Said("choose at least one reward function", "请至少选一个奖励函数"))
        _check(len(self.reward_weights) == len(self.reward_funcs),
               Said(f"give one weight per reward function ({len(self.reward_funcs)} functions, "
                    f"{len(self.reward_weights)} weights)",
                    f"每个奖励函数要有一个权重（现在是 {len(self.reward_funcs)} 个函数、{len(self.reward_weights)} 个权重）"))

    def trl_kwargs(self, output_dir: str, device: str, bf16: bool = False) -> dict:
        return dict(
            self._trainer_kwargs(output_dir, device, bf16),
            num_generations=self.num_generations,
            max_completion_length=self.max_completion_length,
            temperature=self.temperature,
            beta=self.kl_beta,
            scale_rewards=self.scale_rewards,
            shuffle_dataset=self.shuffle,
            reward_weights=self.reward_weights,
            # One generation round per optimiser step keeps the group inspector in step with the charts.
            steps_per_generation=self.grad_accum,
            log_completions=False,
        )


@dataclass
class RewardSettings(_Common):
    """A reward model (TRL's RewardTrainer): the policy's body under a score head, trained on preference
    pairs with the Bradley-Terry loss −log σ(r(chosen) − r(rejected)), judged on pairs it never saw."""

    learning_rate: float = 1e-3
    max_steps: int = 24
    batch_size: int = 8
    max_length: int = 128  # longer pairs are left out (TRL drops them), and the run says how many
    eval_share: float = 0.2  # held-out pairs: the pair accuracy in scores.json is theirs
    # Keeps the scores near zero (TRL's center_rewards_coefficient): only differences carry meaning, and
    # a GRPO run that sums this reward with rule-based ones needs it on their scale.
    center_rewards: float = 0.01
    probe_every: int = 0  # a reward model writes no answers to probe

    def __post_init__(self):
        self._validate_common()
        _check(0.05 <= self.eval_share <= 0.5,
               Said(f"held-out share must be between 0.05 and 0.5 for a reward model "
                    f"(got {self.eval_share}): its pair accuracy is measured on pairs it never saw",
                    f"奖励模型的验证集比例须在 0.05 到 0.5 之间（当前为 {self.eval_share}）："
                    "它的偏好对准确率要在它从没见过的偏好对上测量"))
        _check(16 <= self.max_length <= 8192, _max_length(self.max_length))
        _within(self.center_rewards, 0, 1, "centering", "居中系数")

    def trl_kwargs(self, output_dir: str, device: str, bf16: bool = False) -> dict:
        return dict(self._trainer_kwargs(output_dir, device, bf16), max_length=self.max_length,
                    center_rewards_coefficient=self.center_rewards or None, disable_dropout=True)


def _max_length(value: int) -> Said:
    return Said(f"max length must be between 16 and 8192 tokens (got {value})",
                f"最大长度须在 16 到 8192 个 token 之间（当前为 {value}）")


_KINDS = {int: Said("a whole number", "整数"), float: Said("a number", "数字"), bool: Said("true or false", "true 或 false"),
          str: Said("text", "文本"), list: Said("a list", "列表")}


def with_overrides(base, overrides: dict):
    """`base` with `overrides` on top, validated; a wrong name, an empty field or a wrong type is a
    SettingsError naming the setting. A list setting may come as text ("1, 0.5"), as a form sends it."""
    names = {f.name for f in fields(base)}
    values = {}
    for key, value in overrides.items():
        if key not in names:
            raise SettingsError(Said(f"unknown setting '{key}'; the settings are: {', '.join(sorted(names))}",
                                     f"没有叫 '{key}' 的设置项；可用的设置项：{'、'.join(sorted(names))}"))
        want = type(getattr(base, key))
        if value is None or (isinstance(value, str) and not value.strip() and want is not str):
            raise SettingsError(Said(f"setting '{key}' is empty; type {_KINDS.get(want, want.__name__)}",
                                     f"设置项 '{key}' 是空的；请填{zh(_KINDS.get(want, want.__name__))}"))
        if want is list and isinstance(value, str):
            value = listed(key, value, getattr(base, key))
        if want is int and isinstance(value, float) and value.is_integer():
            value = int(value)  # a number field sends 24.0
        numeric = want is float and isinstance(value, int)
        if (not isinstance(value, want) and not numeric) or (want is not bool and isinstance(value, bool)):
            raise SettingsError(Said(f"setting '{key}' must be {_KINDS.get(want, want.__name__)} (got {value!r})",
                                     f"设置项 '{key}' 须为{zh(_KINDS.get(want, want.__name__))}（当前为 {value!r}）"))
        values[key] = float(value) if numeric else value
    return replace(base, **values)


def listed(key: str, text: str, like: list) -> list:
    """A comma-separated text as the list `like` is: numbers if it holds numbers."""
    parts = [x.strip() for x in text.replace("，", ",").split(",") if x.strip()]
    if like and isinstance(like[0], (int, float)):
        try:
            return [float(x) for x in parts]
        except ValueError:
            raise SettingsError(Said(f"setting '{key}' must be numbers separated by commas (got '{text}')",
                                     f"设置项 '{key}' 须为用逗号分隔的数字（当前为 '{text}'）")) from None
    return parts
