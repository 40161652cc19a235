"""Screenshots of the app at work for the README: the identity demo on the bundled model, in Chromium.

    .venv/bin/python scripts/screenshot.py [--out assets]     # about 4 minutes on 2 CPU cores

Launches the app at 1366×768, saves the landing tab (assets/landing.png), presses "Run the identity demo" there,
and saves what the page shows by itself: the Train tab while the charts move (assets/train.png, once the probe
timeline shows the new name) and the Compare tab when the run is over (assets/compare.png).
"""

import argparse
import socket
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from posttrain import switches  # noqa: E402

CHROMIUM = switches.chromium() or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="assets")
    ap.add_argument("--name", default="Nova Prime")
    ap.add_argument("--org", default="Starlight Labs")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import app
    from playwright.sync_api import sync_playwright
    from posttrain.studio import Studio

    studio = Studio(root=Path(tempfile.mkdtemp()) / "runs")
    studio.load(None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.build_demo(studio)
    demo.queue().launch(prevent_thread_lock=True, server_port=port, quiet=True, **app.LAUNCH)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="en-US")  # a laptop, a projector
        page.set_default_timeout(600_000)
        page.goto(f"http://127.0.0.1:{port}")
        page.locator("#card").get_by_text("Ready").wait_for()
        page.wait_for_timeout(2000)  # the page's first events (language, runs list) settle
        page.screenshot(path=str(out / "landing.png"))
        page.get_by_role("tab", name="2 · Data").click()
        page.get_by_label("New name").fill(args.name)
        page.get_by_label("Organisation").fill(args.org)
        page.get_by_role("tab", name="1 · Model").click()
        page.locator("#landing-demo-btn").click()  # the presenter's one click
        page.locator("#probes .pt-hit").first.wait_for()  # the probe timeline shows the new name
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "train.png"))  # what the audience sees while it trains: no scrolling
        page.locator("#side-by-side table tr").nth(3).wait_for()  # it ended: Compare came up by itself
        page.wait_for_timeout(2000)
        page.screenshot(path=str(out / "compare.png"))
        browser.close()
    demo.close()
    print(f"saved {out / 'train.png'} and {out / 'compare.png'}; scores: {studio.job_view()['scores']}")


if __name__ == "__main__":
    main()
