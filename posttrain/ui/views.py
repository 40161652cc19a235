"""Plain data → what a panel shows (Markdown or HTML strings); pure, so it is tested without a browser.

The Gradio wiring in `app.py` hands these the dicts that `posttrain.studio` returns: the model
card, a job view (status, step, total, ETA, phase), before/after rows and scores, the runs list.
"""

from __future__ import annotations

import html

from ..compare import word_diff
from .text import t


def card_md(card: dict, lang: str = "en") -> str:
    """The Model tab's card: source, parameters, device, dtype, memory, and whether a run trained it."""
    if not card:
        return t("model.none", lang)
    state = t("card.trained", lang, run=card["trained_by"].rsplit("/", 1)[-1]) if card.get("trained_by") \
        else t("card.as_loaded", lang)
    rows = [("source", card["source"]), ("parameters", f"{card['parameters_h']} ({card['parameters']:,})"),
            ("device", card["device"]), ("dtype", card["dtype"]), ("memory", f"{card['memory_mb']:,.0f} MB"),
            ("load", f"{card['load_s']:.2f} s"), ("state", state)]
    return "| | |\n|---|---|\n" + "\n".join(f"| {t('card.' + k, lang)} | {v} |" for k, v in rows)


def status_md(view: dict | None, lang: str = "en") -> str:
    """One line on the current job: kind, status, phase, step / total, ETA; or how it ended."""
    if not view:
        return t("train.idle", lang)
    parts = [t("status.line", lang, kind=view["kind"].upper(), status=t("status." + view["status"], lang),
               phase=t("phase." + view["phase"], lang) if ("phase." + view["phase"]) in _PHASES else view["phase"])]
    if view.get("total"):
        parts.append(t("status.step", lang, step=view["step"], total=view["total"]))
    if view["status"] in ("running", "stopping") and view.get("eta_s") is not None:
        parts.append(t("status.eta", lang, eta=round(view["eta_s"])))
    parts.append(t("status.elapsed", lang, elapsed=round(view.get("elapsed_s") or 0)))
    line = " · ".join(parts)
    line += "".join(f"\n\n⚠ {note}" for note in view.get("notes") or [])
    if view["status"] == "failed":
        line += "\n\n" + t("status.error", lang, error=view.get("error") or "?")
    elif view["status"] in ("done", "stopped") and view["phase"] == "finished":
        line += "\n\n" + t("status.finished", lang)
    return line


_PHASES = {"phase.starting", "phase.load", "phase.data", "phase.before", "phase.train", "phase.after",
           "phase.save", "phase.finished"}


def progress_html(view: dict | None) -> str:
    """A progress bar for step / total (full when the job is over, striped while it runs)."""
    if not view:
        return ""
    total, step = view.get("total") or 0, view.get("step") or 0
    done = view["status"] not in ("running", "stopping")
    share = 1.0 if done and view["status"] == "done" else (step / total if total else 0.0)
    color = {"failed": "#e76f51", "stopped": "#e9c46a"}.get(view["status"], "#2a9d8f")
    return (f'<div class="pt-progress" role="progressbar" aria-valuenow="{step}" aria-valuemax="{total}">'
            f'<div style="width:{share * 100:.1f}%;background:{color}"></div></div>')


def _pct(x) -> str:
    return "–" if x is None else f"{x:.0%}"


def scores_md(scores: dict | None, lang: str = "en") -> str:
    """The identity scores (success, leak, unchanged), the arithmetic ones, or just the changed share."""
    if not scores:
        return ""
    parts = []
    if scores.get("success") is not None or scores.get("unchanged") is not None:
        parts.append(t("compare.scores", lang, **{k: _pct(scores.get(k)) for k in ("success", "leak", "unchanged")}))
    if "boxed_before" in scores:
        parts.append(t("compare.arith", lang, **{k: _pct(scores.get(k)) for k in
                                                 ("boxed_before", "boxed_after", "accuracy_before", "accuracy_after")}))
    if scores.get("changed") is not None:
        parts.append(t("compare.changed", lang, changed=_pct(scores["changed"])))
    return "\n\n".join(parts)


def side_by_side_html(rows: list[dict], lang: str = "en") -> str:
    """Before and after in two columns, one question per row, new words in the after column marked.

    >>> "<mark>Nova.</mark>" in side_by_side_html([{"question": "Who?", "kind": "identity",
    ...                                              "before": "I am Bob.", "after": "I am Nova."}])
    True
    """
    if not rows:
        return ""
    head = (f"<tr><th>{t('compare.question', lang)}</th><th>{t('compare.before', lang)}</th>"
            f"<th>{t('compare.after', lang)}</th></tr>")
    body = []
    for r in rows:
        after = "".join(f"<mark>{html.escape(p)}</mark>" if label else html.escape(p)
                        for p, label in word_diff(r["before"], r["after"]))
        same = ' class="pt-same"' if r["before"] == r["after"] else ""
        kind = f'<div class="pt-kind">{html.escape(r.get("kind", ""))}</div>' if r.get("kind") else ""
        body.append(f"<tr{same}><td>{kind}{html.escape(r['question'])}</td><td>{html.escape(r['before'])}</td>"
                    f"<td>{after}</td></tr>")
    return f'<table class="pt-compare">{head}{"".join(body)}</table>'


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


def run_choices(runs: list[dict]) -> list[tuple[str, str]]:
    """(label, path) pairs for the Runs tab's dropdown, newest first."""
    out = []
    for r in runs:
        s = r.get("scores") or {}
        score = f" · success {s['success']:.0%}" if isinstance(s.get("success"), (int, float)) else \
            f" · boxed {s['boxed_after']:.0%}" if isinstance(s.get("boxed_after"), (int, float)) else ""
        out.append((f"{r['name']} · {r['method'].upper()} · {r['status']}{score}", r["path"]))
    return out


CSS = """
.pt-progress {height: 12px; background: #eee; border-radius: 6px; overflow: hidden; margin: 4px 0 8px}
.pt-progress > div {height: 100%; transition: width .6s}
table.pt-compare {width: 100%; border-collapse: collapse; font-size: 0.95em}
table.pt-compare td, table.pt-compare th {border: 1px solid #ddd; padding: 6px 8px; vertical-align: top; text-align: left}
table.pt-compare td:first-child {width: 22%}
table.pt-compare tr.pt-same td {color: #777}
table.pt-compare mark {background: #ffe08a; padding: 0 1px}
table.pt-table {width: 100%; border-collapse: collapse; font-size: 0.92em}
table.pt-table td, table.pt-table th {border: 1px solid #ddd; padding: 5px 8px; vertical-align: top; text-align: left}
table.pt-table td:first-child {white-space: nowrap; width: 1%}
table.pt-table td.pt-hit {background: #dff3e4}
.pt-kind {font-size: 0.75em; color: #888; text-transform: uppercase}
"""
