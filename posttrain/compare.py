"""Before and after: the same questions, the same greedy decoding, and what changed.

`probe_recorder` makes the function the training callback calls every k steps to answer a few probe
questions, so the moment a model starts using its new name is on record. `before_after` pairs two
answer lists (the honest scores over them are posttrain.scores'), and `word_diff` marks the changed
words for the side-by-side view. Everything here except the recorder is pure.
"""

from __future__ import annotations

import difflib
import re
from typing import Callable

import torch

from .metrics import MetricsLog
from .models import generate_answers


def probe_recorder(tokenizer, questions: list[str], log: MetricsLog, *, system: str | None = None,
                   max_new_tokens: int = 32, judged: list[str] | None = None,
                   judge: Callable[[list[str]], dict] | None = None, metrics: MetricsLog | None = None,
                   bf16: bool = True):
    """A `probe(model, step)` that appends `{"step", "answers": [{"question", "answer"}]}` to `log`.

    With `judged` questions and a `judge(answers) -> {score: value}`, the same generation pass also
    answers those held-out questions and appends `{"step", "eval/<score>": value}` to `metrics`, so the
    charts can draw what a person would judge (correct answers, the name, loops) next to the loss or
    reward. It must not disturb training: it runs without gradients, restores the model's train mode
    (`generate_answers` does) and the RNG state, so a run with probes trains the same weights as one
    without. `bf16`: as `generate_answers`' (False for answers judged for a right result).
    """
    judged = list(judged or []) if judge else []

    def probe(model, step: int) -> None:
        cpu_rng = torch.get_rng_state()
        cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        try:
            answers = generate_answers(model, tokenizer, list(questions) + judged, system=system,
                                       max_new_tokens=max_new_tokens, bf16=bf16)
        finally:
            torch.set_rng_state(cpu_rng)
            if cuda_rng is not None:
                torch.cuda.set_rng_state_all(cuda_rng)
        shown = answers[:len(questions)]
        log.append({"step": step, "answers": [{"question": q, "answer": a} for q, a in zip(questions, shown)]})
        if judged and metrics is not None:
            scores = judge(answers[len(questions):])
            metrics.append({"step": step, **{f"eval/{k}": v for k, v in scores.items() if v is not None}})

    return probe


def before_after(questions: list[str], before: list[str], after: list[str], kinds: list[str] | None = None) -> list[dict]:
    """Rows `{"question", "kind", "before", "after", "changed"}` for the side-by-side view."""
    kinds = kinds or ["question"] * len(questions)
    return [{"question": q, "kind": k, "before": b, "after": a, "changed": b != a}
            for q, k, b, a in zip(questions, kinds, before, after)]


_TOKEN = re.compile(r"\s+|[\u4e00-\u9fff]|[^\s\u4e00-\u9fff]+")


def word_diff(before: str, after: str) -> list[tuple[str, str | None]]:
    """The *after* text split into `(piece, label)` with label "+" for new words, None for kept ones.

    Words are whitespace-separated runs (each CJK character counts as a word), so the highlight
    works for English and Chinese alike. The shape is what `gr.HighlightedText` takes.

    >>> word_diff("I am SmolLM.", "I am Deep Qwen.")
    [('I am ', None), ('Deep Qwen.', '+')]
    """
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    out: list[tuple[str, str | None]] = []
    for op, _, _, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        piece = "".join(b[j1:j2])
        if not piece:
            continue
        label = None if op == "equal" else "+"
        if out and out[-1][1] == label:
            out[-1] = (out[-1][0] + piece, label)
        else:
            out.append((piece, label))
    return out
