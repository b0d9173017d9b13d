"""The theory patterns of the model brief and its second edition, as directional tests with stated tolerances.

Both arms of a comparison run the same seed and scenario indices (common random numbers), so the standard error of
a difference is the paired one, sd(x_b - x_a) / sqrt(n), computed from the data; a direction is asserted only
where the effect is more than 3 such standard errors (``_paired``). At n = 2,000 scenarios and collapse shares
near 0.1 a paired SE is about 0.002-0.005, so effects of 0.02 and more are decided.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from helpers import compose

from sim import rules as R
from sim.batch import run_batch
from sim.config import preset_names
from sim.design import build_params
from sim.engine import initial_state, step
from sim.rng import Streams

N = 2000


@cache
def _outcomes(*overrides: str, n: int = N) -> pd.DataFrame:
    return run_batch(compose(f"n_scenarios={n}", *overrides)).outcomes


def _paired(a: pd.DataFrame, b: pd.DataFrame, column: str = "collapsed") -> tuple[float, float]:
    """Mean of b - a over the same scenarios and its paired standard error."""
    d = b[column].to_numpy(float) - a[column].to_numpy(float)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


# ------------------------------------------------------------------------------------------ deliberate war
def test_rationality_is_a_tremble_not_the_engine_of_collapse():
    """Halving or doubling the precision of Russia's strategic choice moves 3-year collapse by less than 0.05 in
    the default and 0.10 in minsk: collapse comes from Russias for which attacking is worth more than waiting.
    (Measured: default 0.075 -> 0.090 / 0.070; minsk 0.505 -> 0.592 / 0.471; each SE below 0.012.)"""
    for preset, bound in (("coalition_us_backstop", 0.05), ("minsk", 0.10)):
        base = compose(f"scenario={preset}").russia.rationality
        ref = _outcomes(f"scenario={preset}")["collapsed"].mean()
        for factor in (0.5, 2.0):
            moved = _outcomes(f"scenario={preset}", f"russia.rationality={base * factor}")["collapsed"].mean()
            assert abs(moved - ref) < bound, (preset, factor, ref, moved)


def test_fearon_complete_information_and_no_power_shift_means_no_deliberate_war():
    """Beliefs equal to the truth (a concentrated honest prior), one type of Russia, no shock and no shift in power:
    the offensive is worth less than the status quo, so Russia never attacks (no offensive in 2,000 scenarios).
    Make it misperceive the guarantors (it believes they will not act) and value its gains more, and war follows."""
    world = ("russia.type_spread=0", "russia.shock_sd=0", "russia.prior_concentration=100000", "russia.regen_per_day=0",
             "ukraine.regen_per_day=0", "ukraine.aid_k_per_day=0", "ukraine.investment_to_capacity=0")
    honest = _outcomes(*world)
    assert (honest["failure_mode"] == "offensive").sum() == 0
    misperceived = _outcomes(*world, "us.credibility=0", "coalition.credibility=0", "russia.value_of_gains=20")
    assert (misperceived["failure_mode"] == "offensive").mean() > 0.1


def test_powell_a_faster_shift_towards_ukraine_raises_the_early_hazard():
    """Under weak deterrence (minsk), a faster shift of power towards Ukraine shrinks the value of waiting (the
    window is closing), so more Russias attack at their first review, while the balance is still what it was at
    the ceasefire (Powell 2006). Later the stronger Ukraine deters: the effect is a preventive one."""
    slow = _outcomes("scenario=minsk")
    fast = _outcomes("scenario=minsk", "ukraine.aid_k_per_day=1.0")
    early = lambda o: pd.DataFrame({"collapsed": o["collapsed"] & (o["end_day"] <= 30)})  # noqa: E731
    diff, se = _paired(early(slow), early(fast))
    assert diff > 3 * se, (diff, se)


def test_zagare_kilgour_the_value_of_the_status_quo_matters_at_fixed_credibility():
    """Credibility unchanged, a Russia that values the ceasefire more attacks less."""
    diff, se = _paired(_outcomes("russia.status_quo_value=0"), _outcomes("russia.status_quo_value=3"))
    assert diff < -3 * se, (diff, se)


# ------------------------------------------------------------------------------------------ learning
def _beliefs_at(day: int, *overrides: str, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """Russia's mean beliefs in US and coalition resolve on ``day``, stepping every scenario (collapsed or not)."""
    config = compose(f"n_scenarios={n}", f"horizon_days={day}", *overrides)
    rows = np.arange(n)
    params, streams = build_params(config, rows), Streams(config.seed, rows)
    state = initial_state(params, streams)
    for d in range(1, day + 1):
        state, _ = step(state, params, streams, d)
    return R.grid_mean(state.belief_us), R.grid_mean(state.belief_co)


def test_honest_signals_stay_honest():
    """Credibility equal to resolve for both guarantors: Russia's mean belief over 2,000 scenarios on day 1,095 is
    within 0.05 of the true resolve (learning reads each response through what Russia knows of attention, binding,
    coordination and the decision rule, so it is unbiased)."""
    us, co = _beliefs_at(1095)
    config = compose()
    assert abs(us.mean() - config.us.resolve) < 0.05, us.mean()
    assert abs(co.mean() - config.coalition.resolve) < 0.05, co.mean()


def test_a_bluff_is_found_out_as_probes_go_unanswered():
    """Declared 0.8, true 0.2: the belief in the US falls from its prior, and falls further where Russia saw more
    unanswered attacks."""
    bluff = _outcomes("scenario=bluff")
    prior = compose("scenario=bluff").us.credibility
    assert bluff["belief_us_final"].mean() < prior - 0.1
    seen_failures = bluff["us_nonresponses"] >= 2
    assert bluff.loc[seen_failures, "belief_us_final"].mean() < bluff.loc[~seen_failures, "belief_us_final"].mean()


def test_reputation_a_bluff_fails_later_than_honest_strength():
    """Deterred at first by what it believes, Russia learns the bluff and the hazard of the third year rises above
    the honest plan's; the bluff's collapse over three years is the higher."""
    plan, bluff = _outcomes(), _outcomes("scenario=bluff")
    diff, se = _paired(plan, bluff)
    assert diff > 3 * se, (diff, se)


# ------------------------------------------------------------------------------------------ the ladder
def test_every_failure_mode_occurs_in_some_preset_and_clashes_can_stay_contained():
    """Each failure mode is at least 1% of the scenarios of some preset; in the default a contained clash (troops
    fire back, Russia backs down) happens without ending the ceasefire."""
    shares = {preset: _outcomes(f"scenario={preset}")["failure_mode"].value_counts(normalize=True)
              for preset in preset_names()}
    for mode in ("offensive", "clash", "spiral"):
        assert max(s.get(mode, 0.0) for s in shares.values()) >= 0.01, mode
    default = _outcomes()
    contained = default["clashes"] - (default["failure_mode"] == "clash")
    assert (contained > 0).mean() > 0.01


def test_forward_troops_deter_unless_russia_doubts_the_tripwire():
    """Schelling: troops in harm's way make a response more automatic, so more forward troops do not raise collapse.
    Reiter and Poast: if Russia does not believe in that automaticity, forward troops only add clashes that can
    escalate, and collapse rises."""
    token, forward = "coalition.forward_share=0.02", "coalition.forward_share=0.5"
    diff, se = _paired(_outcomes(token), _outcomes(forward))
    assert diff < 3 * se, (diff, se)
    doubt = "russia.tripwire_belief=0"
    diff, se = _paired(_outcomes(doubt, token), _outcomes(doubt, forward))
    assert diff > 3 * se, (diff, se)


def test_a_force_that_changes_the_local_balance_deters_more_than_a_token_one():
    """Denial: a 60,000-strong force deters more than a 5,000 tripwire (Huth 1988; Reiter and Poast 2021)."""
    diff, se = _paired(_outcomes("coalition.troops_k=5"), _outcomes("coalition.troops_k=60"))
    assert diff < -3 * se, (diff, se)


# ------------------------------------------------------------------------------------------ arrangements
def test_minsk_baseline_fails_far_more_often_with_frequent_violations():
    minsk, plan = _outcomes("scenario=minsk"), _outcomes()
    assert minsk["collapsed"].mean() - plan["collapsed"].mean() > 0.3
    violation_days_per_year = (minsk["violations"] / minsk["end_day"] * 365).mean()
    assert violation_days_per_year > 150


def test_quiet_ceasefires_and_frozen_conflicts_are_both_reachable():
    """Some of the plan's scenarios see no probe in their first year; some of minsk's hold for three years with
    incidents on most days."""
    assert _outcomes()["quiet_first_year"].mean() > 0.1
    assert _outcomes("scenario=minsk")["frozen_conflict"].mean() > 0.1


# Each guarantee lever across its range, and the direction the ODD argues (docs/ODD.md, "Levers and theory").
LEVERS = [
    ("us.credibility", 0.1, 0.9, -1),
    ("us.resolve", 0.1, 0.9, -1),
    ("coalition.troops_k", 5, 60, -1),
    ("coalition.members", 5, 50, -1),
    ("coalition.binding", 0.0, 0.9, -1),
    ("monitoring.regime", "observers", "us_led", -1),
]


def test_no_guarantee_lever_is_inert():
    """Each lever moves the default's 3-year collapse by more than 3 paired standard errors, in the direction the
    ODD argues (2,000 scenarios per arm: each effect here is 6 or more SEs). The coalition's credibility, resolve
    and decision rule, whose effects are smaller (attacked troops make members' response nearly automatic), are
    shown at 6,000 scenarios per arm in the generated table of docs/calibration.md (python -m sim.calibration)."""
    for key, low, high, sign in LEVERS:
        diff, se = _paired(_outcomes(f"{key}={low}"), _outcomes(f"{key}={high}"))
        assert sign * diff > 3 * se, (key, diff, se)
