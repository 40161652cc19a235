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

import re

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from .bilingual import in_lang
from .identity import mentions_name
from .scores import training_alarms
from .ui.text import TEXT, t

# Titles come from the app's one table of strings (posttrain.ui.text, keys "chart.<name>").
TITLES = {lang: {k.removeprefix("chart."): v[i] for k, v in TEXT.items() if k.startswith("chart.")}
          for i, lang in enumerate(("en", "zh"))}
COLORS = {"chosen": "#2a9d8f", "rejected": "#e76f51", "main": "#3a5a9b", "band": "rgba(58,90,155,0.18)",
          "eval/name": "#2b9348", "eval/organisation": "#8d6cab", "eval/correct": "#111111",
          "eval/degenerate": "#c0392b", "alarm": "#c0392b"}
RUN_COLORS = ("#3a5a9b", "#e76f51", "#2a9d8f", "#e9c46a", "#8d6cab", "#264653")  # one per run, in the order picked
# Every figure's one style (the Train and Runs tabs, the overlay, the receipt): plotly_white with the app's
# fonts, type large enough to read from the back of a room, and a hover that lists every series at that step.
TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.update(font=dict(family="ui-sans-serif, system-ui, Segoe UI, Helvetica, Arial, sans-serif", size=13,
                                 color="#222"),
                       hovermode="x unified", hoverlabel=dict(font_size=13), colorway=RUN_COLORS,
                       legend=dict(font=dict(size=12)))
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


def _columns(text: str) -> int:
    """Columns `text` takes: a CJK character two, anything else one."""
    return sum(2 if "\u3000" <= ch <= "\uffef" else 1 for ch in text)


def _wrap(text: str, width: int) -> str:
    """`text` broken into lines of about `width` columns with <br> (a CJK character takes two columns):
    Plotly does not wrap annotations."""
    lines, line, cols = [], "", 0
    for word in re.findall(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+\s*|\s+", text):
        w = _columns(word.rstrip())
        if cols + w > width and line.strip():
            lines.append(line.rstrip())
            line, cols = "", 0
        line, cols = line + word, cols + len(word) - len(word.rstrip()) + w
    return "<br>".join([*lines, line.rstrip()]) if line.strip() else "<br>".join(lines)


def _grid(titles: list[str], panel: int, gap: int) -> tuple[go.Figure, int]:
    """Subplots two to a row, an odd last one spanning its row, `panel` pixels high with `gap` between rows;
    returns the figure and the height of its plotting area (the margins are the caller's)."""
    n_rows = max(1, (len(titles) + 1) // 2)
    specs = [[{}, {}] for _ in range(n_rows)]
    if len(titles) % 2:
        specs[-1] = [{"colspan": 2}, None]
    area = n_rows * panel + (n_rows - 1) * gap
    fig = make_subplots(rows=n_rows, cols=2, specs=specs, horizontal_spacing=0.1,
                        vertical_spacing=gap / area if n_rows > 1 else 0.0, subplot_titles=titles or None)
    return fig, area


def _cell(i: int) -> tuple[int, int]:
    """(row, col) of the i-th panel (from 0) in a `_grid`."""
    return i // 2 + 1, i % 2 + 1


def _legend(i: int) -> str:
    """The legend of the i-th panel (from 1): Plotly names them legend, legend2, legend3, …"""
    return "legend" if i == 1 else f"legend{i}"


class _Panels:
    """A grid of panels, two to a row (an odd last one spans the row). Each panel says what it is: its title and
    the formula it plots above it, axis labels, and under its axis its own legend then a caption; texts come from
    TITLES under the panel's key (`<key>`, `<key>.formula`, `<key>.caption`, `<key>.y`). Nothing sits on the lines:
    `done` lays the rows out in pixels, each row as far below the one above as that row's legends and captions and
    the next row's titles need (a five-line caption ran into the next title, a legend in a corner covered the lines
    that end at 1)."""

    PANEL, TOP = 190, 74  # pixels: a plot area's height; above the first row's titles
    AXIS, LEGEND_ROW, CAPTION_LINE, TITLE, FORMULA, SPACE = 40, 20, 16, 24, 20, 10  # pixels, for the layout in `done`
    WIDTH = 1100  # pixels across the panels, about what the Train tab gives them: legends are packed to it

    def __init__(self, keys: list[str], lang: str):
        self.keys, self.lang, self.t = keys, lang, TITLES[lang]
        self.fig, _ = _grid([self.title(k) for k in keys], self.PANEL, 0)
        self.fig.update_layout(template=TEMPLATE, uirevision="keep", showlegend=True)
        self.fig.update_annotations(font=dict(size=13))
        self.names: dict[int, list[str]] = {}  # panel → its legend's entries
        self.notes: list[str] = []
        for i, key in enumerate(keys, start=1):
            row, col = _cell(i - 1)
            self.fig.update_xaxes(title_text=self.t["step"], title_standoff=2, row=row, col=col)
            self.fig.update_yaxes(title_text=self.t.get(f"{key}.y", ""), title_standoff=2, row=row, col=col)

    def title(self, key: str) -> str:
        formula = self.t.get(f"{key}.formula")
        return f"{self.t[key]}<br><span style='font-size:12px;color:#555'>{formula}</span>" if formula else self.t[key]

    def cell(self, key: str) -> tuple[int, int]:
        return _cell(self.keys.index(key))

    def domain(self, i: int, axis: str) -> tuple[float, float]:
        return tuple(self.fig.layout[f"{axis}axis{'' if i == 1 else i}"].domain)

    def line(self, key: str, rows: list[dict], metric: str, name: str | None = None, color: str = COLORS["main"],
             legend: bool = False, dash: str | None = None) -> None:
        """One metric against the step in panel `key`; `legend`: named in the panel's own legend."""
        xs, ys = _series(rows, metric)
        i = self.keys.index(key) + 1
        self.fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name or metric, showlegend=legend,
                                      line=dict(color=color, dash=dash), marker=dict(size=5),
                                      legend=_legend(i)), *self.cell(key))
        if legend:
            self.names.setdefault(i, []).append(name or metric)

    def shares(self, key: str) -> None:
        """Panel `key` holds shares (0–1): every such panel has one scale."""
        self.fig.update_yaxes(range=SHARE_RANGE, row=self.cell(key)[0], col=self.cell(key)[1])

    def note(self, text: str) -> None:
        """One line under every panel."""
        self.notes.append(text)

    def caption(self, i: int) -> str:
        """Panel i's caption, wrapped to its width; "" when it has none."""
        x0, x1 = self.domain(i, "x")
        return _wrap(self.t.get(f"{self.keys[i - 1]}.caption", ""), int(138 * (x1 - x0)))

    def legend_rows(self, i: int) -> int:
        """How many rows panel i's legend takes under its axis: one when its entries fit across the panel, else one
        an entry (0: no legend)."""
        names = self.names.get(i, [])
        x0, x1 = self.domain(i, "x")
        across = sum(36 + 6.5 * _columns(n) for n in names)
        return 0 if not names else 1 if across <= self.WIDTH * (x1 - x0) else len(names)

    def layout(self) -> None:
        """Rows laid out from the top down, in pixels: each row's titles, its plot areas, then under each its axis,
        its legend and its caption; the notes under the last row."""
        n_rows, panels = (len(self.keys) + 1) // 2, range(1, len(self.keys) + 1)
        captions, legends = {i: self.caption(i) for i in panels}, {i: self.legend_rows(i) for i in panels}
        above, below = [0] * n_rows, [0] * n_rows
        for i, key in zip(panels, self.keys):
            r, caption = _cell(i - 1)[0] - 1, captions[i]
            lines = caption.count("<br>") + 1 if caption else 0
            below[r] = max(below[r], self.AXIS + self.LEGEND_ROW * legends[i] + 4 + self.CAPTION_LINE * lines)
            above[r] = max(above[r], self.TITLE + (self.FORMULA if f"{key}.formula" in self.t else 0))
        gaps = [below[r] + self.SPACE + above[r + 1] for r in range(n_rows - 1)]
        area = n_rows * self.PANEL + sum(gaps)
        bottom = below[-1] + self.SPACE + 20 * len(self.notes)
        self.fig.update_layout(height=self.TOP + area + bottom, margin=dict(l=56, r=20, t=self.TOP, b=bottom))
        tops = [r * self.PANEL + sum(gaps[:r]) for r in range(n_rows)]
        for i in panels:
            r = _cell(i - 1)[0] - 1
            y0, y1 = 1 - (tops[r] + self.PANEL) / area, 1 - tops[r] / area
            self.fig.layout[f"yaxis{'' if i == 1 else i}"].domain = (y0, y1)
            self.fig.layout.annotations[i - 1].y = y1  # make_subplots' titles come first, one per panel in order
            (x0, x1), rows = self.domain(i, "x"), legends[i]
            if rows:
                self.fig.update_layout({_legend(i): dict(
                    x=(x0 + x1) / 2, y=y0 - self.AXIS / area, xanchor="center", yanchor="top",
                    orientation="h" if rows == 1 else "v", bgcolor="rgba(0,0,0,0)", font=dict(size=11))})
            if captions[i]:
                self.fig.add_annotation(name="caption", text=captions[i], showarrow=False, xref="paper",
                                        yref="paper", x=(x0 + x1) / 2, y=y0,
                                        yshift=-(self.AXIS + self.LEGEND_ROW * rows + 4), xanchor="center",
                                        yanchor="top", align="left", font=dict(size=12, color="#444"))
        for k, text in enumerate(self.notes):
            self.fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0,
                                    yshift=-(below[-1] + self.SPACE + 20 * k), xanchor="center", yanchor="top",
                                    font=dict(size=12, color="#333"))

    def done(self, rows: list[dict], needed: str) -> go.Figure:
        """The figure laid out (`layout`); a note while `needed` has no step yet; the first alarm the log raises
        (posttrain.scores.training_alarms), in red above the panels."""
        self.layout()
        if not _has(rows, needed):
            self.fig.add_annotation(text=self.t["waiting"], showarrow=False, xref="paper", yref="paper",
                                    x=0.5, y=0.5, font=dict(size=15, color="#888"))
        return _alarm(self.fig, rows, self.lang)


def _alarm(fig: go.Figure, rows: list[dict], lang: str = "en") -> go.Figure:
    """The first alarm the log raises, in red above the panels (nothing when all is well)."""
    found = training_alarms(rows)
    if found:
        text = _wrap("⚠ " + in_lang(found[0], lang), 110)  # a figure is about 110 characters wide
        lines = text.count("<br>") + 1
        fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=1.0,
                           yshift=_Panels.TOP - 30, xanchor="center", yanchor="bottom",
                           font=dict(size=13, color=COLORS["alarm"]),
                           bgcolor="rgba(253,226,220,0.9)", bordercolor=COLORS["alarm"], borderpad=4)
        extra = 20 * lines + 16  # room above the titles
        fig.update_layout(margin=dict(t=fig.layout.margin.t + extra), height=fig.layout.height + extra)
    return fig


def flip_step(rows: list[dict]) -> int | None:
    """The first step at which the new answer is likelier than the model's own (the flip curve's lines
    cross), when they started the other way round; None before that.

    >>> flip_step([{"step": 0, "probe/logp_new_name": -3.0, "probe/logp_old_name": -1.0},
    ...            {"step": 1, "probe/logp_new_name": -1.5, "probe/logp_old_name": -1.2},
    ...            {"step": 2, "probe/logp_new_name": -0.9, "probe/logp_old_name": -1.4}])
    2
    """
    new, old = dict(zip(*_series(rows, "probe/logp_new_name"))), dict(zip(*_series(rows, "probe/logp_old_name")))
    steps = sorted(set(new) & set(old))
    if not steps or new[steps[0]] > old[steps[0]]:
        return None
    return next((s for s in steps if new[s] > old[s]), None)


def _flip(p: _Panels, rows: list[dict]) -> None:
    """The identity flip curve: how likely the new answer and the model's own are, with the crossing marked."""
    p.line("flip", rows, "probe/logp_new_name", p.t["flip.new"], COLORS["chosen"], legend=True)
    p.line("flip", rows, "probe/logp_old_name", p.t["flip.old"], COLORS["rejected"], legend=True)
    step = flip_step(rows)
    if step is not None:
        r, c = p.cell("flip")
        p.fig.add_vline(x=step, line=dict(color="#555", dash="dot", width=1), row=r, col=c,
                        annotation_text=p.t["flip.at"].format(step=step), annotation_position="top left",
                        annotation_font=dict(size=11, color="#555"))


def _has(rows: list[dict], key: str) -> bool:
    return bool(_series(rows, key)[0])


def _identity_panels(rows: list[dict], keys: list[str], accuracy: str, label: str, lang: str) -> _Panels:
    """What an identity-changing method's figure shares: the loss first; beside it the held-out name,
    organisation and loops (`eval/…`, 0–1) with its own accuracy metric on the same scale; the flip curve
    at the bottom when the run logs it."""
    p = _Panels(keys + (["flip"] if _has(rows, "probe/logp_new_name") else []), lang)
    p.line(keys[0], rows, "loss", p.t["loss.total"], legend=True)
    if _has(rows, "eval_loss"):
        p.line(keys[0], rows, "eval_loss", p.t["loss.eval"], COLORS["main"], legend=True, dash="dot")
    p.line(keys[1], rows, accuracy, label, "#9aa5b8", legend=True)
    for key in ("eval/name", "eval/organisation", "eval/degenerate"):
        if _has(rows, key):
            p.line(keys[1], rows, key, p.t[key], COLORS[key], legend=True, dash="dash")
    p.shares(keys[1])
    if "flip" in p.keys:
        _flip(p, rows)
    return p


def dpo_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """DPO's panels: the loss, split into its preference and SFT terms (`loss/preference`, `loss/sft`, logged
    by posttrain.jobs); beside it the held-out answers that say the new name, name the organisation or loop
    (`eval/…`, 0–1) with `rewards/accuracies` on the same scale; `rewards/margins`; the chosen and rejected
    implicit rewards; the identity flip curve when logged. An alarm from the log is written in red above."""
    t = TITLES[lang]
    p = _identity_panels(rows, ["loss", "judged", "margin", "chosen_rejected"], "rewards/accuracies",
                         t["accuracy"], lang)
    if _has(rows, "loss/sft"):  # with no SFT term the loss is the preference term: one line says it
        p.line("loss", rows, "loss/preference", t["loss.preference"], COLORS["chosen"], legend=True, dash="dash")
        p.line("loss", rows, "loss/sft", t["loss.sft"], "#e9c46a", legend=True, dash="dash")
    if _has(rows, "eval_rewards/accuracies"):
        p.line("judged", rows, "eval_rewards/accuracies", t["accuracy.eval"], "#9aa5b8", legend=True, dash="dot")
    p.line("margin", rows, "rewards/margins", t["margin.train"], legend=_has(rows, "eval_rewards/margins"))
    if _has(rows, "eval_rewards/margins"):
        p.line("margin", rows, "eval_rewards/margins", t["margin.eval"], COLORS["main"], legend=True, dash="dot")
    p.line("chosen_rejected", rows, "rewards/chosen", t["chosen"], COLORS["chosen"], legend=True)
    p.line("chosen_rejected", rows, "rewards/rejected", t["rejected"], COLORS["rejected"], legend=True)
    return p.done(rows, "loss")


def reward_functions(rows: list[dict]) -> list[str]:
    """Names of the reward functions a GRPO log reports (`rewards/<name>/mean`), in first-seen order."""
    names: list[str] = []
    for r in rows:
        for k in r:
            if k.startswith("rewards/") and k.endswith("/mean") and k[8:-5] not in names:
                names.append(k[8:-5])
    return names


def grpo_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """GRPO's panels: mean reward with a ±std band; each reward function with the held-out answers that are
    correct or loop (`eval/…`) on the same 0–1 scale, so a reward that climbs while correct answers fall is
    seen at a glance; completion length; the share of groups whose rewards did not differ
    (`frac_reward_zero_std`: no learning signal); KL; first, when the run had one, its cold start's SFT loss
    (`cold_start/loss`). An alarm from the log is written in red above them."""
    has_kl, cold = _has(rows, "kl"), _has(rows, "cold_start/loss")
    p = _Panels((["cold_start"] if cold else []) + ["reward", "per_func", "length", "no_signal"] + (["kl"] if has_kl else []),
                lang)
    if cold:  # a cold start's SFT steps (posttrain.pipeline), its own step count, before RL's
        p.line("cold_start", rows, "cold_start/loss")
    xs, mean = _series(rows, "reward")
    std = dict(zip(*_series(rows, "reward_std")))
    if xs:
        hi = [m + std.get(x, 0.0) for x, m in zip(xs, mean)]
        lo = [m - std.get(x, 0.0) for x, m in zip(xs, mean)]
        p.fig.add_trace(go.Scatter(x=xs + xs[::-1], y=hi + lo[::-1], mode="lines", fill="toself", fillcolor=COLORS["band"],
                                   line=dict(width=0), hoverinfo="skip", showlegend=False), *p.cell("reward"))
    p.line("reward", rows, "reward")
    palette = ["#2a9d8f", "#e9c46a", "#e76f51", "#8d6cab", "#264653"]
    for i, name in enumerate(reward_functions(rows)):
        p.line("per_func", rows, f"rewards/{name}/mean", name, palette[i % len(palette)], legend=True)
    for key in ("eval/correct", "eval/degenerate"):
        if _has(rows, key):
            p.line("per_func", rows, key, p.t[key], COLORS[key], legend=True, dash="dash")
    p.shares("per_func")
    p.line("length", rows, "completions/mean_length")
    p.line("no_signal", rows, "frac_reward_zero_std")
    p.shares("no_signal")
    if has_kl:
        p.line("kl", rows, "kl")
    else:  # no panel to fill: one line under the others says so
        p.note(f"{p.t['kl_off']}: {p.t['kl_off.caption']}")
    return p.done(rows, "reward")


def reward_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """A reward model's panels (TRL's RewardTrainer log): the Bradley-Terry loss; pair accuracy, on training
    pairs and (dotted) on held-out ones; the margin r(chosen) − r(rejected); the lowest, mean and highest
    score in the batch."""
    t = TITLES[lang]
    p = _Panels(["rm_loss", "rm_accuracy", "rm_margin", "rm_scores"], lang)
    for key, metric in (("rm_loss", "loss"), ("rm_accuracy", "accuracy"), ("rm_margin", "margin")):
        p.line(key, rows, metric, t["train"], legend=_has(rows, f"eval_{metric}"))
        if _has(rows, f"eval_{metric}"):
            p.line(key, rows, f"eval_{metric}", t["held_out"], "#9aa5b8", legend=True, dash="dot")
    p.shares("rm_accuracy")
    for metric, color in (("max_reward", COLORS["chosen"]), ("mean_reward", COLORS["main"]), ("min_reward", COLORS["rejected"])):
        p.line("rm_scores", rows, metric, t[metric], color, legend=True)
    return p.done(rows, "loss")


def sft_figure(rows: list[dict], lang: str = "en") -> go.Figure:
    """SFT's panels: loss (negative log-likelihood of the completion tokens); beside it the held-out answers
    (`eval/…`, 0–1) with `mean_token_accuracy` (share of completion tokens the model's top guess gets right)
    on the same scale; `entropy` of the next-token distribution; `grad_norm`; the flip curve when logged."""
    t = TITLES[lang]
    p = _identity_panels(rows, ["loss_sft", "judged_sft", "entropy", "grad_norm"], "mean_token_accuracy",
                         t["token_accuracy"], lang)
    if _has(rows, "eval_mean_token_accuracy"):
        p.line("judged_sft", rows, "eval_mean_token_accuracy", t["token_accuracy.eval"], "#9aa5b8", legend=True,
               dash="dot")
    p.line("entropy", rows, "entropy")
    p.line("grad_norm", rows, "grad_norm")
    return p.done(rows, "loss")


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


# -- runs side by side (the Runs tab) ------------------------------------------------------------------------------
# What the Runs tab overlays, in this order, when every picked run logged it (TRL's names and the probes').
OVERLAY_METRICS = ("loss", "eval_loss", "rewards/margins", "rewards/accuracies", "eval_rewards/accuracies", "reward",
                   "mean_token_accuracy", "kl", "eval/name", "eval/organisation", "eval/correct", "eval/degenerate",
                   "probe/logp_new_name", "probe/logp_old_name")
OVERLAY_SHARES = {"rewards/accuracies", "eval_rewards/accuracies", "mean_token_accuracy", "eval/name",
                  "eval/organisation", "eval/correct", "eval/degenerate"}  # drawn on the 0–1 scale


def shared_metrics(runs: list[tuple[str, list[dict]]]) -> list[str]:
    """The metrics of OVERLAY_METRICS that every run logged at least once, in that order.

    >>> shared_metrics([("a", [{"step": 1, "loss": 0.7, "reward": 0.1}]), ("b", [{"step": 1, "loss": 0.6}])])
    ['loss']
    """
    return [k for k in OVERLAY_METRICS if runs and all(_has(rows, k) for _, rows in runs)]


def overlay_figure(runs: list[tuple[str, list[dict]]], lang: str = "en") -> go.Figure:
    """Runs' curves overlaid, `runs` as (label, metrics rows) pairs: one panel per metric every run logged
    (`shared_metrics`), two to a row (an odd last one spans the row), x the step and y the metric under its TRL
    name; one colour per run, each run in the legend once (clicking it hides the run in every panel). With
    nothing to draw, a note says why: no run has logged a step yet, or the runs share no metric."""
    keys = shared_metrics(runs)
    top, bottom = 40, 70 + 22 * len(runs)  # pixels; the legend sits under the panels
    fig, area = _grid([t(f"overlay.{k}", lang) for k in keys], panel=200, gap=90)
    fig.update_layout(height=area + top + bottom, template=TEMPLATE, margin=dict(l=60, r=20, t=top, b=bottom),
                      legend=dict(orientation="h", x=0, y=-70 / area, yanchor="top"), showlegend=True)
    for i, key in enumerate(keys):
        row, col = _cell(i)
        for j, (label, rows) in enumerate(runs):
            xs, ys = _series(rows, key)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=label, legendgroup=label,
                                     showlegend=i == 0, marker=dict(size=4),
                                     line=dict(color=RUN_COLORS[j % len(RUN_COLORS)])), row=row, col=col)
        fig.update_xaxes(title_text=TITLES[lang]["step"], title_standoff=2, row=row, col=col)
        fig.update_yaxes(title_text=key, range=SHARE_RANGE if key in OVERLAY_SHARES else None, row=row, col=col)
    if not keys:
        logged = any(_has(rows, k) for _, rows in runs for k in OVERLAY_METRICS)
        fig.add_annotation(text=t("overlay.none", lang) if logged else TITLES[lang]["waiting"], showarrow=False,
                           xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=15, color="#888"))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig
