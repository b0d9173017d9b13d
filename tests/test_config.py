"""Configuration: composition, presets, distributions, and clear errors for bad input."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers import compose

import sim
from sim import app, docs
from sim.compose import default_preset
from sim.config import PRESET_DIR, ConfigError, Output, preset_names, validate
from sim.parameters import PARAMS

PRESETS = preset_names()
US_KEYS = ", ".join(sorted(p.name for p in PARAMS if p.group == "us"))


def test_defaults():
    c = compose()
    assert (c.n_scenarios, c.horizon_days, c.collapse_level, c.preset) == (10000, 1095, 4, "coalition_us_backstop")
    assert c.coalition.members == 30 and c.coalition.decision_rule == "lead_nation" and c.monitoring.regime == "us_led"
    assert c.us.credibility == c.us.resolve  # honest signals by default


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_composes(preset):
    assert compose(f"scenario={preset}").preset == preset


def test_preset_names_are_the_preset_files_in_one_order_used_by_the_app_and_the_docs():
    assert sorted(preset_names()) == sorted(path.stem for path in PRESET_DIR.glob("*.yaml"))
    assert preset_names()[:2] == ("minsk", "aid_only")  # the model brief's order, not the alphabet
    assert compose().preset == default_preset() == app.PRESETS[0]  # the app opens on the default preset
    assert [p for p in app.PRESETS if p != default_preset()] == [p for p in preset_names() if p != default_preset()]
    assert docs.preset_names() == preset_names()


def test_preset_names_refuse_a_preset_file_left_out_of_the_order(tmp_path, monkeypatch):
    (tmp_path / "minsk.yaml").write_text("preset: minsk\n")
    (tmp_path / "bluff.yaml").write_text("preset: bluff\n")
    (tmp_path / "order.txt").write_text("# comment\nminsk\nnowhere\n")
    monkeypatch.setattr(sim.config, "PRESET_DIR", tmp_path)
    monkeypatch.setattr(sim.config, "PRESET_ORDER_FILE", tmp_path / "order.txt")
    with pytest.raises(ConfigError, match=re.escape("not listed ['bluff'], no such preset file ['nowhere'], listed "
                                                    "twice []; allowed: each of bluff, minsk once")):
        preset_names()


def test_presets_express_their_meaning():
    bluff, hidden, minsk = compose("scenario=bluff"), compose("scenario=hidden_resolve"), compose("scenario=minsk")
    assert bluff.us.credibility > bluff.us.resolve and hidden.us.credibility < hidden.us.resolve
    assert minsk.coalition.troops_k == 0 and minsk.monitoring.regime == "observers"
    assert compose("scenario=consensus").coalition.decision_rule == "unanimity"


def test_config_is_frozen_and_plain():
    c = compose()
    with pytest.raises(AttributeError):
        c.seed = 3
    assert validate(c.to_dict()) == c


def test_replace_takes_dotted_keys_and_validates():
    c = compose("output.workers=2")
    changed = c.replace({"us.resolve": 0.4, "seed": 3, "output.figures": False})
    assert (changed.value("us.resolve"), changed.seed, changed.output) == (0.4, 3, Output(figures=False, workers=2))
    assert c.replace(seed=3) == c.replace({"seed": 3})  # a run setting's key has no dot: a keyword too
    with pytest.raises(ConfigError, match=re.escape("unknown key(s) ['us__resolve']; allowed top-level keys: ")):
        c.replace({"us__resolve": 0.4})  # the one spelling of a key is group.name
    with pytest.raises(ConfigError, match=re.escape(f"unknown key us.reslove; allowed keys in us: {US_KEYS}")):
        c.replace({"us.reslove": 0.4})
    with pytest.raises(ConfigError, match=re.escape("us.resolve=1.5 is outside [0, 1]")):
        c.replace({"us.resolve": 1.5})


def test_a_value_is_read_by_value_and_a_distribution_by_spec():
    c = compose("us.resolve={dist:beta,a:2,b:5}", "coalition.decision_rule={dist:choice,values:[majority,unanimity]}")
    assert c.spec("us.resolve").dist == "beta" and c.sampled_keys == ("coalition.decision_rule", "us.resolve")
    assert c.value("us.credibility") == c.us.credibility == c.spec("us.credibility").value
    message = "us.resolve={'dist': 'beta', 'a': 2.0, 'b': 5.0, 'low': 0.0, 'high': 1.0} is a distribution, not one " \
              "value; read it with config.spec('us.resolve')"
    for read in (lambda: c.value("us.resolve"), lambda: c.us.resolve):  # never a value or a Spec by turns
        with pytest.raises(ValueError, match=re.escape(message)):
            read()
    with pytest.raises(KeyError, match="unknown parameter 'us.reslove'"):
        c.spec("us.reslove")


def test_output_settings_are_validated_and_left_out_of_what_a_job_compares():
    c = compose("output.workers=4", "output.figures=false")
    assert c.output == Output(figures=False, workers=4)
    assert "output" not in c.to_dict() and c == compose()  # config.json and the resume check: the model's config
    with pytest.raises(ConfigError, match=re.escape("output.figures='no' must be true or false")):
        validate({"output": {"figures": "no"}})
    with pytest.raises(ConfigError, match=re.escape("output.workers=2000 is outside [1, 1024]")):
        validate({"output": {"workers": 2000}})


BAD = [
    (["us.resolve=1.5"], "us.resolve=1.5 is outside [0, 1]"),
    (["coalition.troops_k=-3"], "coalition.troops_k=-3.0 is outside [0, 500]"),
    (["us.resolve=high"], "us.resolve='high' must be a number or a distribution"),
    (["n_scenarios=abc"], "n_scenarios=abc: Value 'abc' of type 'str' could not be converted to Integer"),
    (["n_scenarios=0"], "n_scenarios=0 is outside [1, 1e+09]"),
    (["coalition.members=2.5"], "coalition.members=2.5 must be a whole number"),
    (["us.reslove=0.5"], f"unknown key us.reslove; allowed keys in us: {US_KEYS}"),
    (["+us.reslove=0.5"], f"unknown key us.reslove; allowed keys in us: {US_KEYS}"),
    (["scenario=nowhere"], f"'scenario/nowhere' does not exist; allowed: {', '.join(sorted(PRESETS))}"),
    (["coalition.decision_rule=dictator"], "allowed: lead_nation, majority, unanimity"),
    (["monitoring.regime=drones"], "allowed: none, observers, us_led"),
    (["us.resolve={dist:uniform,low:0.9,high:0.2}"], "low=0.9 must be below high=0.2"),
    (["us.resolve={dist:gamma,k:2}"], "distribution 'gamma' is unknown"),
    (["us.resolve={dist:uniform,low:0.1}"], "uniform needs high"),
    (["us.review_day=2000"], "past horizon_days=1095"),
    (["coalition.members=61"], "coalition.members=61 is outside [0, 60]"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD)
def test_bad_input_is_refused_with_a_clear_message(overrides, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        compose(*overrides)


def test_every_parameter_has_a_range_unit_doc_and_source():
    for p in PARAMS:
        assert p.doc.strip() and p.source.strip(), p.key
        if p.kind == "choice":
            assert p.choices and p.default in p.choices, p.key
        else:
            assert p.low < p.high and p.low <= p.default <= p.high, p.key
    # A unit for every number ("1" for a pure number); none for a choice, which names an option.
    unitless = {p.key for p in PARAMS if not p.unit.strip()}
    assert unitless == {p.key for p in PARAMS if p.kind == "choice"} == {"coalition.decision_rule", "monitoring.regime"}


def test_command_line_refuses_bad_input_before_writing(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "us.resolve=1.5", f"hydra.run.dir={tmp_path}/run"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0
    assert "us.resolve=1.5 is outside [0, 1]" in proc.stderr
    assert not (tmp_path / "run").exists()
