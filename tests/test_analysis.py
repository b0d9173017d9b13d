"""The analyses (sim.analyze): Sobol' indices, PRIM boxes, Cox hazard ratios, and explicit-design batches.

Each analysis is checked on a configuration whose answer is known by construction. Sizes are small (a year's
horizon, a few thousand scenarios) so the module runs in well under a minute.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim

pytest.importorskip("SALib")
pytest.importorskip("lifelines")
pytest.importorskip("ema_workbench")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine  # noqa: E402

from sim import plots  # noqa: E402
from sim.analyze.__main__ import main as analyze_main  # noqa: E402
from sim.analyze.common import LEVERS  # noqa: E402
from sim.analyze.prim import PrimResult, limits_figure, prim  # noqa: E402
from sim.analyze.sobol import OUTCOMES, diagnostics, indices_figure, sobol  # noqa: E402
from sim.analyze.survival import DURATION, EVENT, survival, time_split  # noqa: E402

SEED = 20250106
# russia.value_of_gains over [0, 30] decides collapse within a year: the collapse share is under 8% below 10
# and over 93% above 16 (4,000 scenarios, bins of 2; the other parameters at their defaults).
DECIDING = "russia.value_of_gains={dist:uniform,low:0,high:30}"
# Inert by construction: the review lapse is read only on the US review day, and us.review_day is 0 (no review);
# the unanimity delay is read only under unanimity, and the decision rule is lead_nation.
INERT = ["us.review_lapse={dist:uniform,low:0,high:1}", "coalition.unanimity_delay_days={dist:uniform,low:0,high:30}"]


def compose(*overrides: str) -> sim.Config:
    return sim.compose_config([f"seed={SEED}", "horizon_days=365", *overrides])


# One type of Russia: the parameter a test makes uncertain is then the only source of variation between design
# points besides the daily draws and the valuation shock, as the Sobol and PRIM tests below assume.
ONE_TYPE = "russia.type_spread=0"


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
    config = compose(DECIDING, ONE_TYPE, *INERT)
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
        # Replicate noise (the daily draws and the valuation shock) against the variance the input explains: small
        # for collapse, which the value of gains decides; the other outcomes vary little with it within a year.
        if outcome == "collapse_probability":
            assert 0 <= t["noise_share"].iloc[0] < 0.5
    assert result.ranking()[0] == "russia.value_of_gains"


def _sobol_table(rows: dict) -> pd.DataFrame:
    """A table of indices as ``sobol`` returns it; ``rows``: (outcome, parameter) -> (S1, S1 half-width, ST, ST
    half-width)."""
    data = [{"outcome": o, "parameter": p, "S1": s1, "S1_low": s1 - h1, "S1_high": s1 + h1, "ST": st,
             "ST_low": st - ht, "ST_high": st + ht} for (o, p), (s1, h1, st, ht) in rows.items()]
    return pd.DataFrame(data).set_index(["outcome", "parameter"])


def test_sobol_diagnostics_name_each_problem_and_size_its_remedy():
    settings = {"n_base": 128, "replicates": 8, "parameters": ["a", "b"],
                "variance": {"collapse_probability": {"between_points": 0.04, "noise": 0.012},
                             "rmst_days": {"between_points": 100.0, "noise": 1.0},
                             "investment_total_bn": {"between_points": 0.0, "noise": 0.0}}}
    table = _sobol_table({("collapse_probability", "a"): (0.5, 0.05, 1.25, 0.2),  # ST beyond 1 by its interval
                          ("collapse_probability", "b"): (-0.01, 0.02, 0.02, 0.01),  # within its interval: no
                          ("rmst_days", "a"): (0.9, 0.05, 1.0, 0.05), ("rmst_days", "b"): (0.0, 0.01, 0.0, 0.01)})
    beyond, wide, constant, noise = diagnostics(table, settings)
    assert beyond.startswith("1 parameter's index lies outside [0, 1] beyond the 95% interval (a for "
                             "collapse_probability: S1 0.50 [0.45, 0.55], ST 1.25 [1.05, 1.45])")
    assert "Remedy: rerun with --base 512" in beyond
    # Half-width 0.2 at N=128 narrows to 0.05 at 16 times N (1/sqrt(N)): --base 2048, 2048 * 4 * 8 model runs.
    assert "reach ±0.20 (a for collapse_probability)" in wide and "Remedy: --base 2048" in wide
    assert "65,536 model runs" in wide
    # Noise share 0.3 at R=8: R' = 8 * 0.3 * 0.95 / (0.05 * 0.7) = 65.1 -> 66; rmst (1%) is not named.
    assert noise.startswith("Replicate noise is 30% for collapse_probability of the variance")
    assert "rmst_days" not in noise and "Remedy: --replicates 66" in noise
    assert constant.startswith("investment_total_bn does not vary over the design")
    quiet = {**settings, "variance": {"rmst_days": {"between_points": 100.0, "noise": 1.0}}}
    assert diagnostics(_sobol_table({("rmst_days", "a"): (0.9, 0.05, 1.0, 0.05)}), quiet) == []


def test_a_small_sobol_design_warns_in_the_result_the_markdown_and_the_figure(tmp_path):
    config = compose(DECIDING, "us.resolve={dist:uniform,low:0.2,high:0.9}")
    result = sobol(config, n_base=16, replicates=1)
    assert any(w.startswith("Too few base points: at --base 16") for w in result.warnings), result.warnings
    assert any(w.startswith("With --replicates 1 the noise share cannot be estimated") for w in result.warnings)
    result.write(tmp_path)
    markdown = (tmp_path / "sobol.md").read_text()
    figure = result.figures()["sobol_indices"]
    drawn = " ".join(t.get_text().replace("\n", " ") for t in figure.texts)
    for warning in result.warnings:
        assert f"> **Warning:** {warning}" in markdown
        assert warning.split(":")[0] in drawn


def test_sobol_refuses_designs_too_small_or_unbalanced():
    config = compose(DECIDING)
    with pytest.raises(ValueError, match=r"--base 2 is too few base points: at least 16 are needed"):
        sobol(config, n_base=2)
    with pytest.raises(ValueError, match=r"--base 100 is not a power of 2.*use 64 or 128"):
        sobol(config, n_base=100)
    with pytest.raises(ValueError, match=r"--replicates 0: at least 1"):
        sobol(config, n_base=16, replicates=0)


# ------------------------------------------------------------------------------------ PRIM
def test_prim_boxes_the_parameter_that_decides_collapse():
    config = compose("n_scenarios=2000", DECIDING, ONE_TYPE, INERT[0], "us.resolve={dist:uniform,low:0.2,high:0.9}",
                     "coalition.troops_k={dist:uniform,low:5,high:60}",
                     "monitoring.regime={dist:choice,values:[none,observers,us_led]}")
    result = prim(config, threshold=0.8, resamples=4)
    box = result.table.loc[1]
    # The most significant restriction (smallest quasi-p-value, listed first) is on value_of_gains, from below.
    assert box.index[0] == "russia.value_of_gains"
    assert "us.review_lapse" not in box.index
    gains = box.loc["russia.value_of_gains"]
    # The lower limit falls in the zone where collapse flips from rare to likely (observed 18.2), widened by a bin
    # of 2 on each side; the upper limit stays at the range's top (sampled maximum ~29.99).
    assert 8 <= gains["low"] <= 20.5, gains
    assert gains["high"] > 29.9
    # Density >= threshold by selection; observed coverage 0.67 (a standard error of ~0.015 at ~1,000 collapses).
    assert gains["density"] >= 0.8 and gains["coverage"] >= 0.6
    # It is significant, and PRIM on random halves of the data restricts it every time (ema-workbench resample).
    assert gains["quasi_p"] < 1e-10 and gains["significant"]
    assert gains["reproduce_coverage"] == gains["reproduce_density"] == 100
    # Box 1 holds two thirds of the collapses; what is left cannot reach the threshold, and the result says so
    # with the remedy.
    assert result.settings["stopped"].startswith("no further box reaches density 0.8: among the")
    assert "Remedy: lower --threshold to" in result.settings["stopped"]
    _check_significance_marks(result)


def _check_significance_marks(result):
    """quasi_p is the larger of a restriction's two quasi-p-values; above 0.05 it is marked and warned about."""
    t = result.table
    assert (t["quasi_p"] == t[["qp_low", "qp_high"]].max(axis=1)).all()
    assert (t["significant"] == (t["quasi_p"] <= 0.05)).all()
    for k, parameter in t.index[~t["significant"]]:
        assert any(w.startswith(f"Box {k}:") and parameter in w for w in result.warnings), (k, parameter)
    assert len(result.warnings) == t.loc[~t["significant"]].index.get_level_values("box").nunique()


def test_prim_levers_searches_the_levers_with_the_context_left_uncertain():
    config = compose("n_scenarios=2000", DECIDING, ONE_TYPE, INERT[0], "us.resolve={dist:uniform,low:0.2,high:0.9}",
                     "coalition.troops_k={dist:uniform,low:5,high:60}",
                     "monitoring.regime={dist:choice,values:[none,observers,us_led]}")
    # The context (value_of_gains) decides collapse; no range of the levers alone reaches a density of 0.8.
    # Observed: the densest lever box has density ~0.48 (base rate 0.29); the result says so and what to do.
    result = prim(config, threshold=0.8, levers=True, resamples=0)
    assert result.boxes == [] and result.settings["boxes_found"] == 0
    assert result.settings["stopped"].startswith("no further box reaches density 0.8: among the 2000 scenarios")
    assert "Remedy: lower --threshold to 0." in result.settings["stopped"]
    assert result.rejected is not None and "prim_rejected_trajectory" in result.figures()
    lower = prim(config, threshold=0.45, levers=True, resamples=0, max_boxes=1)  # densest lever box ~0.48
    assert set(lower.settings["parameters"]) == {"us.resolve", "coalition.troops_k", "monitoring.regime"}
    assert set(lower.settings["context"]) == {"russia.value_of_gains", "us.review_lapse"}
    assert set(lower.table.index.get_level_values("parameter")) <= set(LEVERS)
    assert lower.settings["stopped"] == "--boxes 1 found; more may exist (raise --boxes)"
    # Inside the box the context still spans its whole range: the density is over the uncertain context.
    inside = lower.outcomes.iloc[lower.boxes[0].yi]
    assert inside["russia.value_of_gains"].min() < 1 and inside["russia.value_of_gains"].max() > 29
    assert (inside["collapsed"].mean() >= 0.45) and len(inside) == lower.table["n"].iloc[0]
    _check_significance_marks(lower)


def test_prim_refuses_too_few_scenarios_for_its_smallest_box_before_running():
    config = compose("n_scenarios=300", DECIDING)
    with pytest.raises(ValueError, match=r"n_scenarios=300 is too few for PRIM with --mass-min 0.05: the smallest "
                                         r"box it may return holds 15 scenarios.*use n_scenarios=400 or more"):
        prim(config)
    with pytest.raises(ValueError, match=r"--levers: none of the uncertain parameters"):
        prim(config.replace(n_scenarios=400), levers=True)


# ------------------------------------------------------------------------------------ survival
@pytest.fixture(scope="module")
def troops_survival():
    config = compose("n_scenarios=3000", "russia.value_of_gains=12",
                     "coalition.troops_k={dist:uniform,low:0,high:100}", "us.resolve={dist:uniform,low:0.2,high:0.9}",
                     "monitoring.regime={dist:choice,values:[none,observers,us_led]}")
    return config, survival(config)


def test_cox_hazard_ratio_of_a_larger_force_is_below_one_with_its_interval(troops_survival):
    _, result = troops_survival
    troops = result.cox.loc["coalition.troops_k"]
    # Forward troops deny a quick win and raise the cost of attacking them: a larger force lowers collapse.
    # Observed HR per 10k troops ~0.62 (0.59-0.65) with ~490 collapses; the interval's top is far below 1.
    assert troops["per"] == "10 thousand troops" and troops["role"] == "lever"
    assert troops["hazard_ratio"] < 1 and troops["hr_high"] < 1
    # The same direction in the Kaplan-Meier curves: the top tercile of force size holds more often.
    km = result.kaplan_meier.loc["coalition.troops_k"]
    assert km.loc[km.index.str.startswith("high"), "survival"].iloc[0] > km.loc[km.index.str.startswith("low"),
                                                                                 "survival"].iloc[0]
    # The PH check is reported for every covariate, and choices enter against the first value listed.
    assert result.cox["ph_p"].between(0, 1).all()
    assert result.cox.loc["monitoring.regime=us_led", "per"] == "vs none"


def test_failed_proportional_hazards_are_flagged_and_split_by_period(troops_survival, tmp_path):
    config, result = troops_survival
    # Observed: the test fails for the force (p ~6e-6) and for US-led monitoring (p ~3e-6), far below 0.05.
    failed = result.cox.index[result.cox["ph_violated"]].tolist()
    assert failed == result.settings["ph_violations"] and "coalition.troops_k" in failed
    assert (result.cox["ph_violated"] == (result.cox["ph_p"] < 0.05)).all()
    warning = next(w for w in result.warnings if w.startswith("Proportional hazards fail"))
    assert all(name in warning for name in failed) and "--strata coalition.troops_k" in warning
    # The time-split model: three periods (terciles of the collapse days) for each failing covariate.
    split = result.time_split
    periods = split.loc["coalition.troops_k"].index.tolist()
    assert len(periods) == 3 and periods[0].startswith("days 1-") and periods[-1].endswith("-365")
    assert split.loc[("us.resolve", "all days"), "hazard_ratio"] > 0
    result.write(tmp_path)
    assert f"> **Warning:** {warning}" in (tmp_path / "cox.md").read_text()
    assert (tmp_path / "cox_time_split.parquet").exists()
    assert (tmp_path / "figures" / "hazard_ratios_by_period.png").exists()
    forest = result.figures()["hazard_ratios"]
    assert any(t.get_text().startswith("Warning: Proportional hazards fail") for t in forest.texts)
    # Stratified on the force: no ratio for it, the others adjusted within its terciles.
    stratified = survival(config, strata=["coalition.troops_k"])
    assert "coalition.troops_k" not in stratified.cox.index and stratified.settings["strata"] == ["coalition.troops_k"]
    with pytest.raises(ValueError, match=r"--strata us.binding: not an uncertain parameter"):
        survival(config, strata=["us.binding"])


def test_the_time_split_model_recovers_a_hazard_ratio_that_changes_over_time():
    # By construction: x = 1 triples the hazard before day 100 and leaves it alone after.
    rng = np.random.default_rng(7)
    n, base, horizon = 2000, 0.004, 365
    x = rng.integers(0, 2, n).astype(float)
    early = rng.exponential(1 / (base * 3.0 ** x))
    days = np.where(early < 100, early, 100 + rng.exponential(1 / base, n))
    data = pd.DataFrame({DURATION: np.minimum(days, horizon), EVENT: (days <= horizon).astype(int), "x": x})
    split = time_split(data, {"x": ("x", "1")}, ["x"], horizon, penalizer=0.0).loc["x"]
    first, last = split.iloc[0], split.iloc[-1]
    assert first["hr_low"] < 3 < first["hr_high"], split
    assert last["hr_low"] < 1 < last["hr_high"], split


def test_survival_refuses_fewer_than_five_collapses_per_covariate():
    config = sim.compose_config([f"seed={SEED}", "horizon_days=365", "+experiment=analysis_survival",
                                 "n_scenarios=40"])
    with pytest.raises(ValueError, match=r"n_scenarios=40 gives \d+ collapses for 13 Cox covariates .* at least 5 "
                                         r"per covariate are needed.*use n_scenarios=\d+ or more"):
        survival(config)


# ------------------------------------------------------------------------------------ command and reproducibility
TROOPS = {"dist": "uniform", "low": 5.0, "high": 60.0}  # as the experiments analysis_NAME declare it


@pytest.mark.parametrize(("analysis", "options", "tables", "troops"), [
    ("sobol", ["--base", "16", "--replicates", "2"], ["sobol"], TROOPS),
    ("prim", ["--threshold", "0.6", "n_scenarios=400", "--boxes", "1", "--resamples", "1"], ["prim"], TROOPS),
    # Two parameters, not the experiment's eleven: the Kaplan-Meier figure has a panel per parameter (~0.4 s each).
    ("survival", ["n_scenarios=400", "--experiment", "none", "coalition.troops_k={dist:uniform,low:0,high:100}",
                  "monitoring.regime={dist:choice,values:[none,observers,us_led]}"], ["cox", "kaplan_meier"],
     {"dist": "uniform", "low": 0.0, "high": 100.0}),
])
def test_the_command_writes_the_same_tables_for_the_same_seed(tmp_path, capsys, analysis, options, tables, troops):
    runs = []
    for name in ("first", "second"):
        args = [analysis, f"seed={SEED}", *options, "--out", str(tmp_path / name), "horizon_days=365"]
        assert analyze_main(args) == 0
        runs.append(tmp_path / name)
    # Every warning reaches the console (stderr) and the markdown of the analysis' first table.
    warnings = json.loads((runs[0] / f"{analysis}.json").read_text())["warnings"]
    stderr = capsys.readouterr().err
    assert analysis != "sobol" or warnings  # 16 base points are too few for 11 parameters
    for warning in warnings:
        assert f"warning: {warning}" in stderr and warning in (runs[0] / f"{tables[0]}.md").read_text()
    for table in tables:
        assert (runs[0] / f"{table}.md").read_text() == (runs[1] / f"{table}.md").read_text()
        pd.testing.assert_frame_equal(pd.read_parquet(runs[0] / f"{table}.parquet"),
                                      pd.read_parquet(runs[1] / f"{table}.parquet"))
    figures = sorted(p.name for p in (runs[0] / "figures").iterdir())
    assert figures and all(p.endswith((".png", ".pdf", ".csv")) for p in figures)
    # Every figure comes as PNG and PDF with the data it was drawn from beside it (NAME.csv), the same for the seed.
    stems = {p.rsplit(".", 1)[0] for p in figures}
    assert figures == sorted(f"{stem}.{suffix}" for stem in stems for suffix in ("csv", "pdf", "png"))
    for stem in stems:
        assert (runs[0] / "figures" / f"{stem}.csv").read_text() == (runs[1] / "figures" / f"{stem}.csv").read_text()
    # The experiment bundle experiments/analysis_NAME.yaml (or the overrides) declared the uncertain parameters.
    config = json.loads((runs[0] / f"{analysis}.json").read_text())["config"]
    assert config["coalition"]["troops_k"] == troops


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


# ------------------------------------------------------------------------------------ figures: caption, data, foot
def caption_of(fig) -> str:
    """The caption line at a figure's foot (the italic text), its wrapping undone."""
    captions = [t.get_text() for t in fig.texts if t.get_fontstyle() == "italic"]
    assert len(captions) == 1, captions
    return captions[0].replace("\n", " ")


def assert_run_named(caption: str, config: sim.Config) -> None:
    assert caption.startswith(f"Preset {config.preset} · "), caption
    assert f" · seed {config.seed} · horizon {config.horizon_days:,} days" in caption, caption


def figure_tables(out_dir: Path, figures: dict) -> dict[str, pd.DataFrame]:
    """The CSV beside each PNG written (the same stem), checked against the data each figure carries."""
    written = {p.stem for p in (out_dir / "figures").glob("*.png")}
    assert written == set(figures) and {p.stem for p in (out_dir / "figures").glob("*.csv")} == written
    tables = {name: pd.read_csv(out_dir / "figures" / f"{name}.csv", keep_default_na=False, na_values=[""])
              for name in written}
    for name, table in tables.items():
        carried = plots.figure_data(figures[name])
        assert list(table.columns) == list(carried.columns) and len(table) == len(carried) > 0, name
    return tables


def assert_foot_clear(fig, warnings=()) -> None:
    """The foot (caption, note, warnings: the texts at the foot's size) lies inside the figure and below every
    visible axes with its tick labels and axis labels; each warning is there, in red."""
    FigureCanvasAgg(fig)
    fig.set_dpi(150)  # as written
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    foot = [t for t in fig.texts if t.get_fontsize() == plots.FOOT_SIZE]
    assert foot
    boxes = [t.get_window_extent(renderer) for t in foot]
    assert min(b.y0 for b in boxes) >= 0 and min(b.x0 for b in boxes) >= 0
    top = max(b.y1 for b in boxes)
    for ax in fig.axes:
        if ax.get_visible() and ax.axison:
            assert ax.get_tightbbox(renderer).y0 > top, (ax, ax.get_tightbbox(renderer).y0, top)
    red = " ".join(t.get_text().replace("\n", " ") for t in foot if same_color(t.get_color(), plots.WARNING_COLOR))
    for warning in warnings:
        assert f"Warning: {warning}" in red


def test_the_sobol_figure_has_its_caption_and_its_indices_beside_it(tmp_path):
    config = compose(DECIDING, "us.resolve={dist:uniform,low:0.2,high:0.9}")
    result = sobol(config, n_base=16, replicates=2)
    figures = result.figures()
    caption = caption_of(figures["sobol_indices"])
    assert_run_named(caption, config)
    assert "Sobol' design of 16 base points: 64 points × 2 replicates = 128 runs" in caption  # 16 * (2 + 2) * 2
    assert "2 uncertain parameters" in caption
    result.write(tmp_path)
    drawn = figure_tables(tmp_path, figures)["sobol_indices"]
    # One row per outcome and parameter, the indices and intervals of the analysis' table.
    table = pd.read_parquet(tmp_path / "sobol.parquet").reset_index()
    assert len(drawn) == len(OUTCOMES) * 2
    pd.testing.assert_frame_equal(drawn[["outcome", "parameter"]], table[["outcome", "parameter"]])
    columns = ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
    pd.testing.assert_frame_equal(drawn[columns], table[columns].astype(float), rtol=1e-12)


def test_the_survival_figures_have_their_caption_and_their_curves_and_ratios_beside_them(troops_survival, tmp_path):
    config, result = troops_survival
    figures = result.figures()
    assert set(figures) == {"kaplan_meier", "hazard_ratios", "hazard_ratios_by_period"}
    for fig in figures.values():
        caption = caption_of(fig)
        assert_run_named(caption, config)
        assert f"{config.n_scenarios:,} scenarios · " in caption and "3 uncertain parameters" in caption
        assert f"{result.settings['collapses']:,} collapses" in caption
    result.write(tmp_path)
    tables = figure_tables(tmp_path, figures)
    # Kaplan-Meier: a row per parameter, condition and day 0..horizon; at the horizon, the table's survival.
    km, expected = tables["kaplan_meier"], result.kaplan_meier
    assert len(km) == len(expected) * (config.horizon_days + 1)
    last = km[km["day"] == config.horizon_days].set_index(["parameter", "condition"])
    np.testing.assert_allclose(last.loc[expected.index, ["survival", "low", "high"]], expected[["survival", "low",
                                                                                              "high"]], rtol=1e-9)
    np.testing.assert_allclose(last.loc[expected.index, "logrank_p"], expected["logrank_p"], rtol=1e-9)
    # Hazard ratios: the Cox table, a row per covariate, with the proportional-hazards test.
    hr = tables["hazard_ratios"].set_index("covariate")
    assert hr.index.tolist() == result.cox.index.tolist()
    columns = ["hazard_ratio", "hr_low", "hr_high", "p", "ph_p"]
    np.testing.assert_allclose(hr[columns], result.cox[columns], rtol=1e-9)
    assert hr["ph_violated"].tolist() == result.cox["ph_violated"].tolist()
    # By period: the failing covariates' ratios per period (the rows "all days" are not drawn).
    split = result.time_split[result.time_split.index.get_level_values("period") != "all days"]
    by_period = tables["hazard_ratios_by_period"].set_index(["covariate", "period"])
    assert by_period.index.tolist() == split.index.tolist()
    np.testing.assert_allclose(by_period[["hazard_ratio", "hr_low", "hr_high"]],
                               split[["hazard_ratio", "hr_low", "hr_high"]], rtol=1e-9)
    assert_foot_clear(figures["hazard_ratios"], result.warnings)  # constrained layout, warnings in red


@pytest.fixture(scope="module")
def prim_result():
    """Box 1 on the deciding parameter; the next box falls short of the threshold (a rejected trajectory)."""
    config = compose("n_scenarios=800", DECIDING, ONE_TYPE, "us.resolve={dist:uniform,low:0.2,high:0.9}",
                     "monitoring.regime={dist:choice,values:[none,observers,us_led]}")
    return config, prim(config, threshold=0.8, resamples=0)


def test_the_prim_figures_have_their_caption_and_their_boxes_beside_them(prim_result, tmp_path):
    config, result = prim_result
    assert len(result.boxes) == 1 and result.rejected is not None
    figures = result.figures()
    assert set(figures) == {"prim_box1_trajectory", "prim_box1_ppt", "prim_box1_limits", "prim_box1_pairs",
                            "prim_rejected_trajectory"}
    for fig in figures.values():
        caption = caption_of(fig)
        assert_run_named(caption, config)
        assert "800 scenarios · " in caption and "density threshold 0.8" in caption
        assert "outcome: collapse by the horizon" in caption and "all 3 uncertain parameters searched" in caption
    levers = PrimResult(config, result.table, [], result.outcomes,
                        {**result.settings, "levers": True, "parameters": ["us.resolve", "monitoring.regime"],
                         "context": ["russia.value_of_gains"]})
    assert "levers only: 2 of 3 uncertain parameters searched" in levers.caption()
    result.write(tmp_path)
    tables = figure_tables(tmp_path, figures)
    box, rows = result.boxes[0], result.table.loc[1]
    # The trajectories: a row per peeling step, the selected box marked (none on the rejected one).
    trajectory = tables["prim_box1_trajectory"]
    np.testing.assert_allclose(trajectory[["coverage", "density", "mass"]],
                               box.peeling_trajectory[["coverage", "density", "mass"]], rtol=1e-12)
    chosen = trajectory[trajectory["selected"]]
    assert len(chosen) == 1 and chosen["coverage"].iloc[0] == pytest.approx(rows["coverage"].iloc[0])
    assert tables["prim_box1_ppt"].equals(trajectory)
    assert len(tables["prim_rejected_trajectory"]) == len(result.rejected.peeling_trajectory)
    assert not tables["prim_rejected_trajectory"]["selected"].any()
    # The limits: a row per restriction as in prim.parquet, within the sampled range.
    limits = tables["prim_box1_limits"].set_index("parameter")
    assert limits.index.tolist() == rows.index.tolist()
    np.testing.assert_allclose(limits[["low", "high", "quasi_p"]], rows[["low", "high", "quasi_p"]], rtol=1e-12)
    gains = limits.loc["russia.value_of_gains"]
    assert gains["range_low"] <= gains["low"] < gains["high"] <= gains["range_high"]
    # The pairs plot: a row per scenario drawn, its values of the restricted parameters; the box holds n of them
    # at the box's density.
    pairs = tables["prim_box1_pairs"]
    assert len(pairs) == config.n_scenarios and pairs["scenario"].tolist() == result.outcomes.index.tolist()
    assert set(rows.index) <= set(pairs.columns)
    inside = pairs[pairs["in_box"]]
    assert len(inside) == rows["n"].iloc[0] and inside["collapsed"].mean() == pytest.approx(rows["density"].iloc[0])
    scenarios = result.outcomes.reset_index()
    np.testing.assert_allclose(pairs["russia.value_of_gains"], scenarios["russia.value_of_gains"], rtol=1e-12)


def test_the_foot_of_figures_laid_out_by_hand_stays_clear_of_their_axes(prim_result):
    _, result = prim_result
    box, rows = result.boxes[0], result.table.loc[1]
    # ema-workbench's pairs plot: no layout engine, its axes lifted above the caption.
    pairs = result.figures()["prim_box1_pairs"]
    assert not isinstance(pairs.get_layout_engine(), (ConstrainedLayoutEngine, TightLayoutEngine))
    assert_foot_clear(pairs)
    # ema-workbench's limits, a restriction marked not significant: the warning in red above the caption.
    weak = rows.assign(significant=[False] + [True] * (len(rows) - 1))
    fig = limits_figure(box, 1, weak, caption="Preset test · 800 scenarios")
    warning = next(t.get_text() for t in fig.texts if same_color(t.get_color(), plots.WARNING_COLOR))
    assert warning.startswith(f"Warning: Box 1: 1 of {len(rows)} restrictions are not significant")
    assert_foot_clear(fig)


def test_warnings_stay_red_at_the_foot_of_a_constrained_figure():
    table = _sobol_table({(o, p): (0.5, 0.05, 0.6, 0.3) for o in OUTCOMES for p in ("a", "b", "c")})
    warnings = ["Too few base points: " + "the intervals are wide; " * 30 + "so read no ranking.", "A second warning."]
    fig = indices_figure(table, caption="Preset test · seed 1 · horizon 365 days", warnings=warnings)
    assert_foot_clear(fig, warnings)
    foot = [t.get_text().replace("\n", " ") for t in sorted(fig.texts, key=lambda t: -t.get_position()[1])
            if t.get_fontsize() == plots.FOOT_SIZE]
    assert [text.split(":")[0] for text in foot] == ["Warning", "Warning", "Preset test · seed 1 · horizon 365 days"]
    assert foot[0].startswith("Warning: Too few base points") and foot[1] == "Warning: A second warning."
