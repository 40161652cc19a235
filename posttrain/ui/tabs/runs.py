"""5 · Runs: past runs with their charts, probes and answers; two or more runs side by side, their curves
overlaid and their answers in columns (the identity demo by SFT and by DPO: why not just SFT? DPO at β 0.1 and
0.5, LoRA and the gated edit); a receipt, the model or its adapter to download or push to the Hub."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from ... import charts, methods
from .. import inspectors, views
from ..text import t
from .shared import Page, message


def build(page: Page) -> SimpleNamespace:
    studio, lang = page.studio, page.lang
    with page.tab("tab.runs", id="runs") as tab:
        page.explain("runs")
        with gr.Row():  # API clients name runs this page never listed: Studio refuses a path outside its runs
            run_pick = page.widget(gr.Dropdown, "runs.pick", choices=[], scale=4, allow_custom_value=True)
            refresh_btn = page.button("runs.refresh", scale=1)
        info, plot = gr.Markdown(elem_id="run-summary"), gr.Plot()
        inspected = gr.HTML(elem_id="run-inspectors")  # token rewards (DPO) or the last group (GRPO)
        probes, answers = gr.HTML(), gr.HTML()
        with gr.Row():
            other = page.widget(gr.Dropdown, "runs.compare_with", choices=[], scale=4, multiselect=True,
                                allow_custom_value=True)
            pair_btn = page.button("runs.compare_btn", scale=1)
        pair_scores = gr.Markdown(elem_id="runs-scores")
        pair_plot, pair_answers = gr.Plot(elem_id="runs-overlay"), gr.HTML(elem_id="runs-answers")
        with gr.Row():
            html_btn = page.button("runs.html")
            archives = {what: page.button(key) for what, key in
                        (("receipt", "runs.receipt"), ("model", "runs.model"), ("adapter", "runs.adapter"))}
        saved_msg = gr.Markdown(elem_id="runs-download-msg")  # why a download could not be made, beside its buttons
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

    def refresh(path, lng):
        """The runs list read again; the run picked stays picked while it is listed (else the newest)."""
        runs = studio.runs()
        choices = views.run_choices(runs, lng)
        keep = path if any(p == path for _, p in choices) else (choices[0][1] if choices else None)
        return gr.Dropdown(choices=choices, value=keep), "" if runs else t("runs.none", lng, root=studio.root)

    def show(path, lng):
        if not path:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            run = studio.run(path)
        except Exception as e:  # noqa: BLE001
            return message(e, lng), None, "", None, ""
        cfg = run["config"]
        inspectors_html = inspectors.token_rewards_html(run["token_rewards"], lng) + \
            inspectors.group_html(run["groups"], run["metrics"], lng)
        probes = views.probes_html(run["probes"], (cfg.get("identity") or {}).get("name"), lng)
        return views.run_md(run, lng), methods.figure(cfg.get("method"), run["metrics"], lng), inspectors_html, \
            probes, views.side_by_side_html(run["before_after"], lng)

    def others(path, lng):
        """Every other run, newest first (the run before this one preselected)."""
        choices = [c for c in views.run_choices(studio.runs(), lng) if c[1] != path]
        return gr.Dropdown(choices=choices, value=[choices[0][1]] if choices else [])

    def picked(path, more) -> list:
        """The run above and the ones under Compare with (an API client may name just one, as a string)."""
        return [path, *([more] if isinstance(more, str) else more or [])]

    def side_by_side(path, more, lng):
        try:
            result = studio.compare_runs(picked(path, more))
        except Exception as e:  # noqa: BLE001
            return message(e, lng), ""
        return views.runs_scores_md(result, lng), views.runs_answers_html(result, lng)

    def overlay(path, more, lng):
        try:
            result = studio.compare_runs(picked(path, more))
        except Exception:  # noqa: BLE001 - side_by_side, which ran just before, said why in a sentence
            return None
        return charts.overlay_figure([(r["label"], r["metrics"]) for r in result["runs"]], lng)

    def push(path, repo_id, tok, private_, what_, lng):
        try:
            return "✓ " + t("msg.pushed", lng, url=studio.push(path, repo_id, tok, bool(private_), what_))
        except Exception as e:  # noqa: BLE001
            return message(e, lng)

    def saved(write, lng):
        """A file for the Download box, or a sentence beside the buttons (the run's summary stays as it was)."""
        try:
            return str(write()), ""
        except Exception as e:  # noqa: BLE001
            return None, message(e, lng)

    # the pick may stay the same run (no change event): its summary and charts are read again from disk, so a
    # run that ended since shows how it ended. Read again on Refresh, each time the tab is opened (a run this page
    # watched end is listed without a click) and in the page's new language.
    for event in (refresh_btn.click, tab.select, lang.change):
        event(refresh, [run_pick, lang], [run_pick, info], api_visibility="private").then(
            show, [run_pick, lang], [info, plot, inspected, probes, answers], api_visibility="private").then(
            others, [run_pick, lang], other, api_visibility="private")
    # /runs for API clients, and the page as it opens: the list, the newest run picked
    page.demo.load(lambda lng: refresh(None, lng), lang, [run_pick, info], api_name="runs")
    run_pick.change(show, [run_pick, lang], [info, plot, inspected, probes, answers], api_visibility="private")
    run_pick.change(others, [run_pick, lang], other, api_visibility="private")
    pair_btn.click(side_by_side, [run_pick, other, lang], [pair_scores, pair_answers], api_name="compare_runs").then(
        overlay, [run_pick, other, lang], pair_plot, api_visibility="private")
    html_btn.click(lambda p, lng: saved(lambda: studio.receipt(p, lng), lng), [run_pick, lang], [download, saved_msg],
                   api_name="receipt")
    def archive(kind):
        return lambda p, lng: saved(lambda: studio.archive(p, kind, lng), lng)

    for kind, btn in archives.items():
        btn.click(archive(kind), [run_pick, lang], [download, saved_msg], api_visibility="private")
    push_btn.click(push, [run_pick, repo, token, private, what, lang], push_msg, api_name="push")
    return SimpleNamespace(run_pick=run_pick)
