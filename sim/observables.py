"""Observables, declared once with their units: per-scenario outcomes and per-day series.

``outcomes(state, params)`` gives the row of ``BatchResult.outcomes`` for each scenario of a state;
``series(state, params, today)`` gives the per-day values recorded in trajectories. The batch engine and
the Mesa model (its DataCollector) both read these functions.
"""

from __future__ import annotations

import numpy as np

from sim import rules as R
from sim.codes import Action, FailureMode
from sim.engine import believed_coalition, believed_us, coalition_troops, reassurance, security
from sim.state import Params, State, Today

# name -> (unit, meaning)
OUTCOMES: dict[str, tuple[str, str]] = {
    "collapsed": ("bool", "the ceasefire collapsed (escalation level >= collapse_level) before the horizon"),
    "collapse_day": ("day", "day of collapse; missing when the ceasefire held to the horizon (censored)"),
    "end_day": ("day", "last day simulated: the collapse day, or the horizon"),
    "failure_mode": ("category", "none, offensive, clash (with guarantor forces) or spiral"),
    "max_level": ("level", "highest escalation level reached, 0..4"),
    "max_level_day": ("day", "day the highest level was first reached (0 if never above quiet)"),
    "violations": ("days", "days with a Russian violation"),
    "incidents": ("days", "days with incidents"),
    "probes": ("count", "limited ground attacks"),
    "violations_detected": ("count", "violations detected by monitors"),
    "violations_attributed": ("count", "violations attributed to Russia"),
    "violations_answered": ("count", "days on which a guarantor answered a violation"),
    "retaliations": ("count", "Ukrainian retaliations"),
    "clashes": ("count", "direct clashes with guarantor forces"),
    "territory_change_km2": ("km2", "ground held by Ukraine relative to the ceasefire line (< 0: lost)"),
    "investment_total_bn": ("$bn", "cumulative reconstruction investment"),
    "coalition_members_final": ("states", "members still deployed at the end"),
    "coalition_troops_final_k": ("thousand troops", "coalition troops still deployed at the end"),
    "coalition_responses": ("count", "coalition decisions to respond"),
    "coalition_nonresponses": ("count", "coalition decisions not to respond"),
    "us_engaged": ("bool", "the US backstop acted at least once"),
    "us_activations": ("count", "times the US backstop acted"),
    "us_nonresponses": ("count", "attributed attacks the US left unanswered"),
    "us_committed_final": ("bool", "US pledge still in force at the end"),
    "belief_us_final": ("probability", "Russia's final belief in US resolve (posterior mean)"),
    "belief_coalition_final": ("probability", "Russia's final belief in coalition resolve (posterior mean)"),
    "security_final": ("index", "final security index, 0..1"),
    "reassurance_final": ("index", "final eastern-flank reassurance index, 0..1"),
    "ru_strength_final_k": ("thousand troops", "Russian strength at the end"),
    "ua_strength_final_k": ("thousand troops", "Ukrainian strength at the end"),
    "sanctions_final": ("index", "sanctions pressure at the end"),
}

# name -> (unit, meaning); recorded on day 0 (the ceasefire) and after each step.
SERIES: dict[str, tuple[str, str]] = {
    "level": ("level", "escalation level of the day, 0..4"),
    "incident": ("0/1", "Russia committed incidents that day"),
    "belief_us": ("probability", "Russia's belief in US resolve (posterior mean)"),
    "belief_coalition": ("probability", "Russia's belief in coalition resolve (posterior mean)"),
    "believed_us_response": ("probability", "Russia's expected chance that the US acts if triggered"),
    "believed_coalition_response": ("probability", "Russia's expected chance that the coalition responds"),
    "active_members": ("states", "coalition members deployed"),
    "troops_k": ("thousand troops", "coalition troops deployed"),
    "ru_strength_k": ("thousand troops", "Russian strength"),
    "ua_strength_k": ("thousand troops", "Ukrainian strength"),
    "territory_km2": ("km2", "ground relative to the ceasefire line"),
    "investment_total_bn": ("$bn", "cumulative reconstruction investment"),
    "security": ("index", "security index"),
    "reassurance": ("index", "eastern-flank reassurance index"),
    "tension": ("tension", "escalation pressure"),
    "us_attention": ("share", "US political attention"),
    "sanctions": ("index", "sanctions pressure"),
    "violations": ("days", "cumulative violations"),
}


def outcomes(s: State, p: Params, horizon_days: int) -> dict[str, np.ndarray]:
    """Outcome columns (each (N,)) for the scenarios of a finished state."""
    collapse_day = np.where(s.collapsed, s.collapse_day, -1)
    return {
        "collapsed": s.collapsed.copy(),
        "collapse_day": collapse_day,
        "end_day": np.where(s.collapsed, s.collapse_day, horizon_days),
        "failure_mode": np.where(s.collapsed, s.failure_mode, FailureMode.NONE),
        "max_level": s.max_level.copy(),
        "max_level_day": s.max_level_day.copy(),
        "violations": s.violations.copy(),
        "incidents": s.incidents.copy(),
        "probes": s.probes.copy(),
        "violations_detected": s.detected.copy(),
        "violations_attributed": s.attributed.copy(),
        "violations_answered": s.answered.copy(),
        "retaliations": s.retaliations.copy(),
        "clashes": s.clashes.copy(),
        "territory_change_km2": s.territory_km2.copy(),
        "investment_total_bn": s.investment_total_bn.copy(),
        "coalition_members_final": s.member_active.sum(axis=1).astype(np.int64),
        "coalition_troops_final_k": coalition_troops(s),
        "coalition_responses": s.co_responses.copy(),
        "coalition_nonresponses": s.co_nonresponses.copy(),
        "us_engaged": s.us_activations > 0,
        "us_activations": s.us_activations.copy(),
        "us_nonresponses": s.us_nonresponses.copy(),
        "us_committed_final": s.us_committed.copy(),
        "belief_us_final": R.beta_mean(s.us_a, s.us_b),
        "belief_coalition_final": R.beta_mean(s.co_a, s.co_b),
        "security_final": security(s, p),
        "reassurance_final": reassurance(s, p),
        "ru_strength_final_k": s.ru_strength_k.copy(),
        "ua_strength_final_k": s.ua_strength_k.copy(),
        "sanctions_final": s.sanctions.copy(),
    }


def series(s: State, p: Params, today: Today | None) -> dict[str, np.ndarray]:
    """Per-day values (each (N,) float64) after a step; ``today`` is None on day 0."""
    day = 0 if today is None else today.day
    incident = np.zeros(len(s.scenario)) if today is None else (today.action == Action.INCIDENTS).astype(np.float64)
    return {
        "level": s.level.astype(np.float64),
        "incident": incident,
        "belief_us": R.beta_mean(s.us_a, s.us_b),
        "belief_coalition": R.beta_mean(s.co_a, s.co_b),
        "believed_us_response": believed_us(s, p, day + 1),
        "believed_coalition_response": believed_coalition(s, p),
        "active_members": s.member_active.sum(axis=1).astype(np.float64),
        "troops_k": coalition_troops(s),
        "ru_strength_k": s.ru_strength_k,
        "ua_strength_k": s.ua_strength_k,
        "territory_km2": s.territory_km2,
        "investment_total_bn": s.investment_total_bn,
        "security": security(s, p),
        "reassurance": reassurance(s, p),
        "tension": s.tension,
        "us_attention": s.us_attention,
        "sanctions": s.sanctions,
        "violations": s.violations.astype(np.float64),
    }
