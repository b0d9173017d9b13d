"""The Mesa driver is the batch engine's model: same outcomes, same series, and a story that tells what happened.

Each preset runs 20 scenarios over 365 days in both drivers (plus a design with sampled parameters, a variable
member count and a US review date); every comparison is exact, since both drivers run the same phase functions
on the same counter-based draws.
"""

from __future__ import annotations

import re
from collections import Counter

import mesa
import pandas as pd
import pytest

import sim
from sim.config import preset_names
from sim.model import CeasefireModel
from sim.narrative import PHRASES
from sim.observables import OUTCOMES, SERIES

PRESETS = preset_names()
N, HORIZON = 20, 365
RUN = [f"n_scenarios={N}", f"horizon_days={HORIZON}"]
SAMPLED = ["us.resolve={dist:uniform,low:0.1,high:0.9}", "coalition.members={dist:uniform,low:5,high:30}",
           "coalition.decision_rule={dist:choice,values:[lead_nation,majority,unanimity]}",
           "coalition.support={dist:uniform,low:0.35,high:0.7}", "us.review_day=120"]
DESIGNS = {**{preset: [f"scenario={preset}", *RUN] for preset in PRESETS}, "sampled": [*RUN, *SAMPLED]}


@pytest.fixture(scope="module", params=list(DESIGNS))
def design(request):
    """A design run by both drivers: the batch result, and per scenario the model's outcome, series and story."""
    cfg = sim.compose_config(DESIGNS[request.param])
    batch = sim.run_batch(cfg, trajectories=True)
    runs = {}
    for i in range(N):
        model = CeasefireModel(cfg, scenario=i)
        model.run()
        runs[i] = {"outcome": model.outcome_frame(), "series": model.datacollector.get_model_vars_dataframe(),
                   "outcome_table": model.datacollector.get_table_dataframe("outcome"),
                   "events": list(model.events), "narrative": model.narrative().splitlines()}
    return cfg, batch, runs


def test_outcome_rows_equal_the_batch_exactly(design):
    cfg, batch, runs = design
    mesa_rows = pd.concat([runs[i]["outcome"] for i in range(N)])
    pd.testing.assert_frame_equal(mesa_rows, batch.outcomes, check_exact=True)
    assert list(batch.outcomes.columns[:len(OUTCOMES)]) == list(OUTCOMES)
    assert set(cfg.sampled_keys) <= set(mesa_rows.columns)


def test_series_equal_the_batch_trajectories_exactly(design):
    _cfg, batch, runs = design
    for i in range(N):
        ours = runs[i]["series"][list(SERIES)].rename_axis("day")
        theirs = batch.trajectories[batch.trajectories["scenario"] == i].set_index("day")[list(SERIES)]
        # One row per day from day 0 to the collapse or the horizon, as the batch records.
        assert len(ours) == int(batch.outcomes.loc[i, "end_day"]) + 1
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True, check_index_type=False)


def _same(a, b) -> bool:
    return bool(pd.isna(a) and pd.isna(b)) if pd.isna(a) or pd.isna(b) else a == b


def test_the_collector_keeps_daily_series_and_the_outcome_apart(design):
    """Model reporters are the daily series, exactly; the outcome is the collector's table 'outcome', one row
    equal to the batch's."""
    _cfg, batch, runs = design
    for i in (0, N - 1):
        assert list(runs[i]["series"].columns) == list(SERIES)
        table = runs[i]["outcome_table"]
        assert len(table) == 1 and list(table.columns) == list(batch.outcomes.columns)
        assert all(_same(table[name].iloc[0], batch.outcomes.loc[i, name]) for name in batch.outcomes.columns)


def test_the_outcome_collector_for_batch_run_holds_the_outcome_alone():
    """collect='outcome': the model reporters are the outcome columns, empty until the last day; no series."""
    cfg = sim.compose_config(["scenario=minsk", *RUN])
    want = sim.run_batch(cfg).outcomes
    model = CeasefireModel(cfg, scenario=2, collect="outcome")
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(want.columns)
    assert frame["collapsed"].iloc[:-1].isna().all()
    assert all(_same(frame[name].iloc[-1], want.loc[2, name]) for name in want.columns)
    with pytest.raises(ValueError, match=r"collect='daily' is not one of series, outcome"):
        CeasefireModel(cfg, scenario=0, collect="daily")


def test_the_parity_set_covers_collapses_and_every_guarantor_behaviour():
    """Guards the other tests against being vacuous: the designs above hold the events they check."""
    totals = Counter()
    for args in DESIGNS.values():
        result = sim.run_batch(sim.compose_config(args), trajectories=True)
        o, members = result.outcomes, result.trajectories.groupby("scenario")["active_members"]
        totals.update(collapsed=int(o["collapsed"].sum()), clash=int((o["failure_mode"] == "clash").sum()),
                      spiral=int((o["failure_mode"] == "spiral").sum()), us=int(o["us_probe_answers"].sum()),
                      offensive=int((o["failure_mode"] == "offensive").sum()),
                      responses=int(o["coalition_responses"].sum()), lapses=int((~o["us_committed_final"]).sum()),
                      withdrawals=int((members.first() - members.last()).sum()))
    assert totals["collapsed"] >= 20 and totals["offensive"] and totals["spiral"]
    assert totals["us"] and totals["responses"] and totals["lapses"] and totals["withdrawals"]


def _counts(events):
    return Counter(e.action for e in events)


def test_events_match_every_counter_of_the_outcome(design):
    _cfg, batch, runs = design
    for i in range(N):
        o, events = batch.outcomes.loc[i], runs[i]["events"]
        c = _counts(events)
        assert c["incidents"] == o["incidents"] and c["probe"] == o["probes"]
        assert c["incidents"] + c["probe"] + c["offensive"] == o["violations"]
        assert c["detects_attributes"] + c["detects"] == o["violations_detected"]
        assert c["detects_attributes"] == o["violations_attributed"]
        assert c["retaliates"] == o["retaliations"]
        # The US acts on probes (counted) and, at most once, in a war (the day the ceasefire ends).
        assert c["us_backstop_acts"] == o["us_probe_answers"] + o["us_fought_war"]
        assert c["us_backstop_fails"] == o["us_nonresponses"]
        assert c["coalition_responds"] == o["coalition_responses"]
        assert c["coalition_declines"] == o["coalition_nonresponses"]
        assert c["clash"] == o["clashes"]
        assert c["us_pledge_lapses"] == (not o["us_committed_final"])
        answered = {e.day for e in events if e.action in ("us_backstop_acts", "coalition_responds")}
        assert len(answered) == o["violations_answered"]
        initial = next((e.detail["members"] for e in events if e.action == "force_deploys"), 0)
        assert initial - c["member_withdraws"] == o["coalition_members_final"]
        assert c["collapse"] == o["collapsed"] and c["holds"] == (not o["collapsed"])
        # Every offensive is told with what made it worth attacking that day.
        assert c["offensive_decided"] + c["offensive_decided_first"] == c["offensive"]
        assert c["clash_contained"] + c["clash_escalates"] == c["clash"]
        assert max(e.day for e in events) == o["end_day"]


def test_narrative_tells_every_collapse_activation_and_withdrawal_and_nothing_else(design):
    _cfg, batch, runs = design
    words = PHRASES["en"]["templates"]
    for i in range(N):
        o, lines = batch.outcomes.loc[i], runs[i]["narrative"]
        text = "\n".join(lines)
        assert text.count(words["us_backstop_acts"].split(" {")[0]) == o["us_probe_answers"] + o["us_fought_war"]
        assert text.count(words["us_backstop_fails"].split(" {")[0]) == o["us_nonresponses"]
        withdrawals = sum(e.action == "member_withdraws" for e in runs[i]["events"])
        assert text.count(" withdraws its ") == withdrawals
        collapse = [line for line in lines if "the ceasefire collapses" in line]
        if o["collapsed"]:
            assert collapse == [lines[-1]] and lines[-1].startswith(f"Day {o['collapse_day']}: ")
            assert f"({PHRASES['en']['terms']['failure_' + o['failure_mode']]})" in lines[-1]
        else:
            assert collapse == [] and lines[-1].startswith(f"Day {HORIZON}: ") and "holds" in lines[-1]
        # Incidents told one by one or in stretches add up to the incidents that happened.
        told = sum(int(n) for n in re.findall(r"commit incidents on (\d+) day", text))
        told += text.count("commit incidents (shelling")
        assert told == o["incidents"]


def test_withdrawing_a_member_by_hand_changes_what_follows():
    """A teacher's demonstration: pull the lead nation's troops out on day 50 and compare with an untouched run."""
    cfg = sim.compose_config(["scenario=coalition_us_backstop", *RUN])
    untouched, altered = CeasefireModel(cfg, scenario=4), CeasefireModel(cfg, scenario=4)
    for _ in range(50):
        untouched.step()
        altered.step()
    lead = altered.members[0]
    troops = lead.troops_k
    lead.withdraw()
    assert troops > 0 and not lead.active and lead.troops_k == 0.0
    # Member troops are float32 (the hot path): their sums agree to float32 precision.
    deployed = altered.coalition.deployed_share
    assert altered.coalition.total_troops_k == pytest.approx(untouched.coalition.total_troops_k - troops * deployed,
                                                             rel=1e-6)
    # Less denial and a smaller expected response make an offensive more attractive against waiting.
    assert altered.russia.offensive_gap > untouched.russia.offensive_gap
    untouched.run()
    altered.run()
    a = altered.datacollector.get_model_vars_dataframe()
    u = untouched.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(a.loc[:50, list(SERIES)], u.loc[:50, list(SERIES)], check_exact=True)
    assert not a.loc[51:, "troops_k"].equals(u.loc[51:, "troops_k"])
    assert not lead.active  # a withdrawn member never returns


def test_setting_russias_belief_changes_its_choice():
    cfg = sim.compose_config(["scenario=coalition_us_backstop", *RUN])
    untouched, altered = CeasefireModel(cfg, scenario=4), CeasefireModel(cfg, scenario=4)
    for _ in range(50):
        untouched.step()
        altered.step()
    altered.russia.belief_us = 0.05
    # The grid prior's mean is the value set, to the grid's resolution (21 points, half a bin 1/42).
    assert altered.russia.belief_us == pytest.approx(0.05, abs=0.02)
    # The offensive's expected cost falls with the believed US response.
    assert altered.russia.believed_us_response < untouched.russia.believed_us_response
    assert altered.russia.offensive_gap > untouched.russia.offensive_gap + 1.0


def test_records_are_read_only_and_values_are_checked():
    model = CeasefireModel(sim.compose_config(RUN), scenario=0)
    with pytest.raises(AttributeError, match="read-only"):
        model.us.probe_answers = 3
    with pytest.raises(ValueError, match=r"CoalitionMemberAgent.support=1.5 is outside \[0, 1\]"):
        model.members[0].support = 1.5
    with pytest.raises(ValueError, match=r"scenario=20 is outside \[0, 20\)"):
        CeasefireModel(sim.compose_config(RUN), scenario=20)
    with pytest.raises(ValueError, match="config or overrides"):
        CeasefireModel(sim.compose_config(RUN), overrides=["scenario=minsk"])


def _final_rows(results: list[dict]) -> pd.DataFrame:
    """One row per run of mesa.batch_run's output (which repeats model data once per agent)."""
    return pd.DataFrame(results).groupby("RunId").last()


def test_mesa_batch_run_returns_the_batch_outcomes():
    cfg = sim.compose_config(["scenario=minsk", "n_scenarios=8", "horizon_days=300"])
    results = mesa.batch_run(CeasefireModel, parameters={"config": [cfg], "scenario": range(8),
                                                         "collect": "outcome"},
                             max_steps=cfg.horizon_days, number_processes=1, display_progress=False)
    got = _final_rows(results).set_index("scenario").sort_index()
    want = sim.run_batch(cfg).outcomes
    assert got["collapsed"].sum() > 0 and not got["collapsed"].all()
    for name in want.columns:
        assert all(_same(a, b) for a, b in zip(got[name], want[name], strict=True)), name


def test_mesa_batch_run_sweeps_presets_through_overrides():
    overrides = [(f"scenario={p}", "n_scenarios=3", "horizon_days=200") for p in ("minsk", "bluff")]
    results = mesa.batch_run(CeasefireModel, parameters={"overrides": overrides, "scenario": range(3),
                                                         "collect": "outcome"},
                             max_steps=200, number_processes=1, display_progress=False)
    got = _final_rows(results)
    for ov in overrides:
        want = sim.run_batch(sim.compose_config(list(ov))).outcomes
        mine = got[got["overrides"].map(lambda v, ov=ov: v == ov)].set_index("scenario").sort_index()
        for name in want.columns:
            assert all(_same(a, b) for a, b in zip(mine[name], want[name], strict=True)), (ov, name)

