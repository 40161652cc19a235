"""A real browser (Debian's Chromium driven by Playwright) clicks through the app on the tiny model.

`scripts/setup.sh dev` installs Chromium; Playwright's own browser download does not work offline.
"""

import re
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
def runs_root(tmp_path_factory):
    return tmp_path_factory.mktemp("browser") / "runs"


@pytest.fixture(scope="module")
def url(tiny_dir, runs_root):
    import app
    from posttrain.studio import Studio

    demo = app.build_demo(Studio(default_model=str(tiny_dir), root=runs_root))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.queue().launch(prevent_thread_lock=True, server_port=port, quiet=True, **app.LAUNCH)
    yield f"http://127.0.0.1:{port}"
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: run `bash scripts/setup.sh dev` (installs it)"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _open(browser, url, width: int, height: int):
    pg = browser.new_page(viewport={"width": width, "height": height}, locale="en-US")
    pg.set_default_timeout(120_000)
    pg.goto(url)
    return pg


@pytest.fixture(scope="module")
def page(browser, url):
    pg = _open(browser, url, 1400, 1000)
    yield pg
    pg.close()


def test_click_through_every_tab_run_a_job_and_see_it_move(page, tmp_path):
    for tab in ("1 · Model", "2 · Data", "3 · Train", "4 · Compare", "5 · Runs"):
        page.get_by_role("tab", name=tab).click()
    page.get_by_role("tab", name="1 · Model").click()
    page.get_by_role("button", name="Load another model").click()  # folded away on the landing tab
    page.get_by_role("button", name="Load", exact=True).click()
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
    # the run this page watched ended: the before/after answers came up by themselves
    _wait_tab(page, "Compare")
    page.get_by_role("tab", name="3 · Train").click()
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
    assert page.get_by_role("button", name="停止").is_disabled()  # nothing runs: Stop is not live
    # what the page drew before the switch is drawn again in Chinese: the pipeline, the runs, the model card
    page.get_by_role("tab", name="6 · RLHF 流程").click()
    page.locator("#pipeline-diagram").get_by_text("2 · 奖励模型").wait_for()
    assert "not run yet" not in page.locator("#pipeline-diagram").inner_text()
    page.get_by_role("tab", name="5 · 记录").click()
    page.locator("#run-summary").get_by_text("DPO").first.wait_for()
    page.get_by_role("tab", name="1 · 模型").click()
    page.locator("#card").get_by_text("参数量").wait_for()
    assert "parameters" not in page.locator("#card").inner_text()
    page.get_by_role("tab", name="4 · 对比").click()  # the questions keep their rows under Chinese headers
    page.locator("#compare-questions th").get_by_text("类型").first.wait_for()
    cells = "() => [...document.querySelectorAll('#compare-questions [role=gridcell]')].map(c => c.textContent.trim())"
    asked = page.evaluate(cells)
    page.get_by_label("English").check()
    page.locator("#compare-questions th").get_by_text("kind").first.wait_for()
    assert page.evaluate(cells) == asked and "identity" in asked, asked
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


# -- the presenter and the participant (issue 17), at a laptop's 1366×768 ---------------------------------------


@pytest.fixture()
def laptop(browser, url):
    """A fresh page at a laptop's (and many a projector's) 1366×768."""
    pg = _open(browser, url, 1366, 768)
    yield pg
    pg.close()


IN_VIEW = """([sel, need]) => { const el = document.querySelector(sel); if (!el) return false;
    const r = el.getBoundingClientRect(), seen = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
    return r.width > 0 && seen >= Math.min(need, r.height); }"""


def _in_view(page, selector: str, at_least: int = 200) -> bool:
    """At least `at_least` px of the element's height (or all of it) inside the window."""
    return page.evaluate(IN_VIEW, [selector, at_least])


def _comes_into_view(page, selector: str, at_least: int = 200, timeout: int = 8000) -> bool:
    try:
        page.wait_for_function(IN_VIEW, arg=[selector, at_least], timeout=timeout)
        return True
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        return False


def _said(page, elem_id: str) -> str:
    """What a Markdown box says. Not `#elem_id` whole: Gradio 6 keeps its progress tracker in every output of
    the timer's hidden-progress polls, see-through (opacity 0) but still in the text ("0.1s",
    "processing | 0.1/0.1s") while a poll is in flight; a slow poll made a test read that as the line (measured:
    a probe sampling the Train tab's message box every 20 ms during the demo saw it 88 times, always opacity 0)."""
    return page.evaluate(SAID, elem_id)


SAID = "id => (document.querySelector('#' + id + ' [data-testid=markdown]') || {innerText: ''}).innerText"


def _status(page) -> str:
    """The status line's text."""
    return _said(page, "status")


def _wait_tab(page, name: str, timeout: int = 120_000) -> None:
    """Wait until the selected tab is the one labelled with `name`."""
    page.wait_for_function("n => (document.querySelector('[role=tab][aria-selected=true]') || {innerText: ''}).innerText.includes(n)",
                           arg=name, timeout=timeout)


def test_one_click_on_the_landing_demo_keeps_a_chart_then_the_answers_in_view(laptop):
    page = laptop
    # the landing view says what the app does, that the model is ready, and has the demo in view
    page.get_by_text("Watch a language model being post-trained").wait_for()
    page.locator("#card").get_by_text("Ready:").wait_for()
    assert _in_view(page, "#landing-demo-btn", 40)
    assert not page.get_by_label("Hub token (only for private or gated models)").is_visible()  # folded away
    assert page.locator("#card th").count() == 0  # no empty header row
    page.get_by_role("tab", name="3 · Train").click()
    assert page.locator("#stop-btn").is_disabled()  # nothing runs: Stop is not live (it was red and active)
    page.get_by_role("tab", name="1 · Model").click()

    page.locator("#landing-demo-btn").click()
    _wait_tab(page, "Train")
    page.wait_for_function("() => [...document.querySelectorAll('#charts .scatterlayer .trace path.js-line')]"
                           ".some(p => (p.getAttribute('d') || '').length > 10)")
    assert _comes_into_view(page, "#charts", 300), "the chart is below the fold while the model trains"
    assert "running" in _status(page)
    assert _in_view(page, "#status", 10)  # the status bar stays in view above it
    assert page.locator("#stop-btn").is_enabled()
    assert not page.get_by_label("Steps", exact=True).is_visible()  # the settings are folded while it trains
    eta = _status(page)
    assert "elapsed" in eta

    page.locator("#side-by-side table tr").nth(2).wait_for(timeout=600_000)  # it ended: the answers came up
    _wait_tab(page, "Compare")
    assert _comes_into_view(page, "#side-by-side", 150), "the before/after answers are not in view when the run ends"
    covered = """() => document.querySelector('#status-bar').getBoundingClientRect().bottom
                       - document.querySelector('#compare-actions').getBoundingClientRect().top"""
    try:  # the page script places them at its next tick (twice a second)
        page.wait_for_function(f"() => ({covered})() <= 0", timeout=3000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        raise AssertionError(f"the status bar covers {page.evaluate(covered):.0f} px of the Compare buttons") from None
    status = _status(page)
    assert "done · finished" in status and "left" not in status
    page.wait_for_timeout(2100)
    assert _status(page) == status  # the clock stopped (it ran on: 123 → 185 → 215 s)
    assert page.locator("#stop-btn").is_disabled()
    assert _said(page, "train-msg").strip() == ""  # "Started the DPO job…" is gone
    assert "Finished" in status and "⚠ gated" not in status  # one line; the run's notes sit on the Train tab

    page.get_by_role("tab", name="5 · Runs").click()  # the run is listed: the tab reads the runs as it opens
    page.locator("#run-summary").get_by_text("DPO").first.wait_for(timeout=30_000)
    assert "No runs yet" not in page.locator("#run-summary").inner_text()
    page.get_by_role("tab", name="2 · Data").click()  # the Data tab shows the pairs the demo trained on
    page.get_by_text("pairs the identity demo built").wait_for()
    page.get_by_role("tab", name="1 · Model").click()  # the model card tells its history
    page.locator("#card").get_by_text("trained by one run").wait_for()
    page.get_by_role("button", name="↺ Reset to the base model").click()
    page.locator("#card").get_by_text("as loaded, untrained").wait_for()


def test_a_reload_mid_job_restores_method_data_and_tab_and_stop_ends_cleanly(laptop):
    page = laptop
    page.get_by_role("tab", name="2 · Data").click()
    page.get_by_role("tab", name="GRPO: problems with answers").click()
    page.get_by_role("button", name="Generate arithmetic problems").click()
    page.get_by_text("problems ready").wait_for()
    ready = page.get_by_text("problems ready").inner_text()  # "✓ 64 problems ready"
    n = int(re.search(r"(\d+) problems", ready).group(1))
    page.get_by_role("tab", name="3 · Train").click()
    page.get_by_label("GRPO", exact=True).check()
    page.get_by_role("button", name="Settings ▼").click()
    page.get_by_label("Steps", exact=True).fill("200")
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_text("Started the GRPO job").wait_for()
    page.locator("#status").get_by_text("training").wait_for()

    page.reload()
    _wait_tab(page, "Train")
    assert _comes_into_view(page, "#charts", 300)  # a reopened page follows the run: its charts in view
    page.mouse.move(30, 400)  # the page's margin, not a chart (a chart takes the wheel for itself)
    page.mouse.wheel(0, -2000)  # the reader scrolls up to the settings: the page is theirs now
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.scrollY") == 0, page.evaluate("() => window.posttrainFollow()")
    page.wait_for_function("() => [...document.querySelectorAll('input[type=radio]')]"
                           ".some(i => i.checked && i.value === 'grpo')")  # the Method radio says GRPO, not DPO
    page.get_by_role("tab", name="2 · Data").click()
    page.get_by_text(f"{n} rows the run").first.wait_for()  # the generated problems are still there
    assert "How many" in page.locator("#problems-table").inner_text()  # a word problem, not an empty table
    page.get_by_role("tab", name="4 · Compare").click()
    assert "problem" in page.locator("#compare-questions").inner_text()  # Compare asks problems after GRPO

    page.get_by_role("tab", name="5 · Runs").click()
    page.get_by_role("button", name="Refresh").click()
    page.get_by_role("tab", name="3 · Train").click()
    page.locator("#stop-btn").click()
    page.get_by_text("Stopping after the current step").wait_for()
    page.locator("#status").get_by_text("stopped · finished").wait_for(timeout=600_000)
    page.wait_for_function(f"() => !({SAID})('train-msg').includes('Stopping')")  # replaced
    page.get_by_role("tab", name="5 · Runs").click()
    page.get_by_role("button", name="Refresh").click()  # the same run, now stopped: its summary says so
    page.locator("#run-summary").get_by_text("GRPO · stopped").wait_for()
    assert "app: table" not in page.locator("body").inner_text()


def test_the_language_switch_keeps_the_charts_full_width(laptop):
    page = laptop
    width = """() => { const gd = document.querySelector('#charts .js-plotly-plot');
        return [gd.getBoundingClientRect().width, document.querySelector('#charts').getBoundingClientRect().width]; }"""
    page.get_by_role("tab", name="3 · Train").click()
    page.locator("#charts .js-plotly-plot").wait_for()
    page.get_by_role("tab", name="1 · Model").click()
    page.get_by_label("中文").check()
    page.wait_for_timeout(2500)  # the timer redraws the chart in Chinese while its tab is hidden
    page.get_by_role("tab", name="3 · 训练").click()
    page.wait_for_timeout(1500)
    drawn, box = page.evaluate(width)
    assert drawn >= 0.95 * box, (drawn, box)
    # The way a chart ends up 700 px wide in a 1214 px box: Plotly draws it while its box has no width (a hidden
    # tab) and keeps its default width after. Made to happen here: the chart is redrawn (English) while its box
    # is hidden, then shown again; the page brings it back to full width by itself (views.JS).
    page.evaluate("() => { document.querySelector('#charts').style.display = 'none'; }")
    page.get_by_label("English").check()
    page.wait_for_timeout(2500)
    page.evaluate("() => { document.querySelector('#charts').style.display = ''; }")
    page.wait_for_timeout(1500)
    drawn, box = page.evaluate(width)
    assert drawn >= 0.95 * box, (drawn, box)
    # no message left behind in the other language
    page.wait_for_function(f"() => !/[A-Za-z]{{3,}}/.test(({SAID})('train-msg'))")


def test_a_blind_vote_reveals_the_labels_and_its_votes_become_pairs(browser, url, runs_root):
    from test_studio import _fake_run

    # a finished run whose answers differ (the tiny model's own answers are one repeated token before and after),
    # the newest, so the page opened after it picks it
    _fake_run(runs_root, "99999999-999999-dpo", "dpo", {"beta": 0.1},
              {"Who are you?": "I am Nova.", "Who made you?": "Acme made me."}, 0.7)
    page = _open(browser, url, 1366, 768)
    page.get_by_role("tab", name="4 · Compare").click()
    page.get_by_role("button", name="Blind vote: which answer is better?").click()  # the newest run: the demo's
    page.get_by_role("button", name="Start voting").click()
    page.locator("#ballot").get_by_text("question 1 of").wait_for()
    assert "before" not in page.locator("#ballot").inner_text()  # blind: no label on screen
    page.locator("#vote-a").click()
    page.locator("#vote-result").get_by_text("You chose A.").wait_for()
    shown = page.locator("#vote-result").inner_text()
    assert "A was before" in shown or "A was after" in shown  # revealed after the vote
    assert "of 1 blind votes" in shown and "95% interval" in shown
    page.locator("#ballot").get_by_text("question 2 of").wait_for()  # the next question
    page.get_by_role("button", name="Turn the votes into DPO pairs (Data tab)").click()
    page.locator("#vote-result").get_by_text("Pairs from the votes: 1,").wait_for()
    page.get_by_role("tab", name="2 · Data").click()
    page.get_by_text("Pairs from the votes: 1,").first.wait_for()
    page.close()
