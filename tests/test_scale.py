"""Scale: multi-process batches and streamed parquet output give exactly the in-memory, one-process result."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import compose

from sim.batch import run_batch, stream_batch


def test_two_processes_give_exactly_the_one_process_outcomes():
    config = compose("n_scenarios=3000", "horizon_days=300", "us.resolve={dist:uniform,low:0.1,high:0.9}")
    one = run_batch(config, chunk_size=400).outcomes
    two = run_batch(config, chunk_size=400, workers=2).outcomes
    pd.testing.assert_frame_equal(one, two)
    assert one["collapsed"].any()


def test_streamed_parquet_of_1e5_scenarios_equals_the_in_memory_result(tmp_path):
    config = compose("n_scenarios=100000", "horizon_days=60", "coalition.troops_k={dist:uniform,low:0,high:100}")
    path = tmp_path / "scenarios.parquet"
    info = stream_batch(config, path, chunk_size=25000, workers=2)
    assert info["rows"] == 100000
    streamed = pd.read_parquet(path)
    in_memory = run_batch(config, chunk_size=25000).outcomes
    pd.testing.assert_frame_equal(streamed, in_memory, check_dtype=False)
    assert (streamed.dtypes.astype(str).to_dict() | {"failure_mode": "object"}) == (
        in_memory.dtypes.astype(str).to_dict() | {"failure_mode": "object"})


def test_stream_refuses_to_overwrite_and_leaves_no_partial_file(tmp_path):
    config = compose("n_scenarios=50", "horizon_days=20")
    path = tmp_path / "out.parquet"
    stream_batch(config, path)
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        stream_batch(config, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]
