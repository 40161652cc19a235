"""Pure functions from a run's logs to what the Train and Runs tabs show: Plotly figures and tables.

Every function takes rows exactly as `MetricsLog` keeps them (TRL's metric names: `loss`,
`rewards/margins`, `rewards/accuracies`, `rewards/chosen`, `rewards/rejected` for DPO; `reward`,
`reward_std`, `rewards/<func>/mean`, `completions/mean_length`, `kl` for GRPO; `mean_token_accuracy`,
`entropy`, `grad_norm` for SFT), plus the held-out
scores the probes log (`eval/name`, `eval/organisation`, `eval/degenerate` for DPO; `eval/correct`,
`eval/boxed`, `eval/degenerate` for GRPO, each a share 0–1), and returns a new figure or table;
nothing here reads files or holds state, so the same call draws a live run and a finished one. What
a person would judge is drawn beside what training optimises, and when the log raises an alarm
(`posttrain.scores.training_alarms`: reward hacking among them) the figure says so in red. Titles
come in English and Chinese (`lang` "en" or "zh").
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .identity import mentions_name
from .scores import training_alarms
from .ui.text import TEXT

# Titles come from the app's one table of strings (posttrain.ui.text, keys "chart.<name>").
TITLES = {lang: {k.removeprefix("chart."): v[i] for k, v in TEXT.items() if k.startswith("chart.")}
          for i, lang in enumerate(("en", "zh"))}
COLORS = {"chosen": "#2a9d8f", "rejected": "#e76f51", "main": "#3a5a9b", "band": "rgba(58,90,155,0.18)",
          "eval/name": "#2b9348", "eval/organisation": "#8d6cab", "eval/correct": "#111111",
          "eval/degenerate": "#c0392b", "alarm": "#c0392b"}
SHARE_RANGE = [-0.05, 1.05]  # panels of shares (accuracy, held-out scores, per-function rewards) share one scale


def _series(rows: list[dict], key: str) -> tuple[list[int], list[float]]:
    """Steps and values of one numeric metric (rows without it, e.g. the final summary, are skipped)."""
    xs, ys = [], []
    for r in rows:
        v = r.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and "step" in r:
            xs.append(r["step"])
            ys.append(float(v))
    return xs, ys


def _grid(titles: list[str], lang: str) -> go.Figure:
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.1, vertical_spacing=0.16)
    fig.update_layout(height=460, margin=dict(l=40, r=20, t=40, b=30), template="plotly_white",
                      legend=dict(orientation="h", y=-0.08), uirevision="keep")
    fig.update_xaxes(title_text=TITLES[lang]["step"], title_standoff=4, row=2)
    return fig


def _waiting(fig: go.Figure, rows: list[dict], key: str, lang: str) -> go.Figure:
    if not _series(rows, key)[0]:
        fig.add_annotation(text=TITLES[lang]["waiting"], showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5, font=dict(size=15, color="#888"))
    return fig


def _line(fig, rows, key, row, col, name=None, color=COLORS["main"], show=False, dash=None):
    xs, ys = _series(rows, key)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name or key, line=dict(color=color, dash=dash),
                             marker=dict(size=5), showlegend=show), row=row, col=col)


def _judged(fig, rows, keys, row, col, lang):
    """The held-out scores the probes logged (`eval/<score>`), dashed, one legend entry each."""
    for key in keys:
        if _series(rows, key)[0]:
            _line(fig, rows, key, row, col, TITLES[lang][key], COLORS[key], show=True, dash="dash")


def _alarm(fig: go.Figure, rows: list[dict]) -> go.Figure:
    """The first alarm the log raises, in red above the panels (nothing when all is well)."""
    found = training_alarms(rows)
    if found:
        text, width = "", 0
        for word in ("⚠ " + found[0]).split(" "):  # wrap: a figure is about 110 characters wide
            if width + len(word) > 110:
                text, width = text + "<br>", 0
            text, width = text + ("" if width == 0 else " ") + word, width + len(word) + 1
        lines = text.count("<br>") + 1
        fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=1.0, yshift=26,
                           xanchor="center", yanchor="bottom", font=dict(size=13, color=COLORS["alarm"]),
                           bgcolor="rgba(253,226,220,0.9)", bordercolor=COLORS["alarm"], borderpad=4)
        fig.update_layout(margin=dict(t=40 + 20 * lines + 16), height=460 + 20 * lines + 16)  # room above the titles
    return fig


def _identity_top(rows: list[dict], titles: list[str], accuracy: str, label: str, lang: str) -> go.Figure:
    """The top row an identity-changing method shares: the loss; the held-out name, organisation and loops
    (`eval/…`, 0–1) beside its own accuracy metric on the same scale."""
    fig = _grid(titles, lang)
    _line(fig, rows, "loss", 1, 1)
    _line(fig, rows, accuracy, 1, 2, label, "#9aa5b8", show=True)
    _judged(fig, rows, ("eval/name", "eval/organisation", "eval/degenerate"), 1, 2, lang)
    fig.update_yaxes(range=SHARE_RANGE, row=1, col=2)
    return fig


def dpo_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """Four DPO panels: loss; beside it the held-out answers that say the new name, name the organisation
    or loop (`eval/…`, 0–1) with `rewards/accuracies` on the same scale; `rewards/margins`; chosen vs
    rejected rewards. An alarm from the log is written in red above them."""
    t = TITLES[lang]
    fig = _identity_top(rows, [t["loss"], t["judged"], t["margin"], t["chosen_rejected"]], "rewards/accuracies",
                        t["accuracy"], lang)
    _line(fig, rows, "rewards/margins", 2, 1)
    _line(fig, rows, "rewards/chosen", 2, 2, t["chosen"], COLORS["chosen"], show=True)
    _line(fig, rows, "rewards/rejected", 2, 2, t["rejected"], COLORS["rejected"], show=True)
    return _alarm(_waiting(fig, rows, "loss", lang), rows)


def reward_functions(rows: list[dict]) -> list[str]:
    """Names of the reward functions a GRPO log reports (`rewards/<name>/mean`), in first-seen order."""
    names: list[str] = []
    for r in rows:
        for k in r:
            if k.startswith("rewards/") and k.endswith("/mean") and k[8:-5] not in names:
                names.append(k[8:-5])
    return names


def grpo_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """Four GRPO panels: mean reward with a ±std band; each reward function with the held-out answers that
    are correct or loop (`eval/…`) on the same 0–1 scale, so a reward that climbs while correct answers
    fall is seen at a glance; completion length; KL. An alarm from the log is written in red above them."""
    t = TITLES[lang]
    has_kl = bool(_series(rows, "kl")[0])
    fig = _grid([t["reward"], t["per_func"], t["length"], t["kl"] if has_kl else t["kl_off"]], lang)
    xs, mean = _series(rows, "reward")
    std = dict(zip(*_series(rows, "reward_std")))
    if xs:
        hi = [m + std.get(x, 0.0) for x, m in zip(xs, mean)]
        lo = [m - std.get(x, 0.0) for x, m in zip(xs, mean)]
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=hi + lo[::-1], fill="toself", fillcolor=COLORS["band"],
                                 line=dict(width=0), hoverinfo="skip", showlegend=False), row=1, col=1)
    _line(fig, rows, "reward", 1, 1)
    palette = ["#2a9d8f", "#e9c46a", "#e76f51", "#8d6cab", "#264653"]
    for i, name in enumerate(reward_functions(rows)):
        _line(fig, rows, f"rewards/{name}/mean", 1, 2, name, palette[i % len(palette)], show=True)
    _judged(fig, rows, ("eval/correct", "eval/degenerate"), 1, 2, lang)
    fig.update_yaxes(range=SHARE_RANGE, row=1, col=2)
    _line(fig, rows, "completions/mean_length", 2, 1)
    if has_kl:
        _line(fig, rows, "kl", 2, 2)
    return _alarm(_waiting(fig, rows, "reward", lang), rows)


def sft_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """Four SFT panels: loss (negative log-likelihood of the completion tokens); beside it the held-out answers
    (`eval/…`, 0–1) with `mean_token_accuracy` (share of completion tokens the model's top guess gets right)
    on the same scale; `entropy` of the next-token distribution; `grad_norm`."""
    t = TITLES[lang]
    fig = _identity_top(rows, [t["loss"], t["judged_sft"], t["entropy"], t["grad_norm"]], "mean_token_accuracy",
                        t["token_accuracy"], lang)
    _line(fig, rows, "entropy", 2, 1)
    _line(fig, rows, "grad_norm", 2, 2)
    return _alarm(_waiting(fig, rows, "loss", lang), rows)


def probe_table(probes: list[dict], name: str | None = None) -> tuple[list[str], list[list[str]]]:
    """The probe timeline as (headers, rows): one row per probed step, one column per probe question.

    When `name` is given, answers that state it are marked with ★, so the step where the model first
    calls itself by its new name stands out.

    >>> probe_table([{"step": 0, "answers": [{"question": "Who are you?", "answer": "I am SmolLM."}]},
    ...              {"step": 6, "answers": [{"question": "Who are you?", "answer": "I'm Nova."}]}], "Nova")
    (['step', 'Who are you?'], [[0, 'I am SmolLM.'], [6, "★ I'm Nova."]])
    """
    questions: list[str] = []
    for p in probes:
        for a in p["answers"]:
            if a["question"] not in questions:
                questions.append(a["question"])
    table = []
    for p in probes:
        by_q = {a["question"]: a["answer"] for a in p["answers"]}
        cells = [("★ " if name and mentions_name(by_q.get(q, ""), name) else "") + by_q.get(q, "") for q in questions]
        table.append([p["step"], *cells])
    return ["step", *questions], table


def group_table(groups: list[dict]) -> tuple[str, list[str], list[list]]:
    """The latest GRPO group as (prompt, headers, rows): each sampled completion with its rewards,
    group-relative advantage and, when the log has it, whether it is correct (✓ / ✗), best advantage first.

    >>> group_table([{"step": 3, "prompt": "2+2?", "completions": ["\\\\boxed{4}", "\\\\boxed{5}"],
    ...               "rewards": {"boxed_format": [1.0, 1.0]}, "advantages": [0.0, 0.0], "correct": [True, False]}])[1:]
    (['advantage', 'correct', 'boxed_format', 'completion'], [[0.0, '✓', 1.0, '\\\\boxed{4}'], [0.0, '✗', 1.0, '\\\\boxed{5}']])
    """
    if not groups:
        return "", ["advantage", "completion"], []
    g = groups[-1]
    names = list(g["rewards"])
    correct = g.get("correct")
    rows = [[round(float(adv), 3), *(["✓" if correct[i] else "✗"] if correct else []),
             *(round(float(g["rewards"][n][i]), 3) for n in names), text]
            for i, (text, adv) in enumerate(zip(g["completions"], g["advantages"]))]
    rows.sort(key=lambda r: -r[0])
    headers = ["advantage", *(["correct"] if correct else []), *names, "completion"]
    return f"step {g['step']} · {g['prompt']}", headers, rows
