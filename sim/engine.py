"""The step: state, parameters and the eight phases of one day, shared by the batch engine and Mesa.

One time step (a day) runs these phases, in this order (the only place the order is written):

1. ``phase_russia``      Russia chooses hold / incidents / probe / offensive by logit expected utility,
                         from its beliefs, the local balance (denial), sanctions, the power shift and the
                         information value of probing.
2. ``phase_monitoring``  monitors detect and attribute the violation (regime, access, US attention).
3. ``phase_ukraine``     Ukraine retaliates or shows restraint; tension (the spiral) updates.
4. ``phase_guarantors``  the US backstop acts on an attributed attack by its true resolve and attention;
                         attacked coalition troops fire back (tripwire); coalition decisions are started
                         and, after the rule's delay, taken member by member under the decision rule.
5. ``phase_combat``      Lanchester square-law engagement of a probe or offensive; ground changes hands.
6. ``phase_learning``    Russia's Beta beliefs about US and coalition resolve update from responses seen.
7. ``phase_slow``        sanctions, regeneration and aid, recent violence, security index and
                         reconstruction investment, members' support and withdrawal, US attention, review.
8. ``phase_status``      escalation level, counters, collapse (level >= collapse_level) and its mode.

Every phase reads and writes fields of a ``State`` (arrays with a leading scenario axis) and of a
``Today`` (the day's intermediate results, typed fields; ``sim.state``). Every equation is a named rule of
``sim.rules``; this module only wires rules to state. It imports rules, random streams and state, never the
configuration: ``sim.design`` turns a ``Config`` into ``Params``. Phases never modify an array in place: they
rebind fields to new arrays, so ``step`` is a pure function of (state, params, streams, day). The Mesa agents
call these same phase functions on a one-scenario state.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim import rules as R
from sim.codes import Action, Level
from sim.rng import Streams
from sim.state import Params, State, Today, refresh_coalition


# ------------------------------------------------------------------------------------- derived values
def believed_us(state: State, p: Params, day: int) -> np.ndarray:
    """Russia's expected probability that the US acts on the backstop when triggered; (N,)."""
    rf = R.review_factor(day, p.us.review_day, p.us.review_lapse, p.us.review_window_days)
    return (R.act_probability(R.beta_mean(state.us_a, state.us_b), p.us.binding)
            * state.us_attention * state.us_committed * rf)


def us_true_act_probability(state: State, p: Params) -> np.ndarray:
    """True probability that the US acts when triggered today; (N,)."""
    return R.act_probability(p.us.resolve, p.us.binding) * state.us_attention * state.us_committed


def cohesion(state: State) -> np.ndarray:
    """Share of the coalition's initial members still deployed; (N,) in [0, 1]."""
    return R.cohesion(state.coalition_members, state.initial_members)


def coalition_troops(state: State) -> np.ndarray:
    """Coalition troops still deployed (thousand); (N,)."""
    return state.coalition_troops_k


def believed_coalition(state: State, p: Params) -> np.ndarray:
    """Russia's expected probability that the coalition responds when triggered; (N,)."""
    return R.act_probability(R.beta_mean(state.co_a, state.co_b), p.coalition.binding) * cohesion(state)


def security(state: State, p: Params) -> np.ndarray:
    """Security index (investors' view): public guarantee beliefs discounted by recent violence; (N,)."""
    p_us = R.act_probability(R.beta_mean(state.us_a, state.us_b), p.us.binding) * state.us_committed
    guarantee = R.guarantee_index(p_us, believed_coalition(state, p))
    return R.security_index(guarantee, state.violence, p.reconstruction.violence_scale)


def reassurance(state: State, p: Params) -> np.ndarray:
    """Eastern-flank reassurance index; (N,) in [0, 1]."""
    p_us = R.act_probability(R.beta_mean(state.us_a, state.us_b), p.us.binding) * state.us_committed
    p_co = R.act_probability(R.beta_mean(state.co_a, state.co_b), p.coalition.binding)
    return R.reassurance_index(p_us, p_co, R.troop_share(coalition_troops(state), state.initial_troops_k),
                               state.collapsed)


# ------------------------------------------------------------------------------------------- initial state
def initial_state(p: Params, streams: Streams) -> State:
    """The state at the ceasefire (day 0) for the scenarios of ``streams``."""
    n, m = len(streams.scenarios), p.member_slots
    zeros_i = np.zeros(n, dtype=np.int64)
    co = p.coalition
    troops, exists = R.member_contributions(co.members, m, co.troops_k)
    resolve = R.spread_around(co.resolve, co.resolve_spread, streams.uniform("member_resolve", 0, slots=m))
    baseline = R.spread_around(co.support, co.support_spread, streams.uniform("member_support", 0, slots=m))
    cost = R.member_cost_per_day(co.cost_sensitivity, streams.uniform("member_cost", 0, slots=m))
    us_a, us_b = R.beta_prior(p.us.credibility, p.russia.prior_concentration)
    co_a, co_b = R.beta_prior(co.credibility, p.russia.prior_concentration)
    active = exists & (baseline >= co.exit_threshold[:, None])
    troops = np.where(active, troops, 0.0).astype(np.float32)
    return State(
        scenario=streams.scenarios.astype(np.int64),
        ru_strength_k=p.russia.strength_k.astype(np.float64),
        sanctions=p.russia.sanctions_initial.astype(np.float64),
        us_a=us_a, us_b=us_b, co_a=co_a, co_b=co_b,
        ua_strength_k=p.ukraine.strength_k.astype(np.float64),
        ua_capacity_k=p.ukraine.capacity_k.astype(np.float64),
        territory_km2=np.zeros(n), investment_total_bn=np.zeros(n),
        member_troops_k=troops, member_support=np.where(exists, baseline, 0.0).astype(np.float32),
        member_active=active, member_resolve=resolve, member_baseline=baseline.astype(np.float32),
        member_cost=cost.astype(np.float32),
        coalition_troops_k=troops.sum(axis=1).astype(np.float64),
        coalition_members=np.count_nonzero(active, axis=1).astype(np.int64),
        initial_members=np.count_nonzero(active, axis=1).astype(np.int64),
        initial_troops_k=troops.sum(axis=1).astype(np.float64),
        co_decision_day=np.full(n, -1, dtype=np.int64), co_decision_hit=np.zeros(n, dtype=bool),
        us_attention=p.us.attention.astype(np.float64), us_committed=np.ones(n, dtype=bool),
        tension=np.zeros(n), violence=np.zeros(n),
        level=zeros_i.copy(), max_level=zeros_i.copy(), max_level_day=zeros_i.copy(),
        collapsed=np.zeros(n, dtype=bool), collapse_day=np.full(n, -1, dtype=np.int64),
        failure_mode=zeros_i.copy(),
        **{name: zeros_i.copy() for name in (
            "violations", "incidents", "probes", "detected", "attributed", "answered", "retaliations",
            "us_activations", "us_nonresponses", "co_responses", "co_nonresponses", "clashes")},
    )


# ------------------------------------------------------------------------------------------------ phases
def phase_russia(s: State, p: Params, rng: Streams, t: Today) -> None:
    """1. Russia weighs hold, incidents, probe and offensive and draws its action (logit choice).

    It anticipates today's monitoring and the coalition's decision delay, which phases 2 and 4 then apply
    (``Today.det_incident``, ``det_probe``, ``attribution``, ``decision_delay_days``, ``p_hit``).
    """
    day, ru, ua, co, us = t.day, p.russia, p.ukraine, p.coalition, p.us
    troops = coalition_troops(s)
    forward = co.forward_share * troops
    b_us = believed_us(s, p, day)
    b_co = believed_coalition(s, p)
    # Denial: the local balance an offensive would meet now, and after the projected power shift.
    attack = ru.offensive_share * s.ru_strength_k
    defence = R.local_defence_k(ua.front_share, s.ua_strength_k, co.quality, troops)
    p_quick = R.quick_win_probability(attack, defence, ru.quick_win_ratio, ru.quick_win_steepness)
    ru_gain = R.regeneration(s.ru_strength_k, ru.capacity_k, ru.regen_per_day, ru.sanctions_drag * s.sanctions)
    ua_gain = R.regeneration(s.ua_strength_k, s.ua_capacity_k, ua.regen_per_day, 0.0)
    shift = R.power_shift_rate(s.ru_strength_k, ru_gain, defence, ua.front_share * ua_gain)
    p_quick_later = R.quick_win_probability(attack, defence, ru.quick_win_ratio, ru.quick_win_steepness,
                                            shift * ru.foresight_days)
    # Expected responses (Russia's beliefs); attacked forward troops make the coalition's more automatic.
    us_cost, co_cost = R.expected_response_costs(ru.response_cost_us, us.capability, ru.response_cost_coalition,
                                                 troops)
    tension_push = ru.tension_weight * s.tension
    offensive = R.offensive_utility(
        p_quick, p_quick_later, ru.value_of_gains, ru.long_war_share, ru.long_war_cost, ru.preventive_weight,
        ru.status_quo_value, b_us * us_cost + R.tripwire_belief(b_co, co.tripwire_automaticity, forward) * co_cost,
        ru.sanctions_weight, tension_push)
    t.det_incident, t.det_probe, t.attribution = R.monitoring_rates(p.monitoring.regime, p.monitoring.access,
                                                                    s.us_attention)
    t.decision_delay_days = R.decision_delay(co.decision_rule, co.lead_delay_days, co.majority_delay_days,
                                             co.unanimity_delay_days)
    probe_response = R.probe_response_cost(ru.sanctions_weight, ru.sanctions_snapback, ru.probe_response_share,
                                           b_us, us_cost, b_co, co_cost, t.decision_delay_days,
                                           co.delay_discount_days)
    info = R.probe_information_value(ru.info_weight, ru.value_of_gains, R.beta_sd(s.us_a, s.us_b),
                                     R.beta_sd(s.co_a, s.co_b))
    t.p_hit = R.probe_hit_probability(R.coalition_coverage(forward, co.line_cover_k), ru.avoidance)
    utilities = R.russia_utilities(
        incident_value=ru.incident_value, probe_value=ru.probe_value, offensive=offensive,
        info_value=info, tension_push=tension_push,
        retaliation_cost=ua.retaliation * ru.retaliation_cost,
        attribution_incident=t.det_incident * t.attribution, attribution_probe=t.det_probe * t.attribution,
        incident_cost=ru.incident_cost, probe_response_cost=probe_response,
        clash_risk_cost=t.p_hit * co.tripwire_automaticity * ru.clash_cost)
    t.probs = R.logit_probabilities(utilities, ru.rationality)
    t.action = R.sample_choice(t.probs, rng.uniform("russia_action", day))


def phase_monitoring(s: State, p: Params, rng: Streams, t: Today) -> None:
    """2. Monitors detect and attribute today's violation."""
    t.detected, t.attributed = R.monitor(t.action, t.det_incident, t.det_probe, t.attribution,
                                         rng.uniform("detect", t.day), rng.uniform("attribute", t.day))


def phase_ukraine(s: State, p: Params, rng: Streams, t: Today) -> None:
    """3. Ukraine retaliates or holds back; the escalation spiral's tension updates."""
    t.retaliated = R.ukraine_retaliates(t.action, p.ukraine.retaliation, rng.uniform("retaliate", t.day))
    s.tension = R.tension_update(s.tension, t.action, t.retaliated, p.russia.tension_persistence,
                                 p.ukraine.retaliation_tension)


def phase_guarantors(s: State, p: Params, rng: Streams, t: Today) -> None:
    """4. US backstop, tripwire fire, and coalition decisions under the decision rule."""
    day, action, co = t.day, t.action, p.coalition
    triggered = t.attributed & (action >= Action.PROBE)
    t.us_acted = R.us_acts(triggered, us_true_act_probability(s, p), rng.uniform("us_act", day))
    t.us_failed = triggered & ~t.us_acted
    t.hit = R.attack_meets_troops(action, rng.uniform("tripwire", day), t.p_hit,
                                  co.forward_share * coalition_troops(s))
    t.fired_back = R.troops_fire_back(t.hit, rng.uniform("fire_back", day), co.tripwire_automaticity)
    t.co_started = R.coalition_decision_starts(triggered, action, s.co_decision_day, s.coalition_members)
    s.co_decision_day = np.where(t.co_started, day + t.decision_delay_days, s.co_decision_day)
    s.co_decision_hit = np.where(t.co_started, t.hit, s.co_decision_hit)
    t.co_decided = s.co_decision_day == day
    n = len(s.scenario)
    t.co_responded = np.zeros(n, dtype=bool)
    t.co_participants = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(t.co_decided)
    if rows.size:
        # Member-level decisions only where a decision falls due today.
        m = s.member_active.shape[1]
        rule = co.decision_rule[rows]
        active = s.member_active[rows]
        p_willing = R.member_act_probability(s.member_resolve[rows], co.binding[rows], s.member_support[rows],
                                             s.co_decision_hit[rows], co.tripwire_automaticity[rows])
        willing = R.member_willingness(
            p_willing, active, co.correlation[rows], rng.uniform("co_common", day, rows=rows),
            rng.uniform("co_pick", day, slots=m, rows=rows), rng.uniform("co_own", day, slots=m, rows=rows))
        responds, joins = R.coalition_decision(rule, willing, active, rng.uniform("co_veto", day, slots=m,
                                                                                  rows=rows),
                                               co.veto_propensity[rows])
        # Members outvoted or left out lose support; applied with the day's support update (phase 7).
        t.strain = (rows, active & ~joins & responds[:, None])
        t.co_responded[rows] = responds
        t.co_participants[rows] = joins.sum(axis=1)
        s.co_decision_day = np.where(t.co_decided, -1, s.co_decision_day)
    # Direct clash: attacked coalition troops fought, or the US engaged a renewed offensive.
    t.level = R.escalation_level(action, t.fired_back | (t.us_acted & (action == Action.OFFENSIVE)))


def phase_combat(s: State, p: Params, rng: Streams, t: Today) -> None:
    """5. Lanchester square-law engagement of a probe or an offensive; ground changes hands."""
    n = len(s.scenario)
    t.ground_km2, t.ru_losses_k, t.ua_losses_k = np.zeros(n), np.zeros(n), np.zeros(n)
    rows = np.flatnonzero(t.action >= Action.PROBE)  # fighting is rare: compute it only where it happens
    if rows.size == 0:
        return
    ru, ua, co = p.russia, p.ukraine, p.coalition
    action = t.action[rows]
    red, ua_k, blue = R.engagement_forces(
        action, s.ru_strength_k[rows], ru.probe_share[rows], ru.offensive_share[rows], s.ua_strength_k[rows],
        ua.local_share[rows], ua.front_share[rows], t.fired_back[rows], co.quality[rows],
        co.forward_share[rows] * s.coalition_troops_k[rows])
    red_rate = ru.attrition_rate[rows]
    blue_rate = R.defender_attrition_rate(ua.attrition_rate[rows], action, t.us_acted[rows], p.us.capability[rows])
    red_after, blue_after = R.lanchester_square(red, blue, red_rate, blue_rate, R.ENGAGEMENT_DAYS)
    frontage, advance = R.engagement_geometry_km(action, ru.probe_frontage_km[rows], ru.offensive_frontage_km[rows],
                                                 ru.probe_advance_km[rows], ru.offensive_advance_km[rows])
    t.ground_km2[rows] = R.ground_taken_km2(red, blue, red_rate, blue_rate, frontage, advance)
    t.ru_losses_k[rows] = red - red_after
    t.ua_losses_k[rows] = R.ukraine_losses_k(blue, blue_after, ua_k)
    s.territory_km2 = s.territory_km2 - t.ground_km2


def phase_learning(s: State, p: Params, rng: Streams, t: Today) -> None:
    """6. Russia updates its Beta beliefs from the responses and non-responses it saw."""
    t.beliefs_before = (R.beta_mean(s.us_a, s.us_b), R.beta_mean(s.co_a, s.co_b))
    s.us_a, s.us_b = R.beta_update(s.us_a, s.us_b, t.us_acted, t.us_failed)
    co_failed = t.co_decided & ~t.co_responded
    s.co_a, s.co_b = R.beta_update(s.co_a, s.co_b, t.co_responded, co_failed)


def phase_slow(s: State, p: Params, rng: Streams, t: Today) -> None:
    """7. Sanctions, regeneration and aid, violence memory, investment, members' support, US attention."""
    day, action, ru, ua, co, us = t.day, t.action, p.russia, p.ukraine, p.coalition, p.us
    s.sanctions = R.sanctions_update(s.sanctions, ru.sanctions_decay_per_day, t.attributed, action,
                                     ru.sanctions_snapback)
    s.ru_strength_k = R.strength_update(s.ru_strength_k, t.ru_losses_k, R.regeneration(
        s.ru_strength_k, ru.capacity_k, ru.regen_per_day, ru.sanctions_drag * s.sanctions))
    s.violence = R.ewma_update(s.violence, R.decay_factor(p.reconstruction.violence_halflife_days), t.level)
    t.investment_bn_per_day = R.investment_flow(security(s, p), p.reconstruction.max_bn_per_day,
                                        p.reconstruction.elasticity)
    s.investment_total_bn = s.investment_total_bn + t.investment_bn_per_day
    s.ua_capacity_k = R.ukraine_capacity_update(s.ua_capacity_k, ua.aid_k_per_day, t.investment_bn_per_day,
                                                ua.investment_to_capacity)
    s.ua_strength_k = R.strength_update(s.ua_strength_k, t.ua_losses_k, R.regeneration(
        s.ua_strength_k, s.ua_capacity_k, ua.regen_per_day, 0.0))
    # Members: support moves with costs, violence and the US's behaviour; below the threshold, troops leave.
    pressure = R.member_pressure(co.violence_sensitivity, s.violence, co.us_shock, t.us_failed)
    support = R.member_support_update(s.member_support, s.member_baseline,
                                      co.support_recovery_per_day.astype(np.float32), s.member_cost, pressure,
                                      s.member_active)
    if t.strain is not None:
        rows, left_out = t.strain
        support[rows] = R.strain_support(support[rows], co.strain_shock[rows], left_out)
    s.member_support = support
    still = R.members_staying(s.member_active, s.member_support, co.exit_threshold)
    t.withdrew = s.member_active & ~still
    if t.withdrew.any():  # withdrawals are rare: touch only the rows that have one
        rows = np.unique(np.flatnonzero(t.withdrew) // t.withdrew.shape[1])
        troops = s.member_troops_k.copy()
        troops[rows] = np.where(still[rows], troops[rows], 0.0)
        s.member_active, s.member_troops_k = still, troops
        refresh_coalition(s, rows)
    s.us_attention = R.attention_update(s.us_attention, us.attention_mean, us.attention_reversion_per_day,
                                        us.attention_volatility, rng.uniform("us_attention", day))
    lapse = R.review_lapses(day, us.review_day, us.review_lapse, rng.uniform("us_review", day))
    t.us_lapsed = lapse & s.us_committed
    s.us_committed = s.us_committed & ~lapse


def phase_status(s: State, p: Params, rng: Streams, t: Today) -> None:
    """8. Escalation level, counters and collapse."""
    day, action, level = t.day, t.action, t.level
    s.level = level
    higher = level > s.max_level
    s.max_level = np.where(higher, level, s.max_level)
    s.max_level_day = np.where(higher, day, s.max_level_day)
    s.violations = s.violations + (action >= Action.INCIDENTS)
    s.incidents = s.incidents + (action == Action.INCIDENTS)
    s.probes = s.probes + (action == Action.PROBE)
    s.detected = s.detected + t.detected
    s.attributed = s.attributed + t.attributed
    s.answered = s.answered + (t.us_acted | t.co_responded)
    s.retaliations = s.retaliations + t.retaliated
    s.us_activations = s.us_activations + t.us_acted
    s.us_nonresponses = s.us_nonresponses + t.us_failed
    s.co_responses = s.co_responses + t.co_responded
    s.co_nonresponses = s.co_nonresponses + (t.co_decided & ~t.co_responded)
    s.clashes = s.clashes + (level == Level.CLASH)
    collapse = ~s.collapsed & (level >= p.collapse_level)
    s.collapsed = s.collapsed | collapse
    s.collapse_day = np.where(collapse, day, s.collapse_day)
    s.failure_mode = np.where(collapse, R.failure_mode(level, s.violence), s.failure_mode)


PHASES = (phase_russia, phase_monitoring, phase_ukraine, phase_guarantors, phase_combat, phase_learning,
          phase_slow, phase_status)


def step(state: State, p: Params, rng: Streams, day: int) -> tuple[State, Today]:
    """Advance every scenario of ``state`` by one day; returns the new state and the day's results."""
    s = replace(state)
    today = Today(day=day)
    for phase in PHASES:
        phase(s, p, rng, today)
    return s, today
