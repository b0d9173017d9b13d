"""Headline figures of every preset at a fixed seed and size: the baseline that tells when a change moves results.

    python tests/regression/headline.py          # rewrite tests/regression/headline_baseline.json

Only this script writes the baseline; ``tests/test_baseline.py`` recomputes the figures and fails on any
difference. A change meant to move the model's results regenerates the file in the same commit, so the diff of the
baseline shows, preset by preset, what moved.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BASELINE = Path(__file__).with_name("headline_baseline.json")
N_SCENARIOS = 2000
SEED = 20250106
# Summary figures kept in the baseline (sim.stats.summarize): what a reader of a run's summary.json looks at first.
KEYS = ("collapse_probability", "median_survival_days", "mean_collapse_day_if_collapsed", "max_level_distribution",
        "failure_modes", "violations", "territory_change_km2", "investment_total_bn", "coalition_members_final",
        "us_engaged_share", "belief_us_final", "belief_coalition_final", "reassurance_final")


def _rounded(value):
    """Floats to 12 significant digits, so that the file is stable across platforms' last-bit differences."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def headline_figures(preset: str) -> dict:
    """The baseline's figures of one preset, computed now."""
    import sim

    cfg = sim.compose_config([f"scenario={preset}", f"seed={SEED}", f"n_scenarios={N_SCENARIOS}"])
    summary = sim.run_batch(cfg, progress=False).summary()
    return _rounded({key: summary[key] for key in KEYS})


def compute() -> dict:
    from sim.config import preset_names

    return {"seed": SEED, "n_scenarios": N_SCENARIOS,
            "presets": {preset: headline_figures(preset) for preset in preset_names()}}


def main() -> int:
    BASELINE.write_text(json.dumps(compute(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
