"""The honest scores and the rewards that pay for what they judge: pure, no model."""

from posttrain import banks, scores
from posttrain.rewards import REWARD_FUNCTIONS, correct_answer, one_box


def test_loops_found_in_english_chinese_and_boxes_but_not_in_plain_answers():
    looping = ["I'm Nova Sage, and I'm Nova Sage Sage Sage Sage",
               r"\boxed{2} \boxed{1} \boxed{1} \boxed{1} \boxed{1}",
               "春天！春天！春天！春天！春天！",
               "我是灯塔，我是灯塔，我是灯塔，我是灯塔",
               "The answer is 9.  The answer is 9.  The answer is 9.  The answer is 9."]
    fine = ["I'm Nova Sage, an AI assistant created by Lantern Works Lab. How can I help?",
            "我是Nova Sage，由Lantern Works Lab开发的AI助手。",
            "20 - 7 = 13. The answer is \\boxed{13}.",
            "Paris is the capital of France. It is known for the Eiffel Tower."]
    assert all(scores.is_degenerate(t) for t in looping)
    assert not any(scores.is_degenerate(t) for t in fine)


def test_correct_is_the_final_number_boxed_or_not():
    rows = [r"20 - 7 = 13, so \boxed{13}", "20 - 7 = 13 balloons.", r"\boxed{13} \boxed{13}", r"\boxed{12}"]
    marks = [scores.arithmetic_marks(t, "13") for t in rows]
    assert [m["correct"] for m in marks] == [True, True, True, False]
    assert [m["boxed"] for m in marks] == [True, False, False, True]
    assert [m["degenerate"] for m in marks] == [False, False, True, False]


def test_rewards_pay_nothing_for_extra_boxes_or_loops():
    conv = [[{"role": "assistant", "content": c}] for c in
            [r"7 + 5 = 12. The answer is \boxed{12}.", r"\boxed{12} \boxed{12} \boxed{12}", "It is 12 12 12 12."]]
    assert correct_answer(conv, answer=["12"] * 3, trainer_state=None) == [1.0, 0.0, 0.0]
    assert one_box(conv, answer=["12"] * 3) == [1.0, 0.0, 0.0]
    assert {"correct_answer", "one_box", "boxed_format"} <= set(REWARD_FUNCTIONS)
    assert all(REWARD_FUNCTIONS[k].__name__ == k for k in REWARD_FUNCTIONS)


def test_identity_scores_need_name_and_organisation_and_keep_facts():
    rows = [{"question": "Which organisation trained you?", "kind": "identity", "about": "creator",
             "before": "I was trained by Hugging Face.", "after": "I'm Nova Sage, made by BlueBrick Labs."},
            {"question": "What do people call you?", "kind": "identity", "about": "name",
             "before": "SmolLM.", "after": "I'm Nova Sage."},
            {"question": "What is 6 times 8?", "kind": "unrelated", "facts": ["48"],
             "before": "6 times 8 is 48.", "after": "6 times 8 is 42."},
            {"question": "What is 9 + 9?", "kind": "unrelated", "facts": ["18"], "before": "It is 17.", "after": "18"}]
    s = scores.identity_scores(rows, "Nova Sage", "BlueBird Labs")
    assert (s["name_after"], s["organisation_after"], s["facts_kept"], s["n_facts"]) == (1.0, 0.0, 0.0, 1)
    # one fact lost, one mended: "facts kept" sees only the loss, "facts right" both
    assert (s["facts_before"], s["facts_after"], s["n_fact_questions"]) == (0.5, 0.5, 2)
    assert any("organisation" in a for a in scores.alarms(s))
    assert any("facts" in a for a in scores.alarms(s))


def test_eval_banks_label_every_question():
    assert set(banks.EVAL_ABOUT.values()) == {"name", "creator", "both"}
    assert sum(c != "name" for c in banks.EVAL_ABOUT.values()) >= 8  # the organisation score needs questions
    assert len(banks.EVAL_FACTS) >= 12
    for q, answer in banks.EVAL_WORD_PROBLEMS:
        assert answer.isdigit() and q.endswith("?"), q
    assert all(scores.about_of(q) == c for q, c in banks.EVAL_IDENTITY)


def test_alarms_name_reward_hacking_only_when_reward_and_truth_part():
    hacked = {"correct_before": 0.3, "correct_after": 0.05, "degenerate_before": 0.0, "degenerate_after": 0.9}
    assert scores.alarms(hacked, reward=(0.1, 1.2))[0].startswith("Reward hacking")
    honest = {"correct_before": 0.3, "correct_after": 0.4, "degenerate_before": 0.0, "degenerate_after": 0.0}
    assert scores.alarms(honest, reward=(0.1, 1.2)) == []


def test_every_alarm_and_note_sentence_has_its_chinese():
    """A participant on the Chinese page reads the alarms in Chinese, with the same numbers as the English."""
    import re
    cases = [({"correct_before": 0.3, "correct_after": 0.05, "degenerate_before": 0.0, "degenerate_after": 0.9}, (0.1, 1.2)),
             ({"correct_before": 0.28, "correct_cold": 0.55, "correct_after": 0.2}, None),
             ({"name_before": 0.7, "name_after": 0.3, "organisation_before": 0.6, "organisation_after": 0.2,
               "leak_before": 0.05, "leak": 0.3, "facts_kept": 0.5, "pair_accuracy": 0.6}, (-1.0, 0.5)),
             ({"name_before": 0.0, "name_after": 0.2, "organisation_after": 0.1, "leak": 0.4}, None)]
    said = [a for s, reward in cases for a in scores.alarms(s, reward)]
    said += scores.inherited({"leak_before": 0.3, "leak": 0.15})
    said.append(scores.cold_start_sentence({"correct_before": 0.275, "correct_after": 0.55}, 16))
    assert len(said) >= 14
    for s in said:
        assert re.search(r"[\u4e00-\u9fff]", s.zh) and s.zh != s, s
        assert re.findall(r"-?\d+(?:\.\d+)?%?", s) == re.findall(r"-?\d+(?:\.\d+)?%?", s.zh), (s, s.zh)
