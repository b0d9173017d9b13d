"""Configuration: composition, presets, distributions, and clear errors for bad input."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from helpers import compose

import sim
from sim.config import ConfigError
from sim.parameters import PARAMS

PRESETS = ("minsk", "aid_only", "coalition_only", "coalition_us_backstop", "bluff", "hidden_resolve", "consensus")


def test_defaults():
    c = compose()
    assert (c.n_scenarios, c.horizon_days, c.collapse_level, c.preset) == (10000, 1095, 3, "coalition_us_backstop")
    assert c.coalition.members == 30 and c.coalition.decision_rule == "lead_nation" and c.monitoring.regime == "us_led"
    assert c.us.credibility == c.us.resolve  # honest signals by default


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_composes(preset):
    assert compose(f"scenario={preset}").preset == preset


def test_presets_express_their_meaning():
    bluff, hidden, minsk = compose("scenario=bluff"), compose("scenario=hidden_resolve"), compose("scenario=minsk")
    assert bluff.us.credibility > bluff.us.resolve and hidden.us.credibility < hidden.us.resolve
    assert minsk.coalition.troops_k == 0 and minsk.monitoring.regime == "observers"
    assert compose("scenario=consensus").coalition.decision_rule == "unanimity"


def test_config_is_frozen_and_plain():
    c = compose()
    with pytest.raises(AttributeError):
        c.seed = 3
    assert c.replace(us__resolve=0.4).us.resolve == 0.4
    assert sim.config.validate(c.to_dict()) == c


def test_distributions_parse():
    c = compose("us.resolve={dist:beta,a:2,b:5}", "coalition.decision_rule={dist:choice,values:[majority,unanimity]}")
    assert c.spec("us.resolve").dist == "beta" and c.sampled_keys == ("coalition.decision_rule", "us.resolve")


BAD = [
    (["us.resolve=1.5"], "us.resolve=1.5 is outside [0, 1]"),
    (["coalition.troops_k=-3"], "coalition.troops_k=-3.0 is outside [0, 500]"),
    (["us.resolve=high"], "us.resolve='high' must be a number or a distribution"),
    (["n_scenarios=abc"], "n_scenarios"),
    (["n_scenarios=0"], "n_scenarios=0 is outside [1, 1e+09]"),
    (["coalition.members=2.5"], "coalition.members"),
    (["us.reslove=0.5"], "us.reslove"),
    (["+us.reslove=0.5"], "unknown key us.reslove"),
    (["scenario=nowhere"], "scenario"),
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
        assert p.doc and p.source, p.key
        if p.kind != "choice":
            assert p.low <= p.default <= p.high, p.key


def test_command_line_refuses_bad_input_before_writing(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "us.resolve=1.5", f"hydra.run.dir={tmp_path}/run"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0
    assert "us.resolve=1.5 is outside [0, 1]" in proc.stderr
    assert not (tmp_path / "run").exists()
