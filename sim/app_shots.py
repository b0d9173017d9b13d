"""Screenshots of the classroom app at projector size (1280x720), English and Arabic, for docs/figures/app/:
``python -m sim.app_shots [--out DIR]`` serves the app, drives it in headless Chromium and writes

- ``scenario_en.png``, ``scenario_ar.png``: the plan stepped a month at a time to its collapse (charts, story);
- ``batch_en.png``, ``batch_ar.png``: the thousand scenarios of the plan and of the plan with US credibility 0.2,
  both on the results board, their survival curves overlaid;
- ``seed_message_en.png``: a seed that is not one, refused beside its field while the scenario goes on.

Each is the whole browser window, with nothing scrolled: what a class sees on the projector.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim import app
from sim.app_browser import PROJECTOR, ROOT, chromium, open_page, serve
from sim.i18n import text

OUT = ROOT / "docs" / "figures" / "app"
SHOTS = ("scenario_en.png", "batch_en.png", "seed_message_en.png", "scenario_ar.png", "batch_ar.png")
STEPS_TO_COLLAPSE = 10  # 30 days a step: the plan's scenario 0 collapses on day 283


def _wait_day(page, language: str, day: int) -> None:
    expected = text(language, "day_status", day=day, horizon=1095)
    page.wait_for_function("t => document.querySelector('.cf-day').innerText.trim() === t", arg=expected,
                           timeout=30_000)


def _settle(page) -> None:
    """Wait until the charts show the day the page shows (charts are drawn after the day is shown)."""
    page.wait_for_function("() => { const day = document.querySelector('.cf-day').innerText.match(/\\d+/)[0]; "
                           "const img = document.querySelector('.cf-chart-level img'); "
                           "return img === null || img.dataset.day === day; }", timeout=60_000)
    page.wait_for_timeout(300)


def _slide_down(page, field: str, target: str, language: str) -> None:
    """Move a slider down a keyboard step at a time (each step rebuilds the scenario) until it shows ``target``."""
    value = f".cf-slider-{field} .cf-value"
    for _ in range(100):
        shown = page.inner_text(value).strip()
        if shown == target:
            return
        page.focus(f".cf-slider-{field} .v-slider__thumb-container")
        page.keyboard.press("ArrowRight" if language == "ar" else "ArrowLeft")  # Arabic sliders fill from the right
        page.wait_for_function("([s, v]) => document.querySelector(s).innerText.trim() !== v", arg=[value, shown],
                               timeout=30_000)
    raise RuntimeError(f"{field} did not reach {target}")


def shoot(browser, url: str, out: Path, language: str) -> list[Path]:
    plan = app.settings_for("coalition_us_backstop")
    written = []
    context, page = open_page(browser, f"{url}?{app.to_query(plan, language, 30)}", PROJECTOR)
    try:
        for _ in range(STEPS_TO_COLLAPSE):
            page.click(".cf-step")
            page.wait_for_timeout(300)
        page.wait_for_selector(".cf-outcome-collapsed", timeout=30_000)
        _settle(page)
        written.append(out / f"scenario_{language}.png")
        page.screenshot(path=written[-1])

        page.click(".cf-view-batch")
        page.click(".cf-run-batch")
        page.wait_for_selector(".cf-board-run-1", timeout=120_000)
        _slide_down(page, "us_credibility", "0.2", language)
        page.click(".cf-run-batch")
        page.wait_for_selector(".cf-board-run-2", timeout=120_000)
        _settle(page)
        written.append(out / f"batch_{language}.png")
        page.screenshot(path=written[-1])

        if language == "en":
            page.click(".cf-view-scenario")
            page.click(".cf-step")
            _wait_day(page, language, 30)
            field = page.locator(".cf-seed input")
            field.fill("-1")
            field.press("Enter")
            page.wait_for_selector(".cf-seed .v-messages__message", timeout=10_000)
            _settle(page)
            written.append(out / "seed_message_en.png")
            page.screenshot(path=written[-1])
    finally:
        context.close()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with serve(args.out / ".server.log") as served, chromium() as browser:
        for language in ("en", "ar"):
            for path in shoot(browser, served.url, args.out, language):
                print(path)
    (args.out / ".server.log").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
