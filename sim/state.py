"""The model's data: per-scenario parameters (``Params``), the state of a day (``State``) and a day's
intermediate results (``Today``). Plain frozen or mutable dataclasses of arrays with a leading scenario axis (N
scenarios, M member slots); no rule and no configuration code lives here.

``Params`` has one typed field per parameter of ``sim.parameters.PARAMS`` (``p.russia.value_of_gains``), so a
misspelt name fails when the module is read by a linter or a test, not when a rare branch runs;
``tests/test_codes.py`` checks that the fields are exactly the parameter table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import ClassVar

import numpy as np


# ----------------------------------------------------------------------------------------------- params
@dataclass(frozen=True)
class RussiaParams:
    """``russia.*`` parameters, one value per scenario: each (N,) array."""

    strength_k: np.ndarray  # (N,) float64 thousand troops
    capacity_k: np.ndarray  # (N,) float64 thousand troops
    regen_per_day: np.ndarray  # (N,) float64 1/day
    value_of_gains: np.ndarray  # (N,) float64 utility
    status_quo_value: np.ndarray  # (N,) float64 utility
    rationality: np.ndarray  # (N,) float64 1/utility
    tactical_precision: np.ndarray  # (N,) float64 1/utility
    incident_value: np.ndarray  # (N,) float64 utility
    probe_value: np.ndarray  # (N,) float64 utility
    info_weight: np.ndarray  # (N,) float64 1
    long_war_share: np.ndarray  # (N,) float64 1
    long_war_cost: np.ndarray  # (N,) float64 utility
    quick_win_ratio: np.ndarray  # (N,) float64 1
    quick_win_steepness: np.ndarray  # (N,) float64 1
    offensive_share: np.ndarray  # (N,) float64 1
    probe_share: np.ndarray  # (N,) float64 1
    type_spread: np.ndarray  # (N,) float64 log units
    probe_spread: np.ndarray  # (N,) float64 utility
    shock_sd: np.ndarray  # (N,) float64 utility
    shock_halflife_days: np.ndarray  # (N,) float64 days
    review_interval_days: np.ndarray  # (N,) int64 days
    discount_per_year: np.ndarray  # (N,) float64 1/year
    backdown_cost: np.ndarray  # (N,) float64 utility
    tripwire_belief: np.ndarray  # (N,) float64 1
    prior_concentration: np.ndarray  # (N,) float64 pseudo-observations
    sanctions_initial: np.ndarray  # (N,) float64 index
    sanctions_decay_per_day: np.ndarray  # (N,) float64 1/day
    sanctions_snapback: np.ndarray  # (N,) float64 index
    sanctions_weight: np.ndarray  # (N,) float64 utility/index
    sanctions_drag: np.ndarray  # (N,) float64 1
    tension_weight: np.ndarray  # (N,) float64 utility/tension
    retaliation_cost: np.ndarray  # (N,) float64 utility
    response_cost_coalition: np.ndarray  # (N,) float64 utility per 25k troops
    response_cost_us: np.ndarray  # (N,) float64 utility
    clash_cost: np.ndarray  # (N,) float64 utility
    incident_cost: np.ndarray  # (N,) float64 utility
    probe_response_share: np.ndarray  # (N,) float64 1
    avoidance: np.ndarray  # (N,) float64 1
    tension_persistence: np.ndarray  # (N,) float64 1/day
    attrition_rate: np.ndarray  # (N,) float64 1/day
    probe_frontage_km: np.ndarray  # (N,) float64 km
    probe_advance_km: np.ndarray  # (N,) float64 km
    offensive_frontage_km: np.ndarray  # (N,) float64 km
    offensive_advance_km: np.ndarray  # (N,) float64 km

@dataclass(frozen=True)
class UkraineParams:
    """``ukraine.*`` parameters, one value per scenario: each (N,) array."""

    strength_k: np.ndarray  # (N,) float64 thousand troops
    capacity_k: np.ndarray  # (N,) float64 thousand troops
    regen_per_day: np.ndarray  # (N,) float64 1/day
    aid_k_per_day: np.ndarray  # (N,) float64 thousand troops/day
    investment_to_capacity: np.ndarray  # (N,) float64 thousand troops per $bn
    front_share: np.ndarray  # (N,) float64 1
    local_share: np.ndarray  # (N,) float64 1
    retaliation: np.ndarray  # (N,) float64 probability
    retaliation_tension: np.ndarray  # (N,) float64 tension
    attrition_rate: np.ndarray  # (N,) float64 1/day

@dataclass(frozen=True)
class CoalitionParams:
    """``coalition.*`` parameters, one value per scenario: each (N,) array."""

    members: np.ndarray  # (N,) int64 states
    troops_k: np.ndarray  # (N,) float64 thousand troops
    credibility: np.ndarray  # (N,) float64 probability
    resolve: np.ndarray  # (N,) float64 probability
    resolve_spread: np.ndarray  # (N,) float64 probability
    binding: np.ndarray  # (N,) float64 1
    decision_rule: np.ndarray  # (N,) int64 codes.DecisionRule
    lead_delay_days: np.ndarray  # (N,) int64 days
    majority_delay_days: np.ndarray  # (N,) int64 days
    unanimity_delay_days: np.ndarray  # (N,) int64 days
    consolidation_days: np.ndarray  # (N,) float64 days
    deploy_days: np.ndarray  # (N,) int64 days
    initial_share: np.ndarray  # (N,) float64 1
    reneging_cost: np.ndarray  # (N,) float64 support
    correlation: np.ndarray  # (N,) float64 1
    veto_propensity: np.ndarray  # (N,) float64 probability
    forward_share: np.ndarray  # (N,) float64 1
    line_cover_k: np.ndarray  # (N,) float64 thousand troops
    tripwire_automaticity: np.ndarray  # (N,) float64 probability
    quality: np.ndarray  # (N,) float64 1
    support: np.ndarray  # (N,) float64 share
    support_spread: np.ndarray  # (N,) float64 share
    support_recovery_per_day: np.ndarray  # (N,) float64 1/day
    cost_sensitivity: np.ndarray  # (N,) float64 support/day
    violence_sensitivity: np.ndarray  # (N,) float64 support/day per level
    us_shock: np.ndarray  # (N,) float64 support
    strain_shock: np.ndarray  # (N,) float64 support
    exit_threshold: np.ndarray  # (N,) float64 share

@dataclass(frozen=True)
class USParams:
    """``us.*`` parameters, one value per scenario: each (N,) array."""

    credibility: np.ndarray  # (N,) float64 probability
    resolve: np.ndarray  # (N,) float64 probability
    binding: np.ndarray  # (N,) float64 1
    capability: np.ndarray  # (N,) float64 1
    coordination: np.ndarray  # (N,) float64 1
    attention: np.ndarray  # (N,) float64 share
    attention_mean: np.ndarray  # (N,) float64 share
    attention_reversion_per_day: np.ndarray  # (N,) float64 1/day
    attention_volatility: np.ndarray  # (N,) float64 share/day
    review_day: np.ndarray  # (N,) int64 day
    review_lapse: np.ndarray  # (N,) float64 probability
    review_window_days: np.ndarray  # (N,) float64 days

@dataclass(frozen=True)
class CeasefireParams:
    """``ceasefire.*`` parameters, one value per scenario: each (N,) array."""

    clash_escalation: np.ndarray  # (N,) float64 probability
    spiral_halflife_days: np.ndarray  # (N,) float64 days
    spiral_share: np.ndarray  # (N,) float64 share

@dataclass(frozen=True)
class MonitoringParams:
    """``monitoring.*`` parameters, one value per scenario: each (N,) array."""

    regime: np.ndarray  # (N,) int64 codes.MonitoringRegime
    access: np.ndarray  # (N,) float64 share

@dataclass(frozen=True)
class ReconstructionParams:
    """``reconstruction.*`` parameters, one value per scenario: each (N,) array."""

    max_bn_per_day: np.ndarray  # (N,) float64 $bn/day
    elasticity: np.ndarray  # (N,) float64 1
    violence_halflife_days: np.ndarray  # (N,) float64 days
    violence_scale: np.ndarray  # (N,) float64 level


_GROUP_TYPES = {"russia": RussiaParams, "ukraine": UkraineParams, "coalition": CoalitionParams, "us": USParams,
                "ceasefire": CeasefireParams, "monitoring": MonitoringParams,
                "reconstruction": ReconstructionParams}


@dataclass(frozen=True)
class Params:
    """Per-scenario parameter values by group (``p.us.resolve``: (N,) array) and the run's structural constants."""

    russia: RussiaParams
    ukraine: UkraineParams
    coalition: CoalitionParams
    us: USParams
    ceasefire: CeasefireParams
    monitoring: MonitoringParams
    reconstruction: ReconstructionParams
    seed: int
    horizon_days: int
    collapse_level: int
    member_slots: int  # M: the most members any scenario of the design can have

    GROUPS: ClassVar[dict[str, type]] = _GROUP_TYPES

    @classmethod
    def from_columns(cls, columns: dict[str, np.ndarray], *, seed: int, horizon_days: int, collapse_level: int,
                     member_slots: int) -> Params:
        """Params from one (N,) array per key ``group.name`` (every parameter of the table, no other)."""
        groups = {}
        for group, kind in _GROUP_TYPES.items():
            groups[group] = kind(**{f.name: columns[f"{group}.{f.name}"] for f in fields(kind)})
        return cls(**groups, seed=seed, horizon_days=horizon_days, collapse_level=collapse_level,
                   member_slots=member_slots)

    def column(self, key: str) -> np.ndarray:
        """Values of one parameter by its key ``group.name``; (N,)."""
        group, name = key.split(".")
        return getattr(getattr(self, group), name)

    def columns(self) -> dict[str, np.ndarray]:
        """Every parameter's values: key ``group.name`` -> (N,) array."""
        return {f"{group}.{f.name}": getattr(getattr(self, group), f.name)
                for group, kind in _GROUP_TYPES.items() for f in fields(kind)}

    def take(self, rows: np.ndarray) -> Params:
        """Parameters of a subset of scenarios (positions ``rows``)."""
        groups = {group: kind(**{f.name: getattr(getattr(self, group), f.name)[rows] for f in fields(kind)})
                  for group, kind in _GROUP_TYPES.items()}
        return replace(self, **groups)


# ----------------------------------------------------------------------------------------------- state


@dataclass
class State:
    """Everything that changes during a scenario; one row per scenario (N) and member slot (M)."""

    scenario: np.ndarray  # (N,) int64 global scenario index
    # Russia: its type (drawn once), the persistent shock, its beliefs
    ru_gains: np.ndarray  # (N,) float64 utility: this Russia's value of achieving its war aims (fixed)
    ru_status_quo: np.ndarray  # (N,) float64 utility: value it gives up if the ceasefire ends (fixed)
    ru_war_cost: np.ndarray  # (N,) float64 utility: cost of a protracted war (fixed)
    ru_revisionism: np.ndarray  # (N,) float64 standard normal: the log factor of ru_gains over its sd (fixed)
    ru_shock: np.ndarray  # (N,) float64 utility: persistent, mean-reverting shock to the value of war
    review_offset: np.ndarray  # (N,) int64 day in [0, review interval) of Russia's strategic reviews (fixed)
    ru_strength_k: np.ndarray  # (N,) float64 thousand troops in theatre
    sanctions: np.ndarray  # (N,) float64 sanctions pressure index in [0, 1]
    # Russia's posteriors over US resolve ([:, 0], ``belief_us``) and coalition resolve ([:, 1], ``belief_co``) on
    # rules.RESOLVE_GRID, in one array: a day's learning copies it once for both.
    beliefs: np.ndarray  # (N, 2, G) float64
    # Moments of the two posteriors, kept with them (engine.refresh_beliefs): the daily phases read them.
    us_mean: np.ndarray  # (N,) float64 posterior mean of US resolve
    us_sd: np.ndarray  # (N,) float64 its standard deviation
    co_mean: np.ndarray  # (N,) float64 posterior mean of coalition resolve
    co_sd: np.ndarray  # (N,) float64 its standard deviation
    believed_co_response: np.ndarray  # (N,) float64 Russia's assessed chance that the coalition answers a probe
    # Ukraine
    ua_strength_k: np.ndarray  # (N,) float64 thousand troops holding the line
    ua_capacity_k: np.ndarray  # (N,) float64 thousand troops Ukraine regenerates towards
    territory_km2: np.ndarray  # (N,) float64 ground held relative to the ceasefire line (< 0: lost)
    retaken_km2: np.ndarray  # (N,) float64 cumulative ground retaken by responses to probes
    investment_total_bn: np.ndarray  # (N,) float64 cumulative reconstruction investment, $bn
    # Coalition members
    member_troops_k: np.ndarray  # (N, M) float32 thousand troops deployed (0 once withdrawn)
    member_support: np.ndarray  # (N, M) float32 domestic support in [0, 1] (float32: the daily update is the hot path)
    member_active: np.ndarray  # (N, M) bool still deployed
    member_resolve: np.ndarray  # (N, M) float64 true resolve (fixed per scenario)
    member_baseline: np.ndarray  # (N, M) float32 support level support reverts to (fixed)
    member_cost: np.ndarray  # (N, M) float32 support lost per day of deployment (fixed)
    coalition_troops_k: np.ndarray  # (N,) float64 sum of member_troops_k (kept with it by refresh_coalition)
    deployed_share: np.ndarray  # (N,) float64 share of the members' troops in the country (deployment ramp)
    coalition_members: np.ndarray  # (N,) int64 members deployed: count of member_active (likewise)
    initial_members: np.ndarray  # (N,) int64 members at the ceasefire
    initial_troops_k: np.ndarray  # (N,) float64 troops at the ceasefire
    co_decision_day: np.ndarray  # (N,) int64 day of the pending coalition decision, -1 if none
    co_decision_hit: np.ndarray  # (N,) bool the pending decision follows an attack on coalition troops
    co_decision_us: np.ndarray  # (N,) bool the US acted on the attack the pending decision answers
    probe_ground_km2: np.ndarray  # (N,) float64 ground taken by the probe the pending decision answers
    probe_day: np.ndarray  # (N,) int64 day of that probe, -1 if none
    # United States
    us_attention: np.ndarray  # (N,) float64 political attention in [0, 1]
    us_committed: np.ndarray  # (N,) bool backstop pledge in force (may lapse at the review)
    # Ceasefire
    tension: np.ndarray  # (N,) float64 escalation pressure from recent exchanges of fire
    violence: np.ndarray  # (N,) float64 recent violence: exponentially weighted mean level
    fighting: np.ndarray  # (N,) float64 recent share of fighting days (probe level or above), EWMA
    level: np.ndarray  # (N,) int64 today's escalation level, codes.Level
    max_level: np.ndarray  # (N,) int64 highest level reached
    max_level_day: np.ndarray  # (N,) int64 day it was first reached
    collapsed: np.ndarray  # (N,) bool
    collapse_day: np.ndarray  # (N,) int64 day of collapse, -1 while holding
    failure_mode: np.ndarray  # (N,) int64 codes.FailureMode
    # Counters (cumulative)
    violations: np.ndarray  # (N,) int64 days with a Russian violation (incidents, probe or offensive)
    incidents: np.ndarray  # (N,) int64 days with incidents
    probes: np.ndarray  # (N,) int64 limited ground attacks
    first_probe_day: np.ndarray  # (N,) int64 day of the first probe, -1 if none
    detected: np.ndarray  # (N,) int64 violations detected by monitors
    attributed: np.ndarray  # (N,) int64 violations attributed to Russia
    answered: np.ndarray  # (N,) int64 days on which a guarantor answered a violation
    retaliations: np.ndarray  # (N,) int64 Ukrainian retaliations
    us_probe_answers: np.ndarray  # (N,) int64 probes the US answered
    us_fought_war: np.ndarray  # (N,) bool the US fought alongside the defenders in a renewed war
    us_nonresponses: np.ndarray  # (N,) int64 attributed attacks the US left unanswered
    co_responses: np.ndarray  # (N,) int64 coalition decisions to respond
    co_nonresponses: np.ndarray  # (N,) int64 coalition decisions not to respond
    clashes: np.ndarray  # (N,) int64 exchanges of fire with guarantor troops (contained or not)
    # Daily rates derived once from the parameters (fixed): the phases read them every day
    shock_persistence: np.ndarray  # (N,) float64 daily persistence of ru_shock (russia.shock_halflife_days)
    violence_persistence: np.ndarray  # (N,) float64 of violence (reconstruction.violence_halflife_days)
    fighting_persistence: np.ndarray  # (N,) float64 of fighting (ceasefire.spiral_halflife_days)
    decision_delay_days: np.ndarray  # (N,) int64 days from a trigger to the coalition's decision under its rule

    @property
    def belief_us(self) -> np.ndarray:
        """Russia's posterior over US resolve; (N, G) view of ``beliefs``."""
        return self.beliefs[:, 0]

    @belief_us.setter
    def belief_us(self, grid: np.ndarray) -> None:
        self.beliefs = _with_grid(self.beliefs, 0, grid)

    @property
    def belief_co(self) -> np.ndarray:
        """Russia's posterior over coalition resolve; (N, G) view of ``beliefs``."""
        return self.beliefs[:, 1]

    @belief_co.setter
    def belief_co(self, grid: np.ndarray) -> None:
        self.beliefs = _with_grid(self.beliefs, 1, grid)

    def take(self, rows: np.ndarray) -> State:
        """The state of a subset of scenarios (positions ``rows``)."""
        return State(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


def _with_grid(beliefs: np.ndarray, which: int, grid: np.ndarray) -> np.ndarray:
    """A copy of ``beliefs`` (N, 2, G) with posterior ``which`` replaced by ``grid`` (N, G)."""
    new = beliefs.copy()
    new[:, which] = grid
    return new


@dataclass
class Today:
    """Intermediate results of the current day, phase by phase (all (N,) unless noted)."""

    day: int
    # Phase 1: Russia's choice, and the day's monitoring and decision rates it anticipates (phases 2 and 4 use them).
    probs: np.ndarray | None = None  # (N, 3) Russia's daily choice probabilities: hold, incidents, probe
    review: np.ndarray | None = None  # (N,) bool today is one of Russia's strategic reviews
    war_value: np.ndarray | None = None  # (N,) expected value of the war itself (utility; NaN off review days)
    response_cost: np.ndarray | None = None  # (N,) believed cost of the guarantors' responses (likewise)
    waiting_value: np.ndarray | None = None  # (N,) value of waiting for the next review (likewise)
    offensive_gap: np.ndarray | None = None  # (N,) offensive utility minus the value of waiting (likewise)
    p_offensive: np.ndarray | None = None  # (N,) probability of deciding on an offensive today (0 off reviews)
    action: np.ndarray | None = None  # Russia's action, codes.Action
    det_incident: np.ndarray | None = None  # probability that monitors detect incidents today
    det_probe: np.ndarray | None = None  # probability that monitors detect a probe today
    attribution: np.ndarray | None = None  # probability that a detected violation is attributed to Russia
    decision_delay_days: np.ndarray | None = None  # (N,) int64 days from a trigger to the coalition's decision
    p_hit: np.ndarray | None = None  # probability that a probe meets coalition troops
    p_meet_offensive: np.ndarray | None = None  # probability that an offensive meets coalition troops
    detected: np.ndarray | None = None
    attributed: np.ndarray | None = None
    retaliated: np.ndarray | None = None
    hit: np.ndarray | None = None  # a Russian attack met coalition troops
    fired_back: np.ndarray | None = None  # those troops fought (tripwire): a clash
    escalated: np.ndarray | None = None  # the clash escalated into war
    us_acted: np.ndarray | None = None
    us_failed: np.ndarray | None = None
    co_started: np.ndarray | None = None  # a coalition decision was put in motion today
    co_decided: np.ndarray | None = None  # a coalition decision was taken today
    co_responded: np.ndarray | None = None
    co_participants: np.ndarray | None = None  # (N,) members taking part in today's response
    ground_km2: np.ndarray | None = None  # ground Russia took today
    retaken_km2: np.ndarray | None = None  # ground a response retook today
    ru_losses_k: np.ndarray | None = None
    ua_losses_k: np.ndarray | None = None
    level: np.ndarray | None = None  # today's escalation level, codes.Level
    strain: tuple | None = None  # (rows, (k, M) support each member loses for today's coalition decisions)
    investment_bn_per_day: np.ndarray | None = None  # today's investment flow, $bn/day
    withdrew: np.ndarray | None = None  # (N, M) members that withdrew today
    beliefs_before: tuple | None = None  # (us mean, coalition mean) before learning
    us_lapsed: np.ndarray | None = None  # (N,) bool the US pledge lapsed at today's review


# ------------------------------------------------------------------------------------------ coalition
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


