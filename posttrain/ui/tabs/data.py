"""2 · Data: the tables that feed training, one per `Method.table` ("pairs", "problems"), each built,
loaded from a file or the Hub, and edited by hand."""

from __future__ import annotations

import os
from types import SimpleNamespace

import gradio as gr

from ... import methods, tables
from ...methods.grpo import ARITHMETIC_HINT, ARITHMETIC_PROBLEMS
from ...spec import IdentitySpec
from .. import views
from ..text import t
from .shared import Page, frame, message

FILE_TYPES = [".jsonl", ".json", ".csv", ".parquet"]
DEMO_PAIRS = IdentitySpec.n_identity + IdentitySpec.n_control  # as many as the identity demo builds


def _feeds(table: str) -> str:
    """The methods a table feeds, in a few letters each ("SFT · DPO · RM")."""
    return " · ".join(m.abbrev or m.label for m in methods.METHODS.values() if m.table == table)


def build(page: Page, card: gr.Markdown) -> SimpleNamespace:
    studio, lang = page.studio, page.lang
    with page.tab("tab.data", id="data"):
        page.explain("data")
        with gr.Tabs() as tabs:
            with page.tab("data.pairs_tab", id="data-pairs", methods=_feeds("pairs")):
                page.md("data.identity", bold=True)
                with gr.Row():
                    name = page.widget(gr.Textbox, "data.name", value="Deep Qwen")
                    org = page.widget(gr.Textbox, "data.org", value="Acme AI")
                    n_pairs = page.widget(gr.Slider, "data.pairs", minimum=8, maximum=160, value=DEMO_PAIRS, step=2)
                build_btn = page.button("data.build", variant="primary")
                with page.accordion("data.or_load"):
                    with gr.Row():
                        hub_id = page.widget(gr.Textbox, "data.hub")
                        pair_file = page.widget(gr.File, "data.file", file_types=FILE_TYPES)
                    load_pairs_btn = page.button("data.load")
                pairs_msg = gr.Markdown()
                pairs = page.widget(gr.Dataframe, "data.table", headers=tables.DPO_HEADERS, interactive=True,
                                    wrap=True, max_height=420)
            with page.tab("data.problems_tab", id="data-problems", methods=_feeds("problems")):
                with gr.Row():
                    n_problems = page.widget(gr.Slider, "data.problems", minimum=8, maximum=512,
                                             value=ARITHMETIC_PROBLEMS, step=8)
                    hint = page.widget(gr.Slider, "data.hint", minimum=0, maximum=1, value=ARITHMETIC_HINT, step=0.05)
                gen_btn = page.button("data.generate", variant="primary")
                with gr.Row():
                    problem_file = page.widget(gr.File, "data.file", file_types=FILE_TYPES)
                    load_problems_btn = page.button("data.load")
                problems_msg = gr.Markdown()
                system = page.widget(gr.Textbox, "data.system", lines=2)
                problems = page.widget(gr.Dataframe, "data.problem_table", headers=tables.GRPO_HEADERS,
                                       interactive=True, wrap=True, max_height=420, elem_id="problems-table")

    def build_pairs(nm, og, n, lng):
        try:
            rows = studio.identity_pairs(nm, og, int(n))
        except Exception as e:  # noqa: BLE001
            return gr.skip(), message(e, lng), gr.skip()
        kinds = [r["kind"] for r in rows]
        msg = t("data.n_pairs", lng, n=len(rows), identity=kinds.count("identity"), control=kinds.count("control"))
        if len(rows) < int(n):  # 160 asked, 146 built: say why
            msg += t("data.fewer", lng, asked=int(n))
        return frame(tables.DPO_HEADERS, tables.dpo_table(rows)), "✓ " + msg, views.card_html(studio.card(), lng)

    def load_pairs(hub, file, lng):
        src = file or (hub or "").strip()
        try:
            rows = studio.preference_data(src, uploaded=bool(file))
        except Exception as e:  # noqa: BLE001
            return gr.skip(), message(e, lng)
        shown = os.path.basename(src) if file else src
        msg = "✓ " + t("data.n_rows", lng, n=len(rows), source=shown)
        return frame(tables.DPO_HEADERS, tables.dpo_table(rows)), msg

    def problems_view(load, lng):
        try:
            rows = load()
        except Exception as e:  # noqa: BLE001
            return gr.skip(), gr.skip(), message(e, lng)
        sys_prompt, table = tables.grpo_table(rows)
        return sys_prompt, frame(tables.GRPO_HEADERS, table), "✓ " + t("data.n_problems", lng, n=len(rows))

    build_btn.click(build_pairs, [name, org, n_pairs, lang], [pairs, pairs_msg, card], api_name="build_identity")
    load_pairs_btn.click(load_pairs, [hub_id, pair_file, lang], [pairs, pairs_msg], api_name="load_pairs")
    gen_btn.click(lambda n, share, lng: problems_view(lambda: studio.arithmetic_data(int(n), float(share)), lng),
                  [n_problems, hint, lang], [system, problems, problems_msg], api_name="build_problems")
    load_problems_btn.click(lambda file, lng: problems_view(lambda: studio.problem_file(file), lng),
                            [problem_file, lang], [system, problems, problems_msg], api_name="load_problems")
    return SimpleNamespace(name=name, org=org, pairs=pairs, system=system, problems=problems, tabs=tabs,
                           pairs_msg=pairs_msg, problems_msg=problems_msg)


def read(table: str, pairs, system: str, problems) -> list[dict] | None:
    """The rows of the Data table a method trains on (`Method.table`: "pairs" or "problems"); None if it is empty."""
    if table == "problems":
        return tables.grpo_rows(system, problems) if tables.table_rows(problems) else None
    return tables.dpo_rows(pairs) if tables.table_rows(pairs) else None
