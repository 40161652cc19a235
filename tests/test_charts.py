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
        "loss", "reward margin (chosen − rejected)", "preference accuracy", "chosen vs rejected reward"]
    assert not any("waiting" in a.text for a in fig.layout.annotations)


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


def test_the_receipt_is_one_page_with_every_part_of_the_run():
    from posttrain.ui.receipt import receipt_html

    run = {"path": "runs/x", "config": {"method": "dpo", "model": "m", "identity": {"name": "Nova"},
                                        "settings": {"beta": 0.5}},
           "status": {"status": "interrupted", "notes": ["1 of 4 pairs are longer than the max length"],
                      "phase_times": {"train": 12.5}},
           "metrics": [{"step": 1, "loss": 0.69, "rewards/margins": 0.1}, {"step": 2, "loss": 0.5, "rewards/margins": 0.4}],
           "probes": [{"step": 0, "answers": [{"question": "Who are you?", "answer": "I'm Nova."}]}],
           "before_after": [{"question": "Who are you?", "kind": "identity", "before": "I am Smol.", "after": "I am Nova."}],
           "scores": {"success": 1.0}}
    page = receipt_html(run)
    for part in ("DPO · interrupted · m", "Scores", "longer than the max length", "Training charts", "★ I&#x27;m Nova.",
                 "<mark>Nova.</mark>", "beta", "12.5", "Plotly.newPlot"):
        assert part in page, part
    assert "Training charts" not in receipt_html({**run, "metrics": []})  # a run killed before step 1: no empty chart
    assert "训练图表" in receipt_html(run, "zh")
