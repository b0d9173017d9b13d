"""The classroom app (sim/app.py): its words in both languages, its settings, links and runs, its charts, and the
page itself in headless Chromium, English and Arabic, two participants at once, at projector size (1280x720).

The browser tests share one ``solara run sim.app`` on a free port of 127.0.0.1 and one Chromium (``sim.app_browser``);
the server cannot fetch page assets from the internet and every request the page makes must stay on the machine.
Speed is measured by ``python -m sim.app_bench`` (docs/performance.md), not here; the screenshots in
docs/figures/app/ come from ``python -m sim.app_shots``.
"""

from __future__ import annotations

import os
import re
import shutil
import string
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg

import sim
from sim import app, app_browser, app_views
from sim.batch import run_batch
from sim.i18n import LANGUAGES, LRM, UI, direction, percent, text
from sim.narrative import PHRASES, _arabic_plural, narrate
from sim.parameters import PARAM_BY_KEY

ARTIFACTS = Path(__file__).parent / "artifacts"
ARABIC = re.compile(r"[\u0600-\u06FF]")
LATIN = re.compile(r"[A-Za-z]")
HORIZON = 1095


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


def test_one_percent_convention_per_language_in_page_strings():
    """Arabic: the Arabic percent sign after the number, a left-to-right mark before it (so that the browser and
    the charts show the pair in the same order); never the Latin sign. English: the Latin sign."""
    assert percent("en", 0.119) == "11.9%" and percent("ar", 0.119) == f"{LRM}11.9٪"
    for key, template in UI["ar"].items():
        assert "%" not in template, key
        for match in re.finditer("٪", template):
            before = template[:match.start()]
            assert not re.search(r"[\d}]$", before) or re.search(rf"{LRM}[\d.]+$", before), key


# ------------------------------------------------------------------------------------------ settings and runs
@pytest.mark.parametrize("preset", app.PRESETS)
def test_a_preset_with_its_own_values_is_the_preset(preset):
    """Applying a preset's own slider values changes nothing but what the app controls (the batch size)."""
    built = app.build_config(app.settings_for(preset))
    assert built.to_dict() == app.preset_config(preset).to_dict()
    assert app.changed_fields(app.settings_for(preset, seed=7)) == ()


def test_sliders_lie_inside_each_parameters_allowed_range_and_snap_to_their_step():
    for control in app.CONTROLS:
        spec = PARAM_BY_KEY[control.key]
        assert spec.low <= control.low < control.high <= spec.high
        assert spec.low <= spec.default <= spec.high
    credibility = app.CONTROLS[0]
    assert credibility.snap(0.15000000000000002) == 0.15 and credibility.snap(1.7) == 1.0
    assert isinstance(credibility.snap(0), float)  # a slider at its end reports an int


def test_troops_on_a_preset_without_coalition_deploy_a_force():
    settings = app.settings_for("minsk")
    assert app.build_config(settings)["coalition.members"] == 0
    with_troops = app.build_config(replace(settings, troops_k=25.0))
    assert with_troops["coalition.members"] == PARAM_BY_KEY["coalition.members"].default
    run = app.Run(with_troops)
    # The force deploys over a ramp: on day 0 its initial share is in the country.
    assert run.model.coalition.total_troops_k == pytest.approx(25.0 * run.model.coalition.deployed_share)
    assert run.model.state.initial_troops_k[0] == pytest.approx(25.0)


@pytest.mark.parametrize("raw", ["-1", str(2**63), str(10**26), "1e5", "12.5", "abc", "", " ", "٣", "+5"])
def test_a_seed_that_is_not_a_seed_is_refused_with_a_reason(raw):
    with pytest.raises(ValueError):
        app.parse_seed(raw)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread niceness is a Linux/Unix facility")
def test_a_chart_thread_yields_to_batches_and_only_it():
    """Chart drawing runs below the batch workers' priority (its own thread lowered by CHART_NICENESS); the
    thread that called it before and the rest of the server keep theirs."""
    import threading

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = {}

    def draw():
        app._yield_to_batches()
        seen["chart"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=draw)
    thread.start()
    thread.join()
    assert seen["chart"] == min(before + app.CHART_NICENESS, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_chart_drawing_waits_while_a_batch_runs():
    """A batch has the CPU first: a chart drawing started while one runs waits for its end, then draws."""
    import threading

    settings = app.settings_for(app.PRESETS[0])
    run = app.Run(app.build_config(settings))
    run.advance(14)
    snap, drawn = run.snapshot("en"), {}
    with app.BATCHES.running():
        thread = threading.Thread(target=lambda: drawn.update(images=app.chart_images(snap, settings, "en")))
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and not drawn  # waiting for the batch
    thread.join(30)
    assert not thread.is_alive() and len(drawn["images"]) == 5
    assert app.BATCHES.idle.is_set()


def test_a_seed_in_range_is_taken():
    assert app.parse_seed(" 42 ") == 42 and app.parse_seed(str(2**63 - 1)) == 2**63 - 1 and app.parse_seed("0") == 0


def test_a_link_reproduces_every_setting_and_leaves_out_what_is_not_valid():
    settings = replace(app.settings_for("bluff"), us_credibility=0.25, troops_k=55.0, regime="none",
                       decision_rule="unanimity", seed=4321)
    link = app.from_query(app.to_query(settings, "ar", 30))
    assert link == app.Link(settings, "ar", 30, ())
    bad = app.from_query("preset=bluff&us_credibility=7&troops_k=abc&regime=satellites&seed=-1&days=5&lang=fr"
                         "&colour=red")
    assert bad.settings == app.settings_for("bluff")
    assert set(bad.ignored) == {"us_credibility", "troops_k", "regime", "seed", "days", "lang", "colour"}
    assert (bad.language, bad.days_per_step) == ("en", app.DEFAULT_DAYS_PER_STEP)
    assert app.from_query(None).settings == app.settings_for(app.PRESETS[0])
    assert app.from_query("preset=nowhere").ignored == ("preset",)


def test_the_stepped_scenario_is_scenario_0_of_the_thousand():
    """What the panel's note says: the scenario a class steps ends exactly as scenario 0 of the batch."""
    settings = replace(app.settings_for("bluff"), value_of_gains=14.0)
    config = app.build_config(settings)
    run = app.Run(config)
    run.advance(config.horizon_days + 10)
    row = run_batch(config, scenarios=[0]).outcomes.loc[0]
    assert run.model.day == row["end_day"]
    assert run.model.outcome().equals(row)


def test_two_runs_step_independently_and_play_steps_only_while_playing():
    config = app.build_config(app.settings_for(app.PRESETS[0]))
    first, second = app.Run(config), app.Run(config)
    first.advance(40)
    assert (first.model.day, second.model.day) == (40, 0)
    assert len(second.snapshot("en").series) == 1 and len(first.snapshot("en").series) == 41
    assert not second.advance(7, only_playing=True) and second.model.day == 0
    second.playing.set()
    assert second.advance(7, only_playing=True) and second.model.day == 7
    second.pause()
    assert not second.advance(7, only_playing=True) and second.model.day == 7


def test_snapshot_tells_the_story_in_the_chosen_language():
    run = app.Run(app.build_config(app.settings_for("bluff")))
    run.advance(120)
    english, arabic = run.snapshot("en"), run.snapshot("ar")
    assert english.lines == tuple(narrate(run.model.events, "en")) and english.lines[0].startswith("Day 0:")
    assert arabic.lines[0].startswith("اليوم 0:")
    assert list(english.series["day"]) == list(range(121))


def test_thousand_scenarios_in_workers_are_the_batch_engines_and_report_progress():
    settings = app.settings_for(app.PRESETS[0])
    shares = []
    view = app.run_scenarios(settings, 3, shares.append)
    reference = run_batch(app.build_config(settings))
    summary = reference.summary()["collapse_probability"]
    assert view.number == 3 and view.n == app.BATCH_SCENARIOS
    assert view.collapse_probability == summary["estimate"]
    assert view.ci95[0] <= view.collapse_probability <= view.ci95[1]
    pd.testing.assert_frame_equal(view.survival, reference.survival())
    assert shares[-1] == 1.0 and shares == sorted(shares)


def test_the_board_exports_every_run_with_its_settings():
    settings = app.settings_for("minsk")
    survival = pd.DataFrame({"day": [0], "survival": [1.0], "low": [1.0], "high": [1.0]})
    board = (app.BatchView(1, settings, 1000, HORIZON, 0.8, (0.77, 0.83), survival, 1.5),
             app.BatchView(2, replace(settings, troops_k=25.0), 1000, HORIZON, 0.46, (0.43, 0.49), survival, 1.2))
    rows = pd.read_csv(pd.io.common.StringIO(app.board_csv(board)))
    assert list(rows["run"]) == [1, 2] and list(rows["troops_k"]) == [0.0, 25.0]
    assert list(rows["collapse_probability"]) == [0.8, 0.46] and set(rows["preset"]) == {"minsk"}
    assert app.describe(board[0].settings, "en") == text("en", "board.same")
    assert app.describe(board[1].settings, "en") == f"{text('en', 'short.troops_k')} 25"
    assert not LATIN.search(app.describe(replace(settings, regime="none", troops_k=5.0), "ar"))


# ------------------------------------------------------------------------------------------ errors, in process
def _boom(*_args, **_kwargs):
    raise RuntimeError("boom")


def test_a_failing_callback_becomes_a_message_and_the_page_goes_on(monkeypatch):
    """The page rendered in this process (``solara.render``): a callback that fails shows a message beside the
    scenario, which steps on once the cause is gone; a part of the page that fails to draw is replaced by a message
    and a Reset that restores the last settings that worked."""
    ipyvuetify = pytest.importorskip("ipyvuetify")
    _box, rc = solara.render(app.Page(), handle_error=False)

    def click(key: str) -> None:  # found anew each time: a render may replace the button's widget
        rc.find(ipyvuetify.Btn, children=[text("en", key)]).widget.click()

    failed = text("en", "error", error="RuntimeError: boom")
    try:
        with monkeypatch.context() as patch:
            patch.setattr(app.Run, "advance", _boom)
            click("step")
        rc.find(ipyvuetify.Alert, children=[failed]).assert_single()
        click("step")
        rc.find(children=[text("en", "day_status", day=7, horizon=HORIZON)]).assert_single()
        click("error.dismiss")
        rc.find(ipyvuetify.Alert, children=[failed]).assert_empty()

        @solara.component
        def BrokenStory(snap, language):
            _boom()

        with monkeypatch.context() as patch:
            patch.setattr(app, "Story", BrokenStory)
            click("step")
            rc.find(ipyvuetify.Alert, children=[failed]).wait_for(timeout=10)
            rc.find(ipyvuetify.Btn, children=[text("en", "step")]).assert_empty()  # the page is the message
        click("reset")
        rc.find(children=[text("en", "day_status", day=0, horizon=HORIZON)]).wait_for(timeout=10)
        rc.find(ipyvuetify.Alert, children=[failed]).assert_empty()
    finally:
        rc.close()


# ------------------------------------------------------------------------------------------ charts
def _chart_texts(fig):
    return [t for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontsize"))
            if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_charts_are_legible_on_a_projector_and_labelled_with_units(language):
    """Every text at least 11 pt at the size the page shows (one image pixel per CSS pixel), every axis labelled,
    legends outside the axes, the collapse marked, numbers in the language's convention."""
    settings = app.settings_for(app.PRESETS[0])
    run = app.Run(app.build_config(settings))
    run.advance(HORIZON)
    snap = run.snapshot(language)
    assert snap.collapse_day is not None  # the default scenario collapses: the marker is drawn
    figures = app_views.scenario_figures(snap.series, settings.us_resolve, settings.coalition_resolve, language,
                                         snap.collapse_day)
    survival = pd.DataFrame({"day": [0, 500, HORIZON], "survival": [1.0, 0.9, 0.88], "low": [1.0, 0.88, 0.86],
                             "high": [1.0, 0.92, 0.9]})
    figures["survival"] = app_views.survival_figure({"#1": survival, "#2": survival}, language)
    for name, fig in figures.items():
        FigureCanvasAgg(fig).draw()  # drawn, so that texts and legends have their places
        assert fig.dpi == app_views.DPI
        axes = fig.axes[0]
        assert axes.get_title() == text(language, f"chart.{name}")
        assert axes.get_xlabel() == text(language, "axis.day")
        for ax in fig.axes:
            assert ax.get_ylabel(), (name, "unlabelled y axis")
        for t in _chart_texts(fig):
            assert t.get_fontsize() >= 11, (name, t.get_text(), t.get_fontsize())
            if language == "ar":
                assert "%" not in t.get_text() and not LATIN.search(t.get_text().replace("#", "")), t.get_text()
        renderer = fig.canvas.get_renderer()
        frame = axes.get_window_extent(renderer)
        for legend in fig.legends:
            box = legend.get_window_extent(renderer)
            assert box.y1 <= frame.y0 + 2 or box.x0 >= frame.x1 - 2, (name, "legend over the data")
        if name != "survival":
            lines = [line for line in axes.get_lines() if list(line.get_xdata()) == [snap.collapse_day] * 2]
            assert lines, (name, "no collapse marker")
            assert axes.get_xlim()[1] >= snap.collapse_day * 1.1  # not a sliver at the edge
    if language == "ar":
        ticks = [t.get_text() for t in figures["survival"].axes[0].get_yticklabels() if t.get_text()]
        assert ticks and all(t.startswith(LRM) and t.endswith("٪") for t in ticks), ticks


# ------------------------------------------------------------------------------------------ the page
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server():
    with app_browser.serve(ARTIFACTS / "solara-server.log") as served:
        yield served.url


@pytest.fixture(scope="module")
def browser():
    if not Path(app_browser.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{app_browser.CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{app_browser.CHROMIUM} is missing (apt-get install chromium fonts-noto-core)")
    ARTIFACTS.mkdir(exist_ok=True)
    with app_browser.chromium() as chromium:
        yield chromium


class Session:
    """One participant at projector size: a browser context (its own cookies, so its own Solara session)."""

    def __init__(self, browser, url: str):
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context(viewport=app_browser.PROJECTOR)
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

    def slider_key(self, field: str, key: str) -> None:
        self.page.focus(f".cf-slider-{field} .v-slider__thumb-container")
        self.page.keyboard.press(key)

    def choose(self, css_class: str, label: str) -> None:
        self.page.click(f".{css_class}")
        self.page.locator(".menuable__content__active .v-list-item",
                          has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).first.click()

    def day(self, language: str, day: int) -> str:
        return text(language, "day_status", day=day, horizon=HORIZON)

    def step(self, expected_day: int, language: str = "en") -> None:
        self.page.click(".cf-step")
        self.wait_text(".cf-day", self.day(language, expected_day))

    def type_seed(self, raw: str) -> None:
        field = self.page.locator(".cf-seed input")
        field.fill(raw)
        field.press("Enter")

    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlparse(self.page.url).query).items()}

    def close(self) -> None:
        self.context.close()


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_the_whole_working_area_fits_a_projector_with_no_request_leaving_the_machine(browser, server):
    session = Session(browser, server)
    page = session.page
    try:
        page.wait_for_timeout(500)  # late requests: fonts, icons
        outside = [u for u in session.requests if urlparse(u).scheme not in ("data", "blob")
                   and urlparse(u).hostname not in ("127.0.0.1", "localhost")]
        assert session.requests and not outside, outside
        assert not session.failed, session.failed
        # Controls, the five charts and the story inside 1280x720, with no scrolling.
        charts = [f".cf-chart-{name}" for name in app_views.SCENARIO_CHARTS]
        for selector in (".cf-controls", ".cf-step", ".cf-story", *charts):
            box = _box(page, selector)
            assert box["x"] >= 0 and box["y"] >= 0, selector
            assert box["x"] + box["width"] <= 1280 and box["y"] + box["height"] <= 720, (selector, box)
        assert page.evaluate("document.scrollingElement.scrollHeight") <= 720
        # Charts shown at their natural size, one image pixel per CSS pixel: their 11-pt text is 11 pt.
        sizes = page.eval_on_selector_all(".cf-chart img", "imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight,"
                                                           " i.getBoundingClientRect().width])")
        assert sizes == [[*app_views.CHART_PX, app_views.CHART_PX[0]]] * 5
        # The preset's full name is shown (wrapped), not cut.
        preset = session.text(".cf-preset .v-select__selection")
        assert preset == text("en", "preset.coalition_us_backstop")
        assert page.evaluate("e => e.scrollWidth <= e.clientWidth",
                             page.locator(".cf-preset .v-select__selection").element_handle())
        # The batch panel is one click away.
        page.click(".cf-view-batch")
        page.wait_for_selector(".cf-run-batch", timeout=10_000)
        assert _box(page, ".cf-run-batch")["y"] < 720
        color = page.eval_on_selector(".cf-run-batch", "e => getComputedStyle(e).backgroundColor")
        assert color not in ("rgba(0, 0, 0, 0)", "transparent")  # Vuetify's stylesheet is loaded
    finally:
        session.close()


def test_bad_seeds_give_a_message_beside_the_field_and_the_scenario_goes_on(browser, server):
    session = Session(browser, server)
    page = session.page
    try:
        session.slider_key("us_credibility", "Home")  # the student's scenario: US credibility 0
        session.wait_text(".cf-slider-us_credibility .cf-value", "0")
        session.step(7)
        for raw in ("-1", str(2**63), str(10**26), "abc"):
            session.type_seed(raw)
            session.wait_text(".cf-seed .v-messages__message", text("en", "seed.invalid", high=app.SEED_HIGH))
            assert page.locator(".cf-page-error, .cf-error").count() == 0
            assert session.text(".cf-slider-us_credibility .cf-value") == "0"
            assert session.query()["seed"] == "20250106" and session.query()["us_credibility"] == "0"
        session.step(14)  # the page lives: the same scenario steps on
        session.type_seed("7")
        session.wait_text(".cf-day", session.day("en", 0))  # a valid seed: a new scenario
        assert page.locator(".cf-seed .v-messages__message").count() == 0
        assert session.query()["seed"] == "7"
    finally:
        session.close()


def test_a_slider_shows_its_value_and_step_play_pause_reset_drive_the_scenario(browser, server):
    session = Session(browser, server)
    page = session.page
    try:
        assert session.text(".cf-slider-us_credibility .cf-value") == "0.7"
        beliefs = session.src("beliefs")
        session.slider_key("us_credibility", "ArrowLeft")
        session.wait_text(".cf-slider-us_credibility .cf-value", "0.65")
        session.wait_change(".cf-chart-beliefs img", "src", beliefs)  # a new prior: a new model, a new chart
        story, level = session.text(".cf-narrative"), session.src("level")
        assert story.startswith("Day 0:") and len(story.splitlines()) == 1
        session.choose("cf-days-per-step", "30")
        session.step(30)
        session.wait_change(".cf-chart-level img", "src", level)
        settings = replace(app.settings_for(app.PRESETS[0]), us_credibility=0.65)
        run = app.Run(app.build_config(settings))
        run.advance(30)
        expected = list(reversed(run.snapshot("en").lines))
        assert [p.strip() for p in page.locator(".cf-narrative p").all_inner_texts()] == expected

        page.click(".cf-play")
        session.wait_change(".cf-day", None, session.day("en", 30))
        assert page.is_disabled(".cf-step")  # one driver at a time
        page.click(".cf-play")  # Pause: stops at once
        page.wait_for_function("() => !document.querySelector('.cf-step').disabled", timeout=10_000)
        paused = session.text(".cf-day")
        page.wait_for_timeout(1500)  # more than four of Play's ticks
        assert session.text(".cf-day") == paused
        page.click(".cf-reset")
        session.wait_text(".cf-day", session.day("en", 0))
        # The story is redrawn after the day label: wait for the fresh scenario's single opening line.
        page.wait_for_function("() => document.querySelectorAll('.cf-narrative p').length === 1", timeout=15_000)
    finally:
        session.close()


def test_a_link_reproduces_a_scenario_and_choosing_the_preset_again_restores_it(browser, server):
    query = app.to_query(replace(app.settings_for("bluff"), troops_k=55.0, regime="none", seed=99), "en", 90)
    session = Session(browser, f"{server}?{query}&us_resolve=9")
    page = session.page
    try:
        assert session.text(".cf-slider-troops_k .cf-value") == "55"
        assert session.text(".cf-regime .v-select__selection") == text("en", "regime.none")
        assert page.input_value(".cf-seed input") == "99"
        assert "us_resolve" in session.text(".cf-link-ignored")
        session.step(90)
        changed = text("en", "preset.changed", name=text("en", "preset.bluff"))
        assert session.text(".cf-preset .v-select__selection") == changed
        address = session.query()  # the address follows, with the preset's value for the one left out
        assert address["troops_k"] == "55" and address["us_resolve"] == f"{app.settings_for('bluff').us_resolve:g}"
        session.choose("cf-preset", text("en", "preset.bluff"))  # the preset again: its own values
        own = app.settings_for("bluff")
        session.wait_text(".cf-slider-troops_k .cf-value", f"{own.troops_k:g}")
        assert session.text(".cf-preset .v-select__selection") == text("en", "preset.bluff")
        assert session.text(".cf-regime .v-select__selection") == text("en", f"regime.{own.regime}")
        assert session.text(".cf-day") == session.day("en", 0)
    finally:
        session.close()


def test_two_participants_in_two_languages_keep_their_results_on_the_board(browser, server):
    """An English participant runs a thousand scenarios while an Arabic one plays; the English result stays
    through Step, collapse and Reset, a second run joins it on the board, curves overlay, the board exports and
    is cleared only on request. The Arabic page reads right to left, sliders included, in Arabic numbers' one
    convention."""
    english, arabic = Session(browser, server), Session(browser, server)
    en, ar = english.page, arabic.page
    try:
        ar.click(".cf-lang-ar")
        arabic.wait_text(".cf-title", text("ar", "title"))
        ar.click(".cf-play")  # the second session plays while the first runs its batch
        en.click(".cf-view-batch")
        en.click(".cf-run-batch")
        en.wait_for_selector(".cf-batch-running", timeout=10_000)  # progress shown while it runs
        en.wait_for_selector(".cf-batch-result", timeout=60_000)
        view = app.run_scenarios(app.settings_for(app.PRESETS[0]))
        lo, hi = view.ci95
        estimate = text("en", "batch.result", horizon=HORIZON, p=percent("en", view.collapse_probability),
                        low=percent("en", lo), high=percent("en", hi))
        assert english.text(".cf-batch-estimate") == estimate
        assert ar.is_disabled(".cf-step")  # still playing meanwhile
        ar.click(".cf-play")

        en.click(".cf-view-scenario")
        english.choose("cf-days-per-step", "90")
        for day in (90, 180, 270, 360):  # the default scenario collapses on day 283 (a renewed offensive)
            english.step(day if day < 360 else 283)
        en.wait_for_selector(".cf-outcome-collapsed", timeout=10_000)
        en.click(".cf-reset")
        english.wait_text(".cf-day", english.day("en", 0))
        en.click(".cf-view-batch")
        assert english.text(".cf-batch-estimate") == estimate  # kept through Step, collapse and Reset

        english.slider_key("troops_k", "End")  # 100 thousand troops, then a second run
        english.wait_text(".cf-slider-troops_k .cf-value", "100")
        en.wait_for_selector(".cf-batch-stale", timeout=10_000)
        en.click(".cf-run-batch")
        en.wait_for_selector(".cf-board-run-2", timeout=60_000)
        assert en.locator(".cf-board-row").count() == 2
        assert "100" in english.text(".cf-board-run-2") and text("en", "board.same") in english.text(".cf-board-run-1")
        en.wait_for_timeout(500)  # the overlay of both runs is drawn
        overlay = en.get_attribute(".cf-survival", "src")
        en.click(".cf-show-run-1 .v-input--selection-controls__input")  # untick run 1: one curve left
        english.wait_change(".cf-survival", "src", overlay)
        with en.expect_download() as download:
            en.click(".cf-board a, .cf-board .v-btn:has-text('Export CSV')")
        rows = pd.read_csv(download.value.path())
        assert list(rows["run"]) == [1, 2] and list(rows["troops_k"]) == [25.0, 100.0]
        en.click(".cf-clear-board")
        assert en.locator(".cf-board-row").count() == 2  # asked first
        en.click(".cf-clear-yes")
        en.wait_for_selector(".cf-board-empty", timeout=10_000)

        # The Arabic participant: right to left, Arabic words, one number convention, sliders from the right.
        root = ar.locator(".cf-app")
        assert root.get_attribute("dir") == "rtl" and root.evaluate("e => getComputedStyle(e).direction") == "rtl"
        controls, main = _box(ar, ".cf-controls"), _box(ar, ".cf-main")
        assert controls["x"] > main["x"] + main["width"] - 1  # the settings stand to the right
        track, thumb = _box(ar, ".cf-slider-us_credibility .v-slider"), _box(ar, ".cf-slider-us_credibility "
                                                                               ".v-slider__thumb-container")
        # 0.7 of the way from the right end: the slider fills from the right.
        assert thumb["x"] + thumb["width"] / 2 < track["x"] + 0.5 * track["width"]
        arabic.slider_key("us_credibility", "Home")
        arabic.wait_text(".cf-slider-us_credibility .cf-value", "0")
        ar.wait_for_timeout(500)  # the thumb slides there
        thumb = _box(ar, ".cf-slider-us_credibility .v-slider__thumb-container")
        assert thumb["x"] + thumb["width"] / 2 > track["x"] + 0.9 * track["width"]
        story = ar.locator(".cf-narrative p").all_inner_texts()
        assert story[-1].strip().startswith("اليوم 0:") and all(ARABIC.search(line) for line in story)
        for selector in (".cf-controls", ".cf-main"):  # every word on the page is Arabic (numbers aside)
            assert not LATIN.search(arabic.text(selector)), arabic.text(selector)
        ar.click(".cf-view-batch")
        ar.click(".cf-run-batch")
        ar.wait_for_selector(".cf-batch-result", timeout=60_000)
        estimate = arabic.text(".cf-batch-estimate")
        assert "%" not in estimate and estimate.count("٪") == 4 and estimate.count(LRM) == 4
        assert arabic.query()["lang"] == "ar"
    finally:
        english.close()
        arabic.close()


def test_the_committed_screenshots_show_the_projector_screen():
    """docs/figures/app/ holds what ``python -m sim.app_shots`` writes, each at 1280x720."""
    from PIL import Image

    from sim import app_shots

    shots = sorted(app_shots.OUT.glob("*.png"))
    assert [p.name for p in shots] == sorted(app_shots.SHOTS)
    for path in shots:
        with Image.open(path) as image:
            assert image.size == (app_browser.PROJECTOR["width"], app_browser.PROJECTOR["height"]), path


def test_make_app_serves_the_same_module_and_make_notebooks_serves_the_workshop():
    """``make app`` runs ``solara run sim.app`` on 127.0.0.1 with the version check off (no request out);
    ``make notebooks`` runs JupyterLab from the project's ``workshop`` extra on the workshop folder."""
    root = Path(__file__).parent.parent
    makefile = (root / "Makefile").read_text()
    rule = makefile.split("\napp:", 1)[1].split("\n\n", 1)[0]
    assert "solara run sim.app" in rule and "--host 127.0.0.1" in rule and "--no-check-version" in rule
    assert shutil.which("solara", path=str(Path(sys.executable).parent)) is not None
    notebooks = makefile.split("\nnotebooks:", 1)[1].split("\n\n", 1)[0]
    assert "jupyter lab" in notebooks and "experiments/workshop" in notebooks and "127.0.0.1" in notebooks
    assert '.[$(EXTRAS),workshop]' in makefile
    assert 'workshop = ["jupyterlab' in (root / "pyproject.toml").read_text()
