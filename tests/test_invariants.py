"""Invariants checked on every step of several presets with sampled parameters."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compose

from sim.config import preset_names
from sim.design import build_params
from sim.engine import initial_state, step
from sim.rng import Streams
from sim.state import State

PRESETS = preset_names()
UNCERTAIN = ("us.resolve={dist:beta,a:2,b:2}", "coalition.troops_k={dist:uniform,low:0,high:150}",
             "russia.rationality={dist:truncnormal,mean:1,sd:0.5,low:0,high:3}",
             "coalition.decision_rule={dist:choice,values:[lead_nation,majority,unanimity]}")


def check_state(s: State, previous: State) -> None:
    floats = [v for v in vars(s).values() if v.dtype.kind == "f"]
    # Russia's beliefs are probability distributions over the resolve grid.
    for name in ("belief_us", "belief_co"):
        v = getattr(s, name)
        assert (v >= 0).all() and np.allclose(v.sum(axis=1), 1.0, atol=1e-12), name
    for v in floats:
        assert np.isfinite(v).all()
    for name in ("sanctions", "us_attention", "member_support", "deployed_share", "fighting", "believed_co_response"):
        v = getattr(s, name)
        assert ((v >= 0) & (v <= 1)).all(), name
    for name in ("ru_strength_k", "ua_strength_k", "member_troops_k", "tension", "violence", "investment_total_bn",
                 "retaken_km2", "probe_ground_km2"):
        assert (getattr(s, name) >= 0).all(), name
    for name in ("violations", "incidents", "probes", "detected", "attributed", "investment_total_bn", "max_level",
                 "us_probe_answers", "us_fought_war", "co_responses", "clashes", "deployed_share", "retaken_km2"):
        assert (getattr(s, name) >= getattr(previous, name)).all(), name
    assert (s.collapsed >= previous.collapsed).all()  # collapse is absorbing
    assert (s.detected <= s.violations).all() and (s.attributed <= s.detected).all()
    assert (~s.member_active <= (s.member_troops_k == 0)).all()  # withdrawn members have no troops
    assert (s.member_active <= previous.member_active).all()  # members never come back
    # The coalition aggregates the phases read stay equal to the member arrays they summarise.
    assert (s.coalition_troops_k == s.member_troops_k.sum(axis=1)).all()
    assert (s.coalition_members == s.member_active.sum(axis=1)).all()


@pytest.mark.parametrize("preset", PRESETS)
def test_invariants_hold_on_every_step(preset):
    config = compose("n_scenarios=300", "horizon_days=400", f"scenario={preset}", *UNCERTAIN)
    scenarios = np.arange(config.n_scenarios)
    params, streams = build_params(config, scenarios), Streams(config.seed, scenarios)
    state = initial_state(params, streams)
    for day in range(1, config.horizon_days + 1):
        new, today = step(state, params, streams, day)
        assert ((today.probs >= 0) & (today.probs <= 1)).all()
        np.testing.assert_allclose(today.probs.sum(axis=1), 1.0, rtol=1e-12)
        check_state(new, state)
        state = new
