"""Example figures for the documentation: ``python docs/figures/make.py`` redraws the PNGs in this folder.

Small runs (under a minute on one core), drawn by the functions ``python -m sim`` (a run's figures) and
``python -m sim.report`` (a sweep's) draw them with: a run of the default preset, and the ``us_credibility``
experiment at 1,000 scenarios a condition, compared with its first condition. Only the PNGs are kept here; a run
or a report writes each figure's data beside it as CSV.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

import sim
from sim import plots, report
from sim.__main__ import plan_jobs

HERE = Path(__file__).resolve().parent
DPI = 100  # dots per inch: legible on screen, small files
EXPERIMENT = "us_credibility"
RUN_FIGURES = ("survival", "collapse_day")  # of a run
SWEEP_FIGURES = ("paired_differences", "survival", "collapse_probability", "territory_change")  # of the report


def run_figures(n_scenarios: int, horizon_days: int) -> dict[str, Figure]:
    """A run's figures of the default preset, as a job draws them."""
    config = sim.compose_config([f"n_scenarios={n_scenarios}", f"horizon_days={horizon_days}"])
    result = sim.run_batch(config)
    caption = plots.run_caption(config, len(result.outcomes))
    return {"survival": plots.survival_figure({config.preset: result.survival()}, caption=caption),
            "collapse_day": plots.collapse_day_figure(result.outcomes, horizon_days, caption=caption),
            "max_level": plots.max_level_figure(result.outcomes, caption=caption)}


def sweep_figures(n_scenarios: int, horizon_days: int, experiment: str = EXPERIMENT) -> dict[str, Figure]:
    """The report's figures of an experiment's sweep: its jobs run here, one after another, and tabulated as
    ``sim.report`` tabulates a sweep directory."""
    jobs = plan_jobs([f"+experiment={experiment}", f"n_scenarios={n_scenarios}", f"horizon_days={horizon_days}"],
                     multirun=True).jobs
    parsed = [report.parse_overrides(job) for job in jobs]
    swept = [k for k in parsed[0] if len({repr(p[k]) for p in parsed}) > 1]
    keys = [report.override_column(k, ()) for k in swept]
    tables, config = [], None
    for num, (job, values) in enumerate(zip(jobs, parsed, strict=True)):
        config = sim.compose_config(job)
        outcomes = sim.run_batch(config).outcomes.reset_index()
        tables.append(outcomes.assign(job=num, **{column: values[k] for k, column in zip(swept, keys, strict=True)}))
    frame = pd.concat(tables, ignore_index=True)
    conditions = report.conditions_table(frame, keys, dict.fromkeys(range(len(jobs)), horizon_days))
    designs = dict.fromkeys(range(len(jobs)), (config.seed, n_scenarios))
    paired = report.paired_table(frame, conditions, keys, designs, report.reference_values([], keys, {}, conditions))
    caption = report.figure_caption(conditions, keys, [experiment], [config.preset], [config.seed])
    return report.report_figures(frame, conditions, keys, f"Collapse probability: {experiment}", caption, paired)


def examples(n_scenarios: int = 1000, horizon_days: int = 1095) -> dict[str, Figure]:
    """File name -> Figure of the committed examples: the run at twice ``n_scenarios``, the sweep at
    ``n_scenarios`` a condition."""
    run = run_figures(2 * n_scenarios, horizon_days)
    sweep = sweep_figures(n_scenarios, horizon_days)
    return {**{f"run_{name}.png": run[name] for name in RUN_FIGURES},
            **{f"sweep_{name}.png": sweep[name] for name in SWEEP_FIGURES}}


def write(figures: dict[str, Figure], out: Path) -> list[Path]:
    """Each figure as PNG in ``out``, under its name; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        fig.savefig(out / name, dpi=DPI)
    return [out / name for name in figures]


def main(argv: list[str] | None = None) -> int:
    """Draw the examples and write them as PNG."""
    parser = argparse.ArgumentParser(prog="python docs/figures/make.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: docs/figures)")
    parser.add_argument("--n-scenarios", type=int, default=1000, help="scenarios a sweep condition (default 1000)")
    parser.add_argument("--horizon-days", type=int, default=1095, help="days simulated (default 1095)")
    args = parser.parse_args(argv)
    for path in write(examples(args.n_scenarios, args.horizon_days), args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
