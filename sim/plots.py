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


# ------------------------------------------------------------------------------------------ sweep reports
def _is_numeric(values) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values)


def _colors(n: int) -> list:
    """``n`` distinguishable colours: the default cycle up to ten, a sequential map beyond."""
    if n <= 10:
        return [f"C{i}" for i in range(n)]
    return [plt.get_cmap("viridis")(i / max(n - 1, 1)) for i in range(n)]


def collapse_probability_figure(conditions: pd.DataFrame, x: str, by: str | None = None,
                                title: str = "Collapse probability") -> Figure:
    """Collapse probability against a swept parameter ``x`` with its 95% band, one line per value of ``by``.

    ``conditions`` has one row per condition with columns ``x`` (and ``by``), ``collapse_probability``,
    ``ci_low`` and ``ci_high``. A numeric ``x`` gets lines with shaded bands; a categorical one, points with bars.
    """
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    groups = [(None, conditions)] if by is None else list(conditions.groupby(by, sort=False))
    numeric = _is_numeric(conditions[x].tolist())
    categories = list(dict.fromkeys(conditions[x].tolist()))
    for i, ((value, group), color) in enumerate(zip(groups, _colors(len(groups)), strict=True)):
        label = None if by is None else f"{by}={value}"
        if numeric:
            g = group.sort_values(x)
            ax.plot(g[x], g["collapse_probability"], marker="o", color=color, label=label)
            ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=color, alpha=0.2, linewidth=0)
        else:
            offset = (i - (len(groups) - 1) / 2) * 0.8 / max(len(groups), 1)
            pos = np.array([categories.index(v) for v in group[x]]) + offset
            p = group["collapse_probability"].to_numpy(dtype=float)
            err = np.vstack([p - group["ci_low"].to_numpy(dtype=float), group["ci_high"].to_numpy(dtype=float) - p])
            ax.errorbar(pos, p, yerr=err, fmt="o", capsize=4, color=color, label=label)
    if not numeric:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories])
        ax.set_xlim(-0.5, len(categories) - 0.5)
    ax.set_xlabel(x)
    ax.set_ylabel("collapse probability (95% CI)")
    ax.set_ylim(0, min(1.0, max(0.05, 1.15 * float(conditions["ci_high"].max()))))  # zoomed so bands show
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if by is not None:
        ax.legend(fontsize="small", title=None)
    return fig


def collapse_heatmap_figure(conditions: pd.DataFrame, x: str, y: str,
                            title: str = "Collapse probability") -> Figure:
    """Heatmap of the collapse probability over a 2-D sweep (``x`` across, ``y`` up), each cell annotated."""
    table = conditions.pivot_table(index=y, columns=x, values="collapse_probability", aggfunc="first", sort=False)
    if _is_numeric(table.index.tolist()):
        table = table.sort_index()
    if _is_numeric(table.columns.tolist()):
        table = table.sort_index(axis=1)
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    image = ax.imshow(table.to_numpy(dtype=float), origin="lower", cmap="Reds", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [str(r) for r in table.index])
    for (row, col), value in np.ndenumerate(table.to_numpy(dtype=float)):
        if np.isfinite(value):
            ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize="small",
                    color="white" if value > 0.6 else "black")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="collapse probability")
    return fig


def survival_curves_figure(curves: dict[str, pd.DataFrame],
                           title: str = "Kaplan-Meier survival of the ceasefire") -> Figure:
    """Survival curves of several conditions overlaid, each with its 95% band (bands omitted beyond ten)."""
    many = len(curves) > 6
    fig, ax = plt.subplots(figsize=(9.5 if many else 7, max(4.2, 0.16 * len(curves) + 1)), layout="constrained")
    for (label, curve), color in zip(curves.items(), _colors(len(curves)), strict=True):
        ax.step(curve["day"], curve["survival"], where="post", label=label, color=color)
        if len(curves) <= 10:
            ax.fill_between(curve["day"], curve["low"], curve["high"], step="post", alpha=0.15, color=color,
                            linewidth=0)
    ax.set_xlabel("days since the ceasefire")
    ax.set_ylabel("share of scenarios still holding")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if many:  # beside the axes, one entry a line
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small", frameon=False)
    else:
        ax.legend(loc="lower left", fontsize="small")
    return fig


def distribution_figure(values: dict[str, np.ndarray], xlabel: str, title: str) -> Figure:
    """Distribution of one outcome per condition: a box (quartiles, whiskers at 1.5 IQR) and the mean (diamond).

    ``values`` maps a condition label to its values; a condition without values is marked "none".
    """
    labels = list(values)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * max(len(labels), 3)), layout="constrained")
    for pos, label in enumerate(labels):
        v = np.asarray(values[label], dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            ax.text(0.5, pos, "none", transform=ax.get_yaxis_transform(), ha="center", va="center",
                    fontsize="small", color="grey")
            continue
        ax.boxplot([v], positions=[pos], orientation="horizontal", widths=0.6, showfliers=False, patch_artist=True,
                   boxprops={"facecolor": "#c6dbef"}, medianprops={"color": "black"})
        ax.plot(v.mean(), pos, marker="D", color="#b2182b", markersize=4)
    ax.set_yticks(range(len(labels)), labels, fontsize="small")
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="x")
    return fig
