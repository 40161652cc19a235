"""1 · Model: load a model (bundled, Hub id, folder or run), see its card, ask it a question."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from .. import views
from ..text import t
from .shared import Page, message


def build(page: Page) -> SimpleNamespace:
    studio, lang = page.studio, page.lang
    with page.tab("tab.model", id="model"):
        with gr.Row():
            source = page.widget(gr.Textbox, "model.source", value=studio.default_model, scale=4)
            load_btn = page.button("model.load", variant="primary", scale=1)
        token = page.widget(gr.Textbox, "model.token", type="password", max_lines=1)
        card = gr.Markdown(views.card_md(studio.card()), elem_id="card")
        msg = gr.Markdown()
        with gr.Row():
            question = page.widget(gr.Textbox, "model.ask", scale=4)
            ask_btn = page.button("model.ask.button", scale=1)
        answer = page.widget(gr.Textbox, "model.answer", lines=3, interactive=False)

    def on_load(lng):
        return views.card_md(studio.card(), lng), ""  # the model itself loads on first use

    def load(src, tok, lng):
        try:
            card_ = studio.load(src, tok)
        except Exception as e:  # noqa: BLE001
            return gr.skip(), message(e, lng)
        return views.card_md(card_, lng), "✓ " + t("msg.loaded", lng, source=card_["source"])

    def ask(q, lng):
        try:
            return studio.ask(q), views.card_md(studio.card(), lng)
        except Exception as e:  # noqa: BLE001
            return message(e, lng), gr.skip()

    page.demo.load(on_load, lang, [card, msg], api_visibility="private")
    load_btn.click(load, [source, token, lang], [card, msg], api_name="load_model")
    question.submit(ask, [question, lang], [answer, card], api_name="ask_enter", api_visibility="private")
    ask_btn.click(ask, [question, lang], [answer, card], api_name="ask")
    return SimpleNamespace(card=card)
