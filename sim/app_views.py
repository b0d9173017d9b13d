"""The classroom app's charts: each takes a scenario's series (or batch survival curves) and a language and returns
a matplotlib ``Figure``, every label in that language (``sim.i18n``); ``png`` encodes one for the page.

Sized for a projector: at 1280x720 the page shows the charts at exactly ``CHART_PX`` CSS pixels, one image pixel
per CSS pixel (``DPI`` 96), so text set at ``FONT_SIZE`` points shows at that size. Every axis says what it shows
and in which unit; legends stand below the axes, outside the data; a collapse is a red line with the rest of the
chart shaded and labelled.

Figures are built with ``matplotlib.figure.Figure``, not pyplot, so that the sessions of a server draw in their own
threads without sharing pyplot's global state. Matplotlib 3.11 lays out Arabic (shaping, right to left) with
libraqm, and its bundled DejaVu Sans has the Arabic letters, so charts need no system font.
"""

from __future__ import annotations

import io
import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MultipleLocator

from sim import plots
from sim.i18n import percent, text

DPI = 96  # one image pixel per CSS pixel
CHART_PX = (304, 284)  # a scenario chart: three across and two down beside the settings at 1280x720
SURVIVAL_PX = (600, 290)  # the batch panel's chart
FONT_SIZE = 11  # points: every text of a chart (titles 1 larger)
MIN_XSPAN_DAYS = 60  # the time axis shows at least this many days, then grows with the scenario
AFTER_COLLAPSE = 0.12  # share of the time axis left after a collapse, shaded, so that the marker is not at the edge
LAST = {"marker": "o", "markersize": 4, "markevery": [-1]}  # a dot on today's value (visible from day 0)
COLORS = {"us": "#1f5aa6", "coalition": "#e08214", "russia": "#b2182b", "ukraine": "#2166ac", "security": "#1b7837",
          "territory": "#6a3d9a", "level": "#b2182b", "collapse": "#c00000"}
RUN_COLORS = ["#1f5aa6", "#e08214", "#1b7837", "#b2182b", "#6a3d9a", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
              "#bcbd22"]  # survival curves of the results board, in run order


# (chart, language, collapsed, widest y tick label of each axes) -> the axes' positions found by the constrained
# layout: laying out is half of a chart's drawing time, and a chart's layout changes only with these.
_LAYOUTS: dict[tuple, list] = {}


def png(fig: Figure) -> bytes:
    """The figure as PNG at ``DPI`` (fast compression: the page redraws charts at every step)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _frame(language: str, title_key: str, size_px: tuple[int, int] = CHART_PX):
    fig = Figure(figsize=(size_px[0] / DPI, size_px[1] / DPI), dpi=DPI, layout="constrained")
    fig.get_layout_engine().set(w_pad=2 / DPI, h_pad=2 / DPI)
    ax = fig.add_subplot()
    ax.set_title(text(language, title_key), fontsize=FONT_SIZE + 1)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=FONT_SIZE)
    return fig, ax


def _time_axis(ax, series: pd.DataFrame, language: str, collapse_day: int | None) -> None:
    """Days on x; after a collapse a red line, the rest shaded and labelled."""
    last = int(series["day"].iloc[-1])
    if collapse_day is None:
        ax.set_xlim(0, max(MIN_XSPAN_DAYS, last))
    else:
        right = max(MIN_XSPAN_DAYS, math.ceil(collapse_day / (1 - AFTER_COLLAPSE)))
        ax.set_xlim(0, right)
        ax.axvline(collapse_day, color=COLORS["collapse"], linewidth=2.5)
        ax.axvspan(collapse_day, right, color=COLORS["collapse"], alpha=0.12, linewidth=0)
        ax.text(collapse_day + 0.02 * right, 0.5, text(language, "chart.collapse", day=collapse_day),
                transform=ax.get_xaxis_transform(), rotation=90, ha="left", va="center", fontsize=FONT_SIZE,
                color=COLORS["collapse"])
    ax.set_xlabel(text(language, "axis.day"), fontsize=FONT_SIZE)


def _legend(fig: Figure, handles, labels, ncols: int) -> None:
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=FONT_SIZE, frameon=False,
               handlelength=1.6, columnspacing=1.0, borderaxespad=0)


def level_figure(series: pd.DataFrame, language: str, collapse_day: int | None = None) -> Figure:
    """Escalation level (0 quiet .. 3 contained clash, 4 war) by day."""
    fig, ax = _frame(language, "chart.level")
    ax.step(series["day"], series["level"], where="post", color=COLORS["level"], linewidth=1.5, **LAST)
    ax.fill_between(series["day"], series["level"], step="post", color=COLORS["level"], alpha=0.15, linewidth=0)
    ax.set_yticks(range(5), [text(language, f"level.{lv}") for lv in range(5)])
    ax.set_ylim(-0.1, 4.3)
    ax.set_ylabel(text(language, "axis.level"), fontsize=FONT_SIZE)
    _time_axis(ax, series, language, collapse_day)
    return fig


def beliefs_figure(series: pd.DataFrame, true_us: float, true_coalition: float, language: str,
                   collapse_day: int | None = None) -> Figure:
    """Russia's beliefs in US and coalition resolve (solid) beside their true resolve (dashed): colour says
    who, line style says belief or truth."""
    fig, ax = _frame(language, "chart.beliefs")
    for who, belief, true in (("us", "belief_us", true_us), ("coalition", "belief_coalition", true_coalition)):
        ax.plot(series["day"], series[belief], color=COLORS[who], linewidth=1.5, **LAST)
        ax.axhline(true, color=COLORS[who], linestyle="--", linewidth=1.2)
    ax.set_ylim(0, 1)
    ax.set_ylabel(text(language, "axis.probability"), fontsize=FONT_SIZE)
    _time_axis(ax, series, language, collapse_day)
    handles = [Line2D([], [], color=COLORS["us"], linewidth=3), Line2D([], [], color=COLORS["coalition"], linewidth=3),
               Line2D([], [], color="0.3"), Line2D([], [], color="0.3", linestyle="--")]
    labels = [text(language, key) for key in ("series.us", "series.coalition", "series.belief", "series.true")]
    _legend(fig, handles, labels, ncols=2)
    return fig


def _twin(ax, series: pd.DataFrame, left: str, right: str, left_color: str, right_color: str,
          left_label: str, right_label: str):
    """Two series on their own y axes, each axis labelled and coloured as its line."""
    ax.plot(series["day"], series[left], color=left_color, linewidth=1.5, **LAST)
    other = ax.twinx()
    other.plot(series["day"], series[right], color=right_color, linewidth=1.5, **LAST)
    for axis, label, color in ((ax, left_label, left_color), (other, right_label, right_color)):
        axis.set_ylabel(label, color=color, fontsize=FONT_SIZE)
        axis.tick_params(axis="y", colors=color, labelsize=FONT_SIZE)
    return other


def coalition_figure(series: pd.DataFrame, language: str, collapse_day: int | None = None) -> Figure:
    """Coalition members still deployed (left axis) and their troops in thousands (right axis) by day."""
    fig, ax = _frame(language, "chart.coalition")
    other = _twin(ax, series, "active_members", "troops_k", COLORS["coalition"], COLORS["us"],
                  text(language, "axis.members"), text(language, "axis.troops"))
    ax.set_ylim(0, max(1.0, float(series["active_members"].max())) * 1.1)
    other.set_ylim(0, max(1.0, float(series["troops_k"].max())) * 1.1)
    _time_axis(ax, series, language, collapse_day)
    return fig


def strength_figure(series: pd.DataFrame, language: str, collapse_day: int | None = None) -> Figure:
    """Russian and Ukrainian strength (thousand troops, left) and territory against the ceasefire line (km²,
    right; negative: ground lost) by day."""
    fig, ax = _frame(language, "chart.strength")
    for name, column in (("russia", "ru_strength_k"), ("ukraine", "ua_strength_k")):
        ax.plot(series["day"], series[column], color=COLORS[name], linewidth=1.5, **LAST)
    ax.set_ylim(0, float(series[["ru_strength_k", "ua_strength_k"]].to_numpy().max()) * 1.15)
    ax.set_ylabel(text(language, "axis.strength"), fontsize=FONT_SIZE)
    other = ax.twinx()
    other.plot(series["day"], series["territory_km2"], color=COLORS["territory"], linestyle=":", linewidth=2, **LAST)
    lowest = float(series["territory_km2"].min())
    other.set_ylim(min(-100.0, lowest * 1.15), max(10.0, -0.05 * lowest))
    other.set_ylabel(text(language, "axis.territory"), color=COLORS["territory"], fontsize=FONT_SIZE)
    other.tick_params(axis="y", colors=COLORS["territory"], labelsize=FONT_SIZE)
    _time_axis(ax, series, language, collapse_day)
    handles = [Line2D([], [], color=COLORS["russia"]), Line2D([], [], color=COLORS["ukraine"]),
               Line2D([], [], color=COLORS["territory"], linestyle=":", linewidth=2)]
    _legend(fig, handles, [text(language, f"series.{k}") for k in ("russia", "ukraine", "territory")], ncols=3)
    return fig


def investment_figure(series: pd.DataFrame, language: str, collapse_day: int | None = None) -> Figure:
    """Cumulative reconstruction investment ($bn, left) and the security index (0..1, right) by day."""
    fig, ax = _frame(language, "chart.investment")
    other = _twin(ax, series, "investment_total_bn", "security", COLORS["ukraine"], COLORS["security"],
                  text(language, "axis.investment"), text(language, "axis.security"))
    ax.set_ylim(0, max(1.0, float(series["investment_total_bn"].max())) * 1.1)
    other.set_ylim(0, 1)
    _time_axis(ax, series, language, collapse_day)
    return fig


def survival_figure(curves: dict[str, pd.DataFrame], language: str) -> Figure:
    """Share of scenarios still holding by day, each run's curve over its 95% band (``BatchResult.survival()``),
    drawn by the project's survival plot (``sim.plots.draw_survival``); the share in the language's percent
    convention, the legend beside the axes."""
    fig, ax = _frame(language, "chart.survival", SURVIVAL_PX)
    plots.draw_survival(ax, curves, colors=[RUN_COLORS[i % len(RUN_COLORS)] for i in range(len(curves))],
                        band_label=text(language, "series.band"))
    ax.set_xlim(0, max(int(c["day"].max()) for c in curves.values()))
    ax.set_xlabel(text(language, "axis.day"), fontsize=FONT_SIZE)
    ax.set_ylabel(text(language, "axis.share"), fontsize=FONT_SIZE)
    bottom, top = ax.get_ylim()
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2) if (top - bottom) / s <= 8)  # whole percents
    ax.yaxis.set_major_locator(MultipleLocator(step))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: percent(language, y, 0)))
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize=FONT_SIZE, frameon=False)
    return fig


SCENARIO_CHARTS = ("level", "beliefs", "coalition", "strength", "investment")


def _settle(fig: Figure, key: tuple) -> Figure:
    """Lay the figure out as the first figure with the same ``key`` and tick labels as wide was laid out."""
    widths = tuple(max((len(label) for label in ax.yaxis.get_major_formatter().format_ticks(ax.get_yticks())),
                       default=0) for ax in fig.axes)
    key = (*key, widths)
    positions = _LAYOUTS.get(key)
    if positions is None:
        fig.draw_without_rendering()
        _LAYOUTS[key] = [ax.get_position() for ax in fig.axes]
    else:
        fig.set_layout_engine("none")
        for ax, position in zip(fig.axes, positions, strict=True):
            ax.set_position(position)
    return fig


def scenario_figures(series: pd.DataFrame, true_us: float, true_coalition: float, language: str,
                     collapse_day: int | None) -> dict[str, Figure]:
    """The five charts of a stepped scenario, by name (``SCENARIO_CHARTS``), laid out once per kind."""
    figures = {"level": level_figure(series, language, collapse_day),
               "beliefs": beliefs_figure(series, true_us, true_coalition, language, collapse_day),
               "coalition": coalition_figure(series, language, collapse_day),
               "strength": strength_figure(series, language, collapse_day),
               "investment": investment_figure(series, language, collapse_day)}
    return {name: _settle(fig, (name, language, collapse_day is not None)) for name, fig in figures.items()}
