"""Helpers shared by the tests (importable as ``helpers``)."""

from __future__ import annotations

import numpy as np

import sim
from sim.design import build_params
from sim.engine import initial_state
from sim.rng import Streams
from sim.state import Today


def compose(*overrides: str) -> sim.Config:
    """A validated config from Hydra overrides."""
    return sim.compose_config(list(overrides))


def collapse_share(*overrides: str) -> tuple[float, int]:
    """Share of scenarios that collapsed, and the number of scenarios."""
    out = sim.run_batch(compose(*overrides)).outcomes
    return float(out["collapsed"].mean()), len(out)


def day_one(config: sim.Config, n: int | None = None):
    """State, params, streams and an empty Today for day 1 of the first ``n`` scenarios."""
    scenarios = np.arange(n or config.n_scenarios)
    params = build_params(config, scenarios)
    streams = Streams(config.seed, scenarios)
    return initial_state(params, streams), params, streams, Today(day=1)
