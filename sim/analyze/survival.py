"""Survival statistics of the ceasefire (lifelines): Kaplan-Meier curves per condition and a Cox model.

Time to collapse is the collapse day; a ceasefire that holds is censored at the horizon (the only censoring).
Kaplan-Meier curves are drawn per condition of each uncertain parameter: per value of a choice, per tercile of
a number, with a log-rank test across the groups. The Cox proportional-hazards model (Efron ties) regresses
the hazard of collapse on all uncertain parameters: the policy levers (``role`` lever, ``common.LEVERS``) and
the context they face (``role`` context), so each hazard ratio holds the others fixed. Numbers enter per a
readable step (0.1 of a share or probability, 10 thousand troops, 10 states, else 1 unit; column ``per``);
choices as indicators against the first value listed in the config (the reference).

The proportional-hazards assumption is checked per covariate with lifelines' Schoenfeld-residual test against
rank-transformed time (``ph_p``; ``ph_violated`` below 0.05), flagged in ``cox.md``, the console and the
forest plot. Where it fails, a covariate's hazard ratio is an average over time that hides a change, so a
time-split model is fitted as well (``time_split``, ``cox_time_split.md``): the follow-up is cut at the terciles
of the collapse days (equal numbers of collapses per period) and each failing covariate gets one hazard ratio
per period (lifelines' ``CoxTimeVaryingFitter`` on the episodes), the others one. With thousands of scenarios
the test flags small departures; the periods' ratios show whether one matters. ``strata`` (``--strata KEY``)
fits the model stratified on parameters instead (by value of a choice, by tercile of a number): each stratum
its own baseline hazard, no ratio for the parameter itself.

Fewer than 5 collapses per covariate are refused (Vittinghoff and McCulloch 2007: below that, Cox coefficients
and their intervals are biased); fewer than 10 (Peduzzi et al. 1995) give a warning.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, CoxTimeVaryingFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import restricted_mean_survival_time
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter, NullFormatter

from sim import io, plots
from sim.analyze.common import LEVERS, uncertain_keys, unit_of, write_figures, write_table
from sim.batch import run_batch
from sim.config import Config

DURATION, EVENT = "days", "collapsed"
PH_ALPHA = 0.05  # a covariate whose proportional-hazards test gives a smaller p is flagged
MIN_EVENTS_PER_COVARIATE, GOOD_EVENTS_PER_COVARIATE = 5, 10  # refuse below, warn below (module doc)
ROLE_COLORS = {"lever": "#2166ac", "context": "#7f7f7f"}


@dataclass
class SurvivalResult:
    """Cox hazard ratios with the PH check, Kaplan-Meier summaries per condition, the fitted model and data."""

    config: Config
    cox: pd.DataFrame  # index covariate: parameter, role, per, hazard_ratio, hr_low, hr_high, p, ph_statistic, ph_p,
    # ph_violated
    kaplan_meier: pd.DataFrame  # index (parameter, condition): n, collapses, survival, low, high, median, rmst, ...
    model: CoxPHFitter = field(repr=False)
    outcomes: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)
    # index (covariate, period): parameter, role, per, hazard_ratio, hr_low, hr_high, p; None when PH holds
    time_split: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)  # few collapses per covariate, failed PH tests

    def caption(self, cox: bool = True) -> str:
        """Caption line of the figures: preset, scenarios, seed, horizon, the uncertain parameters and the
        collapses; ``cox``: with the Cox model's strata and penalty, where set."""
        s = self.settings
        details = [f"{len(s['parameters'])} uncertain parameters (Latin hypercube)", f"{s['collapses']:,} collapses"]
        if cox and s["strata"]:
            details.append(f"Cox model stratified on {', '.join(s['strata'])}")
        if cox and s["penalizer"]:
            details.append(f"Cox ridge penalty {s['penalizer']:g}")
        return plots.run_caption(self.config, s["n_scenarios"], details=details)

    def figures(self) -> dict[str, Figure]:
        """Kaplan-Meier curves per condition, the hazard ratios (the warnings at their foot) and, where
        proportional hazards fail, the ratios by period; each with its caption line."""
        out = {"kaplan_meier": kaplan_meier_figure(self.outcomes, self.kaplan_meier, self.config,
                                                   self.caption(cox=False)),
               "hazard_ratios": hazard_ratio_figure(self.cox, self.caption(), self.warnings)}
        if self.time_split is not None:
            out["hazard_ratios_by_period"] = time_split_figure(self.time_split, self.caption())
        return out

    def write(self, out_dir: Path) -> None:
        """``cox``, ``cox_time_split`` (when PH fails) and ``kaplan_meier`` tables (parquet, markdown),
        ``scenarios.parquet``, ``survival.json``, figures."""
        s = self.settings
        strata = f"; stratified on {', '.join(s['strata'])}" if s["strata"] else ""
        write_table(out_dir, "cox", self.cox,
                    f"Cox proportional hazards of collapse ({s['n_scenarios']} scenarios, {s['collapses']} "
                    f"collapses by day {s['horizon_days']}; concordance {s['concordance']:.3f}{strata})",
                    self.warnings)
        if self.time_split is not None:
            write_table(out_dir, "cox_time_split", self.time_split,
                        "Cox model with one hazard ratio per period for the covariates whose proportional-hazards "
                        f"test fails (periods: terciles of the collapse days){strata}")
        write_table(out_dir, "kaplan_meier", self.kaplan_meier,
                    f"Kaplan-Meier survival to day {s['horizon_days']} per condition (95% intervals)")
        io.write_parquet(out_dir / "scenarios.parquet", self.outcomes)
        io.write_json(out_dir / "survival.json", {"settings": s, "config": self.config.to_dict(),
                                                  "warnings": self.warnings})
        write_figures(out_dir, self.figures())


def survival(config: Config, penalizer: float = 0.0, strata=(), progress: bool = False,
             workers: int = 1) -> SurvivalResult:
    """Kaplan-Meier per condition and Cox hazard ratios of collapse for the config's uncertain parameters, with
    the proportional-hazards check and, where it fails, the time-split model; ``strata``: parameters to
    stratify the Cox model on (module doc)."""
    if penalizer < 0:
        raise ValueError(f"--penalizer {penalizer}: a ridge penalty is 0 or more")
    started = time.perf_counter()
    keys = list(uncertain_keys(config))
    strata = list(dict.fromkeys(strata))
    unknown = [k for k in strata if k not in keys]
    if unknown:
        raise ValueError(f"--strata {', '.join(unknown)}: not an uncertain parameter of this run; allowed: "
                         f"{', '.join(keys)}")
    if strata and set(strata) == set(keys):
        raise ValueError(f"--strata {', '.join(strata)}: every uncertain parameter is a stratum, so the model has "
                         "no covariate left; stratify on fewer")
    outcomes = run_batch(config, progress=progress, workers=workers).outcomes
    if not outcomes["collapsed"].any():
        raise ValueError("no scenario collapsed: survival statistics need events (widen the ranges or horizon)")
    data, covariates = design_matrix(config, outcomes, [k for k in keys if k not in strata])
    for key in strata:
        data[f"stratum {key}"] = conditions(config, outcomes, key).to_numpy()
    strata_columns = [f"stratum {key}" for key in strata] or None
    collapses, rate = int(outcomes["collapsed"].sum()), float(outcomes["collapsed"].mean())
    per_covariate = collapses / len(covariates)
    needed = math.ceil(GOOD_EVENTS_PER_COVARIATE * len(covariates) / rate)  # scenarios for 10 per covariate
    if per_covariate < MIN_EVENTS_PER_COVARIATE:
        raise ValueError(
            f"n_scenarios={len(outcomes)} gives {collapses} collapses for {len(covariates)} Cox covariates "
            f"({per_covariate:.1f} per covariate): at least {MIN_EVENTS_PER_COVARIATE} per covariate are needed, "
            f"below that the hazard ratios and their intervals are biased; use n_scenarios={needed} or more "
            "(10 per covariate at this collapse share), or fewer uncertain parameters")
    model = CoxPHFitter(penalizer=penalizer).fit(data, duration_col=DURATION, event_col=EVENT,
                                                 strata=strata_columns)
    cox = _cox_table(model, data, covariates)
    violated = cox.index[cox["ph_violated"]].tolist()
    warnings = []
    if per_covariate < GOOD_EVENTS_PER_COVARIATE:
        warnings.append(f"Only {per_covariate:.1f} collapses per covariate ({collapses} for {len(covariates)}): "
                        f"below {GOOD_EVENTS_PER_COVARIATE} hazard ratios may be biased away from 1 and intervals "
                        f"too narrow. Remedy: n_scenarios={needed} or more.")
    split = None
    if violated:
        listed = ", ".join(f"{c} (p={p:.2g})" for c, p in cox.loc[violated, "ph_p"].sort_values().items())
        remedy_strata = " ".join(f"--strata {k}" for k in dict.fromkeys(covariates[c][0] for c in violated))
        try:
            split = time_split(data, covariates, violated, config.horizon_days, penalizer, strata_columns)
            per_period = "read their ratio per period in cox_time_split.md (figure hazard_ratios_by_period), or "
        except ConvergenceError as exc:  # more covariates than the main model: it can fail where that one fit
            per_period = f"the time-split model did not converge ({str(exc).splitlines()[0]}); "
        warnings.append(
            f"Proportional hazards fail for {len(violated)} of {len(cox)} covariates at p < {PH_ALPHA}: {listed}. "
            f"Their hazard ratios are averages over time that hide a change. Remedy: {per_period}stratify the "
            f"model on them: {remedy_strata}.")
    km = kaplan_meier_table(config, outcomes, keys)
    settings = {"n_scenarios": len(outcomes), "collapses": collapses, "horizon_days": config.horizon_days,
                "parameters": keys, "strata": strata, "penalizer": penalizer,
                "concordance": float(model.concordance_index_),
                "log_likelihood_ratio_p": float(model.log_likelihood_ratio_test().p_value),
                "collapses_per_covariate": round(per_covariate, 2), "ph_alpha": PH_ALPHA,
                "ph_violations": violated, "seed": config.seed,
                "elapsed_s": round(time.perf_counter() - started, 3)}
    return SurvivalResult(config, cox, km, model, outcomes, settings, split, warnings)


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
        rows.append({"covariate": name, "parameter": key, "role": _role(key), "per": per,
                     "hazard_ratio": summary.loc[name, "exp(coef)"],
                     "hr_low": summary.loc[name, "exp(coef) lower 95%"],
                     "hr_high": summary.loc[name, "exp(coef) upper 95%"], "p": summary.loc[name, "p"],
                     "ph_statistic": ph.loc[name, "test_statistic"], "ph_p": ph.loc[name, "p"],
                     "ph_violated": bool(ph.loc[name, "p"] < PH_ALPHA)})
    return pd.DataFrame(rows).set_index("covariate")


def _role(key: str) -> str:
    return "lever" if key in LEVERS else "context"


def time_split(data: pd.DataFrame, covariates: dict, violated: list[str], horizon_days: int, penalizer: float,
               strata: list[str] | None = None) -> pd.DataFrame:
    """Hazard ratios from a Cox model in which each covariate of ``violated`` has one ratio per period (periods:
    cut at the terciles of the collapse days), the others one over all days; index (covariate, period)."""
    days = data.loc[data[EVENT] == 1, DURATION]
    cuts = [c for c in np.unique(np.round(np.quantile(days, [1 / 3, 2 / 3]))) if 0 < c < horizon_days]
    edges = [0, *cuts, horizon_days]
    periods = [(int(a), int(b), f"days {int(a) + 1}-{int(b)}") for a, b in zip(edges[:-1], edges[1:], strict=True)]
    episodes = []
    for a, b, label in periods:  # the episode of each scenario still holding at day a, to day b or its end
        part = data[data[DURATION] > a].copy()
        part["id"], part["start"], part["stop"] = part.index, a, np.minimum(part[DURATION], b)
        part[EVENT] = part[EVENT] * (part[DURATION] <= b)
        for name in violated:  # one column per period: the covariate within it, 0 outside
            for _, _, other in periods:
                part[f"{name} | {other}"] = part[name] if other == label else 0.0
        episodes.append(part.drop(columns=[*violated, DURATION]))
    split = pd.concat(episodes, ignore_index=True)
    model = CoxTimeVaryingFitter(penalizer=penalizer).fit(split, event_col=EVENT, start_col="start",
                                                          stop_col="stop", id_col="id", strata=strata)
    summary = model.summary
    rows = []
    for name, (key, per) in covariates.items():
        for label in ([lab for _, _, lab in periods] if name in violated else ["all days"]):
            term = f"{name} | {label}" if name in violated else name
            rows.append({"covariate": name, "period": label, "parameter": key, "role": _role(key), "per": per,
                         "hazard_ratio": summary.loc[term, "exp(coef)"],
                         "hr_low": summary.loc[term, "exp(coef) lower 95%"],
                         "hr_high": summary.loc[term, "exp(coef) upper 95%"], "p": summary.loc[term, "p"]})
    return pd.DataFrame(rows).set_index(["covariate", "period"])


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


def kaplan_meier_figure(outcomes: pd.DataFrame, table: pd.DataFrame, config: Config,
                        caption: str | None = None) -> Figure:
    """Kaplan-Meier curves with 95% bands, one panel per parameter, one curve per condition; ``caption`` (what was
    run) at its foot. Its data (``sim.plots.figure_data``): one row per parameter, condition and day 0..horizon
    (survival and its 95% interval, the panel's log-rank p)."""
    keys = list(dict.fromkeys(table.index.get_level_values("parameter")))
    ncols = min(3, len(keys))
    nrows = math.ceil(len(keys) / ncols)
    fig = Figure(figsize=(4.6 * ncols, 3.4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    durations, events = outcomes["end_day"].to_numpy(float), outcomes["collapsed"].to_numpy(bool)
    data = []
    for ax, key in zip(axes.flat, keys, strict=False):
        groups = conditions(config, outcomes, key)
        curves = {}
        for label in _ordered(groups):
            mask = (groups == label).to_numpy()
            curves[label] = _km_curve(KaplanMeierFitter().fit(durations[mask], events[mask]), config.horizon_days)
        plots.draw_survival(ax, curves)
        p = table.loc[key, "logrank_p"].iloc[0]
        data.append(plots.survival_data(curves).assign(logrank_p=p))
        data[-1].insert(0, "parameter", key)
        ax.set_title(f"{key} (log-rank p={p:.2g})", fontsize="medium")
        ax.set_xlabel(plots.DAYS_LABEL)
        ax.set_xlim(0, config.horizon_days)
        ax.legend(fontsize="x-small", loc="lower left")
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel("share still holding")
    note = ("Step lines: Kaplan-Meier estimate of the share of scenarios still holding, per condition (value of a "
            "choice, tercile of a number); shaded: its 95% interval; log-rank p: do the conditions differ.")
    return plots.finish(fig, pd.concat(data, ignore_index=True), note, caption)


def _log_axis(ax, low: float, high: float) -> None:
    """A log x axis from ``low`` to ``high`` (widened to include 0.9-1.1) with plain tick labels."""
    ax.axvline(1.0, color="black", linewidth=0.7)
    ax.set_xscale("log")
    low, high = min(low, 0.9) / 1.1, max(high, 1.1) * 1.1
    ax.set_xlim(low, high)
    ax.set_xticks([v for v in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if low <= v <= high])
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(axis="x", alpha=0.3, which="both")


def _per(per: str) -> str:
    return per if per.startswith("vs ") else f"per {per}"


def hazard_ratio_figure(cox: pd.DataFrame, caption: str | None = None, warnings=()) -> Figure:
    """Forest plot: hazard ratio of collapse per covariate (per its step) with the 95% interval, log scale; hollow
    where the proportional-hazards test fails; ``caption`` (what was run) and ``warnings`` at its foot. Its data
    (``sim.plots.figure_data``): ``cox``, one row per covariate, top to bottom (ratio, interval, p, the
    proportional-hazards test's statistic and p)."""
    t = cox.iloc[::-1]
    fig = Figure(figsize=(8, 0.38 * len(t) + 1.8), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(t))
    for role, color in ROLE_COLORS.items():
        for violated in (False, True):
            m = ((t["role"] == role) & (t["ph_violated"] == violated)).to_numpy()
            hr, low, high = (t[c].to_numpy()[m] for c in ("hazard_ratio", "hr_low", "hr_high"))
            ax.errorbar(hr, y[m], xerr=[hr - low, high - hr], fmt="o", color=color,
                        markersize=5, elinewidth=1.2, capsize=2, markerfacecolor="white" if violated else color)
    _log_axis(ax, t["hr_low"].min(), t["hr_high"].max())
    labels = [f"{c}  ({_per(p)})" for c, p in zip(t.index, t["per"], strict=True)]
    ax.set_yticks(y, labels, fontsize="small")
    ax.set_xlabel("hazard ratio with 95% interval (log scale; below 1: collapse less likely)")
    handles = [Line2D([], [], marker="o", linestyle="", color=ROLE_COLORS["lever"], label="lever"),
               Line2D([], [], marker="o", linestyle="", color=ROLE_COLORS["context"], label="context"),
               Line2D([], [], marker="o", linestyle="", color="0.3", markerfacecolor="white",
                      label=f"proportional-hazards test fails (p < {PH_ALPHA}): an average over time")]
    fig.legend(handles=handles, loc="outside upper center", ncols=3, fontsize="small")
    ax.set_title("Hazard ratios of collapse", fontsize="medium")
    return plots.finish(fig, cox.reset_index(), caption=caption, warnings=warnings)


def time_split_figure(split: pd.DataFrame, caption: str | None = None) -> Figure:
    """Forest plot of the time-split model: the hazard ratio of each covariate whose proportional-hazards test
    fails, per period, with its 95% interval (log scale); ``caption`` (what was run) at its foot. Its data
    (``sim.plots.figure_data``): one row per covariate and period drawn, top to bottom."""
    t = split[split.index.get_level_values("period") != "all days"]
    names = list(dict.fromkeys(t.index.get_level_values("covariate")))
    periods = list(dict.fromkeys(t.index.get_level_values("period")))
    colors = dict(zip(periods, ("#92c5de", "#4393c3", "#053061"), strict=False))
    fig = Figure(figsize=(8, 0.3 * len(t) + 0.25 * len(names) + 1.6), layout="constrained")
    ax = fig.subplots()
    step = len(periods) + 1  # one slot per period, a gap between covariates
    for i, name in enumerate(reversed(names)):
        for j, period in enumerate(periods):
            row = t.loc[(name, period)]
            ax.errorbar([row["hazard_ratio"]], [i * step + len(periods) - 1 - j], fmt="o", color=colors[period],
                        xerr=[[row["hazard_ratio"] - row["hr_low"]], [row["hr_high"] - row["hazard_ratio"]]],
                        markersize=5, elinewidth=1.2, capsize=2, label=period if i == 0 else None)
    _log_axis(ax, t["hr_low"].min(), t["hr_high"].max())
    per = t.groupby(level="covariate", sort=False)["per"].first()
    ax.set_yticks([i * step + (len(periods) - 1) / 2 for i in range(len(names))],
                  [f"{n}  ({_per(per[n])})" for n in reversed(names)], fontsize="small")
    ax.set_title("Hazard ratios of collapse by period, where proportional hazards fail", fontsize="medium")
    ax.set_xlabel("hazard ratio with 95% interval (log scale; below 1: collapse less likely)")
    ax.legend(fontsize="small", loc="best", title="period (terciles of the collapse days)", title_fontsize="small")
    return plots.finish(fig, t.reset_index(), caption=caption)
