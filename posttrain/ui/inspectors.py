"""The two inspectors under the charts, as HTML strings (pure, tested without a browser).

- `token_rewards_html`: DPO's implicit reward per token (`token_rewards.jsonl`, posttrain.watch) as
  coloured text: green where training made a token likelier than the reference did, red where it made it
  less likely, the value on hover, and the tokens that carry most of the preference named in words.
- `group_html`: GRPO's latest group (`groups.jsonl`): each completion with its advantage as a bar, whether
  it is right, and its reward from each function; a group whose rewards do not differ is flagged (no
  learning signal), and so are wrong answers pushed up and the run's reward-hacking alarm.
"""

from __future__ import annotations

import html

from ..bilingual import in_lang
from ..charts import group_table
from ..scores import training_alarms
from .text import t

GREEN, RED = (42, 157, 143), (231, 111, 81)
TOP = 3  # tokens named as carrying the most of each side


def _colour(value: float, scale: float) -> str:
    r, g, b = GREEN if value >= 0 else RED
    return f"rgba({r},{g},{b},{min(1.0, abs(value) / scale) * 0.85:.2f})"


def _tokens(tokens: list[list], scale: float) -> str:
    return "".join(f'<span title="{v:+.3f}" style="background:{_colour(v, scale)};border-radius:3px">'
                   f"{html.escape(text)}</span>" for text, v in tokens)


def _carriers(tokens: list[list], sign: int) -> str:
    """The TOP tokens with the largest values of `sign`, as `"Nova" +0.36`."""
    picked = sorted((x for x in tokens if x[0].strip() and sign * x[1] > 0), key=lambda x: -sign * x[1])[:TOP]
    return ", ".join(f"“{html.escape(text.strip())}” {v:+.2f}" for text, v in picked) or "—"


def token_rewards_html(rows: list[dict], lang: str = "en") -> str:
    """The latest row of a token-rewards log as coloured chosen and rejected answers ("" with no rows).

    >>> "Nova" in token_rewards_html([{"step": 2, "prompt": "Who are you?", "chosen": [["I'm", 0.1], [" Nova", 0.9]],
    ...                                "rejected": [["I'm", -0.1], [" Smol", -0.8]]}])
    True
    """
    if not rows:
        return ""
    row = rows[-1]
    values = [abs(v) for side in ("chosen", "rejected") for _, v in row[side]]
    scale = max([0.05, *values])  # a faint colour for tiny values, full colour for the largest
    parts = [f'<div class="pt-tokens"><p><b>{html.escape(t("tokens.title", lang, step=row["step"]))}</b> · '
             f'{html.escape(t("tokens.prompt", lang, prompt=row["prompt"]))}</p>']
    for side, sign in (("chosen", 1), ("rejected", -1)):
        total = sum(v for _, v in row[side])
        parts.append(f'<p><b>{html.escape(t("chart." + side, lang))}</b> (Σ {total:+.2f}): '
                     f'<span style="white-space:pre-wrap;line-height:1.9">{_tokens(row[side], scale)}</span><br>'
                     f'<small>{t("tokens.carried_" + side, lang, tokens=_carriers(row[side], sign))}</small></p>')
    parts.append(f'<p><small>{html.escape(t("tokens.caption", lang))}</small></p></div>')
    return "".join(parts)


def group_flags(group: dict) -> dict:
    """What a GRPO group teaches: `no_spread` (every advantage is 0: the weighted rewards did not differ, so
    the group changes nothing) and `pushed_wrong` (completions judged wrong that got a positive advantage).

    >>> group_flags({"rewards": {"f": [1.0, 1.0]}, "advantages": [0.0, 0.0], "correct": [True, False]})
    {'no_spread': True, 'pushed_wrong': 0}
    """
    correct = group.get("correct") or [None] * len(group["advantages"])
    return {"no_spread": all(abs(a) < 1e-6 for a in group["advantages"]),
            "pushed_wrong": sum(1 for a, c in zip(group["advantages"], correct) if c is False and a > 0)}


def _bar(advantage: float, scale: float) -> str:
    """A bar from the middle: right and green for a positive advantage, left and red for a negative one."""
    width = min(50.0, 50.0 * abs(advantage) / scale)
    colour = "rgb(%d,%d,%d)" % (GREEN if advantage >= 0 else RED)
    left = 50.0 if advantage >= 0 else 50.0 - width
    return (f'<div style="position:relative;width:120px;height:12px;background:#f2f2f2;border-radius:3px">'
            f'<div style="position:absolute;left:50%;top:0;bottom:0;width:1px;background:#999"></div>'
            f'<div style="position:absolute;left:{left:.1f}%;width:{width:.1f}%;top:1px;bottom:1px;'
            f'background:{colour};border-radius:2px"></div></div><small>{advantage:+.2f}</small>')


def group_html(groups: list[dict], metrics: list[dict] | None = None, lang: str = "en") -> str:
    """The latest group as a table (advantage bar, right or wrong, each reward, the completion), with its
    flags and the run's training alarm above it ("" with no groups)."""
    if not groups:
        return ""
    flags = group_flags(groups[-1])
    prompt, headers, rows = group_table(groups)
    notes = [f'<p style="color:#c0392b">⚠ {html.escape(in_lang(a, lang))}</p>' for a in training_alarms(metrics or [])[:1]]
    if flags["no_spread"]:
        notes.append(f'<p style="color:#8a6d00">● {html.escape(t("group.no_spread", lang))}</p>')
    if flags["pushed_wrong"]:
        notes.append(f'<p style="color:#c0392b">⚠ {html.escape(t("group.pushed_wrong", lang, n=flags["pushed_wrong"]))}</p>')
    scale = max([1e-6, *(abs(r[0]) for r in rows)])
    names = {"advantage": t("group.advantage", lang), "correct": t("group.correct", lang),
             "completion": t("group.completion", lang)}
    head = "".join(f"<th>{html.escape(names.get(h, h))}</th>" for h in headers)
    body = []
    for r in rows:
        cells = [_bar(r[0], scale)] + [html.escape(str(c)) for c in r[1:-1]] + \
                [f'<span style="white-space:pre-wrap">{html.escape(r[-1])}</span>']
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f'<div class="pt-group"><p><i>{html.escape(prompt)}</i></p>{"".join(notes)}'
            f'<table class="pt-table"><tr>{head}</tr>{"".join(body)}</table>'
            f'<p><small>{html.escape(t("group.caption", lang))}</small></p></div>')
