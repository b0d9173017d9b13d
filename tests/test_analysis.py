"""The analyses (sim.analyze): Sobol' indices, PRIM boxes, Cox hazard ratios, and explicit-design batches.

Each analysis is checked on a configuration whose answer is known by construction. Sizes are small (a year's
horizon, a few thousand scenarios) so the module runs in well under a minute.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim

pytest.importorskip("SALib")
pytest.importorskip("lifelines")
pytest.importorskip("ema_workbench")

from sim.analyze.__main__ import main as analyze_main  # noqa: E402
from sim.analyze.prim import prim  # noqa: E402
from sim.analyze.sobol import OUTCOMES, sobol  # noqa: E402
from sim.analyze.survival import survival  # noqa: E402

SEED = 20250106
# russia.value_of_gains over [0, 30] decides collapse within a year: the collapse share is under 8% below 10
# and over 93% above 16 (4,000 scenarios, bins of 2; the other parameters at their defaults).
DECIDING = "russia.value_of_gains={dist:uniform,low:0,high:30}"
# Inert by construction: the review lapse is read only on the US review day, and us.review_day is 0 (no review);
# the unanimity delay is read only under unanimity, and the decision rule is lead_nation.
INERT = ["us.review_lapse={dist:uniform,low:0,high:1}", "coalition.unanimity_delay_days={dist:uniform,low:0,high:30}"]


def compose(*overrides: str) -> sim.Config:
    return sim.compose_config([f"seed={SEED}", "horizon_days=365", *overrides])


# ------------------------------------------------------------------------------------ explicit designs
def test_explicit_values_equal_to_the_sampled_ones_reproduce_the_batch():
    config = compose("n_scenarios=300", "us.resolve={dist:uniform,low:0.2,high:0.9}",
                     "monitoring.regime={dist:choice,values:[none,observers,us_led]}",
                     "coalition.members={dist:uniform,low:5,high:40}")
    sampled = sim.run_batch(config, progress=False).outcomes
    values = {key: sampled[key].to_numpy() for key in config.sampled_keys}
    explicit = sim.run_batch(config, chunk_size=70, progress=False, param_values=values).outcomes
    pd.testing.assert_frame_equal(explicit, sampled)


def test_a_scenario_index_repeated_with_the_same_values_repeats_its_result():
    # Common random numbers: the Sobol' design runs every point with scenario indices 0..R-1.
    config = compose("n_scenarios=4", DECIDING)
    gains = np.array([5.0, 12.0, 12.0, 25.0, 12.0])
    out = sim.run_batch(config, scenarios=[1, 1, 2, 1, 1], progress=False,
                        param_values={"russia.value_of_gains": gains}).outcomes.reset_index()
    pd.testing.assert_frame_equal(out.iloc[[1]].reset_index(drop=True), out.iloc[[4]].reset_index(drop=True))
    assert out["russia.value_of_gains"].tolist() == gains.tolist()


def test_explicit_values_outside_a_parameters_range_are_refused_by_name():
    config = compose("n_scenarios=2")
    with pytest.raises(ValueError, match=r"us.resolve: explicit values span \[0.5, 1.5\]; allowed: \[0, 1\]"):
        sim.run_batch(config, progress=False, param_values={"us.resolve": np.array([0.5, 1.5])})


# ------------------------------------------------------------------------------------ Sobol'
def test_sobol_gives_the_only_uncertain_parameter_all_the_variance():
    config = compose(DECIDING, *INERT)
    result = sobol(config, n_base=512, replicates=4)
    assert result.settings["model_runs"] == 512 * (3 + 2) * 4
    for outcome in OUTCOMES:
        t = result.table.loc[outcome]
        # The inert parameters leave every run unchanged, and under common random numbers both estimators are
        # then exactly 0; the tolerance only absorbs float rounding.
        assert t.loc[[k.split("=")[0] for k in INERT], ["S1", "ST"]].abs().max().max() < 1e-9
        # With one effective input S1 = ST = 1 in theory; the estimators are ratios of sample variances of the
        # same function at the A and B matrices. SALib's bootstrap half-width is ~0.085 at N=512 (SE ~0.045,
        # conservative for a Sobol' sequence); seeds 1-5 gave |ST - 1| <= 0.005. Tolerance 0.15: over 3 SE.
        assert abs(t.loc["russia.value_of_gains", "ST"] - 1) < 0.15, t
        assert abs(t.loc["russia.value_of_gains", "S1"] - 1) < 0.15, t
        assert t.loc["russia.value_of_gains", "ST_low"] < 1 < t.loc["russia.value_of_gains", "ST_high"]
        assert 0 <= t["noise_share"].iloc[0] < 0.5
    assert result.ranking()[0] == "russia.value_of_gains"


# ------------------------------------------------------------------------------------ PRIM
def test_prim_boxes_the_parameter_that_decides_collapse():
    config = compose("n_scenarios=2000", DECIDING, INERT[0], "us.resolve={dist:uniform,low:0.2,high:0.9}",
                     "coalition.troops_k={dist:uniform,low:5,high:60}",
                     "monitoring.regime={dist:choice,values:[none,observers,us_led]}")
    result = prim(config, threshold=0.8)
    box = result.table.loc[1]
    # The most significant restriction (smallest quasi-p-value, listed first) is on value_of_gains, from below.
    assert box.index[0] == "russia.value_of_gains"
    assert "us.review_lapse" not in box.index
    gains = box.loc["russia.value_of_gains"]
    # The lower limit falls in the flip zone (collapse share < 8% below 10, > 93% above 16), widened by one bin
    # of 2 on each side; the upper limit stays at the range's top (sampled maximum ~29.99).
    assert 8 <= gains["low"] <= 18, gains
    assert gains["high"] > 29.9
    # Density >= threshold by selection; about 1,150 of 2,000 collapse and under 5% of them below 9, so coverage
    # is ~0.97 with a standard error of ~0.005.
    assert gains["density"] >= 0.8 and gains["coverage"] >= 0.9


# ------------------------------------------------------------------------------------ survival
def test_cox_hazard_ratio_of_a_larger_force_is_below_one_with_its_interval():
    config = compose("n_scenarios=2000", "russia.value_of_gains=12",
                     "coalition.troops_k={dist:uniform,low:0,high:100}", "us.resolve={dist:uniform,low:0.2,high:0.9}",
                     "monitoring.regime={dist:choice,values:[none,observers,us_led]}")
    result = survival(config)
    troops = result.cox.loc["coalition.troops_k"]
    # Forward troops deny a quick win and raise the cost of attacking them: a larger force lowers collapse.
    # Observed HR per 10k troops ~0.76 (0.73-0.79) with ~480 collapses; the interval's top is far below 1.
    assert troops["per"] == "10 thousand troops" and troops["role"] == "guarantee"
    assert troops["hazard_ratio"] < 1 and troops["hr_high"] < 1
    # The same direction in the Kaplan-Meier curves: the top tercile of force size holds more often.
    km = result.kaplan_meier.loc["coalition.troops_k"]
    assert km.loc[km.index.str.startswith("high"), "survival"].iloc[0] > km.loc[km.index.str.startswith("low"),
                                                                                 "survival"].iloc[0]
    # The PH check is reported for every covariate, and choices enter against the first value listed.
    assert result.cox["ph_p"].between(0, 1).all()
    assert result.cox.loc["monitoring.regime=us_led", "per"] == "vs none"


# ------------------------------------------------------------------------------------ command and reproducibility
@pytest.mark.parametrize(("analysis", "options", "tables"), [
    ("sobol", ["--base", "8", "--replicates", "2"], ["sobol"]),
    ("prim", ["n_scenarios=400", "--threshold", "0.6"], ["prim"]),
    ("survival", ["n_scenarios=400"], ["cox", "kaplan_meier"]),
])
def test_the_command_writes_the_same_tables_for_the_same_seed(tmp_path, analysis, options, tables):
    runs = []
    for name in ("first", "second"):
        args = [analysis, f"seed={SEED}", "horizon_days=365", *options, "--out", str(tmp_path / name)]
        assert analyze_main(args) == 0
        runs.append(tmp_path / name)
    for table in tables:
        assert (runs[0] / f"{table}.md").read_text() == (runs[1] / f"{table}.md").read_text()
        pd.testing.assert_frame_equal(pd.read_parquet(runs[0] / f"{table}.parquet"),
                                      pd.read_parquet(runs[1] / f"{table}.parquet"))
    figures = sorted(p.name for p in (runs[0] / "figures").iterdir())
    assert figures and all(p.endswith((".png", ".pdf")) for p in figures)
    # The experiment bundle experiments/analysis_NAME.yaml declared the uncertain parameters.
    config = json.loads((runs[0] / f"{analysis}.json").read_text())["config"]
    assert config["coalition"]["troops_k"] == {"dist": "uniform", "low": 5.0, "high": 60.0}


def test_the_sobol_design_and_its_outcomes_depend_on_the_seed():
    config = compose(DECIDING, "us.resolve={dist:uniform,low:0.2,high:0.9}")
    first = sobol(config, n_base=16, replicates=2).design
    other = sobol(config.replace(seed=SEED + 1), n_base=16, replicates=2).design
    assert not first.equals(other)


def test_the_three_analysis_experiments_declare_the_same_uncertainty():
    specs = []
    for name in ("analysis_sobol", "analysis_prim", "analysis_survival"):
        config = sim.compose_config([f"+experiment={name}"])
        specs.append({key: config.spec(key) for key in config.sampled_keys})
    assert specs[0] == specs[1] == specs[2]
    assert {"coalition.troops_k", "us.resolve", "us.credibility", "monitoring.regime",
            "coalition.decision_rule"} <= set(specs[0])
