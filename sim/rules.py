"""The model's rules: pure functions over arrays with a leading scenario axis.

Each rule is written once, here. The batch engine (``sim.engine``) calls them on N scenarios at a time;
the Mesa agents (``sim.agents``) call the very same functions on arrays of one scenario. Shapes use
N for scenarios and M for coalition member slots. Nothing here draws random numbers: uniforms come in as
arguments, drawn by the caller from the named counter-based streams of ``sim.rng``.

Utilities are in abstract units with the status quo (hold) at 0; strengths in thousand troops; time in days.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from sim.codes import ACTION, FAILURE, LEVEL, REGIME, RULE

# ---------------------------------------------------------------------------------------------- constants
# Detection and attribution by monitoring regime: rows none, observers, us_led; columns
# (detect an incident, detect a probe, attribute a detected violation). Assumptions informed by the OSCE SMM
# (which recorded many violations but seldom attributed them) and by the ISR a US-led mission brings.
MONITORING_TABLE = np.array(
    [
        [0.00, 0.00, 0.00],
        [0.50, 0.70, 0.35],
        [0.90, 0.98, 0.90],
    ]
)
# Strategic warning of an offensive by monitoring regime (none, observers, US-led), times access: the share by which
# warning raises the defence an offensive meets (forces alerted and moved in time). Assumption after Betts (1982),
# Surprise Attack: warning is what intelligence, surveillance and reconnaissance buy against a massed attack.
WARNING_BY_REGIME = np.array([0.0, 0.05, 0.25])
# Share of russia.sanctions_snapback an attributed action adds (hold, incident, probe): incidents cost Russia
# diplomatically (russia.incident_cost), not in sanctions; an offensive restores full pressure instead.
SNAPBACK_SHARE = np.array([0.0, 0.0, 1.0, 0.0])
# Tension added by each of Russia's actions (hold, incident, probe, offensive) before decay.
TENSION_BY_ACTION = np.array([0.0, 0.5, 1.0, 2.0])
# A Ukrainian defensive engagement of a probe lasts this long (days) in the Lanchester sub-model.
ENGAGEMENT_DAYS = 1.0
# Troops per unit of the coalition's response cost to Russia (russia.response_cost_coalition is per 25k).
RESPONSE_COST_TROOPS_K = 25.0
# Russia's beliefs about each guarantor's resolve are a posterior on this grid of resolve values (bin midpoints).
RESOLVE_GRID = (np.arange(21) + 0.5) / 21
# Average troops per member in the seed's plan (25,000 troops, 30 members): the burden at which a member's cost of
# deployment is coalition.cost_sensitivity; a smaller coalition carries more per member.
BURDEN_REFERENCE_K = 25.0 / 30.0
# Share of the coalition's forward troops that a probe meets: it hits one sector of about ten along the line.
PROBE_SECTOR_SHARE = 0.1
# Scale of the information value of probing: russia.info_weight is per 10 units of russia.value_of_gains.
INFO_VALUE_SCALE = 10.0


# ---------------------------------------------------------------------------------- beliefs (grid posterior)
def _row_dot(matrix, weights):
    """Each row of ``matrix`` (N, G) dotted with ``weights`` (G,), summed column by column in order (a cumulative
    sum is strictly sequential): the same operations for a row whatever N is (a BLAS product or a pairwise sum may
    round differently by batch size, and both drivers must agree exactly)."""
    return np.cumsum(matrix * weights, axis=1)[:, -1]


def _normalised(matrix):
    """Rows of ``matrix`` (N, G) divided by their sums (column-by-column sums, as ``_row_dot``)."""
    return matrix / np.maximum(_row_dot(matrix, np.ones(matrix.shape[1])), 1e-300)[:, None]


def grid_prior(credibility, concentration):
    """Russia's prior over resolve on RESOLVE_GRID: the mass of Beta(c k, (1 - c) k) in each grid bin; (N, G).

    Its mean is the declared credibility c to within the grid's resolution (half a bin, 1/42); k (pseudo-
    observations) is its strength.
    """
    a = np.maximum(credibility * concentration, 1e-9)[:, None]
    b = np.maximum((1.0 - credibility) * concentration, 1e-9)[:, None]
    edges = np.linspace(0.0, 1.0, RESOLVE_GRID.size + 1)
    cdf = special.betainc(a, b, edges[None, :])
    return _normalised(np.maximum(np.diff(cdf, axis=1), 0.0) + 1e-300)


def grid_mean(posterior):
    """Posterior mean of resolve; (N,)."""
    return _row_dot(posterior, RESOLVE_GRID)


def grid_moments(posterior):
    """Posterior mean and standard deviation of resolve; (N,) each."""
    mean = grid_mean(posterior)
    return mean, np.sqrt(np.maximum(_row_dot(posterior, RESOLVE_GRID * RESOLVE_GRID) - mean * mean, 0.0))


def grid_update(posterior, likelihood, acted):
    """Bayes' rule on the grid: posterior (k, G) times P(observation | resolve), where ``likelihood`` (k, G) is the
    probability of acting at each grid point and ``acted`` (k,) what was observed; renormalised."""
    return _normalised(posterior * np.where(acted[:, None], likelihood, 1.0 - likelihood))


def act_probability(resolve, binding):
    """Probability of acting once binding obligations remove a share of the remaining reluctance."""
    return 1.0 - (1.0 - resolve) * (1.0 - binding)


def review_factor(day, review_day, lapse, window_days):
    """Probability that the US commitment is still in force over the coming window, seen on ``day``.

    Before a known review date the lapse risk weighs in as the date comes within ``window_days``;
    no review (``review_day`` 0) or a past review gives 1. (N,).
    """
    ahead = (review_day > 0) & (day < review_day)
    if not ahead.any():  # no review ahead (the usual case): 1 everywhere, without the arithmetic
        return np.ones(ahead.shape)
    overlap = np.clip((day + window_days - review_day) / window_days, 0.0, 1.0)
    return np.where(ahead, 1.0 - lapse * overlap, 1.0)


# ----------------------------------------------------------------------------------- initial state
def member_contributions(members, slots, troops_k):
    """Troops (N, M) of each member slot and whether the slot is a member (N, M).

    Contributions fall off as 1/rank (a few large contributors, many small), normalised per scenario.
    """
    slot = np.arange(slots)
    exists = slot[None, :] < members[:, None]
    weight = np.where(exists, 1.0 / (slot[None, :] + 1.0), 0.0)
    share = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-300)
    return troops_k[:, None] * share, exists


def spread_around(centre, spread, u):
    """Members' values (N, M): uniform in centre +- spread (per scenario, (N,) each), clipped to [0, 1]."""
    return np.clip(centre[:, None] + spread[:, None] * (2 * u - 1), 0.0, 1.0)


def member_cost_per_day(cost_sensitivity, troops_k, members, u):
    """Support each member loses per day of deployment (N, M): uniform on [0, 2 c], with c = cost_sensitivity
    times the burden per member (troops per member over BURDEN_REFERENCE_K): fewer members share more of it."""
    burden = troops_k / np.maximum(members, 1) / BURDEN_REFERENCE_K
    return (cost_sensitivity * burden)[:, None] * 2.0 * u


def russia_type(value, spread, z):
    """A value of Russia's type (N,): the set value times a lognormal factor exp(spread z) (median 1)."""
    return value * np.exp(spread * z)


def standard_normal(u):
    """Standard normal draws from uniforms in [0, 1) (the inverse CDF; kept off the infinite tails)."""
    return special.ndtri(np.clip(u, 1e-16, 1.0 - 1e-16))


def shock_update(shock, persistence, sd, z):
    """Mean-reverting (AR(1), Ornstein-Uhlenbeck) shock with stationary standard deviation ``sd``; (N,)."""
    return persistence * shock + sd * np.sqrt(1.0 - persistence * persistence) * z


def is_review_day(day, offset, interval):
    """Russia's strategic review falls on days offset, offset + interval, ...; (N,) bool."""
    return (day % interval) == offset


# -------------------------------------------------------------------------------------- phase 1: Russia
def quick_win_probability(attack_k, defence_k, ratio50, steepness, log_shift=0.0):
    """P(quick victory) = R^k / (R^k + R50^k), R the local force ratio (denial); (N,).

    ``log_shift`` scales the defence by exp(log_shift) (a projected shift in the balance); the logistic form
    1 / (1 + exp(k (log R50 - log R))) is the same function, cheaper than powers.
    """
    log_ratio = np.log(np.maximum(attack_k, 1e-12)) - np.log(np.maximum(defence_k, 1e-9)) - log_shift
    return 1.0 / (1.0 + np.exp(steepness * (np.log(ratio50) - log_ratio)))


def regeneration(strength_k, capacity_k, rate_per_day, drag):
    """Daily strength gain closing the gap to capacity, slowed by ``drag`` in [0, 1]; (N,) thousand troops."""
    return rate_per_day * (1.0 - drag) * (capacity_k - strength_k)


def power_shift_rate(ru_strength, ru_gain, defence_k, defence_gain):
    """Daily growth rate of log(defence / attack): positive when the balance shifts towards Ukraine."""
    return defence_gain / np.maximum(defence_k, 1e-9) - ru_gain / np.maximum(ru_strength, 1e-9)


def coalition_coverage(forward_k, line_cover_k):
    """Share of the line of contact covered by coalition forward troops, in [0, 1]."""
    return np.minimum(1.0, forward_k / line_cover_k)


def local_defence_k(front_share, ua_strength_k, quality, coalition_troops_k):
    """Defending strength an offensive meets (thousand troops): Ukraine's front share and the whole coalition force
    (it is all in the country), weighted by its quality; (N,)."""
    return front_share * ua_strength_k + quality * coalition_troops_k


def expected_response_costs(response_cost_us, us_capability, response_cost_coalition, coalition_troops_k):
    """Cost to Russia of a US and of a coalition response if each comes (utility; (N,) each): the US's scales
    with its capability, the coalition's with its troops (``response_cost_coalition`` per RESPONSE_COST_TROOPS_K)."""
    return response_cost_us * us_capability, response_cost_coalition * coalition_troops_k / RESPONSE_COST_TROOPS_K


def retaken_share(delay_days, consolidation_days):
    """Share of a probe's ground a response retakes after ``delay_days``: gains consolidate (fait accompli)."""
    return np.exp(-delay_days / consolidation_days)


def probe_response_cost(sanctions_weight, snapback, response_share, believed_us, us_cost, believed_coalition,
                        coalition_cost, delay_days, consolidation_days):
    """Expected cost to Russia of an attributed probe (utility; (N,)): sanctions snapback, plus a share of the
    guarantors' response costs by Russia's beliefs; a slower coalition decision lets the probe consolidate first."""
    return sanctions_weight * snapback + response_share * (
        believed_us * us_cost + believed_coalition * coalition_cost * retaken_share(delay_days, consolidation_days))


def probe_information_value(info_weight, value_of_gains, sd_us, sd_coalition, binding_us, binding_coalition):
    """Value of what a probe reveals (utility; (N,)): grows with Russia's uncertainty about what the guarantors
    would do (the posterior standard deviation of resolve, times the reluctance binding obligations leave) and
    with what is at stake."""
    return info_weight * value_of_gains / INFO_VALUE_SCALE * (sd_us * (1.0 - binding_us)
                                                               + sd_coalition * (1.0 - binding_coalition))


def probe_hit_probability(coverage, avoidance):
    """Probability that a probe meets coalition troops: the line they cover, less what Russia can avoid; (N,)."""
    return coverage * (1.0 - avoidance)


def war_value(p_quick, gains, long_war_share, long_war_cost):
    """Expected value of a renewed war to Russia (utility; a stock): a quick victory with ``p_quick``, else a share
    of the gains at the cost of a long war; (N,)."""
    return gains * (p_quick + (1.0 - p_quick) * long_war_share) - (1.0 - p_quick) * long_war_cost


def offensive_utility(war, status_quo_value, expected_response_cost, sanctions_cost, shock):
    """Russia's utility of a renewed offensive relative to keeping the ceasefire (utility; (N,)): the war's value,
    less the status quo given up, the guarantors' responses as Russia believes them and the sanctions an offensive
    restores, plus the persistent shock."""
    return war - status_quo_value - expected_response_cost - sanctions_cost + shock


def waiting_value(mean_next, sd_next, discount):
    """Value of keeping the option to attack at the next review: discount times E[max(U, 0)] for
    U ~ Normal(mean_next, sd_next) (one-step look-ahead); (N,) >= 0."""
    sd = np.maximum(sd_next, 1e-12)
    z = mean_next / sd
    return discount * (mean_next * special.ndtr(z) + sd * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi))


def attack_probability(gap, rationality):
    """Probability of deciding on the offensive at a review: logistic(rationality x gap), the gap being the
    offensive's utility less the value of waiting; a tremble around the deliberate rule gap > 0."""
    return special.expit(rationality * gap)


def escalation_probability(gap, rationality, inadvertent):
    """Probability that a contained clash escalates into war (N,): inadvertently with ``inadvertent``, else by
    Russia's choice: war is worth more than backing down (``gap`` = offensive utility + cost of backing down)."""
    return inadvertent + (1.0 - inadvertent) * special.expit(rationality * gap)


def russia_utilities(*, incident_value, probe_value, info_value, tension_push, retaliation_cost,
                     attribution_incident, attribution_probe, incident_cost, probe_response_cost, clash_risk_cost):
    """Daily utilities (N, 3) of hold, incidents, probe (flows); hold is 0 by normalisation."""
    u_incident = incident_value + tension_push - retaliation_cost - attribution_incident * incident_cost
    u_probe = (probe_value + info_value + tension_push - retaliation_cost
               - attribution_probe * probe_response_cost - clash_risk_cost)
    return np.stack([np.zeros_like(u_incident), u_incident, u_probe], axis=1)


def logit_probabilities(utilities, rationality):
    """Quantal response: softmax of rationality * utilities over the last axis; (N, K)."""
    z = rationality[:, None] * utilities
    # Column-wise max and sum: numpy's reductions over a short last axis are slow for large N.
    top = z[:, 0]
    for k in range(1, z.shape[1]):
        top = np.maximum(top, z[:, k])
    e = np.exp(z - top[:, None])
    total = e[:, 0].copy()
    for k in range(1, e.shape[1]):
        total += e[:, k]
    return e / total[:, None]


def sample_choice(probs, u):
    """Index of the category whose cumulative probability first exceeds ``u``; (N,) int."""
    cum = probs[:, 0].copy()
    choice = (u >= cum).astype(np.int64)
    for k in range(1, probs.shape[1] - 1):
        cum += probs[:, k]
        choice += u >= cum
    return choice


# ----------------------------------------------------------------------------------- phase 2: monitoring
def monitoring_rates(regime, access, us_attention):
    """(detect incident, detect probe, attribute) probabilities per scenario, each (N,).

    Detection scales with monitors' access; US-led ISR also with US attention (half of it fixed).
    """
    table = np.take(MONITORING_TABLE, regime, axis=0)  # faster than fancy indexing of rows
    isr = np.where(regime == REGIME.US_LED, 0.5 + 0.5 * us_attention, 1.0)
    scale = access * isr
    return table[:, 0] * scale, table[:, 1] * scale, table[:, 2] * np.where(regime == REGIME.NONE, 0.0, 1.0)


def warning_factor(regime, access):
    """Factor (>= 1) by which the monitoring regime's strategic warning raises the defence of an offensive; (N,)."""
    return 1.0 + np.take(WARNING_BY_REGIME, regime) * access


def monitor(action, det_incident, det_probe, attribution, u_detect, u_attribute):
    """Detected and attributed violations (N,) bool each. An offensive is always both."""
    p_detect = np.where(action == ACTION.INCIDENTS, det_incident, np.where(action == ACTION.PROBE, det_probe, 0.0))
    offensive = action >= ACTION.OFFENSIVE
    detected = offensive | ((action >= ACTION.INCIDENTS) & (u_detect < p_detect))
    attributed = offensive | (detected & (u_attribute < attribution))
    return detected, attributed


# -------------------------------------------------------------------------------------- phase 3: Ukraine
def ukraine_retaliates(action, posture, u):
    """Ukraine returns fire after incidents or a probe with probability ``posture``; (N,) bool."""
    return (action >= ACTION.INCIDENTS) & (action <= ACTION.PROBE) & (u < posture)


def tension_update(tension, action, retaliated, persistence, retaliation_tension):
    """Escalation pressure: decays, rises with Russia's violations and Ukraine's retaliation; (N,) >= 0."""
    return tension * persistence + np.take(TENSION_BY_ACTION, action) + retaliation_tension * retaliated


# ----------------------------------------------------------------------------------- phase 4: guarantors
def us_acts(triggered, act_prob, u):
    """The US backstop activates on a triggering attack with its true probability of acting; (N,) bool."""
    return triggered & (u < act_prob)


def offensive_meets_troops_probability(coverage):
    """Probability that an offensive meets forward coalition troops: it spans 1 / PROBE_SECTOR_SHARE sectors of the
    line, each covered with probability ``coverage`` (the share of the line forward troops hold); (N,)."""
    return 1.0 - (1.0 - coverage) ** (1.0 / PROBE_SECTOR_SHARE)


def attack_meets_troops(action, u, p_hit, p_meet_offensive):
    """A Russian attack met coalition troops (N,) bool: a probe with probability ``p_hit``, an offensive with
    ``p_meet_offensive``."""
    return u < np.where(action == ACTION.PROBE, p_hit, np.where(action == ACTION.OFFENSIVE, p_meet_offensive, 0.0))


def troops_fire_back(hit, u, automaticity):
    """Attacked coalition troops fight back (tripwire) with probability ``automaticity``; (N,) bool."""
    return hit & (u < automaticity)


def coalition_decision_starts(triggered, action, pending_day, coalition_members):
    """A probe attributed to Russia puts a coalition decision in motion (one at a time, members left); (N,) bool."""
    return triggered & (action == ACTION.PROBE) & (pending_day < 0) & (coalition_members > 0)


def member_act_probability(member_resolve, binding, support, hit, automaticity, us_acted, coordination):
    """Each member's probability of being willing to respond; (k, M).

    Resolve strengthened by binding obligations, scaled by domestic support (half fixed), made more automatic
    when the member's troops were attacked (tripwire) and more likely when the US acted on the same attack
    (coordination).
    """
    p = act_probability(member_resolve, binding[:, None]) * (0.5 + 0.5 * support)
    p = np.where(hit[:, None], 1.0 - (1.0 - p) * (1.0 - automaticity[:, None]), p)
    return np.where(us_acted[:, None], 1.0 - (1.0 - p) * (1.0 - coordination[:, None]), p)


def coordinated(p_act, coordination):
    """Probability of acting once coordination with the other guarantor removes that share of the reluctance."""
    return 1.0 - (1.0 - p_act) * (1.0 - coordination)


def us_act_probability(resolve, binding, attention, committed, hit, coordination):
    """Probability that the US acts on a trigger (any shape broadcasting resolve against (k, 1) or (k,) rest):
    act(resolve, binding) x attention x pledge in force, and more automatic when coalition troops were attacked."""
    p = act_probability(resolve, binding) * attention * committed
    return np.where(hit, 1.0 - (1.0 - p) * (1.0 - coordination), p)


def _col(x):
    """A per-scenario (k,) array as a (k, 1) column, to broadcast against the resolve grid (or cases); an array
    that already has that second axis as it is."""
    x = np.asarray(x)
    return x[:, None] if x.ndim == 1 else x


def coalition_response_probability(resolve, binding, support, active_members, rule, correlation, veto_propensity,
                                   hit, automaticity, us_acted, coordination):
    """Probability that the coalition responds, as a model of its decision that Russia can evaluate (k, G) for
    resolve (k, G) or (k, 1) and per-scenario (k,) inputs (``hit`` and ``us_acted`` may vary along the second axis
    too: (k, G), (1, G)): every active member at the same resolve and at the mean
    support, the correlated-willingness mixture integrated exactly (given the common shock, members are
    independent), then the decision rule (lead nation, majority, unanimity with vetoes)."""
    p = act_probability(resolve, _col(binding)) * (0.5 + 0.5 * _col(support))
    p = np.where(_col(hit), 1.0 - (1.0 - p) * (1.0 - _col(automaticity)), p)
    p = np.where(_col(us_acted), 1.0 - (1.0 - p) * (1.0 - _col(coordination)), p)
    respond = np.array(p, dtype=np.float64)  # the lead nation decides by its own willingness
    rule = np.asarray(rule)
    # The collective rules only on the rows that use them (most runs have one rule): the same value per element.
    for code in (RULE.MAJORITY, RULE.UNANIMITY):
        rows = np.flatnonzero(rule == code)
        if rows.size:
            respond[rows] = _collective_response(code, p[rows], _col(correlation)[rows], _col(active_members)[rows],
                                                 _col(veto_propensity)[rows])
    return np.where(_col(active_members) > 0, respond, 0.0)


def _collective_response(rule, p, rho, n, veto):
    """The correlated-willingness mixture integrated exactly under a majority or unanimity ``rule``: given the
    common shock (below p with probability p) each of the ``n`` members is willing with q_high, else q_low."""
    q_high, q_low = rho + (1.0 - rho) * p, (1.0 - rho) * p
    if rule == RULE.MAJORITY:  # more than half of the active members willing: P(X > floor(n / 2))
        half = np.floor(n / 2.0)
        return p * special.bdtrc(half, n, q_high) + (1.0 - p) * special.bdtrc(half, n, q_low)
    # The exponent as floats of p's shape: numpy's power takes another code path (rounding differently) for an
    # integer exponent in a one-element array, and the drivers must agree exactly whatever the number of rows.
    n = np.ascontiguousarray(np.broadcast_to(n, p.shape), dtype=np.float64)
    return p * (1.0 - (1.0 - q_high) * veto) ** n + (1.0 - p) * (1.0 - (1.0 - q_low) * veto) ** n


def member_willingness(p_willing, active, correlation, u_common, u_pick, u_own):
    """Willing members (k, M): each follows the common shock with prob ``correlation``, else its own draw.

    The mixture keeps each member's marginal probability exact while correlating members' choices.
    """
    u = np.where(u_pick < correlation[:, None], u_common[:, None], u_own)
    return active & (u < p_willing)


def coalition_decision(rule, willing, active, u_veto, veto_propensity):
    """Coalition response under its decision rule; returns (responds (k,), participates (k, M)).

    Lead nation: the first active member decides and willing members join. Majority: more than half of the
    active members willing; willing members act. Unanimity: no unwilling member blocks (each blocks with
    ``veto_propensity``); then every active member takes part (broader, more cohesive).
    """
    n_active = active.sum(axis=1)
    lead = np.argmax(active, axis=1)
    lead_willing = willing[np.arange(len(rule)), lead] & (n_active > 0)
    majority = 2 * willing.sum(axis=1) > n_active
    blocks = active & ~willing & (u_veto < veto_propensity[:, None])
    unanimous = (n_active > 0) & ~blocks.any(axis=1)
    responds = np.select([rule == RULE.LEAD_NATION, rule == RULE.MAJORITY], [lead_willing, majority],
                         unanimous)
    joins = np.where((rule == RULE.UNANIMITY)[:, None], active, willing)
    return responds, responds[:, None] & joins


def decision_delay(rule, lead_days, majority_days, unanimity_days):
    """Days from trigger to the coalition's decision under each scenario's rule; (N,) int."""
    return np.select([rule == RULE.LEAD_NATION, rule == RULE.MAJORITY], [lead_days, majority_days],
                     unanimity_days)


# -------------------------------------------------------------------------------------- phase 5: combat
def engagement_forces(action, ru_strength_k, probe_share, offensive_share, ua_strength_k, local_share,
                      front_share, fired_back, quality, forward_k):
    """Forces in an engagement (thousand troops; (k,) each): Russia's (red), Ukraine's, and the defenders' total
    (blue): Ukraine plus coalition troops that fired back, of which a probe meets one sector (PROBE_SECTOR_SHARE)."""
    probe = action == ACTION.PROBE
    red = np.where(probe, probe_share, offensive_share) * ru_strength_k
    ua = np.where(probe, local_share, front_share) * ua_strength_k
    blue = ua + fired_back * quality * forward_k * np.where(probe, PROBE_SECTOR_SHARE, 1.0)
    return red, ua, blue


def defender_attrition_rate(attrition_rate, action, us_acted, us_capability):
    """Defenders' Lanchester rate: US engagement on an offensive multiplies it (air power, intelligence); (k,)."""
    return attrition_rate * np.where((action == ACTION.OFFENSIVE) & us_acted, us_capability, 1.0)


def engagement_geometry_km(action, probe_frontage, offensive_frontage, probe_advance, offensive_advance):
    """Frontage and full advance (km; (k,) each) of a probe or an offensive."""
    probe = action == ACTION.PROBE
    return np.where(probe, probe_frontage, offensive_frontage), np.where(probe, probe_advance, offensive_advance)


def ukraine_losses_k(blue_before, blue_after, ua_before):
    """Ukraine's share of the defenders' losses, in proportion to its share of the defending force; (k,)."""
    return (blue_before - blue_after) * ua_before / np.maximum(blue_before, 1e-300)


def lanchester_square(red, blue, red_rate, blue_rate, days):
    """Exact solution of Lanchester's square law over ``days``; returns (red, blue) after, clipped at 0.

    dR/dt = -blue_rate * B and dB/dt = -red_rate * R, so red_rate * R^2 - blue_rate * B^2 is conserved;
    the side with the smaller fighting strength is annihilated when the invariant says so.
    """
    g = np.sqrt(red_rate * blue_rate)
    ch, sh = np.cosh(g * days), np.sinh(g * days)
    r_ratio = np.sqrt(blue_rate / np.maximum(red_rate, 1e-300))
    b_ratio = np.sqrt(red_rate / np.maximum(blue_rate, 1e-300))
    red_t = red * ch - r_ratio * blue * sh
    blue_t = blue * ch - b_ratio * red * sh
    invariant = red_rate * red**2 - blue_rate * blue**2
    red_out = np.where(red_t <= 0, 0.0, np.where(blue_t <= 0, np.sqrt(np.maximum(invariant, 0) / np.maximum(
        red_rate, 1e-300)), red_t))
    blue_out = np.where(blue_t <= 0, 0.0, np.where(red_t <= 0, np.sqrt(np.maximum(-invariant, 0) / np.maximum(
        blue_rate, 1e-300)), blue_t))
    # Neither side ever gains troops; sqrt(invariant / rate) can exceed the start by a rounding error when the
    # other side is 0 (e.g. Russia at zero strength), which made the survivor's losses slightly negative.
    return np.minimum(red_out, red), np.minimum(blue_out, blue)


def ground_taken_km2(red, blue, red_rate, blue_rate, frontage_km, advance_km):
    """Ground the attacker takes in an engagement: frontage times advance scaled by square-law superiority."""
    superiority = 1.0 - blue_rate * blue**2 / np.maximum(red_rate * red**2, 1e-300)
    return frontage_km * advance_km * np.clip(superiority, 0.0, 1.0)


# ------------------------------------------------------------------------------------ phase 7: slow variables
def sanctions_update(sanctions, decay_per_day, attributed, action, snapback):
    """Sanctions pressure after a day, in [0, 1]: decays, snaps back after an attributed probe
    (SNAPBACK_SHARE of ``snapback``), and returns to full pressure on an offensive; (N,)."""
    snap = attributed * SNAPBACK_SHARE[action] * snapback
    updated = sanctions * (1.0 - decay_per_day) + snap
    return np.where(action == ACTION.OFFENSIVE, 1.0, np.minimum(updated, 1.0))


def strength_update(strength_k, losses_k, gain_k):
    """Strength after a day's losses and regeneration, never below 0 (thousand troops); (N,)."""
    return np.maximum(strength_k - losses_k + gain_k, 0.0)


def ewma_update(value, persistence, observation):
    """Exponentially weighted moving average after one more observation; (N,)."""
    return value * persistence + (1.0 - persistence) * observation


def ukraine_capacity_update(capacity_k, aid_k_per_day, investment_bn_per_day, investment_to_capacity):
    """Capacity Ukraine regenerates towards (thousand troops): grows with aid and with investment; (N,)."""
    return capacity_k + aid_k_per_day + investment_bn_per_day * investment_to_capacity


def member_pressure(violence_sensitivity, violence, us_shock, us_failed):
    """Support every member of a scenario loses today (N,) float32: recent violence, and the shock of a US
    failure to act."""
    return (violence_sensitivity * violence + us_shock * us_failed).astype(np.float32)


def decision_support_loss(active, joins, responds, strain_shock, reneging_cost, binding):
    """Support each member loses for a coalition decision (k, M): ``strain_shock`` if outvoted or left out of a
    response; ``reneging_cost`` times ``binding`` for every active member when the coalition declines (its public
    sees a binding promise broken)."""
    left_out = active & ~joins & responds[:, None]
    reneged = active & ~responds[:, None]
    return strain_shock[:, None] * left_out + (reneging_cost * binding)[:, None] * reneged


def strain_support(support, loss):
    """Support (k, M) after a decision's losses, in [0, 1]."""
    return np.clip(support - loss, 0.0, 1.0)


def deployment_share(day, initial_share, deploy_days):
    """Share of the force in the country on ``day``: a linear ramp from ``initial_share`` to 1 over
    ``deploy_days``; (N,)."""
    ramp = np.minimum(1.0, day / np.maximum(deploy_days, 1e-9))
    return np.where(deploy_days > 0, initial_share + (1.0 - initial_share) * ramp, 1.0)


def members_staying(active, support, exit_threshold):
    """Members still deployed (N, M): active and with support at or above the exit threshold."""
    return active & (support >= exit_threshold.astype(np.float32)[:, None])


def review_lapses(day, review_day, lapse, u):
    """The US commitment lapses at a review held today with probability ``lapse``; (N,) bool."""
    return (review_day == day) & (review_day > 0) & (u < lapse)


def decay_factor(halflife_days):
    """Daily persistence of an exponentially weighted average with the given half-life."""
    return 0.5 ** (1.0 / halflife_days)


def cohesion(members, initial_members):
    """Share of the coalition's initial members still deployed; (N,) in [0, 1]."""
    return members / np.maximum(initial_members, 1)


def troop_share(troops_k, initial_troops_k):
    """Share of the initial coalition force still deployed (0 when there was none); (N,) in [0, 1]."""
    share = troops_k / np.maximum(initial_troops_k, 1e-9)
    return np.where(initial_troops_k > 0, share, 0.0)


def guarantee_index(p_us, p_coalition):
    """Probability that at least one guarantor acts, as the public believes; in [0, 1]."""
    return 1.0 - (1.0 - p_us) * (1.0 - p_coalition)


def security_index(guarantee, violence, violence_scale):
    """Investors' security index: the guarantee discounted by recent violence; in [0, 1]."""
    return guarantee * np.exp(-violence / violence_scale)


def reassurance_index(p_us, p_coalition, troop_share, collapsed):
    """Eastern-flank reassurance: guarantee credibility with the force still in place; halves on collapse."""
    return guarantee_index(p_us, p_coalition * troop_share) * np.where(collapsed, 0.5, 1.0)


def investment_flow(security, max_bn_per_day, elasticity):
    """Reconstruction investment per day ($bn), rising with security."""
    return max_bn_per_day * security**elasticity


def member_support_update(support, baseline, recovery, cost_per_day, pressure, active):
    """Members' domestic support (N, M) after a day: reverts to baseline at ``recovery`` (N,) per day, eroded by
    each member's deployment cost (N, M) and by the scenario's common ``pressure`` (N,): violence and shocks.
    Withdrawn members (``active`` False) keep the support they left with."""
    new = baseline - support  # a fresh array, updated in place: this is the step's largest (N, M) computation
    new *= recovery[:, None]
    new -= cost_per_day
    new += support
    new -= pressure[:, None]
    np.clip(new, 0.0, 1.0, out=new)
    return np.where(active, new, support)  # faster than a masked copy into ``new``


def attention_update(attention, mean, reversion, volatility, u):
    """US attention: mean-reverting random walk with uniform shocks of the given standard deviation."""
    shock = volatility * np.sqrt(12.0) * (u - 0.5)
    return np.clip(attention + reversion * (mean - attention) + shock, 0.0, 1.0)


# ------------------------------------------------------------------------------- phase 8: escalation, status
def escalation_level(action, clash, escalated):
    """Today's rung of the ladder (codes.Level): war after an offensive or an escalated clash, a contained clash
    when attacked guarantor troops fought, else Russia's daily action."""
    return np.where((action == ACTION.OFFENSIVE) | escalated, LEVEL.WAR, np.where(clash, LEVEL.CLASH, action))


def collapse_today(level, collapse_level, fighting, spiral_share):
    """The ceasefire collapses today (N,) bool: war (or a rung at or above ``collapse_level``), or a spiral: the
    recent share of fighting days has reached ``spiral_share``."""
    return (level >= collapse_level) | (level >= LEVEL.WAR) | (fighting >= spiral_share)


def failure_mode(action, escalated, level, collapse_level):
    """How a collapse came about: a deliberate offensive, a clash that escalated (or, with collapse_level at the
    clash rung, any clash), else a spiral of sustained fighting; (N,) codes.FailureMode."""
    clash = escalated | ((level == LEVEL.CLASH) & (level >= collapse_level))
    return np.where(action == ACTION.OFFENSIVE, FAILURE.OFFENSIVE,
                    np.where(clash, FAILURE.CLASH, FAILURE.SPIRAL))
