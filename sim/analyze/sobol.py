"""Global sensitivity: Sobol' first-order and total indices (SALib) over the config's uncertain parameters.

Design: SALib's Saltelli scheme on a scrambled Sobol' sequence (``N * (D + 2)`` points for D parameters, no
second-order terms) in the unit hypercube; each coordinate goes through the parameter's declared distribution
(``sim.design.inverse_cdf``), so beta, triangular and choice parameters enter as they do in a batch.

Noise: the model is stochastic. Each design point runs as R replicate scenarios with scenario indices
0..R-1, the same indices at every point (common random numbers; a scenario's draws depend only on its index),
and the outcomes are averaged. The indices are therefore exact for the deterministic function
``g_R(x) = mean_r f(x, r)``; how far ``g_R`` is from ``E[f | x]`` is reported per outcome as ``noise_share``:
mean over points of (replicate variance / R), divided by the variance of ``g_R``. A parameter the model does
not read gets indices of exactly 0 under common random numbers.

Outcomes (per design point, means over its replicates):

- ``collapse_probability``: share of replicates collapsed by the horizon;
- ``rmst_days``: restricted mean survival time to the horizon, mean of min(collapse day, horizon), which is
  the mean of ``end_day`` (censoring happens only at the horizon);
- ``investment_total_bn``: cumulative reconstruction investment, $bn.

Diagnostics (``SobolResult.warnings``; in the console, ``sobol.md`` and the figure, each with its remedy): an
index outside [0, 1] beyond its interval by more than 0.01 (the estimator has not converged), total-index
intervals wider than ±0.1 (too few base points; the remedy sizes ``--base`` for ±0.05, half-widths shrinking as
1/sqrt(N)), a noise share above 0.1 (the remedy sizes ``--replicates`` for 0.05), and ``--replicates 1`` (noise
share unknown). Fewer than 16 base points are refused: SALib's bootstrap intervals resample the N base rows, and
below 16 rows they say nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from sim import io, plots
from sim.analyze.common import (
    power_of_two_at_least,
    uncertain_keys,
    values_from_unit,
    write_figures,
    write_table,
)
from sim.batch import run_batch
from sim.config import Config

# outcome -> (outcome column it averages, label)
OUTCOMES: dict[str, tuple[str, str]] = {
    "collapse_probability": ("collapsed", "collapse probability by the horizon"),
    "rmst_days": ("end_day", "restricted mean survival time to the horizon (days)"),
    "investment_total_bn": ("investment_total_bn", "cumulative reconstruction investment ($bn)"),
}
CONF_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 200
MIN_BASE = 16  # base points: fewer give SALib's bootstrap too few rows to resample
OUT_OF_RANGE = 0.01  # beyond [0, 1] by less than this changes no reading
WIDE_HALF_WIDTH, TARGET_HALF_WIDTH = 0.1, 0.05  # total-index interval half-widths: warn above, remedy aims at
NOISE_SHARE_WARN, TARGET_NOISE_SHARE = 0.1, 0.05  # replicate noise share of an outcome's variance: likewise


@dataclass
class SobolResult:
    """Indices per (outcome, parameter), the design with its per-point outcomes, and the settings used."""

    config: Config
    table: pd.DataFrame  # index (outcome, parameter): S1, S1_low, S1_high, ST, ST_low, ST_high, noise_share, rank
    design: pd.DataFrame  # one row per design point: parameter values and the averaged outcomes
    settings: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # diagnostics with their remedies (module doc)

    def ranking(self, outcome: str = "collapse_probability") -> list[str]:
        """Parameters by decreasing total index for one outcome."""
        return self.table.loc[outcome].sort_values("ST", ascending=False).index.tolist()

    def caption(self) -> str:
        """Caption line of the figures: preset, the Saltelli design (base points, points, replicates, runs), seed,
        horizon, the uncertain parameters."""
        s = self.settings
        sample = (f"Sobol' design of {s['n_base']:,} base points: {s['design_points']:,} points × "
                  f"{s['replicates']} replicates = {s['model_runs']:,} runs")
        return plots.run_caption(self.config, sample=sample,
                                 details=[f"{len(s['parameters'])} uncertain parameters"])

    def figures(self) -> dict[str, Figure]:
        """The bar chart of the indices, with the caption line and the warnings at its foot."""
        return {"sobol_indices": indices_figure(self.table, self.caption(), self.warnings)}

    def write(self, out_dir: Path) -> None:
        """``sobol.parquet``/``.md``, ``sobol_design.parquet``, ``sobol.json`` and the bar chart."""
        write_table(out_dir, "sobol", self.table,
                    f"Sobol' indices ({self.settings['n_base']} base points, {self.settings['replicates']} "
                    f"replicates each, {CONF_LEVEL:.0%} bootstrap intervals)", warnings=self.warnings)
        io.write_parquet(out_dir / "sobol_design.parquet", self.design)
        io.write_json(out_dir / "sobol.json", {"settings": self.settings, "config": self.config.to_dict(),
                                               "ranking": {o: self.ranking(o) for o in OUTCOMES},
                                               "warnings": self.warnings})
        write_figures(out_dir, self.figures())


def design_points(config: Config, n_base: int) -> tuple[list[str], np.ndarray]:
    """The uncertain keys and SALib's Saltelli points in the unit hypercube; (N * (D + 2), D)."""
    if n_base < MIN_BASE:
        raise ValueError(f"--base {n_base} is too few base points: at least {MIN_BASE} are needed (a power of 2), "
                         f"since the {CONF_LEVEL:.0%} intervals bootstrap the base points and below {MIN_BASE} "
                         "they say nothing; 256 or more give usable indices")
    if n_base & (n_base - 1):
        raise ValueError(f"--base {n_base} is not a power of 2: a Sobol' sequence is balanced only at powers of 2; "
                         f"use {power_of_two_at_least(n_base) // 2} or {power_of_two_at_least(n_base)}")
    keys = list(uncertain_keys(config))
    unit = sobol_sample.sample(_problem(keys), n_base, calc_second_order=False, scramble=True, seed=config.seed)
    return keys, unit


def _problem(keys: list[str]) -> dict:
    return {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}


def sobol(config: Config, n_base: int = 256, replicates: int = 8, progress: bool = False,
          workers: int = 1) -> SobolResult:
    """Sobol' indices of the three outcomes over the uncertain parameters of ``config`` (see module doc)."""
    if replicates < 1:
        raise ValueError(f"--replicates {replicates}: at least 1 scenario per design point is needed (8 or more "
                         "to estimate the noise share)")
    started = time.perf_counter()
    keys, unit = design_points(config, n_base)
    n_points = len(unit)
    values = {key: values_from_unit(config, key, unit[:, j]) for j, key in enumerate(keys)}
    run_config = config.replace(n_scenarios=replicates)  # scenario indices 0..R-1 at every point
    result = run_batch(run_config, scenarios=np.tile(np.arange(replicates), n_points),
                       param_values={k: np.repeat(v, replicates) for k, v in values.items()}, progress=progress,
                       workers=workers)
    out = result.outcomes
    design = pd.DataFrame(values, index=pd.RangeIndex(n_points, name="point"))
    rows, variance = [], {}
    for outcome, (column, _label) in OUTCOMES.items():
        per_run = out[column].to_numpy(dtype=np.float64).reshape(n_points, replicates)
        y = per_run.mean(axis=1)
        design[outcome] = y
        var_y = float(y.var(ddof=1))
        noise = float(per_run.var(axis=1, ddof=1).mean() / replicates) if replicates > 1 else np.nan
        variance[outcome] = {"between_points": var_y, "noise": noise}
        indices = _indices(keys, y, seed=config.seed) if var_y > 0 else None
        for j, key in enumerate(keys):
            s1, s1c, st, stc = ((indices["S1"][j], indices["S1_conf"][j], indices["ST"][j], indices["ST_conf"][j])
                                if indices is not None else (np.nan,) * 4)
            rows.append({"outcome": outcome, "parameter": key, "S1": s1, "S1_low": s1 - s1c, "S1_high": s1 + s1c,
                         "ST": st, "ST_low": st - stc, "ST_high": st + stc,
                         "noise_share": noise / var_y if var_y > 0 else np.nan})
    table = pd.DataFrame(rows).set_index(["outcome", "parameter"])
    table["rank"] = table.groupby(level="outcome")["ST"].rank(ascending=False, method="min").astype("Int64")
    table = table.sort_values(["outcome", "rank"], key=lambda c: c.map(list(OUTCOMES).index)
                              if c.name == "outcome" else c)
    settings = {"n_base": n_base, "replicates": replicates, "design_points": n_points,
                "model_runs": n_points * replicates, "parameters": keys, "conf_level": CONF_LEVEL,
                "bootstrap_resamples": BOOTSTRAP_RESAMPLES, "seed": config.seed,
                "horizon_days": config.horizon_days, "variance": variance,
                "elapsed_s": round(time.perf_counter() - started, 3)}
    return SobolResult(config, table, design, settings, diagnostics(table, settings))


def diagnostics(table: pd.DataFrame, settings: dict) -> list[str]:
    """Warnings about indices that cannot be read as they stand, each with its remedy (module doc)."""
    n, r, d = settings["n_base"], settings["replicates"], len(settings["parameters"])
    t = table.dropna(subset=["ST"])
    out = []
    low, high = -OUT_OF_RANGE, 1 + OUT_OF_RANGE
    beyond = t[(t["S1_high"] < low) | (t["S1_low"] > high) | (t["ST_high"] < low) | (t["ST_low"] > high)]
    if len(beyond):
        examples = "; ".join(
            f"{p} for {o}: S1 {row.S1:.2f} [{row.S1_low:.2f}, {row.S1_high:.2f}], ST {row.ST:.2f} "
            f"[{row.ST_low:.2f}, {row.ST_high:.2f}]" for (o, p), row in beyond.head(3).iterrows())
        count = "1 parameter's index lies" if len(beyond) == 1 else f"{len(beyond)} parameters' indices lie"
        out.append(f"{count} outside [0, 1] beyond the {CONF_LEVEL:.0%} interval ({examples}): the estimators have "
                   f"not converged at --base {n}. Remedy: rerun with --base {4 * n} or more.")
    half = (t["ST_high"] - t["ST_low"]) / 2
    if len(half) and half.max() > WIDE_HALF_WIDTH:
        outcome, parameter = half.idxmax()
        outside = int(((t[["S1", "ST"]] < 0) | (t[["S1", "ST"]] > 1)).any(axis=1).sum())
        base = power_of_two_at_least(n * (half.max() / TARGET_HALF_WIDTH) ** 2)
        out.append(f"Too few base points: at --base {n} the total-index intervals reach ±{half.max():.2f} "
                   f"({parameter} for {outcome}), so parameters closer than that are not ranked"
                   + (f", and {outside} estimates outside [0, 1] are sampling error" if outside else "")
                   + f". Remedy: --base {base} narrows them to about ±{TARGET_HALF_WIDTH} (half-widths shrink as "
                   f"1/sqrt(N); {base * (d + 2) * r:,} model runs).")
    noisy, needed = [], 0
    for outcome, v in settings["variance"].items():
        if not v["between_points"] > 0:
            out.append(f"{outcome} does not vary over the design: it has no indices. Remedy: widen the ranges or "
                       "the horizon.")
            continue
        share = v["noise"] / v["between_points"]
        if share > NOISE_SHARE_WARN:
            noisy.append(f"{share:.0%} for {outcome}")
            # noise / R' over (signal + noise / R') is the target share: solve for R' (inf when all is noise)
            needed = max(needed, r * share * (1 - TARGET_NOISE_SHARE) / (TARGET_NOISE_SHARE * (1 - share))
                         if share < 1 else np.inf)
    if noisy:
        remedy = (f"--replicates {int(np.ceil(needed))} brings each to about {TARGET_NOISE_SHARE} (it falls about "
                  "as 1/R)" if np.isfinite(needed) else
                  "wider ranges: an outcome varies no more between points than between replicates")
        out.append(f"Replicate noise is {', '.join(noisy)} of the variance between design points (noise_share): "
                   f"the indices describe the mean of {r} replicates, whose noise enters as interactions "
                   f"(first-order indices shrink, total indices grow). Remedy: {remedy}.")
    if r == 1:
        out.append("With --replicates 1 the noise share cannot be estimated, and the model's randomness is "
                   "attributed to the parameters. Remedy: --replicates 8 or more.")
    return out


def _indices(keys: list[str], y: np.ndarray, seed: int) -> dict:
    return sobol_analyze.analyze(_problem(keys), y, calc_second_order=False, num_resamples=BOOTSTRAP_RESAMPLES,
                                 conf_level=CONF_LEVEL, seed=seed)


def indices_figure(table: pd.DataFrame, caption: str | None = None, warnings=()) -> Figure:
    """Bars of first-order and total indices with their intervals, one panel per outcome; ``caption`` (what was
    run) and ``warnings`` at its foot. Its data (``sim.plots.figure_data``): ``table``, one row per outcome and
    parameter (indices, intervals, noise share, rank)."""
    outcomes = list(dict.fromkeys(table.index.get_level_values("outcome")))
    order = table.loc[outcomes[0]].sort_values("ST").index.tolist()
    fig = Figure(figsize=(4.2 * len(outcomes), 0.35 * len(order) + 1.6), layout="constrained")
    axes = fig.subplots(1, len(outcomes), sharey=True, squeeze=False)
    ypos = np.arange(len(order))
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        t = table.loc[outcome].reindex(order)
        for offset, name, color in ((-0.2, "S1", "#92c5de"), (0.2, "ST", "#2166ac")):
            err = np.vstack([t[name] - t[f"{name}_low"], t[f"{name}_high"] - t[name]])
            ax.barh(ypos + offset, t[name], height=0.4, xerr=err, color=color, label=name,
                    error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.axvline(0, color="black", linewidth=0.6)
        _shade_outside_unit(ax)
        ax.set_title(OUTCOMES[outcome][1], fontsize="medium")
        ax.set_xlabel("Sobol' index")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(ypos, order)
    handles, _ = axes[0][0].get_legend_handles_labels()
    handles.append(Patch(color=OUTSIDE_COLOR, label="outside [0, 1]: estimation error"))
    fig.legend(handles=handles, loc="outside upper center", ncols=3, fontsize="small",
               title=f"S1 first-order, ST total index; whiskers: {CONF_LEVEL:.0%} bootstrap interval",
               title_fontsize="small")
    return plots.finish(fig, table.reset_index(), caption=caption, warnings=warnings)


OUTSIDE_COLOR = "0.9"


def _shade_outside_unit(ax) -> None:
    """Grey where an index cannot be (below 0, above 1): bars reaching there show estimation error."""
    low, high = ax.get_xlim()
    ax.axvspan(min(low, 0), 0, color=OUTSIDE_COLOR, zorder=0, linewidth=0)
    ax.axvspan(1, max(high, 1), color=OUTSIDE_COLOR, zorder=0, linewidth=0)
    ax.set_xlim(low, max(high, 1.05))
