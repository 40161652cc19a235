"""The arithmetic demo's data, pure: word problems drawn offline, with their answers, in TRL's prompt shape.

Rows are ``{"prompt": [system msg, user msg], "answer": "42"}``; the system prompt is the course's,
asking for the final number in ``\\boxed{}``.
"""

from __future__ import annotations

import random
from typing import Any

from . import banks
from .bilingual import Said
from .config import SettingsError

ARITHMETIC_SYSTEM_PROMPT = (
    "You are a helpful assistant that solves problems step-by-step. "
    "Always include the final numeric answer inside \\boxed{}."
)
# Appended to some training questions, in turn, so that sampled answers use the format at all. Sampled
# at temperature 1 within 48 tokens (64 samples each, 8 problems): the first gave a box in 2 samples
# (2 of 8 groups had a reward difference), the second in 13 (7 of 8 groups). The second alone was
# learned only where it was asked for (0 % boxed on plain problems after 12 steps); the first carries
# the habit of ending with the box over to plain problems; together, 0 % -> 66 % (docs/benchmarks.md).
FORMAT_HINTS = (' End your reply with "The answer is \\boxed{N}." where N is the number.',
                ' Reply in one short sentence: "The answer is \\boxed{N}." where N is the number.')

def _draw(op: str, r: Any) -> tuple[dict[str, int], int]:
    """Numbers (all 2..20) for a problem of kind ``op``, and its integer answer >= 0."""
    if op == "add":
        a, b = r(2, 20), r(2, 20)
        return {"a": a, "b": b}, a + b
    if op == "sub":
        a = r(3, 20)
        b = r(2, a - 1)
        return {"a": a, "b": b}, a - b
    if op == "add_sub":
        a, b = r(2, 20), r(2, 20)
        c = r(2, min(20, a + b))
        return {"a": a, "b": b, "c": c}, a + b - c
    if op == "mul":
        a, b = r(2, 10), r(2, 10)
        return {"a": a, "b": b}, a * b
    if op == "div":  # dividend <= 20 keeps every shown number small and the result exact
        b = r(2, 10)
        q = r(2, 20 // b)
        return {"a": b * q, "b": b}, q
    a, b = r(2, 6), r(2, 6)
    c = r(2, 20) if op == "mul_add" else r(2, min(20, a * b))
    return {"a": a, "b": b, "c": c}, (a * b + c if op == "mul_add" else a * b - c)


def problem_row(messages: list[dict[str, str]], answer: str) -> dict:
    if messages[0]["role"] != "system":
        messages = [{"role": "system", "content": ARITHMETIC_SYSTEM_PROMPT}, *messages]
    return {"prompt": messages, "answer": answer}


def _problems(seed: int, n: int, avoid: frozenset[str] = frozenset()):
    """`n` distinct (op, numbers, question, answer, rng) drawn from the templates, deterministic per `seed`
    (and per what the caller draws from `rng` in between); questions in `avoid` are skipped. Bounded:
    duplicates are redrawn, not looped on forever."""
    rng, seen, made = random.Random(seed), set(avoid), 0
    for _ in range(max(n, 0) * 200):
        if made >= n:
            return
        op, template = rng.choice(banks.ARITHMETIC_TEMPLATES)
        numbers, answer = _draw(op, rng.randint)
        question = template.format(name=rng.choice(banks.PERSON_NAMES), **numbers)
        if question not in seen:
            seen.add(question)
            made += 1
            yield op, numbers, question, answer, rng  # lazily: a caller's own draws from rng come in between
    if made < n:
        raise SettingsError(Said(f"could only generate {made} distinct problems; ask for fewer.",
                                 f"只能生成 {made} 道互不相同的题目；请少要一些。"))


def build_arithmetic_problems(n: int = 64, seed: int = 0, format_hint: float = 0.0,
                              hinted_first: bool = False) -> list[dict]:
    """``n`` distinct small arithmetic word problems, generated offline.

    Rows: ``{"prompt": [system msg (ARITHMETIC_SYSTEM_PROMPT), user msg], "answer": "12"}``.
    Deterministic per ``seed``; use another seed for held-out evaluation problems.
    A share ``format_hint`` of the questions end with one of :data:`FORMAT_HINTS`, in turn: the
    bundled model never writes ``\\boxed{}`` from the system prompt alone (0 of 64 samples), but
    does with a hint, so hinted prompts give GRPO groups with a reward difference to learn from, and
    the habit carries over to plain prompts.
    """
    rows, hinted = [], 0
    for _, _, question, answer, rng in _problems(seed, n):
        text = question
        if rng.random() < format_hint:
            text, hinted = question + FORMAT_HINTS[hinted % len(FORMAT_HINTS)], hinted + 1
        rows.append(problem_row([{"role": "user", "content": text}], str(answer)))
    if hinted_first:  # a curriculum: learn the format where it is asked for, then keep it where it is not
        rows.sort(key=lambda r: not r["prompt"][-1]["content"].endswith(FORMAT_HINTS))
    return rows


def worked_solution(op: str, numbers: dict[str, int], answer: int, boxed: bool = True) -> str:
    """The working of a template problem, one step per operation, then its answer: boxed when the course's
    system prompt asks for a box, plain when nothing asked for one.

    >>> worked_solution("mul_sub", {"a": 6, "b": 4, "c": 19}, 5)
    '6 × 4 = 24, and 24 - 19 = 5. The answer is \\\\boxed{5}.'
    >>> worked_solution("sub", {"a": 14, "b": 6}, 8, boxed=False)
    '14 - 6 = 8. The answer is 8.'
    """
    a, b, c = numbers.get("a"), numbers.get("b"), numbers.get("c")
    steps = {"add": f"{a} + {b} = {answer}", "sub": f"{a} - {b} = {answer}", "mul": f"{a} × {b} = {answer}",
             "div": f"{a} ÷ {b} = {answer}"}
    if op in steps:
        working = steps[op]
    else:
        first, sign = (f"{a} + {b}", a + b) if op == "add_sub" else (f"{a} × {b}", a * b)
        working = f"{first} = {sign}, and {sign} {'+' if op == 'mul_add' else '-'} {c} = {answer}"
    final = "\\boxed{" + str(answer) + "}" if boxed else str(answer)
    return f"{working}. The answer is {final}."


def build_worked_solutions(n: int = 64, seed: int = 0, plain: float = 0.25,
                           avoid: frozenset[str] = frozenset()) -> list[dict]:
    """``n`` template problems with their working written out: SFT rows
    ``{"prompt": [msgs], "completion": [{"role": "assistant", "content": working}]}``.

    A share ``plain`` of them come without the system prompt and end with the bare number, so the box stays
    an answer to the system prompt's request and a question asked plainly gets a plain answer. Questions in
    ``avoid`` (the held-out ones) are never drawn.

    >>> rows = build_worked_solutions(4, plain=0.5)
    >>> [len(r["prompt"]) for r in rows], rows[0]["completion"][0]["content"].endswith("}.")
    ([2, 1, 2, 1], True)
    """
    rows = []
    for i, (op, numbers, question, answer, _) in enumerate(_problems(seed, n, avoid)):
        asks_box = not (plain > 0 and (i + 1) % round(1 / plain) == 0)
        user = [{"role": "user", "content": question}]
        rows.append({"prompt": problem_row(user, str(answer))["prompt"] if asks_box else user,
                     "completion": [{"role": "assistant", "content": worked_solution(op, numbers, answer, asks_box)}]})
    return rows


def arithmetic_questions(rows: list[dict]) -> list[str]:
    """Text of the last user message of each GRPO row (for held-out evaluation)."""
    return [next(m["content"] for m in reversed(r["prompt"]) if m["role"] == "user") for r in rows]
