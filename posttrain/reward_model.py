"""Reward models: one number per (prompt, answer), learned from preference pairs, then used as a GRPO reward.

The classic RLHF pipeline's middle step. A reward model here is the policy's own network with its
language-model head swapped for one linear output (transformers' `*ForSequenceClassification` with
`num_labels=1`): the score is read at the last token of prompt + answer as the chat template lays
them out, which is how TRL's RewardTrainer trains it (posttrain.jobs.run_reward) with the
Bradley-Terry loss −log σ(r(chosen) − r(rejected)). Only differences between scores mean anything.

- `from_policy(model, tokenizer)` — the untrained reward model: the policy's body, a fresh score head.
- `locate(folder)` / `load(folder)` — a trained one from a reward-model run folder (or its model/
  folder), with a sentence for every folder that is not one.
- `RewardModel.score(prompts, answers)` — scores, batched; `check_tokenizer` refuses a policy that
  reads text with another tokenizer; `pair_accuracy` judges it on pairs; `reward_function` is the
  GRPO reward named `reward_model` (TRL logs it as `rewards/reward_model/mean`).
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from .bilingual import Said, zh
from .config import SettingsError
from .rewards import completion_text
from .runs import read_json

SCORE_BATCH = 16


class RewardModelError(SettingsError):
    """A folder that holds no usable reward model, or one that cannot judge this policy; the message says why."""


def _messages(prompt, answer: str | None = None, system: str | None = None) -> list[dict]:
    msgs = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system and msgs[0]["role"] != "system":
        msgs = [{"role": "system", "content": system}] + msgs
    return msgs + ([{"role": "assistant", "content": answer}] if answer is not None else [])


def _pad_token(tokenizer) -> None:
    """A pad token, as TRL's RewardTrainer sets one: the tokenizer's own, else its end-of-text token."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token


def from_policy(model, tokenizer, seed: int = 0) -> torch.nn.Module:
    """The untrained reward model of `model` (a causal LM): a copy of its transformer body under a new
    score head (random, seeded: before training its preferences are a coin's). The policy is untouched."""
    config = copy.deepcopy(model.config)
    config.num_labels = 1
    _pad_token(tokenizer)
    config.pad_token_id = tokenizer.pad_token_id
    torch.manual_seed(seed)
    try:
        rm = AutoModelForSequenceClassification.from_config(config, dtype=next(model.parameters()).dtype)
    except ValueError:
        raise RewardModelError(Said(f"transformers has no reward-model (sequence classification) form of "
                                    f"{type(model).__name__}; train the reward model from a Llama-, Qwen- or "
                                    "Gemma-style model",
                                    f"transformers 没有 {type(model).__name__} 的奖励模型（序列分类）版本；"
                                    "请从 Llama、Qwen 或 Gemma 类的模型训练奖励模型")) from None
    body = getattr(rm, rm.base_model_prefix)
    body.load_state_dict(getattr(model, model.base_model_prefix).state_dict())
    return rm.to(next(model.parameters()).device).eval()


class RewardModel:
    """A trained reward model with its tokenizer; `path` is where it was loaded from."""

    def __init__(self, model, tokenizer, path: str | Path = ""):
        self.model, self.tokenizer, self.path = model.eval(), tokenizer, str(path)
        _pad_token(tokenizer)
        self.model.config.pad_token_id = tokenizer.pad_token_id

    @torch.no_grad()
    def score(self, prompts: list, answers: list, system: str | None = None) -> list[float]:
        """The score of each answer after its prompt (text or chat messages); answers may be TRL's
        conversational completions. Batched, right-padded as TRL's collator pads."""
        device = next(self.model.parameters()).device
        tok, out = self.tokenizer, []
        texts = [tok.apply_chat_template(_messages(p, completion_text(a), system), tokenize=False)
                 for p, a in zip(prompts, answers)]
        for i in range(0, len(texts), SCORE_BATCH):
            enc = tok(texts[i:i + SCORE_BATCH], return_tensors="pt", padding=True, padding_side="right",
                      add_special_tokens=False).to(device)
            out += self.model(**enc).logits[:, 0].float().tolist()
        return [round(x, 4) for x in out]

    def check_tokenizer(self, tokenizer) -> None:
        """Refuse a policy whose tokenizer differs from the reward model's: the reward model was trained from
        another model, and nothing says its scores mean anything for this one's answers."""
        mine, theirs = self.tokenizer.get_vocab(), tokenizer.get_vocab()
        if mine != theirs:
            raise RewardModelError(Said(
                f"the reward model in {self.path} was trained from a model with another tokenizer "
                f"({len(mine)} tokens) than the model being trained ({len(theirs)} tokens): train a reward model "
                "from this model (python -m posttrain reward --model …) and use that one",
                f"{self.path} 里的奖励模型训练自分词器不同的另一个模型（{len(mine)} 个 token，而正在训练的模型有 "
                f"{len(theirs)} 个）：请从这个模型训练一个奖励模型（python -m posttrain reward --model …）来用"))

    def pair_accuracy(self, rows: list[dict]) -> dict:
        """On preference rows `{"prompt", "chosen", "rejected"}`: `accuracy`, the share of pairs whose chosen
        answer scores higher, and each side's scores (`chosen`, `rejected`)."""
        prompts = [r["prompt"] for r in rows]
        chosen = self.score(prompts, [r["chosen"] for r in rows])
        rejected = self.score(prompts, [r["rejected"] for r in rows])
        right = [c > r for c, r in zip(chosen, rejected)]
        return {"accuracy": round(sum(right) / max(1, len(right)), 4), "chosen": chosen, "rejected": rejected}

    def reward_function(self):
        """The GRPO reward in TRL's calling convention: each completion's score after its prompt."""

        def reward_model(prompts: list, completions: list, **kwargs) -> list[float]:
            return self.score(prompts, completions)

        return reward_model


def locate(folder: str | Path) -> Path:
    """The model folder of a reward-model run folder (its model/) or of a model folder itself, without
    loading it; a RewardModelError with a sentence for anything else (gone, another method's run, unfinished)."""
    path = Path(str(folder or "").strip()).expanduser()
    hint = Said("give the folder of a reward-model run (Runs tab, or python -m posttrain reward … --out DIR)",
                "给出一次奖励模型训练的文件夹（「记录」页，或 python -m posttrain reward … --out DIR）")
    if not str(folder or "").strip():
        raise RewardModelError(Said(f"no reward model given; {hint}", f"没有给出奖励模型；请{zh(hint)}"))
    if not path.is_dir():
        raise RewardModelError(Said(f"there is no folder '{path}'; {hint}", f"没有文件夹 '{path}'；请{zh(hint)}"))
    method = (read_json(path / "config.json") or {}).get("method")  # set in a run folder's receipt
    model_dir = path / "model" if (path / "model").is_dir() else path
    if method is not None and model_dir == path:
        raise RewardModelError(Said(f"the run in '{path}' has no model yet (it has not finished, or it stopped before "
                                    f"saving); wait for it, or {hint}",
                                    f"'{path}' 里的训练还没有模型（还没完成，或在保存前停止了）；请等它完成，或{zh(hint)}"))
    if not is_reward_model(model_dir):
        what = Said(f"is a {str(method).upper()} run: its model writes answers, a reward model scores them",
                    f"是一次 {str(method).upper()} 训练：它的模型写回答，奖励模型才给回答打分") if method \
            else Said("holds no reward model (no model with a score head)", "里没有奖励模型（没有带打分头的模型）")
        raise RewardModelError(Said(f"'{path}' {what}; {hint}", f"'{path}' {zh(what)}；请{zh(hint)}"))
    return model_dir


def is_reward_model(model_dir: str | Path) -> bool:
    """Whether a saved model folder holds a reward model (a sequence-classification head), by its config."""
    arch = (read_json(Path(model_dir) / "config.json") or {}).get("architectures") or []
    return any(a.endswith("ForSequenceClassification") for a in arch)


def load(folder: str | Path, device: str | None = None) -> RewardModel:
    """The reward model of a reward-model run folder (its model/ inside) or of a model folder itself."""
    path, model_dir = Path(str(folder).strip()).expanduser(), locate(folder)
    try:
        model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except (OSError, ValueError) as e:
        raise RewardModelError(Said(f"the reward model in '{path}' could not be read ({e}); train it again",
                                    f"无法读取 '{path}' 里的奖励模型（{e}）；请重新训练它")) from None
    if device:
        model = model.to(device)
    return RewardModel(model, tokenizer, path)
