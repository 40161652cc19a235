"""Editable tables round-trip training rows, and a bad edit gets a sentence naming the row."""

import pandas as pd
import pytest

from posttrain import tables
from posttrain.data import DataError
from posttrain.identity import build_identity_pairs
from posttrain.arithmetic import build_arithmetic_problems


def test_identity_pairs_round_trip_through_the_table():
    rows = build_identity_pairs("Nova", "Acme", {"Who are you?": "I am SmolLM.", "What is 2+2?": "4."},
                                ["Who are you?"], ["What is 2+2?"])
    table = tables.dpo_table(rows)
    assert table[0] == ["Who are you?", rows[0]["chosen"][0]["content"], "I am SmolLM.", "identity"]
    assert tables.dpo_rows(pd.DataFrame(table, columns=tables.DPO_HEADERS)) == rows


def test_a_multi_turn_prompt_survives_the_round_trip():
    row = {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
           "chosen": [{"role": "assistant", "content": "Hello."}],
           "rejected": [{"role": "assistant", "content": "Go away."}], "kind": "pair"}
    assert tables.dpo_rows(tables.dpo_table([row])) == [row]


def test_edits_are_checked_row_by_row():
    with pytest.raises(DataError, match="row 2 has an empty chosen"):
        tables.dpo_rows([["q", "a", "b", ""], ["q2", " ", "b", ""]])
    with pytest.raises(DataError, match="same chosen and rejected"):
        tables.dpo_rows([["q", "same", "same", ""]])
    with pytest.raises(DataError, match="no pairs"):
        tables.dpo_rows([["", "", "", ""]])  # blank rows are dropped, then nothing is left
    assert tables.dpo_rows([["q", "a", "b", None]])[0]["kind"] == "pair"


def test_problems_round_trip_and_answers_must_be_numbers():
    rows = build_arithmetic_problems(5, seed=1)
    system, table = tables.grpo_table(rows)
    assert system.startswith("You are a helpful assistant") and len(table) == 5
    assert tables.grpo_rows(system, table) == rows
    with pytest.raises(DataError, match="row 1 has answer 'seven'"):
        tables.grpo_rows(system, [["What is 3+4?", "seven"]])
    assert tables.grpo_rows("", [["What is 3+4?", "7.0"]]) == [
        {"prompt": [{"role": "user", "content": "What is 3+4?"}], "answer": "7"}]


def test_sft_rows_share_the_pairs_table_and_only_dpo_needs_a_rejected_answer():
    from posttrain import methods
    from posttrain.config import SettingsError

    sft_row = {"prompt": [{"role": "user", "content": "Who are you?"}],
               "completion": [{"role": "assistant", "content": "I'm Nova."}]}
    table = tables.dpo_table([sft_row])
    assert table == [["Who are you?", "I'm Nova.", "", ""]]
    rows = tables.dpo_rows(table)
    assert "rejected" not in rows[0]
    spec = methods.get("sft").spec(None, rows=methods.get("sft").from_pairs(rows))
    assert spec.rows == [{**sft_row, "kind": "pair"}]
    with pytest.raises(SettingsError, match="row 1 needs prompt, chosen, rejected for DPO"):
        methods.get("dpo").spec(None, rows=rows)
