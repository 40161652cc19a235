"""6 · RLHF pipeline: the course's diagram made runnable. SFT → reward model → RL against it, and DPO beside them,
as boxes each backed by a run (posttrain.chain), one button per step (started as the identity demo is, for the
name and organisation on the Data tab, and watched on the Train tab), each step's before and after one click
away, and a box that scores any answer with a reward model. The buttons are wired by the Train tab
(train.wire), which follows every job this page starts."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from ... import chain, methods
from .. import views
from ..text import t
from .shared import Page, message


def build(page: Page) -> SimpleNamespace:
    studio, lang = page.studio, page.lang
    with page.tab("tab.pipeline", id="pipeline"):
        page.explain("pipeline")
        diagram = gr.HTML(elem_id="pipeline")
        with gr.Row():
            starts = {s.key: page.button(f"pipeline.start.{s.key}", elem_id=f"step-{s.key}",
                                         variant="primary" if s.after is None else "secondary")
                      for s in chain.STEPS}
            refresh_btn = page.button("pipeline.refresh")
        msg = gr.Markdown(elem_id="pipeline-msg")
        with gr.Row():
            step = page.widget(gr.Radio, "pipeline.step", labels=[(f"pipeline.{s.key}", s.key) for s in chain.STEPS],
                               value=chain.STEPS[0].key, scale=3)
            show_btn = page.button("pipeline.show", scale=1)
        answers = gr.HTML(elem_id="pipeline-answers")
        with page.accordion("pipeline.score_title", open=True, elem_id="score-box"):
            with gr.Row():
                judge = page.widget(gr.Dropdown, "pipeline.rm", choices=[], scale=2, allow_custom_value=True)
                question = page.widget(gr.Textbox, "pipeline.question", value="Who are you?", scale=2)
                answer = page.widget(gr.Textbox, "pipeline.answer", scale=3)
                score_btn = page.button("pipeline.score_btn", scale=1)
            scored = gr.Markdown(elem_id="score-said")

    def draw(lng):
        """The diagram, and the reward models the score box can use (newest first)."""
        runs = [r for r in studio.runs() if r["has_model"] and not methods.answers(r["method"])]
        judges = views.run_choices(runs, lng)
        return views.pipeline_html(studio.pipeline(), lng), \
            gr.Dropdown(choices=judges, value=judges[0][1] if judges else None)

    def show(key, lng):
        run = studio.pipeline().get(key)
        if run is None:
            return "⚠ " + t("pipeline.none", lng)
        try:
            return views.side_by_side_html(studio.run(run["path"])["before_after"], lng)
        except Exception as e:  # noqa: BLE001
            return message(e, lng)

    def score(path, q, a, lng):
        if not path:
            return "⚠ " + t("pipeline.no_rm", lng)
        try:
            return t("pipeline.score", lng, score=studio.score_answer(path, q, a))
        except Exception as e:  # noqa: BLE001
            return message(e, lng)

    page.demo.load(draw, lang, [diagram, judge], api_visibility="private")
    lang.change(draw, lang, [diagram, judge], api_visibility="private")
    refresh_btn.click(draw, lang, [diagram, judge], api_name="pipeline")
    show_btn.click(show, [step, lang], answers, api_name="pipeline_step")
    score_btn.click(score, [judge, question, answer, lang], scored, api_name="score_answer")
    return SimpleNamespace(diagram=diagram, judge=judge, starts=starts, msg=msg, refresh=draw)
