"""explore.ipynb in a real JupyterLab, driven in Debian's Chromium by Playwright.

The test starts JupyterLab on 127.0.0.1 (random free port, a token) on a copy of the notebook,
runs all cells, moves the platform head-count slider one step and checks that the chart and the
delta line changed, and that the page asked nothing of any host but 127.0.0.1 (every other
request is aborted and reported). It reports the time from the key press to the redrawn chart,
saves a screenshot in test-artifacts/, and shuts the kernel and the server down even on failure.

Needs /usr/bin/chromium (`make chromium` installs it as root through apt). Without it the test
skips and says so, except under CI (CI=true), where a skip would hide a broken set-up: it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from workbench.app.lab import lab_command, lab_environment, new_token
from workbench.reports import pdf

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SETTINGS = Path(__file__).resolve().parent / "browser" / "settings"
# The same lookup `workbench report --pdf` uses ($WORKBENCH_CHROMIUM, else Debian's).
CHROMIUM = pdf.chromium_path() or pdf.DEBIAN_CHROMIUM
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOOPBACK = {"127.0.0.1"}
# platform people 7 -> 8 -> 9 -> 10: settings not seen before (the explorer caches forecasts, so
# going back would time a cache hit, not a simulation)
MOVES = ("ArrowRight", "ArrowRight", "ArrowRight")

pytestmark = pytest.mark.browser


def require_browser() -> Any:
    """Playwright's sync API, or a skip that says how to get it (a failure under CI)."""
    problems = []
    if not CHROMIUM.is_file():
        problems.append(f"{CHROMIUM} not found: run `make chromium` as root "
                        "(apt-get update && apt-get install -y chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        problems.append("playwright not installed: pip install -e '.[e2e]' (no `playwright "
                        "install` needed: the test uses Debian's chromium)")
        sync_api = None
    if problems:
        message = "browser test not run: " + "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: this test must run)")
        pytest.skip(message)
    return sync_api


@dataclass
class Lab:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            body = response.read()
        return json.loads(body) if body else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sync_api() -> Any:
    return require_browser()


@pytest.fixture
def lab(sync_api: Any, tmp_path: Path) -> Iterator[Lab]:
    """JupyterLab on a copy of the notebook (so autosave never touches the committed one),
    with the scenario it names in scenarios/ beside it, as in a project folder."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", notebooks)
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "program.yaml", tmp_path / "scenarios")
    port, token = free_port(), new_token()
    env = {**lab_environment(token), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(SETTINGS),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    extra = ["--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True"]
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(lab_command(notebooks, port, False, extra),
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Lab(f"http://127.0.0.1:{port}", token, process, log)
    try:
        wait_ready(server)
        yield server
    finally:
        shut_down(server)


def wait_ready(lab: Lab, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise AssertionError(f"JupyterLab exited:\n{lab.log.read_text()[-3000:]}")
        try:
            lab.api("GET", "/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"JupyterLab not ready in {timeout} s:\n{lab.log.read_text()[-3000:]}")


def shut_down(lab: Lab) -> None:
    """Kernels first (through the REST API, so they exit cleanly), then the server."""
    try:
        for session in lab.api("GET", "/api/sessions"):
            lab.api("DELETE", f"/api/sessions/{session['id']}")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        pass  # the server is already gone: nothing left to ask it
    lab.process.terminate()
    try:
        lab.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        lab.process.kill()
        lab.process.wait(timeout=5)


# Runs in the page: time from a key press to the first redraw of the distribution chart.
WATCH_CHART = """() => {
  window.__wb = {t0: null, t1: null};
  document.addEventListener('keydown', () => { window.__wb.t0 = performance.now();
                                               window.__wb.t1 = null; }, true);
  const chart = document.querySelector('.wb-chart-distribution');
  new MutationObserver(() => {
    if (window.__wb.t0 !== null && window.__wb.t1 === null) window.__wb.t1 = performance.now();
  }).observe(chart, {subtree: true, childList: true, characterData: true});
}"""
CHART_TEXT = "() => document.querySelector('.wb-chart-distribution svg').textContent"


def test_explorer_in_jupyterlab(sync_api: Any, lab: Lab,
                                capsys: pytest.CaptureFixture[str]) -> None:
    expect = sync_api.expect
    expect.set_options(timeout=90_000)  # a busy 2-core machine: the kernel starts slowly
    foreign: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1900})
            page.context.route("**/*", lambda route: _only_loopback(route, foreign))
            page.on("websocket", lambda ws: _note_foreign(ws.url, foreign))
            page.set_default_timeout(90_000)
            try:
                latencies, phases = _drive(page, lab, expect)
            finally:
                page.screenshot(path=str(ARTIFACTS / "explorer.png"))
        finally:
            browser.close()
    assert foreign == [], f"the page asked hosts other than 127.0.0.1: {foreign}"
    _report(latencies, phases, capsys)


def _drive(page: Any, lab: Lab, expect: Any) -> tuple[list[float], dict[str, float]]:
    """Open, run all, move the slider; returns the change -> chart times and the seconds
    each phase took (to see where a slow run spent its time)."""
    clock, phases = time.monotonic(), {}

    def phase(name: str) -> None:
        nonlocal clock
        phases[name] = round(time.monotonic() - clock, 2)
        clock = time.monotonic()

    page.goto(f"{lab.url}/lab/tree/explore.ipynb?reset&token={lab.token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands")
    expect(page.locator("#jp-main-statusbar").get_by_text("Idle")).to_be_visible()
    phase("open notebook, kernel idle")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    delta = page.locator(".wb-delta")
    try:
        expect(delta).to_contain_text("unchanged")
        expect(page.locator(".wb-chart-distribution svg text").first).to_be_visible()
    except AssertionError:
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        raise AssertionError(f"the explorer did not appear; cell outputs: {outputs}") from None
    phase("run all: explorer shown")
    page.evaluate(WATCH_CHART)
    chart, text = page.evaluate(CHART_TEXT), delta.inner_text()
    handle = page.locator(".wb-teams-platform-members .noUi-handle")
    handle.click()
    latencies = []
    for key in MOVES:
        expect(page.locator(".wb-status")).to_contain_text("runs, seed")  # refined: settled
        before = page.locator(".wb-teams-platform-members .widget-readout").inner_text()
        page.keyboard.press(key)
        page.wait_for_function("() => window.__wb.t1 !== null")
        latencies.append(page.evaluate("() => window.__wb.t1 - window.__wb.t0") / 1000)
        expect(page.locator(".wb-teams-platform-members .widget-readout")).not_to_have_text(
            before)
        if len(latencies) == 1:
            expect(delta).not_to_have_text(text)
            assert page.evaluate(CHART_TEXT) != chart, "the chart did not change"
            expect(delta).to_contain_text("working day")  # the refined delta, not a quick one
    expect(page.locator(".wb-status")).to_contain_text("runs, seed")
    phase(f"{len(MOVES)} slider moves, each refined")
    return latencies, phases


def _only_loopback(route: Any, foreign: list[str]) -> None:
    if _note_foreign(route.request.url, foreign):
        route.abort()
    else:
        route.continue_()


def _note_foreign(url: str, foreign: list[str]) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about") or parsed.hostname in LOOPBACK:
        return False
    foreign.append(url)
    return True


def _report(latencies: list[float], phases: dict[str, float],
            capsys: pytest.CaptureFixture[str]) -> None:
    figures = {"median_s": statistics.median(latencies), "each_s": latencies,
               "what": "key press on the platform head-count slider -> distribution chart "
                       "redrawn in JupyterLab (Chromium, quick estimate)", "phases_s": phases}
    (ARTIFACTS / "explorer-browser-latency.json").write_text(json.dumps(figures, indent=2))
    with capsys.disabled():
        print(f"\nexplorer in the browser: change -> chart {figures['median_s']:.2f} s median "
              f"({', '.join(f'{x:.2f}' for x in latencies)}); phases {phases}; screenshot "
              f"{(ARTIFACTS / 'explorer.png').relative_to(ROOT)}")
