"""Calibration in the open: targets from public facts, the model's values against them, and the tables behind them.

    python -m sim.calibration            # rewrite docs/calibration.md and tests/regression/headline_baseline.json
    python -m sim.calibration --check    # only compare the headline baseline with the code (exit 1 if it moved)

Every table of docs/calibration.md between its generated markers is written here, at a fixed seed: the targets and
the model's value for each, every preset's headline figures (with the hazards of the first and third year), the
sensitivity to the precision of Russia's choices, the guarantee levers (paired differences on common random
numbers) and a one-at-a-time table of every parameter. The headline baseline that ``tests/test_baseline.py``
checks is written by this script only, so a change that moves results shows in the diff of that file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim import stats
from sim.batch import run_batch
from sim.compose import compose_config
from sim.config import preset_names
from sim.parameters import PARAMS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "calibration.md"
BASELINE = ROOT / "tests" / "regression" / "headline_baseline.json"
SEED = 20250106
BASELINE_N = 2000
# Summary figures kept in the baseline (sim.stats.summarize): what a reader of a run's summary.json looks at first.
BASELINE_KEYS = ("collapse_probability", "median_survival_days", "mean_collapse_day_if_collapsed",
                 "max_level_distribution", "failure_modes", "violations", "territory_change_km2",
                 "investment_total_bn", "coalition_members_final", "us_probe_answers", "us_fought_war_share",
                 "quiet_first_year_share", "frozen_conflict_share", "belief_us_final", "belief_coalition_final",
                 "reassurance_final")


# ------------------------------------------------------------------------------------------ runs
def outcomes(*overrides: str, n: int) -> pd.DataFrame:
    """The outcome table of ``n`` scenarios at the calibration seed."""
    return run_batch(compose_config([f"seed={SEED}", f"n_scenarios={n}", *overrides]), progress=False).outcomes


def _rounded(value):
    """Floats to 12 significant digits, so that the baseline is stable across platforms' last-bit differences."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def headline_figures(preset: str) -> dict:
    """The baseline's figures of one preset, computed now."""
    summary = stats.summarize(outcomes(f"scenario={preset}", n=BASELINE_N), compose_config().horizon_days)
    return _rounded({key: summary[key] for key in BASELINE_KEYS})


def baseline() -> dict:
    return {"seed": SEED, "n_scenarios": BASELINE_N,
            "presets": {preset: headline_figures(preset) for preset in preset_names()}}


# ------------------------------------------------------------------------------------------ targets
@dataclass(frozen=True)
class Target:
    """A public fact the model should reproduce: what, where it comes from, the range accepted, how measured."""

    name: str
    source: str
    low: float
    high: float
    measure: str  # key of MEASURES


def _collapse(o: pd.DataFrame) -> float:
    return float(o["collapsed"].mean())


def _violation_days_per_year(o: pd.DataFrame) -> float:
    return float((o["violations"] / o["end_day"].clip(lower=1) * 365).mean())


TARGETS = (
    Target("Minsk-like ceasefire: share collapsed into renewed war within 3 years",
           "Minsk I (Sept. 2014) broke down within five months (Debaltseve, Jan.-Feb. 2015); Minsk II (Feb. 2015) "
           "held as a frozen conflict for seven years: one of two within three years (assumption: a range around "
           "one half)", 0.35, 0.65, "minsk_collapse"),
    Target("Minsk-like ceasefire: violation days per year",
           "OSCE SMM daily and spot reports 2015-2021: ceasefire violations recorded on most days", 150, 366,
           "minsk_violation_days"),
    Target("Minsk-like ceasefire: frozen conflicts (held 3 years, incidents on most days)",
           "Minsk II 2015-2021: chronic violations without renewed war", 0.10, 0.50, "minsk_frozen"),
    Target("The summit's plan against Minsk: ratio of 3-year collapse shares",
           "Fortna (2003, 2004): peacekeepers and third-party guarantees cut the hazard of renewed war by more "
           "than half, in many estimates by 60-85% (assumption: ratio 0.1-0.4)", 0.10, 0.40, "plan_to_minsk"),
    Target("The summit's plan: share of scenarios with no probe in the first year (a quiet ceasefire)",
           "assumption: some ceasefires under strong guarantees are quiet (e.g. Korea after 1953, Cyprus after "
           "1974, in Fortna's data)", 0.10, 0.60, "plan_quiet"),
    Target("Honest signals: mean belief in US resolve on day 1,095 minus the truth (0.7)",
           "Bayesian learning is unbiased when the prior's mean is the truth (model-v2 requirement)", -0.05, 0.05,
           "honest_us"),
)


def measure_targets(runs: dict[str, pd.DataFrame]) -> dict[str, float]:
    minsk, plan = runs["minsk"], runs["coalition_us_backstop"]
    return {
        "minsk_collapse": _collapse(minsk),
        "minsk_violation_days": _violation_days_per_year(minsk),
        "minsk_frozen": float(minsk["frozen_conflict"].mean()),
        "plan_to_minsk": _collapse(plan) / max(_collapse(minsk), 1e-9),
        "plan_quiet": float(plan["quiet_first_year"].mean()),
        # Beliefs at the end of each run (the collapse day for the few that collapse), against the truth.
        "honest_us": float(plan["belief_us_final"].mean() - compose_config().us.resolve),
    }


# ------------------------------------------------------------------------------------------ tables
def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def targets_table(runs: dict[str, pd.DataFrame]) -> str:
    values = measure_targets(runs)
    rows = []
    for t in TARGETS:
        v = values[t.measure]
        rows.append([t.name, t.source, f"{t.low:g} to {t.high:g}", _fmt(v), "yes" if t.low <= v <= t.high else "no"])
    return _table(["target", "source", "accepted", "model", "met"], rows)


def _hazard(hazards: pd.DataFrame, year: int) -> str:
    if year not in hazards.index:
        return "–"
    row = hazards.loc[year]
    return f"{row['hazard']:.3f} ({row['ci_low']:.3f}–{row['ci_high']:.3f})"


def preset_table(runs: dict[str, pd.DataFrame], horizon: int) -> str:
    rows = []
    for preset, o in runs.items():
        k, n = int(o["collapsed"].sum()), len(o)
        low, high = stats.wilson_interval(k, n)
        hz = stats.yearly_hazards(o, horizon).set_index("year")
        modes = o["failure_mode"].value_counts(normalize=True)
        rows.append([f"`{preset}`", f"{k / n:.3f} ({low:.3f}–{high:.3f})", _hazard(hz, 1), _hazard(hz, 3),
                     " / ".join(f"{modes.get(m, 0.0):.3f}" for m in ("offensive", "clash", "spiral")),
                     f"{o['quiet_first_year'].mean():.3f}", f"{o['frozen_conflict'].mean():.3f}",
                     f"{_violation_days_per_year(o):.0f}", f"{o['belief_us_final'].mean():.2f}",
                     f"{o['belief_coalition_final'].mean():.2f}"])
    return _table(["preset", "3-year collapse (95% CI)", "hazard, year 1 (95% CI)", "hazard, year 3 (95% CI)",
                   "offensive / clash / spiral", "quiet first year", "frozen conflict", "violation days a year",
                   "belief US (end)", "belief coalition (end)"], rows)


def _paired(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float]:
    d = b["collapsed"].to_numpy(float) - a["collapsed"].to_numpy(float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))


def rationality_table(n: int) -> str:
    rows = []
    for preset in ("coalition_us_backstop", "minsk"):
        base = compose_config([f"scenario={preset}"]).russia.rationality
        ref = outcomes(f"scenario={preset}", n=n)
        cells = [f"`{preset}`", f"{_collapse(ref):.3f}"]
        for factor in (0.5, 2.0):
            o = outcomes(f"scenario={preset}", f"russia.rationality={base * factor:g}", n=n)
            d, se = _paired(ref, o)
            cells.append(f"{_collapse(o):.3f} ({d:+.3f} ± {se:.3f})")
        rows.append(cells)
    return _table(["preset", "3-year collapse at the default precision", "at half (paired difference ± SE)",
                   "at double"], rows)


LEVERS = [("us.credibility", 0.1, 0.9), ("us.resolve", 0.1, 0.9), ("coalition.credibility", 0.1, 0.9),
          ("coalition.resolve", 0.1, 0.9), ("coalition.troops_k", 5, 60),
          ("coalition.decision_rule", "lead_nation", "unanimity"), ("coalition.members", 5, 50),
          ("coalition.binding", 0.0, 0.9), ("monitoring.regime", "observers", "us_led"),
          ("coalition.forward_share", 0.02, 0.5)]


def lever_table(n: int) -> str:
    rows = []
    for key, low, high in LEVERS:
        a, b = outcomes(f"{key}={low}", n=n), outcomes(f"{key}={high}", n=n)
        d, se = _paired(a, b)
        rows.append([f"`{key}`", f"{low} → {high}", f"{_collapse(a):.3f} → {_collapse(b):.3f}", f"{d:+.4f}",
                     f"{se:.4f}", f"{d / se:+.1f}" if se > 0 else "–"])
    return _table(["lever", "from → to", "3-year collapse", "paired difference", "paired SE", "z"], rows)


def oat_values(p) -> tuple:
    """Low and high values of one parameter for the one-at-a-time table: half and one and a half times the
    default, clipped to the allowed range (probabilities and shares to [0, 1]); every other option of a choice."""
    if p.kind == "choice":
        return tuple(c for c in p.choices if c != p.default)
    d = float(p.default)
    if d == 0:
        low, high = max(p.low, -1.0), min(p.high, 1.0 if p.key != "us.review_day" else 365.0)
    else:
        low, high = sorted((d * 0.5, d * 1.5))
        low, high = max(low, p.low), min(high, p.high)
    if p.kind == "int":
        low, high = int(round(low)), int(round(high))
    return (low, high) if low != high else (low,)


def oat_table(n: int) -> str:
    ref = outcomes(n=n)
    rows = []
    for p in PARAMS:
        cells = []
        for v in oat_values(p):
            o = outcomes(f"{p.key}={v}", n=n)
            d, se = _paired(ref, o)
            cells.append(f"{v:g}: {_collapse(o):.3f} ({d:+.3f}±{se:.3f})" if not isinstance(v, str)
                         else f"{v}: {_collapse(o):.3f} ({d:+.3f}±{se:.3f})")
        rows.append([f"`{p.key}`", f"{p.default}", f"{_collapse(ref):.3f}", "; ".join(cells)])
    return _table(["parameter", "default", "collapse at default", "value: collapse (paired difference ± SE)"], rows)


# ------------------------------------------------------------------------------------------ the document
def _replace(text: str, name: str, content: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"{DOC}: markers {start} ... {end} are missing")
    return text[:i + len(start)] + "\n" + content + "\n" + text[j:]


def write(n_presets: int, n_levers: int, n_oat: int) -> None:
    started = time.perf_counter()
    horizon = compose_config().horizon_days
    runs = {preset: outcomes(f"scenario={preset}", n=n_presets) for preset in preset_names()}
    blocks = {
        "targets": targets_table(runs),
        "presets": preset_table(runs, horizon),
        "rationality": rationality_table(n_presets),
        "levers": lever_table(n_levers),
        "oat": oat_table(n_oat),
        "settings": (f"Seed {SEED}; {n_presets:,} scenarios per preset, {n_levers:,} per lever arm, {n_oat:,} per "
                     f"one-at-a-time run; horizon {horizon:,} days. Regenerate with `python -m sim.calibration`."),
    }
    text = DOC.read_text(encoding="utf-8")
    for name, content in blocks.items():
        text = _replace(text, name, content)
    DOC.write_text(text, encoding="utf-8")
    BASELINE.write_text(json.dumps(baseline(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {DOC} and {BASELINE} in {time.perf_counter() - started:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.calibration", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare the headline baseline only")
    parser.add_argument("--presets", type=int, default=4000, help="scenarios per preset (default 4000)")
    parser.add_argument("--levers", type=int, default=6000, help="scenarios per lever arm (default 6000)")
    parser.add_argument("--oat", type=int, default=1000, help="scenarios per one-at-a-time run (default 1000)")
    args = parser.parse_args(argv)
    if args.check:
        stored = json.loads(BASELINE.read_text(encoding="utf-8"))
        moved = [p for p, figures in baseline()["presets"].items() if stored["presets"].get(p) != figures]
        print("baseline current" if not moved else f"moved: {', '.join(moved)}")
        return 1 if moved else 0
    write(args.presets, args.levers, args.oat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
