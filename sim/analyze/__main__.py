"""``python -m sim.analyze {sobol,prim,survival} [options] [overrides]``: one analysis, written to a run directory.

The configuration is ``configs/config.yaml`` + the experiment ``experiments/analysis_NAME.yaml`` (the uncertain
parameters and their ranges; ``--experiment`` picks another, ``--experiment none`` none) + Hydra overrides, e.g.
``python -m sim.analyze survival n_scenarios=2000 'us.resolve={dist:uniform,low:0.1,high:0.9}'``.
Outputs go to ``outputs/analysis/NAME/DATE/TIME`` (or ``--out DIR``): tables as parquet and markdown, a JSON
of settings and configuration, figures as PNG and PDF.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from sim.compose import compose_config
from sim.config import ConfigError

ANALYSES = ("sobol", "prim", "survival")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sim.analyze", description=__doc__.splitlines()[0])
    parser.add_argument("analysis", choices=ANALYSES)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. n_scenarios=2000 seed=7")
    parser.add_argument("--experiment", help="experiment bundle in experiments/ (default analysis_NAME; 'none')")
    parser.add_argument("--out", type=Path, help="run directory (default outputs/analysis/NAME/DATE/TIME)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes running the batch (identical results for any number; default 1)")
    parser.add_argument("--base", type=int, default=256, help="sobol: base sample N, a power of 2 (default 256)")
    parser.add_argument("--replicates", type=int, default=8,
                        help="sobol: scenarios per design point, averaged (default 8)")
    parser.add_argument("--threshold", type=float, default=0.8,
                        help="prim: least collapse share (density) of a box (default 0.8)")
    parser.add_argument("--boxes", type=int, default=2, help="prim: most boxes to find (default 2)")
    parser.add_argument("--penalizer", type=float, default=0.0, help="survival: Cox ridge penalty (default 0)")
    return parser.parse_args(argv)


def load_config(analysis: str, experiment: str | None, overrides: list[str]):
    """The analysis' configuration: the experiment bundle (``+experiment=NAME``) then the overrides."""
    name = f"analysis_{analysis}" if experiment is None else experiment
    bundle = [] if name in ("", "none") else [f"+experiment={name}"]
    return compose_config([*bundle, *overrides])


def run(args: argparse.Namespace):
    """Run one analysis; returns its result."""
    config = load_config(args.analysis, args.experiment, args.overrides)
    progress = sys.stderr.isatty()
    if args.analysis == "sobol":
        from sim.analyze.sobol import sobol

        return sobol(config, n_base=args.base, replicates=args.replicates, progress=progress, workers=args.workers)
    if args.analysis == "prim":
        from sim.analyze.prim import prim

        return prim(config, threshold=args.threshold, max_boxes=args.boxes, progress=progress, workers=args.workers)
    from sim.analyze.survival import survival

    return survival(config, penalizer=args.penalizer, progress=progress, workers=args.workers)


def headline(analysis: str, result) -> str:
    """A few lines for the terminal."""
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 12, "display.precision", 3):
        if analysis == "sobol":
            t = result.table.loc["collapse_probability", ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]]
            return "Sobol' indices of collapse probability by total index:\n" + t.sort_values(
                "ST", ascending=False).to_string()
        if analysis == "prim":
            return f"PRIM boxes (base rate {result.settings['base_rate']:.3f}):\n" + (
                result.table.to_string() if len(result.table) else "none reached the threshold")
        return "Cox hazard ratios of collapse:\n" + result.cox[
            ["per", "hazard_ratio", "hr_low", "hr_high", "p", "ph_p"]].to_string()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = args.out or Path("outputs") / "analysis" / args.analysis / datetime.now().strftime("%Y-%m-%d/%H-%M-%S")
    if out_dir.exists() and any(out_dir.iterdir()):
        print(f"error: {out_dir} is not empty; refusing to overwrite finished outputs", file=sys.stderr)
        return 2
    try:
        result = run(args)
    except ImportError as exc:
        print(f"error: {exc}; install the analysis extra: pip install -e '.[analysis]'", file=sys.stderr)
        return 2
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result.write(out_dir)
    print(headline(args.analysis, result))
    print(f"outputs: {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
