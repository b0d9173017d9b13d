"""Statistics of outcome tables (``sim.stats``): intervals against closed forms and published values, survival
against a direct count, and the summary and a report row of the same table agreeing figure by figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import stats
from sim.codes import FailureMode, Level

Z = stats.Z95


def outcome_table(n: int = 500, horizon: int = 200, seed: int = 1) -> pd.DataFrame:
    """A synthetic outcome table shaped as the model's: a collapse has a day and a failure mode, a hold has
    neither."""
    rng = np.random.default_rng(seed)
    mode = rng.choice(FailureMode.names(), size=n, p=[0.45, 0.2, 0.15, 0.2])
    collapsed = mode != FailureMode.NONE.label
    day = pd.array(np.where(collapsed, rng.integers(1, horizon + 1, n), 0), dtype="Int64")
    day[~collapsed] = pd.NA
    columns = {column for column, _statistic in stats.SUMMARY_FIGURES.values()}
    table = pd.DataFrame({column: rng.normal(size=n) for column in sorted(columns)})
    for key in ("us_fought_war_share", "quiet_first_year_share", "frozen_conflict_share"):
        table[stats.SUMMARY_FIGURES[key][0]] = rng.random(n) < 0.4
    table[stats.SUMMARY_FIGURES["us_probe_answers"][0]] = rng.integers(0, 5, n)
    return table.assign(collapsed=collapsed, collapse_day=day, failure_mode=mode,
                        max_level=rng.integers(0, len(Level), n))


# ------------------------------------------------------------------------------------------ intervals
@pytest.mark.parametrize("n", [1, 10, 263, 10_000])
def test_wilson_interval_of_none_and_of_all_has_its_closed_form(n):
    # k = 0: [0, z²/(n+z²)]; k = n: [n/(n+z²), 1] (the score interval's bound where the estimate sits on 0 or 1)
    assert stats.wilson_interval(0, n) == pytest.approx((0.0, Z * Z / (n + Z * Z)), abs=1e-12)
    assert stats.wilson_interval(n, n) == pytest.approx((n / (n + Z * Z), 1.0), abs=1e-12)


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (score)
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombes_published_examples(k, n, low, high):
    assert stats.wilson_interval(k, n) == pytest.approx((low, high), abs=6e-5)


def test_wilson_interval_is_symmetric_and_of_nothing_undefined():
    low, high = stats.wilson_interval(30, 100)
    assert stats.wilson_interval(70, 100) == pytest.approx((1 - high, 1 - low), abs=1e-12)
    assert all(math.isnan(b) for b in stats.wilson_interval(0, 0))


def test_mean_interval_is_the_normal_approximation():
    mean, low, high = stats.mean_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    half = Z * math.sqrt(5 / 3) / 2  # sample sd of 1..4 is sqrt(5/3)
    assert (mean, low, high) == pytest.approx((2.5, 2.5 - half, 2.5 + half), abs=1e-12)
    assert math.isnan(stats.mean_interval(np.array([7.0]))[1])


# ------------------------------------------------------------------------------------------ survival
def test_survival_curve_is_the_share_still_holding_at_the_end_of_each_day():
    horizon = 60
    rng = np.random.default_rng(3)
    days = np.where(rng.random(400) < 0.6, rng.integers(1, horizon + 1, 400), -1)
    curve = stats.survival_curve(days, horizon)
    assert curve["day"].tolist() == list(range(horizon + 1))
    for d in range(horizon + 1):
        holding = int(np.sum((days < 0) | (days > d)))
        assert curve["survival"].iloc[d] == holding / len(days)
        assert (curve["low"].iloc[d], curve["high"].iloc[d]) == stats.wilson_interval(holding, len(days))
    assert stats.survival_curve(np.where(days < 0, np.nan, days), horizon).equals(curve)  # NaN as -1


def test_median_survival_is_the_first_day_half_had_collapsed_or_none():
    days = np.array([1, 2, 3, 4, -1, -1])
    assert stats.median_survival_day(stats.survival_curve(days, 10)) == 3  # 3 of 6 still holding after day 3
    assert stats.median_survival_day(stats.survival_curve(np.array([5, -1, -1]), 10)) is None


# ------------------------------------------------------------------------------------------ summaries
def test_summary_names_failure_modes_and_levels_by_their_codes():
    table = outcome_table()
    summary = stats.summarize(table, 200)
    assert tuple(summary["failure_modes"]) == FailureMode.names()
    assert list(summary["max_level_distribution"]) == [str(int(lv)) for lv in sorted(Level)]
    assert sum(summary["failure_modes"].values()) == pytest.approx(1.0)
    assert summary["failure_modes"]["none"] == pytest.approx(1 - table["collapsed"].mean())
    assert list(summary) == ["n_scenarios", "horizon_days", "collapse_probability", "median_survival_days",
                             "median_survival_note", "mean_collapse_day_if_collapsed", "max_level_distribution",
                             "failure_modes", *stats.SUMMARY_FIGURES]  # summary.json's keys, in its order


@pytest.mark.parametrize("seed", [1, 2])
def test_a_report_row_has_the_summary_figures_of_the_same_table(seed):
    table = outcome_table(seed=seed)
    summary, row = stats.summarize(table, 200), stats.condition_row(table, 200)
    assert row["scenarios"] == summary["n_scenarios"]
    assert row["collapsed"] == int(table["collapsed"].sum())
    assert row["collapse_probability"] == summary["collapse_probability"]["estimate"]
    assert [row["ci_low"], row["ci_high"]] == summary["collapse_probability"]["ci95"]
    assert row["median_survival_days"] == summary["median_survival_days"]
    assert row["mean_collapse_day"] == summary["mean_collapse_day_if_collapsed"]
    assert row["us_fought_war_share"] == summary["us_fought_war_share"]
    for column, outcome in stats.CONDITION_MEANS.items():
        key = next(k for k, (c, _s) in stats.SUMMARY_FIGURES.items() if c == outcome)
        assert row[column] == summary[key]["mean"]
    assert stats.FAILURES == FailureMode.names()[1:]
    assert {m: row[f"failure_{m}"] for m in stats.FAILURES} == {
        m: share for m, share in summary["failure_modes"].items() if m != FailureMode.NONE.label}


def test_a_condition_where_most_held_has_no_median_in_the_row_and_a_note_in_the_summary():
    table = outcome_table()
    held = table.assign(collapsed=False, collapse_day=pd.array([pd.NA] * len(table), dtype="Int64"),
                        failure_mode=FailureMode.NONE.label)
    summary, row = stats.summarize(held, 200), stats.condition_row(held, 200)
    assert summary["median_survival_days"] is None and summary["median_survival_note"]
    assert math.isnan(row["median_survival_days"]) and math.isnan(row["mean_collapse_day"])
    assert summary["mean_collapse_day_if_collapsed"] is None
    assert row["collapse_probability"] == 0.0 and row["ci_low"] == pytest.approx(0.0, abs=1e-15)


# ------------------------------------------------------------------------------------------ comparisons
def paired_tables(n: int = 400, seed: int = 5, horizon: int = 100) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two outcome tables of the same scenarios (index) under common random numbers: a scenario's collapse day is
    a function of its own draw, moved earlier in the first table, so the two agree on most scenarios."""
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    tables = []
    for shift in (0.03, 0.0):
        day = np.ceil((u - shift) * 3 * horizon).astype(int)
        collapsed = (day >= 1) & (day <= horizon)
        tables.append(pd.DataFrame({"collapsed": collapsed,
                                    "collapse_day": pd.array(np.where(collapsed, day, -1), dtype="Int64")},
                                   index=pd.Index(np.arange(n), name="scenario")))
    return tables[0], tables[1]


def test_paired_interval_matches_the_published_example():
    # Fagerland, Lydersen and Laake (2014), Statistics in Medicine 33:2850, Cavo et al. (2012): 59 pairs both, 6
    # first only, 16 second only, 80 neither; Newcombe's square-and-add interval -0.0621 (-0.1186 to -0.0046),
    # as R package contingencytables computes it.
    x = np.repeat([True, True, False, False], [59, 6, 16, 80])
    y = np.repeat([True, False, True, False], [59, 6, 16, 80])
    assert x.mean() - y.mean() == pytest.approx(-0.0621, abs=5e-5)
    assert stats.paired_proportion_interval(x, y) == pytest.approx((-0.1186, -0.0046), abs=5e-5)


def test_unpaired_comparison_is_newcombes_hybrid_score_interval():
    # 7/34 against 1/34 (Perondi et al. 2004, in Fagerland et al. 2017, ch. 4): 0.1765 (0.0189 to 0.3404)
    def table(k, n):
        collapsed = np.arange(n) < k
        return pd.DataFrame({"collapsed": collapsed, "collapse_day": pd.array(np.where(collapsed, 5, -1))})

    row = stats.compare(table(7, 34), table(1, 34), 10, 10, paired=False)
    assert row["collapse_diff"] == pytest.approx(0.1765, abs=5e-5)
    assert (row["collapse_diff_low"], row["collapse_diff_high"]) == pytest.approx((0.0189, 0.3404), abs=5e-5)
    assert row["collapse_diff_se"] == row["collapse_diff_se_unpaired"]


def test_paired_comparison_is_scenario_by_scenario():
    a, b = paired_tables()
    row = stats.compare(a, b, 100, 100)
    x, y = a["collapsed"].to_numpy(float), b["collapsed"].to_numpy(float)
    days_a, days_b = (np.where(t["collapsed"], t["collapse_day"].fillna(-1), 100).astype(float) for t in (a, b))
    assert row["paired"] and row["scenarios"] == row["reference_scenarios"] == 400
    assert row["collapse_diff"] == pytest.approx(x.mean() - y.mean(), abs=1e-12)
    assert row["collapse_diff_se"] == pytest.approx(np.std(x - y, ddof=1) / 20, abs=1e-12)
    assert row["rmst_days"] == pytest.approx(days_a.mean()) and row["reference_rmst_days"] == days_b.mean()
    assert row["rmst_diff_se"] == pytest.approx(np.std(days_a - days_b, ddof=1) / 20, abs=1e-12)
    assert row["rmst_diff_low"] == pytest.approx(row["rmst_diff"] - Z * row["rmst_diff_se"], abs=1e-12)
    assert row["collapse_diff_low"] < row["collapse_diff"] < row["collapse_diff_high"]
    # common random numbers: the paired errors are far smaller than independent samples' would be
    assert row["collapse_diff_se"] < 0.6 * row["collapse_diff_se_unpaired"]
    assert row["rmst_diff_se"] < 0.6 * row["rmst_diff_se_unpaired"]
    # pairs are matched on the scenario index, not the row order; scenarios of one table only are left out
    shuffled = a.sample(frac=1.0, random_state=1)
    assert stats.compare(shuffled, b, 100, 100) == pytest.approx(row)
    assert stats.compare(a.iloc[:300], b, 100, 100) == pytest.approx(stats.compare(a.iloc[:300], b.iloc[:300],
                                                                                   100, 100))
    with pytest.raises(ValueError, match="one row per scenario"):
        stats.compare(pd.concat([a, a]), b, 100, 100)


def test_survival_days_are_the_end_day():
    table = outcome_table(horizon=200)
    end_day = np.where(table["collapsed"], table["collapse_day"].fillna(0), 200)
    assert np.array_equal(stats.survival_days(table, 200), end_day)


def test_paired_interval_covers_the_true_difference():
    # pairs (x, y) with P(x) = 0.15, P(y) = 0.10 and x >= y mostly: the 95% interval should cover 0.05 about
    # 95% of the time (Newcombe's intervals are slightly conservative)
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(600):
        u = rng.random(300)
        low, high = stats.paired_proportion_interval(u < 0.15, u < 0.10)
        covered += low <= 0.05 <= high
    assert 0.93 <= covered / 600 <= 0.99
