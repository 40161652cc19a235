"""1 · Model: the landing view. What the app does, the model ready ✓ with its history, the identity demo one
click away; ask the model a question; reset it to the base model; load another (advanced, folded away)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from .. import views
from ..text import t
from .shared import Page, message, request_lang


def build(page: Page) -> SimpleNamespace:
    studio, lang = page.studio, page.lang
    with page.tab("tab.model", id="model"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                page.md("model.intro")
            with gr.Column(scale=2, elem_id="landing-demo"):
                demo_btn = page.button("model.demo", variant="primary", size="lg", elem_id="landing-demo-btn")
                page.md("model.demo.info", elem_classes=["pt-help"])
        card = gr.HTML(views.card_html(studio.card()), elem_id="card")
        with gr.Row():
            reset_btn = page.button("model.reset", size="sm", scale=0, min_width=200)
            msg = gr.Markdown()
        with gr.Row():
            question = page.widget(gr.Textbox, "model.ask", scale=4)
            ask_btn = page.button("model.ask.button", scale=1)
        answer = page.widget(gr.Textbox, "model.answer", lines=3, interactive=False)
        with page.accordion("model.other"):
            with gr.Row():
                source = page.widget(gr.Textbox, "model.source", value=studio.default_model, scale=4)
                load_btn = page.button("model.load", variant="primary", scale=1)
            token = page.widget(gr.Textbox, "model.token", type="password", max_lines=1)

    def on_load(request: gr.Request):
        lng = request_lang(request)
        try:
            return views.card_html(studio.ready(), lng), ""
        except Exception as e:  # noqa: BLE001 - the default model did not load: say why, the page still works
            return views.card_html(studio.card(), lng), message(e, lng)

    def load(src, tok, lng):
        try:
            card_ = studio.load(src, tok)
        except Exception as e:  # noqa: BLE001
            return gr.skip(), message(e, lng)
        return views.card_html(card_, lng), "✓ " + t("msg.loaded", lng, source=card_["source"])

    def reset(lng):
        try:
            card_ = studio.reset_to_base()
        except Exception as e:  # noqa: BLE001
            return gr.skip(), message(e, lng)
        return views.card_html(card_, lng), "✓ " + t("msg.reset", lng, source=card_["source"])

    def ask(q, lng):
        try:
            return studio.ask(q), views.card_html(studio.card(), lng)
        except Exception as e:  # noqa: BLE001
            return message(e, lng), gr.skip()

    # drawn again once the model is ready, in the page's language by then (the switch may have been turned while
    # the model loaded: its own redraw came first and this one would have left the card in the browser's language)
    page.demo.load(on_load, None, [card, msg], api_visibility="private").then(
        lambda lng: views.card_html(studio.card(), lng), lang, card, api_visibility="private")
    load_btn.click(load, [source, token, lang], [card, msg], api_name="load_model")
    reset_btn.click(reset, lang, [card, msg], api_name="reset_to_base")
    question.submit(ask, [question, lang], [answer, card], api_name="ask_enter", api_visibility="private")
    ask_btn.click(ask, [question, lang], [answer, card], api_name="ask")
    return SimpleNamespace(card=card, demo_btn=demo_btn, msg=msg)
