"""Charts and tables are pure functions of the logs: the right traces, the right cells."""

from posttrain import charts

DPO_ROWS = [{"step": s, "loss": 0.7 - 0.1 * s, "rewards/margins": 0.2 * s, "rewards/accuracies": 0.5 + 0.1 * s,
             "rewards/chosen": 0.1 * s, "rewards/rejected": -0.1 * s, "elapsed_s": s} for s in (1, 2, 3)] + \
           [{"step": 3, "train_runtime": 10.0, "train_loss": 0.5}]  # TRL's summary row has no `loss`
GRPO_ROWS = [{"step": s, "reward": 0.1 * s, "reward_std": 0.05, "rewards/boxed_match/mean": 0.0,
              "rewards/boxed_format/mean": 0.2 * s, "completions/mean_length": 40 - s} for s in (1, 2)]


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_dpo_figure_draws_each_metric_against_its_step():
    fig = charts.dpo_figure(DPO_ROWS)
    assert list(_trace(fig, "loss").x) == [1, 2, 3]  # the summary row is not a point
    assert list(_trace(fig, "rewards/margins").y) == [0.0 + 0.2, 0.4, 0.2 * 3]
    assert list(_trace(fig, "rejected").y) == [-0.1, -0.2, -0.1 * 3]
    assert [a.text for a in fig.layout.annotations][:4] == [
        "loss", "held-out answers (share) and preference accuracy", "reward margin (chosen − rejected)",
        "chosen vs rejected reward"]
    assert not any("waiting" in a.text for a in fig.layout.annotations)
    assert not any("⚠" in a.text for a in fig.layout.annotations)  # no held-out scores, no alarm


# The probes' held-out scores (posttrain.evaluation logs them at each probe step, step 0 = the untrained model).
DPO_EVAL = [{"step": 0, "eval/name": 0.0, "eval/organisation": 0.0, "eval/degenerate": 0.0},
            {"step": 3, "eval/name": 0.8, "eval/organisation": 0.2, "eval/degenerate": 0.5}]
GRPO_EVAL = [{"step": 0, "eval/correct": 0.4, "eval/boxed": 0.1, "eval/degenerate": 0.0},
             {"step": 2, "eval/correct": 0.0, "eval/boxed": 0.9, "eval/degenerate": 0.9}]


def test_dpo_figure_draws_the_held_out_scores_beside_the_loss_and_their_alarm_in_red():
    fig = charts.dpo_figure(DPO_ROWS + DPO_EVAL)
    for name, ys in (("new name (held-out)", [0.0, 0.8]), ("organisation (held-out)", [0.0, 0.2]),
                     ("loops (held-out)", [0.0, 0.5])):
        trace = _trace(fig, name)
        assert list(trace.x) == [0, 3] and list(trace.y) == ys and trace.showlegend
        assert trace.xaxis == "x2" and trace.line.dash == "dash"  # the panel beside the loss, on the 0–1 scale
    assert _trace(fig, "preference accuracy").xaxis == "x2" and list(fig.layout.yaxis2.range) == charts.SHARE_RANGE
    assert list(_trace(fig, "loss").x) == [1, 2, 3]  # eval rows are no loss points
    alarm = [a for a in fig.layout.annotations if a.text.startswith("⚠")]
    assert len(alarm) == 1 and "more answers loop than at the start (0% → 50%)" in alarm[0].text
    assert alarm[0].font.color == charts.COLORS["alarm"]
    zh = charts.dpo_figure(DPO_ROWS + DPO_EVAL, lang="zh")
    assert {"新名字（留出）", "机构（留出）", "循环（留出）"} <= {t.name for t in zh.data}
    assert "留出问题的回答（比例）与偏好准确率" in [a.text for a in zh.layout.annotations]


def test_grpo_figure_puts_correct_answers_beside_the_rewards_and_flags_reward_hacking():
    fig = charts.grpo_figure(GRPO_ROWS + GRPO_EVAL)
    correct = _trace(fig, "correct (held-out)")
    assert list(correct.y) == [0.4, 0.0] and correct.xaxis == _trace(fig, "boxed_format").xaxis == "x2"
    assert list(_trace(fig, "loops (held-out)").y) == [0.0, 0.9]
    assert list(fig.layout.yaxis2.range) == charts.SHARE_RANGE  # rewards per function and shares: one scale
    alarm = [a.text for a in fig.layout.annotations if a.text.startswith("⚠")]
    assert len(alarm) == 1 and alarm[0].startswith("⚠ Reward hacking: the reward rose")
    assert "correct answers fell (40% → 0%)" in alarm[0].replace("<br>", " ")
    assert fig.layout.height > charts.grpo_figure(GRPO_ROWS).layout.height  # room above the panel titles
    assert "答对（留出）" in {t.name for t in charts.grpo_figure(GRPO_ROWS + GRPO_EVAL, "zh").data}
    healthy = [{**r, "eval/correct": 0.6} if "eval/correct" in r and r["step"] else r for r in GRPO_EVAL]
    healthy = [{**r, "eval/degenerate": 0.0} for r in healthy]
    assert not any(a.text.startswith("⚠") for a in charts.grpo_figure(GRPO_ROWS + healthy).layout.annotations)


def test_an_empty_log_says_it_is_waiting_in_both_languages():
    assert any("waiting" in a.text for a in charts.dpo_figure([]).layout.annotations)
    zh = charts.grpo_figure([], lang="zh")
    assert any("等待" in a.text for a in zh.layout.annotations)


def test_grpo_figure_has_a_spread_band_one_line_per_reward_function_and_no_kl_when_off():
    fig = charts.grpo_figure(GRPO_ROWS)
    band = fig.data[0]
    assert band.fill == "toself" and list(band.y) == [0.1 + 0.05, 0.2 + 0.05, 0.2 - 0.05, 0.1 - 0.05]
    assert {t.name for t in fig.data} >= {"reward", "boxed_match", "boxed_format", "completions/mean_length"}
    assert any("KL is off" in a.text for a in fig.layout.annotations)
    with_kl = charts.grpo_figure([{**r, "kl": 0.01 * r["step"]} for r in GRPO_ROWS])
    assert list(_trace(with_kl, "kl").y) == [0.01, 0.02]


def test_probe_table_is_step_by_question_and_stars_the_new_name():
    probes = [{"step": 0, "answers": [{"question": "Who are you?", "answer": "I'm SmolLM."},
                                      {"question": "你是谁？", "answer": "我是 SmolLM。"}]},
              {"step": 6, "answers": [{"question": "Who are you?", "answer": "I'm Nova Prime."},
                                      {"question": "你是谁？", "answer": "我是Nova Prime。"}]}]
    headers, rows = charts.probe_table(probes, "Nova Prime")
    assert headers == ["step", "Who are you?", "你是谁？"]
    assert rows[0] == [0, "I'm SmolLM.", "我是 SmolLM。"]
    assert rows[1][1].startswith("★") and rows[1][2].startswith("★")


def test_group_table_shows_the_latest_group_best_advantage_first():
    groups = [{"step": 1, "prompt": "old", "completions": ["a"], "rewards": {"f": [0.0]}, "advantages": [0.0]},
              {"step": 2, "prompt": "2+2?", "completions": ["four", "\\boxed{4}", "5"],
               "rewards": {"boxed_match": [0.0, 1.0, 0.0], "boxed_format": [0.0, 1.0, 0.1]},
               "advantages": [-0.5, 1.1, -0.6]}]
    title, headers, rows = charts.group_table(groups)
    assert title == "step 2 · 2+2?"
    assert headers == ["advantage", "boxed_match", "boxed_format", "completion"]
    assert [r[-1] for r in rows] == ["\\boxed{4}", "four", "5"]
    assert charts.group_table([])[2] == []
    # a wrong answer paid for its format: the inspector says it is wrong
    paid = [{"step": 3, "prompt": "2+2?", "completions": ["\\boxed{5}", "four"], "rewards": {"boxed_format": [1.0, 0.0]},
             "advantages": [0.71, -0.71], "correct": [False, True]}]
    _, headers, rows = charts.group_table(paid)
    assert headers[:2] == ["advantage", "correct"] and rows[0][:2] == [0.71, "✗"] and rows[1][:2] == [-0.71, "✓"]


def test_the_receipt_is_one_page_with_every_part_of_the_run():
    from posttrain.ui.receipt import receipt_html

    run = {"path": "runs/x", "config": {"method": "dpo", "model": "m", "identity": {"name": "Nova"},
                                        "settings": {"beta": 0.5}},
           "status": {"status": "interrupted", "notes": ["1 of 4 pairs are longer than the max length"],
                      "phase_times": {"train": 12.5}},
           "metrics": [{"step": 1, "loss": 0.69, "rewards/margins": 0.1}, {"step": 2, "loss": 0.5, "rewards/margins": 0.4}],
           "probes": [{"step": 0, "answers": [{"question": "Who are you?", "answer": "I'm Nova."}]}],
           "before_after": [{"question": "Who are you?", "kind": "identity", "before": "I am Smol.", "after": "I am Nova."}],
           "scores": {"name_before": 0.0, "name_after": 1.0, "organisation_before": 0.0, "organisation_after": 0.0,
                      "n_identity": 1, "n_maker": 1, "alarms": ["The organisation appears in only 0% of answers about the maker."]}}
    run["before_after"][0]["marks"] = {"name": True, "organisation": False, "degenerate": False, "leak": False,
                                       "fact": None, "fact_before": None}
    page = receipt_html(run)
    for part in ("DPO · interrupted · m", "Scores", "longer than the max length", "Training charts", "★ I&#x27;m Nova.",
                 "<mark>Nova.</mark>", "beta", "12.5", "Plotly.newPlot", "✓ name", "✗ no organisation",
                 "<td>new name</td><td>0%</td><td>100%</td><td>1</td>", "⚠ The organisation appears in only 0%"):
        assert part in page, part
    assert page.index("⚠ The organisation") < page.index("<td>new name</td>")  # the alarm comes first
    assert "Training charts" not in receipt_html({**run, "metrics": []})  # a run killed before step 1: no empty chart
    assert "训练图表" in receipt_html(run, "zh")
