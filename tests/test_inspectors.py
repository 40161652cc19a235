"""The inspectors under the charts are pure HTML from the logs: which tokens carry the preference, which GRPO
samples were pushed up and whether they were right."""

from posttrain.ui import inspectors

TOKENS = [{"step": 0, "prompt": "Who are you?", "chosen": [["I'm", 0.0], [" Nova", 0.0]],
           "rejected": [["I", 0.0], [" am", 0.0], [" Smol<LM>", 0.0]]},
          {"step": 4, "prompt": "Who are you?", "chosen": [["I'm", 0.05], [" Nova", 0.9], [",", -0.01]],
           "rejected": [["I", -0.02], [" am", -0.1], [" Smol<LM>", -0.7]]}]


def test_token_rewards_colour_the_latest_step_and_name_the_carriers_in_both_languages():
    page = inspectors.token_rewards_html(TOKENS)
    assert "step 4" in page and "step 0" not in page
    assert 'title="+0.900"' in page and "rgba(42,157,143,0.85)" in page  # the largest value: full green
    assert 'title="-0.700"' in page and "rgba(231,111,81,0.66)" in page  # red, scaled to the largest
    assert "made likelier most: “Nova” +0.90, “I&#x27;m” +0.05" in page
    assert "made less likely most: “Smol&lt;LM&gt;” -0.70" in page  # escaped
    assert "(Σ +0.94)" in page and "(Σ -0.82)" in page
    zh = inspectors.token_rewards_html(TOKENS, "zh")
    assert "第 4 步" in zh and "被提升最多" in zh
    assert inspectors.token_rewards_html([]) == ""


GROUP = {"step": 3, "prompt": "user: 2+2?", "completions": ["\\boxed{5}", "four", "\\boxed{4}"],
         "rewards": {"one_box": [1.0, 0.0, 1.0]}, "advantages": [0.58, -1.15, 0.58], "correct": [False, True, True]}


def test_the_group_inspector_draws_advantage_bars_and_flags_what_the_group_teaches():
    page = inspectors.group_html([GROUP])
    assert page.count("background:rgb(42,157,143)") == 2 and page.count("background:rgb(231,111,81)") == 1
    assert "+0.58" in page and "-1.15" in page and "✗" in page and "✓" in page
    assert "1 wrong answer(s) got a positive advantage" in page
    assert "No learning signal" not in page
    flat = {**GROUP, "rewards": {"one_box": [1.0, 1.0, 1.0]}, "advantages": [0.0, 0.0, 0.0]}
    assert inspectors.group_flags(flat) == {"no_spread": True, "pushed_wrong": 0}
    # weighted rewards that differ (1·1 vs 0.5·1) teach something although the unweighted sums tie
    weighted = {**GROUP, "rewards": {"a": [1.0, 0.0], "b": [0.0, 1.0]}, "advantages": [0.71, -0.71],
                "correct": [True, False]}
    assert inspectors.group_flags(weighted) == {"no_spread": False, "pushed_wrong": 0}
    assert "No learning signal" in inspectors.group_html([flat]) and "没有学习信号" in inspectors.group_html([flat], lang="zh")
    hacking = [{"step": 0, "eval/correct": 0.5}, {"step": 1, "reward": 0.1}, {"step": 5, "reward": 0.9},
               {"step": 5, "eval/correct": 0.0}]
    assert "⚠ Reward hacking" in inspectors.group_html([GROUP], hacking)  # the run's alarm, here too
    assert inspectors.group_html([]) == ""


def test_the_caption_says_how_many_tokens_are_shown():
    from posttrain.ui.text import TEXT
    from posttrain.watch import ANSWER_TOKENS

    assert all(f"{ANSWER_TOKENS}" in text for key in ("tokens.caption", "chart.flip.formula") for text in TEXT[key])
