"""posttrain's Gradio face: five tabs over the `posttrain` engine, nothing else.

`build_demo()` lays out Model → Data → Train → Compare → Runs and wires each event to one call into
`posttrain.studio.Studio` (the engine's app-facing side) plus a pure view from `posttrain.ui.views`.
A timer polls the one background job, so a closed tab loses nothing: reopening the page shows the
running job and its charts, and every visitor watches the same run. Only `__main__` launches.

    python app.py            # http://127.0.0.1:7860, the bundled model, offline
"""

from __future__ import annotations

import os
import sys
import threading
import traceback

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from posttrain import charts, presets, tables, zerogpu  # noqa: E402
from posttrain.config import LOSS_TYPES, SettingsError  # noqa: E402
from posttrain.data import ARITHMETIC_SYSTEM_PROMPT, DataError  # noqa: E402
from posttrain.hub import HubError  # noqa: E402
from posttrain.models import ModelError  # noqa: E402
from posttrain.rewards import REWARD_FUNCTIONS  # noqa: E402
from posttrain.runner import JobBusy  # noqa: E402
from posttrain.studio import Studio, StudioError  # noqa: E402
from posttrain.ui import views  # noqa: E402
from posttrain.ui.text import LANGS, TEXT, t  # noqa: E402

zerogpu.gpu_train()  # on a ZeroGPU Space, spaces.GPU has to wrap the GPU function when the app starts

EXPECTED = (ModelError, DataError, SettingsError, StudioError, HubError)
MAX_UPLOAD = "50mb"  # datasets for a short demo are small; a public Space must not take huge uploads
ID, AR = presets.IDENTITY, presets.ARITHMETIC
LAUNCH = dict(css=views.CSS, max_file_size=MAX_UPLOAD)  # what every launch passes (tests launch the same way)
QUESTION_HEADERS = ["question", "kind", "answer"]  # Compare's table: answer = a problem's number or accepted answers


def _message(e: Exception, lang: str) -> str:
    """An engine error as one readable sentence; anything unexpected is logged, not shown raw."""
    if isinstance(e, JobBusy):
        return "⚠ " + t("msg.busy", lang, error=str(e))
    if isinstance(e, EXPECTED):
        return "⚠ " + t("msg.error", lang, error=str(e))
    traceback.print_exc()
    return "⚠ " + t("msg.error", lang, error=f"unexpected {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")


def _n(value, cast, name: str):
    """A number field's value, or a sentence when it was left empty."""
    if value is None or str(value).strip() == "":
        raise SettingsError(f"{name} is empty; type a number")
    return cast(value)


def _frame(headers: list[str], rows: list[list]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=headers)


def build_demo(studio: Studio | None = None) -> gr.Blocks:
    """The app; `studio` defaults to one over the bundled model and ./runs ($POSTTRAIN_RUNS)."""
    studio = studio or Studio()
    labelled: list[tuple[gr.components.Component, str]] = []  # (component, TEXT key) for the language switch

    def L(component, key):
        labelled.append((component, key))
        return component

    def info(key):
        return TEXT[key + ".info"][0] if key + ".info" in TEXT else None

    def num(key, value, **kw):
        return L(gr.Number(value=value, label=t(key), info=info(key), **kw), key)

    with gr.Blocks(title="posttrain") as demo:
        lang = gr.State("en")
        seen = gr.State(None)  # what this page last drew, so unchanged ticks send nothing
        with gr.Row(equal_height=True):
            with gr.Column(scale=5):
                L(gr.Markdown(t("title")), "title")
                L(gr.Markdown(t("subtitle")), "subtitle")
            lang_pick = gr.Radio(list(LANGS), value="English", label="Language / 语言", scale=1)
        status = gr.Markdown(t("train.idle"), elem_id="status")
        progress = gr.HTML("")

        with gr.Tabs() as tabs:
            # ---------------------------------------------------------------- 1 · Model
            with L(gr.Tab(t("tab.model"), id="model"), "tab.model"):
                with gr.Row():
                    source = L(gr.Textbox(value=studio.default_model, label=t("model.source"),
                                          info=info("model.source"), scale=4), "model.source")
                    load_btn = L(gr.Button(t("model.load"), variant="primary", scale=1), "model.load")
                token = L(gr.Textbox(label=t("model.token"), info=info("model.token"), type="password",
                                     placeholder="hf_…", max_lines=1), "model.token")
                card = gr.Markdown(views.card_md(studio.card()), elem_id="card")
                model_msg = gr.Markdown()
                with gr.Row():
                    gated = L(gr.Checkbox(value=ID.gated, label=t("model.gated"), info=info("model.gated")), "model.gated")
                    lora = L(gr.Checkbox(value=True, label=t("model.lora"), info=info("model.lora")), "model.lora")
                    lora_r = L(gr.Slider(2, 64, value=ID.lora_r, step=2, label=t("model.lora_r"),
                                         info=info("model.lora_r")), "model.lora_r")
                with gr.Row():
                    question = L(gr.Textbox(label=t("model.ask"), placeholder=t("model.ask.placeholder"), scale=4),
                                 "model.ask")
                    ask_btn = L(gr.Button(t("model.ask.button"), scale=1), "model.ask.button")
                answer = L(gr.Textbox(label=t("model.answer"), lines=3, interactive=False), "model.answer")

            # ---------------------------------------------------------------- 2 · Data
            with L(gr.Tab(t("tab.data"), id="data"), "tab.data"):
                with gr.Tabs():
                    with L(gr.Tab(t("data.dpo"), id="data-dpo"), "data.dpo"):
                        L(gr.Markdown("**" + t("data.identity") + "**"), "data.identity")
                        with gr.Row():
                            name = L(gr.Textbox(value="Deep Qwen", label=t("data.name")), "data.name")
                            org = L(gr.Textbox(value="Acme AI", label=t("data.org")), "data.org")
                            n_pairs = L(gr.Slider(8, 160, value=146, step=2, label=t("data.pairs"),
                                                  info=info("data.pairs")), "data.pairs")
                        build_btn = L(gr.Button(t("data.build"), variant="primary"), "data.build")
                        with L(gr.Accordion(t("data.or_load"), open=False), "data.or_load"):
                            with gr.Row():
                                hub_id = L(gr.Textbox(label=t("data.hub"), placeholder="trl-lib/ultrafeedback_binarized"),
                                           "data.hub")
                                pair_file = L(gr.File(label=t("data.file"), file_types=[".jsonl", ".json", ".csv", ".parquet"]),
                                              "data.file")
                            load_pairs_btn = L(gr.Button(t("data.load")), "data.load")
                        pairs_msg = gr.Markdown()
                        pairs = L(gr.Dataframe(headers=tables.DPO_HEADERS, interactive=True, wrap=True,
                                               label=t("data.table"), max_height=420), "data.table")
                    with L(gr.Tab(t("data.grpo"), id="data-grpo"), "data.grpo"):
                        with gr.Row():
                            n_problems = L(gr.Slider(8, 512, value=presets.ARITHMETIC_PROBLEMS, step=8,
                                                     label=t("data.problems")), "data.problems")
                            hint = L(gr.Slider(0, 1, value=presets.ARITHMETIC_HINT, step=0.05, label=t("data.hint"),
                                               info=info("data.hint")), "data.hint")
                        gen_btn = L(gr.Button(t("data.generate"), variant="primary"), "data.generate")
                        with gr.Row():
                            problem_file = L(gr.File(label=t("data.file"), file_types=[".jsonl", ".json", ".csv", ".parquet"]),
                                             "data.file")
                            load_problems_btn = L(gr.Button(t("data.load")), "data.load")
                        problems_msg = gr.Markdown()
                        system = L(gr.Textbox(label=t("data.system"), lines=2), "data.system")
                        problems = L(gr.Dataframe(headers=tables.GRPO_HEADERS, interactive=True, wrap=True,
                                                  label=t("data.problem_table"), max_height=420), "data.problem_table")

            # ---------------------------------------------------------------- 3 · Train
            with L(gr.Tab(t("tab.train"), id="train"), "tab.train"):
                demo_btn = L(gr.Button(t("train.demo"), variant="primary", size="lg", elem_id="demo-btn"), "train.demo")
                with gr.Row():
                    method = L(gr.Radio([("DPO", "dpo"), ("GRPO", "grpo")], value="dpo", label=t("train.method"),
                                        scale=2), "train.method")
                    start_btn = L(gr.Button(t("train.start"), variant="primary", scale=1), "train.start")
                    stop_btn = L(gr.Button(t("train.stop"), variant="stop", scale=1), "train.stop")
                train_msg = gr.Markdown()
                with L(gr.Accordion(t("train.settings"), open=False), "train.settings"):
                    with gr.Row():
                        lr = num("train.lr", ID.learning_rate)
                        steps = num("train.steps", ID.max_steps, precision=0)
                        batch = num("train.batch", ID.batch_size, precision=0)
                        accum = num("train.accum", ID.grad_accum, precision=0)
                        probe_every = num("train.probe", ID.probe_every, precision=0)
                    with gr.Row(visible=True) as dpo_row:
                        beta = num("train.beta", ID.beta)
                        loss = L(gr.Dropdown(list(LOSS_TYPES), value=ID.loss_type, label=t("train.loss"),
                                             info=info("train.loss")), "train.loss")
                        sft = num("train.sft", ID.sft_weight)
                        smoothing = num("train.smoothing", ID.label_smoothing)
                        max_length = num("train.max_length", ID.max_length, precision=0)
                    with gr.Row(visible=False) as grpo_row:
                        grpo_preset = L(gr.Dropdown([("arithmetic / 算术", "arithmetic"),
                                                     ("reward hacking / 奖励投机", "reward-hacking")],
                                                    value="arithmetic", label=t("train.preset"),
                                                    info=info("train.preset")), "train.preset")
                        generations = num("train.generations", AR.num_generations, precision=0)
                        completion = num("train.completion", AR.max_completion_length, precision=0)
                        temperature = num("train.temperature", AR.temperature)
                        kl = num("train.kl", AR.kl_beta)
                        rewards = L(gr.CheckboxGroup(list(REWARD_FUNCTIONS), value=AR.reward_funcs,
                                                     label=t("train.rewards"), info=info("train.rewards")), "train.rewards")
                        weights = L(gr.Textbox(", ".join(map(str, AR.reward_weights)), label=t("train.weights"),
                                               info=info("train.weights")), "train.weights")
                plot = L(gr.Plot(label=t("train.charts"), elem_id="charts"), "train.charts")
                L(gr.Markdown("**" + t("train.probes") + "**"), "train.probes")
                probes = gr.HTML(elem_id="probes")
                with gr.Column(visible=False) as group_box:
                    L(gr.Markdown("**" + t("train.group") + "**"), "train.group")
                    group_prompt = gr.Markdown()
                    group = gr.HTML(elem_id="group")

            # ---------------------------------------------------------------- 4 · Compare
            with L(gr.Tab(t("tab.compare"), id="compare"), "tab.compare"):
                questions = L(gr.Dataframe(value=_frame(QUESTION_HEADERS, studio.default_questions()),
                                           headers=QUESTION_HEADERS, interactive=True, wrap=True,
                                           label=t("compare.questions"), max_height=300), "compare.questions")
                compare_system = L(gr.Textbox(label=t("compare.system"), lines=1), "compare.system")
                with gr.Row():
                    compare_btn = L(gr.Button(t("compare.run"), variant="primary"), "compare.run")
                    reset_q_btn = L(gr.Button(t("compare.reset")), "compare.reset")
                scores = gr.Markdown(elem_id="scores")
                side_by_side = gr.HTML(elem_id="side-by-side")

            # ---------------------------------------------------------------- 5 · Runs
            with L(gr.Tab(t("tab.runs"), id="runs"), "tab.runs"):
                with gr.Row():
                    run_pick = L(gr.Dropdown(choices=[], label=t("runs.pick"), scale=4), "runs.pick")
                    refresh_btn = L(gr.Button(t("runs.refresh"), scale=1), "runs.refresh")
                run_info = gr.Markdown()
                run_plot = gr.Plot()
                run_probes = gr.HTML()
                run_compare = gr.HTML()
                with gr.Row():
                    html_btn = L(gr.Button(t("runs.html")), "runs.html")
                    receipt_btn = L(gr.Button(t("runs.receipt")), "runs.receipt")
                    model_zip_btn = L(gr.Button(t("runs.model")), "runs.model")
                    adapter_btn = L(gr.Button(t("runs.adapter")), "runs.adapter")
                download = L(gr.File(label=t("runs.file"), interactive=False), "runs.file")
                with L(gr.Accordion(t("runs.push"), open=False), "runs.push"):
                    with gr.Row():
                        repo = L(gr.Textbox(label=t("runs.repo"), info=info("runs.repo"), placeholder="your-name/nova-135m"),
                                 "runs.repo")
                        push_token = L(gr.Textbox(label=t("runs.push_token"), info=info("runs.push_token"),
                                                  type="password", placeholder="hf_…"), "runs.push_token")
                    with gr.Row():
                        private = L(gr.Checkbox(value=True, label=t("runs.private")), "runs.private")
                        push_what = L(gr.Radio([("model, LoRA merged / 完整模型", "model"),
                                                ("LoRA adapter / LoRA 适配器", "adapter")], value="model",
                                               label=t("runs.what")), "runs.what")
                        push_btn = L(gr.Button(t("runs.push_btn"), variant="primary"), "runs.push_btn")
                    push_msg = gr.Markdown()

        timer = gr.Timer(1.0)

        # ================================================================ handlers: one engine call each
        def on_load(lng):
            return views.card_md(studio.card(), lng), ""  # the model itself loads on first use

        def load(src, tok, lng):
            try:
                card_ = studio.load(src, tok)
                return views.card_md(card_, lng), "✓ " + t("msg.loaded", lng, source=card_["source"])
            except Exception as e:  # noqa: BLE001
                return gr.skip(), _message(e, lng)

        def ask(q, lng):
            try:
                return studio.ask(q), views.card_md(studio.card(), lng)
            except Exception as e:  # noqa: BLE001
                return _message(e, lng), gr.skip()

        def build(nm, og, n, lng):
            try:
                rows = studio.identity_pairs(nm, og, int(n))
            except Exception as e:  # noqa: BLE001
                return gr.skip(), _message(e, lng), gr.skip()
            kinds = [r["kind"] for r in rows]
            msg = t("data.n_pairs", lng, n=len(rows), identity=kinds.count("identity"), control=kinds.count("control"))
            return _frame(tables.DPO_HEADERS, tables.dpo_table(rows)), "✓ " + msg, views.card_md(studio.card(), lng)

        def load_pairs(hub, file, lng):
            src = file or (hub or "").strip()
            try:
                rows = studio.preference_data(src, uploaded=bool(file))
            except Exception as e:  # noqa: BLE001
                return gr.skip(), _message(e, lng)
            shown = os.path.basename(src) if file else src
            return _frame(tables.DPO_HEADERS, tables.dpo_table(rows)), "✓ " + t("data.n_rows", lng, n=len(rows), source=shown)

        def problems_view(rows, lng):
            sys_prompt, table = tables.grpo_table(rows)
            return sys_prompt, _frame(tables.GRPO_HEADERS, table), "✓ " + t("data.n_problems", lng, n=len(rows))

        def generate(n, share, lng):
            try:
                return problems_view(studio.arithmetic_data(int(n), float(share)), lng)
            except Exception as e:  # noqa: BLE001
                return gr.skip(), gr.skip(), _message(e, lng)

        def load_problems(file, lng):
            try:
                return problems_view(studio.problem_file(file), lng)
            except Exception as e:  # noqa: BLE001
                return gr.skip(), gr.skip(), _message(e, lng)

        def settings_for(m, lora_, r, lr_, steps_, batch_, accum_, probe_, beta_, loss_, sft_, smooth_, maxlen_,
                         gens_, comp_, temp_, kl_, funcs_, weights_, gated_):
            common = dict(lora=bool(lora_), lora_r=_n(r, int, "LoRA rank"), learning_rate=_n(lr_, float, "learning rate"),
                          max_steps=_n(steps_, int, "steps"), batch_size=_n(batch_, int, "batch size"),
                          grad_accum=_n(accum_, int, "gradient accumulation"), probe_every=_n(probe_, int, "probe every"))
            common["lora_alpha"] = 2 * common["lora_r"]
            if m == "dpo":
                return studio.settings("dpo", **common, gated=bool(gated_), beta=_n(beta_, float, "beta"), loss_type=loss_,
                                       sft_weight=_n(sft_, float, "SFT weight"),
                                       label_smoothing=_n(smooth_, float, "label smoothing"),
                                       max_length=_n(maxlen_, int, "max length"))
            try:
                w = [float(x) for x in str(weights_).replace("，", ",").split(",") if x.strip()]
            except ValueError:
                raise SettingsError(f"reward weights must be numbers separated by commas (got '{weights_}')") from None
            return studio.settings("grpo", **common, num_generations=_n(gens_, int, "generations per prompt"),
                                   max_completion_length=_n(comp_, int, "max completion length"),
                                   temperature=_n(temp_, float, "temperature"), kl_beta=_n(kl_, float, "KL beta"),
                                   reward_funcs=list(funcs_ or []), reward_weights=w)

        def start(m, pair_table, sys_prompt, problem_table, nm, og, *settings_and_lang):
            *values, lng = settings_and_lang
            if not tables.table_rows(pair_table if m == "dpo" else problem_table):
                yield "⚠ " + t("train.need_data", lng, kind=m.upper())
                return
            try:
                settings = settings_for(m, *values)
                if m == "dpo":
                    rows = tables.dpo_rows(pair_table)
                    named = any(r["kind"] == "identity" for r in rows)
                    job = studio.start("dpo", settings, rows, name=nm if named else None, org=og, data_source="app: table")
                else:
                    rows = tables.grpo_rows(sys_prompt, problem_table)
                    job = studio.start("grpo", settings, rows, data_source="app: table")
            except Exception as e:  # noqa: BLE001
                yield _message(e, lng)
                return
            yield from _carry(job, "✓ " + t("train.started", lng, kind=m.upper()), lng)

        def _carry(job, started: str, lng):
            """Yield `started`; on ZeroGPU first carry the whole run, which must happen in this request
            (nothing is yielded until it ends, so a closed page cannot cut it short; the timer draws it)."""
            try:
                for _ in studio.drive(job):
                    pass
            except Exception as e:  # noqa: BLE001
                yield _message(e, lng)
                return
            yield started

        def run_demo(nm, og, lng):
            try:
                job = studio.start_identity_demo(nm, og)
            except Exception as e:  # noqa: BLE001
                yield _message(e, lng), gr.skip(), gr.skip()
                return
            for msg in _carry(job, "✓ " + t("train.started", lng, kind="DPO"), lng):
                yield msg, gr.Tabs(selected="train"), "dpo"

        def stop(lng):
            msg = studio.stop()
            return t("msg.nothing", lng) if msg.startswith("nothing") else "■ " + t("msg.stopping", lng)

        def tick(lng, last):
            v = studio.job_view()
            if v is None:
                return [gr.skip()] * 11 + [last]
            key = (v["run_dir"], v["status"], v["phase"], v["step"], len(v["metrics"]), len(v["probes"]),
                   len(v["groups"]), lng, int(v["elapsed_s"]) if v["status"] in ("running", "stopping") else 0)
            if key == last:
                return [gr.skip()] * 11 + [last]
            first_draw = last is None or last[0] != v["run_dir"] or last[-2] != lng
            grew = first_draw or (len(v["metrics"]), len(v["probes"]), len(v["groups"])) != tuple(last[4:7])
            out = [views.status_md(v, lng), views.progress_html(v)]
            if grew:
                headers, rows = charts.probe_table(v["probes"], v.get("name"))
                prompt, g_headers, g_rows = charts.group_table(v["groups"])
                out += [charts.training_figure(v["kind"], v["metrics"], lng),
                        views.table_html(headers, rows),
                        gr.Column(visible=v["kind"] == "grpo"), prompt and f"*{prompt}*",
                        views.table_html(g_headers, g_rows)]
            else:
                out += [gr.skip()] * 5
            ended_now = v["before_after"] and (first_draw or last[1] in ("running", "stopping"))
            if ended_now:
                out += [views.scores_md(v["scores"], lng), views.side_by_side_html(v["before_after"], lng)]
            else:
                out += [gr.skip()] * 2
            # a run this page watched end: Compare's questions become its kind's (held-out problems after GRPO)
            watched_end = ended_now and last is not None and last[0] == v["run_dir"] and last[1] in ("running", "stopping")
            out += list(reset_questions(v["kind"])) if watched_end else [gr.skip()] * 2
            return out + [key]

        def compare(q_table, sys_prompt, lng):
            cells = [c + ["", ""] for c in tables.table_rows(q_table)]
            try:
                res = studio.compare([c[0] for c in cells], [c[1] for c in cells], sys_prompt, [c[2] for c in cells])
            except Exception as e:  # noqa: BLE001
                return _message(e, lng), gr.skip()
            note = "" if res["trained"] else "ℹ️ " + t("compare.untrained", lng) + "\n\n"
            return note + views.scores_md(res["scores"] or {"changed": sum(r["changed"] for r in res["rows"]) / len(res["rows"])}, lng), \
                views.side_by_side_html(res["rows"], lng)

        def reset_questions(m):
            return _frame(QUESTION_HEADERS, studio.default_questions(m)), \
                (ARITHMETIC_SYSTEM_PROMPT if m == "grpo" else "")

        def refresh_runs(lng):
            runs = studio.runs()
            choices = views.run_choices(runs, lng)
            return gr.Dropdown(choices=choices, value=choices[0][1] if choices else None), \
                "" if runs else t("runs.none", lng, root=studio.root)

        def show_run(path, lng):
            if not path:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            try:
                run = studio.run(path)
            except Exception as e:  # noqa: BLE001
                return _message(e, lng), None, None, ""
            cfg, st = run["config"], run["status"]
            lines = [f"**{cfg.get('method', '?').upper()}** · {st.get('status', '?')} · {cfg.get('model')} · {cfg.get('data')}",
                     views.scores_md(run["scores"], lng)]
            if st.get("phase_times"):
                lines.append(" · ".join(f"{k} {v:.0f} s" for k, v in st["phase_times"].items()))
            if st.get("error"):
                lines.append(t("status.error", lng, error=st["error"]))
            headers, rows = charts.probe_table(run["probes"], (cfg.get("identity") or {}).get("name"))
            return "\n\n".join(x for x in lines if x), charts.training_figure(cfg.get("method", "dpo"), run["metrics"], lng), \
                views.table_html(headers, rows), views.side_by_side_html(run["before_after"], lng)

        def push(path, repo_id, tok, private_, what, lng):
            try:
                return "✓ " + t("msg.pushed", lng, url=studio.push(path, repo_id, tok, bool(private_), what))
            except Exception as e:  # noqa: BLE001
                return _message(e, lng)

        def receipt_page(path, lng):
            try:
                return str(studio.receipt(path, lng)), gr.skip()
            except Exception as e:  # noqa: BLE001
                return None, _message(e, lng)

        def archive(path, what, lng):
            try:
                return str(studio.archive(path, what, lng)), gr.skip()
            except Exception as e:  # noqa: BLE001
                return None, _message(e, lng)

        def relabel(choice):
            lng = LANGS.get(choice, "en")
            updates = []
            for comp, key in labelled:
                text = t(key, lng)
                if isinstance(comp, (gr.Button, gr.Markdown)):
                    bold = key in ("data.identity", "train.probes", "train.group")
                    updates.append(gr.update(value=f"**{text}**" if bold else text))
                elif isinstance(comp, (gr.Tab, gr.Accordion)):
                    updates.append(gr.update(label=text))
                else:
                    kw = {"label": text}
                    for part in ("info", "placeholder"):
                        if f"{key}.{part}" in TEXT:
                            kw[part] = t(f"{key}.{part}", lng)
                    updates.append(gr.update(**kw))
            return [lng, None, views.card_md(studio.card(), lng), views.status_md(studio.job_view(), lng)] + updates

        def browser_language(request: gr.Request):
            accept = (request.headers.get("accept-language", "") if request else "").lower()
            return "中文" if accept.startswith("zh") else "English"

        # ================================================================ wiring
        lang_pick.change(relabel, lang_pick, [lang, seen, card, status] + [c for c, _ in labelled],
                         api_visibility="private")
        demo.load(browser_language, None, lang_pick, api_visibility="private")
        demo.load(on_load, lang, [card, model_msg], api_visibility="private")
        load_btn.click(load, [source, token, lang], [card, model_msg], api_name="load_model")
        question.submit(ask, [question, lang], [answer, card], api_name="ask_enter", api_visibility="private")
        ask_btn.click(ask, [question, lang], [answer, card], api_name="ask")
        build_btn.click(build, [name, org, n_pairs, lang], [pairs, pairs_msg, card], api_name="build_identity")
        load_pairs_btn.click(load_pairs, [hub_id, pair_file, lang], [pairs, pairs_msg], api_name="load_pairs")
        gen_btn.click(generate, [n_problems, hint, lang], [system, problems, problems_msg], api_name="build_problems")
        load_problems_btn.click(load_problems, [problem_file, lang], [system, problems, problems_msg],
                                api_name="load_problems")
        setting_inputs = [lora, lora_r, lr, steps, batch, accum, probe_every, beta, loss, sft, smoothing,
                          max_length, generations, completion, temperature, kl, rewards, weights, gated]
        start_btn.click(start, [method, pairs, system, problems, name, org] + setting_inputs + [lang],
                        train_msg, api_name="start")
        demo_btn.click(run_demo, [name, org, lang], [train_msg, tabs, method], api_name="identity_demo")
        stop_btn.click(stop, lang, train_msg, api_name="stop")

        def show_method(m):
            d = presets.IDENTITY if m == "dpo" else presets.ARITHMETIC
            return (gr.Row(visible=m == "dpo"), gr.Row(visible=m == "grpo"), d.learning_rate, d.max_steps,
                    d.batch_size, gr.Column(visible=m == "grpo"), *reset_questions(m))

        method.change(show_method, method, [dpo_row, grpo_row, lr, steps, batch, group_box, questions, compare_system],
                      api_visibility="private")
        timer.tick(tick, [lang, seen], [status, progress, plot, probes, group_box, group_prompt, group, scores,
                                        side_by_side, questions, compare_system, seen], api_visibility="private",
                   show_progress="hidden")

        def load_preset(name_):
            d = presets.GRPO_PRESETS[name_]
            return (d.learning_rate, d.max_steps, d.batch_size, d.probe_every, d.num_generations,
                    d.max_completion_length, d.temperature, d.kl_beta, d.reward_funcs, ", ".join(map(str, d.reward_weights)))

        grpo_preset.change(load_preset, grpo_preset, [lr, steps, batch, probe_every, generations, completion, temperature,
                                                      kl, rewards, weights], api_visibility="private")

        def job() -> dict:
            """The current job for API clients: status, phase, step / total, ETA, the latest metrics and held-out
            scores, the run's scores, and its alarms."""
            v = studio.job_view()
            if v is None:
                return {"status": "idle"}
            keep = ("kind", "status", "phase", "step", "total", "eta_s", "elapsed_s", "error", "run_dir", "scores",
                    "notes")
            judged = [r for r in v["metrics"] if any(k.startswith("eval/") for k in r)]  # the probes' held-out scores
            logged = [r for r in v["metrics"] if not any(k.startswith("eval/") for k in r)]  # TRL's own rows
            return {**{k: v[k] for k in keep}, "n_metrics": len(logged), "n_probes": len(v["probes"]),
                    "metrics": logged[-1:], "eval": judged[-1:], "alarms": views.job_alarms(v)}

        gr.api(job, api_name="job")
        compare_btn.click(compare, [questions, compare_system, lang], [scores, side_by_side], api_name="compare")
        reset_q_btn.click(reset_questions, method, [questions, compare_system], api_visibility="private")
        demo.load(lambda: reset_questions(studio.last_kind or "dpo"), None, [questions, compare_system],
                  api_visibility="private")  # a page opened after a GRPO run compares problems
        refresh_btn.click(refresh_runs, lang, [run_pick, run_info], api_name="runs")
        demo.load(refresh_runs, lang, [run_pick, run_info], api_visibility="private")
        tabs_runs = [run_info, run_plot, run_probes, run_compare]
        run_pick.change(show_run, [run_pick, lang], tabs_runs, api_visibility="private")
        receipt_btn.click(lambda p, lng: archive(p, "receipt", lng), [run_pick, lang], [download, run_info],
                          api_visibility="private")
        model_zip_btn.click(lambda p, lng: archive(p, "model", lng), [run_pick, lang], [download, run_info],
                            api_visibility="private")
        adapter_btn.click(lambda p, lng: archive(p, "adapter", lng), [run_pick, lang], [download, run_info],
                          api_visibility="private")
        html_btn.click(receipt_page, [run_pick, lang], [download, run_info], api_name="receipt")
        push_btn.click(push, [run_pick, repo, push_token, private, push_what, lang], push_msg, api_name="push")
    def relabelled(choice: str) -> dict:
        """{component: what the language switch sets on it} (the language test reads every visible string)."""
        _, _, card_md, status_md, *updates = relabel(choice)
        return {card: {"value": card_md}, status: {"value": status_md}, **dict(zip((c for c, _ in labelled), updates))}

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
