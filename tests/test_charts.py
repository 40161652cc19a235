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
    assert list(_trace(fig, "loss (total)").x) == [1, 2, 3]  # the summary row is not a point
    assert list(_trace(fig, "training pairs").y) == [0.0 + 0.2, 0.4, 0.2 * 3]
    assert list(_trace(fig, "rejected").y) == [-0.1, -0.2, -0.1 * 3]
    assert [a.text.split("<br>")[0] for a in fig.layout.annotations][:4] == [
        "DPO loss", "held-out answers and preference accuracy", "reward margin", "implicit rewards"]
    assert not any("waiting" in a.text for a in fig.layout.annotations)
    assert not any(t.name in ("preference term", "SFT term (× w)") for t in fig.data)  # no SFT term: the loss is one
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
    assert list(_trace(fig, "loss (total)").x) == [1, 2, 3]  # eval rows are no loss points
    alarm = [a for a in fig.layout.annotations if a.text.startswith("⚠")]
    assert len(alarm) == 1 and "More answers loop than at the start (0% → 50%)" in alarm[0].text
    assert alarm[0].font.color == charts.COLORS["alarm"]
    zh = charts.dpo_figure(DPO_ROWS + DPO_EVAL, lang="zh")
    assert [a.text for a in zh.layout.annotations if a.text.startswith("⚠")] == ["⚠ 陷入循环的回答比开始时多了（0% → 50%）。"]
    assert {"新名字（留出）", "机构（留出）", "循环（留出）"} <= {t.name for t in zh.data}
    assert "留出问题的回答与偏好准确率" in [a.text.split("<br>")[0] for a in zh.layout.annotations]


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
    assert any("KL is off" in a.text for a in fig.layout.annotations) and "xaxis5" not in fig.layout  # a line, no panel
    with_kl = charts.grpo_figure([{**r, "kl": 0.01 * r["step"]} for r in GRPO_ROWS])
    assert list(_trace(with_kl, "kl").y) == [0.01, 0.02] and _trace(with_kl, "kl").xaxis == "x5"
    assert band.mode == "lines"  # the band's edge has no markers


def test_a_cold_start_gets_its_own_panel_before_rl_and_the_rest_keep_their_places():
    cold = [{"step": 1, "cold_start/loss": 0.9, "elapsed_s": 1.0}, {"step": 2, "cold_start/loss": 0.2, "elapsed_s": 2.0}]
    fig = charts.grpo_figure(cold + GRPO_ROWS)
    loss = _trace(fig, "cold_start/loss")
    assert list(loss.y) == [0.9, 0.2] and loss.xaxis == "x"
    band = next(t for t in fig.data if t.fill == "toself")
    assert _trace(fig, "reward").xaxis == "x2" and band.xaxis == "x2"  # the reward's spread stays on the reward
    assert "reward" not in {t.name for t in fig.data if t.xaxis == "x"}  # RL's metrics stay off the SFT panel
    for lang, title in (("en", "cold start: SFT before RL"), ("zh", "冷启动：强化学习之前的 SFT")):
        assert any(a.text.startswith(title) for a in charts.grpo_figure(cold + GRPO_ROWS, lang).layout.annotations)
    assert not any(a.text.startswith("cold start") for a in charts.grpo_figure(GRPO_ROWS).layout.annotations)


def _panel_texts(fig, prefix):
    return [a.text for a in fig.layout.annotations if a.text.startswith(prefix)]


def _nothing_overlaps(fig, n_panels: int) -> None:
    """Under each panel there is room, in pixels, for its axis, its legend and its caption, and above the panel
    under it for that one's title and formula (a five-line caption ran into the next title)."""
    P = charts._Panels
    area = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    captions = [a for a in fig.layout.annotations if a.name == "caption"]
    for i in range(1, n_panels + 1):
        below = i + 2 if i + 2 <= n_panels else (n_panels if i < n_panels and n_panels % 2 and i >= n_panels - 2 else None)
        if below is None:
            continue
        suffix = lambda k: "" if k == 1 else str(k)  # noqa: E731
        x, y = fig.layout["xaxis" + suffix(i)].domain, fig.layout["yaxis" + suffix(i)].domain
        gap = (y[0] - fig.layout["yaxis" + suffix(below)].domain[1]) * area
        caption = next(a for a in captions if a.x == (x[0] + x[1]) / 2 and a.y == y[0])
        title = fig.layout.annotations[below - 1].text
        need = -caption.yshift + P.CAPTION_LINE * (caption.text.count("<br>") + 1) + P.TITLE + P.FORMULA * ("<br>" in title)
        assert gap >= need, (i, below, gap, need)


def test_every_panel_explains_itself_in_both_languages():
    """A title with the formula it plots, axis titles, a caption underneath and its own legend in its corner."""
    rows = DPO_ROWS + DPO_EVAL + FLIP
    for figure, n_panels in ((charts.dpo_figure, 5), (charts.sft_figure, 5), (charts.grpo_figure, 4)):
        for lang in ("en", "zh"):
            fig = figure(rows if figure is not charts.grpo_figure else GRPO_ROWS + GRPO_EVAL, lang)
            titles = [a for a in fig.layout.annotations if "<span style='font-size:12px" in a.text]
            assert len(titles) == n_panels, (figure.__name__, lang)
            for i in range(1, n_panels + 1):
                suffix = "" if i == 1 else str(i)
                assert fig.layout[f"xaxis{suffix}"].title.text == ("step" if lang == "en" else "步")
                assert fig.layout[f"yaxis{suffix}"].title.text
            captions = [a for a in fig.layout.annotations if a.name == "caption" and a.yanchor == "top"]
            assert len(captions) == n_panels, (figure.__name__, lang)
            for trace in fig.data:  # each trace's legend sits under its own panel, off the lines
                if trace.showlegend:
                    legend = fig.layout[trace.legend]
                    x, y = fig.layout["xaxis" + trace.xaxis[1:]].domain, fig.layout["yaxis" + trace.yaxis[1:]].domain
                    assert legend.x == (x[0] + x[1]) / 2 and legend.y < y[0] and legend.yanchor == "top"
            _nothing_overlaps(fig, n_panels)
    dpo = charts.dpo_figure(DPO_ROWS)
    assert "−log σ(β·[Δ(chosen) − Δ(rejected)])" in dpo.layout.annotations[0].text  # the formula it plots
    assert any("ln 2 ≈ 0.69" in a.text for a in dpo.layout.annotations)
    assert any("share of pairs with margin &gt; 0" in a.text or "share of pairs with margin > 0" in a.text
               for a in dpo.layout.annotations)
    assert any("chosen reward can fall while the margin grows" in a.text.replace("<br>", " ")
               for a in dpo.layout.annotations)
    grpo = charts.grpo_figure(GRPO_ROWS, "zh")
    assert any("优势 = (r − 组均值) / 组标准差" in a.text for a in grpo.layout.annotations)


def test_dpo_loss_is_drawn_with_its_preference_and_sft_terms():
    rows = [{"step": 1, "loss": 11.5, "loss/preference": 0.69, "loss/sft": 10.81},
            {"step": 2, "loss": 10.9, "loss/preference": 0.25, "loss/sft": 10.65}]
    fig = charts.dpo_figure(rows)
    assert list(_trace(fig, "preference term").y) == [0.69, 0.25]
    assert list(_trace(fig, "SFT term (× w)").y) == [10.81, 10.65]
    assert {_trace(fig, n).xaxis for n in ("loss (total)", "preference term", "SFT term (× w)")} == {"x"}


# The flip curve (posttrain.watch logs it every step): the new answer overtakes the model's own at step 2.
FLIP = [{"step": s, "probe/logp_new_name": new, "probe/logp_old_name": -1.0}
        for s, new in ((0, -3.0), (1, -1.5), (2, -0.5), (3, -0.2))]


def test_the_flip_curve_is_two_lines_that_cross_at_a_marked_step():
    assert charts.flip_step(FLIP) == 2
    assert charts.flip_step(FLIP[:2]) is None  # not crossed yet
    assert charts.flip_step([{**r, "probe/logp_new_name": 0.0} for r in FLIP]) is None  # started above: no flip
    for figure in (charts.dpo_figure, charts.sft_figure):
        fig = figure(DPO_ROWS + FLIP)
        new, old = _trace(fig, "answer with the new name"), _trace(fig, "its answer before training")
        assert list(new.x) == [0, 1, 2, 3] and list(old.y) == [-1.0] * 4 and new.xaxis == old.xaxis == "x5"
        assert fig.layout.xaxis5.domain[1] - fig.layout.xaxis5.domain[0] > 0.9  # the whole width
        assert "flips at step 2" in [a.text for a in fig.layout.annotations]
        assert any(s.x0 == 2 for s in fig.layout.shapes)
    assert not any(t.name == "answer with the new name" for t in charts.dpo_figure(DPO_ROWS).data)  # no curve: no panel
    assert "第 2 步翻转" in [a.text for a in charts.dpo_figure(DPO_ROWS + FLIP, "zh").layout.annotations]


def test_grpo_draws_the_share_of_groups_with_no_learning_signal():
    fig = charts.grpo_figure([{**r, "frac_reward_zero_std": 0.25 * r["step"]} for r in GRPO_ROWS])
    trace = _trace(fig, "frac_reward_zero_std")
    assert list(trace.y) == [0.25, 0.5] and trace.xaxis == "x4" and list(fig.layout.yaxis4.range) == charts.SHARE_RANGE


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


# Runs side by side: two DPO runs (β 0.1 and 0.5) and an SFT run, as their metrics.jsonl rows.
BETA_01 = DPO_ROWS + DPO_EVAL
BETA_05 = [{**r, "loss": r["loss"] / 2} if "loss" in r else r for r in DPO_ROWS] + DPO_EVAL
SFT_ROWS = [{"step": s, "loss": 2.0 - 0.5 * s, "mean_token_accuracy": 0.3 + 0.2 * s} for s in (1, 2)] + DPO_EVAL


def test_overlay_figure_draws_each_shared_metric_once_per_run_and_names_each_run_once():
    runs = [("β 0.1", BETA_01), ("β 0.5", BETA_05), ("sft", SFT_ROWS)]
    fig = charts.overlay_figure(runs)
    shared = ["loss", "eval/name", "eval/organisation", "eval/degenerate"]  # margins and token accuracy: not in all
    assert charts.shared_metrics(runs) == shared
    assert [a.text for a in fig.layout.annotations] == ["loss", "says the new name (held-out share)",
                                                        "names the organisation (held-out share)", "loops (held-out share)"]
    assert len(fig.data) == len(shared) * len(runs)
    for label, rows in runs:
        traces = [t for t in fig.data if t.name == label]
        assert len(traces) == len(shared) and len({t.line.color for t in traces}) == 1  # one colour per run
        assert sum(bool(t.showlegend) for t in traces) == 1 and {t.legendgroup for t in traces} == {label}
        assert list(traces[0].x) == charts._series(rows, "loss")[0] and list(traces[0].y) == charts._series(rows, "loss")[1]
    assert len({t.line.color for t in fig.data}) == len(runs)
    assert fig.layout.xaxis.title.text == "step" and fig.layout.yaxis.title.text == "loss"
    assert fig.layout.yaxis2.title.text == "eval/name" and list(fig.layout.yaxis2.range) == charts.SHARE_RANGE
    assert not any("in common" in a.text or "waiting" in a.text for a in fig.layout.annotations)
    two_dpo = charts.overlay_figure(runs[:2])  # two DPO runs share DPO's own metrics too; an odd last panel spans the row
    assert charts.shared_metrics(runs[:2]) == ["loss", "rewards/margins", "rewards/accuracies", "eval/name",
                                               "eval/organisation", "eval/degenerate"]
    assert {t.name for t in two_dpo.data} == {"β 0.1", "β 0.5"}
    zh = charts.overlay_figure(runs, "zh")
    assert "说出新名字（留出问题比例）" in [a.text for a in zh.layout.annotations] and zh.layout.xaxis.title.text == "步"
    from posttrain.ui.text import TEXT

    assert all(f"overlay.{k}" in TEXT for k in charts.OVERLAY_METRICS)  # every panel it may draw has a title


def test_overlay_figure_says_why_it_is_empty():
    grpo = [{"step": 1, "reward": 0.5}]
    sft_only_accuracy = [{"step": 1, "mean_token_accuracy": 0.5}]
    fig = charts.overlay_figure([("grpo", grpo), ("sft", sft_only_accuracy)])
    assert not fig.data and [a.text for a in fig.layout.annotations] == [
        "These runs log no metric in common: pick runs of the same method to overlay their curves."]
    assert any("waiting" in a.text for a in charts.overlay_figure([("a", []), ("b", [])]).layout.annotations)
    assert any("没有共同的指标" in a.text for a in charts.overlay_figure([("grpo", grpo), ("sft", sft_only_accuracy)],
                                                                    "zh").layout.annotations)


def test_every_figure_has_one_style_and_hover_on_every_series():
    from posttrain import methods

    figures = [methods.figure("dpo", DPO_ROWS + DPO_EVAL), methods.figure("grpo", GRPO_ROWS + GRPO_EVAL),
               methods.figure("sft", SFT_ROWS), methods.figure("dpo", []),
               charts.overlay_figure([("a", SFT_ROWS), ("b", SFT_ROWS)])]
    for fig in figures:
        layout = fig.layout.template.layout
        assert layout.hovermode == "x unified" and layout.font.size >= 13, layout
        assert layout.colorway == charts.RUN_COLORS
        lines = [tr for tr in fig.data if tr.fill is None]  # the GRPO band is the spread of a line, not a series
        assert all(tr.hoverinfo != "skip" for tr in lines)
    dpo = figures[0]
    chosen = [tr.line.color for tr in dpo.data if tr.name in ("chosen", "new name")]
    assert chosen and set(chosen) == {charts.COLORS["chosen"]}  # chosen and the new name share one colour


def test_reward_figure_draws_training_and_held_out_pairs_apart():
    rows = [{"step": 1, "loss": 0.69, "accuracy": 0.5, "margin": 0.0, "min_reward": -0.1, "mean_reward": 0.0,
             "max_reward": 0.1},
            {"step": 2, "loss": 0.4, "accuracy": 0.75, "margin": 1.0, "min_reward": -1.0, "mean_reward": 0.1,
             "max_reward": 1.2},
            {"step": 2, "eval_loss": 0.5, "eval_accuracy": 0.7, "eval_margin": 0.8}]
    fig = charts.reward_figure(rows)
    held = _trace(fig, "held-out pairs")  # the first panel's: the loss on pairs never trained on
    assert list(held.x) == [2] and held.line.dash == "dot"
    accuracy = [t for t in fig.data if t.xaxis == "x2"]
    assert [list(t.y) for t in accuracy] == [[0.5, 0.75], [0.7]] and list(fig.layout.yaxis2.range) == charts.SHARE_RANGE
    assert list(_trace(fig, "highest").y) == [0.1, 1.2]
    titles = " ".join(a.text for a in fig.layout.annotations).replace("<br>", " ")
    assert "Bradley-Terry" in titles and "0.5 is guessing" in titles
    assert "偏好对准确率" in " ".join(a.text for a in charts.reward_figure(rows, "zh").layout.annotations)
