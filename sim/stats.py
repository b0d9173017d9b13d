"""Statistics of outcome tables, defined once: intervals, survival, the headline summary and a report row.

Every function takes an outcome table (one row per scenario: ``collapsed``, ``collapse_day`` (NA or -1 when the
ceasefire held), ``failure_mode`` (a name of ``sim.codes.FailureMode``), ``max_level``, ...) or plain arrays, and
returns plain numbers: ``summarize`` gives ``summary.json``, ``condition_row`` one row of a sweep report's
``conditions.csv``. Both take their collapse probability, Wilson interval, survival curve, median survival, failure
shares and means from the same helpers here, so a report row and a summary of the same table agree.

Outcome columns are named in ``SUMMARY_FIGURES`` and ``CONDITION_MEANS`` only: renaming an outcome column is a
one-line change there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.codes import FailureMode, Level

Z95 = 1.959963984540054  # two-sided 95% normal quantile

# summary.json key -> (outcome column, statistic): "mean" gives {"mean", "ci95"}, "share" the mean of a flag.
# In the order summary.json lists them, after the headline figures.
SUMMARY_FIGURES: dict[str, tuple[str, str]] = {
    "violations": ("violations", "mean"),
    "territory_change_km2": ("territory_change_km2", "mean"),
    "investment_total_bn": ("investment_total_bn", "mean"),
    "coalition_members_final": ("coalition_members_final", "mean"),
    "us_probe_answers": ("us_probe_answers", "mean"),
    "us_fought_war_share": ("us_fought_war", "share"),
    "quiet_first_year_share": ("quiet_first_year", "share"),
    "frozen_conflict_share": ("frozen_conflict", "share"),
    "belief_us_final": ("belief_us_final", "mean"),
    "belief_coalition_final": ("belief_coalition_final", "mean"),
    "reassurance_final": ("reassurance_final", "mean"),
}
# conditions.csv column -> outcome column whose mean it holds.
CONDITION_MEANS: dict[str, str] = {
    "territory_change_km2_mean": SUMMARY_FIGURES["territory_change_km2"][0],
    "investment_total_bn_mean": SUMMARY_FIGURES["investment_total_bn"][0],
}
# Failure modes of a ceasefire that failed (every mode but NONE), in code order: the report's failure columns.
FAILURES = tuple(m.label for m in sorted(FailureMode) if m is not FailureMode.NONE)


# ------------------------------------------------------------------------------------------ intervals
def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score 95% interval of a binomial proportion."""
    if n == 0:
        return (math.nan, math.nan)
    phat = successes / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """Mean and its normal-approximation 95% interval."""
    values = np.asarray(values, dtype=np.float64)
    m = float(values.mean()) if values.size else math.nan
    if values.size < 2:
        return (m, math.nan, math.nan)
    half = z * float(values.std(ddof=1)) / math.sqrt(values.size)
    return (m, m - half, m + half)


# ------------------------------------------------------------------------------------------ survival
def survival_curve(collapse_day: np.ndarray, horizon_days: int) -> pd.DataFrame:
    """Share of scenarios whose ceasefire still holds at the end of each day 0..horizon, with 95% Wilson band.

    All scenarios share one horizon, so censoring happens only there and the Kaplan-Meier estimate equals the
    empirical survival share; ``collapse_day`` uses -1 (or NaN) for scenarios that held.
    """
    days = np.asarray(pd.Series(collapse_day).fillna(-1), dtype=np.int64)
    n = len(days)
    collapsed_by = np.cumsum(np.bincount(days[days > 0], minlength=horizon_days + 1)[: horizon_days + 1])
    holding = n - collapsed_by
    bands = [wilson_interval(int(h), n) for h in holding]
    return pd.DataFrame({"day": np.arange(horizon_days + 1), "survival": holding / max(n, 1),
                         "low": [b[0] for b in bands], "high": [b[1] for b in bands]})


def collapse_days(table: pd.DataFrame) -> np.ndarray:
    """Collapse day of each scenario of an outcome table as floats, -1 where the ceasefire held."""
    days = table["collapse_day"].to_numpy(dtype=float, na_value=np.nan)
    return np.where(table["collapsed"].to_numpy(dtype=bool), days, -1.0)


def table_survival(table: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """``survival_curve`` of an outcome table."""
    return survival_curve(collapse_days(table), horizon_days)


def median_survival_day(curve: pd.DataFrame) -> int | None:
    """First day by which at least half the scenarios had collapsed; None when more than half held throughout."""
    below = np.flatnonzero(curve["survival"].to_numpy() <= 0.5)
    return int(curve["day"].iloc[below[0]]) if below.size else None


# ------------------------------------------------------------------------------------------ shares
def failure_shares(table: pd.DataFrame, modes: tuple[str, ...] = FailureMode.names()) -> dict[str, float]:
    """Share of scenarios that ended in each failure mode (``modes``: names of ``FailureMode``, all by default)."""
    return {mode: float((table["failure_mode"] == mode).mean()) for mode in modes}


def level_shares(table: pd.DataFrame) -> dict[str, float]:
    """Share of scenarios by the highest escalation level reached, keyed by the level's code as text."""
    return {str(int(lv)): float((table["max_level"] == lv).mean()) for lv in sorted(Level)}


def _collapse(table: pd.DataFrame) -> tuple[int, int, float, tuple[float, float], float]:
    """Scenarios, collapses, collapse probability, its Wilson interval, mean collapse day of the collapsed."""
    n = len(table)
    k = int(table["collapsed"].sum())
    days = collapse_days(table)[table["collapsed"].to_numpy(dtype=bool)]
    return n, k, k / n if n else math.nan, wilson_interval(k, n), float(days.mean()) if days.size else math.nan


# ------------------------------------------------------------------------------------------ summaries
def summarize(df: pd.DataFrame, horizon_days: int) -> dict:
    """Headline figures of an outcome table with 95% confidence intervals (plain JSON-able dict)."""
    n, _k, p, (low, high), mean_day = _collapse(df)
    median = median_survival_day(table_survival(df, horizon_days))
    out = {
        "n_scenarios": n,
        "horizon_days": horizon_days,
        "collapse_probability": {"estimate": p, "ci95": [low, high]},
        "median_survival_days": median,
        "median_survival_note": None if median is not None else f"more than half held to day {horizon_days}",
        "mean_collapse_day_if_collapsed": None if math.isnan(mean_day) else mean_day,
        "max_level_distribution": level_shares(df),
        "failure_modes": failure_shares(df),
    }
    for key, (column, statistic) in SUMMARY_FIGURES.items():
        if statistic == "share":
            out[key] = float(df[column].mean())
        else:
            m, lo, hi = mean_interval(df[column].to_numpy(dtype=float))
            out[key] = {"mean": m, "ci95": [lo, hi]}
    return out


def yearly_hazards(table: pd.DataFrame, horizon_days: int, year_days: int = 365) -> pd.DataFrame:
    """Hazard of collapse in each year after the ceasefire: collapses in the year over scenarios still holding at
    its start, with 95% Wilson intervals; one row per (whole or last partial) year."""
    days = collapse_days(table)
    rows = []
    for start in range(0, horizon_days, year_days):
        end = min(start + year_days, horizon_days)
        at_risk = int(((days < 0) | (days > start)).sum())
        failed = int(((days > start) & (days <= end)).sum())
        low, high = wilson_interval(failed, at_risk)
        rows.append({"year": start // year_days + 1, "first_day": start + 1, "last_day": end, "at_risk": at_risk,
                     "collapsed": failed, "hazard": failed / at_risk if at_risk else math.nan,
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def condition_row(table: pd.DataFrame, horizon_days: int,
                  means: Mapping[str, str] = CONDITION_MEANS) -> dict:
    """One row of a report's table of conditions for the scenarios of one condition: scenarios, collapses,
    collapse probability with its 95% Wilson interval (``ci_low``, ``ci_high``), median survival (NaN when more
    than half held to the horizon), mean collapse day of the collapsed, US engaged share, the mean of each
    ``means`` column (row column -> outcome column) and the share of each failure mode (``failure_<mode>``)."""
    n, k, p, (low, high), mean_day = _collapse(table)
    median = median_survival_day(table_survival(table, horizon_days))
    row = {
        "scenarios": n,
        "horizon_days": horizon_days,
        "collapsed": k,
        "collapse_probability": p,
        "ci_low": low,
        "ci_high": high,
        "median_survival_days": math.nan if median is None else float(median),
        "mean_collapse_day": mean_day,
        "us_fought_war_share": float(table[SUMMARY_FIGURES["us_fought_war_share"][0]].mean()),
    }
    row.update({column: float(table[outcome].mean()) for column, outcome in means.items()})
    row.update({f"failure_{mode}": share for mode, share in failure_shares(table, FAILURES).items()})
    return row


# ------------------------------------------------------------------------------------------ comparisons
# paired.csv columns of a comparison (``compare``), in order.
COMPARISON_COLUMNS = (
    "paired", "scenarios", "reference_scenarios",
    "collapse_probability", "reference_collapse_probability", "collapse_diff", "collapse_diff_se",
    "collapse_diff_low", "collapse_diff_high", "collapse_diff_se_unpaired",
    "rmst_days", "reference_rmst_days", "rmst_diff", "rmst_diff_se", "rmst_diff_low", "rmst_diff_high",
    "rmst_diff_se_unpaired",
)


def survival_days(table: pd.DataFrame, horizon_days: int) -> np.ndarray:
    """Days each scenario's ceasefire held within the horizon, min(collapse day, horizon) (the ``end_day``
    outcome), as floats."""
    days = collapse_days(table)
    return np.where(days < 0, float(horizon_days), days)


def _se(values: np.ndarray) -> float:
    """Standard error of a mean (sample standard deviation / sqrt(n)); NaN below two values."""
    return float(np.std(values, ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan


def _square_and_add(k1: int, n1: int, k2: int, n2: int, psi: float, z: float) -> tuple[float, float]:
    """Interval of k1/n1 - k2/n2 from the two Wilson intervals (Newcombe's square-and-add), ``psi`` the
    correlation of the two estimates (0: independent samples)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, z)
    l2, u2 = wilson_interval(k2, n2, z)
    d = p1 - p2
    low = d - math.sqrt(max(0.0, (p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * psi * (p1 - l1) * (u2 - p2)))
    high = d + math.sqrt(max(0.0, (p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * psi * (p2 - l2) * (u1 - p1)))
    return (low, high)


def paired_proportion_interval(x: np.ndarray, y: np.ndarray, z: float = Z95) -> tuple[float, float]:
    """95% interval of mean(x) - mean(y) for paired 0/1 outcomes (``x[i]`` and ``y[i]`` from one pair).

    Newcombe's square-and-add interval for paired proportions with the continuity-corrected correlation
    (Newcombe 1998, Statistics in Medicine 17:2635, method 10): unlike the normal approximation, it has width
    when few pairs disagree and stays inside [-1, 1].
    """
    x, y = np.asarray(x, dtype=bool), np.asarray(y, dtype=bool)
    n = x.size
    if n == 0:
        return (math.nan, math.nan)
    both, x_only, y_only = int(np.sum(x & y)), int(np.sum(x & ~y)), int(np.sum(~x & y))
    neither = n - both - x_only - y_only
    margins = (both + x_only) * (y_only + neither) * (both + y_only) * (x_only + neither)
    det = both * neither - x_only * y_only
    if margins == 0:
        psi = 0.0
    elif det > n / 2:
        psi = (det - n / 2) / math.sqrt(margins)
    else:
        psi = min(det, 0) / math.sqrt(margins)
    return _square_and_add(both + x_only, n, both + y_only, n, psi, z)


def compare(table: pd.DataFrame, reference: pd.DataFrame, horizon_days: int, reference_horizon_days: int,
            paired: bool = True, z: float = Z95) -> dict:
    """Difference ``table`` minus ``reference`` in collapse probability and in restricted mean survival (days),
    with standard errors and 95% intervals (``COMPARISON_COLUMNS``).

    ``paired``: the two tables ran the same scenarios with the same random draws (common random numbers), so
    scenario i of one is compared with scenario i of the other (the index is the scenario index; scenarios in
    only one table are left out): standard errors of the mean paired difference, Newcombe's paired interval
    for the probability (``paired_proportion_interval``) and a normal interval for the days. Otherwise the two
    are independent samples (Newcombe's hybrid score interval, Welch's standard error). ``*_se_unpaired`` is
    the standard error as if the samples were independent: what pairing saves.
    """
    if paired:
        if not (table.index.is_unique and reference.index.is_unique):
            raise ValueError("paired comparison needs one row per scenario index in each table")
        common = table.index.intersection(reference.index, sort=False)
        table, reference = table.loc[common], reference.loc[common]
    if len(table) == 0 or len(reference) == 0:
        raise ValueError("no scenarios to compare")
    x, y = table["collapsed"].to_numpy(dtype=bool), reference["collapsed"].to_numpy(dtype=bool)
    tx, ty = survival_days(table, horizon_days), survival_days(reference, reference_horizon_days)
    se_unpaired = math.sqrt(_se(x.astype(float)) ** 2 + _se(y.astype(float)) ** 2)
    rmst_se_unpaired = math.sqrt(_se(tx) ** 2 + _se(ty) ** 2)
    if paired:
        se, (low, high), rmst_se = _se(x.astype(float) - y), paired_proportion_interval(x, y, z), _se(tx - ty)
    else:
        se, rmst_se = se_unpaired, rmst_se_unpaired
        low, high = _square_and_add(int(x.sum()), x.size, int(y.sum()), y.size, 0.0, z)
    d, rmst_d = float(x.mean() - y.mean()), float(tx.mean() - ty.mean())
    values = (paired, x.size, y.size, float(x.mean()), float(y.mean()), d, se, low, high, se_unpaired,
              float(tx.mean()), float(ty.mean()), rmst_d, rmst_se, rmst_d - z * rmst_se, rmst_d + z * rmst_se,
              rmst_se_unpaired)
    return dict(zip(COMPARISON_COLUMNS, values, strict=True))
