"""Plain data → what a panel shows (Markdown or HTML strings); pure, so it is tested without a browser.

The Gradio wiring in `app.py` hands these the dicts that `posttrain.studio` returns: the model
card, a job view (status, step, total, ETA, phase), before/after rows and scores, the runs list.
Scores are the honest ones of `posttrain.scores` (headline first), and a run whose figures raise
alarms says so wherever it is shown: the status line, the Compare summary, the runs list.
"""

from __future__ import annotations

import html

from ..bilingual import in_lang, pick, pick_one
from ..charts import probe_table
from ..compare import word_diff
from ..scores import is_degenerate, training_alarms
from .text import t, t_or


def card_html(card: dict, lang: str = "en") -> str:
    """The Model tab's card: a ready line, the model's history (base → run A → run B: what trained it, in
    order), then source, parameters, device, dtype, memory and load time, as a plain two-column list.

    >>> page = card_html({"source": "smol", "parameters_h": "135M", "parameters": 134515008, "device": "cpu",
    ...                   "dtype": "float32", "memory_mb": 513.1, "load_s": 0.4, "trained_by": "runs/2-dpo",
    ...                   "lineage": ["smol", "1-sft", "2-dpo"]})
    >>> "smol → 1-sft → 2-dpo" in page and "trained by 2 runs" in page and "<th>" not in page
    True
    """
    if not card:
        return f'<div class="pt-card pt-card-empty">{_md_bold(t("model.none", lang))}</div>'
    runs = (card.get("lineage") or [card["source"]])[1:]
    ready = t("card.ready", lang, source=html.escape(str(card["source"])), device=html.escape(str(card["device"])))
    history = " → ".join(html.escape(str(x)) for x in card.get("lineage") or [card["source"]])
    state = (t("card.trained", lang, n=len(runs)) if len(runs) > 1 else t("card.trained_once", lang)) if runs \
        else t("card.as_loaded", lang)
    rows = [("history", f"{history} <span class=\"pt-{'warn' if runs else 'ok'}\">({html.escape(state)})</span>"),
            ("parameters", f"{card['parameters_h']} ({card['parameters']:,})"), ("device", html.escape(str(card["device"]))),
            ("dtype", html.escape(str(card["dtype"]))), ("memory", f"{card['memory_mb']:,.0f} MB"),
            ("load", f"{card['load_s']:.2f} s")]
    body = "".join(f"<tr><td>{html.escape(t('card.' + k, lang))}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<div class="pt-card"><div class="pt-ready">✓ {ready}</div><table>{body}</table></div>'


def _md_bold(text: str) -> str:
    """A sentence with **bold** words as HTML (the card's strings are written as Markdown)."""
    parts = html.escape(text).split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


def notes_md(view: dict | None, lang: str = "en") -> str:
    """What the user should know about the job (the engine's notes: data held out, a gated edit's blocks, trained
    on top of another run), one line each under an ℹ️: information, not warnings (alarms are those)."""
    return "\n\n".join(f"ℹ️ {n}" for n in pick(view, "notes", lang))


def job_alarms(view: dict | None, lang: str = "en") -> list[str]:
    """What is wrong with a job, in sentences: its run's `alarms` once it has scores, else the alarms its
    metrics log raises while it trains (`posttrain.scores.training_alarms`)."""
    if not view:
        return []
    if view.get("scores"):
        return pick(view["scores"], "alarms", lang)
    return [in_lang(a, lang) for a in training_alarms(view.get("metrics") or [])]


def status_md(view: dict | None, lang: str = "en") -> str:
    r"""One line on the current job: kind, status, phase, step / total, ETA, elapsed, and how it ended. While it
    trains, the alarms its metrics raise follow, each on a line of its own; once it has ended they lead the
    Compare tab's summary and the line says so (the job's notes are not here: `notes_md`, on the Train tab).

    >>> v = {"kind": "grpo", "status": "done", "phase": "finished", "step": 2, "total": 2, "elapsed_s": 9,
    ...      "scores": {"correct_before": 0.3, "correct_after": 0.0, "alarms": ["Correct answers fell (30% → 0%)."]}}
    >>> print(status_md(v))
    **GRPO** · done · finished · step 2 / 2 · 9 s elapsed — ⚠ **Finished, but the scores say it did not do what it shows (correct 30% → 0%): 1 alarm, on the Compare tab.**
    """
    if not view:
        return t("train.idle", lang)
    parts = [t("status.line", lang, kind=view["kind"].upper(), status=status_word(view["status"], lang),
               phase=t_or("phase." + view["phase"], lang, view["phase"]))]
    if view.get("total"):
        parts.append(t("status.step", lang, step=view["step"], total=view["total"]))
    if view["status"] in ("running", "stopping") and view.get("eta_s") is not None:
        parts.append(t("status.eta", lang, eta=round(view["eta_s"])))
    parts.append(t("status.elapsed", lang, elapsed=round(view.get("elapsed_s") or 0)))
    line = " · ".join(parts)
    alarms = job_alarms(view, lang)
    finished = view["status"] in ("done", "stopped") and view["phase"] == "finished"
    if view["status"] == "failed":
        line += " — " + t("status.error", lang, error=pick_one(view, "error", lang) or "?")
    elif finished and alarms:
        head = headline(view.get("scores"), lang)
        return line + " — ⚠ **" + t("status.finished_alarms", lang, headline=f" ({head})" if head else "",
                                    n=len(alarms), s="" if len(alarms) == 1 else "s") + "**"
    elif finished:
        head = headline(view.get("scores"), lang)
        line += " — " + (t("status.finished_scores", lang, headline=head) if head else t("status.finished", lang))
    return line + "".join(f"\n\n⚠ **{a}**" for a in alarms)


def progress_html(view: dict | None) -> str:
    """A progress bar for step / total (full when the job is over, striped while it runs)."""
    if not view:
        return ""
    total, step = view.get("total") or 0, view.get("step") or 0
    done = view["status"] not in ("running", "stopping")
    share = 1.0 if done and view["status"] == "done" else (step / total if total else 0.0)
    color = {"failed": "#e76f51", "stopped": "#e9c46a"}.get(view["status"], "#2a9d8f")
    if view["status"] != "failed" and job_alarms(view):
        color = "#f4a261"  # a run whose figures raise alarms is no plain success
    return (f'<div class="pt-progress" role="progressbar" aria-valuenow="{step}" aria-valuemax="{total}" '
            f'data-active="{int(not done)}">'  # the page script follows a job while this says 1
            f'<div style="width:{share * 100:.1f}%;background:{color}"></div></div>')


def _pct(x) -> str:
    return "–" if x is None else f"{x:.0%}"


# The rows of a scores table, headline first: (label, before key, after key, the counts its share is over).
IDENTITY_SCORES = [("name", "name_before", "name_after", ("n_identity",)),
                   ("organisation", "organisation_before", "organisation_after", ("n_maker",)),
                   ("degenerate", "degenerate_before", "degenerate_after", ("n_identity", "n_unrelated")),
                   ("leak", "leak_before", "leak", ("n_unrelated",)),
                   ("facts", "facts_before", "facts_after", ("n_fact_questions",)),
                   ("facts_kept", None, "facts_kept", ("n_facts",)),
                   ("unchanged", None, "unchanged", ("n_unrelated",))]
ARITHMETIC_SCORES = [("correct", "correct_before", "correct_after", ("n_problems",)),
                     ("boxed", "boxed_before", "boxed_after", ("n_problems",)),
                     ("degenerate", "degenerate_before", "degenerate_after", ("n_problems",)),
                     ("plain_correct", "plain_correct_before", "plain_correct_after", ("n_plain",)),
                     ("plain_boxed", "plain_boxed_before", "plain_boxed_after", ("n_plain",)),
                     ("plain_degenerate", "plain_degenerate_before", "plain_degenerate_after", ("n_plain",)),
                     ("facts", "facts_before", "facts_after", ("n_fact_questions",)),
                     ("facts_kept", None, "facts_kept", ("n_facts",))]

# A reward model's: the share of held-out pairs whose chosen answer it scores higher (0.5 is a coin).
PAIR_SCORES = [("pair_accuracy", "pair_accuracy_before", "pair_accuracy", ("n_pairs",))]


def _demos(scores: dict) -> list[list[tuple]]:
    """Which demos' scores a scores dict holds (arithmetic, identity, or both for a mixed Compare)."""
    out = [PAIR_SCORES] if scores.get("pair_accuracy") is not None else []
    if scores.get("correct_after") is not None or scores.get("correct_before") is not None:
        out.append(ARITHMETIC_SCORES)
    if any(scores.get(k) is not None for k in ("name_after", "organisation_after", "leak", "unchanged")):
        out.append(IDENTITY_SCORES)
    if not out and scores.get("degenerate_after") is not None:  # neither demo: loops are still worth a look
        out.append([r for r in IDENTITY_SCORES if r[0] == "degenerate"])
    return out


def _shown(demo: list[tuple], scores: dict):
    """(label, before, cold, after, counts) of each of the demo's scores that `scores` holds, with the values: a
    score with neither value is left out, a before never taken is None (runs scored before `leak_before` existed),
    and `cold` is the score after a cold start (SFT before RL, `…_cold`), None for a run that had none."""
    for label, before, after, counts in demo:
        was = scores.get(before) if before else None
        if was is not None or scores.get(after) is not None:
            cold = scores.get(after.removesuffix("_after") + "_cold") if after.endswith("_after") else None
            yield label, was, cold, scores.get(after), counts


def _path(*values) -> str:
    """Scores in the order they were taken, as "28% → 55% → 60%" (values never taken left out)."""
    return " → ".join(_pct(v) for v in values if v is not None)


def score_rows(scores: dict | None, lang: str = "en") -> list[list[str]]:
    """The scores as table rows [score, before, after, questions], headline first; a score with no
    questions is left out, and "changed" comes last. Pure, shared by the receipt and the model card.

    >>> score_rows({"correct_before": 0.28, "correct_after": 0.02, "boxed_before": 0.1, "boxed_after": 0.98,
    ...             "n_problems": 40, "changed": 1.0})
    [['correct', '28%', '2%', '40'], ['boxed', '10%', '98%', '40'], ['changed', '', '100%', '']]
    >>> score_rows({"correct_before": 0.28, "correct_cold": 0.55, "correct_after": 0.6, "n_problems": 40})
    [['correct', '28%', '60%', '40'], ['correct, after the cold start', '28%', '55%', '40']]
    """
    scores = scores or {}
    rows, cold_rows = [], []
    for demo in _demos(scores):
        for label, before, cold, after, counts in _shown(demo, scores):
            n = [scores[c] for c in counts if isinstance(scores.get(c), int)]
            rows.append([t("score." + label, lang), "" if before is None else _pct(before), _pct(after),
                         str(sum(n)) if n else ""])
            if cold is not None:  # what the cold start alone did: the step RL started from
                cold_rows.append([t("score.cold", lang, score=t("score." + label, lang)),
                                  "" if before is None else _pct(before), _pct(cold), rows[-1][-1]])
    rows += cold_rows
    if scores.get("changed") is not None:
        rows.append([t("score.changed", lang), "", _pct(scores["changed"]), ""])
    return rows


def headline(scores: dict | None, lang: str = "en") -> str:
    """The run's headline in a few words: "new name 0% → 95% · organisation 0% → 90%" or "correct 28% → 2%".

    >>> headline({"name_before": 0.0, "name_after": 0.95, "organisation_before": 0.0, "organisation_after": 0.5})
    'new name 0% → 95% · organisation 0% → 50%'
    >>> headline({"correct_before": 0.28, "correct_cold": 0.55, "correct_after": 0.6})  # after a cold start
    'correct 28% → 55% → 60%'
    """
    scores = scores or {}
    if scores.get("pair_accuracy") is not None:
        return (f"{t('score.pair_accuracy', lang)} {_pct(scores.get('pair_accuracy_before'))} → "
                f"{_pct(scores['pair_accuracy'])}")
    if scores.get("correct_after") is not None:
        keys = ["correct"]
    elif scores.get("name_after") is not None:
        keys = ["name", "organisation"]
    else:
        return ""
    return " · ".join(f"{t('score.' + k, lang)} "
                      + _path(scores.get(k + "_before"), scores.get(k + "_cold"), scores.get(k + "_after"))
                      for k in keys if scores.get(k + "_after") is not None)


def alarms_md(alarms: list[str] | None) -> str:
    """Each alarm as a line of its own, bold, after a ⚠ (the engine's sentences, `bilingual.pick`ed)."""
    return "\n\n".join(f"⚠ **{a}**" for a in alarms or [])


def _judged_on(scores: dict, demo, lang: str) -> str:
    """ " · (on 20 identity and 20 unrelated questions)": a run's scores and the Compare table's own (6 and 6) differ
    by a question or two, and a reader must see that they are not the same count.

    >>> _judged_on({"n_identity": 6, "n_unrelated": 6}, IDENTITY_SCORES, "zh"), _judged_on({}, IDENTITY_SCORES, "en")
    (' · （基于 6 个身份问题和 6 个无关问题）', '')
    """
    if demo is IDENTITY_SCORES and scores.get("n_identity"):
        said = t("compare.on_identity", lang, identity=scores["n_identity"], unrelated=scores.get("n_unrelated", 0))
    elif demo is ARITHMETIC_SCORES and scores.get("n_problems"):
        said = t("compare.on_problems", lang, problems=scores["n_problems"], plain=scores.get("n_plain", 0))
    else:
        return ""
    return f" · （{said}）" if lang == "zh" else f" · ({said})"


def scores_md(scores: dict | None, lang: str = "en") -> str:
    r"""The Compare summary: the alarms first, then the honest scores before → after with the headline in
    bold (identity: new name, organisation, loops, leak, facts right, facts kept, unchanged; arithmetic: correct,
    boxed, loops, asked plainly: correct), what each means, and the changed share.

    >>> print(scores_md({"correct_before": 0.28, "correct_after": 0.02, "boxed_before": 0.1, "boxed_after": 0.98,
    ...                  "degenerate_before": 0.0, "degenerate_after": 0.98, "alarms": ["Reward hacking: …"]}).split("\n\n")[:2])
    ['⚠ **Reward hacking: …**', '**correct 28% → 2%** · boxed 10% → 98% · loops 0% → 98%']
    """
    if not scores:
        return ""
    parts = [alarms_md(pick(scores, "alarms", lang))] if scores.get("alarms") else []
    for demo in _demos(scores):
        items = []
        for label, before, cold, after, _ in _shown(demo, scores):
            if label in ("plain_boxed", "plain_degenerate"):
                continue  # the receipt's table has them; the summary keeps to the headline's kin
            value = _path(before, cold, after)
            item = f"{t('score.' + label, lang)} {value}"
            items.append(item if items else f"**{item}**")  # the headline leads, in bold
        if items:
            parts.append(" · ".join(items) + _judged_on(scores, demo, lang))
            if demo is IDENTITY_SCORES:
                parts.append(t("compare.identity_help", lang))
            elif demo is ARITHMETIC_SCORES:
                parts.append(t("compare.arith_help", lang))
            if any(cold is not None for _, _, cold, _, _ in _shown(demo, scores)):
                parts.append(t("compare.cold_help", lang))
    if scores.get("changed") is not None:
        key = "compare.changed_all" if scores.get("unchanged") is not None else "compare.changed"
        parts.append(t(key, lang, changed=_pct(scores["changed"])))
    return "\n\n".join(parts)


def _badges(marks: dict | None, kind: str, text: str, lang: str) -> list[tuple[str, str]]:
    """(css class, label) for what the scores found in one answer; a loop is marked even with no marks."""
    out = []
    if not marks:
        return [("pt-bad", t("mark.loop", lang))] if text and is_degenerate(text) else []
    if "correct" in marks:  # a problem
        out.append(("pt-ok", t("mark.correct", lang)) if marks["correct"] else ("pt-bad", t("mark.wrong", lang)))
        if marks.get("boxed"):
            out.append(("pt-info", t("mark.boxed", lang)))
    if kind == "identity":
        out.append(("pt-ok", t("mark.name", lang)) if marks.get("name") else ("pt-bad", t("mark.no_name", lang)))
    if marks.get("organisation") is not None:
        out.append(("pt-ok", t("mark.organisation", lang)) if marks["organisation"]
                   else ("pt-bad", t("mark.no_organisation", lang)))
    if marks.get("fact_before"):  # facts kept counts only what the model knew before
        out.append(("pt-ok", t("mark.fact_kept", lang)) if marks.get("fact") else ("pt-bad", t("mark.fact_lost", lang)))
    elif marks.get("fact"):  # wrong before, right after: what "facts right" rising is made of
        out.append(("pt-ok", t("mark.fact_mended", lang)))
    if marks.get("leak"):
        out.append(("pt-bad", t("mark.leak", lang)))
    if marks.get("degenerate"):
        out.append(("pt-bad", t("mark.loop", lang)))
    return out


def _marks_html(badges: list[tuple[str, str]]) -> str:
    if not badges:
        return ""
    spans = "".join(f'<span class="{c}">{html.escape(label)}</span>' for c, label in badges)
    return f'<div class="pt-marks">{spans}</div>'


def side_by_side_html(rows: list[dict], lang: str = "en") -> str:
    """Before and after in two columns, one question per row, new words in the after column marked, and
    under each answer what the scores found in it (row `marks`, and `marks_before` for a problem):
    ✓ name, ✓ / ✗ organisation, ⟳ loop, ⚠ leak, ✓ fact kept / ✗ fact lost / ✓ fact mended, ✓ correct / ✗ wrong
    answer, ▢ boxed.

    >>> "<mark>Nova.</mark>" in side_by_side_html([{"question": "Who?", "kind": "identity",
    ...                                              "before": "I am Bob.", "after": "I am Nova."}])
    True
    >>> page = side_by_side_html([{"question": "2+2?", "kind": "problem", "answer": "4", "before": "4", "after": "5",
    ...                            "marks": {"correct": False, "boxed": False, "degenerate": False},
    ...                            "marks_before": {"correct": True, "boxed": False, "degenerate": False}}])
    >>> "✗ wrong answer" in page and "✓ correct" in page and "answer: 4" in page
    True
    """
    if not rows:
        return ""
    columns = [t("compare.before", lang), t("compare.after", lang)]
    return _answer_columns(columns, [
        {**r, "texts": [r["before"], r["after"]],
         "badges": [_badges(r["marks_before"], r.get("kind", ""), r["before"], lang) if r.get("marks_before") else [],
                    _badges(r.get("marks"), r.get("kind", ""), r["after"], lang)]} for r in rows], lang)


def kind_label(kind: str, lang: str = "en") -> str:
    """A question's kind as the answers table shows it, in `lang` (a kind it does not know, as given).

    >>> kind_label("unrelated", "zh"), kind_label("identity"), kind_label("mine", "zh")
    ('无关问题', 'identity', 'mine')
    """
    return t_or(f"kind.{kind}", lang, kind)


def _answer_columns(columns: list[str], rows: list[dict], lang: str) -> str:
    """The answers table Compare and Runs share: one question per row (its kind above it, the answer it needs
    under it), then one column per answer; in every column after the first the words the first lacks are
    marked, and under each answer its badges. A row whose answers are all the same is greyed. `rows`:
    {"question", "kind", "answer" (optional), "texts": [one per column], "badges": [one list per column]}."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [t("compare.question", lang), *columns])
    body = []
    for r in rows:
        kind_, first = r.get("kind", ""), r["texts"][0]
        cells = [(html.escape(text) if i == 0 else "".join(
            f"<mark>{html.escape(p)}</mark>" if new else html.escape(p) for p, new in word_diff(first, text)))
            + _marks_html(badges) for i, (text, badges) in enumerate(zip(r["texts"], r["badges"]))]
        same = ' class="pt-same"' if len(set(r["texts"])) == 1 else ""
        kind = f'<div class="pt-kind">{html.escape(kind_label(kind_, lang))}</div>' if kind_ else ""
        answer = (f'<div class="pt-answer">{html.escape(t("mark.answer", lang, answer=r["answer"]))}</div>'
                  if r.get("answer") is not None else "")
        body.append(f"<tr{same}><td>{kind}{html.escape(r['question'])}{answer}</td>"
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table class="pt-compare"><tr>{head}</tr>{"".join(body)}</table>'


def compare_md(result: dict, lang: str = "en") -> str:
    """Compare's summary of `Studio.compare`'s result: its scores, or before the first run a note and the
    share of answers that changed."""
    rows = result["rows"]
    scores = result["scores"] or {"changed": sum(r["changed"] for r in rows) / len(rows)}
    note = "" if result["trained"] else "ℹ️ " + t("compare.untrained", lang) + "\n\n"
    return note + scores_md(scores, lang)


def runs_scores_md(result: dict, lang: str = "en") -> str:
    r"""`Studio.compare_runs`'s runs' scores in one Markdown table, a column per run (after, or before → after
    where the score has a before), then each run's alarms under its label.

    >>> print(runs_scores_md({"runs": [
    ...     {"label": "r1 · SFT", "scores": {"name_before": 0.0, "name_after": 0.5}},
    ...     {"label": "r2 · DPO", "scores": {"name_before": 0.0, "name_after": 1.0, "alarms": ["Loops."]}}]}))
    | score (after; before → after where measured) | r1 · SFT | r2 · DPO |
    | --- | --- | --- |
    | new name | 0% → 50% | 0% → 100% |
    <BLANKLINE>
    ⚠ **r2 · DPO**: Loops.
    """
    runs = result["runs"]
    cells: dict[str, list[str]] = {}  # score label → one cell per run, in the order the scores first appear
    for i, run in enumerate(runs):
        for label, before, after, _ in score_rows(run["scores"], lang):
            cells.setdefault(label, ["–"] * len(runs))[i] = f"{before} → {after}" if before else after
    parts = []
    if cells:
        head = [t("runs.score", lang), *(r["label"] for r in runs)]
        table = [head, ["---"] * len(head), *([label, *row] for label, row in cells.items())]
        parts.append("\n".join("| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in table))
    parts += [f"⚠ **{run['label']}**: {a}" for run in runs for a in pick(run["scores"], "alarms", lang)]
    return "\n\n".join(parts)


def runs_answers_html(result: dict, lang: str = "en") -> str:
    """`Studio.compare_runs`'s answers in columns, one question per row and one column per run; in every column
    after the first, the words the first run's answer lacks are marked, and under each answer what the scores
    found in it. Rows where every run answered the same are greyed; no question in common is said in a sentence.

    >>> page = runs_answers_html({"runs": [{"label": "r1 · SFT"}, {"label": "r2 · DPO"}, {"label": "r3 · DPO"}],
    ...     "rows": [{"question": "Who?", "kind": "identity", "answers": ["I am Nova.", "I am Nova, by Acme.", "<b>"],
    ...               "marks": [{"name": True}, {"name": True}, {"name": False}]}]})
    >>> "<th>r1 · SFT</th>" in page, "Acme.</mark>" in page, "&lt;b&gt;" in page, page.count("<td>")
    (True, True, True, 4)
    """
    runs, rows = result["runs"], result["rows"]
    if not rows:
        return f"<p>{html.escape(t('runs.no_common', lang))}</p>"
    columns = [runs[0]["label"], *(t("runs.side_diff", lang, label=r["label"]) for r in runs[1:])]
    return _answer_columns(columns, [
        {**r, "texts": r["answers"],
         "badges": [_badges(m, r.get("kind", ""), text, lang) for text, m in zip(r["answers"], r["marks"])]}
        for r in rows], lang)


def ballot_html(item: dict | None, total: int, lang: str = "en") -> str:
    """One question of a blind ballot: the question, then its two answers as A and B side by side (which model
    wrote which is not in the page); None: every question is voted on.

    >>> page = ballot_html({"index": 1, "question": "Who?", "A": "I am <Nova>.", "B": "I am Smol."}, 3)
    >>> "question 2 of 3" in page and "&lt;Nova&gt;" in page and "before" not in page
    True
    """
    if item is None:
        return f'<div class="pt-ballot-done">{html.escape(t("vote.done", lang, n=total))}</div>'
    cells = "".join(f'<div class="pt-ballot-side"><div class="pt-ballot-label">{side}</div>'
                    f'<div>{html.escape(item[side])}</div></div>' for side in ("A", "B"))
    return (f'<div class="pt-ballot"><div class="pt-kind">{html.escape(t("vote.of", lang, i=item["index"] + 1, n=total))}'
            f'</div><div class="pt-ballot-q">{html.escape(item["question"])}</div>'
            f'<div class="pt-ballot-pair">{cells}</div></div>')


def _side(label: str, lang: str) -> str:
    """A side's label as a person reads it: "after (the trained model)", or a run's name."""
    return t(f"vote.side.{label}", lang) if label in ("before", "after") else label


def reveal_md(vote: dict, lang: str = "en") -> str:
    """What a vote stood for, revealed after it: "You chose A: A was after (the trained model), B was before …".

    >>> reveal_md({"choice": "B", "A": "before", "B": "after", "winner": "after"})
    'You chose **B**. A was **before (the model as it started)**, B was **after (the trained model)**.'
    """
    chose = t("vote.tied", lang) if vote["choice"] == "tie" else t("vote.chose", lang, choice=vote["choice"])
    return chose + " " + t("vote.reveal", lang, a=_side(vote["A"], lang), b=_side(vote["B"], lang))


def tally_md(tally: dict, sides: list[str], lang: str = "en") -> str:
    """The votes so far: how often the second side was preferred (a tie counts half), its 95 % interval, the
    number of votes and voters.

    >>> tally_md({"n": 50, "wins": 34, "losses": 16, "ties": 0, "win_rate": 0.68, "low": 0.542, "high": 0.792,
    ...           "voters": 10}, ["before", "after"])
    '**after (the trained model)** preferred in **68%** of 50 blind votes (95% interval 54%–79%; won 34, lost 16, tied 0; voters: 10)'
    """
    if not tally["n"]:
        return t("vote.none", lang)
    return t("vote.tally", lang, side=_side(sides[1], lang), rate=_pct(tally["win_rate"]), n=tally["n"],
             low=_pct(tally["low"]), high=_pct(tally["high"]), wins=tally["wins"], losses=tally["losses"],
             ties=tally["ties"], voters=tally["voters"])


def run_md(run: dict, lang: str = "en") -> str:
    """The Runs tab's summary of `runs.read_run`: method, status, model, data; scores; phase times; the error."""
    cfg, st = run["config"], run["status"]
    lines = [f"**{cfg.get('method', '?').upper()}** · {status_word(st.get('status'), lang)} · {cfg.get('model')} · "
             f"{pick_one(cfg, 'data', lang)}",
             scores_md(run["scores"], lang)]
    if st.get("phase_times"):
        lines.append(" · ".join(f"{t_or('phase.' + k, lang, k)} {v:.0f} s"
                                for k, v in st["phase_times"].items()))
    if st.get("error"):
        lines.append(t("status.error", lang, error=pick_one(st, "error", lang)))
    if run.get("path"):  # what GRPO's reward-model field and the CLI take
        lines.append(t("runs.folder", lang, path=run["path"]))
    return "\n\n".join(x for x in lines if x)


def job_summary(view: dict | None) -> dict:
    """The current job for API clients: status, phase, step / total, ETA, the latest metrics, held-out scores
    and flip-curve point, the run's scores, and its alarms."""
    if view is None:
        return {"status": "idle"}
    keep = ("kind", "status", "phase", "step", "total", "eta_s", "elapsed_s", "error", "run_dir", "scores", "notes")

    def rows(prefix: str | None) -> list[dict]:  # the probes' `eval/…` scores, the flip curve's `probe/…`, TRL's own
        return [r for r in view["metrics"] if (any(k.startswith(prefix) for k in r) if prefix else
                                               not any(k.startswith(("eval/", "probe/")) for k in r))]

    logged = rows(None)
    return {**{k: view[k] for k in keep}, "n_metrics": len(logged), "n_probes": len(view["probes"]),
            "metrics": logged[-1:], "eval": rows("eval/")[-1:], "flip": rows("probe/")[-1:],
            "alarms": job_alarms(view)}


def probes_html(probes: list[dict], name: str | None, lang: str = "en") -> str:
    """The probe timeline (charts.probe_table) as a table, its step column headed in `lang`.

    >>> probes_html([{"step": 6, "answers": [{"question": "你是谁？", "answer": "我是Nova。"}]}], "Nova", "zh")[:60]
    '<table class="pt-table"><tr><th>步</th><th>你是谁？</th></tr><tr>'
    """
    headers, rows = probe_table(probes, name)
    return table_html([t("probes.step", lang), *headers[1:]], rows)


def table_html(headers: list[str], rows: list[list], elem_class: str = "pt-table") -> str:
    """A wrapping HTML table; cells that start with ★ (the new name, see charts.probe_table) are marked.

    >>> table_html(["step", "Who are you?"], [[6, "★ I'm Nova."]])
    '<table class="pt-table"><tr><th>step</th><th>Who are you?</th></tr><tr><td>6</td><td class="pt-hit">★ I&#x27;m Nova.</td></tr></table>'
    """
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    def cell(c) -> str:
        mark = ' class="pt-hit"' if str(c).startswith("★") else ""
        return f"<td{mark}>{html.escape(str(c))}</td>"

    body = "".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in rows)
    return f'<table class="{elem_class}"><tr>{head}</tr>{body}</table>'


def run_headline(scores: dict | None, lang: str = "en") -> str:
    """A run's headline for the runs list: "name 95% · org 90%" or "correct 28% → 2%", and ⚠ when it has alarms.

    >>> run_headline({"correct_before": 0.28, "correct_after": 0.02, "alarms": ["Reward hacking: …"]})
    '⚠ correct 28% → 2%'
    >>> run_headline({"correct_before": 0.28, "correct_cold": 0.55, "correct_after": 0.68})  # after a cold start
    'correct 28% → 55% → 68%'
    """
    s = scores or {}
    if s.get("pair_accuracy") is not None:
        text = t("runs.headline_pairs", lang, before=_pct(s.get("pair_accuracy_before")), after=_pct(s["pair_accuracy"]))
    elif s.get("correct_after") is not None:
        text = t("runs.headline_arith", lang, path=_path(s.get("correct_before"), s.get("correct_cold"), s["correct_after"]))
    elif s.get("name_after") is not None:
        text = t("runs.headline_identity", lang, name=_pct(s["name_after"]), org=_pct(s.get("organisation_after")))
    else:
        text = ""
    return ("⚠ " + text).strip() if s.get("alarms") else text


def status_word(status: str | None, lang: str = "en") -> str:
    """A run's status in `lang` ("done" → "完成"); one this table does not know as it is.

    >>> status_word("done", "zh"), status_word("interrupted", "zh"), status_word("queued", "zh"), status_word(None)
    ('完成', '已中断', 'queued', '?')
    """
    return t_or(f"status.{status}", lang, status or "?")


def run_choices(runs: list[dict], lang: str = "en") -> list[tuple[str, str]]:
    """(label, path) pairs for the Runs tab's dropdown, newest first, each with its headline score."""
    out = []
    for r in runs:
        head = run_headline(r.get("scores"), lang)
        out.append((f"{r['name']} · {r['method'].upper()} · {status_word(r['status'], lang)}" + (f" · {head}" if head else ""),
                    r["path"]))
    return out


# Run once when the page opens (launch(js=…)). Twice a second:
# - presenting: while a job runs (the status bar's progress bar says so) and the Train tab is open, its charts are kept up under the
#   status bar (a redrawn chart can make the page jump back to the top): the audience sees the model learn,
#   not a settings form. Once the reader takes the page (wheel, touch, keys, a press anywhere but the tabs),
#   it is theirs until a job ends or they press Start or a demo button (a page jump of its own, or the scroll
#   a reload restores, is not the reader's: it is undone);
# - a visible Plotly chart narrower or wider than its box is resized, once per size it has: a chart redrawn
#   while its tab was hidden can keep Plotly's default 700 px until the window resizes;
# - new before/after answers (a run this page watched ended and the page switched to Compare, or Compare was
#   pressed) that are shown within 20 s and start low on the screen or out of it, or whose Compare buttons are
#   out of sight above, are scrolled into view with those buttons first, below the status bar (whose height grows
#   with its line), and kept there for 4 s while the page settles (the scores above them fill in, the bar's line
#   changes) unless the reader takes the page. A Compare tab first drawn after the run ended shows its answers
#   at once: that first sight counts as new answers when a job ran within the last 20 s.
JS = """() => {
  let answers = null, changed = 0, hold = 0, touched = 0, live_at = 0, running = 0, idle = 0, mine = false;
  const up = (el) => {  // to just under the sticky status bar, however tall its line has grown
    const bar = document.querySelector('#status-bar');
    if (bar) el.style.scrollMarginTop = (bar.getBoundingClientRect().height + 8) + 'px';
    el.scrollIntoView({behavior: 'instant', block: 'start'});
  };
  const take = () => { mine = true; touched = Date.now(); };
  for (const ev of ['wheel', 'touchmove', 'keydown']) window.addEventListener(ev, take, {passive: true, capture: true});
  window.addEventListener('pointerdown', (e) => {  // Start and the demo buttons hand the page back to the script
    if (e.target.closest('#start-btn, #demo-btn, #landing-demo-btn')) mine = false;
    else if (!e.target.closest('[role=tab]')) take();
  }, true);
  window.posttrainFollow = () => ({running, mine});  // what the script thinks (for tests and the curious)
  const fitted = new WeakMap();
  setInterval(() => {
    const live = !!document.querySelector('.pt-progress[data-active="1"]');  // the status bar: a job runs
    idle = live ? 0 : idle + 1;
    if (live) live_at = Date.now();
    if (!live && idle >= 4 && running) mine = false;  // a job ended: the next one is presented again
    running = live ? running + 1 : (idle >= 4 ? 0 : running);
    const charts = document.querySelector('#charts');
    if (running >= 2 && !mine && charts && charts.offsetParent) {
      const y = charts.getBoundingClientRect().top;
      if (y < 0 || y > window.innerHeight * 0.3) up(charts);
    }
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
      const box = gd.parentElement, w = Math.round(gd.getBoundingClientRect().width);
      if (gd.offsetParent && box && Math.abs(w - box.getBoundingClientRect().width) > 24 && fitted.get(gd) !== w) {
        fitted.set(gd, w);
        window.dispatchEvent(new Event('resize'));
        break;
      }
    }
    const box = document.querySelector('#side-by-side');
    if (!box) return;
    const now = box.textContent.length + ':' + box.textContent.slice(0, 120);
    const fresh = answers === null ? Date.now() - live_at < 20000 : now !== answers;
    if (fresh && box.textContent.trim()) changed = Date.now();
    answers = now;
    if (changed && box.offsetParent) {
      if (Date.now() - changed < 20000) hold = Date.now();
      changed = 0;
    }
    if (hold && (Date.now() - hold > 4000 || touched > hold)) hold = 0;
    if (hold && box.offsetParent) {
      const y = box.getBoundingClientRect().top, head = document.querySelector('#compare-actions') || box;
      const bar = document.querySelector('#status-bar'), under = bar ? bar.getBoundingClientRect().bottom : 0;
      if (y < 0 || y > window.innerHeight * 0.5 || head.getBoundingClientRect().top < under) up(head);
    }
  }, 500);
}"""

# The pipeline diagram's two rows: SFT → reward model → RL, and DPO in one step (posttrain.chain's steps).
PIPELINE_ROWS = (("sft", "reward", "rl"), ("dpo",))


def pipeline_html(found: dict[str, dict], lang: str = "en") -> str:
    """The RLHF pipeline as boxes and arrows: each step's name, what it does, the run that backs it (its name
    and headline score, ⚠ when it was not built on the step before's run), or "not run yet".

    >>> html_ = pipeline_html({"reward": {"name": "2-reward", "scores": {"pair_accuracy_before": 0.5,
    ...                        "pair_accuracy": 0.92}, "linked": False}})
    >>> "2-reward" in html_ and "50% → 92%" in html_ and "not built on" in html_ and html_.count("not run yet") == 3
    True
    """
    def box(key: str) -> str:
        run = found.get(key)
        if run is None:
            body = f'<div class="pt-step-run pt-muted">{t("pipeline.none", lang)}</div>'
        else:
            head = html.escape(headline(run.get("scores"), lang) or "")
            warn = "" if run.get("linked", True) else f'<div class="pt-warn">{t("pipeline.unlinked", lang)}</div>'
            body = (f'<div class="pt-step-run"><code>{html.escape(run["name"])}</code></div>'
                    f'<div class="pt-step-score">{head}</div>{warn}')
        return (f'<div class="pt-step" data-step="{key}"><b>{t("pipeline." + key, lang)}</b>'
                f'<div class="pt-muted">{t("pipeline." + key + ".what", lang)}</div>{body}</div>')

    arrow = '<div class="pt-arrow">→</div>'
    rows = "".join(f'<div class="pt-flow">{arrow.join(box(k) for k in row)}</div>' for row in PIPELINE_ROWS)
    return f'<div id="pipeline-diagram">{rows}</div>'


CSS = """
.gradio-container {overflow: clip !important}  /* "hidden" would make it the scroller and the status bar not stick */
#status-bar {position: sticky; top: 0; z-index: 30; background: var(--background-fill-primary);
  border-bottom: 1px solid var(--border-color-primary); padding: 2px 0 0; gap: 0}
#status-bar .prose p {margin: 2px 0}
#charts, #scores {scroll-margin-top: 96px}
#header h1 {font-size: 1.6em; margin: 0} #header .pt-help p {margin: 2px 0 0}
#header {align-items: center}
.pt-help, .pt-help p {color: #4b5563; font-size: var(--text-md)}
.pt-flow {display: flex; align-items: stretch; gap: 6px; margin: 6px 0}
.pt-step {flex: 1; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
  background: var(--background-fill-secondary)}
.pt-arrow {align-self: center; font-size: 1.4em; color: #6b7280}
.pt-muted {color: #6b7280} .pt-warn {color: #b45309} .pt-step-score {font-weight: 600}
.pt-card {font-size: var(--text-md)}
.pt-card table {border-collapse: collapse; margin-top: 4px; border: none !important}
.pt-card tr {border: none !important}
.pt-card td {border: none !important; border-bottom: 1px solid var(--border-color-primary) !important;
  padding: 4px 16px 4px 0 !important; background: none !important}
.pt-card td:first-child {color: var(--body-text-color-subdued); white-space: nowrap}
.pt-ready {font-weight: 600; color: #1d6b3a; font-size: 1.05em}
.pt-card .pt-warn {color: #a15c00} .pt-card .pt-ok {color: #1d6b3a}
#landing-demo-btn, #demo-btn {font-size: 1.1em; min-height: 52px}
.pt-progress {height: 12px; background: #eee; border-radius: 6px; overflow: hidden; margin: 4px 0 8px}
.pt-progress > div {height: 100%; transition: width .6s}
table.pt-compare {width: 100%; border-collapse: collapse; font-size: 0.95em; table-layout: fixed;
  overflow-wrap: anywhere}
table.pt-compare td, table.pt-compare th {border: 1px solid #ddd; padding: 6px 8px; vertical-align: top; text-align: left}
table.pt-compare td:first-child, table.pt-compare th:first-child {width: 22%}
table.pt-compare tr.pt-same td {color: #777}
table.pt-compare mark {background: #ffe08a; padding: 0 1px}
table.pt-table {width: 100%; border-collapse: collapse; font-size: 0.92em}
table.pt-table td, table.pt-table th {border: 1px solid #ddd; padding: 5px 8px; vertical-align: top; text-align: left}
table.pt-table td:first-child {white-space: nowrap; width: 1%}
table.pt-table td.pt-hit {background: #dff3e4}
.pt-kind {font-size: 0.75em; color: #888; text-transform: uppercase}
.pt-answer {font-size: 0.8em; color: #666}
.pt-marks {margin-top: 4px}
.pt-marks span {display: inline-block; font-size: 0.8em; border-radius: 4px; padding: 0 5px; margin: 2px 4px 0 0}
.pt-marks .pt-ok {background: #dff3e4; color: #1d6b3a} .pt-marks .pt-bad {background: #fde2dc; color: #a12b14}
.pt-marks .pt-info {background: #e8eefb; color: #2c4a8a}
.pt-ballot-q {font-weight: 600; margin: 4px 0 8px; font-size: 1.05em}
.pt-ballot-pair {display: grid; grid-template-columns: 1fr 1fr; gap: 12px}
.pt-ballot-side {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
  overflow-wrap: anywhere}
.pt-ballot-label {font-weight: 700; color: #2c4a8a; margin-bottom: 4px}
.pt-ballot-done {padding: 8px 0; color: #1d6b3a; font-weight: 600}
.pt-alarms {background: #fde2dc; border-left: 4px solid #c0392b; padding: 6px 10px; margin: 6px 0; color: #7a1d0d}
"""
