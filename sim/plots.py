"""Figures of outcome distributions. Each function takes results and returns a matplotlib ``Figure``.

Figures are built with the object API (``matplotlib.figure.Figure``), never pyplot: no global state, so figures
can be drawn from several threads (the app's sessions) and need no ``close``. ``survival_figure`` is the one
survival figure of the project: a run's figure (``sim.jobs``), the report's curves per condition
(``sim.report``) and the app's chart (``sim.app_views``, labels in the app's language) all come from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.codes import Level

SIZE = (7, 4.2)  # inches: the default size of a figure
DAYS_LABEL = "days since the ceasefire"
HOLDING_LABEL = "share of scenarios still holding"
MAX_BANDS = 10  # survival bands are drawn for up to this many curves
MAX_LEGEND_INSIDE = 6  # beyond this many curves the legend goes beside the axes


def _figure(figsize=SIZE) -> tuple[Figure, Axes]:
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def _colors(n: int) -> list:
    """``n`` distinguishable colours: the default cycle up to ten, a sequential map beyond."""
    if n <= 10:
        return [f"C{i}" for i in range(n)]
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


# ------------------------------------------------------------------------------------------ survival
def draw_survival(ax: Axes, curves: Mapping[str | None, pd.DataFrame], *, colors: Sequence | None = None,
                  bands: bool | None = None, band_label: str | None = None) -> None:
    """Draw survival curves (``sim.stats.survival_curve`` frames: ``day``, ``survival``, ``low``, ``high``) as
    steps on ``ax``, each over its 95% band; a curve labelled ``None`` has no legend entry.

    ``bands``: draw the bands (default: up to ``MAX_BANDS`` curves); they are lighter when several overlap.
    ``band_label``: legend entry of the (first) band.
    """
    colors = list(colors) if colors is not None else _colors(len(curves))
    bands = len(curves) <= MAX_BANDS if bands is None else bands
    alpha = 0.2 if len(curves) == 1 else 0.15
    for i, ((label, curve), color) in enumerate(zip(curves.items(), colors, strict=False)):
        if bands:
            ax.fill_between(curve["day"], curve["low"], curve["high"], step="post", alpha=alpha, color=color,
                            linewidth=0, label=band_label if i == 0 else None)
        ax.step(curve["day"], curve["survival"], where="post", color=color, label=label)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)


def survival_figure(curves: Mapping[str | None, pd.DataFrame] | pd.DataFrame,
                    title: str = "Does the ceasefire hold?", *, xlabel: str = DAYS_LABEL,
                    ylabel: str = HOLDING_LABEL, band_label: str | None = None, colors: Sequence | None = None,
                    figsize: tuple[float, float] | None = None, fontsize: float | None = None) -> Figure:
    """Survival of the ceasefire by day, each curve over its 95% band: one condition or several overlaid.

    ``curves`` maps a label to ``sim.stats.survival_curve`` output (or is one such frame, unlabelled). With more
    than ``MAX_LEGEND_INSIDE`` curves the figure widens and the legend goes beside the axes; beyond
    ``MAX_BANDS`` the bands are left out. ``fontsize`` sets a small figure's text (labels and ticks at that
    size, the title 2 points larger, the legend 1 point smaller); by default matplotlib's sizes.
    The x axis spans day 0 to the last day of the curves.
    """
    if isinstance(curves, pd.DataFrame):
        curves = {None: curves}
    many = len(curves) > MAX_LEGEND_INSIDE
    if figsize is None:
        figsize = (9.5 if many else SIZE[0], max(SIZE[1], 0.16 * len(curves) + 1))
    fig, ax = _figure(figsize)
    draw_survival(ax, curves, colors=colors, band_label=band_label)
    ax.set_xlim(0, max(int(np.max(c["day"])) for c in curves.values()))
    small = {} if fontsize is None else {"fontsize": fontsize}
    ax.set_xlabel(xlabel, **small)
    ax.set_ylabel(ylabel, **small)
    ax.set_title(title, **({} if fontsize is None else {"fontsize": fontsize + 2}))
    if fontsize is not None:
        ax.tick_params(labelsize=fontsize)
    legend_size = "small" if fontsize is None else fontsize - 1
    if any(label is not None for label in curves) or band_label is not None:
        if many:  # beside the axes, one entry a line
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="x-small", frameon=False)
        else:
            ax.legend(loc="lower left", fontsize=legend_size)
    return fig


# ------------------------------------------------------------------------------------------ one run
def collapse_day_figure(outcomes: pd.DataFrame, horizon_days: int, bins: int = 40) -> Figure:
    """Histogram of the collapse day among scenarios that collapsed, with the share that held."""
    fig, ax = _figure()
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
    fig, ax = _figure()
    levels = sorted(Level)
    share = [(outcomes["max_level"] == lv).mean() if len(outcomes) else 0.0 for lv in levels]
    colors = ["#4daf4a", "#ffff99", "#fdae61", "#d7191c", "#67001f"]  # one per level, quiet to direct clash
    ax.bar(range(len(levels)), share, color=colors, edgecolor="black", linewidth=0.5)
    ax.set_xticks(range(len(levels)), [f"{int(lv)}\n{lv.label}" for lv in levels])
    ax.set_ylabel("share of scenarios")
    ax.set_ylim(0, 1)
    ax.set_title("Highest escalation level reached")
    for lv, s in enumerate(share):
        ax.text(lv, s + 0.01, f"{s:.0%}", ha="center", fontsize="small")
    return fig


# ------------------------------------------------------------------------------------------ sweep reports
def _is_numeric(values) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values)


def collapse_probability_figure(conditions: pd.DataFrame, x: str, by: str | None = None,
                                title: str = "Collapse probability") -> Figure:
    """Collapse probability against a swept parameter ``x`` with its 95% band, one line per value of ``by``.

    ``conditions`` has one row per condition with columns ``x`` (and ``by``), ``collapse_probability``,
    ``ci_low`` and ``ci_high``. A numeric ``x`` gets lines with shaded bands; a categorical one, points with bars.
    """
    fig, ax = _figure()
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
    fig, ax = _figure((7, 5))
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


def distribution_figure(values: dict[str, np.ndarray], xlabel: str, title: str) -> Figure:
    """Distribution of one outcome per condition: a box (quartiles, whiskers at 1.5 IQR) and the mean (diamond).

    ``values`` maps a condition label to its values; a condition without values is marked "none".
    """
    labels = list(values)
    fig, ax = _figure((7, 1.2 + 0.35 * max(len(labels), 3)))
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
