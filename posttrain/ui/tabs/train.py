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

from ... import chain, methods, tables
from ...bilingual import Said
from ...config import LOSS_TYPES
from ...rewards import REWARD_FUNCTIONS
from .. import inspectors, views
from ..text import TEXT, t
from . import data as data_tab
from ...runner import ACTIVE
from .shared import DEFAULT_METHOD, Page, frame, message, questions_for, request_lang

SHARED = ("learning_rate", "max_steps", "batch_size", "grad_accum", "probe_every", "lora", "lora_r", "gated")
# settings picked from a list; "reward_model" is the score of the reward model a GRPO run names (its folder)
CHOICES = {"loss_type": LOSS_TYPES, "reward_funcs": (*REWARD_FUNCTIONS, "reward_model")}
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


def _fill(m, settings) -> list:
    """Updates for the shared settings (shown where `m` has them) and `m`'s own, from `settings`: the name of one
    of `m`'s presets, or settings as a dict (a run's, restored on a reopened page)."""
    s, h = m.presets[settings] if isinstance(settings, str) else settings, hints(m)
    get = s.get if isinstance(s, dict) else functools.partial(getattr, s)
    shared = [gr.update(value=_shown(h[n], get(n)), visible=True) if n in h else gr.update(visible=False)
              for n in SHARED]
    return shared + [_shown(h[f], get(f)) for f in m.fields]


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
        with gr.Row(equal_height=True):
            method = page.widget(gr.Radio, "train.method", value=default.name, scale=3,  # "method.<name>": a translated label
                                 labels=[(f"method.{m.name}" if f"method.{m.name}" in TEXT else m.label, m.name)
                                         for m in methods.METHODS.values()])
            from_base = page.widget(gr.Checkbox, "train.from_base", value=True, scale=2)
            start_btn = page.button("train.start", variant="primary", scale=1, elem_id="start-btn")
            stop_btn = page.button("train.stop", variant="stop", scale=1, interactive=False, elem_id="stop-btn")
        msg = gr.Markdown(elem_id="train-msg")
        notes = gr.Markdown(elem_id="notes")
        with page.accordion("train.settings") as settings_box:
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
                # a choice of several (GRPO's reward functions: six boxes and a long help line) gets a row of its
                # own, across the page; beside the numbers it was a sliver with its help wrapped tall
                wide = [f for f in m.fields if f in CHOICES and hints(m)[f] is not str]
                made = {}
                with gr.Column(visible=m is default) as row:
                    with gr.Row():
                        presets.append(page.widget(gr.Dropdown, "train.preset", value=p, scale=3,  # (its help is long)
                                                   labels=[(f"preset.{x}", x) for x in m.presets]))
                        made |= {f: _widget(page, f, hints(m)[f], getattr(m.presets[p], f))
                                 for f in m.fields if f not in wide}
                    with gr.Row():
                        made |= {f: _widget(page, f, hints(m)[f], getattr(m.presets[p], f)) for f in wide}
                own.append([made[f] for f in m.fields])
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
                           notes=notes, from_base=from_base, settings_box=settings_box,
                           shared=shared, rows=rows, presets=presets, own=own, plot=plot, probes=probes,
                           tokens_box=tokens_box, tokens=tokens, group_box=group_box, group=group)


def wire(page: Page, tr: SimpleNamespace, data: SimpleNamespace, compare: SimpleNamespace, model: SimpleNamespace,
         pipe: SimpleNamespace, tabs: gr.Tabs, status: gr.Markdown, progress: gr.HTML, seen: gr.State) -> None:
    """Start, the identity demo (here and on the landing tab), the RLHF pipeline's steps (`pipe`), Stop, the
    method and preset switches, what a reopened page restores, and the timer that draws the job."""
    studio, lang = page.studio, page.lang
    registry = list(methods.METHODS.values())
    settings = tr.shared + [c for m_presets, m_own in zip(tr.presets, tr.own) for c in (m_presets, *m_own)]
    every_own = [c for fields in tr.own for c in fields]
    shown_method = [*tr.rows, *tr.presets, *tr.shared, *every_own, compare.questions, compare.system]  # what `show` updates
    # a job starts: the settings fold, the charts come up (an update, not `gr.Accordion(...)`: built here, inside the
    # page, that would add an empty accordion to it)
    present = {tr.settings_box: gr.update(open=False)}
    mine = gr.State(None)  # the run this page started (or reopened while it ran): the page follows it

    def show(m, chosen, lng: str, preset: str | None = None) -> dict:
        """Method `m` shown: its settings row filled from `chosen` (a preset's name or a run's settings), its preset
        dropdown at `chosen` or `preset` when given, the other rows hidden; Compare asks its questions (headed in `lng`)."""
        filled = _fill(m, chosen)
        out = {row: gr.update(visible=x is m) for x, row in zip(registry, tr.rows)}
        if isinstance(chosen, str) or preset:
            out[tr.presets[registry.index(m)]] = gr.update(value=preset or chosen)
        out.update(zip(tr.shared, filled[:len(SHARED)]))
        out.update(zip(tr.own[registry.index(m)], filled[len(SHARED):]))
        return out | dict(zip((compare.questions, compare.system), questions_for(studio, m.name, lng)))

    def carry(job, started: dict, lng):
        """Yield `started` (the page's updates as the job starts); on ZeroGPU then carry the whole run, which must
        happen in this request: nothing more is yielded until it ends (Gradio stops a generator only between
        yields, so a closed page cannot cut the run short; the timer draws it), and a failure to reach the GPU
        worker is said in the message box."""
        yield started
        try:
            for _ in studio.drive(job):
                pass
        except Exception as e:  # noqa: BLE001
            yield {tr.msg: message(e, lng)}

    def stacked_warning(from_base: bool, lng) -> str:
        """Training on a model earlier runs trained (and not asked to start from the base): say so."""
        lineage = (studio.card() or {}).get("lineage") or []
        return "" if from_base or len(lineage) < 2 else \
            "\n\n⚠ " + t("train.stacked", lng, lineage=" → ".join(lineage))

    def start(name, pairs, system, problems, nm, og, *flat):
        *flat, from_base, lng = flat
        m = methods.get(name)
        try:
            rows = data_tab.read(m.table, pairs, system, problems)
            if rows is None:
                yield {tr.msg: "⚠ " + t("train.need_data", lng, kind=m.label)}
                return
            preset, values = _values(m, flat)
            named = any(r.get("kind") == "identity" for r in rows)  # identity rows: answers are scored for the name
            warning = stacked_warning(bool(from_base), lng)
            job = studio.start(m.name, values, rows, name=nm if named else None, org=og, preset=preset,
                               data_source=Said(*(t("train.source", x, table=t("table." + m.table, x), n=len(rows))
                                                  for x in ("en", "zh"))),
                               from_base=bool(from_base))
        except Exception as e:  # noqa: BLE001
            yield {tr.msg: message(e, lng)}
            return
        started = "✓ " + t("train.started", lng, kind=m.label) + warning
        yield from carry(job, {tr.msg: started, mine: str(job.run_dir), **present}, lng)

    def run_demo(nm, og, name, lng):
        try:
            job = studio.start_identity_demo(nm, og, name)
        except Exception as e:  # noqa: BLE001
            yield {tr.msg: message(e, lng), model.msg: message(e, lng)}
            return
        m = methods.get(job.kind)
        yield from carry(job, {tr.msg: "✓ " + t("train.started", lng, kind=m.label), model.msg: "",
                               mine: str(job.run_dir), tabs: gr.Tabs(selected="train"), tr.method: m.name,
                               **present, **show(m, m.identity_presets[0], lng)}, lng)

    def run_step(key: str):
        """A pipeline step's button: its method's identity preset, on the model the step before left (the RL step
        paid by the newest reward model), followed on the Train tab like the demo."""
        def go(nm, og, lng):
            try:
                job = studio.start_step(key, nm, og)
            except Exception as e:  # noqa: BLE001
                yield {pipe.msg: message(e, lng)}
                return
            m = methods.get(job.kind)
            started = "✓ " + t("train.started", lng, kind=m.label)
            yield from carry(job, {pipe.msg: started, tr.msg: started, mine: str(job.run_dir),
                                   tabs: gr.Tabs(selected="train"), tr.method: m.name, **present,
                                   **show(m, (studio.setup() or {}).get("settings") or m.identity_presets[0], lng,
                                          chain.BY_KEY[key].preset or m.identity_presets[0])}, lng)
        return go

    def stop(lng):
        return t("msg.nothing", lng) if studio.stop().startswith("nothing") else "■ " + t("msg.stopping", lng)

    def pick(name, lng, *chosen):
        """Show method `name`'s settings row, filled from its chosen preset; Compare asks its questions."""
        m = methods.get(name)
        return show(m, chosen[registry.index(m)], lng)

    def restore(request: gr.Request):
        """A page opened (or reloaded) during or after a run shows that run: its method and settings, the data
        it trains on, its name and organisation; while it runs, the Train tab, and the page follows the run."""
        setup, lng = studio.setup(), request_lang(request)
        if setup is None:
            return {tr.method: gr.skip()}  # (an empty dict would be read as one value)
        m = methods.get(setup["method"])
        out = {tr.method: m.name, **show(m, setup["settings"], lng), **_data(m, setup, lng)}
        if setup["name"]:
            out.update({data.name: setup["name"], data.org: setup["org"] or ""})
        if setup["running"]:
            out.update({tabs: gr.Tabs(selected="train"), mine: setup["run_dir"], **present})
        return out

    def _data(m, setup: dict, lng) -> dict:
        """The Data tab's table filled with the rows the run trains on (none yet: unchanged)."""
        rows, run = setup["rows"], setup["run"]
        if not rows or any(k not in rows[0] for k in m.row_keys):  # (GRPO's identity questions have no answer)
            return {}
        if m.table == "problems":
            system, table = tables.grpo_table(rows)
            return {data.system: system, data.problems: frame(tables.GRPO_HEADERS, table),
                    data.problems_msg: "✓ " + t("data.n_run", lng, n=len(rows), run=run),
                    data.tabs: gr.Tabs(selected="data-problems")}
        said = "data.n_run" if setup["given"] else "data.n_demo"
        return {data.pairs: frame(tables.DPO_HEADERS, tables.dpo_table(rows)),
                data.pairs_msg: "✓ " + t(said, lng, n=len(rows), run=run), data.tabs: gr.Tabs(selected="data-pairs")}

    restored = [tr.method, *shown_method, data.name, data.org, data.pairs, data.pairs_msg, data.problems, data.system,
                data.problems_msg, data.tabs, tabs, tr.settings_box, mine]
    page.demo.load(restore, None, restored, api_visibility="private")
    tr.start_btn.click(start, [tr.method, data.pairs, data.system, data.problems, data.name, data.org, *settings,
                               tr.from_base, lang], [tr.msg, mine, tr.settings_box], api_name="start")
    demo_out = [tr.msg, model.msg, tabs, tr.method, tr.settings_box, mine, *shown_method]
    tr.demo_btn.click(run_demo, [data.name, data.org, tr.method, lang], demo_out, api_name="identity_demo")

    def landing_demo(nm, og, lng):  # the landing tab's button: the headline method's demo
        yield from run_demo(nm, og, DEFAULT_METHOD, lng)

    model.demo_btn.click(landing_demo, [data.name, data.org, lang], demo_out, api_visibility="private")
    for key, btn in pipe.starts.items():
        btn.click(run_step(key), [data.name, data.org, lang], [pipe.msg, *demo_out], api_name=f"step_{key}")
    tr.stop_btn.click(stop, lang, tr.msg, api_name="stop")
    tr.method.input(pick, [tr.method, lang, *tr.presets], shown_method, api_visibility="private")

    def filler(m):
        return lambda preset: _fill(m, preset)

    for m, preset, own in zip(registry, tr.presets, tr.own):
        preset.change(filler(m), preset, [*tr.shared, *own], api_visibility="private")

    def tick(lng, last, followed):
        v = studio.job_view()
        if v is None:
            return {seen: last}
        logs = (len(v["metrics"]), len(v["probes"]), len(v["groups"]), len(v["token_rewards"]))
        active = v["status"] in ACTIVE
        key = (v["run_dir"], v["status"], v["phase"], v["step"], logs, lng, int(v["elapsed_s"]) if active else 0)
        if key == last:
            return {seen: last}
        opened = last is None or last[0] != v["run_dir"]  # a page (re)opened, or a new run
        first_draw = opened or last[-2] != lng
        grew = first_draw or logs != last[4]
        was_active = not opened and last[1] in ACTIVE
        follows = followed == v["run_dir"]  # this page started the run (or was reopened while it ran)
        ended = not active and (opened or was_active)  # seen ended for the first time
        out = {seen: key, status: views.status_md(v, lng), progress: views.progress_html(v),
               tr.notes: views.notes_md(v, lng)}
        out[tr.stop_btn] = gr.Button(interactive=active)  # Stop is live only while something runs (and a relabel,
        # which resets the button, is undone within a second)
        if ended and follows:  # "Started…" and "Stopping…" are over: the status line says how it ended
            out.update({tr.msg: "", model.card: views.card_html(studio.card(), lng)})
        if grew:
            out.update({tr.plot: methods.figure(v["kind"], v["metrics"], lng),
                        tr.probes: views.probes_html(v["probes"], v.get("name"), lng),
                        tr.tokens_box: gr.Column(visible=bool(v["token_rewards"])),
                        tr.tokens: inspectors.token_rewards_html(v["token_rewards"], lng),
                        tr.group_box: gr.Column(visible=bool(v["groups"])),
                        tr.group: inspectors.group_html(v["groups"], v["metrics"], lng)})
        # the data are built once the run is past its data phase: seen passing, or already past at this page's first
        # look at the run (a fast data phase, the answer cache's, can end between two polls)
        built = v["phase"] not in ("starting", "load", "data") and (opened or last[2] in ("starting", "load", "data"))
        setup = studio.setup() if (follows and built) else None
        if setup and setup["rows"]:  # the Data tab shows what the page's run trains on (the demo's pairs once built)
            out.update(_data(methods.get(v["kind"]), setup, lng))
        answered = v["before_after"] and not active
        if answered and (first_draw or was_active):
            out.update({compare.scores: views.scores_md(v["scores"], lng),
                        compare.side_by_side: views.side_by_side_html(v["before_after"], lng),
                        model.card: views.card_html(studio.card(), lng)})
        if answered and was_active:  # the blind vote offers the run that just ended, picked; the pipeline shows it
            out.update(zip((compare.vote.run, compare.vote.other), compare.vote.refresh(lng)))
            out.update(zip((pipe.diagram, pipe.judge), pipe.refresh(lng)))
        if answered and was_active and follows:  # the page's run ended: its before/after comes up by itself
            out.update(dict(zip((compare.questions, compare.system), questions_for(studio, v["kind"], lng))))
            out[tabs] = gr.Tabs(selected="compare")
        return out

    gr.Timer(1.0).tick(tick, [lang, seen, mine], [seen, status, progress, tr.notes, tr.stop_btn, tr.msg, tr.plot, tr.probes,
                                            tr.tokens_box, tr.tokens, tr.group_box, tr.group, data.pairs, data.pairs_msg,
                                            data.problems, data.system, data.problems_msg, data.tabs, compare.scores,
                                            compare.side_by_side, model.card, compare.questions, compare.system, tabs,
                                            compare.vote.run, compare.vote.other, pipe.diagram, pipe.judge],
                       api_visibility="private", show_progress="hidden")
