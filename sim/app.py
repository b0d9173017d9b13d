"""The classroom app (Solara): one scenario stepped day by day with its charts and story, a thousand scenarios with
the same settings, and a board of every batch run, in English or Arabic. ``make app`` serves it on 127.0.0.1
(``solara run sim.app``).

Every browser session renders its own ``Page``, so its settings, its ``Run`` (the Mesa model), its batch results
and its board live in that session's hooks, never in module globals: two participants never step each other's
scenario. Configs are frozen and shared between sessions through a cache; batches run in worker processes shared by
the sessions (``sim.app_worker``), so they neither wait for nor slow down a session that plays. All page assets come
from installed packages (``solara-assets``), so the app works with no internet.

Nothing a participant does shows a traceback: every input is validated where it is typed (a message beside the
field, the scenario kept), every callback is guarded (a message at the top of the page, the session goes on), and
a failure while drawing the page offers the last settings that worked. The settings are in the page's address
(``to_query``/``from_query``), so a link reproduces a scenario.

The settings a class changes are in ``CONTROLS`` and ``CHOICES`` (the rest comes from the preset); words are in
``sim.i18n`` and ``sim.narrative.PHRASES``; charts are in ``sim.app_views``.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import math
import os
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import parse_qs, urlencode

import ipyvuetify
import pandas as pd
import solara
import traitlets
from reacton.ipyvue import use_event
from solara.server import settings as solara_settings

from sim import app_views as views
from sim import narrative
from sim.app_worker import BatchPool
from sim.compose import compose_config, default_preset
from sim.config import RUN_SETTINGS, Config, preset_names
from sim.i18n import LANGUAGES, count, direction, percent, text
from sim.model import CeasefireModel
from sim.observables import SERIES
from sim.parameters import DECISION_RULES, MONITORING_REGIMES, PARAM_BY_KEY

log = logging.getLogger("sim.app")
solara_settings.theme.show_banner = False  # Solara's "runs on Solara" corner would cover the story on a projector

# The page opens on the configured default preset (configs/config.yaml), listed first; then the others in their order.
PRESETS = (default_preset(), *(name for name in preset_names() if name != default_preset()))
BATCH_SCENARIOS = 1000  # the "thousand scenarios" panel; the stepped scenario is scenario 0 of the same design
DAYS_PER_STEP = (1, 7, 30, 90)
DEFAULT_DAYS_PER_STEP = 7  # a week a step: three years in 157 steps, each telling what the week brought
PLAY_INTERVAL_S = 0.35  # pause between Play's steps, so a class can read the charts move
SHOWN_WAIT_S = 5.0  # Play waits at most this long for the page to show a step before taking the next
SEED_LOW, SEED_HIGH = RUN_SETTINGS["seed"][1:3]
NEW_SEED_HIGH = 99_999  # "another scenario" draws a seed a class can read out and type
POOL = BatchPool()
PROGRESS_EVERY_S = 0.25  # the batch's progress bar moves this often: each move redraws the panel, CPU the batch needs
CHART_NICENESS = 10  # how much lower than the batch workers a chart-drawing thread runs (Linux niceness, added)


BATCH_WAIT_MAX_S = 5.0  # the longest a chart drawing waits for the server's batches to end


class _Batches:
    """The batches this server runs now, from the click to the result on the board: a chart drawing waits for
    none to be running (a participant waits for a batch's result; a playing scenario's next charts can wait a
    second or two, and Play waits for its charts), so that the batch has the CPU to itself."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running = 0
        self.idle = threading.Event()
        self.idle.set()

    @contextmanager
    def running(self):
        with self._lock:
            self._running += 1
            self.idle.clear()
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if not self._running:
                    self.idle.set()


BATCHES = _Batches()


def _yield_to_batches() -> None:
    """Run the calling thread (a chart drawing) at a lower priority than the batch workers: while a session plays,
    its charts would otherwise take the CPU a batch needs (on Linux a thread has its own niceness; elsewhere, and
    where the system refuses, nothing changes)."""
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + CHART_NICENESS)
    except (AttributeError, OSError):
        pass


@dataclass(frozen=True)
class Control:
    """A slider: the ``Settings`` field it sets, the parameter it sets, a classroom range inside the parameter's
    allowed one (``sim.parameters``) and the slider's step."""

    field: str
    key: str
    low: float
    high: float
    step: float

    def __post_init__(self):
        spec = PARAM_BY_KEY[self.key]
        if not spec.low <= self.low < self.high <= spec.high:
            raise ValueError(f"slider {self.field}=[{self.low}, {self.high}] is outside {self.key}'s allowed range "
                             f"[{spec.low}, {spec.high}]")

    def snap(self, value: float) -> float:
        """``value`` on the slider's grid and range (a dragged slider reports float noise: 0.15000000000000002)."""
        steps = round((float(value) - self.low) / self.step)
        return round(float(min(self.high, max(self.low, self.low + steps * self.step))), 10)


def _control(field: str, key: str, step: float, high: float | None = None) -> Control:
    spec = PARAM_BY_KEY[key]
    return Control(field, key, spec.low, spec.high if high is None else high, step)


CONTROLS: tuple[Control, ...] = (
    _control("us_credibility", "us.credibility", 0.05),
    _control("us_resolve", "us.resolve", 0.05),
    _control("coalition_credibility", "coalition.credibility", 0.05),
    _control("coalition_resolve", "coalition.resolve", 0.05),
    _control("troops_k", "coalition.troops_k", 5.0, high=100.0),  # allowed to 500; a class explores up to 100
    _control("value_of_gains", "russia.value_of_gains", 0.5, high=30.0),  # allowed to 100; the default is 10
)
CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {  # Settings field -> (parameter, values)
    "regime": ("monitoring.regime", MONITORING_REGIMES),
    "decision_rule": ("coalition.decision_rule", DECISION_RULES),
}


@dataclass(frozen=True)
class Settings:
    """What the class has set: a preset, the values of ``CONTROLS`` and ``CHOICES``, and the seed."""

    preset: str
    us_credibility: float
    us_resolve: float
    coalition_credibility: float
    coalition_resolve: float
    troops_k: float
    value_of_gains: float
    regime: str
    decision_rule: str
    seed: int


SETTING_FIELDS = tuple(f.name for f in fields(Settings) if f.name not in ("preset", "seed"))


@lru_cache(maxsize=len(PRESETS))
def preset_config(preset: str) -> Config:
    """The preset's config (Hydra composition, ~0.2 s: done once per preset and process)."""
    if preset not in PRESETS:
        raise ValueError(f"preset={preset!r} is not one of {PRESETS}")
    return compose_config([f"scenario={preset}", f"n_scenarios={BATCH_SCENARIOS}"])


def settings_for(preset: str, seed: int | None = None) -> Settings:
    """The preset's own values of every control (and the configured seed unless ``seed`` is given)."""
    cfg = preset_config(preset)
    values = {c.field: float(cfg.value(c.key)) for c in CONTROLS}
    values.update({field: str(cfg.value(key)) for field, (key, _) in CHOICES.items()})
    return Settings(preset=preset, seed=cfg.seed if seed is None else int(seed), **values)


def changed_fields(settings: Settings) -> tuple[str, ...]:
    """The settings (seed aside) that differ from the preset's own values."""
    own = settings_for(settings.preset, settings.seed)
    return tuple(name for name in SETTING_FIELDS if getattr(settings, name) != getattr(own, name))


@lru_cache(maxsize=512)
def build_config(settings: Settings) -> Config:
    """The preset's config with the settings applied. A preset without a coalition (members 0) gets the default
    number of members once troops are set above zero, so that moving the troops slider deploys a force."""
    base = preset_config(settings.preset)
    members = base.value("coalition.members")
    if members == 0 and settings.troops_k > 0:
        members = PARAM_BY_KEY["coalition.members"].default
    changes = {c.key: getattr(settings, c.field) for c in CONTROLS}
    changes.update({key: getattr(settings, field) for field, (key, _) in CHOICES.items()})
    return base.replace({**changes, "seed": settings.seed, "coalition.members": members})


# ------------------------------------------------------------------------------------------ seeds and links
def parse_seed(raw: str | int) -> int:
    """A seed typed by a participant: a whole number in the seed's allowed range, else ``ValueError``."""
    digits = str(raw).strip()
    if not digits.isdigit() or not digits.isascii():  # no sign, no decimal point, no exponent
        raise ValueError(f"seed {raw!r} is not a whole number")
    seed = int(digits)
    if not SEED_LOW <= seed <= SEED_HIGH:
        raise ValueError(f"seed {seed} is outside [{SEED_LOW}, {SEED_HIGH}]")
    return seed


class Link(NamedTuple):
    """What a page's address sets, and the names of the values it had that were left out (not valid)."""

    settings: Settings
    language: str
    days_per_step: int
    ignored: tuple[str, ...]


def to_query(settings: Settings, language: str, days_per_step: int) -> str:
    """The page's address query for a scenario: every setting, so a link reproduces it exactly."""
    values = {"preset": settings.preset}
    values.update({name: f"{getattr(settings, name):g}" if isinstance(getattr(settings, name), float)
                   else getattr(settings, name) for name in SETTING_FIELDS})
    values.update({"seed": settings.seed, "days": days_per_step, "lang": language})
    return urlencode(values)


def from_query(query: str | None) -> Link:
    """The scenario a page's address query sets; a value that is not valid is left out (the preset's is used)."""
    given = {key: values[-1] for key, values in parse_qs(query or "").items()}
    ignored = []
    preset = given.pop("preset", PRESETS[0])
    if preset not in PRESETS:
        ignored.append("preset")
        preset = PRESETS[0]
    settings = settings_for(preset)
    changes: dict = {}
    for control in CONTROLS:
        if control.field in given:
            try:
                value = float(given.pop(control.field))
            except ValueError:
                value = math.nan
            if control.low <= value <= control.high:
                changes[control.field] = value
            else:
                ignored.append(control.field)
    for field, (_, allowed) in CHOICES.items():
        if field in given:
            value = given.pop(field)
            if value in allowed:
                changes[field] = value
            else:
                ignored.append(field)
    if "seed" in given:
        try:
            changes["seed"] = parse_seed(given.pop("seed"))
        except ValueError:
            ignored.append("seed")
    language = given.pop("lang", "en")
    if language not in LANGUAGES:
        ignored.append("lang")
        language = "en"
    days = given.pop("days", str(DEFAULT_DAYS_PER_STEP))
    if days not in {str(d) for d in DAYS_PER_STEP}:
        ignored.append("days")
        days = str(DEFAULT_DAYS_PER_STEP)
    ignored.extend(sorted(given))  # names the app does not know
    return Link(replace(settings, **changes), language, int(days), tuple(ignored))


# ------------------------------------------------------------------------------------------ one scenario
@dataclass(frozen=True, eq=False)  # compared by identity: a hook dependency, holding a DataFrame
class Snapshot:
    """What the page shows of a scenario at one moment: series by day, the story in one language, the status."""

    series: pd.DataFrame  # one row per day 0..day, columns "day" and every ``observables.SERIES`` name
    lines: tuple[str, ...]  # the narrative, one sentence per eventful day or stretch, in day order
    day: int
    level: int
    finished: bool
    collapse_day: int | None
    failure_mode: str | None


class Run:
    """One session's scenario: scenario 0 of the config as a Mesa model, stepped under a lock so that Play's
    thread and the page never see half a day. ``playing`` is set while Play may step: Pause clears it under the
    lock, so no step starts after Pause."""

    def __init__(self, config: Config):
        self.config = config
        self.model = CeasefireModel(config, scenario=0)
        self.lock = threading.Lock()
        self.playing = threading.Event()

    def advance(self, days: int, only_playing: bool = False) -> bool:
        """Step up to ``days`` days (fewer if the scenario ends); with ``only_playing``, only while Play runs.
        Returns whether it stepped."""
        with self.lock:
            if only_playing and not self.playing.is_set():
                return False
            for _ in range(days):
                if self.model.finished:
                    break
                self.model.step()
            return True

    def pause(self) -> None:
        with self.lock:  # waits for a step in progress: the page then shows the day Pause stopped at
            self.playing.clear()

    def snapshot(self, language: str) -> Snapshot:
        with self.lock:
            m = self.model
            series = m.datacollector.get_model_vars_dataframe()[list(SERIES)].copy()
            events = list(m.events)
            outcome = m.outcome() if m.finished else None
            day, finished = m.day, m.finished
        series.insert(0, "day", range(len(series)))
        collapsed = outcome is not None and bool(outcome["collapsed"])
        return Snapshot(series=series.reset_index(drop=True), lines=tuple(narrative.narrate(events, language)),
                        day=day, level=int(series["level"].iloc[-1]), finished=finished,
                        collapse_day=int(outcome["collapse_day"]) if collapsed else None,
                        failure_mode=str(outcome["failure_mode"]) if collapsed else None)


def chart_images(snap: Snapshot, settings: Settings, language: str,
                 cancel: threading.Event | None = None) -> dict[str, str] | None:
    """The scenario's five charts as PNG data URLs, by name; None if ``cancel`` is set meanwhile (a newer step
    wants its own charts: this drawing would only delay them)."""
    figures = views.scenario_figures(snap.series, settings.us_resolve, settings.coalition_resolve, language,
                                     snap.collapse_day)
    images = {}
    for name, fig in figures.items():
        BATCHES.idle.wait(BATCH_WAIT_MAX_S)  # a batch first (its result is what a participant waits for)
        if cancel is not None and cancel.is_set():
            return None
        images[name] = _data_url(views.png(fig))
    return images


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# ------------------------------------------------------------------------------------------ a thousand scenarios
@dataclass(frozen=True, eq=False)  # compared by identity, as Snapshot
class BatchView:
    """A thousand scenarios' result as the panel and the board show it."""

    number: int  # the session's run number, 1, 2, ... (kept when the board is cleared)
    settings: Settings
    n: int
    horizon_days: int
    collapse_probability: float
    ci95: tuple[float, float]
    survival: pd.DataFrame
    seconds: float  # wall time of the batch run


def run_scenarios(settings: Settings, number: int = 1, on_progress=None) -> BatchView:
    """Run ``BATCH_SCENARIOS`` scenarios of the settings with the batch engine, in the worker processes."""
    config = build_config(settings)
    started = time.perf_counter()
    result = POOL.run(config, on_progress, every_s=PROGRESS_EVERY_S)
    seconds = time.perf_counter() - started
    estimate = result.summary()["collapse_probability"]
    return BatchView(number, settings, len(result.outcomes), config.horizon_days, float(estimate["estimate"]),
                     (float(estimate["ci95"][0]), float(estimate["ci95"][1])), result.survival(), seconds)


def board_csv(board: tuple[BatchView, ...]) -> str:
    """The results board as CSV: one row per run, its settings and its estimate (column names in English)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "preset", *SETTING_FIELDS, "seed", "scenarios", "horizon_days", "collapse_probability",
                     "ci95_low", "ci95_high", "seconds"])
    for view in board:
        s = view.settings
        writer.writerow([view.number, s.preset, *(getattr(s, name) for name in SETTING_FIELDS), s.seed, view.n,
                         view.horizon_days, f"{view.collapse_probability:.4f}", f"{view.ci95[0]:.4f}",
                         f"{view.ci95[1]:.4f}", f"{view.seconds:.2f}"])
    return out.getvalue()


def describe(settings: Settings, language: str) -> str:
    """The settings of a run in a few words: what differs from its preset."""
    changed = changed_fields(settings)
    if not changed:
        return text(language, "board.same")
    parts = []
    for name in changed:
        value = getattr(settings, name)
        shown = text(language, f"{name}.{value}") if name in CHOICES else f"{value:g}"
        parts.append(f"{text(language, f'short.{name}')} {shown}")
    return "؛ ".join(parts) if language == "ar" else "; ".join(parts)


# ------------------------------------------------------------------------------------------ components
# Laid out for a projector at 1280x720: settings on one side, on the other the toolbar, the view switch and three
# charts across two rows with the story in the sixth cell (the chart size is views.CHART_PX).
CSS = """
.cf-app { padding: 2px 12px; width: 100%; max-width: 1500px; margin: 0 auto; font-size: 14px; box-sizing: border-box; }
.cf-app[dir=rtl] .v-label, .cf-app[dir=rtl] .v-select__selection { direction: rtl; }
.cf-head { display: flex; align-items: center; gap: 10px; height: 40px; }
.cf-head h1 { font-size: 1.3rem; font-weight: 500; margin: 0; white-space: nowrap; }
.cf-about { flex: 1 1 auto; min-width: 0; }
.cf-about summary { cursor: pointer; color: #1565c0; }
.cf-about p { position: absolute; z-index: 5; background: #fff; border: 1px solid #ccc; padding: 8px 12px;
  max-width: 36em; box-shadow: 0 2px 8px rgba(0,0,0,.2); }
.cf-body { display: flex; gap: 10px; align-items: flex-start; }
.cf-controls { width: 290px; flex: none; }
.cf-controls .v-card__title { font-size: 1rem; padding: 4px 10px; }
.cf-controls-inner { display: flex; flex-direction: column; gap: 6px; padding: 0 10px 8px 10px; }
.cf-label { display: flex; justify-content: space-between; gap: 6px; font-size: 0.8rem; color: #333;
  line-height: 1.2; }
.cf-value { font-weight: bold; font-variant-numeric: tabular-nums; }
.cf-slider .v-input { margin-top: 0; }
.cf-slider .v-input__slot { margin-bottom: 0; min-height: 22px; }
.cf-hint { font-size: 0.72rem; color: #666; line-height: 1.2; }
.cf-controls .v-select__selection, .cf-controls .v-list-item__title { white-space: normal; line-height: 1.25; }
.cf-controls .v-select .v-input__slot { min-height: 36px; }
.cf-seed-row { display: flex; align-items: flex-start; gap: 4px; }
.cf-main { flex: 1 1 auto; min-width: 0; }
.cf-toolbar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; min-height: 38px; }
.cf-status { font-size: 1rem; }
.cf-outcome { padding: 2px 10px; border-radius: 4px; font-weight: 500; }
.cf-outcome-held { background: #e8f5e9; color: #1b5e20; }
.cf-outcome-collapsed { background: #ffebee; color: #b71c1c; }
.cf-views { margin: 0 0 4px 0; }
.cf-grid { display: grid; grid-template-columns: repeat(3, 304px); grid-auto-rows: 284px; gap: 6px; }
.cf-chart img { display: block; width: 304px; height: 284px; }
.cf-story { display: flex; flex-direction: column; border: 1px solid #ddd; border-radius: 4px; padding: 4px 8px;
  overflow: hidden; }
.cf-story h2 { font-size: 0.95rem; font-weight: 500; margin: 0 0 4px 0; }
.cf-story h2 span { font-weight: normal; color: #666; }
.cf-narrative { overflow-y: auto; line-height: 1.45; font-size: 0.85rem; }
.cf-narrative p { margin: 0 0 5px 0; }
.cf-batch { max-width: 930px; }
.cf-batch-row { display: flex; align-items: center; gap: 4px 12px; flex-wrap: wrap; min-height: 30px; }
.cf-batch-estimate { font-weight: bold; font-size: 1.05rem; }
.cf-batch-stale { color: #8d5a00; background: #fff4e0; padding: 0 8px; border-radius: 4px; }
.cf-note { color: #555; font-size: 0.85rem; }
.cf-board h3 { font-size: 1rem; font-weight: 500; margin: 0; }
.cf-board-table { max-height: 150px; overflow-y: auto; }
.cf-board table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
.cf-board th, .cf-board td { border-bottom: 1px solid #ddd; padding: 2px 6px; text-align: start; }
.cf-board .v-input--selection-controls { margin: 0; padding: 0; }
.cf-board .v-input__slot { margin: 0; }
.cf-message { margin: 2px 0; }
"""


class Browser(ipyvuetify.VuetifyTemplate):
    """What the page needs of the browser: Vuetify's direction (its sliders fill from the right in Arabic), the
    settings in the address bar (replaced, not pushed: Back leaves the app) and a button that copies the address."""

    template = traitlets.Unicode("""
<template>
  <v-btn small outlined class="cf-copy-link" @click="copy">{{ copied ? copied_label : label }}</v-btn>
</template>
<script>
module.exports = {
  data() { return { copied: false }; },
  mounted() { this.apply(); },
  watch: { rtl() { this.apply(); }, query() { this.apply(); } },
  methods: {
    apply() {
      this.$vuetify.rtl = this.rtl;
      const url = new URL(window.location.href);
      url.search = this.query;
      if (url.href !== window.location.href) {
        window.history.replaceState(window.history.state, "", url.href);
      }
    },
    copy() {
      if (navigator.clipboard) {
        navigator.clipboard.writeText(window.location.href).then(() => {
          this.copied = true;
          setTimeout(() => { this.copied = false; }, 2000);
        });
      }
    },
  },
};
</script>
""").tag(sync=True)
    rtl = traitlets.Bool(False).tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    copied_label = traitlets.Unicode("").tag(sync=True)


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@solara.component
def ParamSlider(control: Control, value: float, label: str, on_value):
    """A labelled slider; the number beside the label follows the thumb at once (nothing else is redrawn while
    it moves) and ``on_value`` gets the value when the thumb is let go."""
    dragged, set_dragged = solara.use_state(None)
    solara.use_effect(lambda: set_dragged(None), [value])
    shown = value if dragged is None else dragged
    with solara.Div(classes=["cf-slider", f"cf-slider-{control.field}"]):
        with solara.Div(classes=["cf-label"]):
            solara.HTML(tag="span", unsafe_innerHTML=_escape(label))
            solara.HTML(tag="span", unsafe_innerHTML=f"{shown:g}", classes=["cf-value"])
        slider = solara.v.Slider(v_model=shown, min=control.low, max=control.high, step=control.step, dense=True,
                                 hide_details=True, on_v_model=lambda v: set_dragged(control.snap(v)))
        use_event(slider, "change", lambda _widget, _event, v: on_value(control.snap(v)))


@solara.component
def Choice(label: str, value, items: list[tuple], on_value, css_class: str):
    """A dropdown of (value, shown text) items."""
    solara.v.Select(label=label, v_model=value, items=[{"value": v, "text": t} for v, t in items],
                    on_v_model=on_value, dense=True, class_=css_class, hide_details=True)


@solara.component
def SeedField(seed: int, language: str, on_seed):
    """The seed as typed: checked at every key (a message beside the field if it is not a seed), used when the
    field is left or Enter pressed; the scenario keeps the last valid seed meanwhile."""
    typed, set_typed = solara.use_state(str(seed))
    problem, set_problem = solara.use_state("")

    def external_change():
        set_typed(str(seed))
        set_problem("")

    solara.use_effect(external_change, [seed])

    def check(raw):
        set_typed(raw or "")
        try:
            parse_seed(raw or "")
            set_problem("")
        except ValueError:
            set_problem(text(language, "seed.invalid", high=SEED_HIGH))

    def commit(*_):
        try:
            on_seed(parse_seed(typed))
        except ValueError:
            set_problem(text(language, "seed.invalid", high=SEED_HIGH))

    field = solara.v.TextField(label=text(language, "seed"), v_model=typed, on_v_model=check, dense=True,
                               error_messages=[problem] if problem else [], class_="cf-seed",
                               hide_details="auto")
    use_event(field, "change", commit)
    use_event(field, "keydown.enter", commit)


@solara.component
def Controls(language: str, settings: Settings, days_per_step: int, apply, set_days, guard):
    s = settings
    changed = changed_fields(s)

    def set_field(field):
        return guard(lambda value: apply(replace(settings, **{field: value})))

    def choose_preset(preset):
        if preset in PRESETS:  # the "(changed)" entry is the current preset as it now is: nothing to do
            apply(settings_for(preset, settings.seed))

    presets = [(p, text(language, f"preset.{p}")) for p in PRESETS]
    current = s.preset
    if changed:  # choosing the preset itself again then restores its values
        current = f"{s.preset}*"
        presets.insert(PRESETS.index(s.preset), (current, text(language, "preset.changed",
                                                                 name=text(language, f"preset.{s.preset}"))))
    with solara.Card(text(language, "settings"), classes=["cf-controls"], margin=0):
        with solara.Div(classes=["cf-controls-inner"]):
            Choice(text(language, "preset"), current, presets, guard(choose_preset), "cf-preset")
            for control in CONTROLS:
                ParamSlider(control, getattr(s, control.field), text(language, control.field),
                            set_field(control.field))
                if control.field == "troops_k" and preset_config(s.preset).value("coalition.members") == 0:
                    solara.Text(text(language, "troops_hint", members=PARAM_BY_KEY["coalition.members"].default),
                                classes=["cf-hint"])
            for field, (_, values) in CHOICES.items():
                Choice(text(language, field), getattr(s, field),
                       [(v, text(language, f"{field}.{v}")) for v in values], set_field(field), f"cf-{field}")
            with solara.Div(classes=["cf-seed-row"]):
                SeedField(s.seed, language, set_field("seed"))
                with solara.Tooltip(text(language, "seed.new")):
                    solara.Button(icon_name="mdi-dice-5", icon=True, classes=["cf-new-seed"],
                                  on_click=guard(lambda: apply(replace(settings,
                                                                       seed=1 + secrets.randbelow(NEW_SEED_HIGH)))))
            Choice(text(language, "days_per_step"), days_per_step, [(d, str(d)) for d in DAYS_PER_STEP],
                   guard(set_days), "cf-days-per-step")


@solara.component
def Story(snap: Snapshot, language: str):
    with solara.Div(classes=["cf-story"]):
        solara.HTML(tag="h2", unsafe_innerHTML=f"{_escape(text(language, 'narrative'))} · "
                                               f"<span>{_escape(text(language, 'narrative.order'))}</span>")
        with solara.Div(classes=["cf-narrative"]):
            for line in reversed(snap.lines):
                solara.HTML(tag="p", unsafe_innerHTML=_escape(line))


@solara.component
def ScenarioView(snap: Snapshot, drawn_day: int | None, images: dict[str, str], language: str):
    """The five charts (the latest drawn, of ``drawn_day``: a new step's charts replace them when ready) and the
    story."""
    w, h = views.CHART_PX
    with solara.Div(classes=["cf-grid"]):
        for name in views.SCENARIO_CHARTS:
            with solara.Div(classes=["cf-chart", f"cf-chart-{name}"]):
                if name in images:
                    solara.v.Html(tag="img", attributes={"src": images[name], "width": w, "height": h,
                                                         "alt": text(language, f"chart.{name}"),
                                                         "data-day": drawn_day})
        Story(snap, language)


@solara.component
def Board(language: str, board: tuple[BatchView, ...], shown: frozenset, set_shown, clear, guard):
    """Every batch run of the session, a row each, newest first; ticked runs are overlaid; CSV export; cleared
    only here, after a confirmation."""
    confirming, set_confirming = solara.use_state(False)

    def toggle(number):
        return guard(lambda on: set_shown(shown | {number} if on else shown - {number}))

    with solara.Div(classes=["cf-board"]):
        with solara.Div(classes=["cf-batch-row"]):
            solara.HTML(tag="h3", unsafe_innerHTML=_escape(text(language, "board")))
            solara.Text(text(language, "board.explain"), classes=["cf-note"])
            if board:
                solara.FileDownload(lambda: board_csv(board), filename="ceasefire-runs.csv",
                                    label=text(language, "board.export"), mime_type="text/csv")
                if confirming:
                    solara.Text(text(language, "board.clear_confirm", n=len(board)))
                    solara.Button(text(language, "board.yes"), color="error", small=True, classes=["cf-clear-yes"],
                                  on_click=guard(lambda: (clear(), set_confirming(False))))
                    solara.Button(text(language, "board.no"), small=True, on_click=lambda: set_confirming(False))
                else:
                    solara.Button(text(language, "board.clear"), outlined=True, small=True,
                                  classes=["cf-clear-board"], on_click=lambda: set_confirming(True))
        if not board:
            solara.Text(text(language, "board.empty"), classes=["cf-board-empty"])
            return
        heads = ("board.run", "board.preset", "board.settings", "board.seed", "board.collapse", "board.seconds",
                 "board.show")
        with solara.Div(classes=["cf-board-table"]):
            with solara.v.Html(tag="table"):
                with solara.v.Html(tag="tr"):
                    for key in heads:
                        solara.v.Html(tag="th", children=[text(language, key)])
                for view in reversed(board):
                    lo, hi = view.ci95
                    cells = [f"#{view.number}", text(language, f"preset.{view.settings.preset}"),
                             describe(view.settings, language), str(view.settings.seed),
                             f"{percent(language, view.collapse_probability)} ({percent(language, lo)}-"
                             f"{percent(language, hi)})",
                             f"{view.seconds:.1f}"]
                    with solara.v.Html(tag="tr", class_=f"cf-board-row cf-board-run-{view.number}"):
                        for cell in cells:
                            solara.v.Html(tag="td", children=[cell])
                        with solara.v.Html(tag="td"):
                            solara.v.Checkbox(v_model=view.number in shown, on_v_model=toggle(view.number),
                                              dense=True, hide_details=True,
                                              class_=f"cf-show-run cf-show-run-{view.number}")


@solara.component
def BatchProgress(language: str, progress: solara.Reactive, bar: bool = False):
    """The running batch's progress, as words (or, with ``bar``, the bar under them): the only parts of the page
    that read ``progress`` (share of days done), so that its moves redraw them alone, not the page (whose redrawing
    takes CPU the batch's workers need)."""
    if bar:
        solara.ProgressLinear(value=100 * progress.value)
    else:
        solara.Text(text(language, "batch.running", percent=percent(language, progress.value, 0)),
                    classes=["cf-batch-running"])


@solara.component
def BatchPanel(language: str, settings: Settings, board: tuple[BatchView, ...], running: bool,
               progress: solara.Reactive, error: str | None, shown: frozenset, set_shown, run_batch, clear, guard):
    """The "run 1,000 scenarios" panel: its latest result (kept through Step, Play, collapse and Reset), the
    overlaid curves of the ticked runs and the board."""
    latest = board[-1] if board else None
    curves = {f"#{view.number}": view.survival for view in board if view.number in shown}
    image = solara.use_memo(lambda: _data_url(views.png(views.survival_figure(curves, language))) if curves else None,
                            [tuple(curves), board, language])
    with solara.Div(classes=["cf-batch"]):
        with solara.Div(classes=["cf-batch-row"]):
            solara.Button(text(language, "batch.run"), on_click=guard(run_batch), disabled=running, color="primary",
                          classes=["cf-run-batch"])
            if running:
                BatchProgress(language, progress)
            else:
                solara.Text(text(language, "batch.explain"), classes=["cf-note"])
        if running:
            BatchProgress(language, progress, bar=True)
        if error:
            solara.Error(text(language, "error", error=error), classes=["cf-batch-error"], dense=True)
        if latest is not None:
            lo, hi = latest.ci95
            with solara.Div(classes=["cf-batch-row", "cf-batch-result"]):
                solara.Div(children=[text(language, "batch.result", horizon=latest.horizon_days,
                                          p=percent(language, latest.collapse_probability),
                                          low=percent(language, lo), high=percent(language, hi))],
                           classes=["cf-batch-estimate"])
                solara.Div(children=[text(language, "batch.time", n=count(language, latest.n),
                                          seconds=f"{latest.seconds:.1f}")], classes=["cf-batch-time", "cf-note"])
                if latest.settings != settings:
                    solara.Div(children=[text(language, "batch.stale")], classes=["cf-batch-stale"])
        if image is not None:
            w, h = views.SURVIVAL_PX
            solara.v.Html(tag="img", class_="cf-survival", attributes={"src": image, "width": w, "height": h,
                                                                       "alt": text(language, "chart.survival")})
        Board(language, board, shown, set_shown, clear, guard)


@solara.component
def Page():
    router = solara.use_router()
    link = solara.use_memo(lambda: from_query(router.search), [])
    language = solara.use_reactive(link.language)
    settings = solara.use_reactive(link.settings)
    days_per_step = solara.use_reactive(link.days_per_step)
    ignored = solara.use_reactive(link.ignored)
    view = solara.use_reactive("scenario")
    resets = solara.use_reactive(0)
    version = solara.use_reactive(0)  # bumped after each step: what redraws the charts and the story
    playing = solara.use_reactive(False)
    error = solara.use_reactive("")
    good = solara.use_ref(link.settings)  # the last settings the page was drawn with
    exception, clear_exception = solara.use_exception()
    lang = language.value

    def guard(fn):
        """``fn`` as a callback that never fails: an error becomes a message and the session goes on."""
        def call(*args):
            try:
                fn(*args)
            except Exception as e:  # any failure: the page must live
                log.exception("callback failed")
                error.set(f"{type(e).__name__}: {e}")
        return call

    def apply(new: Settings):
        build_config(new)  # fails here, in a guarded callback, rather than while drawing the page
        settings.set(new)

    # Batches: started here, not in the batch view, so that they go on while the view changes.
    board = solara.use_reactive(())
    shown_runs = solara.use_reactive(frozenset())
    runs = solara.use_reactive(0)
    progress = solara.use_reactive(0.0)
    batch_settings = solara.use_ref(settings.value)
    solara.use_effect(lambda: threading.Thread(target=POOL.warm, daemon=True).start(), [])

    def start_batch():
        batch_settings.current = settings.value
        runs.set(runs.value + 1)

    def batch_job():
        if not runs.value:
            return None
        with BATCHES.running():  # until the result is on the board
            progress.set(0.0)
            result = run_scenarios(batch_settings.current, runs.value, progress.set)
            shown_runs.set(shown_runs.value | {result.number})
            board.set((*board.value, result))
        return result

    batch = solara.use_thread(batch_job, dependencies=[runs.value], intrusive_cancel=False)
    batch_running = batch.state in (solara.ResultState.STARTING, solara.ResultState.WAITING,
                                    solara.ResultState.RUNNING)
    batch_error = f"{type(batch.error).__name__}: {batch.error}" if batch.error is not None else None

    run = solara.use_memo(lambda: Run(build_config(settings.value)), [settings.value, resets.value])
    solara.use_effect(lambda: setattr(good, "current", settings.value), [settings.value])

    def step():
        run.advance(days_per_step.value)
        version.set(version.value + 1)

    # Play waits until the page has shown a step before it takes the next: steps faster than the charts are drawn
    # would only make the drawing start over, and a class would see nothing move.
    shown = solara.use_memo(threading.Event, [])

    def play(cancel: threading.Event):
        if playing.value and not run.playing.is_set():  # the settings changed while playing: a new scenario waits
            playing.set(False)
        while run.playing.is_set() and not cancel.is_set():
            shown.clear()
            if not run.advance(days_per_step.value, only_playing=True):
                return
            version.set(version.value + 1)
            if run.model.finished:
                run.playing.clear()
                playing.set(False)
                return
            deadline = time.monotonic() + SHOWN_WAIT_S
            while not shown.wait(0.05) and time.monotonic() < deadline:
                if cancel.is_set():
                    return
            cancel.wait(PLAY_INTERVAL_S)

    solara.use_thread(play, dependencies=[playing.value, run], intrusive_cancel=False)

    def toggle_play():
        if playing.value:
            run.pause()
            playing.set(False)
            version.set(version.value + 1)  # show the day Pause stopped at
        else:
            run.playing.set()
            playing.set(True)

    def reset():
        run.pause()
        playing.set(False)
        resets.set(resets.value + 1)

    snap = solara.use_memo(lambda: run.snapshot(lang), [run, version.value, lang])
    on_scenario = view.value == "scenario"
    current_settings = settings.value
    def draw_charts(cancel: threading.Event):
        _yield_to_batches()  # a thread of its own (solara starts one per drawing): only it is lowered
        images = chart_images(snap, current_settings, lang, cancel) if on_scenario else None
        return None if images is None else (snap, images)

    charts = solara.use_thread(draw_charts, dependencies=[snap, on_scenario], intrusive_cancel=False)
    latest_images = solara.use_ref((None, {}))  # (day, images): shown until the next step's are drawn
    if charts.value is not None:
        latest_images.current = (charts.value[0].day, charts.value[1])
    drawn = charts.value is not None and charts.value[0] is snap
    solara.use_effect(lambda: shown.set() if drawn or not on_scenario else None, [snap, drawn, on_scenario])
    if charts.error is not None:
        log.error("charts failed: %r", charts.error)

    if exception is not None:  # a part of the page failed to draw: say so, offer the last settings that worked
        def recover():
            settings.set(good.current)
            resets.set(resets.value + 1)
            clear_exception()

        log.error("the page failed to draw: %r", exception)
        with solara.v.Html(tag="div", attributes={"dir": direction(lang), "lang": lang}, class_="cf-app"):
            solara.Error(text(lang, "error", error=f"{type(exception).__name__}: {exception}"),
                         classes=["cf-page-error"])
            solara.Button(text(lang, "reset"), on_click=recover, classes=["cf-recover"], color="primary")
        return

    query = to_query(settings.value, lang, days_per_step.value)
    solara.Title(text(lang, "title"))
    solara.Style(CSS)
    with solara.v.Html(tag="div", attributes={"dir": direction(lang), "lang": lang}, class_="cf-app"):
        with solara.Div(classes=["cf-head"]):
            solara.HTML(tag="h1", unsafe_innerHTML=_escape(text(lang, "title")), classes=["cf-title"])
            solara.HTML(tag="details", classes=["cf-about"],
                        unsafe_innerHTML=f"<summary>{_escape(text(lang, 'about'))}</summary>"
                                         f"<p>{_escape(text(lang, 'intro'))}</p>")
            Browser.element(rtl=direction(lang) == "rtl", query=query, label=text(lang, "link.copy"),
                            copied_label=text(lang, "link.copied"))
            with solara.ToggleButtonsSingle(value=language, classes=["cf-language"]):
                for code, (name, _) in LANGUAGES.items():
                    solara.Button(name, value=code, classes=[f"cf-lang-{code}"])
        if error.value:
            with solara.Div(classes=["cf-message", "cf-error"]):
                solara.Error(text(lang, "error", error=error.value), dense=True)
                solara.Button(text(lang, "error.dismiss"), text=True, on_click=lambda: error.set(""),
                              classes=["cf-dismiss"])
        if ignored.value:
            solara.Warning(text(lang, "link.ignored", fields=", ".join(ignored.value)), dense=True,
                           classes=["cf-message", "cf-link-ignored"])
        if charts.error is not None:
            solara.Error(text(lang, "error", error=f"{type(charts.error).__name__}: {charts.error}"), dense=True,
                         classes=["cf-message", "cf-chart-error"])
        with solara.Div(classes=["cf-body"]):
            Controls(lang, settings.value, days_per_step.value, apply, days_per_step.set, guard)
            with solara.Div(classes=["cf-main"]):
                with solara.Div(classes=["cf-toolbar"]):
                    solara.Button(text(lang, "step"), on_click=guard(step), disabled=playing.value or snap.finished,
                                  color="primary", classes=["cf-step"])
                    solara.Button(text(lang, "pause") if playing.value else text(lang, "play"),
                                  on_click=guard(toggle_play), disabled=snap.finished and not playing.value,
                                  classes=["cf-play"])
                    solara.Button(text(lang, "reset"), on_click=guard(reset), classes=["cf-reset"])
                    solara.Text(text(lang, "day_status", day=snap.day, horizon=run.config.horizon_days),
                                classes=["cf-status", "cf-day"])
                    solara.Text("· " + text(lang, "level_status", level=text(lang, f"level.{snap.level}")),
                                classes=["cf-status", "cf-level"])
                with solara.Div(classes=["cf-toolbar"]):
                    with solara.ToggleButtonsSingle(value=view, classes=["cf-views"], dense=True):
                        solara.Button(text(lang, "tab.scenario"), value="scenario", classes=["cf-view-scenario"])
                        solara.Button(text(lang, "tab.batch", runs=len(board.value)), value="batch",
                                      classes=["cf-view-batch"])
                    if snap.finished:
                        if snap.collapse_day is None:
                            message, kind = text(lang, "outcome.held", day=snap.day), "held"
                        else:
                            message = text(lang, "outcome.collapsed", day=snap.collapse_day,
                                           mode=text(lang, f"failure.{snap.failure_mode}"))
                            kind = "collapsed"
                        solara.Text(message, classes=["cf-outcome", f"cf-outcome-{kind}"])
                if on_scenario:
                    ScenarioView(snap, *latest_images.current, lang)
                else:
                    BatchPanel(lang, settings.value, board.value, batch_running, progress, batch_error,
                               shown_runs.value, shown_runs.set, start_batch,
                               lambda: (board.set(()), shown_runs.set(frozenset())), guard)
