"""Observables, declared once with their units: per-scenario outcomes and per-day series.

``outcomes(state, params)`` gives the row of ``BatchResult.outcomes`` for each scenario of a state;
``series(state, params, today)`` gives the per-day values recorded in trajectories. The batch engine and
the Mesa model (its DataCollector) both read these functions.
"""

from __future__ import annotations

import numpy as np

from sim.codes import Action, FailureMode
from sim.engine import belief_coalition, belief_us, believed_us, coalition_troops, reassurance, security
from sim.state import Params, State, Today

# A quiet ceasefire: no probe in this many days. A frozen conflict: no collapse, incidents on at least this share of
# the days simulated (OSCE SMM: violations recorded on most days under Minsk II, 2015-2021).
QUIET_DAYS = 365
FROZEN_INCIDENT_SHARE = 0.5

# name -> (unit, meaning)
OUTCOMES: dict[str, tuple[str, str]] = {
    "collapsed": ("bool", "the ceasefire collapsed before the horizon: war (an offensive or an escalated clash) or a "
                          "spiral of sustained fighting"),
    "collapse_day": ("day", "day of collapse; missing when the ceasefire held to the horizon (censored)"),
    "end_day": ("day", "last day simulated: the collapse day, or the horizon"),
    "failure_mode": ("category", "none, offensive, clash (escalated into war) or spiral"),
    "max_level": ("level", "highest rung reached: 0 quiet, 1 incidents, 2 probe, 3 contained clash, 4 war"),
    "max_level_day": ("day", "day the highest level was first reached (0 if never above quiet)"),
    "violations": ("days", "days with a Russian violation"),
    "incidents": ("days", "days with incidents"),
    "probes": ("count", "limited ground attacks"),
    "first_probe_day": ("day", "day of the first probe; -1 if none"),
    "quiet_first_year": ("bool", f"no probe in the first {QUIET_DAYS} days (and no collapse before)"),
    "frozen_conflict": ("bool", f"held to the horizon with incidents on at least {FROZEN_INCIDENT_SHARE:.0%} of "
                                "the days"),
    "violations_detected": ("count", "violations detected by monitors"),
    "violations_attributed": ("count", "violations attributed to Russia"),
    "violations_answered": ("count", "days on which a guarantor answered a violation"),
    "retaliations": ("count", "Ukrainian retaliations"),
    "clashes": ("count", "exchanges of fire with guarantor troops (contained or escalated)"),
    "territory_change_km2": ("km2", "ground held by Ukraine relative to the ceasefire line (< 0: lost)"),
    "ground_retaken_km2": ("km2", "ground retaken by responses to probes"),
    "investment_total_bn": ("$bn", "cumulative reconstruction investment"),
    "coalition_members_final": ("states", "members still deployed at the end"),
    "coalition_troops_final_k": ("thousand troops", "coalition troops in the country at the end"),
    "coalition_responses": ("count", "coalition decisions to respond"),
    "coalition_nonresponses": ("count", "coalition decisions not to respond"),
    "us_probe_answers": ("count", "probes the US backstop answered"),
    "us_fought_war": ("bool", "the US fought alongside the defenders in a renewed war"),
    "us_nonresponses": ("count", "attributed attacks the US left unanswered"),
    "us_committed_final": ("bool", "US pledge still in force at the end"),
    "belief_us_final": ("probability", "Russia's final belief in US resolve (posterior mean)"),
    "belief_coalition_final": ("probability", "Russia's final belief in coalition resolve (posterior mean)"),
    "security_final": ("index", "final security index, 0..1"),
    "reassurance_final": ("index", "final eastern-flank reassurance index, 0..1"),
    "ru_strength_final_k": ("thousand troops", "Russian strength at the end"),
    "ua_strength_final_k": ("thousand troops", "Ukrainian strength at the end"),
    "sanctions_final": ("index", "sanctions pressure at the end"),
    "russia_gains": ("utility", "this scenario's Russia: value of achieving its war aims (its type)"),
    "russia_status_quo": ("utility", "this scenario's Russia: value it gives up if the ceasefire ends (its type)"),
    "russia_war_cost": ("utility", "this scenario's Russia: cost of a protracted war (its type)"),
}

# name -> (unit, meaning); recorded on day 0 (the ceasefire) and after each step.
SERIES: dict[str, tuple[str, str]] = {
    "level": ("level", "escalation level of the day, 0..4"),
    "incident": ("0/1", "Russia committed incidents that day"),
    "belief_us": ("probability", "Russia's belief in US resolve (posterior mean)"),
    "belief_coalition": ("probability", "Russia's belief in coalition resolve (posterior mean)"),
    "believed_us_response": ("probability", "Russia's expected chance that the US acts if triggered"),
    "believed_coalition_response": ("probability", "Russia's assessed chance that the coalition answers a probe"),
    "active_members": ("states", "coalition members deployed"),
    "troops_k": ("thousand troops", "coalition troops in the country"),
    "ru_strength_k": ("thousand troops", "Russian strength"),
    "ua_strength_k": ("thousand troops", "Ukrainian strength"),
    "territory_km2": ("km2", "ground relative to the ceasefire line"),
    "investment_total_bn": ("$bn", "cumulative reconstruction investment"),
    "security": ("index", "security index"),
    "reassurance": ("index", "eastern-flank reassurance index"),
    "tension": ("tension", "escalation pressure"),
    "fighting": ("share", "recent share of fighting days (probe level or above); a spiral at ceasefire.spiral_share"),
    "valuation_shock": ("utility", "the persistent shock to Russia's value of war"),
    "offensive_gap": ("utility", "on Russia's strategic review days (NaN on others): the offensive's utility less the "
                                 "value of waiting (> 0: worth attacking)"),
    "us_attention": ("share", "US political attention"),
    "sanctions": ("index", "sanctions pressure"),
    "violations": ("days", "cumulative violations"),
}


def outcomes(s: State, p: Params, horizon_days: int) -> dict[str, np.ndarray]:
    """Outcome columns (each (N,)) for the scenarios of a finished state."""
    collapse_day = np.where(s.collapsed, s.collapse_day, -1)
    end_day = np.where(s.collapsed, s.collapse_day, horizon_days)
    first_probe = s.first_probe_day
    return {
        "collapsed": s.collapsed.copy(),
        "collapse_day": collapse_day,
        "end_day": end_day,
        "failure_mode": np.where(s.collapsed, s.failure_mode, FailureMode.NONE),
        "max_level": s.max_level.copy(),
        "max_level_day": s.max_level_day.copy(),
        "violations": s.violations.copy(),
        "incidents": s.incidents.copy(),
        "probes": s.probes.copy(),
        "first_probe_day": first_probe.copy(),
        "quiet_first_year": ((first_probe < 0) | (first_probe > QUIET_DAYS)) & (end_day > QUIET_DAYS),
        "frozen_conflict": ~s.collapsed & (s.incidents >= FROZEN_INCIDENT_SHARE * np.maximum(end_day, 1)),
        "violations_detected": s.detected.copy(),
        "violations_attributed": s.attributed.copy(),
        "violations_answered": s.answered.copy(),
        "retaliations": s.retaliations.copy(),
        "clashes": s.clashes.copy(),
        "territory_change_km2": s.territory_km2.copy(),
        "ground_retaken_km2": s.retaken_km2.copy(),
        "investment_total_bn": s.investment_total_bn.copy(),
        "coalition_members_final": s.member_active.sum(axis=1).astype(np.int64),
        "coalition_troops_final_k": coalition_troops(s),
        "coalition_responses": s.co_responses.copy(),
        "coalition_nonresponses": s.co_nonresponses.copy(),
        "us_probe_answers": s.us_probe_answers.copy(),
        "us_fought_war": s.us_fought_war.copy(),
        "us_nonresponses": s.us_nonresponses.copy(),
        "us_committed_final": s.us_committed.copy(),
        "belief_us_final": belief_us(s),
        "belief_coalition_final": belief_coalition(s),
        "security_final": security(s, p),
        "reassurance_final": reassurance(s, p),
        "ru_strength_final_k": s.ru_strength_k.copy(),
        "ua_strength_final_k": s.ua_strength_k.copy(),
        "sanctions_final": s.sanctions.copy(),
        "russia_gains": s.ru_gains.copy(),
        "russia_status_quo": s.ru_status_quo.copy(),
        "russia_war_cost": s.ru_war_cost.copy(),
    }


def series(s: State, p: Params, today: Today | None) -> dict[str, np.ndarray]:
    """Per-day values (each (N,) float64) after a step; ``today`` is None on day 0."""
    day = 0 if today is None else today.day
    n = len(s.scenario)
    incident = np.zeros(n) if today is None else (today.action == Action.INCIDENTS).astype(np.float64)
    gap = np.full(n, np.nan) if today is None else today.offensive_gap
    return {
        "level": s.level.astype(np.float64),
        "incident": incident,
        "belief_us": belief_us(s),
        "belief_coalition": belief_coalition(s),
        "believed_us_response": believed_us(s, p, day + 1),
        "believed_coalition_response": s.believed_co_response.copy(),
        "active_members": s.member_active.sum(axis=1).astype(np.float64),
        "troops_k": coalition_troops(s),
        "ru_strength_k": s.ru_strength_k,
        "ua_strength_k": s.ua_strength_k,
        "territory_km2": s.territory_km2,
        "investment_total_bn": s.investment_total_bn,
        "security": security(s, p),
        "reassurance": reassurance(s, p),
        "tension": s.tension,
        "fighting": s.fighting,
        "valuation_shock": s.ru_shock,
        "offensive_gap": gap,
        "us_attention": s.us_attention,
        "sanctions": s.sanctions,
        "violations": s.violations.astype(np.float64),
    }
