"""Before and after: the same questions, the same greedy decoding, and what changed.

`probe_recorder` makes the function the training callback calls every k steps to answer a few probe
questions, so the moment a model starts using its new name is on record. `before_after` pairs two
answer lists, `identity_scores` turns them into the identity demo's three numbers, and `word_diff`
marks the changed words for the side-by-side view. Everything here except the recorder is pure.
"""

from __future__ import annotations

import difflib
import re

import torch

from .data import mentions_name
from .metrics import MetricsLog
from .models import generate_answers


def probe_recorder(tokenizer, questions: list[str], log: MetricsLog, *, system: str | None = None,
                   max_new_tokens: int = 32):
    """A `probe(model, step)` that appends `{"step", "answers": [{"question", "answer"}]}` to `log`.

    It must not disturb training: it runs without gradients, restores the model's train mode
    (`generate_answers` does) and the RNG state, so a run with probes trains the same weights as
    one without.
    """
    def probe(model, step: int) -> None:
        cpu_rng = torch.get_rng_state()
        cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        try:
            answers = generate_answers(model, tokenizer, questions, system=system, max_new_tokens=max_new_tokens)
        finally:
            torch.set_rng_state(cpu_rng)
            if cuda_rng is not None:
                torch.cuda.set_rng_state_all(cuda_rng)
        log.append({"step": step, "answers": [{"question": q, "answer": a} for q, a in zip(questions, answers)]})

    return probe


def before_after(questions: list[str], before: list[str], after: list[str], kinds: list[str] | None = None) -> list[dict]:
    """Rows `{"question", "kind", "before", "after", "changed"}` for the side-by-side view."""
    kinds = kinds or ["question"] * len(questions)
    return [{"question": q, "kind": k, "before": b, "after": a, "changed": b != a}
            for q, k, b, a in zip(questions, kinds, before, after)]


def identity_scores(rows: list[dict], name: str) -> dict:
    """The identity demo's scores over before/after rows whose `kind` is "identity" or "unrelated".

    - success: share of identity questions whose *after* answer states the new name;
    - leak: share of unrelated questions whose *after* answer mentions the new name;
    - unchanged: share of unrelated questions answered exactly as before.
    Each is None when there are no questions of that kind.

    >>> rows = [{"kind": "identity", "before": "I am SmolLM.", "after": "I am Deep Qwen."},
    ...         {"kind": "unrelated", "before": "Paris.", "after": "Paris."},
    ...         {"kind": "unrelated", "before": "4", "after": "I am Deep Qwen. 4"}]
    >>> identity_scores(rows, "Deep Qwen")
    {'success': 1.0, 'leak': 0.5, 'unchanged': 0.5, 'n_identity': 1, 'n_unrelated': 2}
    """
    ident = [r for r in rows if r["kind"] == "identity"]
    other = [r for r in rows if r["kind"] == "unrelated"]

    def share(flags):
        return round(sum(flags) / len(flags), 4) if flags else None

    return {
        "success": share([mentions_name(r["after"], name) for r in ident]),
        "leak": share([mentions_name(r["after"], name) for r in other]),
        "unchanged": share([r["after"] == r["before"] for r in other]),
        "n_identity": len(ident),
        "n_unrelated": len(other),
    }


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
