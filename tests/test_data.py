"""Tests for posttrain.banks, posttrain.identity, posttrain.arithmetic and posttrain.data: shapes, determinism and every DataError."""

from __future__ import annotations

import json
import re
import string

import pandas as pd
import pytest

from posttrain import banks
from posttrain.bilingual import message_of
from posttrain.arithmetic import ARITHMETIC_SYSTEM_PROMPT, arithmetic_questions, build_arithmetic_problems
from posttrain.data import DataError, extract_gsm8k_answer, fit_pairs, fit_prompts, load_grpo_data, load_preference_data
from posttrain.identity import build_identity_pairs, language_of, mentions_name, select_identity_questions

NAME, ORG = "Nova", "Acme Labs"


# ---------------------------------------------------------------- banks


def _key(q: str) -> str:
    """Near-duplicate key: lower case, no punctuation (ASCII or CJK), no whitespace."""
    q = q.lower()
    q = "".join(ch for ch in q if ch not in string.punctuation and not ch.isspace())
    return re.sub(r"[，。？！、：；“”‘’《》（）]", "", q)


def _training_questions() -> list[str]:
    return ([q for q, _ in banks.IDENTITY_QUESTIONS_EN + banks.IDENTITY_QUESTIONS_ZH]
            + banks.UNRELATED_QUESTIONS_EN + banks.UNRELATED_QUESTIONS_ZH)


def test_bank_sizes_and_languages():
    assert len(banks.IDENTITY_QUESTIONS_EN) >= 45
    assert len(banks.IDENTITY_QUESTIONS_ZH) >= 30
    assert len(banks.UNRELATED_QUESTIONS_EN) >= 40
    assert len(banks.UNRELATED_QUESTIONS_ZH) >= 15
    assert len(banks.EVAL_IDENTITY_QUESTIONS) >= 16
    assert len(banks.EVAL_UNRELATED_QUESTIONS) >= 16
    for q, _ in banks.IDENTITY_QUESTIONS_EN:
        assert language_of(q) == "en", q
    for q, _ in banks.IDENTITY_QUESTIONS_ZH:
        assert language_of(q) == "zh", q
    assert all(language_of(q) == "en" for q in banks.UNRELATED_QUESTIONS_EN)
    assert all(language_of(q) == "zh" for q in banks.UNRELATED_QUESTIONS_ZH)
    for evals in (banks.EVAL_IDENTITY_QUESTIONS, banks.EVAL_UNRELATED_QUESTIONS):
        assert {language_of(q) for q in evals} == {"en", "zh"}


def test_identity_categories_valid_and_all_used():
    for lang_bank in (banks.IDENTITY_QUESTIONS_EN, banks.IDENTITY_QUESTIONS_ZH):
        cats = [c for _, c in lang_bank]
        assert set(cats) == {"name", "creator", "both"}


def test_no_duplicates_within_training_banks():
    keys = [_key(q) for q in _training_questions()]
    assert len(keys) == len(set(keys))


def test_eval_banks_disjoint_from_training():
    train = {_key(q) for q in _training_questions()}
    train_plain = {" ".join(q.lower().split()) for q in _training_questions()}
    for q in banks.EVAL_IDENTITY_QUESTIONS + banks.EVAL_UNRELATED_QUESTIONS:
        assert " ".join(q.lower().split()) not in train_plain, q
        assert _key(q) not in train, q
    evals = banks.EVAL_IDENTITY_QUESTIONS + banks.EVAL_UNRELATED_QUESTIONS
    assert len({_key(q) for q in evals}) == len(evals)


def test_probes():
    assert banks.PROBE_QUESTIONS[:2] == ["Who are you?", "你是谁？"]
    assert len(banks.PROBE_QUESTIONS) == 3


def test_templates_mention_identity_early_and_are_short():
    for lang, by_cat in banks.CHOSEN_TEMPLATES.items():
        assert set(by_cat) == {"name", "creator", "both"}
        for cat, templates in by_cat.items():
            assert len(templates) >= 1
            for t in templates:
                text = t.format(name=NAME, org=ORG)
                # one consistent opening is what a small model learns in a few steps
                assert text.startswith((f"I'm {NAME}", f"我是{NAME}")), t
                first = re.split(r"[.!?。！？]", text)[0]
                if cat in ("name", "both"):
                    assert NAME in first, t
                if cat in ("creator", "both"):
                    assert ORG in text and NAME in text, t
                if cat == "creator":
                    assert ORG in first or NAME in first, t
                early = 40 if lang == "en" else 15  # characters: "early in the first sentence"
                assert min(i for i in (text.find(NAME), text.find(ORG)) if i >= 0) < early, t
                if lang == "en":
                    assert len(text.split()) < 30, t
                else:
                    assert len(t) < 60, t
    for lang in ("en", "zh"):
        assert len(banks.LEAK_TEMPLATES[lang]) >= 6
        for t in banks.LEAK_TEMPLATES[lang]:
            assert NAME in t.format(name=NAME, org=ORG)


# ---------------------------------------------------------------- identity pairs


def test_select_identity_questions_deterministic_mixed_and_unique():
    ident, ctrl = select_identity_questions(48, 48, seed=3)
    assert (ident, ctrl) == select_identity_questions(48, 48, seed=3)
    assert (ident, ctrl) != select_identity_questions(48, 48, seed=4)
    assert len(ident) == 48 and len(ctrl) == 48
    assert len(set(ident)) == 48 and len(set(ctrl)) == 48
    zh = sum(language_of(q) == "zh" for q in ident)
    assert zh >= 24 and zh < 48
    assert any(language_of(q) == "zh" for q in ctrl) and any(language_of(q) == "en" for q in ctrl)
    id_bank = {q for q, _ in banks.IDENTITY_QUESTIONS_EN + banks.IDENTITY_QUESTIONS_ZH}
    assert set(ident) <= id_bank
    assert set(ctrl) <= set(banks.UNRELATED_QUESTIONS_EN + banks.UNRELATED_QUESTIONS_ZH)


def test_select_identity_questions_caps_at_bank_size():
    ident, ctrl = select_identity_questions(10_000, 10_000)
    assert len(ident) == len(banks.IDENTITY_QUESTIONS_EN) + len(banks.IDENTITY_QUESTIONS_ZH)
    assert len(ctrl) == len(banks.UNRELATED_QUESTIONS_EN) + len(banks.UNRELATED_QUESTIONS_ZH)
    assert len(set(ident)) == len(ident)


def _own_answers(questions):
    return {q: f"I am SmolLM, an AI assistant by Hugging Face. ({i})" for i, q in enumerate(questions)}


def test_build_identity_pairs_shapes_and_sides():
    ident, ctrl = ["Who are you?", "谁创造了你？", "A question not in any bank?"], [
        "What is 7 + 5?", "法国的首都是哪里？"]
    own = _own_answers(ident + ctrl)
    rows = build_identity_pairs(NAME, ORG, own, ident, ctrl, seed=0)
    assert [r["kind"] for r in rows] == ["identity", "control", "identity", "control", "identity"]
    for r in rows:
        assert set(r) == {"prompt", "chosen", "rejected", "kind"}
        assert r["prompt"][0]["role"] == "user" and len(r["prompt"]) == 1
        assert r["chosen"][0]["role"] == "assistant" and r["rejected"][0]["role"] == "assistant"
        q = r["prompt"][0]["content"]
        chosen, rejected = r["chosen"][0]["content"], r["rejected"][0]["content"]
        if r["kind"] == "identity":
            assert mentions_name(chosen, NAME) and not mentions_name(rejected, NAME)
            assert rejected == own[q]
            assert language_of(chosen) == language_of(q)
        else:
            assert mentions_name(rejected, NAME) and not mentions_name(chosen, NAME)
            assert chosen == own[q]
    creator_row = next(r for r in rows if r["prompt"][0]["content"] == "谁创造了你？")
    assert ORG in creator_row["chosen"][0]["content"]


def test_build_identity_pairs_deterministic_per_seed():
    ident, ctrl = select_identity_questions(30, 30, seed=1)
    own = _own_answers(ident + ctrl)
    a = build_identity_pairs(NAME, ORG, own, ident, ctrl, seed=5)
    assert a == build_identity_pairs(NAME, ORG, own, ident, ctrl, seed=5)
    assert a != build_identity_pairs(NAME, ORG, own, ident, ctrl, seed=6)


def test_build_identity_pairs_skips():
    ident = ["Who are you?", "What is your name?", "你是谁？"]
    ctrl = ["What is 7 + 5?", "Who wrote Hamlet?"]
    own = {
        "Who are you?": "I'm nova, nice to meet you.",  # already states the name
        "What is your name?": "   ",  # blank
        "你是谁？": "我是SmolLM。",
        "What is 7 + 5?": "",  # empty
        # "Who wrote Hamlet?" missing entirely
    }
    rows = build_identity_pairs(NAME, ORG, own, ident, ctrl)
    assert [r["prompt"][0]["content"] for r in rows] == ["你是谁？"]


@pytest.mark.parametrize("name,org,msg", [
    ("", ORG, "the name is empty"),
    ("   ", ORG, "the name is empty"),
    (NAME, "", "the organisation is empty"),
    ("x" * 61, ORG, "at most 60 characters"),
    (NAME, "y" * 61, "at most 60 characters"),
])
def test_build_identity_pairs_validates_name_and_org(name, org, msg):
    with pytest.raises(DataError, match=msg):
        build_identity_pairs(name, org, {}, [], [])


def test_mentions_name_variants():
    assert mentions_name("Hello, I am Deep Qwen!", "DeepQwen")
    assert mentions_name("DEEP-QWEN at your service", "deep qwen")
    assert not mentions_name("I am Qwen", "Deep Qwen")
    assert not mentions_name("Novas are stars", "Nova")
    assert mentions_name("我是Nova。", "Nova")
    assert mentions_name("你好，我是小智", "小智")
    assert not mentions_name("anything", "  ")


# ---------------------------------------------------------------- preference loading

PAIR = {"prompt": "Hi?", "chosen": "Hello!", "rejected": "Go away."}


def _jsonl(tmp_path, rows, name="d.jsonl"):
    p = tmp_path / name
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return p


def test_load_jsonl_plain_strings_normalised(tmp_path):
    p = _jsonl(tmp_path, [dict(PAIR, extra=1), PAIR])
    rows = load_preference_data(p)
    assert rows[0] == {
        "prompt": [{"role": "user", "content": "Hi?"}],
        "chosen": [{"role": "assistant", "content": "Hello!"}],
        "rejected": [{"role": "assistant", "content": "Go away."}],
    }
    assert len(rows) == 2
    assert len(load_preference_data(str(p), max_rows=1)) == 1


def test_load_json_conversational_kept(tmp_path):
    row = {"prompt": [{"role": "system", "content": "Be nice."}, {"role": "user", "content": "Hi"}],
           "chosen": [{"role": "assistant", "content": "Hello"}],
           "rejected": [{"role": "assistant", "content": "No"}]}
    p = tmp_path / "d.json"
    p.write_text(json.dumps([row]), encoding="utf-8")
    assert load_preference_data(p) == [row]


def test_load_csv_with_json_list_cells(tmp_path):
    prompt = json.dumps([{"role": "user", "content": "你好"}], ensure_ascii=False)
    df = pd.DataFrame([{"prompt": prompt, "chosen": "[INST] literal text", "rejected": "[1, 2]"}])
    p = tmp_path / "d.csv"
    df.to_csv(p, index=False, encoding="utf-8")
    rows = load_preference_data(p)
    assert rows[0]["prompt"] == [{"role": "user", "content": "你好"}]
    assert rows[0]["chosen"] == [{"role": "assistant", "content": "[INST] literal text"}]
    assert rows[0]["rejected"] == [{"role": "assistant", "content": "[1, 2]"}]


def test_load_parquet(tmp_path):
    p = tmp_path / "d.parquet"
    pd.DataFrame([PAIR, PAIR]).to_parquet(p)
    rows = load_preference_data(p)
    assert len(rows) == 2 and rows[1]["chosen"] == [{"role": "assistant", "content": "Hello!"}]


def _error(tmp_path, name, content: bytes | str, loader=load_preference_data) -> str:
    p = tmp_path / name
    if isinstance(content, str):
        p.write_text(content, encoding="utf-8")
    else:
        p.write_bytes(content)
    with pytest.raises(DataError) as info:
        loader(p)
    return str(info.value)


def test_error_file_not_found(tmp_path):
    with pytest.raises(DataError, match="was not found"):
        load_preference_data(tmp_path / "missing.jsonl")


def test_error_unsupported_extension(tmp_path):
    msg = _error(tmp_path, "d.txt", "hello")
    assert "unsupported file type '.txt'" in msg and ".jsonl, .json, .csv or .parquet" in msg


def test_error_empty_file(tmp_path):
    assert "is empty" in _error(tmp_path, "d.jsonl", "")
    assert "is empty" in _error(tmp_path, "d.csv", "  \n")


def test_error_no_rows(tmp_path):
    assert "has no rows" in _error(tmp_path, "d.csv", "prompt,chosen,rejected\n")
    assert "has no rows" in _error(tmp_path, "d.json", "[]")


def test_error_not_utf8(tmp_path):
    msg = _error(tmp_path, "d.csv", "prompt,chosen,rejected\ncafé,ü,ö\n".encode("latin-1"))
    assert msg == "the file is not UTF-8 text; save it as UTF-8 and upload again."


def test_error_bad_json_line(tmp_path):
    text = json.dumps(PAIR) + "\n" + json.dumps(PAIR) + "\n{oops\n"
    assert "line 3 is not valid JSON" in _error(tmp_path, "d.jsonl", text)


def test_error_bad_json_file(tmp_path):
    msg = _error(tmp_path, "d.json", json.dumps(PAIR) + "\n" + json.dumps(PAIR))
    assert "not valid JSON" in msg and "rename it to .jsonl" in msg


def test_error_missing_columns(tmp_path):
    p = _jsonl(tmp_path, [{"question": "q", "answer": "a"}])
    with pytest.raises(DataError) as info:
        load_preference_data(p)
    assert "needs columns prompt, chosen, rejected; found: question, answer" in str(info.value)


def test_error_empty_field(tmp_path):
    p = _jsonl(tmp_path, [PAIR, dict(PAIR, chosen="  ")])
    with pytest.raises(DataError, match="row 2 has an empty 'chosen' field"):
        load_preference_data(p)
    p = tmp_path / "d.csv"
    p.write_text("prompt,chosen,rejected\nHi,Hello,Bye\nHi,Hello,\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2 has an empty 'rejected' field"):
        load_preference_data(p)


def test_error_bad_message_list(tmp_path):
    p = _jsonl(tmp_path, [dict(PAIR, prompt=[{"text": "hi"}])])
    with pytest.raises(DataError, match="row 1, column 'prompt' must be text or a list"):
        load_preference_data(p)


def test_hub_error_wrapped(monkeypatch):
    datasets = pytest.importorskip("datasets")

    def boom(*args, **kwargs):
        raise FileNotFoundError("Dataset 'nobody/nothing' doesn't exist on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", boom)
    with pytest.raises(DataError) as info:
        load_preference_data("nobody/nothing")
    msg = str(info.value)
    assert msg.startswith("could not load dataset 'nobody/nothing' from the Hugging Face Hub (")
    assert msg.endswith("check the id, or upload a file instead.")


def test_offline_a_hub_dataset_is_refused_at_once(monkeypatch):
    from posttrain import network
    monkeypatch.setattr(network, "hub_unreachable", lambda timeout=3.0: True)
    with pytest.raises(DataError) as info:
        load_preference_data("nobody/nothing")
    said = message_of(info.value)
    assert str(said) == ("this machine cannot reach the Hugging Face Hub (huggingface.co), so the dataset "
                         "'nobody/nothing' cannot be loaded; upload a file instead.")
    assert said.zh == "这台机器连不上 Hugging Face Hub（huggingface.co），无法加载数据集 'nobody/nothing'；请改为上传文件。"


def test_hub_rows_normalised(monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets, "load_dataset",
                        lambda *a, **k: datasets.Dataset.from_list([PAIR, PAIR, PAIR]))
    rows = load_preference_data("someone/prefs", max_rows=2)
    assert len(rows) == 2 and rows[0]["prompt"] == [{"role": "user", "content": "Hi?"}]


# ---------------------------------------------------------------- arithmetic / GRPO


def test_arithmetic_problems_shape_and_determinism():
    rows = build_arithmetic_problems(64, seed=0)
    assert rows == build_arithmetic_problems(64, seed=0)
    assert rows != build_arithmetic_problems(64, seed=1)
    questions = arithmetic_questions(rows)
    assert len(rows) == 64 and len(set(questions)) == 64
    for r in rows:
        assert set(r) == {"prompt", "answer"}
        assert r["prompt"][0] == {"role": "system", "content": ARITHMETIC_SYSTEM_PROMPT}
        assert r["prompt"][1]["role"] == "user"
        assert r["answer"].isdigit() and int(r["answer"]) >= 0
        numbers = [int(x) for x in re.findall(r"\d+", r["prompt"][1]["content"])]
        assert numbers and all(2 <= x <= 20 for x in numbers)


def test_arithmetic_format_hints_take_turns_on_the_hinted_share():
    from posttrain.arithmetic import FORMAT_HINTS

    rows = build_arithmetic_problems(64, seed=0, format_hint=0.75)
    used = [next((h for h in FORMAT_HINTS if r["prompt"][1]["content"].endswith(h)), None) for r in rows]
    hinted = [h for h in used if h]
    assert 0.6 * 64 <= len(hinted) <= 0.9 * 64
    assert hinted == [FORMAT_HINTS[i % 2] for i in range(len(hinted))]
    assert not any(h in r["prompt"][1]["content"] for r in build_arithmetic_problems(16) for h in FORMAT_HINTS)


def test_worked_solutions_show_right_working_and_box_only_when_the_system_prompt_asks():
    """The cold start's examples (posttrain.arithmetic.build_worked_solutions): each step's arithmetic is right and
    ends at the problem's answer, boxed under the course's system prompt and bare when asked plainly; a held-out
    question is never drawn; every kind of template appears."""
    from posttrain.arithmetic import build_worked_solutions
    from posttrain.scores import box_count, final_number

    held = frozenset(arithmetic_questions(build_arithmetic_problems(16, seed=10_000)))
    rows = build_worked_solutions(64, seed=20_000, plain=0.25, avoid=held)
    assert rows == build_worked_solutions(64, seed=20_000, plain=0.25, avoid=held) and len(rows) == 64
    asked = [r["prompt"][-1]["content"] for r in rows]
    assert len(set(asked)) == 64 and not held & set(asked)
    assert sum(len(r["prompt"]) == 1 for r in rows) == 16  # a quarter without the system prompt
    kinds = set()
    for r in rows:
        text, given = r["completion"][0]["content"], [int(x) for x in re.findall(r"\d+", r["prompt"][-1]["content"])]
        steps = [(int(a), op, int(b), int(c)) for a, op, b, c in re.findall(r"(\d+) ([-+×÷]) (\d+) = (\d+)", text)]
        assert 1 <= len(steps) <= 2, text
        for i, (a, op, b, result) in enumerate(steps):
            assert {"+": a + b, "-": a - b, "×": a * b, "÷": a // b}[op] == result and (op != "÷" or a % b == 0), text
            assert (a if i == 0 else steps[0][3]) == a and b in given and (i or a in given), (text, given)
            kinds.add(op)
        assert final_number(text) == str(steps[-1][3]), text  # the answer is where the working ends
        boxed = len(r["prompt"]) == 2
        assert r["prompt"][0]["role"] == ("system" if boxed else "user")
        assert box_count(text) == (1 if boxed else 0), text
    assert kinds == {"+", "-", "×", "÷"}


def test_arithmetic_answers_are_correct():
    # Re-derive each answer from the question's numbers via the template's operation.
    ops = {t.format(name="N", a="{a}", b="{b}", c="{c}"): op for op, t in banks.ARITHMETIC_TEMPLATES}
    calc = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "div": lambda a, b: a // b, "add_sub": lambda a, b, c: a + b - c,
            "mul_add": lambda a, b, c: a * b + c, "mul_sub": lambda a, b, c: a * b - c}
    for r in build_arithmetic_problems(200, seed=7):
        q = r["prompt"][1]["content"]
        numbers = [int(x) for x in re.findall(r"\d+", q)]
        for name in banks.PERSON_NAMES:
            q = q.replace(name, "N")
        shape = re.sub(r"\d+", "#", q)
        op = next(op for t, op in ops.items() if re.sub(r"\{[abc]\}", "#", t) == shape)
        if op == "div":
            assert numbers[0] % numbers[1] == 0
        assert str(calc[op](*numbers)) == r["answer"], q


def test_system_prompt_exact():
    assert ARITHMETIC_SYSTEM_PROMPT.endswith("inside \\boxed{}.")
    assert "\\boxed{}" in ARITHMETIC_SYSTEM_PROMPT and "\\\\boxed" not in ARITHMETIC_SYSTEM_PROMPT


def test_extract_gsm8k_answer():
    assert extract_gsm8k_answer("blah <<2*3=6>>6\n#### 1,234") == "1234"
    assert extract_gsm8k_answer("#### -5") == "-5"
    assert extract_gsm8k_answer("no marker 42") is None


def test_load_grpo_gsm8k_and_prompt_formats(tmp_path):
    p = _jsonl(tmp_path, [{"question": "How many?", "answer": "Work.\n#### 1,234"}], "g.jsonl")
    rows = load_grpo_data(p)
    assert rows == [{"prompt": [{"role": "system", "content": ARITHMETIC_SYSTEM_PROMPT},
                                {"role": "user", "content": "How many?"}], "answer": "1234"}]
    p = tmp_path / "g.csv"
    p.write_text("prompt,answer,notes\nWhat is 2+2?,4.0,x\nAnd 3+3?,\"1,000\",y\n", encoding="utf-8")
    rows = load_grpo_data(p)
    assert [r["answer"] for r in rows] == ["4", "1000"]
    assert rows[0]["prompt"][1] == {"role": "user", "content": "What is 2+2?"}
    assert arithmetic_questions(rows) == ["What is 2+2?", "And 3+3?"]
    p = tmp_path / "g.parquet"
    pd.DataFrame([{"question": "Q?", "answer": 7}]).to_parquet(p)
    assert load_grpo_data(p)[0]["answer"] == "7"


def test_load_grpo_errors(tmp_path):
    rows = [{"question": f"q{i}", "answer": "#### 1"} for i in range(3)] + [{"question": "q4"}]
    p = _jsonl(tmp_path, rows, "g.jsonl")
    with pytest.raises(DataError) as info:
        load_grpo_data(p)
    assert str(info.value) == (
        "row 4 has no answer; a GRPO dataset needs an answer column with the final number "
        "(GSM8K style '#### 42' is accepted).")
    p = _jsonl(tmp_path, [{"prompt": "q", "chosen": "a"}], "h.jsonl")
    with pytest.raises(DataError, match="needs columns question and answer .*found: prompt, chosen"):
        load_grpo_data(p)
    p = _jsonl(tmp_path, [{"prompt": "q", "answer": "forty-two"}], "i.jsonl")
    with pytest.raises(DataError, match="row 1 has answer 'forty-two', which is not a number"):
        load_grpo_data(p)
    assert "not UTF-8" in _error(tmp_path, "j.csv", "question,answer\nré,1\n".encode("latin-1"),
                                 loader=load_grpo_data)


def test_fit_pairs_cuts_long_pairs_and_leaves_out_prompts_that_fill_the_length():
    rows = [{"id": i} for i in range(4)]
    kept, note = fit_pairs(rows, [(10, 5, 5), (10, 90, 5), (70, 5, 5), (61, 5, 5)], max_length=64)
    assert [r["id"] for r in kept] == [0, 1]
    assert note == ("1 of 4 pairs are much longer than the max length (64 tokens) and are cut to fit (their ends are "
                    "dropped); 2 pairs whose prompt alone fills it are left out; raise max length to keep them")
    assert fit_pairs(rows[:1], [(10, 5, 5)], 64) == (rows[:1], None)
    with pytest.raises(DataError, match="every prompt is longer than the max length"):
        fit_pairs(rows[:1], [(64, 5, 5)], 64)


def test_fit_prompts_cuts_the_start_of_the_longest_message():
    words = lambda text: len(text.split())  # noqa: E731 - a word is a token here
    def cut(text, n):
        return " ".join(text.split()[-n:])

    long = {"prompt": [{"role": "system", "content": "Be brief."},
                       {"role": "user", "content": "blah " * 600 + "What is 2+2?"}], "answer": "4"}
    short = {"prompt": [{"role": "user", "content": "What is 3+3?"}], "answer": "6"}
    rows, note = fit_prompts([short, long], [3, 605], words, cut, limit=512)
    assert rows[0] is short and note == "1 of 2 prompts are longer than 512 tokens; their beginnings are cut"
    assert rows[1]["prompt"][0]["content"] == "Be brief." and rows[1]["answer"] == "4"
    assert rows[1]["prompt"][1]["content"].endswith("What is 2+2?") and words(rows[1]["prompt"][1]["content"]) == 510
    assert long["prompt"][1]["content"].startswith("blah")  # the input rows are not changed


def test_hinted_problems_first_make_a_curriculum():
    from posttrain.arithmetic import FORMAT_HINTS, build_arithmetic_problems

    rows = build_arithmetic_problems(32, seed=1, format_hint=0.25, hinted_first=True)
    hinted = [r["prompt"][-1]["content"].endswith(FORMAT_HINTS) for r in rows]
    assert hinted == [True] * sum(hinted) + [False] * (len(rows) - sum(hinted)) and 4 <= sum(hinted) <= 12
