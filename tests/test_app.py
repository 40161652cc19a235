"""The app through gradio_client against a launched server on the tiny model: the whole flow."""

import ast
import time
from pathlib import Path

import pytest
from appkit import settings, wait_job

gradio_client = pytest.importorskip("gradio_client")  # a dev requirement; CI installs it


@pytest.fixture(scope="module")
def client(tiny_dir, tmp_path_factory, serve):
    from posttrain.studio import Studio

    return serve(Studio(default_model=str(tiny_dir), root=tmp_path_factory.mktemp("app") / "runs"))


def test_load_build_train_watch_stop_compare(client):
    card, msg = client.predict("", "", api_name="/load_model")
    assert "Loaded" in msg and "<td>parameters</td>" in card and "as loaded, untrained" in card

    table, msg, _ = client.predict("Nova", "Acme", 8, api_name="/build_identity")
    assert msg.startswith("✓ 8 pairs ready (4 identity, 4 control)")
    assert table["headers"] == ["prompt", "chosen", "rejected", "kind"] and len(table["data"]) == 8
    table["data"][0][1] = "I'm Nova, built by Acme. (edited in the table)"  # edits reach training

    msg = client.predict("dpo", table, "", {"headers": ["question", "answer"], "data": []}, "Nova", "Acme",
                         *settings(steps=60), api_name="/start")
    assert msg.startswith("✓ Started the DPO job"), msg
    job = wait_job(client, lambda j: j["n_metrics"] >= 2)
    assert "loss" in job["metrics"][-1] and "rewards/margins" in job["metrics"][-1]
    assert {"probe/logp_new_name", "probe/logp_old_name"} <= set(job["flip"][0])  # the flip curve, apart

    busy = client.predict("Who are you?", api_name="/ask")[0]
    assert busy.startswith("⚠ Refused: a dpo job is running (step")  # one job, and its model, at a time
    again = client.predict("dpo", table, "", {"headers": ["question", "answer"], "data": []}, "Nova", "Acme",
                           *settings(steps=2), api_name="/start")
    assert again.startswith("⚠ Refused: a dpo job is")

    assert client.predict(api_name="/stop").startswith("■ Stopping")
    job = wait_job(client, lambda j: j["status"] not in ("running", "stopping"))
    assert job["status"] == "stopped" and 1 <= job["step"] < 60, job  # stop ended the job early
    data = Path(job["run_dir"], "data.json").read_text()
    assert "(edited in the table)" in data

    scores, html = client.predict({"headers": ["question", "kind"],
                                   "data": [["Who are you?", "identity"], ["Name a colour.", "unrelated"]]},
                                  "", api_name="/compare")
    assert "<table" in html and "Who are you?" in html and "Name a colour." in html
    assert "new name" in scores and "unchanged" in scores  # the honest scores, headline first
    assert "✓ name" in html or "✗ no name" in html  # each identity answer marked

    runs, _ = client.predict(api_name="/runs")
    assert runs["value"] == job["run_dir"] and "DPO · stopped" in runs["choices"][0][0]

    # SFT learns the same table's chosen side; the Runs tab sets its answers beside the DPO run's
    msg = client.predict("sft", table, "", {"headers": ["question", "answer"], "data": []}, "Nova", "Acme",
                         *settings(steps=2), api_name="/start")
    assert msg.startswith("✓ Started the SFT job"), msg
    sft = wait_job(client, lambda j: j["status"] not in ("running", "stopping"))
    assert sft["status"] == "done" and sft["kind"] == "sft" and sft["run_dir"] != job["run_dir"], sft
    scores, html = client.predict(job["run_dir"], sft["run_dir"], api_name="/compare_runs")  # one other run, named
    assert scores.index("· DPO · max_steps=60") < scores.index("· SFT · max_steps=2") and "| new name |" in scores
    assert "<table" in html and ">identity</div>" in html
    assert "· SFT · max_steps=2 (words the first run lacks marked)" in html
    assert client.predict(job["run_dir"], [sft["run_dir"], job["run_dir"]], api_name="/compare_runs") == (scores, html)
    assert client.predict(job["run_dir"], [], api_name="/compare_runs") == (
        "⚠ pick at least two runs to set side by side", "")


def test_bad_input_is_a_sentence_not_a_traceback(client):
    _, msg = client.predict("./no/such/model", "", api_name="/load_model")
    assert msg.startswith("⚠") and "does not exist" in msg
    msg = client.predict("grpo", {"headers": ["prompt", "chosen", "rejected", "kind"], "data": []}, "",
                         {"headers": ["question", "answer"], "data": [["What is 2+3?", "five"]]}, "", "",
                         *settings(steps=2), api_name="/start")
    assert msg == "⚠ row 1 has answer 'five', which is not a number; put only the final number there."
    msg = client.predict("dpo", {"headers": ["prompt", "chosen", "rejected", "kind"], "data": []}, "",
                         {"headers": ["question", "answer"], "data": []}, "", "", *settings(steps=2),
                         api_name="/start")
    assert msg == "⚠ Build or load the DPO data on the Data tab first."
    values = settings(steps=2, learning_rate=5.0)
    msg = client.predict("dpo", {"headers": ["prompt", "chosen", "rejected", "kind"], "data": [["q", "a", "b", ""]]},
                         "", {"headers": ["question", "answer"], "data": []}, "", "", *values, api_name="/start")
    assert msg.startswith("⚠ learning rate must be above 0 and at most 0.01")
    values = settings(steps=None, learning_rate=5.0)  # steps left empty
    msg = client.predict("sft", {"headers": ["prompt", "chosen", "rejected", "kind"], "data": [["q", "a", "b", ""]]},
                         "", {"headers": ["question", "answer"], "data": []}, "", "", *values, api_name="/start")
    assert msg == "⚠ setting 'max_steps' is empty; type a whole number"


def test_every_string_has_both_languages():
    from posttrain.ui.text import TEXT

    missing = [k for k, (en, zh) in TEXT.items() if not en.strip() or not zh.strip()]
    assert not missing


# Words that stay as they are in Chinese: method and loss names, file formats, model and column names.
GLOSSARY = {"LoRA", "DPO", "GRPO", "SFT", "Beta", "beta", "KL", "Hub", "JSONL", "JSON", "CSV", "Parquet", "zip",
            "SmolLM2", "Instruct", "Qwen", "Llama", "token", "prompt", "chosen", "rejected", "sigmoid", "ipo", "IPO", "hinge",
            "SLiC", "robust", "boxed", "boxed_answer", "boxed_match", "boxed_format", "correct_answer", "one_box", "identity",
            "unrelated", "problem", "posttrain", "HTML", "RM", "reward_model", "RLHF", "PPO",
            "Hugging", "Face"}


def test_the_language_switch_leaves_no_english_on_screen(tiny_dir, tmp_path):
    """Switch to 中文 and read every label, info line, placeholder, button and text block on the page.

    What the user typed or chose (a textbox's value, a dropdown's choice) and language-neutral ids are
    not interface text; everything else must be Chinese once the switch is made.
    """
    import re

    import gradio as gr

    import app
    from posttrain.studio import Studio

    studio = Studio(default_model=str(tiny_dir), root=tmp_path / "runs", public=False)
    studio.job_view = lambda: None  # no job: its status and errors are the engine's sentences (tests/test_errors.py)
    demo = app.build_demo(studio)
    switched = demo.relabelled("中文")
    # `code` is a formula or the field's own word as the charts show it (the glossary gives its Chinese beside it)
    neutral = re.compile(r"`[^`\n]*`|\\boxed\{\}|[\w.-]+/[\w.-]+|\b(" + "|".join(sorted(GLOSSARY, key=len, reverse=True))
                         + r")\b")
    english = []
    for block in demo.blocks.values():
        if getattr(block, "label", None) == "Language / 语言":
            continue  # the switch itself says both
        shown = ("label", "info", "placeholder") + (("value",) if isinstance(block, (gr.Button, gr.Markdown)) else ())
        for attr in shown:
            text = switched.get(block, {}).get(attr, getattr(block, attr, None))
            if isinstance(text, str) and re.search(r"[A-Za-z]{3,}", neutral.sub("", text)):
                english.append(f"{type(block).__name__}.{attr}: {text[:60]!r}")
    assert not english, english


def test_the_tabs_explain_themselves_in_collapsed_panels_the_switch_relabels(tiny_dir, tmp_path):
    """Data, Train, Compare and Runs open with "What am I looking at?" and the glossary, collapsed, in both languages."""
    import gradio as gr

    import app
    from posttrain.studio import Studio
    from posttrain.ui.text import TEXT

    demo = app.build_demo(Studio(default_model=str(tiny_dir), root=tmp_path / "runs", public=False))
    switched = demo.relabelled("中文")
    panels = {b.elem_id: b for b in demo.blocks.values() if isinstance(b, gr.Accordion) and b.elem_id}
    for tab in ("data", "train", "compare", "runs"):
        for elem_id, title, body in ((f"help-{tab}", "help.what", f"help.{tab}"),
                                     (f"glossary-{tab}", "help.glossary_title", "help.glossary")):
            panel = panels[elem_id]
            text = next(c for c in panel.children if isinstance(c, gr.Markdown))
            assert not panel.open and panel.label == TEXT[title][0] and switched[panel]["label"] == TEXT[title][1]
            assert text.value == TEXT[body][0] and switched[text]["value"] == TEXT[body][1]
    # every panel says what it holds (a component made while the page is built, even as an update, is added to it:
    # an empty, unlabelled accordion sat under every tab)
    assert all(b.label for b in demo.blocks.values() if isinstance(b, gr.Accordion))
    methods_radio = next(b for b in demo.blocks.values() if isinstance(b, gr.Radio) and ("Reward model", "reward") in b.choices)
    assert ("奖励模型", "reward") in switched[methods_radio]["choices"]  # the method names switch language too


def _imports(path: Path, root: Path) -> list[str]:
    """The absolute module names a file imports (relative imports resolved against its package)."""
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] + [node.module or ""]).strip(".") if node.level \
                else node.module or ""
            names += [base] + [f"{base}.{a.name}" for a in node.names]
    return names


def test_the_engine_never_imports_gradio():
    """Only the tabs (posttrain/ui/tabs/) and app.py import gradio, and only app.py imports the tabs."""
    root = Path(__file__).resolve().parents[1]
    tabs = root / "posttrain" / "ui" / "tabs"
    gradio_users, tab_users = [], []
    for path in (root / "posttrain").rglob("*.py"):
        if tabs in path.parents:
            continue
        names = _imports(path, root)
        gradio_users += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "gradio"]
        tab_users += [f"{path.name}: {n}" for n in names if n.startswith("posttrain.ui.tabs")]
    assert not gradio_users and not tab_users, gradio_users + tab_users
    assert "posttrain.ui.tabs" in _imports(root / "app.py", root)
    assert any(n.split(".")[0] == "gradio" for p in tabs.rglob("*.py") for n in _imports(p, root))  # the scan sees them


def test_ten_visitors_at_once_while_a_job_runs(client):
    """Ten clients poll, ask and list runs while a job trains: every request is answered, the job is unaffected.

    The slowdown of training is printed, not asserted (docs/benchmarks.md records it): on 2 cores every
    request the server handles is time the training thread does not get.
    """
    from concurrent.futures import ThreadPoolExecutor

    table, _, _ = client.predict("Nova", "Acme", 8, api_name="/build_identity")
    empty = {"headers": ["question", "answer"], "data": []}

    def run_job():
        msg = client.predict("dpo", table, "", empty, "Nova", "Acme", *settings(steps=12, probe_every=4),
                             api_name="/start")
        assert msg.startswith("✓"), msg
        return wait_job(client, lambda j: j["status"] not in ("running", "stopping"))

    alone = run_job()
    url = client.src

    def visitor(i):
        c = gradio_client.Client(url, verbose=False)
        answered = refused = 0
        while True:
            job = c.predict(api_name="/job")
            answered += 1
            if job["status"] not in ("running", "stopping"):
                return answered, refused
            if i % 2:  # asking is refused while the model trains (or answered if the job just ended)
                refused += c.predict("Who are you?", api_name="/ask")[0].startswith("⚠ Refused: a dpo job is")
            else:
                assert c.predict(api_name="/runs")[0]["choices"]
            answered += 1
            time.sleep(0.5)  # a page polls once a second; these visitors are twice as eager

    msg = client.predict("dpo", table, "", empty, "Nova", "Acme", *settings(steps=12, probe_every=4),
                         api_name="/start")
    assert msg.startswith("✓"), msg
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(visitor, range(10)))
    counts = [n for n, _ in results]
    crowded = wait_job(client, lambda j: j["status"] not in ("running", "stopping"))
    assert crowded["status"] == "done" and crowded["step"] == 12 and all(n >= 2 for n in counts), results
    assert sum(r for _, r in results) >= 5, results
    t_alone = alone["metrics"][-1]["train_runtime"]
    t_crowded = crowded["metrics"][-1]["train_runtime"]
    print(f"10 visitors: {sum(counts)} requests answered; training {t_alone:.1f} s alone, {t_crowded:.1f} s with them "
          f"({t_crowded / t_alone:.2f}x)")


def test_the_readme_is_a_space_card():
    """The same repository runs as a Hugging Face Space: the README's front matter says how."""
    import gradio
    import yaml

    root = Path(__file__).resolve().parents[1]
    text = (root / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    card = yaml.safe_load(text.split("---\n")[1])
    assert card["sdk"] == "gradio" and card["sdk_version"] == gradio.__version__  # the version requirements.txt pins
    assert (root / card["app_file"]).is_file() and card["title"]
    assert 0 < len(card["short_description"]) <= 60
    assert card["preload_from_hub"] == ["HuggingFaceTB/SmolLM2-135M-Instruct"]  # what default_source picks online
