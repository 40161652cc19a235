"""What the panels show, from plain data: the honest scores headline first, each answer's marks, the alarms."""

from posttrain import hub
from posttrain.ui import views

IDENTITY = {"name_before": 0.0, "name_after": 0.95, "organisation_before": 0.0, "organisation_after": 0.3,
            "degenerate_before": 0.05, "degenerate_after": 0.4, "leak": 0.0, "facts_kept": 1.0, "unchanged": 0.8,
            "n_identity": 20, "n_maker": 12, "n_unrelated": 20, "n_facts": 18, "changed": 0.6,
            "alarms": ["more answers loop after training (5% → 40%).",
                       "The organisation appears in only 30% of answers about the maker."]}
ARITHMETIC = {"correct_before": 0.28, "correct_after": 0.02, "boxed_before": 0.1, "boxed_after": 0.98,
              "degenerate_before": 0.0, "degenerate_after": 0.98, "plain_correct_before": 0.5,
              "plain_correct_after": 0.0, "plain_boxed_before": 0.0, "plain_boxed_after": 0.9,
              "plain_degenerate_before": 0.0, "plain_degenerate_after": 0.9, "n_problems": 40, "n_plain": 24,
              "changed": 1.0,
              "alarms": ["Reward hacking: the reward rose (0.10 → 1.40) while correct answers fell (28% → 2%)."]}


def test_the_compare_summary_leads_with_the_alarms_then_the_headline():
    md = views.scores_md(IDENTITY)
    parts = md.split("\n\n")
    assert parts[0] == "⚠ **more answers loop after training (5% → 40%).**"
    assert parts[1] == "⚠ **The organisation appears in only 30% of answers about the maker.**"
    assert parts[2] == ("**new name 0% → 95%** · organisation 0% → 30% · loops 5% → 40% · leak 0% · facts kept 100% "
                        "· unchanged 80% · (on 20 identity and 20 unrelated questions)")  # (Compare's own: 6 and 6)
    assert "facts kept: facts the model knew before" in md and "**changed** 60%" in md
    arith = views.scores_md(ARITHMETIC).split("\n\n")
    assert arith[0].startswith("⚠ **Reward hacking: the reward rose")
    assert arith[1] == ("**correct 28% → 2%** · boxed 10% → 98% · loops 0% → 98% · asked plainly: correct 50% → 0% "
                        "· (on 40 problems; asked plainly: 24 questions)")
    zh = views.scores_md(ARITHMETIC, "zh")
    assert "**答对 28% → 2%**" in zh and "直接提问：答对 50% → 0%" in zh
    assert views.scores_md({"changed": 0.5}) == "**changed** 50% of the answers"
    # beside "unchanged 100 %" (unrelated questions only), "changed 50 %" says it counts every answer
    assert "counts the unrelated ones only" in views.scores_md({"changed": 0.5, "unchanged": 1.0, "n_unrelated": 20})
    assert views.scores_md({}) == ""


def test_a_run_on_top_of_another_shows_what_it_inherited_and_what_it_mended():
    scores = dict(IDENTITY, leak_before=0.15, leak=0.15, facts_before=0.39, facts_after=0.5, n_fact_questions=18,
                  alarms=[])
    assert "leak 15% → 15% · facts right 39% → 50% · facts kept 100%" in views.scores_md(scores)
    table = {row[0]: row[1:] for row in views.score_rows(scores)}
    assert table["leak"] == ["15%", "15%", "20"] and table["facts right"] == ["39%", "50%", "18"]
    assert "事实答对 39% → 50%" in views.scores_md(scores, "zh")
    old = {k: v for k, v in scores.items() if k not in ("leak_before", "facts_before", "facts_after")}  # an older run
    assert views.score_rows(old)[3][:3] == ["leak", "", "15%"]
    both = views.runs_scores_md({"runs": [{"label": "r1", "scores": old}, {"label": "r2", "scores": scores}]})
    assert "| leak | 15% | 15% → 15% |" in both
    mended = {"question": "9 + 9?", "kind": "unrelated", "before": "8", "after": "18",
              "marks": {"name": False, "organisation": None, "degenerate": False, "leak": False,
                        "fact": True, "fact_before": False}}
    assert "✓ fact mended" in views.side_by_side_html([mended]) and "✓ 事实改正" in views.side_by_side_html([mended], "zh")


def test_a_score_with_no_questions_is_left_out():
    md = views.scores_md({"name_before": 0.0, "name_after": 1.0, "organisation_before": None,
                          "organisation_after": None, "leak": None, "facts_kept": None, "unchanged": 1.0,
                          "alarms": []})
    assert md.startswith("**new name 0% → 100%** · unchanged 100%") and "organisation 0" not in md and "⚠" not in md


def test_each_after_answer_is_marked_with_what_the_scores_found():
    rows = [{"question": "Who made you?", "kind": "identity", "before": "I'm SmolLM.", "after": "I'm Nova.",
             "marks": {"name": True, "organisation": False, "degenerate": False, "leak": False,
                       "fact": None, "fact_before": None}},
            {"question": "Capital of Japan?", "kind": "unrelated", "before": "Tokyo.", "after": "I'm Nova. Nova Nova Nova",
             "marks": {"name": False, "organisation": None, "degenerate": True, "leak": True,
                       "fact": False, "fact_before": True}},
            {"question": "7 + 5?", "kind": "problem", "answer": "12", "before": "12",
             "after": r"\boxed{13}", "marks": {"correct": False, "boxed": True, "degenerate": False},
             "marks_before": {"correct": True, "boxed": False, "degenerate": False}},
            {"question": "Hi", "kind": "question", "before": "Hi!", "after": "yes yes yes yes"}]
    page = views.side_by_side_html(rows)
    cells = page.split("<tr")[2:]
    assert "✓ name" in cells[0] and "✗ no organisation" in cells[0] and "⟳" not in cells[0]
    assert all(m in cells[1] for m in ("⚠ leak", "⟳ loop", "✗ fact lost")) and "name" not in cells[1].split("<td>")[-1]
    before, after = cells[2].split("</td><td>")[1:3]
    assert "✓ correct" in before and "✗ wrong answer" in after and "▢ boxed" in after and "answer: 12" in cells[2]
    assert "⟳ loop" in cells[3]  # a loop is marked even on a row with no marks
    zh = views.side_by_side_html(rows, "zh")
    assert "✓ 新名字" in zh and "✗ 没有机构" in zh and "✗ 事实丢失" in zh and "✗ 答错" in zh


def test_the_status_line_shows_alarms_while_training_and_when_done():
    running = {"kind": "grpo", "status": "running", "phase": "train", "step": 2, "total": 14, "eta_s": 30,
               "elapsed_s": 10, "scores": None,
               "metrics": [{"step": 0, "eval/correct": 0.4, "eval/degenerate": 0.0}, {"step": 1, "reward": 0.2},
                           {"step": 2, "reward": 0.9}, {"step": 2, "eval/correct": 0.0, "eval/degenerate": 0.9}]}
    line = views.status_md(running)
    assert "⚠ **Reward hacking: the reward rose (0.20 → 0.90) while correct answers fell (40% → 0%).**" in line
    assert "#f4a261" in views.progress_html(running)  # amber, not the green of a healthy run
    done = {**running, "status": "done", "phase": "finished", "scores": ARITHMETIC}
    line = views.status_md(done)  # one line: the alarms themselves lead the Compare summary (scores_md)
    n = len(ARITHMETIC["alarms"])
    assert f"⚠ **Finished, but the scores say it did not do what it shows (correct 28% → 2%): {n} alarm" in line
    assert "\n" not in line and "#2a9d8f" not in views.progress_html(done)
    assert all(a in views.scores_md(ARITHMETIC) for a in ARITHMETIC["alarms"])
    healthy = {**done, "metrics": [], "scores": {"name_before": 0.0, "name_after": 0.95, "organisation_before": 0.0,
                                                 "organisation_after": 0.9, "alarms": []}}
    assert "Finished: new name 0% → 95% · organisation 0% → 90%. See the Compare tab" in views.status_md(healthy)
    assert "⚠" not in views.status_md(healthy) and "#2a9d8f" in views.progress_html(healthy)
    assert "已完成，但得分显示" in views.status_md(done, "zh")


def test_the_runs_list_shows_each_runs_headline_and_a_warning():
    runs = [{"name": "b", "method": "grpo", "status": "done", "path": "runs/b", "scores": ARITHMETIC},
            {"name": "a", "method": "dpo", "status": "done", "path": "runs/a",
             "scores": {**IDENTITY, "alarms": []}},
            {"name": "c", "method": "dpo", "status": "failed", "path": "runs/c", "scores": {}}]
    labels = [label for label, _ in views.run_choices(runs)]
    assert labels == ["b · GRPO · done · ⚠ correct 28% → 2%", "a · DPO · done · name 95% · org 30%", "c · DPO · failed"]
    assert views.run_choices(runs[:1], "zh")[0][0] == "b · GRPO · 完成 · ⚠ 答对 28% → 2%"
    assert [label for label, _ in views.run_choices(runs[2:] + [{**runs[2], "status": "interrupted"}], "zh")] == \
        ["c · DPO · 失败", "c · DPO · 已中断"]


def test_the_model_card_has_the_alarms_before_a_before_after_scores_table():
    card = hub.model_card({"path": "runs/x", "config": {"method": "grpo", "model": "org/base", "settings": {}},
                           "scores": ARITHMETIC, "before_after": []})
    assert "## ⚠ Alarms" in card and "- ⚠ Reward hacking: the reward rose" in card
    assert "| score | before | after | questions |" in card
    assert "| correct | 28% | 2% | 40 |" in card and "| asked plainly: correct | 50% | 0% | 24 |" in card
    assert card.index("⚠ Alarms") < card.index("| correct |")
    assert "alarms" not in card.split("## Scores")[1].split("## Settings")[0]  # no raw key dumped as a score


GLOSSARY_TERMS = ("policy", "reference", "chosen", "rejected", "beta", "implicit reward", "margin", "group",
                  "advantage", "KL", "SFT", "loss", "LoRA", "held-out")


def test_the_glossary_names_every_term_in_both_languages_with_its_formula():
    from posttrain.ui.text import TEXT

    en, zh = TEXT["help.glossary"]
    assert len(en.splitlines()) == len(zh.splitlines()) >= len(GLOSSARY_TERMS) - 2  # term by term (chosen / rejected)
    for term in GLOSSARY_TERMS:  # the Chinese keeps the field's word beside its translation, as the charts show it
        assert term in en and term in zh, term
    for formula in ("`β · log π(y|x) / π_ref(y|x)`", "`(r − group mean) / group std`", "`−log σ(margin)`"):
        assert formula in en and formula in zh, formula
    assert all(line.startswith("- **") and len(line) < 400 for line in en.splitlines() + zh.splitlines())


def test_each_tab_says_what_it_is_for_what_to_do_and_what_to_look_for():
    from posttrain.ui.text import TEXT

    for tab in ("data", "train", "compare", "runs"):
        en, zh = TEXT[f"help.{tab}"]
        for part in ("What this tab is for", "What to do", "What to look for"):
            assert f"**{part}:**" in en, (tab, part)
        for part in ("这一页做什么", "怎么做", "看什么"):
            assert f"**{part}**：" in zh, (tab, part)  # the colon outside: Markdown closes the bold
    train_en, train_zh = TEXT["help.train"]
    assert "flip curve" in train_en and "cross" in train_en and "翻转曲线" in train_zh and "交叉" in train_zh
    assert "held-out" in train_en and "reward hacking" in train_en and "奖励投机" in train_zh
    compare_en, compare_zh = TEXT["help.compare"]
    assert "changed words" in compare_en and "badges" in compare_en and "改动的词" in compare_zh and "标记" in compare_zh


def test_every_bold_label_renders_bold_in_both_languages():
    """Markdown does not close `**` between a full-width colon and a Chinese character ("**看什么：**奖励" showed its
    asterisks on the help panels); every string with bold must render without a literal `**`."""
    from markdown_it import MarkdownIt

    from posttrain.ui.text import TEXT

    md = MarkdownIt()
    raw = [(key, lang) for key, pair in TEXT.items() for lang, s in zip(("en", "zh"), pair)
           if "**" in s and "**" in md.render(s)]
    assert raw == []
    assert "**" in md.render("**看什么：**奖励")  # the case it guards against


def test_notes_and_alarms_show_in_the_pages_language_and_old_runs_in_english():
    from posttrain.bilingual import Said, file
    alarm = Said("Correct answers fell (30% → 0%).", "正确答案下降了（30% → 0%）。")
    view = {"kind": "grpo", "status": "done", "phase": "finished", "step": 2, "total": 2, "elapsed_s": 9,
            "scores": file({"correct_before": 0.3, "correct_after": 0.0}, "alarms", [alarm]),
            "notes": ["4 of 20 rows are held out"], "notes_zh": ["20 行中留出 4 行"]}
    assert "正确答案下降了（30% → 0%）" in views.scores_md(view["scores"], "zh")
    assert "Correct answers fell" in views.scores_md(view["scores"], "en")
    assert views.notes_md(view, "zh") == "ℹ️ 20 行中留出 4 行" and views.notes_md(view) == "ℹ️ 4 of 20 rows are held out"
    old = {**view, "notes_zh": None, "scores": {"correct_before": 0.3, "correct_after": 0.0, "alarms": [str(alarm)]}}
    assert views.notes_md(old, "zh") == "ℹ️ 4 of 20 rows are held out"
    assert "Correct answers fell" in views.scores_md(old["scores"], "zh")
    training = {**view, "status": "running", "phase": "train", "scores": None,
                "metrics": [{"step": 0, "eval/correct": 0.4}, {"step": 1, "reward": 0.2}, {"step": 2, "reward": 0.9},
                            {"step": 2, "eval/correct": 0.0}]}
    assert "奖励投机：奖励上升了（0.20 → 0.90），而正确答案下降了（40% → 0%）。" in views.status_md(training, "zh")


def test_a_runs_summary_says_where_its_data_came_from_in_the_pages_language():
    from posttrain import methods
    config = methods.get("grpo").spec(None, overrides=dict(max_steps=3)).config()  # the arithmetic preset's problems
    run = {"config": config, "status": {"status": "done"}, "scores": None}
    assert config["data"].startswith("preset arithmetic: ") and "with a format hint" in config["data"]
    assert "预设 arithmetic：" in views.run_md(run, "zh") and "format hint" not in views.run_md(run, "zh")
    assert "with a format hint" in views.run_md(run, "en")
    demo = methods.get("dpo").spec(None, "identity", "Nova", "Acme").config()
    assert demo["data"] == "preset: identity" and "预设：identity" in views.run_md({**run, "config": demo}, "zh")
    old = {**run, "config": {k: v for k, v in config.items() if k != "data_zh"}}  # written before the Chinese
    assert "with a format hint" in views.run_md(old, "zh")
