"""5 · Runs: past runs with their charts, probes and answers; two runs side by side (the identity demo by SFT
and by DPO: why not just SFT?); a receipt, the model or its adapter to download or push to the Hub."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from ... import charts, methods
from .. import views
from ..text import t
from .shared import Page, message


def build(page: Page) -> SimpleNamespace:
    studio, lang = page.studio, page.lang
    with page.tab("tab.runs", id="runs"):
        with gr.Row():  # API clients name runs this page never listed: Studio refuses a path outside its runs
            run_pick = page.widget(gr.Dropdown, "runs.pick", choices=[], scale=4, allow_custom_value=True)
            refresh_btn = page.button("runs.refresh", scale=1)
        info, plot, probes, answers = gr.Markdown(), gr.Plot(), gr.HTML(), gr.HTML()
        with gr.Row():
            other = page.widget(gr.Dropdown, "runs.compare_with", choices=[], scale=4, allow_custom_value=True)
            pair_btn = page.button("runs.compare_btn", scale=1)
        pair_scores, pair_answers = gr.Markdown(), gr.HTML(elem_id="two-runs")
        with gr.Row():
            html_btn = page.button("runs.html")
            archives = {what: page.button(key) for what, key in
                        (("receipt", "runs.receipt"), ("model", "runs.model"), ("adapter", "runs.adapter"))}
        download = page.widget(gr.File, "runs.file", interactive=False)
        with page.accordion("runs.push"):
            with gr.Row():
                repo = page.widget(gr.Textbox, "runs.repo")
                token = page.widget(gr.Textbox, "runs.push_token", type="password")
            with gr.Row():
                private = page.widget(gr.Checkbox, "runs.private", value=True)
                what = page.widget(gr.Radio, "runs.what", labels=[("runs.what.model", "model"),
                                                                  ("runs.what.adapter", "adapter")], value="model")
                push_btn = page.button("runs.push_btn", variant="primary")
            push_msg = gr.Markdown()

    def refresh(lng):
        runs = studio.runs()
        choices = views.run_choices(runs, lng)
        return gr.Dropdown(choices=choices, value=choices[0][1] if choices else None), \
            "" if runs else t("runs.none", lng, root=studio.root)

    def show(path, lng):
        if not path:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            run = studio.run(path)
        except Exception as e:  # noqa: BLE001
            return message(e, lng), None, None, ""
        cfg = run["config"]
        headers, rows = charts.probe_table(run["probes"], (cfg.get("identity") or {}).get("name"))
        return views.run_md(run, lng), methods.figure(cfg.get("method"), run["metrics"], lng), \
            views.table_html(headers, rows), views.side_by_side_html(run["before_after"], lng)

    def others(path, lng):
        """Every other run, newest first (the run before this one preselected)."""
        choices = [c for c in views.run_choices(studio.runs(), lng) if c[1] != path]
        return gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)

    def two(a, b, lng):
        try:
            return views.two_runs(studio.compare_runs(a, b), lng)
        except Exception as e:  # noqa: BLE001
            return message(e, lng), ""

    def push(path, repo_id, tok, private_, what_, lng):
        try:
            return "✓ " + t("msg.pushed", lng, url=studio.push(path, repo_id, tok, bool(private_), what_))
        except Exception as e:  # noqa: BLE001
            return message(e, lng)

    def saved(write, lng):
        """A file for the Download box, or a sentence in the run's summary."""
        try:
            return str(write()), gr.skip()
        except Exception as e:  # noqa: BLE001
            return None, message(e, lng)

    refresh_btn.click(refresh, lang, [run_pick, info], api_name="runs")
    page.demo.load(refresh, lang, [run_pick, info], api_visibility="private")
    run_pick.change(show, [run_pick, lang], [info, plot, probes, answers], api_visibility="private")
    run_pick.change(others, [run_pick, lang], other, api_visibility="private")
    pair_btn.click(two, [run_pick, other, lang], [pair_scores, pair_answers], api_name="compare_runs")
    html_btn.click(lambda p, lng: saved(lambda: studio.receipt(p, lng), lng), [run_pick, lang], [download, info],
                   api_name="receipt")
    def archive(kind):
        return lambda p, lng: saved(lambda: studio.archive(p, kind, lng), lng)

    for kind, btn in archives.items():
        btn.click(archive(kind), [run_pick, lang], [download, info], api_visibility="private")
    push_btn.click(push, [run_pick, repo, token, private, what, lang], push_msg, api_name="push")
    return SimpleNamespace(run_pick=run_pick)
