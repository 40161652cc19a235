"""A real browser (Debian's Chromium driven by Playwright) clicks through the app on the tiny model.

`scripts/setup.sh dev` installs Chromium; Playwright's own browser download does not work offline.
"""

import shutil
import socket
from pathlib import Path

import pytest

from posttrain import switches
from posttrain.methods.gated import IDENTITY
from posttrain.methods.grpo import ARITHMETIC

CHROMIUM = switches.chromium() or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def url(tiny_dir, tmp_path_factory):
    import app
    from posttrain.studio import Studio

    demo = app.build_demo(Studio(default_model=str(tiny_dir), root=tmp_path_factory.mktemp("browser") / "runs"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.queue().launch(prevent_thread_lock=True, server_port=port, quiet=True, css=__import__(
        "posttrain.ui.views", fromlist=["CSS"]).CSS)
    yield f"http://127.0.0.1:{port}"
    demo.close()


@pytest.fixture(scope="module")
def page(url):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: run `bash scripts/setup.sh dev` (installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
        pg.set_default_timeout(120_000)
        pg.goto(url)
        yield pg
        browser.close()


def test_click_through_every_tab_run_a_job_and_see_it_move(page, tmp_path):
    for tab in ("1 · Model", "2 · Data", "3 · Train", "4 · Compare", "5 · Runs"):
        page.get_by_role("tab", name=tab).click()
    page.get_by_role("tab", name="1 · Model").click()
    page.get_by_role("button", name="Load").click()
    page.locator("#card").get_by_text("parameters").wait_for()

    page.get_by_role("tab", name="2 · Data").click()
    page.get_by_role("button", name="Build identity pairs").click()
    page.get_by_text("pairs ready").wait_for()

    page.get_by_role("tab", name="3 · Train").click()
    page.get_by_role("button", name="Settings ▼").click()  # each method's settings, filled from its preset
    page.get_by_label("GRPO", exact=True).check()
    page.get_by_label("Generations per prompt", exact=True).wait_for()
    page.wait_for_function(f"() => [...document.querySelectorAll('input')].some(i => i.value === '{ARITHMETIC.max_steps}')")
    page.get_by_label("DPO", exact=True).check()
    page.get_by_label("Beta", exact=True).wait_for()
    assert page.get_by_label("Steps", exact=True).input_value() == str(IDENTITY.max_steps)
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_text("Started the DPO job").wait_for()
    # the chart updates: the loss line gets points while the job runs
    page.wait_for_function("() => [...document.querySelectorAll('#charts .scatterlayer .trace path.js-line')]"
                           ".some(p => (p.getAttribute('d') || '').length > 10)")
    page.reload()  # the job lives in the server: a reopened page shows it and its charts again
    page.get_by_role("tab", name="3 · Train").click()
    page.wait_for_function("() => [...document.querySelectorAll('#charts .scatterlayer .trace path.js-line')]"
                           ".some(p => (p.getAttribute('d') || '').length > 10)")
    page.locator("#probes").get_by_text("Who are you?").first.wait_for()
    steps = IDENTITY.max_steps  # the Train tab starts from DPO's identity preset's settings
    page.locator("#status").get_by_text(f"done · finished · step {steps} / {steps}").wait_for()  # this run
    # every panel explains itself: its formula and caption are in the chart, the flip curve and the tokens below
    page.wait_for_function("() => { const t = document.querySelector('#charts').textContent;"
                           " return ['−log σ(β·', 'a coin flip', 'the identity flip', 'share of pairs with margin',"
                           " 'preference term'].every(w => t.includes(w)); }")
    page.locator("#token-rewards").get_by_text("made likelier most").wait_for()

    page.get_by_role("tab", name="4 · Compare").click()
    page.locator("#side-by-side table tr").nth(3).wait_for()  # the run's before/after filled the panel
    assert page.locator("#scores").inner_text().count("%") >= 3
    page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
    assert (tmp_path / "app.png").stat().st_size > 10_000


def test_the_switch_puts_every_label_in_chinese(page):
    page.get_by_label("中文").check()
    page.get_by_role("tab", name="3 · 训练").click()
    page.get_by_role("button", name="开始").wait_for()
    # the last run's chart is drawn again in Chinese: titles, formulas and captions
    page.wait_for_function("() => { const t = document.querySelector('#charts').textContent;"
                           " return ['抛硬币', '身份翻转', '奖励差 > 0 的偏好对比例'].every(w => t.includes(w)); }")
    page.locator("#token-rewards").get_by_text("被提升最多").wait_for()
    page.get_by_role("button", name="停止").click()
    page.get_by_text("当前没有运行的任务。").wait_for()
    page.get_by_label("English").check()
    page.get_by_role("tab", name="3 · Train").wait_for()


def test_the_train_tab_says_what_it_shows_and_its_glossary_in_both_languages(page):
    page.get_by_label("English").check()
    page.get_by_role("tab", name="3 · Train").click()
    panel, glossary = page.locator("#help-train"), page.locator("#glossary-train")
    panel.get_by_role("button", name="What am I looking at?").click()
    panel.get_by_text("the flip curve").first.wait_for()
    glossary.get_by_role("button", name="Glossary").click()
    glossary.get_by_text("implicit reward").first.wait_for()
    shown = panel.inner_text() + glossary.inner_text()
    for words in ("What to look for", "the loss", "held-out scores", "policy", "reference", "advantage", "KL",
                  "π_ref(y|x)"):
        assert words in shown, words

    page.get_by_label("中文").check()  # the open panels stay open and change language
    panel.get_by_role("button", name="我在看什么？").wait_for()
    panel.get_by_text("翻转曲线").first.wait_for()
    glossary.get_by_role("button", name="术语表").wait_for()
    shown = panel.inner_text() + glossary.inner_text()
    for words in ("看什么", "损失", "留出问题的得分", "策略", "参考模型", "隐式奖励", "优势"):
        assert words in shown, words
    assert "What to look for" not in shown
    page.get_by_label("English").check()
    page.get_by_role("tab", name="3 · Train").wait_for()
