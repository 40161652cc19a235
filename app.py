"""posttrain's Gradio face: six tabs over the `posttrain` engine, nothing else.

`build_demo()` lays out the header and Model → Data → Train → Compare → Runs → RLHF pipeline, one module each in
`posttrain/ui/tabs/`, whose events make one call into `posttrain.studio.Studio` (the engine's
app-facing side) plus a pure view from `posttrain.ui.views`. A timer polls the one background job, so
a closed tab loses nothing: reopening the page shows the running job and its charts, and every visitor
watches the same run. Every string comes from `posttrain.ui.text`. Only `__main__` launches.

    python app.py            # http://127.0.0.1:7860, the bundled model, offline
"""

from __future__ import annotations

import os
import sys
import threading

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

from posttrain import zerogpu  # noqa: E402
from posttrain.studio import Studio  # noqa: E402
from posttrain.ui import views  # noqa: E402
from posttrain.ui.tabs import compare, data, model, pipeline, runs, train  # noqa: E402
from posttrain.ui.tabs.shared import Page, request_lang  # noqa: E402
from posttrain.ui.text import LANGS, TEXT, t  # noqa: E402

zerogpu.gpu_train()  # on a ZeroGPU Space, spaces.GPU has to wrap the GPU function when the app starts

MAX_UPLOAD = "50mb"  # datasets for a short demo are small; a public Space must not take huge uploads
# What every launch passes (tests and the screenshot script launch the same way): one theme, the CSS, and the
# page script that keeps the charts full width and brings the charts and the answers into view.
# One theme, in the system's own fonts (a web font cannot load offline, and digits read better in these).
THEME = gr.themes.Soft(primary_hue="teal", secondary_hue="slate", text_size="md",
                       font=["ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"])
LAUNCH = dict(css=views.CSS, js=views.JS, theme=THEME, max_file_size=MAX_UPLOAD)


def build_demo(studio: Studio | None = None) -> gr.Blocks:
    """The app; `studio` defaults to one over the bundled model and ./runs ($POSTTRAIN_RUNS)."""
    studio = studio or Studio()
    with gr.Blocks(title="posttrain") as demo:
        page = Page(demo, studio, gr.State("en"))
        seen = gr.State(None)  # what this page last drew, so unchanged ticks send nothing
        with gr.Row(equal_height=True, elem_id="header"):
            with gr.Column(scale=5):
                page.md("title")
                page.md("subtitle", elem_classes=["pt-help"])
            lang_pick = gr.Radio(list(LANGS), value="English", label=" / ".join(TEXT["language"]), scale=1,
                                 container=False)
        with gr.Column(elem_id="status-bar"):  # sticky: the job's one line and its bar stay in view, never grow
            status = gr.Markdown(t("train.idle"), elem_id="status")
            progress = gr.HTML("")

        with gr.Tabs() as tabs:
            model_tab = model.build(page)
            data_tab = data.build(page, model_tab.card)
            train_tab = train.build(page)
            compare_tab = compare.build(page, train_tab.method, data_tab)
            runs.build(page)
            pipeline_tab = pipeline.build(page)
        train.wire(page, train_tab, data_tab, compare_tab, model_tab, pipeline_tab, tabs, status, progress, seen)

        def relabel(choice):
            """Every label in the chosen language; the one-off messages (started, stopping, loaded) are cleared
            rather than left in the other language. The timer redraws the charts in it."""
            lng = LANGS.get(choice, "en")
            return [lng, views.card_html(studio.card(), lng), views.status_md(studio.job_view(), lng), "", ""] + \
                page.relabel(lng)

        def browser_language(request: gr.Request):
            return "中文" if request_lang(request) == "zh" else "English"

        def job() -> dict:
            """The current job for API clients: status, phase, step / total, ETA, the latest metrics and held-out
            scores, the run's scores, and its alarms."""
            return views.job_summary(studio.job_view())

        lang_pick.change(relabel, lang_pick, [page.lang, model_tab.card, status, train_tab.msg, model_tab.msg] +
                         page.components, api_visibility="private")
        demo.load(browser_language, None, lang_pick, api_visibility="private")
        gr.api(job, api_name="job")

    def relabelled(choice: str) -> dict:
        """{component: what the language switch sets on it} (the language test reads every visible string)."""
        _, card, status_md, _, _, *updates = relabel(choice)
        return {model_tab.card: {"value": card}, status: {"value": status_md},
                **dict(zip(page.components, updates))}

    demo.relabelled = relabelled
    return demo


def main() -> None:
    studio = Studio()
    # Load the bundled model while the page opens, so the first click does not wait for it.
    threading.Thread(target=lambda: _try(studio.load, None), daemon=True).start()
    port = int(os.environ.get("PORT", os.environ.get("GRADIO_SERVER_PORT", 7860)))
    build_demo(studio).queue(default_concurrency_limit=4).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), server_port=port, **LAUNCH)


def _try(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - the page reports load errors when the user acts
        print(f"posttrain: could not preload the model: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
