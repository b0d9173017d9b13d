"""The theory patterns of the model brief, as directional tests with stated tolerances.

Each comparison uses the same seed and scenario indices in both arms (common random numbers), which makes
the arms positively correlated; the tolerances below use the independent-samples standard error, which is
conservative. With n = 2000 scenarios per arm and p near 0.3, SE(p1 - p2) <= sqrt(2 * 0.25 / 2000) = 0.016.
"""

from __future__ import annotations

import numpy as np
from helpers import collapse_share, compose, day_one

from sim.batch import run_batch
from sim.engine import phase_russia

N = "n_scenarios=2000"
SE_DIFF = 0.016  # upper bound of the standard error of a difference of two shares at n = 2000 (see above)


def _offensive_probability(*overrides: str) -> float:
    config = compose("n_scenarios=1", *overrides)
    state, params, streams, today = day_one(config)
    phase_russia(state, params, streams, today)
    return float(today.probs[0, 3])


def test_deterrence_inequality_best_response_attacks_iff_gain_exceeds_expected_cost():
    """Near best response (rationality 50), Russia attacks iff the offensive's utility exceeds holding's.

    Sweeping believed US credibility moves the expected cost of the response across the gain: the attack
    probability flips from ~1 to ~0 exactly where the closed-form utility gap changes sign.
    """
    base = ("russia.rationality=50", "russia.incident_value=-50", "russia.probe_value=-50",
            "coalition.troops_k=0", "coalition.members=0", "russia.preventive_weight=0",
            "russia.status_quo_value=0", "us.capability=10", "russia.value_of_gains=20", "russia.response_cost_us=1")
    probs = {c: _offensive_probability(*base, f"us.credibility={c}") for c in np.linspace(0, 1, 11)}
    config = compose("n_scenarios=1", *base)
    c = config
    ratio = c.russia.offensive_share * c.russia.strength_k / (c.ukraine.front_share * c.ukraine.strength_k)
    k = c.russia.quick_win_steepness
    p_quick = ratio**k / (ratio**k + c.russia.quick_win_ratio**k)
    gain = (c.russia.value_of_gains * (p_quick + (1 - p_quick) * c.russia.long_war_share)
            - (1 - p_quick) * c.russia.long_war_cost - c.russia.sanctions_weight)
    for cred, p in probs.items():
        believed = (1 - (1 - cred) * (1 - c.us.binding)) * c.us.attention
        gap = gain - believed * c.russia.response_cost_us * c.us.capability
        if gap > 0.2:  # 50 * 0.2 = 10 logits: P > 0.9999
            assert p > 0.999, (cred, gap, p)
        elif gap < -0.2:
            assert p < 0.001, (cred, gap, p)
    assert max(probs.values()) > 0.999 and min(probs.values()) < 0.001  # the sweep crosses the threshold


def test_fearon_complete_information_and_no_power_shift_means_no_deliberate_war():
    """Beliefs equal to the truth (concentrated prior), no shift in power, near best response: no offensive.

    The status quo lies inside the bargaining range (war costs make the offensive worse than holding), so a
    rational Russia that knows the guarantors' resolve never attacks; give it private misperception instead
    (it believes the guarantors bluff) and war follows.
    """
    common = ("n_scenarios=500", "horizon_days=365", "russia.rationality=50", "russia.incident_value=-50",
              "russia.probe_value=-50", "russia.prior_concentration=1000000", "ukraine.aid_k_per_day=0",
              "ukraine.investment_to_capacity=0", "russia.regen_per_day=0", "ukraine.regen_per_day=0",
              "us.attention_volatility=0", "us.attention=0.7", "russia.value_of_gains=20",
              "russia.status_quo_value=0", "us.capability=10", "russia.response_cost_us=1",
              "russia.response_cost_coalition=1.5")
    complete, _ = collapse_share(*common, "us.credibility=0.7", "us.resolve=0.7",
                                 "coalition.credibility=0.6", "coalition.resolve=0.6")
    assert complete == 0.0
    misperceived, _ = collapse_share(*common, "us.credibility=0.0", "us.resolve=0.7",
                                     "coalition.credibility=0.0", "coalition.resolve=0.6")
    # Misperceived, the offensive's utility is positive at rationality 50 (P(attack) = 1.0 on day 1, measured), so
    # nearly every scenario attacks within the year; 0.5 is far below that.
    assert misperceived > 0.5


def test_powell_faster_power_shift_under_weak_deterrence_raises_early_attack_hazard():
    """Under Minsk-like weak deterrence, faster growth of Ukraine's strength raises collapse in 180 days.

    Measured (seed 20250106): 0.36 with no aid vs 0.50 with 2k troops/day; required gap 4 SE_DIFF.
    """
    slow, _ = collapse_share(N, "horizon_days=180", "scenario=minsk", "ukraine.aid_k_per_day=0")
    fast, _ = collapse_share(N, "horizon_days=180", "scenario=minsk", "ukraine.aid_k_per_day=2")
    assert fast - slow > 4 * SE_DIFF


def test_powell_preventive_motive_is_the_cause():
    """Switching off the preventive motive removes the effect of the power shift's speed."""
    fast_on, _ = collapse_share(N, "horizon_days=180", "scenario=minsk", "ukraine.aid_k_per_day=2")
    fast_off, _ = collapse_share(N, "horizon_days=180", "scenario=minsk", "ukraine.aid_k_per_day=2",
                                 "russia.preventive_weight=0")
    assert fast_on - fast_off > 4 * SE_DIFF


def _hazard(outcomes, start: int, end: int) -> float:
    days = outcomes["collapse_day"].astype("float").fillna(np.inf).to_numpy()
    at_risk = days > start
    return ((days > start) & (days <= end)).sum() / at_risk.sum() / (end - start)


def test_reputation_unanswered_probes_erode_belief_and_raise_later_risk():
    """Same declared US credibility, low vs high true resolve: probes left unanswered lower Russia's belief and
    raise the hazard later on (days 365-1095), while the early hazard, before much learning, is alike.

    Measured (n = 4000 each): late hazard 1.36 vs 0.95 per 10^4 days on ~370 vs ~260 events, so the log ratio has
    SE ~ sqrt(1/370 + 1/260) = 0.063; requiring a ratio above 1.2 leaves ~3 SE of margin.
    """
    low = run_batch(compose("n_scenarios=4000", "us.credibility=0.7", "us.resolve=0.1")).outcomes
    high = run_batch(compose("n_scenarios=4000", "us.credibility=0.7", "us.resolve=0.9")).outcomes
    assert low["belief_us_final"].mean() < high["belief_us_final"].mean() - 0.1
    assert _hazard(low, 365, 1095) > 1.2 * _hazard(high, 365, 1095)


def test_reputation_known_review_date_raises_risk_as_it_nears():
    """With a known review (lapse 0.9 on day 540), the hazard in the 180 days before it rises above the same
    window without a review; far from the date nothing differs."""
    common = ("n_scenarios=10000", "horizon_days=540", "russia.response_cost_us=1")
    none = run_batch(compose(*common)).outcomes
    review = run_batch(compose(*common, "us.review_day=540", "us.review_lapse=0.9")).outcomes
    # Measured with n = 4000: 44 vs 88 events (ratio 2.0). At n = 10000, ~110 vs ~220 events: SE of the log
    # ratio ~ sqrt(1/110 + 1/220) = 0.12, so the threshold 1.4 (log 0.34) sits ~3 SE below the expected log 0.69.
    # Before the window nears, the two arms are identical.
    assert _hazard(review, 360, 540) > 1.4 * _hazard(none, 360, 540)
    assert _hazard(review, 0, 180) == _hazard(none, 0, 180)


def test_tripwire_token_force_deters_less_than_a_force_that_changes_the_balance():
    """2,000 troops (a tripwire) vs 100,000 (denial): measured 0.41 vs 0.04."""
    token, _ = collapse_share(N, "coalition.troops_k=2")
    large, _ = collapse_share(N, "coalition.troops_k=100")
    assert token - large > 10 * SE_DIFF


def test_denial_matters_on_its_own():
    """Even with the coalition's response costing Russia nothing, a larger force lowers collapse through the
    local balance alone (measured 0.43 at 2k vs 0.08 at 100k)."""
    token, _ = collapse_share(N, "coalition.troops_k=2", "russia.response_cost_coalition=0")
    large, _ = collapse_share(N, "coalition.troops_k=100", "russia.response_cost_coalition=0")
    assert token - large > 6 * SE_DIFF


def test_status_quo_value_matters_at_fixed_credibility():
    """Zagare and Kilgour: same credibility, a Russia that values the status quo more attacks less."""
    shares = [collapse_share(N, f"russia.status_quo_value={v}")[0] for v in (3, 6, 9)]
    assert shares[0] - shares[1] > 4 * SE_DIFF and shares[1] - shares[2] > 4 * SE_DIFF


def test_minsk_baseline_is_far_worse_than_the_seed_plan():
    """Minsk-like monitoring with no guarantor: more violations and a far higher collapse hazard."""
    minsk = run_batch(compose(N, "scenario=minsk")).outcomes
    plan = run_batch(compose(N)).outcomes
    # Measured 0.80 vs 0.12 and 233 vs 34 incident-days a year; at n = 2000 each share has SE <= 0.011, so the
    # factors 2 and 3 leave margins of tens of standard errors.
    assert minsk["collapsed"].mean() > 2 * plan["collapsed"].mean()
    rate = lambda out: out["violations"].sum() / out["end_day"].sum()  # noqa: E731
    assert rate(minsk) > 3 * rate(plan)


def test_monotone_in_us_resolve_with_honest_signals():
    """Higher US resolve (credibility equal to it) never raises collapse beyond sampling error.

    Grid of 5 values; each step may rise by at most 2.5 SE_DIFF (a false alarm below 1% per pair).
    """
    shares = [collapse_share(N, f"us.resolve={r}", f"us.credibility={r}")[0] for r in (0.1, 0.3, 0.5, 0.7, 0.9)]
    for lower, higher in zip(shares, shares[1:], strict=False):
        assert higher <= lower + 2.5 * SE_DIFF, shares
    assert shares[0] - shares[-1] > 4 * SE_DIFF  # and the effect is real, not flat (measured 0.19 -> 0.10)
