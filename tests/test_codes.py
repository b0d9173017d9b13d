"""The core's contracts: category codes pinned to their names, typed parameters equal to the parameter table,
and a step that leaves its input state untouched."""

from dataclasses import fields

import numpy as np
import pytest

import sim
from sim import engine
from sim.codes import ACTION, FAILURE, LEVEL, REGIME, RULE, Action, DecisionRule, FailureMode, Level, MonitoringRegime
from sim.design import build_params
from sim.parameters import DECISION_RULES, MONITORING_REGIMES, PARAMS
from sim.rng import Streams
from sim.state import Params, State


def test_codes_are_pinned_to_names():
    # Configs and tables store names, state arrays codes: reordering an enum would silently turn unanimity into
    # lead nation in every saved design, so each pair is written out here.
    assert {m.label: int(m) for m in Action} == {"hold": 0, "incidents": 1, "probe": 2, "offensive": 3}
    assert {m.label: int(m) for m in Level} == {"quiet": 0, "incidents": 1, "probe": 2, "contained clash": 3,
                                                 "war": 4}
    assert {m.label: int(m) for m in FailureMode} == {"none": 0, "offensive": 1, "clash": 2, "spiral": 3}
    assert {m.label: int(m) for m in DecisionRule} == {"lead_nation": 0, "majority": 1, "unanimity": 2}
    assert {m.label: int(m) for m in MonitoringRegime} == {"none": 0, "observers": 1, "us_led": 2}
    # Russia's daily actions are the first rungs of the ladder; an offensive is war.
    assert all(int(a) == int(Level[a.name]) for a in Action if a.name in Level.__members__)
    assert Level.WAR > Level.CLASH > Level.PROBE


def test_plain_int_codes_are_the_enums():
    """The engine compares arrays with plain-int copies of the codes (faster under Python 3.11): the same codes."""
    for plain, kind in ((ACTION, Action), (LEVEL, Level), (FAILURE, FailureMode), (RULE, DecisionRule),
                        (REGIME, MonitoringRegime)):
        assert vars(plain) == {m.name: int(m) for m in kind}
        assert all(type(v) is int for v in vars(plain).values())


def test_the_daily_block_of_draws_is_the_draws_one_by_one():
    """Streams.prefetch draws a day's streams together; uniform then returns exactly what it computes alone."""
    rows = np.arange(5, 505)
    together, alone = Streams(7, rows), Streams(7, rows)
    together.prefetch(engine.DAILY_STREAMS, 12)
    for name in engine.DAILY_STREAMS:
        np.testing.assert_array_equal(together.uniform(name, 12), alone.uniform(name, 12))
        np.testing.assert_array_equal(together.uniform(name, 13), alone.uniform(name, 13))  # another day: drawn


def test_draws_made_only_where_read_are_the_draws_there():
    """Streams.uniform_where gives the stream's own numbers on the rows of the mask and 1.0 (no event) elsewhere."""
    streams = Streams(7, np.arange(300))
    mask = np.arange(300) % 7 == 3
    some = streams.uniform_where("tripwire", 40, mask)
    np.testing.assert_array_equal(some[mask], streams.uniform("tripwire", 40)[mask])
    assert (some[~mask] == 1.0).all()
    assert (streams.uniform_where("tripwire", 40, np.zeros(300, dtype=bool)) == 1.0).all()


def test_parameter_choices_come_from_the_enums():
    assert DECISION_RULES == ("lead_nation", "majority", "unanimity")
    assert MONITORING_REGIMES == ("none", "observers", "us_led")
    by_key = {p.key: p for p in PARAMS}
    assert by_key["coalition.decision_rule"].choices == DecisionRule.names()
    assert by_key["monitoring.regime"].choices == MonitoringRegime.names()


def test_params_fields_are_the_parameter_table():
    declared = {f"{group}.{f.name}" for group, kind in Params.GROUPS.items() for f in fields(kind)}
    assert declared == {p.key for p in PARAMS}
    assert list(Params.GROUPS) == list(dict.fromkeys(p.group for p in PARAMS))


def test_choice_codes_reach_the_params():
    cfg = sim.compose_config(["n_scenarios=6", "coalition.decision_rule=unanimity", "monitoring.regime=observers"])
    p = build_params(cfg, np.arange(6))
    assert (p.coalition.decision_rule == DecisionRule.UNANIMITY).all()
    assert (p.monitoring.regime == MonitoringRegime.OBSERVERS).all()


@pytest.mark.parametrize("preset", ["coalition_us_backstop", "minsk"])
def test_step_is_pure(preset):
    """step(state) returns a new state and leaves every array of its input as it was, field by field."""
    cfg = sim.compose_config([f"scenario={preset}", "n_scenarios=400", "horizon_days=60"])
    rows = np.arange(400)
    params, streams = build_params(cfg, rows), Streams(cfg.seed, rows)
    state = engine.initial_state(params, streams)
    for day in range(1, 61):
        before = {f.name: getattr(state, f.name).copy() for f in fields(State)}
        new, _today = engine.step(state, params, streams, day)
        for name, values in before.items():
            np.testing.assert_array_equal(getattr(state, name), values, err_msg=f"step changed state.{name}")
        state = new
    # The run got somewhere: violations happened, so the phases wrote to the new state.
    assert state.violations.sum() > 0
