"""The blind vote, under Compare: a room of people judge before/after (or two runs') answers as A and B without
knowing which is which; the labels are revealed after each vote; the votes' win rate with its interval; and one
click turns the votes into DPO pairs on the Data tab (posttrain.votes, posttrain.studio)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import gradio as gr

from ... import methods, tables
from .. import views
from ..text import t
from .shared import Page, frame, message


def build(page: Page, data: SimpleNamespace) -> SimpleNamespace:
    """Laid out inside the Compare tab; `data` is the Data tab (its pairs table receives the votes' pairs)."""
    studio, lang = page.studio, page.lang
    voter = gr.State(None)  # this page's voter id (a new one per page: a reload is a new voter)
    at = gr.State(None)  # the index of the question on screen
    with page.accordion("vote.title", open=False, elem_id="vote"):
        page.md("vote.intro", elem_classes=["pt-help"])
        with gr.Row():
            run = page.widget(gr.Dropdown, "vote.run", choices=[], scale=3, allow_custom_value=True)
            other = page.widget(gr.Dropdown, "vote.other", choices=[], scale=3, allow_custom_value=True)
            load_btn = page.button("vote.load", scale=1)
        shown = gr.HTML(elem_id="ballot")
        with gr.Row():
            buttons = {choice: page.button(f"vote.{choice.lower()}", elem_id=f"vote-{choice.lower()}")
                       for choice in ("A", "B", "tie")}
        said = gr.Markdown(elem_id="vote-result")
        pairs_btn = page.button("vote.pairs")

    def choices(lng):
        """The finished runs to vote on, newest first; "" in the second list: the first run's before vs after."""
        answering = [r for r in studio.runs() if methods.answers(r["method"])]
        listed = views.run_choices(answering, lng)  # (a reward model's verdicts are not answers to vote on)
        return gr.Dropdown(choices=listed, value=listed[0][1] if listed else None), \
            gr.Dropdown(choices=[(t("vote.before_after", lng), "")] + listed, value="")

    def next_item(path, versus, me, lng, head: str = ""):
        """The first question this voter has not voted on, as A and B, under `head` and the tally."""
        result = studio.ballot(path, me, versus or None)
        left = [item for item in result["items"] if item["index"] not in result["voted"]]
        board = views.tally_md(result["tally"], result["sides"], lng)
        text = "\n\n".join(x for x in (head, board) if x)
        if not left:
            return views.ballot_html(None, len(result["items"]), lng), text, None
        return views.ballot_html(left[0], len(result["items"]), lng), text, left[0]["index"]

    def load(path, versus, me, lng):
        me = me or uuid.uuid4().hex
        try:
            return (me, *next_item(path, versus, me, lng))
        except Exception as e:  # noqa: BLE001
            return me, "", message(e, lng), None

    def vote(choice):
        def cast(path, versus, me, index, lng):
            if me is None or index is None:
                return gr.skip(), "⚠ " + t("vote.load_first", lng), gr.skip()
            try:
                out = studio.vote(path, me, index, choice, versus or None)
                return next_item(path, versus, me, lng, views.reveal_md(out["vote"], lng))
            except Exception as e:  # noqa: BLE001
                return gr.skip(), message(e, lng), gr.skip()
        return cast

    def to_pairs(path, versus, lng):
        try:
            rows = studio.vote_pairs(path, versus or None)
        except Exception as e:  # noqa: BLE001
            return gr.skip(), gr.skip(), gr.skip(), message(e, lng)
        msg = "✓ " + t("vote.pairs_ready", lng, n=len(rows))
        return frame(tables.DPO_HEADERS, tables.dpo_table(rows)), msg, gr.Tabs(selected="data-pairs"), msg

    page.demo.load(choices, lang, [run, other], api_visibility="private")
    load_btn.click(load, [run, other, voter, lang], [voter, shown, said, at], api_name="ballot")
    for choice, btn in buttons.items():
        btn.click(vote(choice), [run, other, voter, at, lang], [shown, said, at], api_name=f"vote_{choice.lower()}")
    pairs_btn.click(to_pairs, [run, other, lang], [data.pairs, data.pairs_msg, data.tabs, said], api_name="vote_pairs")
    return SimpleNamespace(run=run, other=other, refresh=choices)
