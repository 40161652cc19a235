"""Reward functions for the GRPO arithmetic demo, in TRL's calling convention.

TRL's ``GRPOTrainer`` calls every reward function with keyword arguments:
``prompts``, ``completions``, ``completion_ids``, one list per extra dataset
column (here ``answer``), plus trainer bookkeeping such as
``trainer_state``. Each function therefore takes ``**kwargs`` and returns a
``list[float]`` with one score per completion. Completions are either plain
strings or conversational ``[{"role": "assistant", "content": "..."}]``
lists; both are accepted. TRL logs each reward under the function's
``__name__``, so the names below are what participants see in the charts.
Everything here is pure Python so it can be unit- and doctested without a
model.
"""

from __future__ import annotations

from typing import Any, Callable

from .answers import extract_boxed, normalize_number
from .scores import arithmetic_marks, box_count, is_degenerate

__all__ = [
    "extract_boxed",
    "normalize_number",
    "completion_text",
    "boxed_match",
    "boxed_format",
    "correct_answer",
    "one_box",
    "boxed_answer",
    "REWARD_FUNCTIONS",
]

def completion_text(completion: Any) -> str:
    """Text of one completion, whether a string or a list of messages.

    Conversational completions are ``[{"role": "assistant", "content": str}]``;
    the contents of all messages are joined with newlines.

    >>> completion_text("plain")
    'plain'
    >>> completion_text([{"role": "assistant", "content": "hi"}])
    'hi'
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, list):
        parts = []
        for message in completion:
            content = message.get("content") if isinstance(message, dict) else message
            if isinstance(content, list):  # multimodal-style [{"type": "text", ...}]
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            if content:
                parts.append(str(content))
        return "\n".join(parts)
    return "" if completion is None else str(completion)


def boxed_match(completions: list, answer: list, **kwargs: Any) -> list[float]:
    r"""1.0 per completion whose last ``\boxed{}`` equals the reference answer.

    ``completions`` and ``answer`` have the same length (TRL repeats the
    dataset's ``answer`` column once per generation). Both sides go through
    :func:`normalize_number`, so ``\boxed{1,234}`` matches ``"1234"``.

    >>> boxed_match([r"\boxed{12}", "12", [{"role": "assistant", "content": r"\boxed{12.0}"}]],
    ...             answer=["12", "12", "12"])
    [1.0, 0.0, 1.0]
    """
    if len(completions) != len(answer):
        raise ValueError(
            f"boxed_match got {len(completions)} completions but {len(answer)} answers"
        )
    scores = []
    for completion, reference in zip(completions, answer):
        got = normalize_number(extract_boxed(completion_text(completion)))
        want = normalize_number(reference)
        scores.append(1.0 if got is not None and got == want else 0.0)
    return scores


def boxed_format(completions: list, **kwargs: Any) -> list[float]:
    r"""Shaped format reward: 1.0 for ``\boxed{<number>}``, 0.25 for a box around something
    else, 0.1 for an empty ``\boxed{}``, 0.0 for no closed box.

    A 135M model rarely writes ``\boxed{}`` at first, so any box is progress worth a little: GRPO
    normalises rewards within a group, and a small difference is still a signal. The empty box
    earns least because the system prompt itself shows ``\boxed{}``: with half credit the bundled
    model learned to copy it empty instead of putting its number inside (measured).

    >>> boxed_format([r"\boxed{42}", r"\boxed{x+1}", r"\boxed{}", "42", r"\boxed{4"])
    [1.0, 0.25, 0.1, 0.0, 0.0]
    >>> boxed_format([[{"role": "assistant", "content": r"The answer is \boxed{$5}."}]])
    [1.0]
    """
    scores = []
    for completion in completions:
        boxed = extract_boxed(completion_text(completion))
        if boxed is None:
            scores.append(0.0)
        elif normalize_number(boxed) is not None:
            scores.append(1.0)
        else:
            scores.append(0.1 if not boxed.strip() else 0.25)
    return scores


def correct_answer(completions: list, answer: list, **kwargs: Any) -> list[float]:
    r"""1.0 per completion whose final number is right and that does not loop; else 0.0.

    The final number is the last ``\boxed{}`` number, else the last number written (see
    :func:`posttrain.scores.final_number`): the bundled model solves some problems without boxing, and
    a right answer is what this reward pays for, boxed or not. A looping answer (several boxes, a
    repeated phrase) earns nothing even when its last number happens to be right, so writing many
    numbers is no way to it.

    >>> correct_answer([r"3 + 4 = 7, so \boxed{7}.", "She has 7 apples.", r"\boxed{7} \boxed{7} \boxed{7}",
    ...                 r"\boxed{8}"], answer=["7", "7", "7", "7"])
    [1.0, 1.0, 0.0, 0.0]
    """
    if len(completions) != len(answer):
        raise ValueError(f"correct_answer got {len(completions)} completions but {len(answer)} answers")
    out = []
    for completion, reference in zip(completions, answer):
        marks = arithmetic_marks(completion_text(completion), reference)
        out.append(1.0 if marks["correct"] and not marks["degenerate"] else 0.0)
    return out


def _one_final_box(text: str) -> bool:
    """Exactly one numeric box, ending the answer (at most a few characters after it), and no loop."""
    text = text.rstrip()
    if box_count(text) != 1 or normalize_number(extract_boxed(text)) is None or is_degenerate(text):
        return False
    tail = text[text.index("}", text.rindex("\\boxed")) + 1:]
    return len(tail.strip(" .!$\\)]")) <= 2


def one_box(completions: list, **kwargs: Any) -> list[float]:
    r"""1.0 for exactly one ``\boxed{<number>}`` that ends an answer which does not loop; else 0.0.

    Unlike :func:`boxed_format` it pays nothing for extra boxes, loops or a box running on into more
    text, so box spam earns nothing. It still pays for a boxed guess: weighted like the answer's
    correctness it taught the bundled model to box guesses (correct answers 28 % → 12 %,
    docs/benchmarks.md), so the arithmetic preset gives it a small weight beside `boxed_answer`.

    >>> one_box([r"7 + 5 = 12. The answer is \boxed{12}.", r"\boxed{12} \boxed{12}", r"\boxed{}",
    ...          r"\boxed{12}. Next, let us think about apples and pears.", r"The answer is \boxed{13}."])
    [1.0, 0.0, 0.0, 0.0, 1.0]
    """
    return [1.0 if _one_final_box(completion_text(c)) else 0.0 for c in completions]


def boxed_answer(completions: list, answer: list, **kwargs: Any) -> list[float]:
    r"""1.0 when the answer is right *and* given as one box ending it (no loop); else 0.0.

    The format paid only where it holds a right answer: a boxed guess earns nothing, so the box is
    learned without teaching the model to stop working problems out.

    >>> boxed_answer([r"3 + 4 = 7. The answer is \boxed{7}.", r"The answer is \boxed{8}.", "It is 7.",
    ...               r"\boxed{7} \boxed{7}"], answer=["7"] * 4)
    [1.0, 0.0, 0.0, 0.0]
    """
    if len(completions) != len(answer):
        raise ValueError(f"boxed_answer got {len(completions)} completions but {len(answer)} answers")
    right = correct_answer(completions, answer)
    return [r if _one_final_box(completion_text(c)) else 0.0 for c, r in zip(completions, right)]


# Registry the training code and UI pick rewards from by name; the key equals
# __name__ so the names in the UI match the curves TRL logs.
REWARD_FUNCTIONS: dict[str, Callable[..., list[float]]] = {
    "correct_answer": correct_answer,
    "one_box": one_box,
    "boxed_answer": boxed_answer,
    "boxed_match": boxed_match,
    "boxed_format": boxed_format,
}
