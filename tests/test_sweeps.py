"""Experiments, sweeps, launchers, shards, manifests and the sweep report, run end to end as an analyst runs them.

Every sweep here is tiny (tens of scenarios, a short horizon): the tests check plumbing and bookkeeping, which
do not depend on size. Sweeps run as subprocesses (``python -m sim -m ...``), the way Hydra is used.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import report
from sim.__main__ import plan_jobs, validate_jobs
from sim.config import EXPERIMENT_DIR
from sim.jobs import MANIFEST_NAME, MergeError, check_job, merge_shards
from sim.stats import wilson_interval

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ("us_credibility", "force_credibility", "monitoring", "decision_rules", "signals", "plans",
               "us_review")
# A tiny version of each experiment: few scenarios, short horizon (us_review's latest review day is 730), and no
# per-job figures (they cost most of a tiny job's time; decision_rules keeps them, so that path runs too).
TINY = {name: ["n_scenarios=30", "horizon_days=60", "output.figures=false"] for name in EXPERIMENTS}
TINY["us_review"] = ["n_scenarios=30", "horizon_days=730", "output.figures=false"]
TINY["decision_rules"] = ["n_scenarios=30", "horizon_days=60"]
TINY_KEYS = ("n_scenarios", "horizon_days", "output.figures")


def run_sim(*args: str, cwd: Path = ROOT, module: str = "sim", timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m sim ARGS`` (or another module) in a subprocess; output captured."""
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def sweep_size(name: str) -> int:
    """Number of jobs of an experiment's sweep (product of its parameter lists)."""
    return len(plan_jobs([f"+experiment={name}"], multirun=True).jobs)


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    """``tiny_sweep(name)``: the directory of the experiment's tiny sweep with the basic launcher, run once."""
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            out = tmp_path_factory.mktemp(name) / "sweep"
            proc = run_sim("-m", f"+experiment={name}", *TINY[name], f"hydra.sweep.dir={out}")
            assert proc.returncode == 0, proc.stderr[-3000:]
            done[name] = out
        return done[name]

    return get


# ------------------------------------------------------------------------------------------ experiments
def test_every_experiment_composes_and_documents_its_question():
    names = sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml"))
    assert set(EXPERIMENTS) <= set(names)
    for name in names:
        text = (EXPERIMENT_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        assert text.startswith("# @package _global_"), name
        sim.compose_config([f"+experiment={name}"])
    for name in EXPERIMENTS:
        assert report.experiment_question(name), f"{name} has no '# Question:' comment"
        plan = plan_jobs([f"+experiment={name}"], multirun=True)
        assert len(plan.jobs) >= 3, name
        validate_jobs(plan, multirun=True)  # every job of the full-size sweep is a valid configuration


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_tiny_experiment_runs_end_to_end(name, tiny_sweep):
    out = tiny_sweep(name)
    n_jobs = sweep_size(name)
    statuses = [check_job(out / str(num)) for num in range(n_jobs)]
    assert all(s.complete for s in statuses), [s.problem for s in statuses if not s.complete]
    assert not (out / str(n_jobs)).exists()
    planned = plan_jobs([f"+experiment={name}", *TINY[name]], multirun=True).jobs
    assert [s.manifest["job"]["overrides"] for s in statuses] == planned  # Hydra ran the jobs we validated
    seen = set()
    for num, status in enumerate(statuses):
        m = status.manifest
        assert m["rows"] == 30 and m["scenario_range"] == [0, 30]
        assert m["job"]["num"] == num and m["job"]["experiment"] == name
        swept = [o for o in m["job"]["overrides"] if o.split("=")[0] not in ("+experiment", *TINY_KEYS)]
        seen.add(tuple(swept))
        table = pd.read_parquet(status.path / "scenarios.parquet")
        assert len(table) == 30 and table.index.tolist() == list(range(30))
    assert len(seen) == n_jobs  # each job ran a different condition


# ------------------------------------------------------------------------------------------ launchers
@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_launcher_gives_the_same_results_as_the_basic_launcher(launcher, tiny_sweep, tmp_path):
    basic = tiny_sweep("decision_rules")
    out = tmp_path / launcher
    extra = ["hydra.launcher.n_jobs=2"] if launcher == "joblib" else ["hydra.launcher.timeout_min=10"]
    proc = run_sim("-m", "+experiment=decision_rules", *TINY["decision_rules"], f"hydra.sweep.dir={out}",
                   f"hydra/launcher={launcher}", *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for num in range(sweep_size("decision_rules")):
        ours, theirs = check_job(out / str(num)), check_job(basic / str(num))
        assert ours.complete, ours.problem
        assert ours.manifest["job"]["overrides"] == theirs.manifest["job"]["overrides"]
        assert ours.manifest["files"]["scenarios.parquet"] == theirs.manifest["files"]["scenarios.parquet"]
        assert ours.manifest["config"] == theirs.manifest["config"]
        if launcher == "submitit_local":  # the job's submitit logs linked into its directory, and named in its log
            assert "Job completed successfully" in (out / str(num) / "submitit.out").read_text()
            assert "submitit logs:" in (out / str(num) / "__main__.log").read_text()
    if launcher == "submitit_local":  # the jobs' folders kept; no stray .submitit/%j left
        assert not (out / ".submitit" / "%j").exists() and any((out / ".submitit").iterdir())


# ------------------------------------------------------------------------------------------ shards
def test_shard_merge_equals_the_single_run_byte_for_byte(tmp_path):
    design = ["n_scenarios=301", "horizon_days=90", "scenario=minsk"]  # 301 = 100 + 100 + 101: unequal shards
    single = run_sim(*design, f"hydra.run.dir={tmp_path / 'single'}")
    assert single.returncode == 0, single.stderr[-3000:]
    sharded = run_sim("-m", *design, "shard=0,1,2", "shards=3", f"hydra.sweep.dir={tmp_path / 'sharded'}")
    assert sharded.returncode == 0, sharded.stderr[-3000:]
    shard_dirs = [tmp_path / "sharded" / str(i) for i in (2, 0, 1)]  # any order
    ranges = sorted(check_job(d).manifest["scenario_range"] for d in shard_dirs)
    assert ranges == [[0, 100], [100, 200], [200, 301]]  # disjoint, covering, contiguous
    merged = run_sim("merge", *map(str, shard_dirs), "--out", str(tmp_path / "merged.parquet"), module="sim.report")
    assert merged.returncode == 0, merged.stderr
    assert (tmp_path / "merged.parquet").read_bytes() == (tmp_path / "single" / "scenarios.parquet").read_bytes()
    # a missing shard is refused, naming it
    with pytest.raises(MergeError, match=r"missing shard\(s\) \[1\]"):
        merge_shards([tmp_path / "sharded" / "0", tmp_path / "sharded" / "2"])
    # the report treats the shards as one condition with the single run's numbers
    assert run_sim(str(tmp_path / "sharded"), module="sim.report").returncode == 0
    assert run_sim(str(tmp_path / "single"), module="sim.report").returncode == 0
    a = pd.read_csv(tmp_path / "sharded" / "conditions.csv")
    b = pd.read_csv(tmp_path / "single" / "conditions.csv")
    assert a["jobs"].tolist() == [3] and b["jobs"].tolist() == [1]
    pd.testing.assert_frame_equal(a.drop(columns="jobs"), b.drop(columns="jobs"))


# ------------------------------------------------------------------------------------------ killed jobs
def test_a_killed_job_is_rerun_and_the_report_then_complete(tmp_path):
    out = tmp_path / "sweep"
    args = [sys.executable, "-m", "sim", "-m", "n_scenarios=40,6000", "horizon_days=365", f"hydra.sweep.dir={out}"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    log = out / "1" / "__main__.log"
    deadline = time.monotonic() + 120
    try:  # kill job 1 once it has started its batch (its first log line), long before it can finish
        while not (log.is_file() and "scenarios 0..5999" in log.read_text()):
            assert proc.poll() is None and time.monotonic() < deadline, "job 1 never started"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert check_job(out / "0").complete
    assert not check_job(out / "1").complete and not (out / "1" / MANIFEST_NAME).exists()
    first_manifest = (out / "0" / MANIFEST_NAME).read_bytes()
    # what a kill while writing would leave: a finished table, a temporary file, no manifest
    shutil.copy(out / "0" / "scenarios.parquet", out / "1" / "scenarios.parquet")
    (out / "1" / ".summary.json.x1y2.tmp").write_bytes(b"{")

    partial = run_sim(str(out), module="sim.report")
    assert partial.returncode == 0 and "1 job(s) missing: 1" in partial.stderr
    text = (out / "report.md").read_text()
    assert "## Missing jobs" in text and "`n_scenarios=6000 horizon_days=365`" in text
    assert set(pd.read_parquet(out / "sweep.parquet")["n_scenarios"]) == {40}  # nothing of job 1 counted

    again = run_sim("-m", "n_scenarios=40,6000", "horizon_days=365", f"hydra.sweep.dir={out}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "job 0/2 [n_scenarios=40 horizon_days=365]: complete" in again.stdout + again.stderr
    assert (out / "0" / MANIFEST_NAME).read_bytes() == first_manifest  # skipped, not re-run
    assert check_job(out / "1").complete and not list((out / "1").glob(".*.tmp"))
    assert check_job(out / "1").manifest["rows"] == 6000
    complete = run_sim(str(out), module="sim.report")
    assert complete.returncode == 0 and "missing" not in complete.stderr
    assert "Missing jobs" not in (out / "report.md").read_text()
    assert len(pd.read_parquet(out / "sweep.parquet")) == 40 + 6000


def test_a_tampered_or_unfinished_job_does_not_count(tiny_sweep, tmp_path):
    job = tmp_path / "job"
    shutil.copytree(tiny_sweep("signals") / "0", job)
    assert check_job(job).complete
    table = job / "scenarios.parquet"
    data = bytearray(table.read_bytes())
    data[100] ^= 0xFF
    table.write_bytes(bytes(data))
    assert "does not match its checksum" in check_job(job).problem
    (job / MANIFEST_NAME).unlink()  # as if killed between its outputs and its manifest
    assert "did not finish" in check_job(job).problem


def test_a_finished_directory_of_another_configuration_is_refused(tiny_sweep):
    out = tiny_sweep("signals")
    before = (out / "0" / MANIFEST_NAME).read_bytes()
    proc = run_sim("-m", "+experiment=signals", "n_scenarios=31", "horizon_days=60", f"hydra.sweep.dir={out}")
    assert proc.returncode == 2
    assert "holds a finished run of a different configuration (n_scenarios: 30 there, 31 now)" in proc.stderr
    assert (out / "0" / MANIFEST_NAME).read_bytes() == before


# ------------------------------------------------------------------------------------------ the report
def direct_median_survival(collapse_days: np.ndarray, n: int) -> float:
    """First day by which at least half of n scenarios had collapsed; NaN if that never happens."""
    days = np.sort(collapse_days[~np.isnan(collapse_days)])
    need = math.ceil(n / 2)
    return float(days[need - 1]) if len(days) >= need else math.nan


def test_report_numbers_match_the_parquet_and_figures_exist(tiny_sweep):
    out = tiny_sweep("force_credibility")
    proc = run_sim(str(out), module="sim.report")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_parquet(out / "sweep.parquet")
    assert len(frame) == 25 * 30  # one row per scenario per job
    assert frame["coalition.troops_k"].dtype == np.int64 and frame["coalition.credibility"].dtype == np.float64
    assert set(frame["experiment"]) == {"force_credibility"}
    conditions = pd.read_csv(out / "conditions.csv")
    assert len(conditions) == 25
    text = (out / "report.md").read_text()
    assert report.experiment_question("force_credibility") in text
    for _, row in conditions.iterrows():
        group = frame[(frame["coalition.troops_k"] == row["coalition.troops_k"])
                      & np.isclose(frame["coalition.credibility"], row["coalition.credibility"])]
        n, k = len(group), int(group["collapsed"].sum())
        assert row["scenarios"] == n == 30
        assert row["collapse_probability"] == pytest.approx(k / n, abs=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_interval(k, n), abs=1e-12)
        days = group["collapse_day"].to_numpy(dtype=float, na_value=np.nan)
        assert row["median_survival_days"] == pytest.approx(direct_median_survival(days, n), nan_ok=True)
        assert row["investment_total_bn_mean"] == pytest.approx(group["investment_total_bn"].mean(), rel=1e-12)
        assert row["territory_change_km2_mean"] == pytest.approx(group["territory_change_km2"].mean(), rel=1e-12)
        shown = f"{k / n:.3f} ({row['ci_low']:.3f}–{row['ci_high']:.3f})"
        assert f"| {row['condition']} | 1 | 30 | {shown} |" in text
    for name in ("collapse_probability", "collapse_heatmap", "survival", "collapse_day", "territory_change",
                 "investment"):
        png = (out / "report_figures" / f"{name}.png").read_bytes()
        pdf = (out / "report_figures" / f"{name}.pdf").read_bytes()
        assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF") and len(png) > 5000, name
        assert f"report_figures/{name}.png" in text


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("args", "message"), [
    (["-m", "+experiment=plans", "us.resolv=0.5"], "unknown key us.resolv; allowed keys in us: attention"),
    (["-m", "+experiment=us_credibility", "us.resolve=1.5"], "us.resolve=1.5 is outside [0, 1]"),
    (["-m", "+experiment=nope"], "'experiment/nope' does not exist; allowed: "),
    (["-m", "+experiment=us_review", "horizon_days=100"], "us.review_day=180 is past horizon_days=100"),
    (["-m", "coalition.troops_k=10,600"], "job 1/2 [coalition.troops_k=600]: coalition.troops_k=600.0 is outside"),
    (["shard=2", "shards=2"], "shard=2 is outside [0, 1] (shards=2)"),
    (["bogus=1"], "unknown key bogus; allowed top-level keys: ceasefire, chunk_size"),
])
def test_bad_override_is_refused_with_a_clear_message_and_writes_nothing(args, message, tmp_path):
    proc = run_sim(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []  # no outputs/, no multirun/


def test_report_of_a_preset_sweep_names_conditions_by_preset(tiny_sweep):
    out = tiny_sweep("plans")
    assert run_sim(str(out), module="sim.report").returncode == 0
    frame = pd.read_parquet(out / "sweep.parquet")
    conditions = pd.read_csv(out / "conditions.csv")
    # the group override scenario=NAME is the column preset; scenario stays the scenario index
    assert conditions["preset"].tolist() == ["minsk", "aid_only", "coalition_only", "coalition_us_backstop"]
    assert sorted(set(frame["scenario"])) == list(range(30))
    for num, preset in enumerate(conditions["preset"]):
        assert check_job(out / str(num)).manifest["config"]["preset"] == preset
        assert set(frame.loc[frame["job"] == num, "preset"]) == {preset}
    assert not (out / "report_figures" / "collapse_heatmap.png").exists()  # 1-D sweep: no heatmap
