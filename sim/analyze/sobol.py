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
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from SALib.analyze import sobol as sobol_analyze  # noqa: E402
from SALib.sample import sobol as sobol_sample  # noqa: E402

from sim import io  # noqa: E402
from sim.analyze.common import uncertain_keys, values_from_unit, write_figures, write_table  # noqa: E402
from sim.batch import run_batch  # noqa: E402
from sim.config import Config  # noqa: E402

# outcome -> (outcome column it averages, label)
OUTCOMES: dict[str, tuple[str, str]] = {
    "collapse_probability": ("collapsed", "collapse probability by the horizon"),
    "rmst_days": ("end_day", "restricted mean survival time to the horizon (days)"),
    "investment_total_bn": ("investment_total_bn", "cumulative reconstruction investment ($bn)"),
}
CONF_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 200


@dataclass
class SobolResult:
    """Indices per (outcome, parameter), the design with its per-point outcomes, and the settings used."""

    config: Config
    table: pd.DataFrame  # index (outcome, parameter): S1, S1_low, S1_high, ST, ST_low, ST_high, noise_share, rank
    design: pd.DataFrame  # one row per design point: parameter values and the averaged outcomes
    settings: dict = field(default_factory=dict)

    def ranking(self, outcome: str = "collapse_probability") -> list[str]:
        """Parameters by decreasing total index for one outcome."""
        return self.table.loc[outcome].sort_values("ST", ascending=False).index.tolist()

    def figures(self) -> dict[str, Figure]:
        return {"sobol_indices": indices_figure(self.table)}

    def write(self, out_dir: Path) -> None:
        """``sobol.parquet``/``.md``, ``sobol_design.parquet``, ``sobol.json`` and the bar chart."""
        write_table(out_dir, "sobol", self.table,
                    f"Sobol' indices ({self.settings['n_base']} base points, {self.settings['replicates']} "
                    f"replicates each, {CONF_LEVEL:.0%} bootstrap intervals)")
        io.write_parquet(out_dir / "sobol_design.parquet", self.design)
        io.write_json(out_dir / "sobol.json", {"settings": self.settings, "config": self.config.to_dict(),
                                               "ranking": {o: self.ranking(o) for o in OUTCOMES}})
        write_figures(out_dir, self.figures())


def design_points(config: Config, n_base: int) -> tuple[list[str], np.ndarray]:
    """The uncertain keys and SALib's Saltelli points in the unit hypercube; (N * (D + 2), D)."""
    if n_base < 2 or n_base & (n_base - 1):
        raise ValueError(f"n_base={n_base} must be a power of 2 (Sobol' sequences balance only then)")
    keys = list(uncertain_keys(config))
    unit = sobol_sample.sample(_problem(keys), n_base, calc_second_order=False, scramble=True, seed=config.seed)
    return keys, unit


def _problem(keys: list[str]) -> dict:
    return {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}


def sobol(config: Config, n_base: int = 256, replicates: int = 8, progress: bool = False,
          workers: int = 1) -> SobolResult:
    """Sobol' indices of the three outcomes over the uncertain parameters of ``config`` (see module doc)."""
    if replicates < 1:
        raise ValueError(f"replicates={replicates} must be at least 1")
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
    rows = []
    for outcome, (column, _label) in OUTCOMES.items():
        per_run = out[column].to_numpy(dtype=np.float64).reshape(n_points, replicates)
        y = per_run.mean(axis=1)
        design[outcome] = y
        var_y = float(y.var(ddof=1))
        noise = float(per_run.var(axis=1, ddof=1).mean() / replicates) if replicates > 1 else np.nan
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
                "horizon_days": config.horizon_days, "elapsed_s": round(time.perf_counter() - started, 3)}
    return SobolResult(config, table, design, settings)


def _indices(keys: list[str], y: np.ndarray, seed: int) -> dict:
    return sobol_analyze.analyze(_problem(keys), y, calc_second_order=False, num_resamples=BOOTSTRAP_RESAMPLES,
                                 conf_level=CONF_LEVEL, seed=seed)


def indices_figure(table: pd.DataFrame) -> Figure:
    """Bars of first-order and total indices with their intervals, one panel per outcome."""
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
        ax.set_title(OUTCOMES[outcome][1], fontsize="medium")
        ax.set_xlabel("Sobol' index")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(ypos, order)
    axes[0][0].legend(loc="lower right", fontsize="small")
    return fig
