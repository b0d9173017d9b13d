"""The main job: ``python -m sim [overrides]`` runs a batch of scenarios and writes its outputs.

Outputs go to the Hydra run directory (``outputs/DATE/TIME`` by default): ``scenarios.parquet`` (one row
per scenario), ``summary.json`` (headline figures with 95% intervals), ``config.json`` (the validated
configuration) and figures (survival curve, collapse day, highest escalation level) as PNG and PDF.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.config import CONFIG_DIR, ConfigError, compose_config, from_omegaconf, register_schema


def write_outputs(result, out_dir: Path) -> dict:
    """Write a batch's table, summary, config and figures into ``out_dir``; returns the summary."""
    from sim import io, plots

    summary = result.summary()
    summary["preset"] = result.config.preset
    summary["elapsed_s"] = round(result.elapsed_s, 3)
    io.write_parquet(out_dir / "scenarios.parquet", result.outcomes)
    io.write_json(out_dir / "config.json", result.config.to_dict())
    figures = {
        "survival": plots.survival_figure({result.config.preset: result.survival()}),
        "collapse_day": plots.collapse_day_figure(result.outcomes, result.config.horizon_days),
        "max_level": plots.max_level_figure(result.outcomes),
    }
    for name, fig in figures.items():
        for suffix in ("png", "pdf"):
            io.write_figure(out_dir / "figures" / f"{name}.{suffix}", fig)
    io.write_json(out_dir / "summary.json", summary)
    return summary


def format_summary(summary: dict, out_dir: Path) -> str:
    """A few readable lines of a run's summary."""
    p = summary["collapse_probability"]
    lo, hi = p["ci95"]
    med = summary["median_survival_days"]
    lines = [
        f"preset {summary['preset']}: {summary['n_scenarios']} scenarios over {summary['horizon_days']} days "
        f"({summary['elapsed_s']:.1f} s)",
        f"  collapse probability   {p['estimate']:.3f}  (95% CI {lo:.3f}-{hi:.3f})",
        f"  median survival        {med if med is not None else summary['median_survival_note']}",
        "  failure modes          " + ", ".join(f"{k} {v:.1%}" for k, v in summary["failure_modes"].items()),
        f"  investment (mean)      ${summary['investment_total_bn']['mean']:.1f}bn",
        f"  US backstop engaged    {summary['us_engaged_share']:.1%} of scenarios",
        f"outputs: {out_dir}",
    ]
    return "\n".join(lines)


def _task(cfg) -> None:
    from hydra.core.hydra_config import HydraConfig

    from sim.batch import run_batch

    config = from_omegaconf(cfg)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    result = run_batch(config)
    summary = write_outputs(result, out_dir)
    print(format_summary(summary, out_dir))


def _overrides(argv: list[str]) -> list[str]:
    return [a for a in argv if not a.startswith("-") and not a.startswith(("hydra.", "hydra/", "+hydra"))]


def main() -> None:
    """Console entry point (``ceasefire-sim`` / ``python -m sim``)."""
    import hydra

    argv = sys.argv[1:]
    multirun = any(a in ("-m", "--multirun") for a in argv)
    if not multirun and not any(a.startswith(("--help", "-h", "--cfg", "--info", "-c")) for a in argv):
        try:  # refuse bad input before Hydra creates any output directory
            compose_config(_overrides(argv))
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
    register_schema()
    hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(_task)()


if __name__ == "__main__":
    try:
        main()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
