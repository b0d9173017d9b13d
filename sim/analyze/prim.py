"""Scenario discovery: PRIM boxes (ema-workbench 2.5) of the uncertain parameters in which the ceasefire collapses.

The data are a batch's Latin hypercube scenarios: x the uncertain parameters (choices as categories), y whether
the ceasefire collapsed by the horizon. PRIM (Friedman and Fisher 1999; the ema-workbench implementation with
its lenient objective and quasi-p-values, Bryant and Lempert 2010, Kwakkel 2017) peels the box step by step; on
each box's peeling trajectory we select the box with the highest coverage (share of all collapses that fall
inside) among those whose density (collapse share inside) reaches ``threshold``. Further boxes are searched on
the scenarios left outside the boxes found. The search stops, and says why (``settings["stopped"]``), when
``max_boxes`` are found, when no collapse is left outside them, or when no box on the next trajectory reaches
the threshold (with the densest one found and whether peeling ended at the mass limit ``mass_min``).

``levers=True`` searches the policy levers only (``sim.analyze.common.LEVERS``): boxes are ranges of the
guarantee's design, and the context parameters stay uncertain inside them (a box's density is the collapse
share over all the context the scenarios sampled).

Each restriction carries its quasi-p-values (one-sided binomial test of the box against the box without that
restriction, per limit; ``quasi_p`` the larger); a restriction whose ``quasi_p`` exceeds 0.05 is marked not
significant (column
``significant``, a warning, red in the limits figure). ema-workbench's ``PrimBox.resample`` reruns PRIM on
``resamples`` random halves of the data and reports, per parameter, the share of them (%) that restrict it at
about the same coverage and density (box 1 only: in ema-workbench 2.5 it fails on later boxes, whose scenarios
are not numbered 0..n-1); ``PrimBox.show_pairs_scatter`` draws the scenarios of the restricted parameters with
the box. Fewer scenarios than 20 / ``mass_min`` are refused: the smallest box PRIM may return would hold fewer
than 20 scenarios.
"""

from __future__ import annotations

import textwrap
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

with warnings.catch_warnings():  # ema-workbench warns about optional parallel back ends it does not need here
    warnings.simplefilter("ignore")
    from ema_workbench.analysis import prim as ema_prim

from sim import io, plots  # noqa: E402
from sim.analyze.common import LEVERS, uncertain_keys, write_figures, write_table  # noqa: E402
from sim.batch import run_batch  # noqa: E402
from sim.config import Config  # noqa: E402

SIGNIFICANCE = 0.05  # a restriction with a larger quasi-p-value is marked not significant
MIN_BOX_SCENARIOS = 20  # the smallest box (mass_min * n_scenarios) must hold this many for its statistics
PAIRS_DIMS = 4  # the pairs plot shows at most this many restrictions, the most significant first
# ema-workbench's Prim uses its threshold twice: y >= threshold marks the cases of interest (collapses, y in
# {0, 1}), and a finished box whose density falls below it is replaced by an unrestricted "dump box", which
# hides the densest box found. A tiny threshold keeps every box; ``threshold`` is applied here.
KEEP_EVERY_BOX = 1e-9
LITTLE_LEFT = 0.1  # when the scenarios left hold less than this share of the collapses, no remedy is offered


@dataclass
class PrimResult:
    """The boxes found (one table row per restricted parameter of each box), the data and the settings."""

    config: Config
    table: pd.DataFrame  # index (box, parameter), most significant first: coverage, density, mass, n, low, high,
    # values, qp_low, qp_high, quasi_p (the larger of the two), significant, reproduce_coverage, reproduce_density
    boxes: list = field(repr=False)  # ema_workbench PrimBox objects, each at its selected trajectory point
    outcomes: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # non-significant restrictions
    rejected: object = field(default=None, repr=False)  # the PrimBox whose density fell short, if the search ended so

    def summary(self) -> str:
        """The boxes as lines for the terminal: statistics, then each restriction with its quasi-p-value."""
        s = self.settings
        lines = [f"PRIM boxes where the ceasefire collapses (base rate {s['base_rate']:.3f}, density threshold "
                 f"{s['threshold']}, {s['n_scenarios']} scenarios" + (", levers only" if s["levers"] else "") + ")"]
        for k in range(1, len(self.boxes) + 1):
            rows = self.table.loc[k]
            first = rows.iloc[0]
            lines.append(f"box {k}: coverage {first['coverage']:.3f}, density {first['density']:.3f}, mass "
                         f"{first['mass']:.3f} ({first['n']} scenarios)")
            for parameter, row in rows.iterrows():
                limits = f"{{{row['values']}}}" if row["values"] else f"{row['low']:.4g} to {row['high']:.4g}"
                mark = "" if row["significant"] else "   <- not significant"
                lines.append(f"  {parameter:<32} {limits:<28} quasi-p {_qp_text(row)}{mark}")
        lines.append(f"stopped: {s['stopped']}")
        return "\n".join(lines)

    def caption(self) -> str:
        """Caption line of the figures: preset, scenarios, seed, horizon, the outcome and its base rate, the
        density threshold, and what was searched (all uncertain parameters, or the levers only)."""
        s = self.settings
        n_uncertain = len(s["parameters"]) + len(s["context"])
        searched = (f"levers only: {len(s['parameters'])} of {n_uncertain} uncertain parameters searched"
                    if s["levers"] else f"all {n_uncertain} uncertain parameters searched")
        return plots.run_caption(self.config, s["n_scenarios"], details=[
            f"outcome: collapse by the horizon (base rate {s['base_rate']:.3f})",
            f"density threshold {s['threshold']:g}", searched, f"least box mass {s['mass_min']:g}"])

    def figures(self) -> dict[str, Figure]:
        """Per box: its peeling trajectory (coverage vs density, chosen box ringed), the peeling and pasting
        trajectory (mass, coverage, density, restricted dimensions by step), its limits and the pairs plot of
        its restrictions; the trajectory of a box that fell short of the threshold, if the search ended so. Each
        with its caption line and its data (``sim.plots.figure_data``)."""
        out = {}
        threshold, caption = self.settings["threshold"], self.caption()
        for k, box in enumerate(self.boxes, start=1):
            out[f"prim_box{k}_trajectory"] = trajectory_figure(box, f"PRIM box {k}", threshold, caption=caption)
            out[f"prim_box{k}_ppt"] = ppt_figure(box, k, caption)
            out[f"prim_box{k}_limits"] = limits_figure(box, k, self.table.loc[k], caption)
            out[f"prim_box{k}_pairs"] = pairs_figure(box, k, self.table.loc[k], caption, self.outcomes.index)
        if self.rejected is not None:
            out["prim_rejected_trajectory"] = trajectory_figure(self.rejected, "Next box (none reached the threshold)",
                                                                threshold, selected=False, caption=caption)
        return out

    def write(self, out_dir: Path) -> None:
        """``prim.parquet``/``.md``, ``prim_trajectory_box{k}.parquet`` (and ``prim_trajectory_rejected.parquet``),
        ``scenarios.parquet``, ``prim.json``, figures."""
        s = self.settings
        notes = [f"Stopped: {s['stopped']}"]
        if s["levers"]:
            notes.insert(0, f"Levers searched: {', '.join(s['parameters'])}; left uncertain: "
                            f"{', '.join(s['context']) or 'none'}.")
        if s["resamples"]:
            notes.append(f"reproduce_coverage / reproduce_density: % of {s['resamples']} PRIM runs on random "
                         "halves of the data that restrict the parameter at about the same coverage / density "
                         "(box 1 only).")
        write_table(out_dir, "prim", self.table,
                    f"PRIM boxes where the ceasefire collapses (density threshold {s['threshold']}, "
                    f"{s['n_scenarios']} scenarios, base rate {s['base_rate']:.3f})", self.warnings, notes)
        for k, box in enumerate(self.boxes, start=1):
            io.write_parquet(out_dir / f"prim_trajectory_box{k}.parquet", box.peeling_trajectory)
        if self.rejected is not None:
            io.write_parquet(out_dir / "prim_trajectory_rejected.parquet", self.rejected.peeling_trajectory)
        io.write_parquet(out_dir / "scenarios.parquet", self.outcomes)
        io.write_json(out_dir / "prim.json", {"settings": s, "config": self.config.to_dict(),
                                              "warnings": self.warnings})
        write_figures(out_dir, self.figures())


def prim(config: Config, threshold: float = 0.8, max_boxes: int = 2, peel_alpha: float = 0.05,
         mass_min: float = 0.05, levers: bool = False, resamples: int = 10, progress: bool = False,
         workers: int = 1) -> PrimResult:
    """PRIM boxes of the config's uncertain parameters (or of its levers only) where collapse by the horizon is
    likely (module doc). ``resamples``: PRIM runs on random halves for the reproducibility of box 1 (0: none)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"--threshold {threshold} must lie in (0, 1]: the least collapse share a box may have")
    if not 0 < mass_min < 1:
        raise ValueError(f"--mass-min {mass_min} must lie in (0, 1): the least share of scenarios a box holds")
    if max_boxes < 1:
        raise ValueError(f"--boxes {max_boxes}: at least 1 box")
    if resamples < 0:
        raise ValueError(f"--resamples {resamples}: 0 (none) or more")
    n = config.n_scenarios
    if n * mass_min < MIN_BOX_SCENARIOS:
        raise ValueError(
            f"n_scenarios={n} is too few for PRIM with --mass-min {mass_min}: the smallest box it may return holds "
            f"{n * mass_min:g} scenarios, fewer than the {MIN_BOX_SCENARIOS} its density and quasi-p-values need; "
            f"use n_scenarios={int(np.ceil(MIN_BOX_SCENARIOS / mass_min))} or more (or a larger --mass-min)")
    started = time.perf_counter()
    uncertain = list(uncertain_keys(config))
    keys = [k for k in uncertain if k in LEVERS] if levers else uncertain
    if not keys:
        raise ValueError(f"--levers: none of the uncertain parameters {uncertain} is a lever; declare one of "
                         f"{list(LEVERS)} as a distribution")
    outcomes = run_batch(config, progress=progress, workers=workers).outcomes
    x = outcomes[keys].reset_index(drop=True)
    for key in keys:
        if x[key].dtype == object:
            x[key] = x[key].astype("category")
    y = outcomes["collapsed"].to_numpy(dtype=bool)
    if not y.any():
        raise ValueError("no scenario collapsed: nothing for PRIM to find (widen the ranges or the horizon)")
    if y.mean() >= threshold:
        raise ValueError(f"--threshold {threshold} is at or below the collapse share of all scenarios "
                         f"({y.mean():.3f}): the whole space reaches it; use a threshold above {y.mean():.3f}")
    with _quiet():
        algorithm = ema_prim.Prim(x, y, threshold=KEEP_EVERY_BOX, peel_alpha=peel_alpha, mass_min=mass_min)
    boxes, rows, rejected = [], [], None
    inside = np.zeros(len(y), dtype=bool)
    stopped = f"--boxes {max_boxes} found; more may exist (raise --boxes)"
    for k in range(1, max_boxes + 1):
        left = ~inside
        if not y[left].any():
            stopped = "every collapse lies inside the boxes found"
            break
        with _quiet():
            box = algorithm.find_box()
        trajectory = box.peeling_trajectory
        ok = trajectory[(trajectory["density"] >= threshold) & (trajectory["res_dim"] > 0)]
        if ok.empty:
            rejected = box
            stopped = _why_no_box(box, threshold, mass_min, peel_alpha, int(left.sum()), int(y[left].sum()),
                                  int(y.sum()))
            break
        box.select(int(ok["coverage"].idxmax()))
        boxes.append(box)
        inside[box.yi] = True
        rows.extend(_box_rows(k, box))
    columns = ["box", "parameter", "coverage", "density", "mass", "n", "low", "high", "values", "qp_low", "qp_high",
               "quasi_p", "significant"]
    table = pd.DataFrame(rows, columns=columns).set_index(["box", "parameter"])
    table["reproduce_coverage"] = table["reproduce_density"] = np.nan
    if boxes and resamples:
        reproduced = _resample(boxes[0], resamples, config.seed)
        first = table.index.get_level_values("box") == 1
        params = table.index[first].get_level_values("parameter")
        table.loc[first, "reproduce_coverage"] = reproduced.loc[params, "reproduce coverage"].to_numpy()
        table.loc[first, "reproduce_density"] = reproduced.loc[params, "reproduce density"].to_numpy()
    settings = {"threshold": threshold, "max_boxes": max_boxes, "peel_alpha": peel_alpha, "mass_min": mass_min,
                "n_scenarios": len(outcomes), "base_rate": float(y.mean()), "levers": levers, "parameters": keys,
                "context": [k for k in uncertain if k not in keys], "boxes_found": len(boxes), "stopped": stopped,
                "resamples": resamples, "significance": SIGNIFICANCE, "seed": config.seed,
                "horizon_days": config.horizon_days, "elapsed_s": round(time.perf_counter() - started, 3)}
    weak = [w for k in range(1, len(boxes) + 1) for w in _weak_restrictions(k, table.loc[k])]
    return PrimResult(config, table, boxes, outcomes, settings, weak, rejected)


@contextmanager
def _quiet():
    """ema-workbench 2.5 writes sets and half-integers into typed frames (pandas 2.x: FutureWarning) and divides
    by zero in quasi-p-values of empty boxes (RuntimeWarning); neither changes a result."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="ema_workbench")
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        yield


def _why_no_box(box, threshold: float, mass_min: float, peel_alpha: float, n_left: int, collapses_left: int,
                collapses: int) -> str:
    """Why the search ended at a box whose density falls short: its densest point and why peeling stopped."""
    t = box.peeling_trajectory
    best = t.loc[t["density"].idxmax()]
    found = (f"no further box reaches density {threshold}: among the {n_left} scenarios left ({collapses_left} "
             f"collapses, {collapses_left / collapses:.0%} of all), the densest box PRIM found has density "
             f"{best['density']:.3f} (coverage {best['coverage']:.3f}, mass {best['mass']:.3f})")
    if collapses_left / collapses < LITTLE_LEFT:
        return f"{found}; the boxes found hold the other {1 - collapses_left / collapses:.0%} of the collapses."
    # Peeling removes about peel_alpha of the box at each step and stops before the mass falls below mass_min.
    at_mass_limit = t["mass"].min() * (1 - peel_alpha) < mass_min
    cause = (f"at the mass limit (--mass-min {mass_min}: one more peel would leave less than that share of the "
             "scenarios)" if at_mass_limit else "where no further peel raised the density")
    remedy = f"lower --threshold to {np.floor(best['density'] * 100) / 100:.2f} or below"
    if at_mass_limit:
        remedy += ", or lower --mass-min to let boxes get smaller"
    return f"{found}; peeling stopped {cause}. Remedy: {remedy}."


def _box_rows(k: int, box) -> list[dict]:
    with _quiet():
        stats, limits = box.inspect(style="data")[0]
    rows = []
    for parameter in limits.index:
        low, high, qp_low, qp_high = limits.loc[parameter].tolist()
        categorical = isinstance(low, (set, frozenset))
        qps = [q for q in (qp_low, qp_high) if pd.notna(q)]  # NaN: that side is not restricted
        rows.append({
            "box": k, "parameter": parameter, "coverage": float(stats["coverage"]),
            "density": float(stats["density"]), "mass": float(stats["mass"]), "n": int(stats["n"]),
            "low": np.nan if categorical else float(low), "high": np.nan if categorical else float(high),
            "values": ", ".join(sorted(low)) if categorical else "",
            "qp_low": float(qp_low), "qp_high": float(qp_high),
            "quasi_p": max(qps), "significant": bool(max(qps) <= SIGNIFICANCE),
        })
    return sorted(rows, key=lambda row: row["quasi_p"])  # most significant first


def _qp_text(row) -> str:
    return ", ".join(f"{q:.2g}" for q in (row["qp_low"], row["qp_high"]) if pd.notna(q))


def _weak_restrictions(k: int, rows: pd.DataFrame) -> list[str]:
    """A warning naming box k's non-significant restrictions (``rows``: its table rows), or none."""
    weak = rows[~rows["significant"]]
    if weak.empty:
        return []
    listed = ", ".join(f"{p} (quasi-p {_qp_text(r)})" for p, r in weak.iterrows())
    return [f"Box {k}: {len(weak)} of {len(rows)} restrictions are not significant at {SIGNIFICANCE}: {listed}. "
            "Such a limit raises the box's density no more than chance would. Remedy: read the box "
            "without them (PrimBox.drop_restriction), or run more scenarios."]


def _resample(box, iterations: int, seed: int) -> pd.DataFrame:
    """``PrimBox.resample``; it draws the halves from numpy's legacy global generator, seeded here (so that a seed
    gives the same table) and restored after."""
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed % 2**32)  # noqa: NPY002
    try:
        with _quiet():
            return box.resample(iterations=iterations)
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _trajectory_data(box, selected: bool) -> pd.DataFrame:
    """A box's peeling trajectory, one row per step (ema-workbench's columns), ``selected`` marking the box chosen."""
    t = box.peeling_trajectory.copy()
    t["selected"] = (t.index == box._cur_box) if selected else False
    return t


def trajectory_figure(box, title: str, threshold: float, selected: bool = True, caption: str | None = None) -> Figure:
    """ema-workbench's coverage-density trade-off along the peeling trajectory, the threshold dashed and the
    selected box ringed; ``caption`` (what was run) at its foot. Its data (``sim.plots.figure_data``): the peeling
    trajectory, one row per step, ``selected`` marking the ringed box."""
    with _quiet():
        fig = box.show_tradeoff()
    ax = fig.axes[0]
    ax.axhline(threshold, color="0.3", linestyle="--", linewidth=1, label=f"density threshold {threshold}")
    if selected:
        ax.scatter([box.coverage], [box.density], s=160, facecolors="none", edgecolors=plots.WARNING_COLOR,
                   linewidths=1.5, label=f"selected: coverage {box.coverage:.2f}, density {box.density:.2f}")
    ax.legend(loc="lower left", fontsize="small")
    ax.set_title(f"{title}: peeling trajectory", fontsize="medium")
    return plots.finish(fig, _trajectory_data(box, selected), caption=caption)


def ppt_figure(box, k: int, caption: str | None = None) -> Figure:
    """ema-workbench's peeling and pasting trajectory (mean, mass, coverage, density, restricted dimensions by
    step); ``caption`` (what was run) at its foot. Its data: the peeling trajectory, one row per step."""
    plt.figure(figsize=(8, 4.5))  # ema-workbench draws the trajectory into pyplot's current figure
    with _quiet():
        fig = box.show_ppt()
    fig.axes[0].set_xlabel(f"box {k}: step of the peeling and pasting trajectory")
    fig.subplots_adjust(top=0.85)
    return plots.finish(fig, _trajectory_data(box, True), caption=caption)


def _limits_data(box, rows: pd.DataFrame) -> pd.DataFrame:
    """Box k's restrictions as drawn: its limits (``values`` for a choice) within the sampled range (``range_*``),
    with the quasi-p-values and the box's statistics; one row per restriction, most significant first."""
    init = box.prim.box_init
    data = rows.reset_index()
    ranges = []
    for parameter in data["parameter"]:
        low, high = init[parameter].iloc[0], init[parameter].iloc[1]
        categorical = isinstance(low, (set, frozenset))
        ranges.append({"range_low": np.nan if categorical else float(low),
                       "range_high": np.nan if categorical else float(high),
                       "range_values": ", ".join(sorted(low)) if categorical else ""})
    ranges = pd.DataFrame(ranges, index=data.index)
    columns = ["parameter", "low", "high", "values", "range_low", "range_high", "range_values", "qp_low", "qp_high",
               "quasi_p", "significant", "coverage", "density", "mass", "n"]
    return pd.concat([data, ranges], axis=1)[columns]


def limits_figure(box, k: int, rows: pd.DataFrame, caption: str | None = None) -> Figure:
    """ema-workbench's box limits (quasi-p-values in brackets), the non-significant restrictions in red, the
    warning about them and ``caption`` (what was run) at its foot. Its data: ``_limits_data``."""
    with _quiet():
        fig = box.inspect(style="graph")[0]
    fig.set_size_inches(9, 2.8 + 0.5 * box.res_dim)
    fig.subplots_adjust(left=0.3, right=0.78, top=0.8)
    weak = rows.index[~rows["significant"]].tolist()
    for label in fig.axes[0].get_yticklabels():
        if label.get_text().split(" (")[0] in weak:
            label.set_color(plots.WARNING_COLOR)
    fig.suptitle(f"PRIM box {k}: limits within the sampled ranges (quasi-p-values in brackets"
                 + (f"; red: not significant at {SIGNIFICANCE})" if weak else ")"))
    return plots.finish(fig, _limits_data(box, rows), caption=caption, warnings=_weak_restrictions(k, rows))


def pairs_figure(box, k: int, rows: pd.DataFrame, caption: str | None = None, scenarios=None) -> Figure:
    """ema-workbench's pairs plot of the box's most significant restrictions: scenarios (collapsed on top) and
    the box limits (red); the diagonal shows each parameter's distribution function among held and collapsed;
    ``caption`` (what was run) at its foot. Its data: the scenarios drawn, one row each (``scenario``: its index
    in ``scenarios``, default its position), the parameters shown, ``collapsed`` and ``in_box``; the box's limits
    are the data of the limits figure."""
    dims = rows.index[:PAIRS_DIMS].tolist()
    with _quiet():
        grid = box.show_pairs_scatter(dims=dims, diag_kind=ema_prim.DiagKind.CDF, upper="none", lower="scatter")
    for ax in grid.axes.flat:  # thousands of points: small and translucent, so that density shows
        for points in (ax.collections if ax is not None else []):
            points.set_sizes([4])
            points.set_alpha(0.5)
            points.set_edgecolor("none")
    legend = grid.legend
    if legend is not None:
        legend.set_title("by the horizon")
        for text, name in zip(legend.get_texts(), ("held", "collapsed"), strict=False):
            text.set_text(name)
    fig = grid.figure
    chars = int(fig.get_figwidth() * 72 / (0.6 * 9))  # characters a 9-point line holds
    title = textwrap.fill(f"PRIM box {k} (red) in its {len(dims)} most significant restrictions. Below the "
                          "diagonal: the scenarios; on it: each parameter's cumulative distribution among "
                          "scenarios that held and that collapsed", chars)
    fig.suptitle(title, fontsize=9)
    width, height = fig.get_size_inches()  # margins in inches: wrapped title, category names, rotated ticks
    top = 0.2 + (title.count("\n") + 1) * 1.25 * 9 / 72
    right = 1.0  # the right margin seaborn keeps for the legend
    if legend is not None and len(dims) > 1:  # the legend into the empty upper triangle, off the diagonal
        legend.set_loc("center")
        legend.set_bbox_to_anchor((0.5, 0.5), transform=grid.axes[0, -1].transAxes)
        right = 1 - 0.3 / width
    fig.subplots_adjust(top=1 - top / height, left=1.0 / width, bottom=1.2 / height,
                        **({"right": right} if right < 1 else {}))
    drawn = np.asarray(box.yi_initial)
    data = box.prim.x.iloc[drawn][dims].reset_index(drop=True)
    data.insert(0, "scenario", drawn if scenarios is None else np.asarray(scenarios)[drawn])
    data["collapsed"] = np.asarray(box.prim.y)[drawn].astype(bool)
    data["in_box"] = np.isin(drawn, box.yi)
    return plots.finish(fig, data, caption=caption)
