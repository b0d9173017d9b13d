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
``Today`` (the day's intermediate results). Phases never modify an array in place: they rebind fields to
new arrays, so ``step`` is a pure function of (state, params, streams, day). The Mesa agents call these same
phase functions on a one-scenario state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from sim import rules as R
from sim.config import Config
from sim.parameters import PARAM_BY_KEY
from sim.rng import Streams
from sim.sampling import sample_parameters

# ----------------------------------------------------------------------------------------------- params


@dataclass(frozen=True)
class Params:
    """Per-scenario parameter values (key ``group.name`` -> (N,) array) and the run's structural constants."""

    values: dict[str, np.ndarray]
    seed: int
    horizon_days: int
    collapse_level: int
    member_slots: int  # M: the most members any scenario of the design can have

    def __getitem__(self, key: str) -> np.ndarray:
        return self.values[key]

    def take(self, rows: np.ndarray) -> Params:
        """Parameters of a subset of scenarios (positions ``rows``)."""
        return replace(self, values={k: v[rows] for k, v in self.values.items()})

    @classmethod
    def build(cls, config: Config, scenarios: np.ndarray, values: dict[str, np.ndarray] | None = None) -> Params:
        """Parameters of ``scenarios`` (positions aligned): the config's values, some replaced by ``values``.

        ``values`` maps a key to an explicit (N,) array, one value per scenario (choices as names or codes),
        replacing that key's fixed or Latin hypercube value; used to run a given design (e.g. Sobol points).
        """
        members = config.spec("coalition.members")
        slots = int(round(members.support()[1])) if members.dist != "choice" else 0
        sampled = sample_parameters(config, scenarios)
        sampled.update(explicit_values(config, values or {}, len(scenarios)))
        return cls(sampled, config.seed, config.horizon_days, config.collapse_level, max(1, slots))


def explicit_values(config: Config, values: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Validate and encode explicit per-scenario values: key -> (n,) float64, int64 or category code."""
    out = {}
    for key, raw in values.items():
        if key not in PARAM_BY_KEY:
            raise ValueError(f"unknown parameter {key!r} in explicit values")
        p, arr = PARAM_BY_KEY[key], np.asarray(raw)
        if arr.shape != (n,):
            raise ValueError(f"explicit values of {key} have shape {arr.shape}; expected ({n},), one per scenario")
        if p.kind == "choice":
            if arr.dtype.kind in "iu":
                if arr.size and (arr.min() < 0 or arr.max() >= len(p.choices)):
                    raise ValueError(f"{key}: codes must lie in [0, {len(p.choices)}); choices: {p.choices}")
                out[key] = arr.astype(np.int64)
                continue
            bad = sorted(set(arr.tolist()) - set(p.choices))
            if bad:
                raise ValueError(f"{key}: {bad} not allowed; allowed: {', '.join(p.choices)}")
            out[key] = np.array([p.choices.index(v) for v in arr.tolist()], dtype=np.int64)
            continue
        arr = arr.astype(np.float64)
        if arr.size and not (np.isfinite(arr).all() and arr.min() >= p.low and arr.max() <= p.high):
            raise ValueError(f"{key}: explicit values span [{arr.min():g}, {arr.max():g}]; allowed: "
                             f"[{p.low:g}, {p.high:g}]")
        out[key] = np.rint(arr).astype(np.int64) if p.kind == "int" else arr
    members = out.get("coalition.members")
    high = config.spec("coalition.members").support()[1]
    if members is not None and members.size and members.max() > high:
        # Member slots come from the config so that a scenario's arrays do not depend on its chunk.
        raise ValueError(f"coalition.members: explicit values up to {members.max()} exceed the config's "
                         f"{high:g}; declare coalition.members as a distribution covering them")
    return out


# ----------------------------------------------------------------------------------------------- state


@dataclass
class State:
    """Everything that changes during a scenario; one row per scenario (N) and member slot (M)."""

    scenario: np.ndarray  # (N,) int64 global scenario index
    # Russia
    ru_strength_k: np.ndarray  # (N,) float64 thousand troops in theatre
    sanctions: np.ndarray  # (N,) float64 sanctions pressure index in [0, 1]
    us_a: np.ndarray  # (N,) float64 Beta alpha of Russia's belief in US resolve
    us_b: np.ndarray  # (N,) float64 Beta beta of the same
    co_a: np.ndarray  # (N,) float64 Beta alpha of Russia's belief in coalition resolve
    co_b: np.ndarray  # (N,) float64 Beta beta of the same
    # Ukraine
    ua_strength_k: np.ndarray  # (N,) float64 thousand troops holding the line
    ua_capacity_k: np.ndarray  # (N,) float64 thousand troops Ukraine regenerates towards
    territory_km2: np.ndarray  # (N,) float64 ground held relative to the ceasefire line (< 0: lost)
    investment_bn: np.ndarray  # (N,) float64 cumulative reconstruction investment, $bn
    # Coalition members
    member_troops_k: np.ndarray  # (N, M) float32 thousand troops deployed (0 once withdrawn)
    member_support: np.ndarray  # (N, M) float32 domestic support in [0, 1] (float32: the daily update is the hot path)
    member_active: np.ndarray  # (N, M) bool still deployed
    member_resolve: np.ndarray  # (N, M) float64 true resolve (fixed per scenario)
    member_baseline: np.ndarray  # (N, M) float32 support level support reverts to (fixed)
    member_cost: np.ndarray  # (N, M) float32 support lost per day of deployment (fixed)
    coalition_troops_k: np.ndarray  # (N,) float64 sum of member_troops_k (kept with it by refresh_coalition)
    coalition_members: np.ndarray  # (N,) int64 members deployed: count of member_active (likewise)
    initial_members: np.ndarray  # (N,) int64 members at the ceasefire
    initial_troops_k: np.ndarray  # (N,) float64 troops at the ceasefire
    co_decision_day: np.ndarray  # (N,) int64 day of the pending coalition decision, -1 if none
    co_decision_hit: np.ndarray  # (N,) bool the pending decision follows an attack on coalition troops
    # United States
    us_attention: np.ndarray  # (N,) float64 political attention in [0, 1]
    us_committed: np.ndarray  # (N,) bool backstop pledge in force (may lapse at the review)
    # Ceasefire
    tension: np.ndarray  # (N,) float64 escalation pressure from recent exchanges of fire
    violence: np.ndarray  # (N,) float64 recent violence: exponentially weighted mean level
    level: np.ndarray  # (N,) int64 today's escalation level 0..4
    max_level: np.ndarray  # (N,) int64 highest level reached
    max_level_day: np.ndarray  # (N,) int64 day it was first reached
    collapsed: np.ndarray  # (N,) bool
    collapse_day: np.ndarray  # (N,) int64 day of collapse, -1 while holding
    failure_mode: np.ndarray  # (N,) int64 rules.FAILURE_* code
    # Counters (cumulative)
    violations: np.ndarray  # (N,) int64 days with a Russian violation (incidents, probe or offensive)
    incidents: np.ndarray  # (N,) int64
    probes: np.ndarray  # (N,) int64
    detected: np.ndarray  # (N,) int64 violations detected by monitors
    attributed: np.ndarray  # (N,) int64 violations attributed to Russia
    answered: np.ndarray  # (N,) int64 days on which a guarantor answered a violation
    retaliations: np.ndarray  # (N,) int64 Ukrainian retaliations
    us_activations: np.ndarray  # (N,) int64 times the US backstop acted
    us_failures: np.ndarray  # (N,) int64 attributed attacks the US left unanswered
    co_responses: np.ndarray  # (N,) int64 coalition decisions to respond
    co_failures: np.ndarray  # (N,) int64 coalition decisions not to respond
    clashes: np.ndarray  # (N,) int64 direct clashes with guarantor forces

    def take(self, rows: np.ndarray) -> State:
        """The state of a subset of scenarios (positions ``rows``)."""
        return State(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


@dataclass
class Today:
    """Intermediate results of the current day, phase by phase (all (N,) unless noted)."""

    day: int
    probs: np.ndarray | None = None  # (N, 4) Russia's choice probabilities
    action: np.ndarray | None = None  # Russia's action 0..3
    detected: np.ndarray | None = None
    attributed: np.ndarray | None = None
    retaliated: np.ndarray | None = None
    hit: np.ndarray | None = None  # a Russian attack met coalition troops
    fired_back: np.ndarray | None = None  # those troops fought (tripwire)
    us_acted: np.ndarray | None = None
    us_failed: np.ndarray | None = None
    co_started: np.ndarray | None = None  # a coalition decision was put in motion today
    co_decided: np.ndarray | None = None  # a coalition decision was taken today
    co_responded: np.ndarray | None = None
    co_participants: np.ndarray | None = None  # (N,) members taking part in today's response
    ground_km2: np.ndarray | None = None  # ground Russia took today
    ru_losses_k: np.ndarray | None = None
    ua_losses_k: np.ndarray | None = None
    level: np.ndarray | None = None  # today's escalation level 0..4
    strain: tuple | None = None  # (rows, (k, M) members left out of today's coalition decisions)
    investment_bn: np.ndarray | None = None  # today's investment flow
    withdrew: np.ndarray | None = None  # (N, M) members that withdrew today
    beliefs_before: tuple | None = None  # (us mean, coalition mean) before learning
    extras: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------- derived values
def believed_us(state: State, p: Params, day: int) -> np.ndarray:
    """Russia's expected probability that the US acts on the backstop when triggered; (N,)."""
    rf = R.review_factor(day, p["us.review_day"], p["us.review_lapse"], p["us.review_window_days"])
    return (R.act_probability(R.beta_mean(state.us_a, state.us_b), p["us.binding"])
            * state.us_attention * state.us_committed * rf)


def us_true_act_probability(state: State, p: Params) -> np.ndarray:
    """True probability that the US acts when triggered today; (N,)."""
    return R.act_probability(p["us.resolve"], p["us.binding"]) * state.us_attention * state.us_committed


MEMBER_FIELDS = ("member_troops_k", "member_active")  # the member arrays the coalition aggregates sum up


def refresh_coalition(state: State, rows: np.ndarray | None = None) -> None:
    """Recompute the coalition aggregates from the member arrays (for ``rows``, or all scenarios).

    Members change only when they withdraw (phase 7) or when a user edits them, so the daily phases read the
    aggregates instead of summing (N, M) arrays every day.
    """
    if rows is None:
        state.coalition_troops_k = state.member_troops_k.sum(axis=1).astype(np.float64)
        state.coalition_members = np.count_nonzero(state.member_active, axis=1).astype(np.int64)
        return
    troops, members = state.coalition_troops_k.copy(), state.coalition_members.copy()
    troops[rows] = state.member_troops_k[rows].sum(axis=1)
    members[rows] = np.count_nonzero(state.member_active[rows], axis=1)
    state.coalition_troops_k, state.coalition_members = troops, members


def cohesion(state: State) -> np.ndarray:
    """Share of the coalition's initial members still deployed; (N,) in [0, 1]."""
    return state.coalition_members / np.maximum(state.initial_members, 1)


def coalition_troops(state: State) -> np.ndarray:
    """Coalition troops still deployed (thousand); (N,)."""
    return state.coalition_troops_k


def believed_coalition(state: State, p: Params) -> np.ndarray:
    """Russia's expected probability that the coalition responds when triggered; (N,)."""
    return R.act_probability(R.beta_mean(state.co_a, state.co_b), p["coalition.binding"]) * cohesion(state)


def security(state: State, p: Params) -> np.ndarray:
    """Security index (investors' view): public guarantee beliefs discounted by recent violence; (N,)."""
    p_us = R.act_probability(R.beta_mean(state.us_a, state.us_b), p["us.binding"]) * state.us_committed
    guarantee = R.guarantee_index(p_us, believed_coalition(state, p))
    return R.security_index(guarantee, state.violence, p["reconstruction.violence_scale"])


def reassurance(state: State, p: Params) -> np.ndarray:
    """Eastern-flank reassurance index; (N,) in [0, 1]."""
    p_us = R.act_probability(R.beta_mean(state.us_a, state.us_b), p["us.binding"]) * state.us_committed
    troop_share = coalition_troops(state) / np.maximum(state.initial_troops_k, 1e-9)
    p_co = R.act_probability(R.beta_mean(state.co_a, state.co_b), p["coalition.binding"])
    return R.reassurance_index(p_us, p_co, np.where(state.initial_troops_k > 0, troop_share, 0.0),
                               state.collapsed)


# ------------------------------------------------------------------------------------------- initial state
def initial_state(p: Params, streams: Streams) -> State:
    """The state at the ceasefire (day 0) for the scenarios of ``streams``."""
    n, m = len(streams.scenarios), p.member_slots
    zeros_i = np.zeros(n, dtype=np.int64)
    members = p["coalition.members"]
    slot = np.arange(m)
    exists = slot[None, :] < members[:, None]
    # Contributions fall off as 1/rank (a few large contributors, many small), normalised per scenario.
    weight = np.where(exists, 1.0 / (slot[None, :] + 1.0), 0.0)
    share = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-300)
    troops = p["coalition.troops_k"][:, None] * share
    u_res = streams.uniform("member_resolve", 0, slots=m)
    u_sup = streams.uniform("member_support", 0, slots=m)
    u_cost = streams.uniform("member_cost", 0, slots=m)
    resolve = np.clip(p["coalition.resolve"][:, None] + p["coalition.resolve_spread"][:, None] * (2 * u_res - 1),
                      0.0, 1.0)
    baseline = np.clip(p["coalition.support"][:, None] + p["coalition.support_spread"][:, None] * (2 * u_sup - 1),
                       0.0, 1.0)
    cost = p["coalition.cost_sensitivity"][:, None] * 2.0 * u_cost
    us_a, us_b = R.beta_prior(p["us.credibility"], p["russia.prior_concentration"])
    co_a, co_b = R.beta_prior(p["coalition.credibility"], p["russia.prior_concentration"])
    active = exists & (baseline >= p["coalition.exit_threshold"][:, None])
    troops = np.where(active, troops, 0.0).astype(np.float32)
    return State(
        scenario=streams.scenarios.astype(np.int64),
        ru_strength_k=p["russia.strength_k"].astype(np.float64),
        sanctions=p["russia.sanctions_initial"].astype(np.float64),
        us_a=us_a, us_b=us_b, co_a=co_a, co_b=co_b,
        ua_strength_k=p["ukraine.strength_k"].astype(np.float64),
        ua_capacity_k=p["ukraine.capacity_k"].astype(np.float64),
        territory_km2=np.zeros(n), investment_bn=np.zeros(n),
        member_troops_k=troops, member_support=np.where(exists, baseline, 0.0).astype(np.float32),
        member_active=active, member_resolve=resolve, member_baseline=baseline.astype(np.float32),
        member_cost=cost.astype(np.float32),
        coalition_troops_k=troops.sum(axis=1).astype(np.float64),
        coalition_members=np.count_nonzero(active, axis=1).astype(np.int64),
        initial_members=np.count_nonzero(active, axis=1).astype(np.int64),
        initial_troops_k=troops.sum(axis=1).astype(np.float64),
        co_decision_day=np.full(n, -1, dtype=np.int64), co_decision_hit=np.zeros(n, dtype=bool),
        us_attention=p["us.attention"].astype(np.float64), us_committed=np.ones(n, dtype=bool),
        tension=np.zeros(n), violence=np.zeros(n),
        level=zeros_i.copy(), max_level=zeros_i.copy(), max_level_day=zeros_i.copy(),
        collapsed=np.zeros(n, dtype=bool), collapse_day=np.full(n, -1, dtype=np.int64),
        failure_mode=zeros_i.copy(),
        **{name: zeros_i.copy() for name in (
            "violations", "incidents", "probes", "detected", "attributed", "answered", "retaliations",
            "us_activations", "us_failures", "co_responses", "co_failures", "clashes")},
    )


# ------------------------------------------------------------------------------------------------ phases
def phase_russia(s: State, p: Params, rng: Streams, t: Today) -> None:
    """1. Russia weighs hold, incidents, probe and offensive and draws its action (logit choice)."""
    day = t.day
    troops = coalition_troops(s)
    forward = p["coalition.forward_share"] * troops
    coverage = R.coalition_coverage(forward, p["coalition.line_cover_k"])
    b_us = believed_us(s, p, day)
    b_co = believed_coalition(s, p)
    # Denial: the local balance an offensive would meet now, and after the projected power shift.
    attack = p["russia.offensive_share"] * s.ru_strength_k
    # The whole force is in the country: an offensive meets all of it, not just the forward share.
    defence = p["ukraine.front_share"] * s.ua_strength_k + p["coalition.quality"] * troops
    ratio50, steep = p["russia.quick_win_ratio"], p["russia.quick_win_steepness"]
    p_quick = R.quick_win_probability(attack, defence, ratio50, steep)
    ru_gain = R.regeneration(s.ru_strength_k, p["russia.capacity_k"], p["russia.regen_per_day"],
                             p["russia.sanctions_drag"] * s.sanctions)
    ua_gain = R.regeneration(s.ua_strength_k, s.ua_capacity_k, p["ukraine.regen_per_day"], 0.0)
    shift = R.power_shift_rate(s.ru_strength_k, ru_gain, defence, p["ukraine.front_share"] * ua_gain)
    p_quick_later = R.quick_win_probability(attack, defence, ratio50, steep, shift * p["russia.foresight_days"])
    # Expected responses (Russia's beliefs); attacked forward troops make the coalition's more automatic.
    automatic = p["coalition.tripwire_automaticity"]
    b_co_offensive = 1.0 - (1.0 - b_co) * (1.0 - automatic * (forward > 0))
    us_cost = p["russia.response_cost_us"] * p["us.capability"]
    co_cost = p["russia.response_cost_coalition"] * troops / R.RESPONSE_COST_TROOPS_K
    sanctions_w = p["russia.sanctions_weight"]
    tension_push = p["russia.tension_weight"] * s.tension
    offensive = R.offensive_utility(
        p_quick, p_quick_later, p["russia.value_of_gains"], p["russia.long_war_share"],
        p["russia.long_war_cost"], p["russia.preventive_weight"], p["russia.status_quo_value"],
        b_us * us_cost + b_co_offensive * co_cost, sanctions_w, tension_push)
    det_incident, det_probe, attribution = R.monitoring_rates(p["monitoring.regime"], p["monitoring.access"],
                                                              s.us_attention)
    delay = R.decision_delay(p["coalition.decision_rule"], p["coalition.lead_delay_days"],
                             p["coalition.majority_delay_days"], p["coalition.unanimity_delay_days"])
    probe_response = sanctions_w * p["russia.sanctions_snapback"] + p["russia.probe_response_share"] * (
        b_us * us_cost + b_co * co_cost * np.exp(-delay / p["coalition.delay_discount_days"]))
    info = (p["russia.info_weight"] * p["russia.value_of_gains"] / 10.0
            * (R.beta_sd(s.us_a, s.us_b) + R.beta_sd(s.co_a, s.co_b)))
    p_hit = coverage * (1.0 - p["russia.avoidance"])
    utilities = R.russia_utilities(
        incident_value=p["russia.incident_value"], probe_value=p["russia.probe_value"], offensive=offensive,
        info_value=info, tension_push=tension_push,
        retaliation_cost=p["ukraine.retaliation"] * p["russia.retaliation_cost"],
        attribution_incident=det_incident * attribution, attribution_probe=det_probe * attribution,
        incident_cost=p["russia.incident_cost"], probe_response_cost=probe_response,
        clash_risk_cost=p_hit * automatic * p["russia.clash_cost"])
    t.probs = R.logit_probabilities(utilities, p["russia.rationality"])
    t.action = R.sample_choice(t.probs, rng.uniform("russia_action", day))
    t.extras["p_hit"] = p_hit
    t.extras["rates"] = (det_incident, det_probe, attribution)
    t.extras["delay"] = delay


def phase_monitoring(s: State, p: Params, rng: Streams, t: Today) -> None:
    """2. Monitors detect and attribute today's violation."""
    det_incident, det_probe, attribution = t.extras["rates"]
    t.detected, t.attributed = R.monitor(t.action, det_incident, det_probe, attribution,
                                         rng.uniform("detect", t.day), rng.uniform("attribute", t.day))


def phase_ukraine(s: State, p: Params, rng: Streams, t: Today) -> None:
    """3. Ukraine retaliates or holds back; the escalation spiral's tension updates."""
    t.retaliated = R.ukraine_retaliates(t.action, p["ukraine.retaliation"], rng.uniform("retaliate", t.day))
    s.tension = R.tension_update(s.tension, t.action, t.retaliated, p["russia.tension_persistence"],
                                 p["ukraine.retaliation_tension"])


def phase_guarantors(s: State, p: Params, rng: Streams, t: Today) -> None:
    """4. US backstop, tripwire fire, and coalition decisions under the decision rule."""
    day, action = t.day, t.action
    attack = action >= R.PROBE
    triggered = t.attributed & attack
    t.us_acted = R.us_acts(triggered, us_true_act_probability(s, p), rng.uniform("us_act", day))
    t.us_failed = triggered & ~t.us_acted
    forward = p["coalition.forward_share"] * coalition_troops(s)
    probe_hit = (action == R.PROBE) & (rng.uniform("tripwire", day) < t.extras["p_hit"])
    t.hit = probe_hit | ((action == R.OFFENSIVE) & (forward > 0))
    t.fired_back = t.hit & (rng.uniform("fire_back", day) < p["coalition.tripwire_automaticity"])
    # A probe attributed to Russia puts a coalition decision in motion (one at a time).
    has_members = s.coalition_members > 0
    t.co_started = triggered & (action == R.PROBE) & (s.co_decision_day < 0) & has_members
    s.co_decision_day = np.where(t.co_started, day + t.extras["delay"], s.co_decision_day)
    s.co_decision_hit = np.where(t.co_started, t.hit, s.co_decision_hit)
    t.co_decided = s.co_decision_day == day
    n = len(s.scenario)
    t.co_responded = np.zeros(n, dtype=bool)
    t.co_participants = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(t.co_decided)
    if rows.size:
        # Member-level decisions only where a decision falls due today.
        m = s.member_active.shape[1]
        rule = p["coalition.decision_rule"][rows]
        active = s.member_active[rows]
        p_willing = R.member_act_probability(s.member_resolve[rows], p["coalition.binding"][rows],
                                             s.member_support[rows], s.co_decision_hit[rows],
                                             p["coalition.tripwire_automaticity"][rows])
        willing = R.member_willingness(
            p_willing, active, p["coalition.correlation"][rows], rng.uniform("co_common", day, rows=rows),
            rng.uniform("co_pick", day, slots=m, rows=rows), rng.uniform("co_own", day, slots=m, rows=rows))
        responds, joins = R.coalition_decision(rule, willing, active, rng.uniform("co_veto", day, slots=m,
                                                                                  rows=rows),
                                               p["coalition.veto_propensity"][rows])
        # Members outvoted or left out lose support; applied with the day's support update (phase 7).
        t.strain = (rows, active & ~joins & responds[:, None])
        t.co_responded[rows] = responds
        t.co_participants[rows] = joins.sum(axis=1)
        s.co_decision_day = np.where(t.co_decided, -1, s.co_decision_day)
    # Direct clash: attacked coalition troops fought, or the US engaged a renewed offensive.
    t.level = R.escalation_level(action, t.fired_back | (t.us_acted & (action == R.OFFENSIVE)))


_COMBAT_KEYS = ("russia.probe_share", "russia.offensive_share", "ukraine.local_share", "ukraine.front_share",
                "coalition.forward_share", "coalition.quality", "russia.attrition_rate", "ukraine.attrition_rate",
                "us.capability", "russia.probe_frontage_km", "russia.offensive_frontage_km", "russia.probe_advance_km",
                "russia.offensive_advance_km")


def phase_combat(s: State, p: Params, rng: Streams, t: Today) -> None:
    """5. Lanchester square-law engagement of a probe or an offensive; ground changes hands."""
    n = len(s.scenario)
    t.ground_km2, t.ru_losses_k, t.ua_losses_k = np.zeros(n), np.zeros(n), np.zeros(n)
    rows = np.flatnonzero(t.action >= R.PROBE)  # fighting is rare: compute it only where it happens
    if rows.size == 0:
        return
    q = {key: p[key][rows] for key in _COMBAT_KEYS}
    probe, offensive = t.action[rows] == R.PROBE, t.action[rows] == R.OFFENSIVE
    red = np.where(probe, q["russia.probe_share"], q["russia.offensive_share"]) * s.ru_strength_k[rows]
    ua = np.where(probe, q["ukraine.local_share"], q["ukraine.front_share"]) * s.ua_strength_k[rows]
    # Coalition troops fight where attacked troops fired back: a probe meets one sector's share (1/10).
    forward = q["coalition.forward_share"] * s.coalition_troops_k[rows]
    blue = ua + t.fired_back[rows] * q["coalition.quality"] * forward * np.where(probe, 0.1, 1.0)
    red_rate = q["russia.attrition_rate"]
    # US engagement on an offensive multiplies the defenders' effectiveness (air power, intelligence).
    blue_rate = q["ukraine.attrition_rate"] * np.where(offensive & t.us_acted[rows], q["us.capability"], 1.0)
    red_after, blue_after = R.lanchester_square(red, blue, red_rate, blue_rate, R.ENGAGEMENT_DAYS)
    frontage = np.where(probe, q["russia.probe_frontage_km"], q["russia.offensive_frontage_km"])
    advance = np.where(probe, q["russia.probe_advance_km"], q["russia.offensive_advance_km"])
    t.ground_km2[rows] = R.ground_taken_km2(red, blue, red_rate, blue_rate, frontage, advance)
    t.ru_losses_k[rows] = red - red_after
    t.ua_losses_k[rows] = (blue - blue_after) * ua / np.maximum(blue, 1e-300)
    s.territory_km2 = s.territory_km2 - t.ground_km2


def phase_learning(s: State, p: Params, rng: Streams, t: Today) -> None:
    """6. Russia updates its Beta beliefs from the responses and non-responses it saw."""
    t.beliefs_before = (R.beta_mean(s.us_a, s.us_b), R.beta_mean(s.co_a, s.co_b))
    s.us_a, s.us_b = R.beta_update(s.us_a, s.us_b, t.us_acted, t.us_failed)
    co_failed = t.co_decided & ~t.co_responded
    s.co_a, s.co_b = R.beta_update(s.co_a, s.co_b, t.co_responded, co_failed)


def phase_slow(s: State, p: Params, rng: Streams, t: Today) -> None:
    """7. Sanctions, regeneration and aid, violence memory, investment, members' support, US attention."""
    day, action = t.day, t.action
    snap = t.attributed * R.SNAPBACK_SHARE[action] * p["russia.sanctions_snapback"]
    sanctions = s.sanctions * (1.0 - p["russia.sanctions_decay_per_day"]) + snap
    s.sanctions = np.where(action == R.OFFENSIVE, 1.0, np.minimum(sanctions, 1.0))
    s.ru_strength_k = np.maximum(s.ru_strength_k - t.ru_losses_k + R.regeneration(
        s.ru_strength_k, p["russia.capacity_k"], p["russia.regen_per_day"],
        p["russia.sanctions_drag"] * s.sanctions), 0.0)
    persistence = R.decay_factor(p["reconstruction.violence_halflife_days"])
    s.violence = s.violence * persistence + (1.0 - persistence) * t.level
    t.investment_bn = R.investment_flow(security(s, p), p["reconstruction.max_bn_per_day"],
                                        p["reconstruction.elasticity"])
    s.investment_bn = s.investment_bn + t.investment_bn
    s.ua_capacity_k = s.ua_capacity_k + p["ukraine.aid_k_per_day"] + t.investment_bn * p[
        "ukraine.investment_to_capacity"]
    s.ua_strength_k = np.maximum(s.ua_strength_k - t.ua_losses_k + R.regeneration(
        s.ua_strength_k, s.ua_capacity_k, p["ukraine.regen_per_day"], 0.0), 0.0)
    # Members: support moves with costs, violence and the US's behaviour; below the threshold, troops leave.
    f32 = np.float32
    pressure = (p["coalition.violence_sensitivity"] * s.violence + p["coalition.us_shock"] * t.us_failed).astype(f32)
    support = R.member_support_update(s.member_support, s.member_baseline,
                                      p["coalition.support_recovery_per_day"].astype(f32), s.member_cost, pressure,
                                      s.member_active)
    if t.strain is not None:
        rows, left_out = t.strain
        support[rows] = np.clip(support[rows] - p["coalition.strain_shock"][rows, None] * left_out, 0.0, 1.0)
    s.member_support = support
    still = s.member_active & (s.member_support >= p["coalition.exit_threshold"].astype(f32)[:, None])
    t.withdrew = s.member_active & ~still
    if t.withdrew.any():  # withdrawals are rare: touch only the rows that have one
        rows = np.unique(np.flatnonzero(t.withdrew) // t.withdrew.shape[1])
        troops = s.member_troops_k.copy()
        troops[rows] = np.where(still[rows], troops[rows], 0.0)
        s.member_active, s.member_troops_k = still, troops
        refresh_coalition(s, rows)
    s.us_attention = R.attention_update(s.us_attention, p["us.attention_mean"], p["us.attention_reversion_per_day"],
                                        p["us.attention_volatility"], rng.uniform("us_attention", day))
    review = (p["us.review_day"] == day) & (p["us.review_day"] > 0)
    lapse = review & (rng.uniform("us_review", day) < p["us.review_lapse"])
    t.extras["us_lapsed"] = lapse & s.us_committed
    s.us_committed = s.us_committed & ~lapse


def phase_status(s: State, p: Params, rng: Streams, t: Today) -> None:
    """8. Escalation level, counters and collapse."""
    day, action, level = t.day, t.action, t.level
    s.level = level
    higher = level > s.max_level
    s.max_level = np.where(higher, level, s.max_level)
    s.max_level_day = np.where(higher, day, s.max_level_day)
    violation = action >= R.INCIDENT
    s.violations = s.violations + violation
    s.incidents = s.incidents + (action == R.INCIDENT)
    s.probes = s.probes + (action == R.PROBE)
    s.detected = s.detected + t.detected
    s.attributed = s.attributed + t.attributed
    s.answered = s.answered + (t.us_acted | t.co_responded)
    s.retaliations = s.retaliations + t.retaliated
    s.us_activations = s.us_activations + t.us_acted
    s.us_failures = s.us_failures + t.us_failed
    s.co_responses = s.co_responses + t.co_responded
    s.co_failures = s.co_failures + (t.co_decided & ~t.co_responded)
    s.clashes = s.clashes + (level == R.CLASH)
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
