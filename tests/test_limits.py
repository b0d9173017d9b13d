"""Resource limits: a batch that would not fit in memory is reduced or refused before it starts, never killed.

The estimate (``sim.memory.plan_memory``) comes from the layout of Params, State and the series, times overheads
measured once; here the peak is measured again with tracemalloc (numpy registers its buffers with it) and the
estimate must stay above it without being absurdly loose. The available memory is pinned through
``CEASEFIRE_SIM_MEMORY_BYTES`` so that the tests mean the same on any machine.
"""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import compose

from sim.batch import _chunk_job, iter_chunks, run_batch, stream_batch
from sim.config import ConfigError
from sim.memory import MEMORY_ENV, MEMORY_SHARE, ResourceError, available_memory, plan_memory

ROOT = Path(__file__).resolve().parent.parent
GIB = 2**30


def peak_bytes(fn) -> int:
    """Peak bytes traced while ``fn()`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ------------------------------------------------------------------------------------------ the estimate
@pytest.mark.parametrize(("overrides", "trajectories"), [
    (["coalition.members=0"], False),
    (["coalition.members=60"], False),
    (["russia.rationality=0"], False),  # uniform choice: fighting on many days, combat arrays every day
    (["+experiment=analysis_sobol"], False),  # eleven parameters sampled
    ([], True),
])
def test_the_chunk_estimate_bounds_the_measured_peak_per_scenario(overrides, trajectories):
    config = compose("n_scenarios=2000", "horizon_days=60", *overrides)
    small, large = (peak_bytes(lambda n=n: _chunk_job(config, np.arange(n), trajectories, 1, None))
                    for n in (1000, 2000))
    measured = (large - small) / 1000  # per scenario: fixed costs cancel
    estimate = plan_memory(config, 2000, trajectories=trajectories).per_scenario
    assert measured <= estimate <= 2 * measured, (measured, estimate)


@pytest.mark.parametrize("trajectories", [False, True])
def test_the_kept_tables_estimate_bounds_what_run_batch_keeps(trajectories):
    config = compose("n_scenarios=4000", "horizon_days=30", "us.resolve={dist:uniform,low:0,high:1}")
    small, large = (peak_bytes(lambda n=n: run_batch(config, np.arange(n), chunk_size=250, trajectories=trajectories,
                                                     progress=False)) for n in (2000, 4000))
    measured = (large - small) / 2000  # the chunk is the same size in both: what grows is what run_batch keeps
    plan = plan_memory(config, 4000, 250, trajectories=trajectories, kept=4000)
    kept_per_scenario = (plan.fixed - plan_memory(config, 4000, 250, trajectories=trajectories).fixed) / 4000
    assert measured <= kept_per_scenario <= 2 * measured, (measured, kept_per_scenario)


def test_thirty_thousand_scenarios_in_one_chunk_fit_ten_million_are_reduced():
    config = compose()  # the default plan: 30 members
    assert plan_memory(config, 30_000, 30_000, available=8 * GIB).note is None
    plan = plan_memory(config, 10**7, 10**7, available=8 * GIB)
    assert plan.chunk_size < 10**7 and plan.chunk_size * plan.per_scenario + plan.fixed <= MEMORY_SHARE * 8 * GIB
    assert "chunk_size=10000000 would need about" in plan.note and f"reduced to {plan.chunk_size:,}" in plan.note
    two = plan_memory(config, 10**7, 10**7, workers=2, available=8 * GIB)  # each process holds a chunk
    assert two.chunk_size < plan.chunk_size / 1.9


def test_a_chunk_larger_than_the_batch_costs_only_the_batch():
    config = compose("n_scenarios=100")
    assert plan_memory(config, 100, 10**7, trajectories=True, available=GIB) == plan_memory(
        config, 100, 100, trajectories=True, available=GIB)


def test_memory_cap_from_the_environment(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, str(123 * 2**20))
    assert available_memory() == 123 * 2**20
    monkeypatch.delenv(MEMORY_ENV)
    found = available_memory()
    assert found is None or found > 0


# ------------------------------------------------------------------------------------------ reduced
def test_a_reduced_chunk_is_logged_and_changes_no_result(monkeypatch, caplog):
    config = compose("n_scenarios=400", "horizon_days=60", "coalition.troops_k={dist:uniform,low:0,high:100}")
    unconstrained = run_batch(config, progress=False).outcomes
    per_scenario = plan_memory(config, 400).per_scenario
    # Room for about 60 scenarios per chunk once the kept tables are counted.
    monkeypatch.setenv(MEMORY_ENV, str(int((60 * per_scenario + plan_memory(config, 400, kept=400).fixed)
                                           / MEMORY_SHARE)))
    with caplog.at_level(logging.WARNING, logger="sim.batch"):
        reduced = run_batch(config, chunk_size=10**7, progress=False).outcomes
    notes = [r.getMessage() for r in caplog.records if r.name == "sim.batch"]
    assert len(notes) == 1 and notes[0].startswith("chunk_size=10000000 would need about") and "reduced to" in notes[0]
    pd.testing.assert_frame_equal(reduced, unconstrained)


def test_stream_batch_reduces_its_chunk_too(monkeypatch, caplog, tmp_path):
    config = compose("n_scenarios=300", "horizon_days=30")
    per_scenario = plan_memory(config, 300).per_scenario
    monkeypatch.setenv(MEMORY_ENV, str(int((50 * per_scenario + 8 * 300) / MEMORY_SHARE)))
    with caplog.at_level(logging.WARNING, logger="sim.batch"):
        stream_batch(config, tmp_path / "out.parquet", chunk_size=10**7, progress=False)
    assert any("reduced to" in r.getMessage() for r in caplog.records)
    monkeypatch.delenv(MEMORY_ENV)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), run_batch(config).outcomes,
                                  check_dtype=False)


# ------------------------------------------------------------------------------------------ refused
def test_trajectories_of_too_many_scenarios_are_refused_before_the_run_starts(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, str(2 * GIB))
    config = compose("n_scenarios=10000000", "chunk_size=10000000")
    calls = []
    monkeypatch.setattr("sim.batch.run_chunk", lambda *a, **k: calls.append(a))
    with pytest.raises(ResourceError, match=r"run_batch keeps the outcome and trajectory tables of all "
                                            r"10,000,000 scenarios in memory: about [\d,.]+ GiB"):
        run_batch(config, trajectories=True)
    assert calls == []  # refused before the first chunk


def test_a_scenario_larger_than_memory_is_refused_naming_chunk_size(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, str(2 * 2**20))
    config = compose("n_scenarios=10", "horizon_days=36500")
    with pytest.raises(ResourceError, match=r"chunk_size=10000: even one scenario needs about [\d.]+ MiB"):
        next(iter_chunks(config, trajectories=True, progress=False))


def test_a_design_too_large_to_sample_is_refused_and_nothing_is_written(monkeypatch, tmp_path):
    monkeypatch.setenv(MEMORY_ENV, str(16 * GIB))
    config = compose("n_scenarios=1000000000", "us.resolve={dist:beta,a:2,b:2}")
    with pytest.raises(ResourceError, match=r"n_scenarios=1,000,000,000 with 1 parameters given as distributions "
                                            r"needs about [\d.]+ GiB per process for the Latin hypercube strata"):
        stream_batch(config, tmp_path / "big.parquet", scenarios=range(1000))
    assert list(tmp_path.iterdir()) == []
    assert issubclass(ResourceError, ConfigError)  # the command line reports it as bad input


def test_the_command_line_refuses_a_job_that_cannot_fit(tmp_path):
    env = {**os.environ, MEMORY_ENV: str(2**20)}
    proc = subprocess.run([sys.executable, "-m", "sim", "n_scenarios=100000", "horizon_days=5"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: the job keeps the outcome table of all 100,000 scenarios in memory")
    assert "shards=k" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []
