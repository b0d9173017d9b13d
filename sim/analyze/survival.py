"""Survival statistics of the ceasefire (lifelines): Kaplan-Meier curves per condition and a Cox model.

Time to collapse is the collapse day; a ceasefire that holds is censored at the horizon (the only censoring).
Kaplan-Meier curves are drawn per condition of each uncertain parameter: per value of a choice, per tercile of
a number, with a log-rank test across the groups. The Cox proportional-hazards model (Efron ties) regresses
the hazard of collapse on all uncertain parameters: the guarantee's design features (``role`` guarantee) and
the context they face (``role`` context), so each hazard ratio holds the others fixed. Numbers enter per a
readable step (0.1 of a share or probability, 10 thousand troops, 10 states, else 1 unit; column ``per``);
choices as indicators against the first value listed in the config (the reference). The proportional-hazards
assumption is checked per covariate with lifelines' Schoenfeld-residual test against rank-transformed time;
with thousands of scenarios that test flags small departures, so read ``ph_p`` next to the size of the effect.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import CoxPHFitter, KaplanMeierFitter  # noqa: E402
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test  # noqa: E402
from lifelines.utils import restricted_mean_survival_time  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FormatStrFormatter, NullFormatter  # noqa: E402

from sim import io, plots  # noqa: E402
from sim.analyze.common import GUARANTEE_FEATURES, uncertain_keys, unit_of, write_figures, write_table  # noqa: E402
from sim.batch import run_batch  # noqa: E402
from sim.config import Config  # noqa: E402

DURATION, EVENT = "days", "collapsed"


@dataclass
class SurvivalResult:
    """Cox hazard ratios with the PH check, Kaplan-Meier summaries per condition, the fitted model and data."""

    config: Config
    cox: pd.DataFrame  # index covariate: parameter, role, per, hazard_ratio, hr_low, hr_high, p, ph_statistic, ph_p
    kaplan_meier: pd.DataFrame  # index (parameter, condition): n, collapses, survival, low, high, median, rmst, ...
    model: CoxPHFitter = field(repr=False)
    outcomes: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)

    def figures(self) -> dict[str, Figure]:
        return {"kaplan_meier": kaplan_meier_figure(self.outcomes, self.kaplan_meier, self.config),
                "hazard_ratios": hazard_ratio_figure(self.cox)}

    def write(self, out_dir: Path) -> None:
        """``cox`` and ``kaplan_meier`` tables (parquet, markdown), ``scenarios.parquet``, ``survival.json``,
        figures."""
        s = self.settings
        write_table(out_dir, "cox", self.cox,
                    f"Cox proportional hazards of collapse ({s['n_scenarios']} scenarios, {s['collapses']} "
                    f"collapses by day {s['horizon_days']}; concordance {s['concordance']:.3f})")
        write_table(out_dir, "kaplan_meier", self.kaplan_meier,
                    f"Kaplan-Meier survival to day {s['horizon_days']} per condition (95% intervals)")
        io.write_parquet(out_dir / "scenarios.parquet", self.outcomes)
        io.write_json(out_dir / "survival.json", {"settings": s, "config": self.config.to_dict()})
        write_figures(out_dir, self.figures())


def survival(config: Config, penalizer: float = 0.0, progress: bool = False, workers: int = 1) -> SurvivalResult:
    """Kaplan-Meier per condition and Cox hazard ratios of collapse for the config's uncertain parameters."""
    started = time.perf_counter()
    keys = list(uncertain_keys(config))
    outcomes = run_batch(config, progress=progress, workers=workers).outcomes
    if not outcomes["collapsed"].any():
        raise ValueError("no scenario collapsed: survival statistics need events (widen the ranges or horizon)")
    data, covariates = design_matrix(config, outcomes, keys)
    model = CoxPHFitter(penalizer=penalizer).fit(data, duration_col=DURATION, event_col=EVENT)
    cox = _cox_table(model, data, covariates)
    km = kaplan_meier_table(config, outcomes, keys)
    settings = {"n_scenarios": len(outcomes), "collapses": int(outcomes["collapsed"].sum()),
                "horizon_days": config.horizon_days, "parameters": keys, "penalizer": penalizer,
                "concordance": float(model.concordance_index_),
                "log_likelihood_ratio_p": float(model.log_likelihood_ratio_test().p_value),
                "ph_violations_at_0.05": cox.index[cox["ph_p"] < 0.05].tolist(), "seed": config.seed,
                "elapsed_s": round(time.perf_counter() - started, 3)}
    return SurvivalResult(config, cox, km, model, outcomes, settings)


def design_matrix(config: Config, outcomes: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, dict]:
    """Durations, events and covariates (scaled numbers, indicators of choices); covariate -> (key, per)."""
    data = {DURATION: outcomes["end_day"].to_numpy(dtype=np.float64),
            EVENT: outcomes["collapsed"].to_numpy(dtype=np.int64)}
    covariates = {}
    for key in keys:
        spec = config.spec(key)
        if spec.dist == "choice":
            reference, *others = spec.args[0]
            for value in others:
                name = f"{key}={value}"
                data[name] = (outcomes[key] == value).to_numpy(dtype=np.float64)
                covariates[name] = (key, f"vs {reference}")
        else:
            step, label = unit_of(key)
            data[key] = outcomes[key].to_numpy(dtype=np.float64) / step
            covariates[key] = (key, label)
    return pd.DataFrame(data, index=outcomes.index), covariates


def _cox_table(model: CoxPHFitter, data: pd.DataFrame, covariates: dict) -> pd.DataFrame:
    summary = model.summary
    ph = proportional_hazard_test(model, data, time_transform="rank").summary
    rows = []
    for name, (key, per) in covariates.items():
        rows.append({"covariate": name, "parameter": key, "role": "guarantee" if key in GUARANTEE_FEATURES else
                     "context", "per": per, "hazard_ratio": summary.loc[name, "exp(coef)"],
                     "hr_low": summary.loc[name, "exp(coef) lower 95%"],
                     "hr_high": summary.loc[name, "exp(coef) upper 95%"], "p": summary.loc[name, "p"],
                     "ph_statistic": ph.loc[name, "test_statistic"], "ph_p": ph.loc[name, "p"]})
    return pd.DataFrame(rows).set_index("covariate")


def conditions(config: Config, outcomes: pd.DataFrame, key: str) -> pd.Series:
    """Condition label of each scenario for one parameter: its choice, or its tercile of sampled values."""
    if config.spec(key).dist == "choice":
        return outcomes[key].astype(str)
    values = outcomes[key].astype(np.float64)
    bins = pd.qcut(values, 3, duplicates="drop")
    names = ["low", "mid", "high"] if len(bins.cat.categories) == 3 else [f"q{i + 1}" for i in
                                                                          range(len(bins.cat.categories))]
    labels = {}
    for name, interval in zip(names, bins.cat.categories, strict=True):
        inside = values[bins == interval]
        labels[interval] = f"{name} {inside.min():.3g}-{inside.max():.3g}"
    return bins.map(labels).astype(str)


def kaplan_meier_table(config: Config, outcomes: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per parameter and condition: scenarios, collapses, survival at the horizon with its 95% interval, median
    survival (NaN while above one half), restricted mean survival time, and the log-rank p across conditions."""
    horizon = config.horizon_days
    durations, events = outcomes["end_day"].to_numpy(float), outcomes["collapsed"].to_numpy(bool)
    rows = []
    for key in keys:
        groups = conditions(config, outcomes, key)
        logrank_p = (multivariate_logrank_test(durations, groups.to_numpy(), events).p_value
                     if groups.nunique() > 1 else np.nan)
        for label in _ordered(groups):
            mask = (groups == label).to_numpy()
            kmf = KaplanMeierFitter().fit(durations[mask], events[mask], label=label)
            ci = kmf.confidence_interval_survival_function_.loc[:horizon].iloc[-1]
            median = kmf.median_survival_time_
            rows.append({"parameter": key, "condition": label, "n": int(mask.sum()),
                         "collapses": int(events[mask].sum()),
                         "survival": float(kmf.survival_function_at_times(horizon).iloc[0]),
                         "low": float(ci.iloc[0]), "high": float(ci.iloc[1]),
                         "median_days": float(median) if math.isfinite(median) else np.nan,
                         "rmst_days": float(restricted_mean_survival_time(kmf, t=horizon)),
                         "logrank_p": float(logrank_p)})
    return pd.DataFrame(rows).set_index(["parameter", "condition"])


def _ordered(groups: pd.Series) -> list[str]:
    order = {"low": 0, "mid": 1, "high": 2}
    return sorted(groups.unique(), key=lambda g: (order.get(g.split(" ")[0], 3), g))


def _km_curve(kmf: KaplanMeierFitter, horizon_days: int) -> pd.DataFrame:
    """A fitted Kaplan-Meier estimate by day 0..horizon with its 95% interval, as ``sim.stats.survival_curve``."""
    days = np.arange(horizon_days + 1)
    band = kmf.confidence_interval_survival_function_.reindex(days, method="ffill")
    return pd.DataFrame({"day": days, "survival": kmf.survival_function_at_times(days).to_numpy(),
                         "low": band.iloc[:, 0].to_numpy(), "high": band.iloc[:, 1].to_numpy()})


def kaplan_meier_figure(outcomes: pd.DataFrame, table: pd.DataFrame, config: Config) -> Figure:
    """Kaplan-Meier curves with 95% bands, one panel per parameter, one curve per condition."""
    keys = list(dict.fromkeys(table.index.get_level_values("parameter")))
    ncols = min(3, len(keys))
    nrows = math.ceil(len(keys) / ncols)
    fig = Figure(figsize=(4.6 * ncols, 3.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    durations, events = outcomes["end_day"].to_numpy(float), outcomes["collapsed"].to_numpy(bool)
    for ax, key in zip(axes.flat, keys, strict=False):
        groups = conditions(config, outcomes, key)
        curves = {}
        for label in _ordered(groups):
            mask = (groups == label).to_numpy()
            curves[label] = _km_curve(KaplanMeierFitter().fit(durations[mask], events[mask]), config.horizon_days)
        plots.draw_survival(ax, curves)
        p = table.loc[key, "logrank_p"].iloc[0]
        ax.set_title(f"{key} (log-rank p={p:.2g})", fontsize="medium")
        ax.set_xlabel(plots.DAYS_LABEL)
        ax.set_xlim(0, config.horizon_days)
        ax.legend(fontsize="x-small", loc="lower left")
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel("share still holding")
    return fig


def hazard_ratio_figure(cox: pd.DataFrame) -> Figure:
    """Forest plot: hazard ratio of collapse per covariate (per its step) with the 95% interval, log scale."""
    t = cox.iloc[::-1]
    fig = Figure(figsize=(8, 0.38 * len(t) + 1.4), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(t))
    for role, color in (("guarantee", "#2166ac"), ("context", "#7f7f7f")):
        m = (t["role"] == role).to_numpy()
        hr = t["hazard_ratio"][m]
        ax.errorbar(hr, y[m], xerr=[hr - t["hr_low"][m], t["hr_high"][m] - hr], fmt="o", color=color,
                    markersize=4, elinewidth=1.2, capsize=2)
    ax.axvline(1.0, color="black", linewidth=0.7)
    ax.set_xscale("log")
    low, high = min(t["hr_low"].min(), 0.9) / 1.1, max(t["hr_high"].max(), 1.1) * 1.1
    ax.set_xlim(low, high)
    ax.set_xticks([v for v in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if low <= v <= high])
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_title("Hazard ratios of collapse (blue: guarantee, grey: context)", fontsize="medium", loc="right")
    labels = [f"{c}  ({p if p.startswith('vs ') else 'per ' + p})" for c, p in zip(t.index, t["per"], strict=True)]
    ax.set_yticks(y, labels, fontsize="small")
    ax.set_xlabel("hazard ratio with 95% interval (log scale)")
    ax.grid(axis="x", alpha=0.3, which="both")
    return fig
