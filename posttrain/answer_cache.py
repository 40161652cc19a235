"""The untrained model's own greedy answers, kept on disk: a second demo on the same machine starts training at once.

A run asks the model it starts from the same questions every time: its own answers for the identity pairs,
its before-answers, the flip curve's answers. `answers(...)` looks each one up under a key made of

- the model's **fingerprint**: its class, its config and generation config, the torch and transformers versions,
  and every parameter and buffer (name, shape, dtype and a strided sample of its values), adapters and gated
  neurons included, so any trained weight changes it;
- the **prompt** as the chat template lays it out (question and system prompt);
- the **decoding settings**: new tokens, and whether the weights were held in bf16 (posttrain.models);
- unless it was written in fp32 on a CPU, the **batch**: every prompt asked in the same call. On a CPU with AMX a
  bf16 answer can depend on the other prompts in its batch (their padded width; posttrain.evaluation.by_kind),
  and a GPU picks its kernels by shape, so such an answer is served again only to the same batch; a demo's
  second run (the same questions) still finds them all.

and generates only what is missing, in one batched pass (where the batch is in the key: the whole batch again). Answers written while training (probes) never come
through here. Files: `$POSTTRAIN_CACHE/answers/<fingerprint>.json`; `$POSTTRAIN_ANSWER_CACHE=0` turns it off
(posttrain.switches). The first demo meets its speed targets without it (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from . import cpu, switches
from .bilingual import Said
from .models import answer_text, chat_text, generate_answers
from .runs import read_json, write_json

SAMPLE = 4099  # values hashed per tensor, evenly spaced from the first to the last (every value of a smaller one)
FORMAT = 1  # raised when generation changes in a way the other parts of the key do not show


@torch.no_grad()
def fingerprint(model) -> str:
    """A short hash of what makes `model` answer as it does: class, config and a sample of every tensor.

    The sample is strided over each whole tensor, so a trained LoRA, a merged adapter, a full fine-tune or a
    gated edit (new neurons, a wider MLP) changes it; 0.2 s for the bundled model on 2 CPU cores.
    """
    import transformers

    h = hashlib.sha256(f"{FORMAT} {type(model).__name__} torch {torch.__version__} "
                       f"transformers {transformers.__version__}".encode())
    for config in (getattr(model, "config", None), getattr(model, "generation_config", None)):
        if config is not None:
            h.update(config.to_json_string(use_diff=False).encode())
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        flat = t.detach().reshape(-1)
        h.update(f"{name}{tuple(t.shape)}{t.dtype}{t.device.type}".encode())
        n = flat.numel()
        # integer positions from the first value to the last (a float linspace rounds past the end of a big tensor)
        at = torch.arange(SAMPLE, device=flat.device) * (n - 1) // (SAMPLE - 1) if n > SAMPLE else slice(None)
        h.update(flat[at].float().cpu().numpy().tobytes())
    return h.hexdigest()[:24]


def _key(prompt: str, max_new_tokens: int, bf16: bool, batch: str = "") -> str:
    return hashlib.sha256(json.dumps([prompt, max_new_tokens, bf16, batch]).encode()).hexdigest()[:32]


def _read(path: Path) -> dict:
    found = read_json(path, {})
    return found if isinstance(found, dict) else {}


def _write(path: Path, entries: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, entries)
    except OSError:
        pass  # a cache that cannot be written is only slower, never wrong


@dataclass
class Tally:
    """How many of the answers asked for in this thread since `tally()` came from the cache."""

    hits: int = 0
    asked: int = 0

    def sentence(self) -> str:
        return Said(f"{self.hits} of {self.asked} answers of the untrained model came from the answer cache: the same "
                    "model answered the same questions with the same settings in an earlier run "
                    "($POSTTRAIN_ANSWER_CACHE=0 turns it off)",
                    f"未训练模型的 {self.asked} 个回答中有 {self.hits} 个来自回答缓存：同一个模型在之前的一次训练中用同样的设置"
                    "回答过同样的问题（设 $POSTTRAIN_ANSWER_CACHE=0 可关闭）")


_counting = threading.local()


def tally() -> Tally:
    """Count this thread's cache hits from now on (a run calls it as it starts; the next call starts afresh)."""
    _counting.tally = Tally()
    return _counting.tally


def answers(model, tokenizer, questions: list[str], *, system: str | None = None, max_new_tokens: int = 96,
            bf16: bool = True) -> list[str]:
    """`generate_answers(...)`, served from the cache where this model already answered the same prompt the same way."""
    path, where = None, switches.answer_cache()
    if questions and where is not None:
        try:
            path = where / f"{fingerprint(model)}.json"
        except Exception:  # noqa: BLE001 - a model it cannot fingerprint answers afresh: a cache is only a shortcut
            path = None
    if path is None:
        return generate_answers(model, tokenizer, questions, system=system, max_new_tokens=max_new_tokens, bf16=bf16)
    held_bf16 = cpu.generates_in_bf16(model, bf16)
    texts = [chat_text(tokenizer, q, system) for q in questions]
    # fp32 on a CPU writes the same answer in any batch; bf16 on AMX, and a GPU's kernels, may not
    batched = held_bf16 or next(model.parameters()).device.type != "cpu"
    batch = hashlib.sha256(json.dumps(texts).encode()).hexdigest()[:32] if batched else ""
    keys = [_key(text, max_new_tokens, held_bf16, batch) for text in texts]
    entries = _read(path)
    missing = list(dict.fromkeys(q for q, k in zip(questions, keys) if k not in entries))
    if missing and batch:  # the whole batch again, as it was asked
        missing = list(questions)
    if missing:
        fresh = generate_answers(model, tokenizer, missing, system=system, max_new_tokens=max_new_tokens, bf16=bf16)
        got = dict(zip(missing, fresh))
        entries = {**_read(path), **{k: got[q] for q, k in zip(questions, keys) if q in got}}
        _write(path, entries)
    counts = getattr(_counting, "tally", None)
    if counts is not None:
        counts.hits += sum(q not in missing for q in questions)
        counts.asked += len(questions)
    return [answer_text(entries[k]) for k in keys]  # (an entry written before the "�" was trimmed, trimmed)
