"""Paired comparisons in the sweep report (``python -m sim.report``): each condition against a reference condition,
scenario by scenario, checked against a direct computation from ``sweep.parquet``; the reference option and its
errors; a 2-D sweep and designs that cannot be paired. The sweep runs each condition as two shards: the shards of
a design are one condition, paired as a whole."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import report

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["n_scenarios=300", "horizon_days=365", "output.figures=false"]
HORIZON = 365


def sweep(out: Path, *overrides: str) -> Path:
    """Run ``python -m sim -m OVERRIDES`` (small) into ``out``."""
    proc = subprocess.run([sys.executable, "-m", "sim", "-m", *overrides, *SMALL, f"hydra.sweep.dir={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def credibility(tmp_path_factory) -> Path:
    """A 3-condition sweep of the US backstop's credibility, each condition as two shards, reported with the
    default reference."""
    out = sweep(tmp_path_factory.mktemp("credibility") / "sweep", "us.credibility=0.0,0.5,1.0", "shard=0,1",
                "shards=2")
    assert report.main([str(out)]) == 0
    return out


def direct(frame: pd.DataFrame, value: float, reference: float) -> dict:
    """Paired difference of two conditions of ``sweep.parquet`` computed here, scenario by scenario."""
    one = frame[frame["us.credibility"] == value].set_index("scenario").sort_index()
    ref = frame[frame["us.credibility"] == reference].set_index("scenario").sort_index()
    assert one.index.tolist() == ref.index.tolist() == list(range(300))  # both shards of each
    d = one["collapsed"].to_numpy(float) - ref["collapsed"].to_numpy(float)
    t = one["end_day"].to_numpy(float) - ref["end_day"].to_numpy(float)  # end_day = min(collapse day, horizon)
    n = len(d)
    return {"collapse_diff": d.mean(), "collapse_diff_se": d.std(ddof=1) / math.sqrt(n),
            "rmst_days": one["end_day"].mean(), "rmst_diff": t.mean(), "rmst_diff_se": t.std(ddof=1) / math.sqrt(n)}


def test_paired_table_matches_a_direct_computation(credibility):
    frame = pd.read_parquet(credibility / "sweep.parquet")
    paired = pd.read_csv(credibility / "paired.csv")
    assert paired["condition"].tolist() == [f"us.credibility={v}" for v in (0.0, 0.5, 1.0)]
    assert set(paired["reference"]) == {"us.credibility=0.0"} and paired["is_reference"].tolist() == [1, 0, 0]
    assert paired["paired"].all() and (paired["scenarios"] == 300).all()  # the shards, merged, paired as one
    for _, row in paired.iterrows():
        expected = direct(frame, row["us.credibility"], 0.0)
        assert {k: row[k] for k in expected} == pytest.approx(expected, rel=1e-9, abs=1e-12)
    first = paired.iloc[0]
    assert first["collapse_diff"] == 0 and first["collapse_diff_low"] == first["collapse_diff_high"] == 0
    full = paired.iloc[2]  # credibility 0 -> 1: common random numbers make the paired error much smaller
    assert full["collapse_diff_low"] < full["collapse_diff"] < full["collapse_diff_high"]
    assert full["collapse_diff_se"] < 0.7 * full["collapse_diff_se_unpaired"]
    assert full["rmst_diff_se"] < 0.7 * full["rmst_diff_se_unpaired"]

    text = (credibility / "report.md").read_text()
    assert "## Paired comparisons" in text and "Newcombe" in text
    shown = (f"{full['collapse_diff']:+.3f} ({full['collapse_diff_low']:+.3f} to "
             f"{full['collapse_diff_high']:+.3f})").replace("-", "−")
    assert f"| us.credibility=1.0 | us.credibility=0.0 | {full['collapse_probability']:.3f} | {shown} |" in text
    figures = credibility / "report_figures"
    assert (figures / "paired_differences.png").read_bytes().startswith(b"\x89PNG")
    assert "report_figures/paired_differences.png" in text
    for png in figures.glob("*.png"):  # every figure's data beside it
        data = pd.read_csv(png.with_suffix(".csv"))
        assert len(data) > 0, png.name
    pd.testing.assert_frame_equal(pd.read_csv(figures / "paired_differences.csv").drop(columns="label"), paired)


def test_another_reference_is_chosen_by_key_and_value(credibility, tmp_path):
    assert report.main([str(credibility), "--out", str(tmp_path), "--reference", "us.credibility=0.5"]) == 0
    default = pd.read_csv(credibility / "paired.csv").set_index("condition")
    paired = pd.read_csv(tmp_path / "paired.csv").set_index("condition")
    assert set(paired["reference"]) == {"us.credibility=0.5"}
    assert paired["is_reference"].tolist() == [0, 1, 0]
    # differences are antisymmetric, with the same paired errors
    back = paired.loc["us.credibility=0.0"]
    there = default.loc["us.credibility=0.5"]
    assert back["collapse_diff"] == pytest.approx(-there["collapse_diff"], abs=1e-12)
    assert back["collapse_diff_se"] == pytest.approx(there["collapse_diff_se"], rel=1e-12)
    assert back["rmst_diff"] == pytest.approx(-there["rmst_diff"], abs=1e-9)


@pytest.mark.parametrize(("reference", "message"), [
    ("us.resolve=0.5", "--reference us.resolve: not a swept key; swept: us.credibility"),
    ("us.credibility=0.3", "--reference us.credibility=0.3: no condition has it; values: 0.0, 0.5, 1.0"),
])
def test_a_reference_that_is_not_a_condition_is_refused(credibility, tmp_path, capsys, reference, message):
    assert report.main([str(credibility), "--out", str(tmp_path / "out"), "--reference", reference]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # refused before anything is written


def synthetic(keys: dict[str, list], n: int = 50) -> pd.DataFrame:
    """A sweep frame: one job per combination of ``keys``' values, ``n`` scenarios each, outcomes by scenario."""
    rng = np.random.default_rng(2)
    u = rng.random(n)
    rows = []
    for job, values in enumerate(pd.MultiIndex.from_product(list(keys.values()))):
        shift = 0.02 * job
        collapsed = u < 0.3 + shift
        rows.append(pd.DataFrame({"job": job, **dict(zip(keys, values, strict=True)), "scenario": np.arange(n),
                                  "collapsed": collapsed,
                                  "collapse_day": pd.array(np.where(collapsed, 1 + (u * 100).astype(int), -1)),
                                  "failure_mode": np.where(collapsed, "offensive", "none"), "max_level": 0,
                                  "us_fought_war": False, "territory_change_km2": 0.0, "investment_total_bn": 0.0}))
    return pd.concat(rows, ignore_index=True)


def test_a_2d_sweep_compares_within_each_value_of_the_other_key():
    frame = synthetic({"coalition.troops_k": [0, 25], "coalition.credibility": [0.2, 0.6, 1.0]})
    keys = ["coalition.troops_k", "coalition.credibility"]
    conditions = report.conditions_table(frame, keys, dict.fromkeys(range(6), 200))
    designs = dict.fromkeys(range(6), (1, 50))
    spec = report.reference_values(["coalition.credibility=0.6"], keys, {}, conditions)
    paired = report.paired_table(frame, conditions, keys, designs, spec)
    assert paired["reference"].tolist() == ["coalition.troops_k=0, coalition.credibility=0.6"] * 3 + [
        "coalition.troops_k=25, coalition.credibility=0.6"] * 3
    assert paired["is_reference"].tolist() == [False, True, False] * 2
    job0, job1 = (frame.loc[frame["job"] == j, "collapsed"].to_numpy(float) for j in (0, 1))  # troops 0: 0.2, 0.6
    assert job0.mean() < job1.mean()
    assert paired["collapse_diff"].iloc[0] == pytest.approx(job0.mean() - job1.mean(), abs=1e-12)
    # a condition of another design (here another seed) is not paired: independent samples
    designs[5] = (2, 50)
    unpaired = report.paired_table(frame, conditions, keys, designs, spec)
    assert unpaired["paired"].tolist() == [True] * 5 + [False]
    assert unpaired["collapse_diff_se"].iloc[5] == unpaired["collapse_diff_se_unpaired"].iloc[5]
