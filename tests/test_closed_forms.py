"""Sub-models against their closed forms: logit choice, the offensive at a review, the value of waiting, Bayes on the
resolve grid, the coalition's decision, Lanchester, constant hazard."""

from __future__ import annotations

import math

import numpy as np
import pytest
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


# A review every day, one type of Russia, no shock and no shift in the balance: Russia's weighing of the offensive
# on day 1 has a closed form. Monitoring off (no strategic warning), no coalition force, US belief 0.5 (the grid
# prior's mean is exactly 0.5 by symmetry).
ONE_SHOT = ("russia.review_interval_days=1", "russia.type_spread=0", "russia.shock_sd=0", "russia.regen_per_day=0",
            "ukraine.regen_per_day=0", "monitoring.regime=none", "coalition.troops_k=0", "coalition.members=0",
            "us.credibility=0.5")


def _one_shot_gap(c) -> float:
    """The offensive's utility by hand: the war's value, less the status quo, the believed US response and the
    sanctions it restores (the value of waiting is 0 when the offensive is worth less than holding)."""
    ru, ua, us = c.russia, c.ukraine, c.us
    ratio = ru.offensive_share * ru.strength_k / (ua.front_share * ua.strength_k)
    k = ru.quick_win_steepness
    p_quick = ratio**k / (ratio**k + ru.quick_win_ratio**k)
    war = ru.value_of_gains * (p_quick + (1 - p_quick) * ru.long_war_share) - (1 - p_quick) * ru.long_war_cost
    believed_us = (1 - (1 - 0.5) * (1 - us.binding)) * us.attention
    return war - ru.status_quo_value - believed_us * ru.response_cost_us * us.capability - ru.sanctions_weight


def test_one_shot_attack_probability_is_the_logistic_of_the_utility_gap():
    """At a review, P(offensive) = 1 / (1 + exp(-lambda (U_off - W))); with U_off < 0 and no uncertainty about the
    next review, W = 0 and the gap is the utility by hand."""
    config = compose("n_scenarios=4", *ONE_SHOT, "russia.rationality=0.8")
    state, params, streams, today = day_one(config)
    phase_russia(state, params, streams, today)
    gap = _one_shot_gap(config)
    assert gap < 0
    assert today.review.all()
    np.testing.assert_allclose(today.offensive_gap, gap, rtol=1e-9)
    np.testing.assert_allclose(today.p_offensive, 1.0 / (1.0 + math.exp(-0.8 * gap)), rtol=1e-9)


def test_value_of_waiting_is_the_discounted_expected_positive_part():
    """W = d E[max(U, 0)] for U ~ Normal(m, s): against a Monte Carlo of 10^6 draws (SE below 0.003 at s = 2)."""
    rng = np.random.default_rng(7)
    for m, s_ in ((-1.0, 2.0), (0.5, 1.0), (3.0, 0.5)):
        draws = m + s_ * rng.standard_normal(1_000_000)
        expected = 0.9 * np.maximum(draws, 0).mean()
        got = R.waiting_value(np.array([m]), np.array([s_]), np.array([0.9]))[0]
        assert abs(got - expected) < 0.01, (m, s_, got, expected)


def test_drawn_actions_follow_the_choice_probabilities():
    """Day-one daily actions over 40,000 scenarios (those not at a strategic review) match the logit
    probabilities (binomial tolerance, 4.5 SE)."""
    config = compose("n_scenarios=40000", "scenario=minsk")
    state, params, streams, today = day_one(config)
    phase_russia(state, params, streams, today)
    daily = ~today.review
    n = int(daily.sum())
    for action in range(3):
        # Probabilities differ by scenario (Russia's type): the count is a sum of independent Bernoulli draws.
        p = today.probs[daily][:, action]
        observed = np.mean(today.action[daily] == action)
        se = math.sqrt(float((p * (1 - p)).sum())) / n
        assert abs(observed - p.mean()) <= 4.5 * se + 1e-12, (action, observed, p.mean())


def test_grid_posterior_is_bayes_rule_on_the_grid():
    """Seven responses and three non-responses seen one by one give prior x theta^7 (1 - theta)^3, normalised;
    its mean is the conjugate Beta posterior's, (0.6 * 5 + 7) / (5 + 10), to the grid's resolution."""
    prior = R.grid_prior(np.array([0.6]), np.array([5.0]))
    post = prior.copy()
    theta = R.RESOLVE_GRID[None, :]
    for acted in [True] * 7 + [False] * 3:
        post = R.grid_update(post, theta, np.array([acted]))
    direct = prior * theta**7 * (1 - theta) ** 3
    np.testing.assert_allclose(post, direct / direct.sum(), rtol=1e-10)
    assert abs(R.grid_mean(post)[0] - (0.6 * 5 + 7) / (5 + 10)) < 0.01  # half a bin: 1/42 = 0.024


def test_grid_prior_has_the_declared_credibility_as_its_mean():
    credibility = np.linspace(0.1, 0.9, 9)
    means = R.grid_mean(R.grid_prior(credibility, np.full(9, 5.0)))
    np.testing.assert_allclose(means, credibility, atol=0.01)  # bins of 1/21 around each point


def test_coalition_response_model_matches_a_simulation_of_members():
    """Russia's closed form of the coalition's decision equals the member-by-member draw it models (every member
    at the same resolve and support): 200,000 draws per rule, tolerance 4.5 SE."""
    k, m = 200_000, 12
    rng = np.random.default_rng(3)
    for rule in (0, 1, 2):
        ones = np.ones(k)
        p_member = R.act_probability(0.55, 0.3) * (0.5 + 0.5 * 0.6)
        willing = R.member_willingness(np.full((k, m), p_member), np.ones((k, m), dtype=bool), 0.6 * ones,
                                       rng.random(k), rng.random((k, m)), rng.random((k, m)))
        responds, _ = R.coalition_decision(np.full(k, rule), willing, np.ones((k, m), dtype=bool),
                                           rng.random((k, m)), 0.2 * ones)
        closed = R.coalition_response_probability(
            np.array([[0.55]]), np.array([0.3]), np.array([0.6]), np.array([m]), np.array([rule]), np.array([0.6]),
            np.array([0.2]), np.array([False]), np.array([0.7]), np.array([False]), np.array([0.5]))[0, 0]
        se = math.sqrt(closed * (1 - closed) / k)
        assert abs(responds.mean() - closed) <= 4.5 * se, (rule, responds.mean(), closed)


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
    """A coin toss at a daily review (rationality 0: P(offensive) = 1/2) and no other way to collapse (no force, a
    spiral threshold that cannot be reached): each day collapses with hazard 1/2 exactly."""
    config = compose("n_scenarios=20000", "horizon_days=10", "russia.rationality=0", "russia.review_interval_days=1",
                     "coalition.troops_k=0", "ceasefire.spiral_share=1")
    surv = run_batch(config).survival().set_index("day")["survival"]
    n, h = config.n_scenarios, 0.5
    for day in range(1, 8):
        expected = (1 - h) ** day
        se = math.sqrt(expected * (1 - expected) / n)
        # 4.5 SE per day over 7 days: a false alarm has probability below 1e-4.
        assert abs(surv[day] - expected) <= 4.5 * se, (day, surv[day], expected)


@pytest.mark.parametrize("rule", [0, 1, 2])
@pytest.mark.parametrize("cases", [1, 2, 21])
def test_coalition_response_model_is_the_same_for_a_row_alone_or_in_a_batch(rule, cases):
    """Each row's value does not depend on how many rows are evaluated with it (the Mesa agents evaluate one): numpy's
    power rounds differently on some code paths (an integer exponent in a one-element array), so a rule must not
    reach them."""
    rng = np.random.default_rng(7)
    k = 400
    resolve = rng.random((k, cases if cases == 21 else 1))
    args = [rng.random(k), rng.random(k), rng.integers(0, 31, k), np.full(k, rule), rng.random(k), rng.random(k),
            rng.random((k, cases)) < 0.5, rng.random(k), rng.random((1, cases)) < 0.5, rng.random(k)]
    together = R.coalition_response_probability(resolve, *args)
    alone = np.vstack([R.coalition_response_probability(resolve[i:i + 1], *(a if a.shape[0] == 1 and a.ndim == 2
                                                                           else a[i:i + 1] for a in args))
                       for i in range(k)])
    np.testing.assert_array_equal(together, alone)
