"""Headline figures of every preset equal the baseline written by ``python -m sim.calibration``.

A change that is meant to move results regenerates the baseline with that script in the same commit (the diff then
shows what moved); any other change must leave every figure as it was.
"""

import json

import pytest

from sim.calibration import BASELINE, BASELINE_N, SEED, headline_figures
from sim.config import preset_names

BASE = json.loads(BASELINE.read_text(encoding="utf-8"))


def test_baseline_covers_every_preset_at_the_scripts_settings():
    assert list(BASE["presets"]) == list(preset_names())
    assert (BASE["seed"], BASE["n_scenarios"]) == (SEED, BASELINE_N)


@pytest.mark.parametrize("preset", preset_names())
def test_headline_figures_equal_the_baseline(preset):
    assert headline_figures(preset) == BASE["presets"][preset], (
        f"{preset}: headline figures moved; if intended, run python -m sim.calibration and commit the diff")
