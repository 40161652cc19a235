"""A run's receipt as one self-contained HTML file: alarms, scores, charts, probe timeline, before/after.

`receipt_html(run)` is a pure function of `runs.read_run(path)`: it opens in any browser offline
(plotly.js is embedded once) and can be mailed or attached to a model card.
"""

from __future__ import annotations

import html
import json

from .. import methods
from ..bilingual import pick, pick_one
from . import inspectors, views
from .text import t

_STYLE = """
body {font-family: system-ui, sans-serif; max-width: 1100px; margin: 24px auto; padding: 0 16px; color: #222}
h1 {font-size: 1.5em; margin-bottom: 0} h2 {font-size: 1.15em; margin-top: 28px; border-bottom: 1px solid #ddd}
.pt-sub {color: #666; margin-top: 4px} dl {display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px}
dt {color: #666} dd {margin: 0; font-family: ui-monospace, monospace; font-size: .92em; overflow-wrap: anywhere}
"""


def _facts(items: dict) -> str:
    return "<dl>" + "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))}</dd>"
                            for k, v in items.items() if v not in (None, "", [], {})) + "</dl>"


def _h(key: str, lang: str) -> str:
    return f"<h2>{html.escape(t(key, lang))}</h2>"


def receipt_html(run: dict, lang: str = "en") -> str:
    """The whole run on one page; sections with nothing in them (a run killed early) are left out."""
    cfg, status, scores = run.get("config") or {}, run.get("status") or {}, run.get("scores") or {}
    method = cfg.get("method", "?")
    name = (cfg.get("identity") or {}).get("name")
    title = f"{method.upper()} · {status.get('status', '?')} · {cfg.get('model') or '?'}"
    parts = [f"<h1>posttrain receipt: {html.escape(title)}</h1>",
             f'<p class="pt-sub">{html.escape(run.get("path", ""))}</p>']
    if scores.get("alarms"):  # first, so a run whose figures say it failed never reads as a success
        parts += [_h("receipt.alarms", lang),
                  '<div class="pt-alarms">' + "<br>".join(f"⚠ {html.escape(a)}" for a in pick(scores, "alarms", lang)) + "</div>"]
    table = views.score_rows(scores, lang)
    if table:
        headers = [t(f"score.{k}", lang) for k in ("header", "before", "after", "questions")]
        parts += [_h("receipt.scores", lang), views.table_html(headers, table, "pt-table pt-scores")]
    if status.get("error") or status.get("notes"):
        parts += [_h("receipt.notes", lang), _facts({"error": pick_one(status, "error", lang), "notes": pick(status, "notes", lang)})]
    metrics = run.get("metrics") or []
    if metrics:
        fig = methods.figure(method, metrics, lang)
        parts += [_h("receipt.charts", lang),
                  fig.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False})]
    if run.get("token_rewards"):
        parts += [_h("tokens.heading", lang), inspectors.token_rewards_html(run["token_rewards"], lang)]
    if run.get("groups"):
        parts += [_h("train.group", lang), inspectors.group_html(run["groups"], metrics, lang)]
    if run.get("probes"):
        parts += [_h("receipt.probes", lang), views.probes_html(run["probes"], name, lang)]
    if run.get("before_after"):
        parts += [_h("receipt.compare", lang), views.side_by_side_html(run["before_after"], lang)]
    settings = cfg.get("settings") or {}
    parts += [_h("receipt.config", lang), _facts({k: v for k, v in cfg.items() if k != "settings"}), _facts(settings)]
    if status.get("phase_times"):
        parts += [_h("receipt.times", lang), _facts(status["phase_times"])]
    return (f'<!doctype html><html lang="{"zh" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>posttrain · {html.escape(title)}</title><style>{_STYLE}{views.CSS}</style></head>"
            f"<body>{''.join(parts)}</body></html>")
