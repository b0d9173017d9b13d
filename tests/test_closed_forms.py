"""Sub-models against their closed forms: logit choice, Beta-Bernoulli, Lanchester, constant hazard."""

from __future__ import annotations

import math

import numpy as np
from helpers import compose, day_one
from scipy.integrate import solve_ivp

from sim import rules as R
from sim.batch import run_batch
from sim.engine import phase_russia


def test_logit_probabilities_are_the_softmax_of_scaled_utilities():
    utilities = np.array([[0.0, -1.0, -3.0, -8.0], [0.0, 2.0, 1.0, 0.5]])
    rationality = np.array([1.3, 0.4])
    probs = R.logit_probabilities(utilities, rationality)
    expected = np.exp(rationality[:, None] * utilities)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, expected, rtol=1e-12)


def test_one_shot_attack_probability_is_the_logistic_of_the_utility_gap():
    """With incidents and probes priced out, P(attack) = 1 / (1 + exp(-lambda * (gain - expected cost)))."""
    config = compose("n_scenarios=4", "russia.incident_value=-50", "russia.probe_value=-50",
                     "russia.rationality=0.8", "coalition.troops_k=0", "coalition.members=0",
                     "russia.preventive_weight=0")
    state, params, streams, today = day_one(config)
    phase_russia(state, params, streams, today)
    c = config
    attack = c.russia.offensive_share * c.russia.strength_k
    defence = c.ukraine.front_share * c.ukraine.strength_k
    ratio = attack / defence
    p_quick = ratio**c.russia.quick_win_steepness / (ratio**c.russia.quick_win_steepness
                                                     + c.russia.quick_win_ratio**c.russia.quick_win_steepness)
    gain = c.russia.value_of_gains * (p_quick + (1 - p_quick) * c.russia.long_war_share) \
        - (1 - p_quick) * c.russia.long_war_cost
    believed_us = (1 - (1 - c.us.credibility) * (1 - c.us.binding)) * c.us.attention
    cost = (c.russia.status_quo_value + believed_us * c.russia.response_cost_us * c.us.capability
            + c.russia.sanctions_weight)
    gap = gain - cost
    # The two priced-out options carry weight exp(-0.8 * ~50), below 1e-17: the reduction is exact to 1e-12.
    expected = 1.0 / (1.0 + math.exp(-c.russia.rationality * gap))
    np.testing.assert_allclose(today.probs[:, 3], expected, rtol=1e-9)


def test_drawn_actions_follow_the_choice_probabilities():
    """Day-one actions over 40,000 scenarios match the logit probabilities (binomial tolerance, 4.5 SE)."""
    config = compose("n_scenarios=40000", "scenario=minsk")
    state, params, streams, today = day_one(config)
    phase_russia(state, params, streams, today)
    n = config.n_scenarios
    for action in range(4):
        p = today.probs[0, action]
        observed = np.mean(today.action == action)
        se = math.sqrt(p * (1 - p) / n)
        assert abs(observed - p) <= 4.5 * se + 1e-12, (action, observed, p)


def test_beta_bernoulli_posterior_mean():
    a, b = R.beta_prior(np.array([0.6]), np.array([5.0]))
    successes, failures = 7, 3
    for _ in range(successes):
        a, b = R.beta_update(a, b, np.array([True]), np.array([False]))
    for _ in range(failures):
        a, b = R.beta_update(a, b, np.array([False]), np.array([True]))
    assert R.beta_mean(a, b)[0] == (0.6 * 5 + 7) / (5 + 10)
    # Variance of Beta(a, b): ab / ((a+b)^2 (a+b+1)).
    assert math.isclose(R.beta_sd(a, b)[0] ** 2, a[0] * b[0] / ((a[0] + b[0]) ** 2 * (a[0] + b[0] + 1)))


def test_model_beliefs_are_the_beta_posterior_of_observed_responses():
    """Every scenario's final belief equals the closed-form posterior of the responses it recorded."""
    config = compose("n_scenarios=2000", "scenario=bluff")
    out = run_batch(config).outcomes
    k = config.russia.prior_concentration
    us = (config.us.credibility * k + out["us_activations"]) / (k + out["us_activations"] + out["us_nonresponses"])
    co = (config.coalition.credibility * k + out["coalition_responses"]) / (
        k + out["coalition_responses"] + out["coalition_nonresponses"])
    np.testing.assert_allclose(out["belief_us_final"], us, rtol=1e-12)
    np.testing.assert_allclose(out["belief_coalition_final"], co, rtol=1e-12)
    assert (out["us_nonresponses"] > 0).mean() > 0.3  # the test exercises learning, not just the prior


def test_lanchester_square_law_matches_the_ode_and_conserves_its_invariant():
    red, blue = np.array([100.0, 50.0, 80.0]), np.array([60.0, 70.0, 80.0])
    red_rate, blue_rate = np.array([0.02, 0.02, 0.05]), np.array([0.03, 0.01, 0.05])
    for days in (0.5, 3.0, 10.0):
        r, b = R.lanchester_square(red, blue, red_rate, blue_rate, days)
        for i in range(3):
            sol = solve_ivp(lambda _t, y, i=i: [-blue_rate[i] * y[1], -red_rate[i] * y[0]], (0, days),
                            [red[i], blue[i]], rtol=1e-11, atol=1e-11)
            if min(sol.y[0].min(), sol.y[1].min()) > 0:
                np.testing.assert_allclose([r[i], b[i]], sol.y[:, -1], rtol=1e-7)
        np.testing.assert_allclose(red_rate * r**2 - blue_rate * b**2, red_rate * red**2 - blue_rate * blue**2,
                                   rtol=1e-9)


def test_lanchester_annihilation_leaves_the_survivor_the_invariant():
    """Run long enough to annihilate: the weaker side (by rate * strength^2) is 0, the other sqrt(invariant)."""
    r, b = R.lanchester_square(np.array([100.0]), np.array([60.0]), np.array([0.02]), np.array([0.03]), 500.0)
    assert b[0] == 0.0
    assert math.isclose(r[0], math.sqrt((0.02 * 100**2 - 0.03 * 60**2) / 0.02))
    r, b = R.lanchester_square(np.array([0.0]), np.array([60.0]), np.array([0.02]), np.array([0.03]), 1.0)
    assert (r[0], b[0]) == (0.0, 60.0)


def test_survival_under_a_constant_hazard_is_geometric():
    """Uniform choice (rationality 0) and no guarantor troops: each day collapses with hazard 1/4 exactly."""
    config = compose("n_scenarios=20000", "horizon_days=20", "russia.rationality=0", "coalition.troops_k=0")
    surv = run_batch(config).survival().set_index("day")["survival"]
    n, h = config.n_scenarios, 0.25
    for day in range(1, 13):
        expected = (1 - h) ** day
        se = math.sqrt(expected * (1 - expected) / n)
        # 4.5 SE per day over 12 days: a false alarm has probability below 1e-4.
        assert abs(surv[day] - expected) <= 4.5 * se, (day, surv[day], expected)
