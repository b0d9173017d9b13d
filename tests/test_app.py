"""The classroom app (sim/app.py): its words in both languages, its settings and sessions, and the page itself in
headless Chromium.

The browser tests start ``solara run sim.app`` on a free port of 127.0.0.1 and drive Debian's Chromium through
Playwright. The server runs with its CDN address pointed at a closed local port, so a page asset missing from the
installed packages fails to load instead of being fetched from the internet, and every request the page makes is
recorded and must stay on the machine. Screenshots go to ``tests/artifacts/app_en.png`` and ``app_ar.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import string
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import pytest

import sim
from sim import app, app_views
from sim.batch import run_batch
from sim.i18n import LANGUAGES, UI, direction, text
from sim.narrative import PHRASES, _arabic_plural, narrate
from sim.parameters import PARAM_BY_KEY

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARABIC = re.compile(r"[\u0600-\u06FF]")
LATIN = re.compile(r"[A-Za-z]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# ------------------------------------------------------------------------------------------ words
def test_every_language_has_every_ui_string_with_the_same_fields():
    for language in LANGUAGES:
        assert UI[language].keys() == UI["en"].keys(), language
        for key, template in UI["en"].items():
            assert _fields(UI[language][key]) == _fields(template), (language, key)


def test_every_language_has_every_narrative_template_term_and_unit():
    en = PHRASES["en"]
    for language in LANGUAGES:
        words = PHRASES[language]
        assert words["templates"].keys() == en["templates"].keys(), language
        assert words["terms"].keys() == en["terms"].keys(), language
        assert words["units"].keys() == en["units"].keys(), language
        for action, template in en["templates"].items():
            assert _fields(words["templates"][action]) == _fields(template), (language, action)


@pytest.mark.parametrize(("n", "category"), [(0, "zero"), (1, "one"), (2, "two"), (3, "few"), (10, "few"),
                                             (11, "many"), (99, "many"), (100, "other"), (102, "other"),
                                             (103, "few"), (111, "many")])
def test_arabic_plural_categories_follow_cldr(n, category):
    assert _arabic_plural(n) == category


@pytest.mark.parametrize("preset", ["bluff", "minsk", "consensus", "hidden_resolve"])
def test_arabic_story_tells_the_same_days_as_english_in_arabic_only(preset):
    """One sentence per eventful day in both languages, starting with the same day numbers; no Latin letter left."""
    cfg = sim.compose_config([f"scenario={preset}", "n_scenarios=4"])
    for scenario in range(4):
        model = sim.CeasefireModel(cfg, scenario=scenario)
        model.run()
        english, arabic = narrate(model.events, "en"), narrate(model.events, "ar")
        assert len(arabic) == len(english)
        for en_line, ar_line in zip(english, arabic, strict=True):
            assert re.findall(r"\d+", en_line.split(":")[0]) == re.findall(r"\d+", ar_line.split(":")[0])
            assert ARABIC.search(ar_line) and not LATIN.search(ar_line), ar_line


def test_direction_is_right_to_left_for_arabic_only():
    assert direction("ar") == "rtl" and direction("en") == "ltr"


# ------------------------------------------------------------------------------------------ settings and runs
@pytest.mark.parametrize("preset", app.PRESETS)
def test_a_preset_with_its_own_values_is_the_preset(preset):
    """Applying a preset's own slider values changes nothing but what the app controls (the batch size)."""
    built = app.build_config(app.settings_for(preset))
    assert built.to_dict() == app.preset_config(preset).to_dict()


def test_sliders_lie_inside_each_parameters_allowed_range():
    for control in app.CONTROLS:
        spec = PARAM_BY_KEY[control.key]
        assert spec.low <= control.low < control.high <= spec.high
        assert spec.low <= spec.default <= spec.high


def test_troops_on_a_preset_without_coalition_deploy_a_force():
    settings = app.settings_for("minsk")
    assert app.build_config(settings)["coalition.members"] == 0
    with_troops = app.build_config(replace(settings, troops_k=25.0))
    assert with_troops["coalition.members"] == PARAM_BY_KEY["coalition.members"].default
    run = app.Run(with_troops)
    assert run.model.coalition.total_troops_k == pytest.approx(25.0)


def test_the_stepped_scenario_is_scenario_0_of_the_thousand():
    """What the panel's note says: the scenario a class steps ends exactly as scenario 0 of the batch."""
    settings = replace(app.settings_for("bluff"), value_of_gains=14.0)
    config = app.build_config(settings)
    run = app.Run(config)
    day = run.advance(config.horizon_days + 10)
    row = run_batch(config, scenarios=[0]).outcomes.loc[0]
    assert day == row["end_day"]
    assert run.model.outcome().equals(row)


def test_two_runs_step_independently():
    config = app.build_config(app.settings_for(app.PRESETS[0]))
    first, second = app.Run(config), app.Run(config)
    first.advance(40)
    assert (first.model.day, second.model.day) == (40, 0)
    assert len(second.snapshot("en").series) == 1 and len(first.snapshot("en").series) == 41


def test_snapshot_tells_the_story_in_the_chosen_language():
    run = app.Run(app.build_config(app.settings_for("bluff")))
    run.advance(120)
    english, arabic = run.snapshot("en"), run.snapshot("ar")
    assert english.lines == tuple(narrate(run.model.events, "en")) and english.lines[0].startswith("Day 0:")
    assert arabic.lines[0].startswith("اليوم 0:")
    assert list(english.series["day"]) == list(range(121))


def test_thousand_scenarios_give_the_batch_estimate_and_its_interval():
    settings = app.settings_for(app.PRESETS[0])
    view = app.run_scenarios(settings)
    summary = run_batch(app.build_config(settings)).summary()["collapse_probability"]
    assert view.n == app.BATCH_SCENARIOS
    assert view.collapse_probability == summary["estimate"]
    assert view.ci95[0] <= view.collapse_probability <= view.ci95[1]
    assert view.survival["survival"].iloc[-1] == pytest.approx(1 - view.collapse_probability)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_chart_is_titled_in_the_chosen_language(language):
    run = app.Run(app.build_config(app.settings_for(app.PRESETS[0])))
    run.advance(30)
    series = run.snapshot(language).series
    figures = {"chart.level": app_views.level_figure(series, language),
               "chart.beliefs": app_views.beliefs_figure(series, 0.7, 0.6, language),
               "chart.coalition": app_views.coalition_figure(series, language),
               "chart.strength": app_views.strength_figure(series, language),
               "chart.investment": app_views.investment_figure(series, language),
               "chart.survival": app_views.survival_figure(app.run_scenarios(app.settings_for("minsk")).survival,
                                                           language)}
    for key, fig in figures.items():
        assert fig.axes[0].get_title() == text(language, key)
        assert fig.axes[0].get_xlabel() == text(language, "axis.day")


# ------------------------------------------------------------------------------------------ the page
playwright = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``solara run sim.app`` on 127.0.0.1 with no way to fetch assets from outside; its URL."""
    port = _free_port()
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/"}  # port 9 (discard) is closed: no CDN fallback
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "solara-server.log", "wb")  # noqa: SIM115 (closed at teardown)
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", "sim.app", "--host", "127.0.0.1",
                             "--port", str(port), "--production", "--no-open", "--no-check-version"],
                            cwd=Path(__file__).parent.parent, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"solara did not start: see {log.name}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # open websockets can hold a graceful shutdown
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-core)")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Session:
    """One participant: a browser context (its own cookies, so its own Solara session) on the app."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1750})
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page = self.context.new_page()
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.goto(url)
        self.page.wait_for_selector(".cf-chart-level img", timeout=60_000)

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector).strip()

    def src(self, chart: str) -> str:
        return self.page.get_attribute(f".cf-chart-{chart} img", "src")

    def wait_text(self, selector: str, expected: str, timeout_ms: int = 30_000) -> None:
        self.page.wait_for_function("([s, t]) => { const e = document.querySelector(s); "
                                    "return e !== null && e.innerText.trim() === t; }", arg=[selector, expected],
                                    timeout=timeout_ms)

    def wait_change(self, selector: str, attribute: str | None, before: str, timeout_ms: int = 30_000) -> None:
        self.page.wait_for_function("([s, a, b]) => { const e = document.querySelector(s); if (e === null) "
                                    "return false; const v = a ? e.getAttribute(a) : e.innerText; return v !== b; }",
                                    arg=[selector, attribute, before], timeout=timeout_ms)

    def slider_to_minimum(self, field: str) -> None:
        self.page.focus(f".cf-slider-{field} .v-slider__thumb-container")
        self.page.keyboard.press("Home")

    def set_days_per_step(self, days: int) -> None:
        self.page.click(".cf-days-per-step")
        self.page.locator(".menuable__content__active .v-list-item", has_text=re.compile(rf"^{days}$")).click()

    def step(self, expected_day: int, language: str = "en") -> None:
        self.page.click(".cf-step")
        self.wait_text(".cf-day", text(language, "day_status", day=expected_day, horizon=1095))

    def close(self) -> None:
        self.context.close()


def test_page_loads_with_no_request_leaving_the_machine(browser, server):
    session = Session(browser, server)
    try:
        session.page.wait_for_timeout(1000)  # late requests: fonts, icons
        outside = [u for u in session.requests if urlparse(u).scheme not in ("data", "blob")
                   and urlparse(u).hostname not in ("127.0.0.1", "localhost")]
        assert session.requests and not outside, outside
        assert not session.failed, session.failed
        widths = session.page.eval_on_selector_all(".cf-chart img", "imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) == 5 and min(widths) > 100  # all five charts drawn
        # Vuetify's stylesheet is loaded: the Step button is painted in the theme's colour, not transparent
        color = session.page.eval_on_selector(".cf-step", "e => getComputedStyle(e).backgroundColor")
        assert color not in ("rgba(0, 0, 0, 0)", "transparent")
    finally:
        session.close()


def test_a_slider_and_step_update_the_charts_and_the_story(browser, server):
    session = Session(browser, server)
    try:
        label = ".cf-slider-us_credibility .cf-label"
        assert session.text(label) == f"{text('en', 'us_credibility')}: 0.7"
        beliefs = session.src("beliefs")
        session.slider_to_minimum("us_credibility")
        session.wait_text(label, f"{text('en', 'us_credibility')}: 0")
        session.wait_change(".cf-chart-beliefs img", "src", beliefs)  # a new prior: a new model, a new chart

        story, level = session.text(".cf-narrative"), session.src("level")
        assert story.startswith("Day 0:") and len(story.splitlines()) == 1
        session.set_days_per_step(30)
        session.step(30)
        session.wait_change(".cf-chart-level img", "src", level)
        session.wait_change(".cf-narrative", None, story)
        # The page tells the same story as the model with these settings, latest first.
        settings = replace(app.settings_for(app.PRESETS[0]), us_credibility=0.0)
        run = app.Run(app.build_config(settings))
        run.advance(30)
        expected = list(reversed(run.snapshot("en").lines))
        assert len(expected) > 1
        assert [p.strip() for p in session.page.locator(".cf-narrative p").all_inner_texts()] == expected
    finally:
        session.close()


def test_two_participants_step_their_own_scenarios(browser, server):
    first, second = Session(browser, server), Session(browser, server)
    try:
        week = app.DEFAULT_DAYS_PER_STEP
        first.step(week)
        first.step(2 * week)
        assert second.text(".cf-day") == text("en", "day_status", day=0, horizon=1095)
        second.slider_to_minimum("coalition_resolve")
        second.wait_text(".cf-slider-coalition_resolve .cf-label", f"{text('en', 'coalition_resolve')}: 0")
        second.step(week)
        assert first.text(".cf-day") == text("en", "day_status", day=2 * week, horizon=1095)
        assert first.text(".cf-slider-coalition_resolve .cf-label") == f"{text('en', 'coalition_resolve')}: 0.6"
    finally:
        first.close()
        second.close()


def test_play_runs_until_paused_and_reset_starts_over(browser, server):
    session = Session(browser, server)
    page = session.page
    try:
        day_zero = text("en", "day_status", day=0, horizon=1095)
        page.click(".cf-play")
        session.wait_change(".cf-day", None, day_zero)
        assert page.is_disabled(".cf-step")  # one driver at a time
        page.click(".cf-play")  # pause
        page.wait_for_function("() => !document.querySelector('.cf-step').disabled", timeout=10_000)
        paused = session.text(".cf-day")
        page.wait_for_timeout(1500)  # more than four of Play's ticks
        assert session.text(".cf-day") == paused != day_zero
        page.click(".cf-reset")
        session.wait_text(".cf-day", day_zero)
        assert len(page.locator(".cf-narrative p").all_inner_texts()) == 1
    finally:
        session.close()


def test_thousand_scenarios_then_arabic_right_to_left(browser, server):
    session = Session(browser, server)
    page = session.page
    try:
        session.set_days_per_step(90)
        session.step(90)
        session.step(180)
        started = time.perf_counter()
        page.click(".cf-run-batch")
        page.wait_for_selector(".cf-batch-result img", timeout=60_000)
        seconds = time.perf_counter() - started
        (ARTIFACTS / "batch_panel_seconds.txt").write_text(f"{seconds:.2f}\n")
        view = app.run_scenarios(app.settings_for(app.PRESETS[0]))
        lo, hi = view.ci95
        assert session.text(".cf-batch-estimate") == text("en", "batch.result", horizon=1095,
                                                           p=view.collapse_probability, low=lo, high=hi)
        # Generous: about 2 s on a laptop; the test machine's two cores are shared with other suites.
        assert seconds < 30, seconds
        page.screenshot(path=ARTIFACTS / "app_en.png", full_page=True)

        page.click(".cf-lang-ar")
        session.wait_text(".cf-title", text("ar", "title"))
        page.wait_for_selector(".cf-app[dir=rtl]", timeout=10_000)
        root = page.locator(".cf-app")
        assert root.get_attribute("dir") == "rtl" and root.get_attribute("lang") == "ar"
        assert root.evaluate("e => getComputedStyle(e).direction") == "rtl"
        # Laid out right to left: the settings stand to the right of the charts.
        controls, main = page.locator(".cf-controls").bounding_box(), page.locator(".cf-main").bounding_box()
        assert controls["x"] > main["x"] + main["width"] - 1
        assert session.text(".cf-day") == text("ar", "day_status", day=180, horizon=1095)
        story = page.locator(".cf-narrative p").all_inner_texts()
        assert story[-1].strip().startswith("اليوم 0:") and all(ARABIC.search(line) for line in story)
        assert session.text(".cf-batch-estimate") == text("ar", "batch.result", horizon=1095,
                                                           p=view.collapse_probability, low=lo, high=hi)
        for selector in (".cf-controls", ".cf-main"):  # every word on the page is Arabic (numbers aside)
            assert not LATIN.search(session.text(selector)), session.text(selector)
        page.wait_for_timeout(500)
        page.screenshot(path=ARTIFACTS / "app_ar.png", full_page=True)
    finally:
        session.close()


def test_make_app_serves_the_same_module():
    """``make app`` runs ``solara run sim.app`` on 127.0.0.1 with the version check off (no request out)."""
    makefile = (Path(__file__).parent.parent / "Makefile").read_text()
    rule = makefile.split("\napp:", 1)[1].split("\n\n", 1)[0]
    assert "solara run sim.app" in rule and "--host 127.0.0.1" in rule and "--no-check-version" in rule
    assert shutil.which("solara", path=str(Path(sys.executable).parent)) is not None
