"""3 · Train: pick a method and a preset, adjust its settings, start or stop, watch the one job.

The Method radio lists `methods.METHODS`; each method's settings row (its preset and `Method.fields`)
is generated from its settings dataclass, the shared settings (`SHARED`) shown for all where the
class has them. The values go to `Studio.start` as typed: the engine validates them. A timer polls
the job, so every visitor (and a reopened page) watches the same run.
"""

from __future__ import annotations

import functools
import typing
from types import SimpleNamespace

import gradio as gr

from ... import charts, methods
from ...config import LOSS_TYPES
from ...rewards import REWARD_FUNCTIONS
from .. import inspectors, views
from ..text import t
from . import data as data_tab
from .shared import DEFAULT_METHOD, Page, message, questions_for

SHARED = ("learning_rate", "max_steps", "batch_size", "grad_accum", "probe_every", "lora", "lora_r", "gated")
CHOICES = {"loss_type": LOSS_TYPES, "reward_funcs": tuple(REWARD_FUNCTIONS)}  # settings picked from a list
# The settings inputs of /start, in order: the shared ones, then per method its preset and its own fields.
INPUTS = [*SHARED, *(f"{m.name}.{f}" for m in methods.METHODS.values() for f in ("preset", *m.fields))]


@functools.cache
def hints(m) -> dict:
    """Method `m`'s settings fields and their types (read once per method)."""
    return typing.get_type_hints(m.settings_cls)


def _as_text(hint) -> bool:
    """A list of numbers is typed as text ("1, 0.5"); the engine reads it back."""
    return typing.get_origin(hint) is list and typing.get_args(hint)[0] in (int, float)


def _shown(hint, value):
    return ", ".join(map(str, value)) if _as_text(hint) else value


def _widget(page: Page, name: str, hint, value, **kw):
    """The component a setting of type `hint` is edited with, labelled from TEXT["train.<name>"]."""
    key, value = "train." + name, _shown(hint, value)
    if hint is bool:
        return page.widget(gr.Checkbox, key, value=value, **kw)
    if name in CHOICES:
        cls = gr.Dropdown if hint is str else gr.CheckboxGroup
        return page.widget(cls, key, choices=list(CHOICES[name]), value=value, **kw)
    if hint in (int, float):
        return page.widget(gr.Number, key, value=value, precision=0 if hint is int else None, **kw)
    return page.widget(gr.Textbox, key, value=value, **kw)


def _fill(m, preset: str) -> list:
    """Updates for the shared settings (shown where `m` has them) and `m`'s own, from `m`'s `preset`."""
    s, h = m.presets[preset], hints(m)
    shared = [gr.update(value=_shown(h[n], getattr(s, n)), visible=True) if n in h else gr.update(visible=False)
              for n in SHARED]
    return shared + [_shown(h[f], getattr(s, f)) for f in m.fields]


def _values(m, flat: list) -> tuple[str, dict]:
    """(preset, settings as typed) of method `m` from the flat settings inputs (in `INPUTS` order)."""
    given = dict(zip(INPUTS, flat))
    typed = {n: given[n] for n in SHARED if n in hints(m)} | {f: given[f"{m.name}.{f}"] for f in m.fields}
    return given[f"{m.name}.preset"], typed


def build(page: Page) -> SimpleNamespace:
    default = methods.get(DEFAULT_METHOD)
    with page.tab("tab.train", id="train"):
        page.explain("train")
        demo_btn = page.button("train.demo", variant="primary", size="lg", elem_id="demo-btn")
        with gr.Row():
            method = page.widget(gr.Radio, "train.method", value=default.name, scale=2,
                                 choices=[(m.label, m.name) for m in methods.METHODS.values()])
            start_btn = page.button("train.start", variant="primary", scale=1)
            stop_btn = page.button("train.stop", variant="stop", scale=1)
        msg = gr.Markdown()
        with page.accordion("train.settings"):
            shared = []
            for names in (SHARED[:5], SHARED[5:]):
                with gr.Row():
                    for n in names:
                        owner = next(m for m in (default, *methods.METHODS.values()) if n in hints(m))
                        value = getattr(owner.presets[next(iter(owner.presets))], n)
                        shared.append(_widget(page, n, hints(owner)[n], value, visible=n in hints(default)))
            rows, presets, own = [], [], []
            for m in methods.METHODS.values():
                p = next(iter(m.presets))
                with gr.Row(visible=m is default) as row:
                    presets.append(page.widget(gr.Dropdown, "train.preset", value=p,
                                               labels=[(f"preset.{x}", x) for x in m.presets]))
                    own.append([_widget(page, f, hints(m)[f], getattr(m.presets[p], f)) for f in m.fields])
                rows.append(row)
        plot = page.widget(gr.Plot, "train.charts", elem_id="charts")
        page.md("train.probes", bold=True)
        probes = gr.HTML(elem_id="probes")
        with gr.Column(visible=False) as tokens_box:
            page.md("tokens.heading", bold=True)
            tokens = gr.HTML(elem_id="token-rewards")
        with gr.Column(visible=False) as group_box:
            page.md("train.group", bold=True)
            group = gr.HTML(elem_id="group")
    return SimpleNamespace(method=method, demo_btn=demo_btn, start_btn=start_btn, stop_btn=stop_btn, msg=msg,
                           shared=shared, rows=rows, presets=presets, own=own, plot=plot, probes=probes,
                           tokens_box=tokens_box, tokens=tokens, group_box=group_box, group=group)


def wire(page: Page, tr: SimpleNamespace, data: SimpleNamespace, compare: SimpleNamespace, tabs: gr.Tabs,
         status: gr.Markdown, progress: gr.HTML, seen: gr.State) -> None:
    """Start, the identity demo, Stop, the method and preset switches, and the timer that draws the job."""
    studio, lang = page.studio, page.lang
    registry = list(methods.METHODS.values())
    settings = tr.shared + [c for m_presets, m_own in zip(tr.presets, tr.own) for c in (m_presets, *m_own)]

    def carry(job, started: str, lng):
        """Yield `started`; on ZeroGPU first carry the whole run, which must happen in this request
        (nothing is yielded until it ends, so a closed page cannot cut it short; the timer draws it)."""
        try:
            for _ in studio.drive(job):
                pass
        except Exception as e:  # noqa: BLE001
            yield message(e, lng)
            return
        yield started

    def start(name, pairs, system, problems, nm, og, *flat):
        *flat, lng = flat
        m = methods.get(name)
        try:
            rows = data_tab.read(m.table, pairs, system, problems)
            if rows is None:
                yield "⚠ " + t("train.need_data", lng, kind=m.label)
                return
            preset, values = _values(m, flat)
            named = any(r.get("kind") == "identity" for r in rows)  # identity rows: answers are scored for the name
            job = studio.start(m.name, values, rows, name=nm if named else None, org=og, data_source="app: table",
                               preset=preset)
        except Exception as e:  # noqa: BLE001
            yield message(e, lng)
            return
        yield from carry(job, "✓ " + t("train.started", lng, kind=m.label), lng)

    def run_demo(nm, og, name, lng):
        try:
            job = studio.start_identity_demo(nm, og, name)
        except Exception as e:  # noqa: BLE001
            yield message(e, lng), gr.skip(), gr.skip()
            return
        for msg in carry(job, "✓ " + t("train.started", lng, kind=methods.get(job.kind).label), lng):
            yield msg, gr.Tabs(selected="train"), job.kind

    def stop(lng):
        return t("msg.nothing", lng) if studio.stop().startswith("nothing") else "■ " + t("msg.stopping", lng)

    def pick(name, *chosen):
        """Show method `name`'s settings row, filled from its chosen preset; Compare asks its questions."""
        m = methods.get(name)
        filled = _fill(m, chosen[registry.index(m)])
        own = [v for x, fields in zip(registry, tr.own)
               for v in (filled[len(SHARED):] if x is m else [gr.skip()] * len(fields))]
        return [gr.update(visible=x is m) for x in registry] + filled[:len(SHARED)] + own + \
            list(questions_for(studio, m.name))

    every_own = [c for fields in tr.own for c in fields]
    tr.start_btn.click(start, [tr.method, data.pairs, data.system, data.problems, data.name, data.org, *settings, lang],
                       tr.msg, api_name="start")
    tr.demo_btn.click(run_demo, [data.name, data.org, tr.method, lang], [tr.msg, tabs, tr.method],
                      api_name="identity_demo")
    tr.stop_btn.click(stop, lang, tr.msg, api_name="stop")
    tr.method.change(pick, [tr.method, *tr.presets], [*tr.rows, *tr.shared, *every_own, compare.questions,
                                                      compare.system], api_visibility="private")
    def filler(m):
        return lambda preset: _fill(m, preset)

    for m, preset, own in zip(registry, tr.presets, tr.own):
        preset.change(filler(m), preset, [*tr.shared, *own], api_visibility="private")

    def tick(lng, last):
        v = studio.job_view()
        if v is None:
            return [gr.skip()] * 12 + [last]
        logs = (len(v["metrics"]), len(v["probes"]), len(v["groups"]), len(v["token_rewards"]))
        key = (v["run_dir"], v["status"], v["phase"], v["step"], logs, lng,
               int(v["elapsed_s"]) if v["status"] in ("running", "stopping") else 0)
        if key == last:
            return [gr.skip()] * 12 + [last]
        first_draw = last is None or last[0] != v["run_dir"] or last[-2] != lng
        grew = first_draw or logs != last[4]
        out = [views.status_md(v, lng), views.progress_html(v)]
        if grew:
            headers, rows = charts.probe_table(v["probes"], v.get("name"))
            out += [methods.figure(v["kind"], v["metrics"], lng), views.table_html(headers, rows),
                    gr.Column(visible=bool(v["token_rewards"])), inspectors.token_rewards_html(v["token_rewards"], lng),
                    gr.Column(visible=bool(v["groups"])), inspectors.group_html(v["groups"], v["metrics"], lng)]
        else:
            out += [gr.skip()] * 6
        ended_now = v["before_after"] and (first_draw or last[1] in ("running", "stopping"))
        if ended_now:
            out += [views.scores_md(v["scores"], lng), views.side_by_side_html(v["before_after"], lng)]
        else:
            out += [gr.skip()] * 2
        # a run this page watched end: Compare's questions become its method's (held-out problems after GRPO)
        watched_end = ended_now and last is not None and last[0] == v["run_dir"] and last[1] in ("running", "stopping")
        out += list(questions_for(studio, v["kind"])) if watched_end else [gr.skip()] * 2
        return out + [key]

    gr.Timer(1.0).tick(tick, [lang, seen], [status, progress, tr.plot, tr.probes, tr.tokens_box, tr.tokens,
                                            tr.group_box, tr.group, compare.scores, compare.side_by_side, compare.questions,
                                            compare.system, seen], api_visibility="private", show_progress="hidden")
