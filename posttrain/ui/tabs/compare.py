"""4 · Compare: the same questions to the model a run started from and to the current one, side by side, scored."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from ... import tables
from .. import views
from . import vote
from .shared import Page, message, question_headers, questions_for, retitled


def build(page: Page, method: gr.Radio, data: SimpleNamespace) -> SimpleNamespace:
    """`method` is the Train tab's: Reset asks that method's default questions; `data` is the Data tab (the blind
    vote's pairs go to its table)."""
    studio, lang = page.studio, page.lang
    start_rows, start_system = questions_for(studio, None)
    with page.tab("tab.compare", id="compare"):
        page.explain("compare")
        with gr.Row(elem_id="compare-actions"):
            compare_btn = page.button("compare.run", variant="primary")
            reset_btn = page.button("compare.reset")
        # the answers first: when a run ends they come up in view; the questions asked are under them
        scores = gr.Markdown(elem_id="scores")
        side_by_side = gr.HTML(elem_id="side-by-side")
        with page.accordion("compare.asked", open=True):
            questions = page.widget(gr.Dataframe, "compare.questions", value=start_rows, headers=question_headers(),
                                    interactive=True, wrap=True, max_height=300, elem_id="compare-questions")
            system = page.widget(gr.Textbox, "compare.system", value=start_system, lines=1)
        voting = vote.build(page, data)

    def compare(q_table, sys_prompt, lng):
        cells = [c + ["", ""] for c in tables.table_rows(q_table)]  # question, kind, answer (kind and answer optional)
        try:
            res = studio.compare([c[0] for c in cells], [c[1] for c in cells], sys_prompt, [c[2] for c in cells])
        except Exception as e:  # noqa: BLE001
            return message(e, lng), gr.skip()
        return views.compare_md(res, lng), views.side_by_side_html(res["rows"], lng)

    compare_btn.click(compare, [questions, system, lang], [scores, side_by_side], api_name="compare")
    reset_btn.click(lambda m, lng: questions_for(studio, m, lng), [method, lang], [questions, system],
                    api_visibility="private")
    # a page opened after a GRPO run compares problems; headed in the page's language by then
    page.demo.load(lambda: questions_for(studio, None), None, [questions, system], api_visibility="private").then(
        retitled, [questions, lang], questions, api_visibility="private")
    lang.change(retitled, [questions, lang], questions, api_visibility="private")
    return SimpleNamespace(questions=questions, system=system, scores=scores, side_by_side=side_by_side, vote=voting)
