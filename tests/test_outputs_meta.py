"""Outputs an analyst reads elsewhere: units in the parquet schema, daily series as netCDF, our own --help,
a progress bar that moves within a chunk, and the output settings' validation."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim
from sim import io
from sim.batch import run_batch, stream_batch
from sim.config import ConfigError
from sim.observables import OUTCOMES, SERIES
from sim.parameters import PARAM_BY_KEY, PARAMS


def _described(path) -> tuple[dict, object]:
    schema = pq.read_schema(path)
    return json.loads(schema.metadata[io.METADATA_KEY]), schema


def test_every_column_of_the_written_tables_has_a_unit_and_a_description(tmp_path):
    cfg = sim.compose_config(["n_scenarios=40", "horizon_days=60", "us.credibility={dist:uniform,low:0.2,high:0.9}"])
    result = run_batch(cfg, progress=False)
    io.write_parquet(tmp_path / "a.parquet", result.outcomes)
    stream_batch(cfg, tmp_path / "b.parquet", progress=False)
    for name in ("a.parquet", "b.parquet"):
        described, schema = _described(tmp_path / name)
        assert set(described) == set(schema.names), name  # the scenario index included
        assert described["collapse_day"] == {"unit": OUTCOMES["collapse_day"][0],
                                             "description": OUTCOMES["collapse_day"][1]}
        spec = PARAM_BY_KEY["us.credibility"]
        assert described["us.credibility"] == {"unit": spec.unit or "1", "description": spec.doc}
        field = schema.field("territory_change_km2").metadata
        assert field[b"unit"] == b"km2" and field[b"description"]
    assert pd.read_parquet(tmp_path / "b.parquet").equals(result.outcomes)
    # deterministic: the same table gives the same bytes (manifests hash them; launchers compare them)
    assert io.parquet_bytes(result.outcomes) == io.parquet_bytes(result.outcomes.copy())


def test_a_run_writes_daily_series_to_netcdf_with_units(tmp_path):
    xr = pytest.importorskip("xarray")
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "n_scenarios=30", "horizon_days=50", "output.figures=false",
                           "output.trajectories=true", "output.trajectory_every=5", f"hydra.run.dir={out}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert "trajectories.nc" in manifest["files"]
    ds = xr.open_dataset(out / "trajectories.nc", engine="scipy")
    assert dict(ds.sizes) == {"scenario": 30, "day": 11} and list(ds["day"].values[:3]) == [0, 5, 10]
    assert set(ds.data_vars) == set(SERIES)
    assert ds["troops_k"].attrs["units"] == SERIES["troops_k"][0] and ds.attrs["trajectory_every"] == 5
    # the same series as the batch engine's trajectories
    cfg = sim.compose_config(["n_scenarios=30", "horizon_days=50"])
    want = run_batch(cfg, trajectories=True, trajectory_every=5, progress=False).trajectories
    got = ds.to_dataframe().reset_index().dropna(subset=["level"])
    assert len(got) == len(want)
    assert (got["level"].to_numpy() == want.sort_values(["scenario", "day"])["level"].to_numpy()).all()
    # outcomes and their parquet metadata unchanged by the option
    assert pd.read_parquet(out / "scenarios.parquet").equals(run_batch(cfg, progress=False).outcomes)


@pytest.mark.parametrize("override, message", [("output.trajectories=maybe", "output.trajectories"),
                                               ("output.trajectory_every=0", r"output.trajectory_every=0 is outside"),
                                               ("output.trajectory_every=1.5", "output.trajectory_every")])
def test_output_settings_are_validated(override, message):
    with pytest.raises(ConfigError, match=message):
        sim.compose_config([override])
    with pytest.raises(ConfigError, match="must be true or false"):  # validation of the plain dict as well
        sim.config.validate({"output": {"trajectories": "yes"}})


def test_help_lists_commands_presets_experiments_and_every_parameter():
    for flag in ("--help", "-h"):
        proc = subprocess.run([sys.executable, "-m", "sim", flag], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        text = proc.stdout
        for word in ("python -m sim.report", "python -m sim.analyze", "-m +experiment", "make app",
                     *sim.config.preset_names(), "plans", "us_credibility", "output.trajectories"):
            assert word in text, word
        for p in PARAMS:
            line = next(line for line in text.splitlines() if line.strip().startswith(p.key + " "))
            assert (p.unit or "-") in line and "default" in line, line
    assert "Hydra" in subprocess.run([sys.executable, "-m", "sim", "--hydra-help"], capture_output=True, text=True,
                                     timeout=60).stdout


def test_progress_moves_within_a_chunk(monkeypatch):
    import tqdm

    steps = []
    original = tqdm.tqdm.update
    monkeypatch.setattr(tqdm.tqdm, "update", lambda self, n=1: (steps.append(n), original(self, n))[1])
    cfg = sim.compose_config(["n_scenarios=200", "horizon_days=300"])
    moving = run_batch(cfg, progress=True)
    assert len([n for n in steps if n > 0]) >= 50 and sum(steps) == 200 * 300  # one chunk, the bar moved 50+ times
    assert moving.outcomes.equals(run_batch(cfg, progress=False).outcomes)
