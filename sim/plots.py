"""Figures of outcome distributions, fit for a briefing. Each function takes results and returns a matplotlib
``Figure``.

Figures are built with the object API (``matplotlib.figure.Figure``), never pyplot: no global state, so figures
can be drawn from several threads (the app's sessions) and need no ``close``. ``survival_figure`` is the one
survival figure of the project: a run's figure (``sim.jobs``), the report's curves per condition
(``sim.report``) and the app's chart (``sim.app_views``, labels in the app's language) all come from it.

A figure explains itself: axis labels say what and in which unit, from the parameter table (``param_label``)
and the outcome table (``outcome_label``); at its foot a note explains its marks and a caption line says what
was run (preset or conditions, scenarios, seed, horizon: ``run_caption`` for a run or an analysis), with any
warnings in red (``finish`` lays out the foot of every figure, the analyses' of ``sim.analyze`` too). It carries
the table it was drawn from (``figure_data``), which ``sim.io.write_figure_data`` saves as CSV beside the image.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim import io
from sim.codes import Level

SIZE = (7, 4.2)  # inches: the default size of a figure
DAYS_LABEL = "days since the ceasefire"
HOLDING_LABEL = "share of scenarios still holding"
MAX_BANDS = 10  # survival bands are drawn for up to this many curves on one axes
MAX_LEGEND_INSIDE = 6  # beyond this many curves the survival figure becomes small multiples, one per curve
FOOT_SIZE = 7.5  # points: the note and the caption at a figure's foot
FOOT_COLOR = "0.25"  # the note and the caption
WARNING_COLOR = "#b2182b"  # warnings at a figure's foot (and what they point at)
REFERENCE_COLOR = "0.55"  # the reference condition wherever it is drawn for comparison
UNIT_TEXT = {"km2": "km²", "1": "", "bool": "", "category": ""}  # units as printed ("" for none)
RUN_UNITS = {"seed": "", "n_scenarios": "scenarios", "horizon_days": "days"}


# ------------------------------------------------------------------------------------------ labels and captions
def _phrase(doc: str) -> str:
    """A table entry's meaning up to its first ``: `` outside parentheses (the rest explains it)."""
    depth = 0
    for i, char in enumerate(doc):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and doc.startswith(": ", i):
            return doc[:i]
    return doc


def _with_unit(phrase: str, unit: str) -> str:
    unit = UNIT_TEXT.get(unit, unit)
    if not unit:
        return phrase
    return f"{phrase}, {unit}" if phrase.endswith(")") else f"{phrase} ({unit})"


def param_label(key: str, width: int = 90) -> str:
    """Axis label of a swept key: the key, its meaning and unit from the parameter table
    (``us.credibility: declared / perceived credibility of the US backstop (probability)``), wrapped to
    ``width`` characters; ``preset`` is the scenario preset, run settings (seed, horizon) their description."""
    from sim.config import RUN_SETTINGS
    from sim.parameters import PARAM_BY_KEY

    name = key.removesuffix(" (override)")
    if name in PARAM_BY_KEY:
        spec = PARAM_BY_KEY[name]
        text = f"{key}: {_with_unit(_phrase(spec.doc), spec.unit)}"
    elif name in RUN_SETTINGS:
        text = f"{key}: {_with_unit(RUN_SETTINGS[name][3], RUN_UNITS.get(name, ''))}"
    elif name == "preset":
        text = "scenario preset"
    else:
        text = key
    return "\n".join(textwrap.wrap(text, width))


def outcome_label(name: str) -> str:
    """Axis label of an outcome column: its meaning and unit from ``sim.observables.OUTCOMES``."""
    from sim.observables import OUTCOMES

    unit, doc = OUTCOMES[name]
    phrase = doc.split("; ")[0]
    return f"{phrase} ({DAYS_LABEL})" if unit == "day" else _with_unit(phrase, unit)


def run_caption(config, n_scenarios: int | None = None, *, sample: str | None = None,
                details: Sequence[str] = ()) -> str:
    """Caption line of a run's figures: preset, scenarios, seed and horizon (``config``: a ``sim.Config``;
    ``n_scenarios``: the scenarios drawn, default the config's). An analysis (``sim.analyze``) says what it
    sampled instead of the scenarios (``sample``) and adds its own settings (``details``), ``·`` between."""
    n = config.n_scenarios if n_scenarios is None else n_scenarios
    shard = f" (shard {config.shard + 1} of {config.shards})" if config.shards > 1 else ""
    sample = f"{n:,} scenarios{shard}" if sample is None else sample
    return " · ".join([f"Preset {config.preset}", sample, f"seed {config.seed}",
                       f"horizon {config.horizon_days:,} days", *details])


def figure_data(fig: Figure) -> pd.DataFrame | None:
    """The table a figure of this module was drawn from (one row per mark or point), or None."""
    return getattr(fig, io.FIGURE_DATA, None)


def _wrap(text: str, width_pt: float, style: str) -> list[str]:
    """``text`` in lines no wider than ``width_pt`` points at the foot's font size (words measured)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font, measure = FontProperties(size=FOOT_SIZE, style=style), TextToPath().get_text_width_height_descent
    space = measure("a a", font, ismath=False)[0] - measure("aa", font, ismath=False)[0]
    lines, line, used = [], [], 0.0
    for word in text.split():
        width = measure(word, font, ismath=False)[0]
        if line and used + space + width > width_pt:
            lines.append(" ".join(line))
            line, used = [], 0.0
        used += (space if line else 0.0) + width
        line.append(word)
    return lines + [" ".join(line)] if line else lines


def finish(fig: Figure, data: pd.DataFrame | None = None, note: str | None = None, caption: str | None = None,
           warnings: Sequence[str] = ()) -> Figure:
    """Lay out the foot of a figure: the caption (what was run; italic, lowest), the note (what the marks mean)
    above it and the warnings (diagnostics that limit the reading, each ``Warning: ...``, in red) above that,
    each wrapped to the figure's width; the figure grows by their height so that its axes keep their size.
    ``data``: the table the figure was drawn from (one row per mark or point), attached for ``figure_data`` and
    ``sim.io.write_figure_data``.

    A figure with a layout engine (constrained, tight) lays its axes out above the foot; one laid out by hand
    (ema-workbench's: no engine) has every axes lifted above the foot at its old size."""
    if data is not None:
        setattr(fig, io.FIGURE_DATA, data.reset_index(drop=True))
    width_pt = (fig.get_figwidth() - 0.2) * 72  # less the margins
    texts = [*((f"Warning: {w}", "normal", WARNING_COLOR) for w in warnings if w), (note, "normal", FOOT_COLOR),
             (caption, "italic", FOOT_COLOR)]  # top to bottom
    blocks = [(_wrap(text, width_pt, style), style, color) for text, style, color in texts if text]
    if not blocks:
        return fig
    line_in = 1.3 * FOOT_SIZE / 72
    foot_in = sum(len(lines) for lines, _, _ in blocks) * line_in + 0.08
    old = fig.get_figheight()
    height = old + foot_in
    fig.set_figheight(height)
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):  # the axes laid out above the foot: (left, bottom, width, height)
        engine.set(rect=(0, foot_in / height, 1, 1 - foot_in / height))
    elif isinstance(engine, TightLayoutEngine):  # likewise: (left, bottom, right, top)
        engine.set(rect=(0, foot_in / height, 1, 1))
    else:  # laid out by hand: lift every axes above the foot, at its old size in inches
        boxes = [(ax, ax.get_position(original=True)) for ax in fig.axes]  # all first: twins move together
        for ax, box in boxes:
            ax.set_position([box.x0, (foot_in + box.y0 * old) / height, box.width, box.height * old / height])
    y_in = 0.03
    for lines, style, color in reversed(blocks):  # from the foot up: the caption, the note, the warnings
        fig.text(0.08 / fig.get_figwidth(), y_in / height, "\n".join(lines), fontsize=FOOT_SIZE, fontstyle=style,
                 color=color, ha="left", va="bottom", linespacing=1.15)
        y_in += len(lines) * line_in
    return fig


def _figure(figsize=SIZE) -> tuple[Figure, Axes]:
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def _colors(n: int) -> list:
    """``n`` distinguishable colours: the default cycle up to ten, a sequential map beyond."""
    if n <= 10:
        return [f"C{i}" for i in range(n)]
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def _is_numeric(values) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values)


# ------------------------------------------------------------------------------------------ survival
def survival_ylim(curves: Mapping[str | None, pd.DataFrame], bands: bool = True) -> tuple[float, float]:
    """Y range that shows survival curves (and their bands) at a readable scale: from 0 when a curve falls
    below 0.4, otherwise from a round value just below the lowest point, so that curves and bands that stay
    near 1 are told apart."""
    column = "low" if bands else "survival"
    lowest = min(float(np.nanmin(c[column])) for c in curves.values())
    if not lowest >= 0.4:  # also NaN: no data
        return (0.0, 1.02)
    step = 0.02 if lowest > 0.8 else 0.05
    bottom = max(0.0, math.floor((lowest - 0.08 * (1 - lowest)) / step) * step)
    return (bottom, 1 + 0.03 * (1 - bottom))


def draw_survival(ax: Axes, curves: Mapping[str | None, pd.DataFrame], *, colors: Sequence | None = None,
                  bands: bool | None = None, band_label: str | None = None) -> None:
    """Draw survival curves (``sim.stats.survival_curve`` frames: ``day``, ``survival``, ``low``, ``high``) as
    steps on ``ax``, each over its 95% band; a curve labelled ``None`` has no legend entry.

    ``bands``: draw the bands (default: up to ``MAX_BANDS`` curves); they are lighter when several overlap.
    ``band_label``: legend entry of the (first) band. The y axis is zoomed to the data (``survival_ylim``); on
    axes that share y with axes already drawn, to the data of all of them.
    """
    colors = list(colors) if colors is not None else _colors(len(curves))
    bands = len(curves) <= MAX_BANDS if bands is None else bands
    shared = [a for a in ax.get_shared_y_axes().get_siblings(ax) if a.lines]  # drawn before: keep their range
    alpha = 0.25 if len(curves) == 1 else 0.18
    for i, ((label, curve), color) in enumerate(zip(curves.items(), colors, strict=False)):
        if bands:
            ax.fill_between(curve["day"], curve["low"], curve["high"], step="post", alpha=alpha, color=color,
                            linewidth=0, label=band_label if i == 0 else None)
        ax.step(curve["day"], curve["survival"], where="post", color=color, label=label)
    bottom, top = survival_ylim(curves, bands)
    if shared:
        bottom, top = min(bottom, ax.get_ylim()[0]), max(top, ax.get_ylim()[1])
    ax.set_ylim(bottom, top)
    ax.grid(alpha=0.3)


def survival_data(curves: Mapping[str | None, pd.DataFrame]) -> pd.DataFrame:
    """The data of survival curves as drawn (``draw_survival``): one row per condition and day."""
    return pd.concat([c[["day", "survival", "low", "high"]].assign(condition="" if label is None else label)
                      for label, c in curves.items()], ignore_index=True)[["condition", "day", "survival",
                                                                          "low", "high"]]


SURVIVAL_NOTE = ("Step line: share of scenarios in which the ceasefire still holds at the end of each day; "
                 "shaded: its 95% interval (Wilson).")


def survival_figure(curves: Mapping[str | None, pd.DataFrame] | pd.DataFrame,
                    title: str = "Does the ceasefire hold?", *, xlabel: str = DAYS_LABEL,
                    ylabel: str = HOLDING_LABEL, band_label: str | None = None, colors: Sequence | None = None,
                    figsize: tuple[float, float] | None = None, fontsize: float | None = None,
                    caption: str | None = None, reference: str | None = None, ncols: int | None = None) -> Figure:
    """Survival of the ceasefire by day, each curve over its 95% band, the y axis zoomed to the data: one
    condition or a few overlaid; more than ``MAX_LEGEND_INSIDE`` as small multiples (``survival_panels``).

    ``curves`` maps a label to ``sim.stats.survival_curve`` output (or is one such frame, unlabelled).
    ``fontsize`` sets a small figure's text (labels and ticks at that size, the title 2 points larger, the
    legend 1 point smaller); by default matplotlib's sizes. The x axis spans day 0 to the last day of the
    curves. ``caption``: what was run. The note at the foot explains the band unless ``band_label`` does it in
    the legend (the app, in its language). ``reference``: the curve drawn in grey in every small multiple
    (default: the first); ``ncols``: panels a row (default: 3, or 4 beyond nine).
    """
    if isinstance(curves, pd.DataFrame):
        curves = {None: curves}
    if len(curves) > MAX_LEGEND_INSIDE:
        return survival_panels(curves, title, xlabel=xlabel, ylabel=ylabel, caption=caption, reference=reference,
                               ncols=ncols)
    fig, ax = _figure(figsize or SIZE)
    draw_survival(ax, curves, colors=colors, band_label=band_label)
    ax.set_xlim(0, max(int(np.max(c["day"])) for c in curves.values()))
    small = {} if fontsize is None else {"fontsize": fontsize}
    ax.set_xlabel(xlabel, **small)
    ax.set_ylabel(ylabel, **small)
    ax.set_title(title, **({} if fontsize is None else {"fontsize": fontsize + 2}))
    if fontsize is not None:
        ax.tick_params(labelsize=fontsize)
    if any(label is not None for label in curves) or band_label is not None:
        ax.legend(loc="lower left", fontsize="small" if fontsize is None else fontsize - 1)
    return finish(fig, survival_data(curves), None if band_label else SURVIVAL_NOTE, caption)


def survival_panels(curves: Mapping[str, pd.DataFrame], title: str, *, xlabel: str = DAYS_LABEL,
                    ylabel: str = HOLDING_LABEL, caption: str | None = None, reference: str | None = None,
                    ncols: int | None = None) -> Figure:
    """Small multiples: one panel per condition with its 95% band, the ``reference`` condition (default: the
    first) in grey in every other panel; shared axes zoomed to the data of all; ``ncols`` panels a row (default:
    3, or 4 beyond nine)."""
    labels = list(curves)
    ncols = ncols or (4 if len(labels) > 9 else 3)
    nrows = math.ceil(len(labels) / ncols)
    fig = Figure(figsize=(2.45 * ncols + 0.6, 1.85 * nrows + 0.7), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).flatten()
    reference = labels[0] if reference is None else reference
    for i, (ax, label) in enumerate(zip(axes, labels, strict=False)):
        if label != reference:
            ax.step(curves[reference]["day"], curves[reference]["survival"], where="post", color=REFERENCE_COLOR,
                    linewidth=1)
        draw_survival(ax, {label: curves[label]}, colors=["C0"])
        ax.set_title(label, fontsize="small")
        ax.tick_params(labelsize="x-small")
        if i + ncols >= len(labels):  # nothing below: this panel carries the x axis
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel(xlabel, fontsize="small")
    for ax in axes[len(labels):]:
        ax.set_visible(False)
    axes[0].set_xlim(0, max(int(np.max(c["day"])) for c in curves.values()))
    axes[0].set_ylim(*survival_ylim(curves))  # shared: every panel at the scale of all the data
    fig.suptitle(title)
    fig.supylabel(ylabel, fontsize="medium")
    note = f"{SURVIVAL_NOTE} Grey line in each other panel: {reference}, for comparison."
    return finish(fig, survival_data(curves), note, caption)


# ------------------------------------------------------------------------------------------ one run
def collapse_day_figure(outcomes: pd.DataFrame, horizon_days: int, bins: int = 40,
                        caption: str | None = None) -> Figure:
    """Histogram of the collapse day among scenarios that collapsed, in about ``bins`` bins of whole days, with
    the share that held."""
    fig, ax = _figure()
    width = max(1, math.ceil(horizon_days / bins))  # days per bin
    edges = np.minimum(np.arange(0, horizon_days + width, width), horizon_days) + 0.5  # bin k: days k*w+1..(k+1)*w
    edges = np.unique(np.concatenate([[0.5], edges]))
    days = outcomes.loc[outcomes["collapsed"], "collapse_day"].to_numpy(dtype=float)
    held = 1.0 - outcomes["collapsed"].mean() if len(outcomes) else np.nan
    counts, _ = np.histogram(days, bins=edges)
    ax.stairs(counts, edges, fill=True, color="#b2182b", alpha=0.8)
    ax.set_xlim(0, horizon_days + 0.5)
    ax.set_xlabel(f"day of collapse ({DAYS_LABEL})")
    ax.set_ylabel(f"collapsed scenarios per {width}-day bin")
    ax.set_title(f"When the ceasefire fails ({held:.0%} held to day {horizon_days})")
    ax.grid(alpha=0.3)
    last = int(edges[-1] - edges[-2])
    note = (f"Bars: scenarios that collapsed on the days of each bin, bins of {width} days"
            + (f" (the last: {last} days, to the horizon)" if last != width else "")
            + f"; {len(days):,} of {len(outcomes):,} scenarios collapsed.")
    data = pd.DataFrame({"first_day": (edges[:-1] + 0.5).astype(int), "last_day": (edges[1:] - 0.5).astype(int),
                         "collapsed_scenarios": counts})
    return finish(fig, data, note, caption)


def max_level_figure(outcomes: pd.DataFrame, caption: str | None = None) -> Figure:
    """Share of scenarios by the highest escalation level reached."""
    fig, ax = _figure()
    levels = sorted(Level)
    count = [int((outcomes["max_level"] == lv).sum()) for lv in levels]
    share = [c / len(outcomes) if len(outcomes) else 0.0 for c in count]
    colors = ["#4daf4a", "#ffff99", "#fdae61", "#d7191c", "#67001f"]  # one per level, quiet to war
    ax.bar(range(len(levels)), share, color=colors, edgecolor="black", linewidth=0.5)
    ax.set_xticks(range(len(levels)), [f"{int(lv)}\n{lv.label}" for lv in levels])
    ax.set_xlabel("highest escalation level reached by the horizon")
    ax.set_ylabel("share of scenarios")
    ax.set_ylim(0, 1)
    ax.set_title("Highest escalation level reached")
    for lv, s in enumerate(share):
        ax.text(lv, s + 0.01, f"{s:.0%}", ha="center", fontsize="small")
    data = pd.DataFrame({"level": [int(lv) for lv in levels], "label": [lv.label for lv in levels],
                         "scenarios": count, "share": share})
    return finish(fig, data, "Bars: share of scenarios whose escalation peaked at each level.", caption)


# ------------------------------------------------------------------------------------------ sweep reports
def _draw_probability(ax: Axes, group: pd.DataFrame, x: str, categories: list | None, color, label=None,
                      offset: float = 0.0) -> None:
    """One condition group's collapse probability against ``x``: a line over its 95% band (numeric ``x``), or
    points with bars at the positions of ``categories`` (shifted by ``offset``)."""
    if categories is None:
        g = group.sort_values(x)
        ax.plot(g[x], g["collapse_probability"], marker="o", color=color, label=label)
        ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=color, alpha=0.2, linewidth=0)
        return
    pos = np.array([categories.index(v) for v in group[x]]) + offset
    p = group["collapse_probability"].to_numpy(dtype=float)
    err = np.vstack([p - group["ci_low"].to_numpy(dtype=float), group["ci_high"].to_numpy(dtype=float) - p])
    ax.errorbar(pos, p, yerr=err, fmt="o", capsize=4, color=color, label=label)


MAX_LINES = 3  # beyond this many values of ``by`` the collapse probability figure becomes small multiples


def collapse_probability_figure(conditions: pd.DataFrame, x: str, by: str | None = None,
                                title: str = "Collapse probability", caption: str | None = None) -> Figure:
    """Collapse probability against a swept parameter ``x`` with its 95% band: one line per value of ``by``,
    or, beyond ``MAX_LINES`` values, one panel per value with the other values' lines in grey behind.

    ``conditions`` has one row per condition with columns ``x`` (and ``by``), ``collapse_probability``,
    ``ci_low`` and ``ci_high``. A numeric ``x`` gets lines with shaded bands; a categorical one, points with bars.
    """
    groups = [(None, conditions)] if by is None else list(conditions.groupby(by, sort=False))
    categories = None if _is_numeric(conditions[x].tolist()) else list(dict.fromkeys(conditions[x].tolist()))
    panels = len(groups) > MAX_LINES
    if panels:
        ncols = min(3, len(groups))
        nrows = math.ceil(len(groups) / ncols)
        fig = Figure(figsize=(2.6 * ncols + 0.8, 2.1 * nrows + 0.9), layout="constrained")
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).flatten()
        short = by.rsplit(".", 1)[-1]
        for i, (ax, (value, group)) in enumerate(zip(axes, groups, strict=False)):
            for other, rest in groups:
                if other != value:  # the other panels' lines, for comparison
                    g = rest.sort_values(x) if categories is None else rest
                    pos = g[x] if categories is None else [categories.index(v) for v in g[x]]
                    ax.plot(pos, g["collapse_probability"], color=REFERENCE_COLOR, linewidth=0.8, alpha=0.6)
            _draw_probability(ax, group, x, categories, "C0")
            ax.set_title(f"{short}={value}", fontsize="small")
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize="x-small")
            if i + ncols >= len(groups):  # nothing below: this panel carries the x axis
                ax.xaxis.set_tick_params(labelbottom=True)
                ax.set_xlabel(param_label(x, width=40), fontsize="small")
        for ax in axes[len(groups):]:
            ax.set_visible(False)
        fig.supylabel("collapse probability by the horizon", fontsize="medium")
        fig.suptitle(title)
        ax = axes[0]
    else:
        fig, ax = _figure()
        for i, ((value, group), color) in enumerate(zip(groups, _colors(len(groups)), strict=True)):
            offset = (i - (len(groups) - 1) / 2) * 0.8 / max(len(groups), 1)
            _draw_probability(ax, group, x, categories, color, None if by is None else f"{value}", offset)
        ax.set_xlabel(param_label(x))
        ax.set_ylabel("collapse probability by the horizon")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if by is not None:
            ax.legend(fontsize="small", title=param_label(by, width=40), title_fontsize="small")
    if categories is not None:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories])
        ax.set_xlim(-0.5, len(categories) - 0.5)
    ax.set_ylim(0, min(1.0, max(0.05, 1.15 * float(conditions["ci_high"].max()))))  # zoomed so bands show
    mark = ("line: estimate, shaded: its 95% interval" if categories is None
            else "points: estimate, bars: its 95% interval")
    note = (f"Share of scenarios in which the ceasefire collapsed before the horizon; {mark} (Wilson), for each "
            "condition alone: differences between conditions, paired scenario by scenario, are known more "
            "precisely (paired comparisons)."
            + (f" Panels: {param_label(by, width=200)}; grey lines: the other panels." if panels else ""))
    columns = [c for c in (x, by) if c is not None]
    # The report's table of conditions has its counts; a table built by hand may not: keep what is there.
    data = conditions[[c for c in (*columns, "scenarios", "collapsed", "collapse_probability", "ci_low", "ci_high")
                       if c in conditions.columns]]
    return finish(fig, data, note, caption)


def collapse_heatmap_figure(conditions: pd.DataFrame, x: str, y: str, title: str = "Collapse probability",
                            caption: str | None = None) -> Figure:
    """Heatmap of the collapse probability over a 2-D sweep (``x`` across, ``y`` up), each cell annotated; the
    colour scale runs from 0 to a round value above the highest cell."""
    table = conditions.pivot_table(index=y, columns=x, values="collapse_probability", aggfunc="first", sort=False)
    if _is_numeric(table.index.tolist()):
        table = table.sort_index()
    if _is_numeric(table.columns.tolist()):
        table = table.sort_index(axis=1)
    values = table.to_numpy(dtype=float)
    top = min(1.0, math.ceil(np.nanmax(values) * 1.05 * 20) / 20) if np.isfinite(values).any() else 1.0
    fig, ax = _figure((7, 5))
    image = ax.imshow(values, origin="lower", cmap="Reds", vmin=0, vmax=top, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [str(r) for r in table.index])
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize="small",
                    color="white" if value > 0.6 * top else "black")
    ax.set_xlabel(param_label(x))
    ax.set_ylabel(param_label(y, width=40))
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="collapse probability by the horizon")
    note = "Each cell: share of the condition's scenarios in which the ceasefire collapsed before the horizon."
    data = conditions[[x, y, "scenarios", "collapsed", "collapse_probability", "ci_low", "ci_high"]]
    return finish(fig, data, note, caption)


BOX_NOTE = ("Box: the middle half of the scenarios (quartiles), line inside: median, whiskers: the furthest "
            "values within 1.5 times the box's length of it (scenarios beyond are not drawn), red diamond: "
            "mean.")


def distribution_figure(values: dict[str, np.ndarray], xlabel: str, title: str,
                        caption: str | None = None) -> Figure:
    """Distribution of one outcome per condition: a box (quartiles, whiskers at 1.5 IQR) and the mean (diamond),
    with a legend of the marks.

    ``values`` maps a condition label to its values; a condition without values is marked "none".
    """
    labels = list(values)
    fig, ax = _figure((7, 1.5 + 0.35 * max(len(labels), 3)))
    rows = []
    for pos, label in enumerate(labels):
        v = np.asarray(values[label], dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            ax.text(0.5, pos, "none", transform=ax.get_yaxis_transform(), ha="center", va="center",
                    fontsize="small", color="grey")
            rows.append({"condition": label, "n": 0})
            continue
        box = cbook.boxplot_stats(v, whis=1.5)[0]
        ax.bxp([box], positions=[pos], orientation="horizontal", widths=0.6, showfliers=False, patch_artist=True,
               boxprops={"facecolor": "#c6dbef"}, medianprops={"color": "black"})
        ax.plot(box["mean"], pos, marker="D", color="#b2182b", markersize=4)
        rows.append({"condition": label, "n": v.size, "mean": box["mean"], "whisker_low": box["whislo"],
                     "q1": box["q1"], "median": box["med"], "q3": box["q3"], "whisker_high": box["whishi"]})
    ax.set_yticks(range(len(labels)), labels, fontsize="small")
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, pad=18)  # room for the legend of the marks between the title and the axes
    ax.grid(alpha=0.3, axis="x")
    handles = [Patch(facecolor="#c6dbef", edgecolor="black", label="middle half"),
               Line2D([], [], color="black", label="median"),
               Line2D([], [], color="black", marker="|", markersize=8, label="whiskers (1.5 × box)"),
               Line2D([], [], color="#b2182b", marker="D", markersize=4, linestyle="", label="mean")]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.005), ncols=4, fontsize="x-small",
              frameon=False, borderaxespad=0)
    return finish(fig, pd.DataFrame(rows), BOX_NOTE, caption)


def paired_figure(paired: pd.DataFrame, title: str = "Difference from the reference condition",
                  caption: str | None = None) -> Figure:
    """Forest plot of each condition's difference from its reference: in collapse probability (left) and in
    restricted mean survival, days (right), with 95% intervals; the references at 0, hollow.

    ``paired`` has one row per condition, top to bottom: ``label``, ``is_reference``, and the columns of
    ``sim.stats.COMPARISON_COLUMNS`` (``paired`` False: compared as independent samples, square marker).
    """
    n = len(paired)
    height = 1.9 + 0.3 * n
    fig = Figure(figsize=(8.5, height), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=[0.3, height - 0.3])  # a row for the legend, under the title
    axes = [fig.add_subplot(grid[1, 0])]
    axes.append(fig.add_subplot(grid[1, 1], sharey=axes[0]))
    axes[1].tick_params(labelleft=False)
    y = np.arange(n)
    panels = (("collapse_diff", "difference in collapse probability by the horizon"),
              ("rmst_diff", "difference in days the ceasefire holds\n(restricted mean survival to the horizon)"))
    ref = paired["is_reference"].to_numpy(dtype=bool)
    unpaired = ~paired["paired"].to_numpy(dtype=bool) & ~ref
    for ax, (column, xlabel) in zip(axes, panels, strict=True):
        d = paired[column].to_numpy(dtype=float)
        err = np.vstack([d - paired[f"{column}_low"].to_numpy(dtype=float),
                         paired[f"{column}_high"].to_numpy(dtype=float) - d])
        ax.axvline(0, color="0.3", linestyle="--", linewidth=0.8)
        for mask, marker in ((~ref & ~unpaired, "o"), (unpaired, "s")):
            if mask.any():
                ax.errorbar(d[mask], y[mask], xerr=err[:, mask], fmt=marker, color="C0", capsize=3, markersize=5)
        ax.plot(np.zeros(ref.sum()), y[ref], "o", markerfacecolor="white", markeredgecolor=REFERENCE_COLOR,
                markersize=6)
        ax.set_xlabel(xlabel, fontsize="small")
        ax.grid(alpha=0.3, axis="x")
        ax.tick_params(labelsize="small")
    axes[0].set_yticks(y, paired["label"].tolist())
    axes[0].set_ylim(n - 0.5, -0.5)
    handles = [Line2D([], [], color="C0", marker="o", label="difference, 95% interval"),
               Line2D([], [], color=REFERENCE_COLOR, marker="o", markerfacecolor="white", linestyle="",
                      label="reference"),
               Line2D([], [], color="0.3", linestyle="--", linewidth=0.8, label="no difference")]
    if unpaired.any():
        handles.insert(1, Line2D([], [], color="C0", marker="s", label="not paired (independent samples)"))
    key = fig.add_subplot(grid[0, :])
    key.axis("off")
    key.legend(handles=handles, loc="center", ncols=len(handles), fontsize="small", frameon=False)
    fig.suptitle(title)
    references = list(dict.fromkeys(paired["reference"]))
    which = (f"the reference, {references[0]}" if len(references) == 1 else
             "its reference, the hollow point of its group: the reference value with the condition's other values")
    note = (f"Each condition minus {which}; scenario by scenario: every condition ran the same scenarios with the "
            "same random draws. Bars: 95% intervals (Newcombe's paired score interval for the probability, "
            "normal for the days).")
    return finish(fig, paired, note, caption)
