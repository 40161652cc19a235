"""Tests for posttrain.rewards (and the doctests of rewards and data)."""

from __future__ import annotations

import doctest

import pytest

import posttrain.identity
import posttrain.rewards
from posttrain.rewards import (
    REWARD_FUNCTIONS,
    boxed_format,
    boxed_match,
    extract_boxed,
    normalize_number,
)


def _conv(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


@pytest.mark.parametrize("module", [posttrain.rewards, posttrain.identity])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("text,expected", [
    (r"\boxed{5}", "5"),
    (r"first \boxed{1}, finally \boxed{ 2 }", " 2 "),
    (r"\boxed{\frac{3}{4}} done", r"\frac{3}{4}"),
    (r"\boxed {9}", "9"),
    (r"\boxed{}", ""),
    (r"\boxed{12", None),
    ("12", None),
    (None, None),
])
def test_extract_boxed(text, expected):
    assert extract_boxed(text) == expected


@pytest.mark.parametrize("raw,expected", [
    ("12", "12"), ("12.0", "12"), ("12.00", "12"), ("12.", "12"), ("$1,234", "1234"),
    (r"\$5", "5"), (" 3 ", "3"), ("-4", "-4"), ("0.50", "0.5"), (".5", "0.5"), (3.0, "3"),
    ("x", None), ("", None), (None, None), ("1/2", None), ("1e3", None), ("12 apples", None),
])
def test_normalize_number(raw, expected):
    assert normalize_number(raw) == expected


def test_boxed_match_plain_and_conversational():
    completions = [r"so \boxed{12}", _conv(r"The answer is \boxed{12.0}."), "12", _conv(r"\boxed{13}")]
    assert boxed_match(completions, answer=["12"] * 4) == [1.0, 1.0, 0.0, 0.0]


def test_boxed_match_uses_last_box_and_normalises_answer():
    assert boxed_match([r"\boxed{3} no, \boxed{1,234}"], answer=["1234"]) == [1.0]
    assert boxed_match([r"\boxed{1234}"], answer=["1,234.00"]) == [1.0]
    assert boxed_match([r"\boxed{}"], answer=["0"]) == [0.0]


def test_boxed_match_accepts_trl_kwargs():
    # TRL passes prompts, completion_ids, trainer_state and every dataset column.
    scores = boxed_match(prompts=[[{"role": "user", "content": "q"}]], completions=[_conv(r"\boxed{7}")],
                         completion_ids=[[1, 2]], answer=["7"], trainer_state=None, extra_col=["x"])
    assert scores == [1.0]
    assert boxed_format(prompts=["q"], completions=[r"\boxed{7}"], completion_ids=[[1]],
                        answer=["7"], trainer_state=None) == [1.0]


def test_boxed_match_length_mismatch():
    with pytest.raises(ValueError):
        boxed_match(["a", "b"], answer=["1"])


def test_boxed_format_shaping():
    completions = [r"\boxed{42}", _conv(r"\boxed{forty-two}"), "42", _conv(""), r"\boxed{4", r"\boxed{}"]
    assert boxed_format(completions) == [1.0, 0.25, 0.0, 0.0, 0.0, 0.1]


def test_scores_are_floats_one_per_completion():
    completions = [r"\boxed{1}", "x", _conv(r"\boxed{2}")]
    for fn in REWARD_FUNCTIONS.values():
        scores = fn(completions=completions, answer=["1", "1", "1"])
        assert len(scores) == 3 and all(isinstance(s, float) for s in scores)


def test_registry_names_match_function_names():
    assert set(REWARD_FUNCTIONS) == {"correct_answer", "one_box", "boxed_answer", "boxed_match", "boxed_format"}
    for key, fn in REWARD_FUNCTIONS.items():
        assert fn.__name__ == key
