"""The classroom app's charts: each takes a scenario's series (or a batch's survival curve) and a language and
returns a matplotlib ``Figure``, every label in that language (``sim.i18n``).

Figures are built with ``matplotlib.figure.Figure``, not pyplot, so that the sessions of a server draw in their own
threads without sharing pyplot's global state. Matplotlib 3.11 lays out Arabic (shaping, right to left) with
libraqm, and its bundled DejaVu Sans has the Arabic letters, so charts need no system font.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim import plots
from sim.i18n import text

FIGSIZE = (5.6, 2.9)  # inches; two charts side by side fill the app's main column
FONT_SIZE = 8  # points: axis labels and ticks (titles 2 larger, legends 1 smaller)
MIN_XSPAN_DAYS = 60  # the time axis shows at least this many days, then grows with the scenario
LAST = {"marker": "o", "markersize": 4, "markevery": [-1]}  # a dot on today's value (visible from day 0)
COLORS = {"us": "#1f5aa6", "coalition": "#e08214", "russia": "#b2182b", "ukraine": "#2166ac", "security": "#1b7837",
          "territory": "#6a3d9a", "level": "#b2182b"}


def _frame(language: str, title_key: str) -> tuple[Figure, object]:
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(text(language, title_key), fontsize=FONT_SIZE + 2)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=FONT_SIZE)
    return fig, ax


def _time_axis(ax, series: pd.DataFrame, language: str) -> None:
    ax.set_xlim(0, max(MIN_XSPAN_DAYS, int(series["day"].iloc[-1])))
    ax.set_xlabel(text(language, "axis.day"), fontsize=8)


def _legend(ax, *axes, loc: str = "best") -> None:
    handles, labels = [], []
    for a in (ax, *axes):
        h, lab = a.get_legend_handles_labels()
        handles += h
        labels += lab
    ax.legend(handles, labels, loc=loc, fontsize=7, framealpha=0.85)


def level_figure(series: pd.DataFrame, language: str) -> Figure:
    """Escalation level (0 quiet .. 4 direct clash) by day."""
    fig, ax = _frame(language, "chart.level")
    ax.step(series["day"], series["level"], where="post", color=COLORS["level"], linewidth=1.2, **LAST)
    ax.fill_between(series["day"], series["level"], step="post", color=COLORS["level"], alpha=0.15, linewidth=0)
    ax.set_yticks(range(5), [text(language, f"level.{lv}") for lv in range(5)])
    ax.set_ylim(-0.1, 4.3)
    _time_axis(ax, series, language)
    return fig


def beliefs_figure(series: pd.DataFrame, true_us: float, true_coalition: float, language: str) -> Figure:
    """Russia's beliefs in US and coalition resolve (lines) beside their true resolve (dashed)."""
    fig, ax = _frame(language, "chart.beliefs")
    ax.plot(series["day"], series["belief_us"], color=COLORS["us"], **LAST, label=text(language, "series.belief_us"))
    ax.plot(series["day"], series["belief_coalition"], color=COLORS["coalition"], **LAST,
            label=text(language, "series.belief_coalition"))
    ax.axhline(true_us, color=COLORS["us"], linestyle="--", linewidth=1, label=text(language, "series.true_us"))
    ax.axhline(true_coalition, color=COLORS["coalition"], linestyle="--", linewidth=1,
               label=text(language, "series.true_coalition"))
    ax.set_ylim(0, 1)
    ax.set_ylabel(text(language, "axis.probability"), fontsize=8)
    _time_axis(ax, series, language)
    _legend(ax, loc="lower left")
    return fig


def _twin(ax, series: pd.DataFrame, left: str, right: str, left_color: str, right_color: str, language: str):
    """Two series on their own y axes, each axis labelled and coloured as its line."""
    ax.plot(series["day"], series[left], color=left_color, **LAST, label=text(language, f"series.{left}"))
    other = ax.twinx()
    other.plot(series["day"], series[right], color=right_color, **LAST, label=text(language, f"series.{right}"))
    for axis, name, color in ((ax, left, left_color), (other, right, right_color)):
        axis.set_ylabel(text(language, f"series.{name}"), color=color, fontsize=8)
        axis.tick_params(axis="y", colors=color, labelsize=8)
    _time_axis(ax, series, language)
    return other


def coalition_figure(series: pd.DataFrame, language: str) -> Figure:
    """Coalition members still deployed and their troops (thousand) by day."""
    fig, ax = _frame(language, "chart.coalition")
    other = _twin(ax, series, "active_members", "troops_k", COLORS["coalition"], COLORS["us"], language)
    ax.set_ylim(0, max(1.0, float(series["active_members"].max())) * 1.1)
    other.set_ylim(0, max(1.0, float(series["troops_k"].max())) * 1.1)
    return fig


def strength_figure(series: pd.DataFrame, language: str) -> Figure:
    """Russian and Ukrainian strength (thousand troops) and territory relative to the ceasefire line (km2)."""
    fig, ax = _frame(language, "chart.strength")
    ax.plot(series["day"], series["ru_strength_k"], color=COLORS["russia"], **LAST,
            label=text(language, "series.ru_strength_k"))
    ax.plot(series["day"], series["ua_strength_k"], color=COLORS["ukraine"], **LAST,
            label=text(language, "series.ua_strength_k"))
    ax.set_ylim(0, float(series[["ru_strength_k", "ua_strength_k"]].to_numpy().max()) * 1.15)
    other = ax.twinx()
    other.plot(series["day"], series["territory_km2"], color=COLORS["territory"], linestyle=":", **LAST,
               label=text(language, "series.territory_km2"))
    lowest = float(series["territory_km2"].min())
    other.set_ylim(min(-100.0, lowest * 1.15), max(10.0, -0.05 * lowest))
    other.tick_params(axis="y", colors=COLORS["territory"], labelsize=8)
    _time_axis(ax, series, language)
    _legend(ax, other, loc="lower left")
    return fig


def investment_figure(series: pd.DataFrame, language: str) -> Figure:
    """Cumulative reconstruction investment ($bn) and the security index (0..1) by day."""
    fig, ax = _frame(language, "chart.investment")
    other = _twin(ax, series, "investment_total_bn", "security", COLORS["ukraine"], COLORS["security"], language)
    ax.set_ylim(0, max(1.0, float(series["investment_total_bn"].max())) * 1.1)
    other.set_ylim(0, 1)
    return fig


def survival_figure(curve: pd.DataFrame, language: str) -> Figure:
    """Share of scenarios still holding by day with its 95% band (``BatchResult.survival()``): the project's
    survival figure (``sim.plots.survival_figure``) at the app's size, labelled in ``language``."""
    return plots.survival_figure({text(language, "series.survival"): curve}, text(language, "chart.survival"),
                                 xlabel=text(language, "axis.day"), ylabel=text(language, "axis.share"),
                                 band_label=text(language, "series.band"), colors=[COLORS["us"]],
                                 figsize=FIGSIZE, fontsize=FONT_SIZE)
