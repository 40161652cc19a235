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

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

__all__ = [
    "extract_boxed",
    "normalize_number",
    "completion_text",
    "boxed_match",
    "boxed_format",
    "REWARD_FUNCTIONS",
]

# Tolerate "\boxed {42}" as well as "\boxed{42}"; small models add spaces.
_BOXED_OPEN = re.compile(r"\\boxed\s*\{")

# A plain decimal number, optionally signed, with optional thousands commas
# already removed by the caller. Deliberately no exponents or fractions:
# the arithmetic answers are integers and "1e3" is more likely a typo.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)")


def extract_boxed(text: str) -> str | None:
    r"""Return the content of the last well-formed ``\boxed{...}`` in ``text``.

    Nested braces are matched, so LaTeX inside the box survives. A box that
    is never closed (a completion cut off by the length limit) is ignored.

    >>> extract_boxed(r"so the answer is \boxed{12}.")
    '12'
    >>> extract_boxed(r"\boxed{3} no wait \boxed{4}")
    '4'
    >>> extract_boxed(r"\boxed{\frac{1}{2}}")
    '\\frac{1}{2}'
    >>> extract_boxed(r"\boxed{7} then \boxed{8")
    '7'
    >>> extract_boxed("no box here") is None
    True
    """
    if not isinstance(text, str):
        return None
    last = None
    for match in _BOXED_OPEN.finditer(text):
        depth = 1
        for i in range(match.end(), len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    last = text[match.end() : i]
                    break
    return last


def normalize_number(s: Any) -> str | None:
    r"""Canonical string form of a number, or None when ``s`` is not one.

    Strips ``$`` (also LaTeX ``\$``), thousands commas, spaces, a trailing
    period and trailing zeros after the decimal point, so that ``"1,234.00"``
    and ``"1234"`` compare equal as strings.

    >>> normalize_number("$1,234.00")
    '1234'
    >>> normalize_number(" 42. ")
    '42'
    >>> normalize_number("12.0")
    '12'
    >>> normalize_number("-3.50")
    '-3.5'
    >>> normalize_number(7)
    '7'
    >>> normalize_number("twelve") is None
    True
    >>> normalize_number("") is None
    True
    """
    if s is None or isinstance(s, bool):
        return None
    text = str(s).replace("\\$", "").replace("$", "").replace(",", "")
    text = re.sub(r"\s+", "", text).rstrip(".")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        return None
    if value == value.to_integral_value():
        return str(int(value))
    # normalize() drops trailing zeros; format "f" avoids "1E+1" style output.
    return format(value.normalize(), "f")


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


# Registry the training code and UI pick rewards from by name; the key equals
# __name__ so the names in the UI match the curves TRL logs.
REWARD_FUNCTIONS: dict[str, Callable[..., list[float]]] = {
    "boxed_match": boxed_match,
    "boxed_format": boxed_format,
}
