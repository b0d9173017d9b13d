"""Scenario discovery: PRIM boxes (ema-workbench 2.5) of the uncertain parameters in which the ceasefire collapses.

The data are a batch's Latin hypercube scenarios: x the uncertain parameters (choices as categories), y whether
the ceasefire collapsed by the horizon. PRIM (Friedman and Fisher 1999; the ema-workbench implementation with
its lenient objective and quasi-p-values, Kwakkel 2017) peels the box step by step; on each box's peeling
trajectory we select the box with the highest coverage (share of all collapses that fall inside) among those
whose density (collapse share inside) reaches ``threshold``. Further boxes are searched on the scenarios left
outside the boxes found, until ``max_boxes`` or until no box reaches the threshold.
"""

from __future__ import annotations

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

from sim import io  # noqa: E402
from sim.analyze.common import uncertain_keys, write_figures, write_table  # noqa: E402
from sim.batch import run_batch  # noqa: E402
from sim.config import Config  # noqa: E402


@dataclass
class PrimResult:
    """The boxes found (one table row per restricted parameter of each box), the data and the settings."""

    config: Config
    table: pd.DataFrame  # index (box, parameter): coverage, density, mass, n, low, high, values, qp_low, qp_high
    boxes: list = field(repr=False)  # ema_workbench PrimBox objects, each at its selected trajectory point
    outcomes: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)

    def figures(self) -> dict[str, Figure]:
        """Per box: its peeling trajectory (coverage vs density, chosen box ringed), the peeling and pasting
        trajectory (mass, coverage, density, restricted dimensions by step) and its limits."""
        out = {}
        for k, box in enumerate(self.boxes, start=1):
            out[f"prim_box{k}_trajectory"] = trajectory_figure(box, k)
            plt.figure(figsize=(8, 4.5))  # ema-workbench draws the trajectory into pyplot's current figure
            ppt = box.show_ppt()
            ppt.axes[0].set_xlabel(f"box {k}: step of the peeling and pasting trajectory")
            ppt.subplots_adjust(top=0.85)
            out[f"prim_box{k}_ppt"] = ppt
            with _quiet_pandas():
                limits = box.inspect(style="graph")[0]
            limits.set_size_inches(9, 2.8 + 0.5 * box.res_dim)
            limits.subplots_adjust(left=0.3, right=0.78, top=0.8)
            limits.suptitle(f"PRIM box {k}: limits (quasi-p-values in brackets)")
            out[f"prim_box{k}_limits"] = limits
        return out

    def write(self, out_dir: Path) -> None:
        """``prim.parquet``/``.md``, ``prim_trajectory_box{k}.parquet``, ``scenarios.parquet``, ``prim.json``,
        figures."""
        write_table(out_dir, "prim", self.table,
                    f"PRIM boxes where the ceasefire collapses (density threshold {self.settings['threshold']}, "
                    f"{self.settings['n_scenarios']} scenarios, base rate {self.settings['base_rate']:.3f})")
        for k, box in enumerate(self.boxes, start=1):
            io.write_parquet(out_dir / f"prim_trajectory_box{k}.parquet", box.peeling_trajectory)
        io.write_parquet(out_dir / "scenarios.parquet", self.outcomes)
        io.write_json(out_dir / "prim.json", {"settings": self.settings, "config": self.config.to_dict()})
        write_figures(out_dir, self.figures())


def prim(config: Config, threshold: float = 0.8, max_boxes: int = 2, peel_alpha: float = 0.05,
         progress: bool = False, workers: int = 1) -> PrimResult:
    """PRIM boxes of the config's uncertain parameters where collapse by the horizon is likely (module doc)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold={threshold} must lie in (0, 1]: the least collapse share a box may have")
    started = time.perf_counter()
    keys = list(uncertain_keys(config))
    outcomes = run_batch(config, progress=progress, workers=workers).outcomes
    x = outcomes[keys].reset_index(drop=True)
    for key in keys:
        if x[key].dtype == object:
            x[key] = x[key].astype("category")
    y = outcomes["collapsed"].to_numpy(dtype=bool)
    if not y.any():
        raise ValueError("no scenario collapsed: nothing for PRIM to find (widen the ranges or the horizon)")
    algorithm = ema_prim.Prim(x, y, threshold=threshold, peel_alpha=peel_alpha)
    boxes, rows = [], []
    for k in range(1, max_boxes + 1):
        with _quiet_pandas():
            box = algorithm.find_box()
        if box is None or box.mean < threshold or box.res_dim == 0:
            break  # ema-workbench returns an unrestricted "dump box" when no box reaches the threshold
        box.select(_chosen_point(box.peeling_trajectory, threshold))
        boxes.append(box)
        rows.extend(_box_rows(k, box))
    columns = ["box", "parameter", "coverage", "density", "mass", "n", "low", "high", "values", "qp_low", "qp_high"]
    table = pd.DataFrame(rows, columns=columns).set_index(["box", "parameter"])
    settings = {"threshold": threshold, "max_boxes": max_boxes, "peel_alpha": peel_alpha,
                "n_scenarios": len(outcomes), "base_rate": float(y.mean()), "parameters": keys,
                "boxes_found": len(boxes), "seed": config.seed, "horizon_days": config.horizon_days,
                "elapsed_s": round(time.perf_counter() - started, 3)}
    return PrimResult(config, table, boxes, outcomes, settings)


@contextmanager
def _quiet_pandas():
    """ema-workbench 2.5 writes sets and half-integers into typed frames; pandas 2.x warns (FutureWarning)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="ema_workbench")
        yield


def _chosen_point(trajectory: pd.DataFrame, threshold: float) -> int:
    """Trajectory index of the box with the highest coverage among those with density >= threshold."""
    ok = trajectory[trajectory["density"] >= threshold]
    return int(ok["coverage"].idxmax()) if len(ok) else int(trajectory["density"].idxmax())


def _box_rows(k: int, box) -> list[dict]:
    with _quiet_pandas():
        stats, limits = box.inspect(style="data")[0]
    rows = []
    for parameter in limits.index:  # restricted dimensions, most significant first
        low, high, qp_low, qp_high = limits.loc[parameter].tolist()
        categorical = isinstance(low, (set, frozenset))
        rows.append({
            "box": k, "parameter": parameter, "coverage": float(stats["coverage"]),
            "density": float(stats["density"]), "mass": float(stats["mass"]), "n": int(stats["n"]),
            "low": np.nan if categorical else float(low), "high": np.nan if categorical else float(high),
            "values": ", ".join(sorted(low)) if categorical else "",
            "qp_low": float(qp_low), "qp_high": float(qp_high),
        })
    return rows


def trajectory_figure(box, k: int) -> Figure:
    """ema-workbench's coverage-density trade-off along the peeling trajectory, the selected box ringed."""
    fig = box.show_tradeoff()
    ax = fig.axes[0]
    ax.scatter([box.coverage], [box.density], s=160, facecolors="none", edgecolors="#b2182b", linewidths=1.5,
               label=f"selected: coverage {box.coverage:.2f}, density {box.density:.2f}")
    ax.legend(loc="lower left", fontsize="small")
    ax.set_title(f"PRIM box {k}: peeling trajectory")
    return fig
