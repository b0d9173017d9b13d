"""The classroom app served and driven in a browser, for its browser tests, its screenshots (``sim.app_shots``)
and its benchmark (``sim.app_bench``): ``serve`` runs ``solara run sim.app`` on a free port of 127.0.0.1,
``chromium`` launches Debian's Chromium through Playwright.

The server's CDN address points at a closed local port, so a page asset missing from the installed packages fails
to load instead of being fetched from the internet.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PROJECTOR = {"width": 1280, "height": 720}  # the viewport the page is laid out for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served(NamedTuple):
    url: str
    pid: int  # the server's process


@contextlib.contextmanager
def serve(log_path: Path, start_timeout_s: float = 90):
    """``solara run sim.app`` on 127.0.0.1, with no way to fetch assets from outside; yields its URL and pid."""
    port = free_port()
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/"}  # port 9 (discard) is closed: no CDN fallback
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "solara", "run", "sim.app", "--host", "127.0.0.1",
                                 "--port", str(port), "--production", "--no-open", "--no-check-version"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"solara did not start: see {log_path}")
                time.sleep(0.5)
            yield Served(url, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # open websockets can hold a graceful shutdown
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, headless, through Playwright; yields the browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, viewport: dict = PROJECTOR):
    """A new participant (own cookies, so own Solara session) on ``url``, once the first chart is drawn."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".cf-chart-level img", timeout=60_000)
    return context, page
