"""Figures of outcome distributions. Each function takes results and returns a matplotlib ``Figure``."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.rules import LEVEL_NAMES  # noqa: E402


def survival_figure(curves: dict[str, pd.DataFrame], title: str = "Does the ceasefire hold?") -> Figure:
    """Survival of the ceasefire by day with 95% bands; ``curves`` maps a label to ``survival_curve`` output."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    for label, curve in curves.items():
        line, = ax.step(curve["day"], curve["survival"], where="post", label=label)
        ax.fill_between(curve["day"], curve["low"], curve["high"], step="post", alpha=0.2,
                        color=line.get_color(), linewidth=0)
    ax.set_xlabel("days since the ceasefire")
    ax.set_ylabel("share of scenarios still holding")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    return fig


def collapse_day_figure(outcomes: pd.DataFrame, horizon_days: int, bins: int = 40) -> Figure:
    """Histogram of the collapse day among scenarios that collapsed, with the share that held."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    days = outcomes.loc[outcomes["collapsed"], "collapse_day"].to_numpy(dtype=float)
    held = 1.0 - outcomes["collapsed"].mean() if len(outcomes) else np.nan
    ax.hist(days, bins=np.linspace(0, horizon_days, bins + 1), color="#b2182b", alpha=0.8)
    ax.set_xlabel("day of collapse")
    ax.set_ylabel("scenarios")
    ax.set_title(f"When the ceasefire fails ({held:.0%} held to day {horizon_days})")
    ax.grid(alpha=0.3)
    return fig


def max_level_figure(outcomes: pd.DataFrame) -> Figure:
    """Share of scenarios by the highest escalation level reached."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    share = [(outcomes["max_level"] == lv).mean() if len(outcomes) else 0.0 for lv in range(5)]
    colors = ["#4daf4a", "#ffff99", "#fdae61", "#d7191c", "#67001f"]
    ax.bar(range(5), share, color=colors, edgecolor="black", linewidth=0.5)
    ax.set_xticks(range(5), [f"{lv}\n{name}" for lv, name in enumerate(LEVEL_NAMES)])
    ax.set_ylabel("share of scenarios")
    ax.set_ylim(0, 1)
    ax.set_title("Highest escalation level reached")
    for lv, s in enumerate(share):
        ax.text(lv, s + 0.01, f"{s:.0%}", ha="center", fontsize="small")
    return fig
