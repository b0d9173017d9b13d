"""The classroom app (Solara): one scenario stepped day by day with its charts and story, and a thousand scenarios
with the same settings, in English or Arabic. ``make app`` serves it on 127.0.0.1 (``solara run sim.app``).

Every browser session renders its own ``Page``, so its settings, its ``Run`` (the Mesa model) and its batch result
live in that session's hooks (``use_reactive``, ``use_memo``), never in module globals: two participants never step
each other's scenario. Configs are frozen and shared between sessions through a cache. All page assets come from
installed packages (``solara-assets``), so the app works with no internet.

The settings a class changes are in ``CONTROLS`` (the rest comes from the preset); words are in ``sim.i18n`` and
``sim.narrative.PHRASES``; charts are in ``sim.app_views``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd
import solara

from sim import app_views as views
from sim import narrative
from sim.batch import run_batch
from sim.compose import compose_config, default_preset
from sim.config import Config, preset_names
from sim.i18n import LANGUAGES, direction, text
from sim.model import CeasefireModel
from sim.observables import SERIES
from sim.parameters import DECISION_RULES, MONITORING_REGIMES, PARAM_BY_KEY

# The page opens on the configured default preset (configs/config.yaml), listed first; then the others in their order.
PRESETS = (default_preset(), *(name for name in preset_names() if name != default_preset()))
BATCH_SCENARIOS = 1000  # the "thousand scenarios" panel; the stepped scenario is scenario 0 of the same design
DAYS_PER_STEP = (1, 7, 30, 90)
DEFAULT_DAYS_PER_STEP = 7  # a week a step: three years in 157 steps, each telling what the week brought
CHART_DPI = 90
PLAY_INTERVAL_S = 0.35  # pause between Play's steps, so a class can read the charts move


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
    thread and the page never see half a day."""

    def __init__(self, config: Config):
        self.config = config
        self.model = CeasefireModel(config, scenario=0)
        self.lock = threading.Lock()

    def advance(self, days: int) -> int:
        """Step up to ``days`` days (fewer if the scenario ends); returns the day reached."""
        with self.lock:
            for _ in range(days):
                if self.model.finished:
                    break
                self.model.step()
            return self.model.day

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


@dataclass(frozen=True, eq=False)  # compared by identity, as Snapshot
class BatchView:
    """A thousand scenarios' result as the panel shows it."""

    settings: Settings
    n: int
    horizon_days: int
    collapse_probability: float
    ci95: tuple[float, float]
    survival: pd.DataFrame
    seconds: float  # wall time of the batch run


def run_scenarios(settings: Settings) -> BatchView:
    """Run ``BATCH_SCENARIOS`` scenarios of the settings with the batch engine."""
    config = build_config(settings)
    started = time.perf_counter()
    result = run_batch(config, progress=False)
    seconds = time.perf_counter() - started
    estimate = result.summary()["collapse_probability"]
    return BatchView(settings, len(result.outcomes), config.horizon_days, float(estimate["estimate"]),
                     (float(estimate["ci95"][0]), float(estimate["ci95"][1])), result.survival(), seconds)


# ------------------------------------------------------------------------------------------ components
CSS = """
.cf-app { padding: 12px 20px; max-width: 1500px; margin: 0 auto; }
.cf-app[dir=rtl] .v-label, .cf-app[dir=rtl] .v-select__selection { direction: rtl; }
.cf-app h1 { font-size: 1.5rem; font-weight: 500; margin: 0; }
.cf-intro { color: #444; max-width: 70em; }
.cf-controls { width: 330px; flex: none; }
.cf-main { flex: 1 1 auto; min-width: 0; }
.cf-label { font-size: 0.85rem; color: #333; margin-bottom: -14px; }
.cf-status { font-size: 1.05rem; }
.cf-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 8px; }
.cf-charts img { width: 100%; height: auto; }
.cf-narrative { max-height: 250px; overflow-y: auto; line-height: 1.6; }
.cf-narrative p { margin: 0 0 6px 0; }
.cf-batch img { max-width: 640px; width: 100%; height: auto; }
"""


@solara.component
def ParamSlider(control: Control, value: float, label: str, on_value):
    """A labelled slider over a control's classroom range; its current value is shown beside the label."""
    with solara.Div(classes=["cf-slider", f"cf-slider-{control.field}"]):
        solara.Text(f"{label}: {value:g}", classes=["cf-label"])
        solara.SliderFloat("", value=value, min=control.low, max=control.high, step=control.step,
                           on_value=on_value, thumb_label=False)


@solara.component
def Choice(label: str, value: str, items: list[tuple[str, str]], on_value, css_class: str):
    """A dropdown of (value, shown text) items."""
    solara.v.Select(label=label, v_model=value, items=[{"value": v, "text": t} for v, t in items],
                    on_v_model=on_value, dense=True, class_=css_class, hide_details=True)


@solara.component
def Controls(language: str, settings: solara.Reactive[Settings], days_per_step: solara.Reactive[int]):
    s = settings.value

    def set_field(field):
        return lambda value: settings.set(replace(settings.value, **{field: value}))

    def set_preset(preset):
        settings.set(settings_for(preset, settings.value.seed))

    with solara.Card(text(language, "settings"), classes=["cf-controls"], margin=0):
        with solara.Column(gap="14px"):
            Choice(text(language, "preset"), s.preset, [(p, text(language, f"preset.{p}")) for p in PRESETS],
                   set_preset, "cf-preset")
            for control in CONTROLS:
                ParamSlider(control, getattr(s, control.field), text(language, control.field),
                            set_field(control.field))
                if control.field == "troops_k" and preset_config(s.preset).value("coalition.members") == 0:
                    solara.Text(text(language, "troops_hint", members=PARAM_BY_KEY["coalition.members"].default),
                                style={"font-size": "0.75rem", "color": "#666"})
            for field, (_, values) in CHOICES.items():
                Choice(text(language, field), getattr(s, field),
                       [(v, text(language, f"{field}.{v}")) for v in values], set_field(field), f"cf-{field}")
            solara.InputInt(text(language, "seed"), value=s.seed, on_value=set_field("seed"), classes=["cf-seed"])
            Choice(text(language, "days_per_step"), days_per_step.value, [(d, str(d)) for d in DAYS_PER_STEP],
                   days_per_step.set, "cf-days-per-step")


@solara.component
def Charts(snap: Snapshot, settings: Settings, language: str):
    """The scenario's five charts; redrawn only with a new snapshot (a step, a reset, a new language)."""
    deps = [snap, settings]
    figures = solara.use_memo(lambda: [
        ("level", views.level_figure(snap.series, language)),
        ("beliefs", views.beliefs_figure(snap.series, settings.us_resolve, settings.coalition_resolve, language)),
        ("coalition", views.coalition_figure(snap.series, language)),
        ("strength", views.strength_figure(snap.series, language)),
        ("investment", views.investment_figure(snap.series, language)),
    ], deps)
    with solara.Div(classes=["cf-charts"]):
        for name, fig in figures:
            with solara.Div(classes=[f"cf-chart cf-chart-{name}"]):
                solara.FigureMatplotlib(fig, dependencies=deps, format="png", dpi=CHART_DPI)
        Story(snap, language)


@solara.component
def Story(snap: Snapshot, language: str):
    with solara.Card(text(language, "narrative"), subtitle=text(language, "narrative.order"), margin=0,
                     classes=["cf-story"]):
        with solara.Div(classes=["cf-narrative"]):
            for line in reversed(snap.lines):
                solara.HTML(tag="p", unsafe_innerHTML=_escape(line))


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@solara.component
def Thousand(language: str, settings: Settings):
    """The "run 1,000 scenarios" panel: the batch engine on the current settings, in a thread of this session."""
    request = solara.use_reactive(0)

    def compute():
        return run_scenarios(settings) if request.value else None

    result = solara.use_thread(compute, dependencies=[request.value], intrusive_cancel=False)
    running = result.state in (solara.ResultState.STARTING, solara.ResultState.WAITING, solara.ResultState.RUNNING)
    with solara.Card(text(language, "batch"), classes=["cf-batch"], margin=0):
        solara.Text(text(language, "batch.explain"), style={"color": "#555"})
        with solara.Row(style={"align-items": "center"}):
            solara.Button(text(language, "batch.run"), on_click=lambda: request.set(request.value + 1),
                          disabled=running, color="primary", classes=["cf-run-batch"])
            if running:
                solara.Text(text(language, "batch.running"), classes=["cf-batch-running"])
        if running:
            solara.ProgressLinear(True)
        view: BatchView | None = result.value
        if result.error is not None:
            solara.Error(str(result.error))
        elif view is not None:
            lo, hi = view.ci95
            with solara.Div(classes=["cf-batch-result"]):
                solara.Div(children=[text(language, "batch.result", horizon=view.horizon_days,
                                          p=view.collapse_probability, low=lo, high=hi)],
                           classes=["cf-batch-estimate"], style={"font-weight": "bold"})
                solara.Div(children=[text(language, "batch.time", n=view.n, seconds=view.seconds)],
                           classes=["cf-batch-time"], style={"color": "#555"})
                if view.settings != settings:
                    solara.Warning(text(language, "batch.stale"), classes=["cf-batch-stale"])
                solara.FigureMatplotlib(views.survival_figure(view.survival, language),
                                        dependencies=[view, language], format="png", dpi=CHART_DPI)


@solara.component
def Page():
    language = solara.use_reactive("en")
    settings = solara.use_reactive(settings_for(PRESETS[0]))
    days_per_step = solara.use_reactive(DEFAULT_DAYS_PER_STEP)
    resets = solara.use_reactive(0)
    version = solara.use_reactive(0)  # bumped after each step: what redraws the charts
    playing = solara.use_reactive(False)

    config = build_config(settings.value)
    run = solara.use_memo(lambda: Run(config), [settings.value, resets.value])

    def step():
        run.advance(days_per_step.value)
        version.set(version.value + 1)

    # Play waits until the page has shown a day before it takes the next: a step that changed state while a slow
    # render (five charts) is still running would make the render start over, again and again, and show nothing.
    shown = solara.use_memo(threading.Event, [])
    solara.use_effect(shown.set, [version.value])

    def play(cancel: threading.Event):
        while playing.value and not cancel.is_set():
            shown.clear()
            step()
            if run.model.finished:
                playing.set(False)
                return
            while not shown.wait(0.05):
                if cancel.is_set():
                    return
            cancel.wait(PLAY_INTERVAL_S)

    solara.use_thread(play, dependencies=[playing.value, run], intrusive_cancel=False)

    def reset():
        playing.set(False)
        resets.set(resets.value + 1)

    lang = language.value
    snap = solara.use_memo(lambda: run.snapshot(lang), [run, version.value, lang])

    solara.Title(text(lang, "title"))
    solara.Style(CSS)
    with solara.v.Html(tag="div", attributes={"dir": direction(lang), "lang": lang}, class_="cf-app"):
        with solara.Row(justify="space-between", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.HTML(tag="h1", unsafe_innerHTML=_escape(text(lang, "title")), classes=["cf-title"])
            with solara.ToggleButtonsSingle(value=language, classes=["cf-language"]):
                for code, (name, _) in LANGUAGES.items():
                    solara.Button(name, value=code, classes=[f"cf-lang-{code}"])
        solara.Text(text(lang, "intro"), classes=["cf-intro"])
        with solara.Row(style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
            Controls(lang, settings, days_per_step)
            with solara.Column(classes=["cf-main"]):
                with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                    solara.Button(text(lang, "step"), on_click=step, disabled=playing.value or snap.finished,
                                  color="primary", classes=["cf-step"])
                    solara.Button(text(lang, "pause") if playing.value else text(lang, "play"),
                                  on_click=lambda: playing.set(not playing.value), disabled=snap.finished,
                                  classes=["cf-play"])
                    solara.Button(text(lang, "reset"), on_click=reset, classes=["cf-reset"])
                    solara.Text(text(lang, "day_status", day=snap.day, horizon=config.horizon_days),
                                classes=["cf-status", "cf-day"])
                    solara.Text("· " + text(lang, "level_status", level=text(lang, f"level.{snap.level}")),
                                classes=["cf-status", "cf-level"])
                if snap.finished:
                    if snap.collapse_day is None:
                        solara.Success(text(lang, "outcome.held", day=snap.day), classes=["cf-outcome"])
                    else:
                        solara.Error(text(lang, "outcome.collapsed", day=snap.collapse_day,
                                          mode=text(lang, f"failure.{snap.failure_mode}")), classes=["cf-outcome"])
                Charts(snap, settings.value, lang)
                Thousand(lang, settings.value)
