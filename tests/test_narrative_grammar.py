"""The story's grammar (sim/narrative.py): every template, and every variant, rendered in both languages with edge
values (no force, a handful of troops, one member, two, a few, many; every monitoring regime and decision rule; no
delay), and the sentences checked for what went wrong before: "no monitors detects", "deploy 0.0 thousand troops",
"km2", a count that disagrees with its noun, a field left unfilled."""

from __future__ import annotations

import itertools
import re
import string

import pytest

import sim
from sim.i18n import LANGUAGES
from sim.narrative import PHRASES, Event, narrate
from sim.parameters import DECISION_RULES, MONITORING_REGIMES

COUNTS = (0, 1, 2, 3, 10, 11, 30, 100, 101, 111)  # every plural category in both languages
TROOPS_K = (0.0, 0.0004, 0.001, 0.002, 0.003, 0.011, 0.3, 0.9996, 1.0, 25.0, 500.0)
TERMS = {"regime": MONITORING_REGIMES, "rule": DECISION_RULES, "trigger": ("incidents", "probe", "offensive"),
         "violation": ("incidents", "probe", "offensive"), "direction": ("rises", "falls"),
         "opponent": ("coalition", "us", "coalition_and_us"),
         "failure_mode": ("failure_offensive", "failure_clash", "failure_spiral"),
         # What moved Russia's weighing of an offensive between two reviews (narrative.DRIVERS).
         "first": ("driver_war", "driver_response", "driver_waiting", "driver_shock"),
         "second": ("driver_shock", "driver_waiting", "driver_response", "driver_war")}
ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
LATIN = re.compile(r"[A-Za-z]")


def _fields(template: str) -> dict[str, str]:
    return {name: spec for _, name, spec, _ in string.Formatter().parse(template) if name}


def _values(name: str, spec: str) -> tuple:
    if name in TERMS:
        return TERMS[name]
    if spec == "troops" or name.endswith("_k"):
        return TROOPS_K
    if spec in ("day", "time", "member", "after_days") or name in ("detected", "attributed", "participants",
                                                                    "member", "day", "due_day"):
        return COUNTS
    return (0.0, 0.004, 0.5, 0.996, 1.0, 123.456)  # beliefs, support, km²


def _details(action: str) -> list[dict]:
    """Detail dicts for ``action`` covering each field's edge values (each value at least once)."""
    names = {**_fields(PHRASES["en"]["templates"][action])}
    for key, template in PHRASES["en"]["templates"].items():
        if key.startswith(f"{action}."):
            names.update(_fields(template))
    grids = {name: _values(name, spec) for name, spec in names.items()}
    longest = max((len(v) for v in grids.values()), default=1)
    return [{name: values[i % len(values)] for name, values in grids.items()} for i in range(longest)]


def _told(action: str, detail: dict, language: str) -> str:
    if action.startswith("stretch_"):  # told only through a stretch of incident-only days
        return _stretch(detail, language)
    return narrate([Event(5, "x", action, detail)], language)[0]


def _stretch(detail: dict, language: str) -> str:
    regime = detail.get("regime", "observers")
    detected = min(int(detail.get("detected", 2)), 10)
    events = []
    for day in range(1, 12):
        events.append(Event(day, "russia", "incidents", {}))
        seen = "detects_attributes" if day <= detected else "misses"
        events.append(Event(day, "monitors", seen, {"regime": regime, "violation": "incidents"}))
        if day % 2:
            events.append(Event(day, "ukraine", "retaliates", {"violation": "incidents"}))
    return narrate(events, language)[0]


def _base_actions() -> list[str]:
    return sorted({key.split(".")[0] for key in PHRASES["en"]["templates"]})


def test_every_variant_is_a_variant_of_a_template_in_every_language():
    for language in LANGUAGES:
        templates = PHRASES[language]["templates"]
        assert templates.keys() == PHRASES["en"]["templates"].keys(), language
        for key in templates:
            action, _, variant = key.partition(".")
            assert action in templates and variant in ("", "none", "no_troops"), key


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("action", _base_actions())
def test_every_template_reads_well_with_edge_values(action, language):
    for detail in _details(action):
        line = _told(action, detail, language)
        assert "{" not in line and "}" not in line, line
        assert "km2" not in line and not re.search(r"(?<![\d.])0\.0 (thousand|ألف)", line), line
        if language == "en":
            assert not re.search(r"\bno monitors (detects|attributes)", line), line
            assert not re.search(r"\b1 (members|days|times|troops)\b", line), line
            assert not re.search(r"\b(0|[2-9]|\d\d+) (member|day|time|soldier)\b(?!s)", line), line
            assert "after 0 day" not in line, line
        else:
            assert ARABIC_LETTER.search(line) and not LATIN.search(line), line
            assert "في ظل لا" not in line and "ترصد غياب" not in line, line  # "no monitors" is not a subject


@pytest.mark.parametrize(("regime", "troops_k"), list(itertools.product(MONITORING_REGIMES, (0.0, 0.3, 5.0, 100.0))))
def test_the_app_settings_tell_a_grammatical_opening_for_every_regime_and_force(regime, troops_k):
    """Every monitoring regime and force size the app's sliders give, told by the model itself."""
    from sim import app

    settings = app.settings_for("coalition_us_backstop")
    config = app.build_config(app.Settings(**{**settings.__dict__, "regime": regime, "troops_k": troops_k}))
    model = sim.CeasefireModel(config, scenario=0)
    for _ in range(120):
        model.step()
    english, arabic = narrate(model.events, "en"), narrate(model.events, "ar")
    opening = english[0]
    if troops_k == 0:
        assert "deploys no troops" in opening and "thousand" not in opening
    elif troops_k < 1:
        assert f"deploys {round(troops_k * 1000)} troops" in opening
    else:
        assert f"deploys {troops_k:.1f} thousand troops" in opening
    assert "30 members" in opening and "30 عضوًا" in arabic[0]
    for line in english:
        assert "no monitors detects" not in line and "km2" not in line, line
    for line in arabic:
        assert not LATIN.search(line), line


def test_a_count_agrees_with_its_noun_in_arabic():
    def members(n):
        return narrate([Event(0, "coalition", "force_deploys", {"members": n, "troops_k": 25.0,
                                                                "rule": "majority"})], "ar")[0]

    assert "من عضو واحد" in members(1) and "من عضوين" in members(2) and "من 3 أعضاء" in members(3)
    assert "من 11 عضوًا" in members(11) and "من 100 عضو" in members(100)
    losses = narrate([Event(4, "front", "attack_held", {"ru_losses_k": 0.002, "ua_losses_k": 0.0})], "ar")[0]
    assert "جنديين" in losses and "صفرًا" in losses
