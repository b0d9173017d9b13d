"""Figures fit for a briefing (``sim.plots``): labels from the parameter and outcome tables, a caption and a note
on every figure, survival zoomed to the data with visible bands, small multiples where lines crowd, bin widths
stated, each figure's data attached and saved beside it; and the documentation's examples (docs/figures/make.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import sim
from sim import io, plots, stats

ROOT = Path(__file__).resolve().parent.parent
CAPTION = "Preset test · 10,000 scenarios · seed 1 · horizon 300 days"


def outcomes(n: int = 10_000, share: float = 0.1, horizon: int = 300, seed: int = 3) -> pd.DataFrame:
    """An outcome table in which ``share`` of the scenarios collapse, on days spread over the horizon."""
    rng = np.random.default_rng(seed)
    collapsed = rng.random(n) < share
    day = np.where(collapsed, rng.integers(1, horizon + 1, n), -1)
    return pd.DataFrame({"collapsed": collapsed, "collapse_day": pd.array(np.where(collapsed, day, -1)),
                         "max_level": np.where(collapsed, 3, rng.integers(0, 3, n)),
                         "territory_change_km2": rng.normal(-50, 20, n)})


def foot(fig: Figure) -> str:
    """The text at a figure's foot (note and caption)."""
    return "\n".join(t.get_text() for t in fig.texts)


def assert_briefing_ready(fig: Figure, caption: str = CAPTION) -> pd.DataFrame:
    """The figure carries the caption at its foot and the table it was drawn from; returns the table."""
    assert caption in foot(fig).replace("\n", " ")
    data = plots.figure_data(fig)
    assert isinstance(data, pd.DataFrame) and len(data) > 0
    return data


# ------------------------------------------------------------------------------------------ labels
def test_axis_labels_come_from_the_parameter_and_outcome_tables():
    assert plots.param_label("us.credibility") == ("us.credibility: declared / perceived credibility of the US "
                                                   "backstop (probability)")
    assert plots.param_label("coalition.troops_k") == ("coalition.troops_k: multinational force deployed in "
                                                       "Ukraine (thousand troops)")
    assert plots.param_label("us.review_day").endswith("reviews its commitment (0: none), day")  # ":" in brackets
    assert plots.param_label("horizon_days") == "horizon_days: days simulated after the ceasefire (days)"
    assert plots.param_label("preset") == "scenario preset"
    assert plots.outcome_label("territory_change_km2").endswith(", km²")
    assert plots.outcome_label("investment_total_bn") == "cumulative reconstruction investment ($bn)"
    assert plots.outcome_label("collapse_day") == "day of collapse (days since the ceasefire)"


def test_a_run_caption_names_preset_scenarios_seed_and_horizon():
    config = sim.compose_config(["n_scenarios=200", "horizon_days=90", "seed=7"])
    assert plots.run_caption(config) == f"Preset {config.preset} · 200 scenarios · seed 7 · horizon 90 days"


# ------------------------------------------------------------------------------------------ survival
def test_survival_is_zoomed_to_the_data_with_a_visible_band():
    table = outcomes()
    fig = plots.survival_figure({"test": stats.table_survival(table, 300)}, caption=CAPTION)
    data = assert_briefing_ready(fig)
    ax = fig.axes[0]
    bottom, top = ax.get_ylim()
    assert 0.8 <= bottom < data["low"].min() and top > 1.0  # not a 0-1 axis
    assert (data["high"] - data["low"]).iloc[-1] / (top - bottom) > 0.05  # the band is seen at 10,000 scenarios
    assert "95% interval" in foot(fig)
    assert list(data.columns) == ["condition", "day", "survival", "low", "high"] and len(data) == 301


def test_a_survival_curve_that_falls_far_keeps_the_zero():
    fig = plots.survival_figure(stats.table_survival(outcomes(share=0.8), 300))
    assert fig.axes[0].get_ylim()[0] == 0


def test_many_survival_curves_become_small_multiples_against_a_reference():
    curves = {f"x={i}": stats.table_survival(outcomes(n=500, share=0.05 * i, seed=i), 300) for i in range(11)}
    fig = plots.survival_figure(curves, "t", caption=CAPTION, reference="x=3")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == list(curves)
    assert len({ax.get_ylim() for ax in panels}) == 1  # one scale for all
    assert len(panels[0].lines) == 2 and len(panels[3].lines) == 1  # the reference in grey, except in its own
    assert "Grey line in each other panel: x=3" in foot(fig).replace("\n", " ")
    assert set(assert_briefing_ready(fig)["condition"]) == set(curves)


def test_the_apps_survival_chart_has_no_english_foot():
    fig = plots.survival_figure({"holding": stats.table_survival(outcomes(n=300), 300)}, band_label="band")
    assert fig.texts == [] and plots.figure_data(fig) is not None


# ------------------------------------------------------------------------------------------ one run
def test_the_collapse_day_histogram_states_its_bin_width():
    table = outcomes()
    fig = plots.collapse_day_figure(table, 300, bins=40, caption=CAPTION)
    data = assert_briefing_ready(fig)
    assert "bins of 8 days (the last: 4 days, to the horizon)" in foot(fig).replace("\n", " ")
    assert fig.axes[0].get_ylabel() == "collapsed scenarios per 8-day bin"
    assert data["collapsed_scenarios"].sum() == table["collapsed"].sum()
    assert data["first_day"].iloc[0] == 1 and data["last_day"].iloc[-1] == 300
    assert ((data["first_day"].iloc[1:].to_numpy() - data["last_day"].iloc[:-1].to_numpy()) == 1).all()


def test_the_max_level_figure_has_its_caption_and_shares():
    data = assert_briefing_ready(plots.max_level_figure(outcomes(), caption=CAPTION))
    assert data["share"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------ sweep reports
def test_box_plots_explain_their_marks():
    values = {f"c={i}": outcomes(n=400, seed=i)["territory_change_km2"].to_numpy() for i in range(3)}
    fig = plots.distribution_figure(values, plots.outcome_label("territory_change_km2"), "t", caption=CAPTION)
    data = assert_briefing_ready(fig)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["middle half", "median", "whiskers (1.5 × box)", "mean"]
    assert "red diamond: mean" in foot(fig) and "1.5 times" in foot(fig)
    assert data["mean"].tolist() == pytest.approx([v.mean() for v in values.values()])
    assert (data["whisker_low"] <= data["q1"]).all() and (data["q3"] <= data["whisker_high"]).all()


def test_crowded_collapse_probability_lines_become_small_multiples():
    conditions = pd.DataFrame([{"coalition.troops_k": t, "coalition.credibility": c, "scenarios": 100,
                                "collapsed": 10, "collapse_probability": 0.1, "ci_low": 0.05, "ci_high": 0.17}
                               for c in (0.2, 0.4, 0.6, 0.8) for t in (0, 25, 50)])
    few = plots.collapse_probability_figure(conditions[conditions["coalition.credibility"] < 0.7],
                                            "coalition.troops_k", by="coalition.credibility", caption=CAPTION)
    assert len(few.axes) == 1 and few.axes[0].get_xlabel().startswith("coalition.troops_k: multinational force")
    many = plots.collapse_probability_figure(conditions, "coalition.troops_k", by="coalition.credibility",
                                             caption=CAPTION)
    assert len([ax for ax in many.axes if ax.get_visible()]) == 4
    assert len(assert_briefing_ready(many)) == 12


def test_figure_data_is_saved_beside_the_figure(tmp_path):
    fig = plots.max_level_figure(outcomes(n=100), caption=CAPTION)
    path = io.write_figure_data(tmp_path / "max_level.csv", fig)
    pd.testing.assert_frame_equal(pd.read_csv(path), plots.figure_data(fig))
    assert io.write_figure_data(tmp_path / "plain.csv", Figure()) is None and not (tmp_path / "plain.csv").exists()


# ------------------------------------------------------------------------------------------ the examples
def test_the_documentation_examples_have_captions_and_data(tmp_path):
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "figures" / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    figures = make.examples(n_scenarios=40, horizon_days=90)
    assert set(figures) == {f"run_{n}.png" for n in make.RUN_FIGURES} | {f"sweep_{n}.png" for n in make.SWEEP_FIGURES}
    for name, fig in figures.items():
        text = foot(fig).replace("\n", " ")
        assert "seed 20250106" in text and "horizon 90 days" in text, name
        assert ("80 scenarios" if name.startswith("run_") else "11 conditions of us.credibility · 40 scenarios each") \
            in text, name
        assert len(plots.figure_data(fig)) > 0, name
    make.write(figures, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(figures)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in tmp_path.iterdir())
    committed = sorted(p.name for p in (ROOT / "docs" / "figures").glob("*.png"))
    assert committed == sorted(figures)  # the examples in the repository are the ones the script draws


# ------------------------------------------------------------------------------------------ the foot
def test_an_analysis_caption_says_what_it_sampled_and_its_settings():
    config = sim.compose_config(["n_scenarios=200", "horizon_days=90", "seed=7"])
    caption = plots.run_caption(config, sample="Sobol' design of 16 base points", details=["2 uncertain parameters"])
    assert caption == (f"Preset {config.preset} · Sobol' design of 16 base points · seed 7 · horizon 90 days · "
                       "2 uncertain parameters")
    assert plots.run_caption(config, details=["x"]) == f"{plots.run_caption(config)} · x"


def test_the_foot_lifts_the_axes_of_a_figure_laid_out_by_hand_twins_included():
    from matplotlib.colors import same_color

    fig = Figure(figsize=(6, 4))  # no layout engine, as ema-workbench's figures
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    twin = ax.twinx()  # moves with ax: lifted once, not twice
    plots.finish(fig, pd.DataFrame({"x": [1]}), note="A note.", caption=CAPTION, warnings=["Something is off."])
    height = fig.get_figheight()
    foot = height - 4
    assert foot > 0
    for axes in (ax, twin):
        _, y0, _, h = axes.get_position().bounds
        assert y0 * height == pytest.approx(foot + 0.4) and h * height == pytest.approx(3.2)  # same size, lifted
    texts = sorted(fig.texts, key=lambda t: t.get_position()[1])  # from the foot up
    assert [t.get_text() for t in texts] == [CAPTION, "A note.", "Warning: Something is off."]
    assert texts[0].get_fontstyle() == "italic" and same_color(texts[2].get_color(), plots.WARNING_COLOR)
    assert texts[-1].get_position()[1] * height < foot
    assert plots.figure_data(fig)["x"].tolist() == [1]
