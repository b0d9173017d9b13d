"""Shared fixtures."""

from __future__ import annotations

import pytest
from helpers import compose

import sim


@pytest.fixture(scope="session")
def default_config() -> sim.Config:
    return compose("n_scenarios=1000")
