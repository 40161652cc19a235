"""Run one SFT, DPO, GRPO or reward-model job with TRL — the only module that imports `trl`.

`run_sft`, `run_dpo`, `run_grpo` and `run_reward` take a loaded model, rows in TRL's standard shapes, settings and a
`TrainingCallback`, train in the calling thread, and return the trained policy as a plain
`transformers` model in eval mode (LoRA merged into the weights, so it saves and reloads with
`from_pretrained`). GRPO also records, for the latest step, one prompt's sampled completions with
their rewards and group-relative advantages (the group inspector).
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from pathlib import Path
from typing import Callable

import datasets
import torch
from datasets import Dataset
from transformers import TrainerCallback

from . import cpu
from .metrics import MetricsLog
from .rewards import REWARD_FUNCTIONS
from .scores import arithmetic_marks

# transformers 5 renamed gradient checkpointing; TRL still defaults the old name to True, so turning
# it off means passing the old name, which warns on every job. One message, filtered for the process:
# `warnings.catch_warnings` would scope it but is not thread-safe, and the app serves requests meanwhile.
warnings.filterwarnings("ignore", message=".*gradient_checkpointing.* is deprecated", category=FutureWarning)


@contextlib.contextmanager
def _quiet_libraries():
    """While a job builds its trainer and trains: TRL's long warnings about settings chosen on purpose
    (e.g. padding-free off) and datasets' bar for every tiny map are off; as they were afterwards."""
    trl_log = logging.getLogger("trl")
    level, bars = trl_log.level, datasets.is_progress_bar_enabled()
    trl_log.setLevel(logging.ERROR)
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        trl_log.setLevel(level)
        if bars:
            datasets.enable_progress_bars()


def _lora_config(model, settings, task_type: str = "CAUSAL_LM"):
    """LoRA on every linear layer of the top `lora_layers` blocks (0: all blocks). For a reward model
    (task "SEQ_CLS") peft also trains its score head whole.

    Adapting only the top blocks means backpropagation stops there: on a CPU the step gets much
    cheaper, and the change stays away from the lower layers every answer depends on.
    """
    from peft import LoraConfig

    n = model.config.num_hidden_layers
    top = settings.lora_layers if 0 < settings.lora_layers < n else 0
    if not top:
        return LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=0.0,
                          target_modules="all-linear", task_type=task_type)
    # peft takes a layer selection only with explicit module names: the block's linear layers.
    names = sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules()
                    if isinstance(m, torch.nn.Linear) and name.rsplit(".", 1)[-1] not in ("lm_head", "score")})
    return LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=0.0,
                      target_modules=names, task_type=task_type, layers_to_transform=list(range(n - top, n)))


def _quiet(trainer):
    """Drop the callback that prints every log dict to stdout; our own log and CLI report progress."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    for cb in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(cb)
    return trainer


def _finish(trainer, adapter_dir: str | Path | None = None) -> torch.nn.Module:
    """The trained policy as a plain model: adapters merged, eval mode, no quantizer hooks.

    With LoRA the adapter alone (a few MB, loadable with peft on the base model) is first saved to
    `adapter_dir`, when given.
    """
    # Under mixed precision accelerate replaced the model's forward with an autocast one, and it stays
    # after training: answers would come from bf16 matmuls, unlike the saved model's. Take it off.
    model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    if hasattr(model, "merge_and_unload"):
        if adapter_dir is not None:
            model.save_pretrained(adapter_dir)
        model = model.merge_and_unload()
    return model.eval()


def _held_out(rows: list[dict] | None, keys: tuple[str, ...], settings, times: int = 8) -> tuple[Dataset | None, dict]:
    """The held-out rows as a dataset and the config that evaluates them about `times` times in a run."""
    if not rows:
        return None, {}
    return Dataset.from_list([{k: r[k] for k in keys} for r in rows]), dict(
        eval_strategy="steps", eval_steps=math.ceil(settings.max_steps / times), per_device_eval_batch_size=settings.batch_size)


def run_sft(model, tokenizer, rows: list[dict], settings, work_dir: str | Path,
            callbacks: list[TrainerCallback], adapter_dir: str | Path | None = None,
            eval_rows: list[dict] | None = None) -> torch.nn.Module:
    """Supervised fine-tuning on rows `{"prompt": [msgs], "completion": [msgs]}` (extra keys dropped):
    the negative log-likelihood of the completion's tokens, its end-of-turn token included. `eval_rows`,
    when given, are scored without training on them (`eval_loss`, `eval_mean_token_accuracy`)."""
    from trl import SFTConfig, SFTTrainer

    data = Dataset.from_list([{k: r[k] for k in ("prompt", "completion")} for r in rows])
    held, evaluation = _held_out(eval_rows, ("prompt", "completion"), settings)
    device = next(model.parameters()).device.type
    args = SFTConfig(**settings.trl_kwargs(str(work_dir), device, cpu.bf16_autocast(model)), **evaluation)
    lora = _lora_config(model, settings) if settings.lora else None
    with _quiet_libraries(), \
            cpu.cpu_training(model, lora=lora is not None, max_length=settings.max_length) as levers:
        trainer = SFTTrainer(model=model, args=args, train_dataset=data, eval_dataset=held, processing_class=tokenizer,
                             peft_config=lora, callbacks=callbacks)
        levers.trainer_ready(trainer.model)
        _quiet(trainer).train()
    return _finish(trainer, adapter_dir)


def run_dpo(model, tokenizer, rows: list[dict], settings, work_dir: str | Path,
            callbacks: list[TrainerCallback], adapter_dir: str | Path | None = None,
            eval_rows: list[dict] | None = None) -> torch.nn.Module:
    """Direct preference optimisation on rows `{"prompt", "chosen", "rejected"}` (extra keys dropped).

    With `settings.lora` off every trainable parameter learns: all weights, or only the gated edit's
    new neurons when posttrain.methods.gated has attached them and frozen the rest. `eval_rows`, when
    given, are scored without training on them (`eval_loss`, `eval_rewards/accuracies`, …).
    """
    from trl import DPOConfig, DPOTrainer

    keys = ("prompt", "chosen", "rejected")
    data = Dataset.from_list([{k: r[k] for k in keys} for r in rows])
    held, evaluation = _held_out(eval_rows, keys, settings)
    device = next(model.parameters()).device.type
    args = DPOConfig(**settings.trl_kwargs(str(work_dir), device, cpu.bf16_autocast(model)), **evaluation)
    if args.world_size > 1:
        # Under a launcher TRL writes the precomputed reference log-probs to a cache file that every rank
        # then reads; an in-memory dataset's cache lands in each process's own temp dir, so rank 1 finds
        # nothing. The reference is computed per step instead (LoRA: adapters off; full: a second copy).
        args.precompute_ref_log_probs = False
    lora = _lora_config(model, settings) if settings.lora else None
    with _quiet_libraries(), \
            cpu.cpu_training(model, lora=lora is not None, max_length=settings.max_length) as levers:
        trainer = _with_loss_terms(DPOTrainer)(model=model, ref_model=None, args=args, train_dataset=data,
                                               eval_dataset=held, processing_class=tokenizer, peft_config=lora,
                                               callbacks=callbacks)
        levers.trainer_ready(trainer.model)
        _quiet(trainer).train()
    return _finish(trainer, adapter_dir)


def run_reward(model, tokenizer, rows: list[dict], settings, work_dir: str | Path,
               callbacks: list[TrainerCallback], eval_rows: list[dict] | None = None,
               adapter_dir: str | Path | None = None) -> torch.nn.Module:
    """A reward model (`model`: a `*ForSequenceClassification` with one label, posttrain.reward_model) trained
    on rows `{"prompt", "chosen", "rejected"}` with the Bradley-Terry loss; logs `loss`, `accuracy`, `margin`
    and, on `eval_rows`, the same with `eval_` about eight times in the run."""
    from trl import RewardConfig, RewardTrainer

    keys = ("prompt", "chosen", "rejected")
    data = Dataset.from_list([{k: r[k] for k in keys} for r in rows])
    # A fifth of the identity preset's pairs are held out (more than DPO's share): judged four times, not eight.
    held, evaluation = _held_out(eval_rows, keys, settings, times=4)
    device = next(model.parameters()).device.type
    args = RewardConfig(**settings.trl_kwargs(str(work_dir), device, cpu.bf16_autocast(model)), **evaluation)
    lora = _lora_config(model, settings, task_type="SEQ_CLS") if settings.lora else None
    # Weights stay fp32 (lora=False here): holding them in bf16 pays off for sampling, which a reward model
    # never does, and peft's trainable copy of the score head would be made in bf16 too.
    with _quiet_libraries(), cpu.cpu_training(model, lora=False, max_length=settings.max_length) as levers:
        trainer = RewardTrainer(model=model, args=args, train_dataset=data, eval_dataset=held,
                                processing_class=tokenizer, peft_config=lora, callbacks=callbacks)
        levers.trainer_ready(trainer.model)
        _quiet(trainer).train()
    return _finish(trainer, adapter_dir)


def _with_loss_terms(trainer_cls):
    """`trainer_cls` (TRL's DPOTrainer) logging its loss's two terms apart: `loss/sft`, the SFT term times
    its weight (−mean log π of the chosen tokens, as TRL's "sft" loss computes it), and `loss/preference`,
    the rest of the loss (−log σ(β·margin) for sigmoid DPO). TRL sums the terms and logs only the total;
    with no SFT term nothing is added. The policy's per-token log-probabilities are read from its forward
    pass with a hook that lives only for that call."""

    class LossTerms(trainer_cls):
        def _compute_loss(self, model, inputs, return_outputs):
            if "sft" not in self.loss_types:
                return super()._compute_loss(model, inputs, return_outputs)
            seen = []  # the policy's forward comes first; a reference forward through the same model follows
            hook = model.register_forward_hook(lambda m, args, out: seen.append(out.log_probs.detach()))
            try:
                out = super()._compute_loss(model, inputs, return_outputs)
            finally:
                hook.remove()
            mask = inputs["completion_mask"][..., 1:]
            chosen_mask = mask.chunk(2, dim=0)[0].bool()
            chosen_logps = seen[0][:, -mask.size(1):].chunk(2, dim=0)[0]
            weight = self.loss_weights[self.loss_types.index("sft")]
            sft = weight * -chosen_logps[chosen_mask].float().mean()
            total = (out[0] if return_outputs else out).detach().float()
            mode = "train" if self.model.training else "eval"
            for key, value in (("loss/sft", sft), ("loss/preference", total - sft)):
                self._metrics[mode][key].append(self.accelerator.gather_for_metrics(value).mean().item())
            return out

    return LossTerms


class _GroupRecorder(TrainerCallback):
    """After each logged step, write one prompt's completions, rewards and advantages to a log, and
    whether each completion is correct (its final number is the problem's answer, as posttrain.scores
    judges it): a wrong answer can earn a positive advantage for its format alone, and the inspector
    must show it. `answers` maps a prompt (as `_text` writes it) to its answer; `correct` is left out
    for prompts it does not know."""

    def __init__(self, log: MetricsLog, num_generations: int, answers: dict[str, str] | None = None):
        self.log, self.g, self.answers = log, num_generations, answers or {}
        self.trainer, self._step = None, None

    def on_log(self, args, state, control, **kw):
        logs = getattr(self.trainer, "_logs", None)  # TRL keeps the latest generation batch here
        if not logs or len(logs["completion"]) < self.g or state.global_step == self._step:
            return  # the run's summary row comes at the last step again: its group is already written
        self._step = state.global_step
        completions = [_text(c) for c in list(logs["completion"])[: self.g]]
        rewards = {name: list(vals)[: self.g] for name, vals in logs["rewards"].items()}
        prompt = _text(list(logs["prompt"])[0])
        row = {"step": state.global_step, "prompt": prompt, "completions": completions, "rewards": rewards,
               "advantages": list(logs["advantages"])[: self.g]}
        if prompt in self.answers:
            row["correct"] = [arithmetic_marks(c, self.answers[prompt])["correct"] for c in completions]
        self.log.append(row)


def _text(x) -> str:
    """A prompt or completion as text: conversational messages are joined by role."""
    if isinstance(x, list):
        return "\n".join(f"{m['role']}: {m['content']}" if m["role"] != "assistant" else m["content"] for m in x)
    return str(x)


def run_grpo(model, tokenizer, rows: list[dict], settings, work_dir: str | Path,
             callbacks: list[TrainerCallback], groups: MetricsLog | None = None,
             rewards: dict[str, Callable] | None = None, adapter_dir: str | Path | None = None) -> torch.nn.Module:
    """Group relative policy optimisation on rows `{"prompt", …}` (`answer` when the rewards check one) with
    the rewards `settings.reward_funcs` names: posttrain.rewards' own, or those `rewards` gives by name
    (the reward model's)."""
    from trl import GRPOConfig, GRPOTrainer

    rewards = {**REWARD_FUNCTIONS, **(rewards or {})}
    funcs = [rewards[name] for name in settings.reward_funcs]
    device = next(model.parameters()).device.type
    args = GRPOConfig(**settings.trl_kwargs(str(work_dir), device, cpu.bf16_autocast(model)))
    answers = {_text(r["prompt"]): r["answer"] for r in rows if r.get("answer") is not None}
    recorder = _GroupRecorder(groups, settings.num_generations, answers) if groups is not None else None
    # Sampling dominates a GRPO step; with LoRA the base is frozen and held in bf16 (see cpu.bf16_weights).
    # Prompt and completion together can exceed eager attention's short sequences: SDPA stays.
    with _quiet_libraries(), cpu.cpu_training(model, lora=settings.lora, max_length=None) as levers:
        trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=args, train_dataset=Dataset.from_list(rows),
                              processing_class=tokenizer,
                              peft_config=_lora_config(model, settings) if settings.lora else None,
                              callbacks=callbacks + ([recorder] if recorder else []))
        levers.trainer_ready(trainer.model)
        if recorder:
            recorder.trainer = trainer
        _quiet(trainer).train()
    return _finish(trainer, adapter_dir)
