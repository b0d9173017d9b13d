"""The step: the eight phases of one day, shared by the batch engine and Mesa.

One time step (a day) runs these phases, in this order (the only place the order is written):

1. ``phase_russia``      on its strategic review days (one a month, ``russia.review_interval_days``) Russia weighs a
                         renewed offensive against the value of waiting: its type, the local balance (denial), its
                         beliefs about the guarantors' responses, sanctions and the persistent shock; it attacks when
                         the offensive is worth more (logit only a tremble). Every day it chooses hold, incidents or
                         a probe by logit expected utility (flows, with the information value of probing).
2. ``phase_monitoring``  monitors detect and attribute the violation (regime, access, US attention).
3. ``phase_ukraine``     Ukraine retaliates or shows restraint; tension updates.
4. ``phase_guarantors``  attacked coalition troops fire back (tripwire): a contained clash, which Russia escalates
                         into war or backs down from; the US backstop acts on an attributed attack by its true
                         resolve and attention (more surely when coalition troops were hit); coalition decisions are
                         started and, after the rule's delay, taken member by member under the decision rule.
5. ``phase_combat``      Lanchester square-law engagement of a probe or offensive; ground changes hands; responses
                         retake a probe's ground, less what consolidated while the coalition decided.
6. ``phase_learning``    Russia's grid posteriors over US and coalition resolve update from the responses it saw,
                         through the same models of acting that it knows (attention, binding, decision rule).
7. ``phase_slow``        sanctions, regeneration and aid, the force's deployment, the valuation shock, recent
                         violence and fighting, investment, members' support and withdrawal, US attention, review.
8. ``phase_status``      escalation level, counters, collapse (war, an escalated clash or a spiral) and its mode.

Every phase reads and writes fields of a ``State`` (arrays with a leading scenario axis) and of a
``Today`` (the day's intermediate results, typed fields; ``sim.state``). Every equation is a named rule of
``sim.rules``; this module only wires rules to state. It imports rules, random streams and state, never the
configuration: ``sim.design`` turns a ``Config`` into ``Params``. Phases never modify an array in place: they
rebind fields to new arrays, so ``step`` is a pure function of (state, params, streams, day). The Mesa agents
call these same phase functions on a one-scenario state.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from sim import rules as R
from sim.codes import ACTION, LEVEL
from sim.rng import Streams
from sim.state import Params, State, Today, refresh_coalition


# ------------------------------------------------------------------------------------- derived values
def belief_us(state: State) -> np.ndarray:
    """Russia's mean belief in US resolve; (N,)."""
    return state.us_mean


def belief_coalition(state: State) -> np.ndarray:
    """Russia's mean belief in coalition resolve; (N,)."""
    return state.co_mean


def refresh_beliefs(state: State, rows: np.ndarray | None = None, grids: tuple[str, ...] = ("us", "co")) -> None:
    """Recompute the moments of Russia's posteriors (for ``rows``, or all scenarios; the ``grids`` that changed)
    after an observation: beliefs change only when Russia sees a response, so the daily phases read the moments
    instead of the (N, G) grids."""
    rows = np.arange(len(state.scenario)) if rows is None else rows
    for grid in grids:
        m, s = getattr(state, f"{grid}_mean").copy(), getattr(state, f"{grid}_sd").copy()
        m[rows], s[rows] = R.grid_moments(getattr(state, f"belief_{grid}")[rows])
        setattr(state, f"{grid}_mean", m)
        setattr(state, f"{grid}_sd", s)


def believed_us(state: State, p: Params, day, rows: np.ndarray | None = None) -> np.ndarray:
    """Russia's expected probability that the US acts on the backstop when triggered on ``day`` (a day, or one per
    row); (N,), or (k,) for scenarios ``rows``."""
    rows = slice(None) if rows is None else rows
    us = p.us
    rf = R.review_factor(day, us.review_day[rows], us.review_lapse[rows], us.review_window_days[rows])
    return (R.act_probability(state.us_mean[rows], us.binding[rows]) * state.us_attention[rows]
            * state.us_committed[rows] * rf)


def us_true_act_probability(state: State, p: Params, hit: np.ndarray) -> np.ndarray:
    """True probability that the US acts when triggered today; (N,)."""
    return R.us_act_probability(p.us.resolve, p.us.binding, state.us_attention, state.us_committed, hit,
                                p.us.coordination)


def cohesion(state: State) -> np.ndarray:
    """Share of the coalition's initial members still deployed; (N,) in [0, 1]."""
    return R.cohesion(state.coalition_members, state.initial_members)


def coalition_troops(state: State) -> np.ndarray:
    """Coalition troops in the country (thousand): the members' contributions times the deployed share; (N,)."""
    return state.coalition_troops_k * state.deployed_share


def mean_member_support(state: State, rows: np.ndarray) -> np.ndarray:
    """Mean domestic support of the active members of scenarios ``rows``; (k,)."""
    active = state.member_active[rows]
    total = np.where(active, state.member_support[rows], 0.0).sum(axis=1, dtype=np.float64)
    return total / np.maximum(state.coalition_members[rows], 1)  # the count of active members, kept


def assess_coalition(state: State, p: Params, rows: np.ndarray, support: np.ndarray | None = None) -> np.ndarray:
    """Russia's assessed probability that the coalition answers a probe that meets no troops, without the US, for
    scenarios ``rows``; (k,). See ``coalition_outlook``."""
    return coalition_outlook(state, p, rows, np.zeros((1, 1), dtype=bool), np.zeros((1, 1), dtype=bool), support)[0]


def coalition_outlook(state: State, p: Params, rows: np.ndarray, hit: np.ndarray, us_acted: np.ndarray,
                      support: np.ndarray | None = None) -> np.ndarray:
    """Russia's assessed probability that the coalition responds, for scenarios ``rows`` in each of C cases: whether
    the attack meets coalition troops (``hit``) and whether the US acts on it (``us_acted``), each (1, C) bool (or
    (k, C)); returns (C, k).

    Its model of the decision (``rules.coalition_response_probability``) at its mean belief in coalition resolve,
    the members now active and their mean support (``support``, (k,), when the caller has it). Meeting troops makes
    members' response more automatic as far as Russia believes it (``russia.tripwire_belief``); the US acting draws
    them in (coordination)."""
    co = p.coalition
    support = mean_member_support(state, rows) if support is None else support
    # Every case in one evaluation: the cases along the axis that otherwise holds the resolve grid.
    return R.coalition_response_probability(
        belief_coalition(state)[rows, None], co.binding[rows], support, state.coalition_members[rows],
        co.decision_rule[rows], co.correlation[rows], co.veto_propensity[rows], hit,
        p.russia.tripwire_belief[rows] * co.tripwire_automaticity[rows], us_acted, p.us.coordination[rows]).T


def security(state: State, p: Params) -> np.ndarray:
    """Security index (investors' view): public guarantee beliefs discounted by recent violence; (N,)."""
    p_us = R.act_probability(belief_us(state), p.us.binding) * state.us_committed
    guarantee = R.guarantee_index(p_us, state.believed_co_response)
    return R.security_index(guarantee, state.violence, p.reconstruction.violence_scale)


def reassurance(state: State, p: Params) -> np.ndarray:
    """Eastern-flank reassurance index; (N,) in [0, 1]."""
    p_us = R.act_probability(belief_us(state), p.us.binding) * state.us_committed
    p_co = R.act_probability(belief_coalition(state), p.coalition.binding)
    return R.reassurance_index(p_us, p_co, R.troop_share(coalition_troops(state), state.initial_troops_k),
                               state.collapsed)


@dataclass
class Assessment:
    """Russia's weighing of a renewed offensive for some scenarios (utility; (k,) each)."""

    war: np.ndarray  # expected value of the war itself
    response: np.ndarray  # believed cost of the guarantors' responses
    utility: np.ndarray  # offensive utility relative to keeping the ceasefire
    waiting: np.ndarray  # value of waiting for the next review
    co_response: np.ndarray  # assessed probability that the coalition answers a probe (see assess_coalition)


def assess_offensive(s: State, p: Params, rows: np.ndarray, day: int, p_meet: np.ndarray) -> Assessment:
    """Russia's view of a renewed offensive today for scenarios ``rows``; ``p_meet`` (k,) is the probability that
    the attack meets coalition troops (then their members respond more surely, as far as Russia believes in the
    tripwire, and the US backs the force: coordination). The value of waiting looks one review ahead (the balance
    projected by today's power shift, the shock's expected decay, the US's review date)."""
    ru, ua, co, us = p.russia, p.ukraine, p.coalition, p.us
    interval = ru.review_interval_days[rows]
    troops = coalition_troops(s)[rows]
    attack = ru.offensive_share[rows] * s.ru_strength_k[rows]
    defence = R.local_defence_k(ua.front_share[rows], s.ua_strength_k[rows], co.quality[rows], troops) * \
        R.warning_factor(p.monitoring.regime[rows], p.monitoring.access[rows])
    ratio50, steep = ru.quick_win_ratio[rows], ru.quick_win_steepness[rows]
    ru_gain = R.regeneration(s.ru_strength_k[rows], ru.capacity_k[rows], ru.regen_per_day[rows],
                             ru.sanctions_drag[rows] * s.sanctions[rows])
    ua_gain = R.regeneration(s.ua_strength_k[rows], s.ua_capacity_k[rows], ua.regen_per_day[rows], 0.0)
    shift = R.power_shift_rate(s.ru_strength_k[rows], ru_gain, defence, ua.front_share[rows] * ua_gain)
    gains, war_cost, share = s.ru_gains[rows], s.ru_war_cost[rows], ru.long_war_share[rows]
    war_now = R.war_value(R.quick_win_probability(attack, defence, ratio50, steep), gains, share, war_cost)
    war_next = R.war_value(R.quick_win_probability(attack, defence, ratio50, steep, shift * interval), gains,
                           share, war_cost)
    us_cost, co_cost = R.expected_response_costs(ru.response_cost_us[rows], us.capability[rows],
                                                 ru.response_cost_coalition[rows], troops)
    response_now, response_next, co_response = _expected_response(s, p, rows, (day, day + interval), p_meet,
                                                                   us_cost, co_cost)
    persistence = s.shock_persistence[rows] ** interval
    utility = R.offensive_utility(war_now, s.ru_status_quo[rows], response_now, ru.sanctions_weight[rows],
                                  s.ru_shock[rows])
    next_mean = R.offensive_utility(war_next, s.ru_status_quo[rows], response_next, ru.sanctions_weight[rows],
                                    persistence * s.ru_shock[rows])
    next_sd = ru.shock_sd[rows] * np.sqrt(1.0 - persistence * persistence)
    discount = np.exp(-ru.discount_per_year[rows] * interval / 365.0)
    return Assessment(war_now, response_now, utility, R.waiting_value(next_mean, next_sd, discount), co_response)


def review_offensive(s: State, p: Params, rows: np.ndarray, day: int) -> Assessment:
    """Russia's weighing of a renewed offensive at a strategic review on ``day``, for scenarios ``rows``."""
    coverage = R.coalition_coverage(p.coalition.forward_share[rows] * coalition_troops(s)[rows],
                                    p.coalition.line_cover_k[rows])
    return assess_offensive(s, p, rows, day, R.offensive_meets_troops_probability(coverage))


def _expected_response(s: State, p: Params, rows: np.ndarray, days: tuple, p_meet: np.ndarray, us_cost: np.ndarray,
                       co_cost: np.ndarray) -> tuple[np.ndarray, ...]:
    """Believed cost of the guarantors' responses to an offensive on each of ``days`` (utility; (k,) each), averaged
    over whether it meets coalition troops (probability ``p_meet``); then the coalition's assessed answer to a probe
    (``assess_coalition``), a case of the same evaluation."""
    k = len(rows)
    b_us = [believed_us(s, p, when, rows) for when in days]
    totals = [np.zeros(k) for _ in days]
    # The four cases (meets troops or not; the US acts or not) in one evaluation, the same on every day.
    outlook = coalition_outlook(s, p, rows, np.array([[True, True, False, False]]),
                                np.array([[False, True, False, True]]))
    hits = (np.ones(k, dtype=bool), np.zeros(k, dtype=bool))
    for i, (hit, weight) in enumerate(zip(hits, (p_meet, 1.0 - p_meet), strict=True)):
        alone, with_us = outlook[2 * i], outlook[2 * i + 1]
        for total, believed in zip(totals, b_us, strict=True):
            b_us_hit = R.coordinated(believed, p.us.coordination[rows] * hit)
            total += weight * (b_us_hit * us_cost + (b_us_hit * with_us + (1.0 - b_us_hit) * alone) * co_cost)
    return (*totals, outlook[2])


# ------------------------------------------------------------------------------------------- initial state
def initial_state(p: Params, streams: Streams) -> State:
    """The state at the ceasefire (day 0) for the scenarios of ``streams``."""
    n, m = len(streams.scenarios), p.member_slots
    zeros_i = np.zeros(n, dtype=np.int64)
    ru, co = p.russia, p.coalition
    troops, exists = R.member_contributions(co.members, m, co.troops_k)
    resolve = R.spread_around(co.resolve, co.resolve_spread, streams.uniform("member_resolve", 0, slots=m))
    baseline = R.spread_around(co.support, co.support_spread, streams.uniform("member_support", 0, slots=m))
    cost = R.member_cost_per_day(co.cost_sensitivity, co.troops_k, co.members,
                                 streams.uniform("member_cost", 0, slots=m))
    active = exists & (baseline >= co.exit_threshold[:, None])
    troops = np.where(active, troops, 0.0).astype(np.float32)
    z = R.standard_normal(streams.uniform("russia_type", 0, slots=3))
    state = State(
        scenario=streams.scenarios.astype(np.int64),
        ru_gains=R.russia_type(ru.value_of_gains, ru.type_spread, z[:, 0]),
        ru_status_quo=R.russia_type(ru.status_quo_value, ru.type_spread, z[:, 1]),
        ru_war_cost=R.russia_type(ru.long_war_cost, ru.type_spread, z[:, 2]),
        ru_revisionism=z[:, 0],
        ru_shock=ru.shock_sd * R.standard_normal(streams.uniform("russia_shock", 0)),
        review_offset=np.minimum((streams.uniform("russia_review", 0) * ru.review_interval_days).astype(np.int64),
                                 ru.review_interval_days - 1),
        ru_strength_k=ru.strength_k.astype(np.float64),
        sanctions=ru.sanctions_initial.astype(np.float64),
        beliefs=np.stack([R.grid_prior(p.us.credibility, ru.prior_concentration),
                          R.grid_prior(co.credibility, ru.prior_concentration)], axis=1),
        us_mean=np.zeros(n), us_sd=np.zeros(n), co_mean=np.zeros(n), co_sd=np.zeros(n),
        believed_co_response=np.zeros(n),
        ua_strength_k=p.ukraine.strength_k.astype(np.float64),
        ua_capacity_k=p.ukraine.capacity_k.astype(np.float64),
        territory_km2=np.zeros(n), retaken_km2=np.zeros(n), investment_total_bn=np.zeros(n),
        member_troops_k=troops, member_support=np.where(exists, baseline, 0.0).astype(np.float32),
        member_active=active, member_resolve=resolve, member_baseline=baseline.astype(np.float32),
        member_cost=cost.astype(np.float32),
        coalition_troops_k=troops.sum(axis=1).astype(np.float64),
        deployed_share=R.deployment_share(0, co.initial_share, co.deploy_days),
        coalition_members=np.count_nonzero(active, axis=1).astype(np.int64),
        initial_members=np.count_nonzero(active, axis=1).astype(np.int64),
        initial_troops_k=troops.sum(axis=1).astype(np.float64),
        co_decision_day=np.full(n, -1, dtype=np.int64), co_decision_hit=np.zeros(n, dtype=bool),
        co_decision_us=np.zeros(n, dtype=bool), probe_ground_km2=np.zeros(n),
        probe_day=np.full(n, -1, dtype=np.int64),
        us_attention=p.us.attention.astype(np.float64), us_committed=np.ones(n, dtype=bool),
        tension=np.zeros(n), violence=np.zeros(n), fighting=np.zeros(n),
        level=zeros_i.copy(), max_level=zeros_i.copy(), max_level_day=zeros_i.copy(),
        collapsed=np.zeros(n, dtype=bool), collapse_day=np.full(n, -1, dtype=np.int64),
        failure_mode=zeros_i.copy(), first_probe_day=np.full(n, -1, dtype=np.int64),
        us_fought_war=np.zeros(n, dtype=bool),
        **{name: zeros_i.copy() for name in (
            "violations", "incidents", "probes", "detected", "attributed", "answered", "retaliations",
            "us_probe_answers", "us_nonresponses", "co_responses", "co_nonresponses", "clashes")},
        shock_persistence=R.decay_factor(ru.shock_halflife_days),
        violence_persistence=R.decay_factor(p.reconstruction.violence_halflife_days),
        fighting_persistence=R.decay_factor(p.ceasefire.spiral_halflife_days),
        decision_delay_days=R.decision_delay(co.decision_rule, co.lead_delay_days, co.majority_delay_days,
                                             co.unanimity_delay_days),
    )
    refresh_beliefs(state)
    state.believed_co_response = assess_coalition(state, p, np.arange(n))
    return state


# ------------------------------------------------------------------------------------------------ phases
def phase_russia(s: State, p: Params, rng: Streams, t: Today) -> None:
    """1. Russia's strategic review (a renewed offensive or not) and its daily choice: hold, incidents or probe.

    It anticipates today's monitoring and the coalition's decision delay, which phases 2 and 4 then apply
    (``Today.det_incident``, ``det_probe``, ``attribution``, ``decision_delay_days``, ``p_hit``).
    """
    day, ru, ua, co, us = t.day, p.russia, p.ukraine, p.coalition, p.us
    n = len(s.scenario)
    troops = coalition_troops(s)
    coverage = R.coalition_coverage(co.forward_share * troops, co.line_cover_k)
    t.det_incident, t.det_probe, t.attribution = R.monitoring_rates(p.monitoring.regime, p.monitoring.access,
                                                                    s.us_attention)
    t.decision_delay_days = s.decision_delay_days
    # The strategic review: a deliberate offensive when it is worth more than waiting for the next review.
    t.review = R.is_review_day(day, s.review_offset, ru.review_interval_days)
    t.war_value, t.response_cost, t.waiting_value, t.offensive_gap = (np.full(n, np.nan) for _ in range(4))
    t.p_offensive = np.zeros(n)
    rows = np.flatnonzero(t.review)
    if rows.size:
        view = review_offensive(s, p, rows, day)
        believed = s.believed_co_response.copy()
        believed[rows] = view.co_response  # reassessed at each review (members, support)
        s.believed_co_response = believed
        t.war_value[rows], t.response_cost[rows], t.waiting_value[rows] = view.war, view.response, view.waiting
        t.offensive_gap[rows] = view.utility - view.waiting
        t.p_offensive[rows] = R.attack_probability(t.offensive_gap[rows], ru.rationality[rows])
    offensive = rng.uniform_where("russia_offensive", day, t.review) < t.p_offensive
    # The daily choice among hold, incidents and a probe (flows).
    b_us, b_co = believed_us(s, p, day), s.believed_co_response
    us_cost, co_cost = R.expected_response_costs(ru.response_cost_us, us.capability, ru.response_cost_coalition,
                                                 troops)
    tension_push = ru.tension_weight * s.tension
    probe_response = R.probe_response_cost(ru.sanctions_weight, ru.sanctions_snapback, ru.probe_response_share,
                                           b_us, us_cost, b_co, co_cost, t.decision_delay_days,
                                           co.consolidation_days)
    info = R.probe_information_value(ru.info_weight, s.ru_gains, s.us_sd, s.co_sd,
                                     us.binding, co.binding)
    t.p_hit = R.probe_hit_probability(coverage, ru.avoidance)
    t.p_meet_offensive = R.offensive_meets_troops_probability(coverage)
    harassment = ru.probe_spread * s.ru_revisionism
    utilities = R.russia_utilities(
        incident_value=ru.incident_value + harassment, probe_value=ru.probe_value + harassment, info_value=info,
        tension_push=tension_push, retaliation_cost=ua.retaliation * ru.retaliation_cost,
        attribution_incident=t.det_incident * t.attribution, attribution_probe=t.det_probe * t.attribution,
        incident_cost=ru.incident_cost, probe_response_cost=probe_response,
        clash_risk_cost=t.p_hit * ru.tripwire_belief * co.tripwire_automaticity * ru.clash_cost)
    t.probs = R.logit_probabilities(utilities, ru.tactical_precision)
    daily = R.sample_choice(t.probs, rng.uniform("russia_action", day))
    t.action = np.where(offensive, ACTION.OFFENSIVE, daily)


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
    """4. Tripwire fire and the contained clash, the US backstop, and coalition decisions under the decision rule."""
    day, action, ru, co, us = t.day, t.action, p.russia, p.coalition, p.us
    n = len(s.scenario)
    triggered = t.attributed & (action >= ACTION.PROBE)
    t.hit = R.attack_meets_troops(action, rng.uniform_where("tripwire", day, action >= ACTION.PROBE), t.p_hit,
                                  t.p_meet_offensive)
    t.fired_back = R.troops_fire_back(t.hit, rng.uniform_where("fire_back", day, t.hit), co.tripwire_automaticity)
    t.us_acted = R.us_acts(triggered, us_true_act_probability(s, p, t.hit), rng.uniform_where("us_act", day, triggered))
    t.us_failed = triggered & ~t.us_acted
    # A contained clash: Russia escalates into war if war is worth more than backing down, with the coalition
    # already fighting and the US more surely in (coordination); or the clash escalates inadvertently.
    t.escalated = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(t.fired_back & (action == ACTION.PROBE))
    if rows.size:
        view = assess_offensive(s, p, rows, day, np.ones(rows.size))
        gap = view.utility - view.waiting + ru.backdown_cost[rows]
        p_escalate = R.escalation_probability(gap, ru.rationality[rows], p.ceasefire.clash_escalation[rows])
        t.escalated[rows] = rng.uniform("escalate", day, rows=rows) < p_escalate
    # A probe attributed to Russia puts a coalition decision in motion (one at a time).
    t.co_started = R.coalition_decision_starts(triggered, action, s.co_decision_day, s.coalition_members)
    s.co_decision_day = np.where(t.co_started, day + t.decision_delay_days, s.co_decision_day)
    s.co_decision_hit = np.where(t.co_started, t.hit, s.co_decision_hit)
    s.co_decision_us = np.where(t.co_started, t.us_acted, s.co_decision_us)
    t.co_decided = s.co_decision_day == day
    t.co_responded = np.zeros(n, dtype=bool)
    t.co_participants = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(t.co_decided)
    if rows.size:
        # Member-level decisions only where a decision falls due today.
        m = s.member_active.shape[1]
        active = s.member_active[rows]
        p_willing = R.member_act_probability(s.member_resolve[rows], co.binding[rows], s.member_support[rows],
                                             s.co_decision_hit[rows], co.tripwire_automaticity[rows],
                                             s.co_decision_us[rows], us.coordination[rows])
        willing = R.member_willingness(
            p_willing, active, co.correlation[rows], rng.uniform("co_common", day, rows=rows),
            rng.uniform("co_pick", day, slots=m, rows=rows), rng.uniform("co_own", day, slots=m, rows=rows))
        responds, joins = R.coalition_decision(co.decision_rule[rows], willing, active,
                                               rng.uniform("co_veto", day, slots=m, rows=rows),
                                               co.veto_propensity[rows])
        # Members outvoted or left out, and every member when a binding promise is broken, lose support; applied
        # with the day's support update (phase 7).
        t.strain = (rows, R.decision_support_loss(active, joins, responds, co.strain_shock[rows],
                                                  co.reneging_cost[rows], co.binding[rows]))
        t.co_responded[rows] = responds
        t.co_participants[rows] = joins.sum(axis=1)
        s.co_decision_day = np.where(t.co_decided, -1, s.co_decision_day)
    t.level = R.escalation_level(action, t.fired_back, t.escalated)


def phase_combat(s: State, p: Params, rng: Streams, t: Today) -> None:
    """5. Lanchester square-law engagement of a probe or an offensive; ground changes hands; responses retake it."""
    n = len(s.scenario)
    t.ground_km2, t.ru_losses_k, t.ua_losses_k = np.zeros(n), np.zeros(n), np.zeros(n)
    rows = np.flatnonzero(t.action >= ACTION.PROBE)  # fighting is rare: compute it only where it happens
    if rows.size:
        ru, ua, co = p.russia, p.ukraine, p.coalition
        action = t.action[rows]
        red, ua_k, blue = R.engagement_forces(
            action, s.ru_strength_k[rows], ru.probe_share[rows], ru.offensive_share[rows], s.ua_strength_k[rows],
            ua.local_share[rows], ua.front_share[rows], t.fired_back[rows], co.quality[rows],
            co.forward_share[rows] * coalition_troops(s)[rows])
        red_rate = ru.attrition_rate[rows]
        blue_rate = R.defender_attrition_rate(ua.attrition_rate[rows], action, t.us_acted[rows],
                                              p.us.capability[rows])
        red_after, blue_after = R.lanchester_square(red, blue, red_rate, blue_rate, R.ENGAGEMENT_DAYS)
        frontage, advance = R.engagement_geometry_km(action, ru.probe_frontage_km[rows],
                                                     ru.offensive_frontage_km[rows], ru.probe_advance_km[rows],
                                                     ru.offensive_advance_km[rows])
        t.ground_km2[rows] = R.ground_taken_km2(red, blue, red_rate, blue_rate, frontage, advance)
        t.ru_losses_k[rows] = red - red_after
        t.ua_losses_k[rows] = R.ukraine_losses_k(blue, blue_after, ua_k)
    # Responses to probes: the US's the same day retakes the ground at once; a coalition decision after its delay
    # retakes what has not consolidated.
    probe = t.action == ACTION.PROBE
    us_retaken = np.where(probe & t.us_acted, t.ground_km2, 0.0)
    s.probe_ground_km2 = np.where(t.co_started, t.ground_km2 - us_retaken, s.probe_ground_km2)
    s.probe_day = np.where(t.co_started, t.day, s.probe_day)
    co_retaken = np.where(t.co_responded, s.probe_ground_km2 * R.retaken_share(
        t.day - s.probe_day, p.coalition.consolidation_days), 0.0)
    s.probe_ground_km2 = np.where(t.co_decided, 0.0, s.probe_ground_km2)
    t.retaken_km2 = us_retaken + co_retaken
    s.retaken_km2 = s.retaken_km2 + t.retaken_km2
    s.territory_km2 = s.territory_km2 - t.ground_km2 + t.retaken_km2


def phase_learning(s: State, p: Params, rng: Streams, t: Today) -> None:
    """6. Russia updates its posteriors over US and coalition resolve from the responses and non-responses it saw,
    each read through the model of acting it knows (attention, binding, coordination, the decision rule)."""
    t.beliefs_before = (belief_us(s), belief_coalition(s))
    us_rows, co_rows = np.flatnonzero(t.us_acted | t.us_failed), np.flatnonzero(t.co_decided)
    if not (us_rows.size or co_rows.size):
        return
    beliefs = s.beliefs.copy()  # both posteriors in one copy
    if us_rows.size:
        rows, us = us_rows, p.us
        likelihood = R.us_act_probability(R.RESOLVE_GRID[None, :], us.binding[rows, None],
                                          s.us_attention[rows, None], s.us_committed[rows, None],
                                          t.hit[rows, None], us.coordination[rows, None])
        beliefs[rows, 0] = R.grid_update(s.belief_us[rows], likelihood, t.us_acted[rows])
    if co_rows.size:
        rows, co = co_rows, p.coalition
        support = mean_member_support(s, rows)
        likelihood = R.coalition_response_probability(
            np.broadcast_to(R.RESOLVE_GRID, (rows.size, R.RESOLVE_GRID.size)), co.binding[rows], support,
            s.coalition_members[rows], co.decision_rule[rows], co.correlation[rows], co.veto_propensity[rows],
            s.co_decision_hit[rows], co.tripwire_automaticity[rows], s.co_decision_us[rows], p.us.coordination[rows])
        beliefs[rows, 1] = R.grid_update(s.belief_co[rows], likelihood, t.co_responded[rows])
    s.beliefs = beliefs
    if us_rows.size:
        refresh_beliefs(s, us_rows, ("us",))
    if co_rows.size:
        refresh_beliefs(s, co_rows, ("co",))
        believed = s.believed_co_response.copy()
        believed[co_rows] = assess_coalition(s, p, co_rows, support)
        s.believed_co_response = believed


def phase_slow(s: State, p: Params, rng: Streams, t: Today) -> None:
    """7. Sanctions, regeneration and aid, deployment, the shock, violence and fighting, investment, members' support,
    US attention and review."""
    day, action, ru, ua, co, us = t.day, t.action, p.russia, p.ukraine, p.coalition, p.us
    s.sanctions = R.sanctions_update(s.sanctions, ru.sanctions_decay_per_day, t.attributed, action,
                                     ru.sanctions_snapback)
    s.ru_strength_k = R.strength_update(s.ru_strength_k, t.ru_losses_k, R.regeneration(
        s.ru_strength_k, ru.capacity_k, ru.regen_per_day, ru.sanctions_drag * s.sanctions))
    if (day <= co.deploy_days).any():  # the ramp is flat from deploy_days on: nothing changes after the last
        s.deployed_share = R.deployment_share(day, co.initial_share, co.deploy_days)
    s.ru_shock = R.shock_update(s.ru_shock, s.shock_persistence, ru.shock_sd,
                                R.standard_normal(rng.uniform("russia_shock", day)))
    s.violence = R.ewma_update(s.violence, s.violence_persistence, t.level)
    s.fighting = R.ewma_update(s.fighting, s.fighting_persistence,
                               t.level >= LEVEL.PROBE)
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
        rows, loss = t.strain
        support[rows] = R.strain_support(support[rows], loss)
    s.member_support = support
    still = R.members_staying(s.member_active, s.member_support, co.exit_threshold)
    t.withdrew = s.member_active & ~still
    if t.withdrew.any():  # withdrawals are rare: touch only the rows that have one
        rows = np.unique(np.flatnonzero(t.withdrew) // t.withdrew.shape[1])  # faster than any(axis=1)
        troops = s.member_troops_k.copy()
        troops[rows] = np.where(still[rows], troops[rows], 0.0)
        s.member_active, s.member_troops_k = still, troops
        refresh_coalition(s, rows)
    s.us_attention = R.attention_update(s.us_attention, us.attention_mean, us.attention_reversion_per_day,
                                        us.attention_volatility, rng.uniform("us_attention", day))
    lapse = R.review_lapses(day, us.review_day, us.review_lapse,
                            rng.uniform_where("us_review", day, us.review_day == day))
    t.us_lapsed = lapse & s.us_committed
    s.us_committed = s.us_committed & ~lapse


def phase_status(s: State, p: Params, rng: Streams, t: Today) -> None:
    """8. Escalation level, counters and collapse."""
    day, action, level = t.day, t.action, t.level
    s.level = level
    higher = level > s.max_level
    s.max_level = np.where(higher, level, s.max_level)
    s.max_level_day = np.where(higher, day, s.max_level_day)
    s.violations = s.violations + (action >= ACTION.INCIDENTS)
    s.incidents = s.incidents + (action == ACTION.INCIDENTS)
    probe = action == ACTION.PROBE
    s.probes = s.probes + probe
    s.first_probe_day = np.where(probe & (s.first_probe_day < 0), day, s.first_probe_day)
    s.detected = s.detected + t.detected
    s.attributed = s.attributed + t.attributed
    s.answered = s.answered + (t.us_acted | t.co_responded)
    s.retaliations = s.retaliations + t.retaliated
    s.us_probe_answers = s.us_probe_answers + (t.us_acted & probe)
    s.us_fought_war = s.us_fought_war | (t.us_acted & (level >= LEVEL.WAR))
    s.us_nonresponses = s.us_nonresponses + t.us_failed
    s.co_responses = s.co_responses + t.co_responded
    s.co_nonresponses = s.co_nonresponses + (t.co_decided & ~t.co_responded)
    s.clashes = s.clashes + (t.fired_back & probe)
    collapse = ~s.collapsed & R.collapse_today(level, p.collapse_level, s.fighting, p.ceasefire.spiral_share)
    if collapse.any():  # rare: the new arrays only on a day with a collapse
        s.collapsed = s.collapsed | collapse
        s.collapse_day = np.where(collapse, day, s.collapse_day)
        s.failure_mode = np.where(collapse, R.failure_mode(action, t.escalated, level, p.collapse_level),
                                  s.failure_mode)


PHASES = (phase_russia, phase_monitoring, phase_ukraine, phase_guarantors, phase_combat, phase_learning,
          phase_slow, phase_status)


# The streams every scenario draws every day, drawn together at the start of a step (``Streams.prefetch``: the
# same numbers, fewer calls); the Mesa driver draws them one by one.
DAILY_STREAMS = ("russia_action", "detect", "attribute", "retaliate", "russia_shock", "us_attention")


def step(state: State, p: Params, rng: Streams, day: int) -> tuple[State, Today]:
    """Advance every scenario of ``state`` by one day; returns the new state and the day's results."""
    s = copy.copy(state)  # a shallow copy: phases rebind fields, never write into the input's arrays
    today = Today(day=day)
    rng.prefetch(DAILY_STREAMS, day)
    for phase in PHASES:
        phase(s, p, rng, today)
    return s, today
