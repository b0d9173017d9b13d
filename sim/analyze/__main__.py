"""``python -m sim.analyze {sobol,prim,survival} [options] [overrides]``: one analysis, written to a run directory.

Each analysis is a subcommand with its own ``--help``; options and Hydra overrides may come in any order. The
configuration is ``configs/config.yaml`` + the experiment ``experiments/analysis_NAME.yaml`` (the uncertain
parameters and their ranges; ``--experiment`` picks another, ``--experiment none`` none) + the overrides, e.g.
``python -m sim.analyze survival n_scenarios=2000 'us.resolve={dist:uniform,low:0.1,high:0.9}'``.
Outputs go to ``outputs/analysis/NAME/DATE/TIME`` (or ``--out DIR``): tables as parquet and markdown, a JSON
of settings and configuration, figures as PNG and PDF, each with a caption line (preset, sample, seed, horizon,
the analysis' settings) and its data as CSV beside it (``figures/NAME.csv``). Diagnostics are printed as
``warning:`` lines (stderr) and written into the markdown tables and the figures; a sample too small for the
method is refused (exit 2).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from datetime import datetime
from pathlib import Path

from sim.compose import compose_config
from sim.config import ConfigError

PROG = "python -m sim.analyze"
COMMON_EPILOG = (
    "overrides: Hydra overrides of the configuration, before or after the options, e.g. n_scenarios=2000 seed=7 "
    "horizon_days=365 'us.resolve={dist:uniform,low:0.1,high:0.9}' (a distribution makes a parameter uncertain)."
    "\n\noutputs: outputs/analysis/NAME/DATE/TIME (or --out): tables (parquet, and markdown with the warnings), "
    "NAME.json (settings, configuration, warnings), figures/ (PNG, PDF, each with a caption line, and the "
    "data drawn as CSV beside it: figures/NAME.csv). Warnings also go to stderr; a sample "
    "too small for the method is refused (exit status 2).")

# analysis -> (one line for the list of analyses, description of its --help)
ANALYSES: dict[str, tuple[str, str]] = {
    "sobol": (
        "global sensitivity: Sobol' first-order and total indices (SALib)",
        "Sobol' first-order and total indices of collapse probability, restricted mean survival time and "
        "investment over the uncertain parameters (SALib's Saltelli design, N * (D + 2) points for D parameters, "
        "each run as --replicates scenarios on common random numbers and averaged). Needs --base >= 16, a power "
        "of 2. Warns, with the remedy, when indices fall outside [0, 1] beyond their intervals, when intervals "
        "are wide (too few base points) and when replicate noise is a large share of the variance.\n\n"
        "example: python -m sim.analyze sobol --base 1024 --replicates 8"),
    "prim": (
        "scenario discovery: PRIM boxes where collapse is likely (ema-workbench)",
        "PRIM boxes (ema-workbench 2.5) of the uncertain parameters, or of the policy levers only (--levers, "
        "the context staying uncertain), in which the ceasefire collapses by the horizon, over n_scenarios "
        "Latin hypercube scenarios. Each restriction comes with its quasi-p-values (non-significant ones "
        "marked) and, for box 1, how often PRIM on random halves restricts it again; the output says why the "
        "search stopped. Needs n_scenarios >= 20 / --mass-min.\n\n"
        "example: python -m sim.analyze prim --threshold 0.8 n_scenarios=2000"),
    "survival": (
        "survival: Kaplan-Meier per condition, Cox hazard ratios with the PH check (lifelines)",
        "Kaplan-Meier curves per condition (value of a choice, tercile of a number) with log-rank tests, and a "
        "Cox model of time to collapse on all uncertain parameters with the proportional-hazards test per "
        "covariate. Where that test fails, a time-split model (one hazard ratio per period) is written too, and "
        "--strata offers a stratified model. Needs 5 collapses per Cox covariate (warns below 10).\n\n"
        "example: python -m sim.analyze survival n_scenarios=20000"),
}


def _paragraphs(text: str, width: int = 100) -> str:
    """``text`` wrapped to ``width``, its paragraphs kept (for argparse's raw description formatter)."""
    return "\n\n".join(textwrap.fill(paragraph, width) for paragraph in text.split("\n\n"))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def build_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser (lists the analyses) and one parser per analysis."""
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Analyses of ceasefire durability over uncertain parameters, one per command, each written to "
                    "a run directory.", epilog=f"'{PROG} NAME --help' gives an analysis' options and defaults.")
    sub = parser.add_subparsers(title="analyses", dest="analysis", metavar="NAME")
    parsers = {}
    for name, (summary, description) in ANALYSES.items():
        p = sub.add_parser(name, help=summary, description=_paragraphs(description), epilog=_paragraphs(COMMON_EPILOG),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="Hydra overrides (see below)")
        p.add_argument("--experiment", default=f"analysis_{name}",
                       help="experiment bundle in experiments/ declaring the uncertain parameters ('none': no "
                            "bundle, the overrides declare them; default %(default)s)")
        p.add_argument("--out", type=Path, help="run directory, empty or new (default outputs/analysis/NAME/DATE/TIME)")
        p.add_argument("--workers", type=_positive_int, default=1,
                       help="processes running the batch (identical results for any number; default %(default)s)")
        parsers[name] = p
    sobol, prim, survival = parsers["sobol"], parsers["prim"], parsers["survival"]
    sobol.add_argument("--base", type=int, default=256,
                       help="base sample N: a power of 2, at least 16; the design has N * (D + 2) points "
                            "(default %(default)s)")
    sobol.add_argument("--replicates", type=int, default=8,
                       help="scenarios per design point, averaged (common random numbers); 1 hides the noise "
                            "(default %(default)s)")
    prim.add_argument("--threshold", type=float, default=0.8,
                      help="least collapse share (density) of a box, in (0, 1], above the base rate "
                           "(default %(default)s)")
    prim.add_argument("--boxes", type=int, default=2, help="most boxes to find (default %(default)s)")
    prim.add_argument("--mass-min", type=float, default=0.05,
                      help="least share of the scenarios a box may hold: PRIM stops peeling there "
                           "(default %(default)s)")
    prim.add_argument("--levers", action="store_true",
                      help="search the policy levers only (sim.analyze.common.LEVERS); the other uncertain "
                           "parameters stay uncertain inside the boxes")
    prim.add_argument("--resamples", type=int, default=10,
                      help="PRIM runs on random halves to tell how reproducible box 1's restrictions are "
                           "(0: none; default %(default)s)")
    survival.add_argument("--penalizer", type=float, default=0.0, help="Cox ridge penalty (default %(default)s)")
    survival.add_argument("--strata", action="append", default=[], metavar="KEY",
                          help="stratify the Cox model on this uncertain parameter (by value, or by tercile of a "
                               "number) instead of estimating its hazard ratio; repeat for several")
    return parser, parsers


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The analysis, its options and the overrides, options and overrides in any order."""
    parser, parsers = build_parsers()
    if argv and argv[0] in parsers:
        args = parsers[argv[0]].parse_intermixed_args(argv[1:])
        args.analysis = argv[0]
        return args
    parser.parse_args(argv)  # --help, or the error naming the analyses
    parser.error(f"choose an analysis: {', '.join(ANALYSES)}")


def load_config(experiment: str, overrides: list[str]):
    """The analysis' configuration: the experiment bundle (``+experiment=NAME``) then the overrides."""
    bundle = [] if experiment in ("", "none") else [f"+experiment={experiment}"]
    return compose_config([*bundle, *overrides])


def run(args: argparse.Namespace):
    """Run one analysis; returns its result."""
    config = load_config(args.experiment, args.overrides)
    progress = sys.stderr.isatty()
    if args.analysis == "sobol":
        from sim.analyze.sobol import sobol

        return sobol(config, n_base=args.base, replicates=args.replicates, progress=progress, workers=args.workers)
    if args.analysis == "prim":
        from sim.analyze.prim import prim

        return prim(config, threshold=args.threshold, max_boxes=args.boxes, mass_min=args.mass_min,
                    levers=args.levers, resamples=args.resamples, progress=progress, workers=args.workers)
    from sim.analyze.survival import survival

    return survival(config, penalizer=args.penalizer, strata=args.strata, progress=progress, workers=args.workers)


def headline(analysis: str, result) -> str:
    """A few lines for the terminal."""
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 12, "display.precision", 3):
        if analysis == "sobol":
            t = result.table.loc["collapse_probability", ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]]
            return "Sobol' indices of collapse probability by total index:\n" + t.sort_values(
                "ST", ascending=False).to_string()
        if analysis == "prim":
            return result.summary()
        cox = result.cox[["per", "hazard_ratio", "hr_low", "hr_high", "p", "ph_p"]].copy()
        cox["ph_p"] = [f"{p:.2g}" + (" <- PH fails" if bad else "") for p, bad in
                       zip(cox["ph_p"], result.cox["ph_violated"], strict=True)]
        text = "Cox hazard ratios of collapse:\n" + cox.to_string()
        if result.time_split is not None:
            split = result.time_split[result.time_split.index.get_level_values("period") != "all days"]
            text += ("\nwhere proportional hazards fail, the ratio by period (cox_time_split.md):\n"
                     + split[["hazard_ratio", "hr_low", "hr_high", "p"]].to_string())
        return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = args.out or Path("outputs") / "analysis" / args.analysis / datetime.now().strftime("%Y-%m-%d/%H-%M-%S")
    if out_dir.exists() and any(out_dir.iterdir()):
        print(f"error: --out {out_dir} is not empty; refusing to overwrite finished outputs", file=sys.stderr)
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
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"outputs: {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
