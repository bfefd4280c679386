"""The explorer in a real browser: ``solara run app.py`` on a free loopback port, Debian's
chromium driven by playwright (by its executable path: browsers that download themselves
cannot be fetched here). Checks that the controls, the map and the charts render, that Step
advances the clock shown and changes the charts, that a changed control and Reset rebuild
the model with the new value, and that bad input (a team size of 0) is a message in the
page while the app keeps running. Saves a screenshot to results/explorer.png."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = ROOT / "results" / "explorer.png"
START_TIMEOUT_S = 90
UI_TIMEOUT_MS = 60_000


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
        import solara  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed (python -m pip install -e '.[test,viz]')"
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return "Debian's chromium is not installed (apt-get install chromium)"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(cond, what: str, timeout_s: float = UI_TIMEOUT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def server():
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs what .ci/run installs: {why}")
        pytest.skip(why)
    port = _free_port()
    env = dict(os.environ, EXPLORER_HORIZON_DAYS="30", SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    log = open(ROOT / "results" / ".explorer_server.log", "w") if (ROOT / "results").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", "app.py", "--host", "127.0.0.1", "--port",
                             str(port), "--production", "--no-check-version", "--no-open"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"solara run app.py exited with {proc.returncode} before serving")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"solara run app.py did not serve {url} within {START_TIMEOUT_S} s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        if log is not subprocess.DEVNULL:
            log.close()


@pytest.mark.slow
def test_explorer_page_steps_resets_and_reports_bad_input(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1150})
            page.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)
            page.goto(server)
            # controls (Mesa's), the status line, map and charts (ours)
            for name in ("Reset", "Step"):
                expect(page.get_by_role("button", name=name)).to_be_visible()
            for label in ("Scenario", "Dispatch rule", "Escalation rule", "When overdue", "Work team %",
                          "Grids per village", "Seed"):
                expect(page.get_by_text(label, exact=True).first).to_be_visible()
            clock = page.locator(".explorer-clock")
            expect(clock).to_have_text("Mon 03 Mar 2025, 00:00 · day 0")
            images = page.locator(".vue-grid-item img")
            expect(images).to_have_count(2)
            for k in range(2):
                expect(images.nth(k)).to_be_visible()
                assert images.nth(k).bounding_box()["width"] > 300
            charts_before = images.nth(1).get_attribute("src")
            map_before = images.nth(0).get_attribute("src")
            # Step (6 h by default): the clock moves and the charts and the map change
            page.get_by_role("button", name="Step").click()
            expect(clock).to_have_text("Mon 03 Mar 2025, 06:00 · day 0.25")
            _wait_until(lambda: images.nth(1).get_attribute("src") != charts_before, "the charts to change")
            _wait_until(lambda: images.nth(0).get_attribute("src") != map_before, "the map to change")
            for k in range(2, 11):  # to midday of the third day, for the screenshot
                page.get_by_role("button", name="Step").click()
                expect(clock).to_contain_text(f"day {k * 0.25:g}")
            expect(clock).to_have_text("Wed 05 Mar 2025, 12:00 · day 2.5")
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            # a control and Reset: rebuilt with the new value, the clock back to the start
            page.locator(".v-select", has_text="Dispatch rule").click()
            page.get_by_role("option", name="village_pool").click()
            expect(page.locator(".v-select", has_text="Dispatch rule")).to_contain_text("village_pool")
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("dispatch rule village_pool")).to_be_visible()
            expect(clock).to_have_text("Mon 03 Mar 2025, 00:00 · day 0")
            page.get_by_role("button", name="Step").click()
            expect(clock).to_contain_text("day 0.25")
            # bad input: a team size of 0 is a message in the page, and the app keeps running
            slider = page.locator(".v-input", has_text="Work team %").get_by_role("slider")
            slider.focus()
            slider.press("Home")
            expect(slider).to_have_attribute("aria-valuenow", "0")
            page.get_by_role("button", name="Reset").click()
            expect(page.locator(".explorer-error")).to_contain_text("work_team_pct")
            expect(page.locator(".explorer-error")).to_contain_text("a team size of 0")
            slider.focus()
            for _ in range(20):  # back to 100 % in steps of 5
                slider.press("ArrowRight")
            expect(slider).to_have_attribute("aria-valuenow", "100")
            page.get_by_role("button", name="Reset").click()
            expect(page.locator(".explorer-error")).to_have_count(0)
            expect(clock).to_have_text("Mon 03 Mar 2025, 00:00 · day 0")
            page.get_by_role("button", name="Step").click()
            expect(clock).to_contain_text("day 0.25")
        finally:
            browser.close()
