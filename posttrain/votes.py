"""Blind A/B votes: people judge two answers to the same question without knowing which model wrote which.

Two *sides* answered the same questions: a run's model before and after training, or two runs' trained
models. A ballot shows each question's two answers as A and B, in an order drawn per voter and question (a
hash of both), so a room's habit of picking the left one cancels out and a voter who reloads sees the same
order. A vote names A, B or a tie and is stored with the labels it stood for; the labels are revealed after it.

Votes are appended to the first run's `votes.jsonl` as they arrive, one JSON line each, flushed and fsynced
under a lock: every visitor's vote is kept, and a server restart loses none. `tally` gives the share of votes
that preferred one side (a tie counts half) with its 95 % Wilson interval; `preference_pairs` turns votes into
DPO pairs (chosen = the answer most voters preferred), so the people in the room become the feedback.
Everything here but `VoteLog` is pure.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .bilingual import Said

CHOICES = ("A", "B", "tie")
Z95 = 1.959964  # the normal quantile of a two-sided 95 % interval


class VoteError(ValueError):
    """A vote that cannot be counted; the message says why and what to do."""


@dataclass(frozen=True)
class Side:
    """One side of a ballot: its label ("before", "after", a run's name) and its answer to each question."""

    label: str
    answers: dict[str, str]


def run_sides(before_after: list[dict]) -> tuple[Side, Side]:
    """A run's before and after answers (its before_after.json rows) as the two sides of a ballot."""
    return (Side("before", {r["question"]: r["before"] for r in before_after}),
            Side("after", {r["question"]: r["after"] for r in before_after}))


def questions(first: Side, second: Side) -> list[str]:
    """The questions on the ballot: those both sides answered, and answered differently (two identical answers
    can only tie, and would pull every win rate towards a half), in the first side's order.

    >>> questions(Side("before", {"a": "x", "b": "y", "c": "z"}), Side("after", {"a": "x", "b": "w"}))
    ['b']
    """
    return [q for q in first.answers if q in second.answers and first.answers[q] != second.answers[q]]


def order(voter: str, question: str, first: Side, second: Side) -> tuple[Side, Side]:
    """(A, B) for this voter and question: drawn from a hash of both, so it is fixed for them and even overall.

    >>> a, b = Side("before", {"q": "x"}), Side("after", {"q": "y"})
    >>> order("v1", "q", a, b) == order("v1", "q", a, b)
    True
    >>> sorted({order(f"v{i}", "q", a, b)[0].label for i in range(20)})
    ['after', 'before']
    """
    flip = hashlib.sha256(f"{voter}\n{question}".encode()).digest()[0] & 1
    return (second, first) if flip else (first, second)


def ballot(first: Side, second: Side, voter: str) -> list[dict]:
    """The questions with their answers as A and B for `voter`, labels hidden: [{"index", "question", "A", "B"}]."""
    out = []
    for i, q in enumerate(questions(first, second)):
        a, b = order(voter, q, first, second)
        out.append({"index": i, "question": q, "A": a.answers[q], "B": b.answers[q]})
    return out


def make_vote(first: Side, second: Side, voter: str, index: int, choice: str, now: float | None = None) -> dict:
    """The row a vote is stored as: {"question", "A", "B" (the labels they stood for), "choice", "winner"
    (a label, or "tie"), "voter", "time"}. Raises VoteError for a question or choice that is not on the ballot."""
    asked = questions(first, second)
    if choice not in CHOICES:
        raise VoteError(Said(f"a vote is A, B or tie (got {choice!r})", f"票只能投 A、B 或 tie（平局），收到的是 {choice!r}"))
    if not isinstance(index, int) or not 0 <= index < len(asked):
        raise VoteError(Said(f"there is no question {index} on this ballot (it has {len(asked)}); load the ballot again",
                             f"这张选票上没有编号 {index} 的问题（它只有 {len(asked)} 个）；请重新开始投票"))
    q = asked[index]
    a, b = order(voter, q, first, second)
    winner = {"A": a.label, "B": b.label, "tie": "tie"}[choice]
    return {"question": q, "A": a.label, "B": b.label, "choice": choice, "winner": winner, "voter": voter,
            "time": round(time.time() if now is None else now, 3)}


def wilson(successes: float, n: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion (successes may be fractional: a tie counts half).

    >>> [round(x, 3) for x in wilson(34, 50)]
    [0.542, 0.792]
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / (1 + Z95 ** 2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def tally(votes: list[dict], first: str, second: str) -> dict:
    """How often `second` was preferred over `first` among the votes between those two sides: {"n", "wins",
    "losses", "ties", "win_rate" (a tie counts half; None with no votes), "low", "high" (its 95 % interval),
    "voters"}.

    >>> t = tally([{"A": "before", "B": "after", "winner": w, "voter": str(i)} for i, w in
    ...            enumerate(["after"] * 34 + ["before"] * 16)], "before", "after")
    >>> t["n"], t["wins"], t["win_rate"], round(t["low"], 2), round(t["high"], 2)
    (50, 34, 0.68, 0.54, 0.79)
    """
    between = [v for v in votes if {v.get("A"), v.get("B")} == {first, second}]
    wins = sum(v["winner"] == second for v in between)
    losses = sum(v["winner"] == first for v in between)
    ties = len(between) - wins - losses
    n = len(between)
    rate = (wins + ties / 2) / n if n else None
    low, high = wilson(wins + ties / 2, n) if n else (None, None)
    return {"n": n, "wins": wins, "losses": losses, "ties": ties, "win_rate": rate, "low": low, "high": high,
            "voters": len({v.get("voter") for v in between})}


def preference_pairs(votes: list[dict], first: Side, second: Side) -> list[dict]:
    """DPO pairs from the votes between two sides: for each question where more voters preferred one answer
    than the other (ties and even splits give none), chosen = that answer, rejected = the other, in TRL's
    conversational shape, kind "vote".

    >>> a, b = Side("before", {"Who are you?": "I am Smol."}), Side("after", {"Who are you?": "I am Nova."})
    >>> votes = [{"question": "Who are you?", "A": "before", "B": "after", "winner": w} for w in ("after", "after", "before")]
    >>> pair = preference_pairs(votes, a, b)[0]
    >>> pair["chosen"][0]["content"], pair["rejected"][0]["content"], pair["kind"]
    ('I am Nova.', 'I am Smol.', 'vote')
    """
    labels, out = {first.label: first, second.label: second}, []
    for q in questions(first, second):
        said = [v["winner"] for v in votes if v.get("question") == q and {v.get("A"), v.get("B")} == set(labels)]
        score = said.count(second.label) - said.count(first.label)
        if score == 0:
            continue
        win, lose = (second, first) if score > 0 else (first, second)
        out.append({"prompt": [{"role": "user", "content": q}],
                    "chosen": [{"role": "assistant", "content": win.answers[q]}],
                    "rejected": [{"role": "assistant", "content": lose.answers[q]}], "kind": "vote"})
    return out


_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


class VoteLog:
    """A run's votes.jsonl: appended one line per vote, flushed and fsynced under a per-file lock; read back
    whole (a line cut short by a crash is skipped)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with _locks_lock:
            self._lock = _locks.setdefault(str(self.path.resolve()), threading.Lock())

    def append(self, vote: dict) -> None:
        line = json.dumps(vote, ensure_ascii=False) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        with self._lock:
            text = self.path.read_text(encoding="utf-8")
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out
