"""The main job: ``python -m sim [overrides]`` runs a batch of scenarios; ``python -m sim -m ...`` runs a sweep.

Outputs go to the Hydra run directory (``outputs/DATE/TIME`` by default; one numbered subdirectory per job of a
sweep under ``multirun/DATE/TIME``): ``scenarios.parquet`` (one row per scenario), ``summary.json`` (headline
figures with 95% intervals), ``config.json`` (the validated configuration), figures (survival curve, collapse
day, highest escalation level) as PNG and PDF, and ``manifest.json`` last (see ``sim.jobs``). A job whose
directory already holds a complete manifest of the same configuration is skipped, so running a sweep again with
the same ``hydra.sweep.dir`` finishes only the jobs that are missing.

Bad input is refused before Hydra creates any directory. The command line is composed the way Hydra will compose
it; under ``-m`` the sweep is expanded exactly as Hydra's basic sweeper will expand it (``hydra.sweeper.params``
and the command line) and every job's configuration is validated. With another sweeper, or ``--config-dir`` /
``--config-name``, the jobs are validated only inside each job, still before it writes anything of its own.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sim.batch import plan_memory
from sim.compose import compose_command_line, compose_config, explain, register_schema
from sim.config import CONFIG_DIR, ConfigError
from sim.jobs import SWEEP_SIZE_ENV, check_job, expand_sweep, job_label, run_job, write_outputs

# The `_target_` by which Hydra's config names its basic sweeper (a value compared, not an import).
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


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
        f"  quiet first year       {summary['quiet_first_year_share']:.1%} of scenarios; frozen conflict "
        f"{summary['frozen_conflict_share']:.1%}",
        f"  US fought in a war     {summary['us_fought_war_share']:.1%} of scenarios; probes it answered "
        f"{summary['us_probe_answers']['mean']:.1f} (mean)",
        f"outputs: {out_dir}",
    ]
    return "\n".join(lines)


def _task(cfg) -> dict:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    summary = run_job(cfg)
    hc = HydraConfig.get()
    if hc.mode == RunMode.RUN:
        print(format_summary(summary, Path(hc.runtime.output_dir)))
    return summary


@dataclass(frozen=True)
class Plan:
    """What Hydra will launch: each job's task overrides, in job order, and its output directory when known."""

    jobs: list[list[str]] | None  # None: not Hydra's basic sweeper, the jobs are only known once it runs
    dirs: list[Path | None]


def _resolved(cfg, key: str) -> str | None:
    from omegaconf import OmegaConf

    try:
        return OmegaConf.select(cfg, key, throw_on_resolution_failure=True)
    except Exception:  # an interpolation only Hydra's runtime can resolve: the directory is not known here
        return None


def plan_jobs(overrides: list[str], multirun: bool) -> Plan:
    """The jobs Hydra will launch for a command line (one for a single run), composed as Hydra will compose it.

    Raises ``ConfigError`` for a command line Hydra cannot compose (unknown key, group option or experiment, bad
    syntax).
    """
    from omegaconf import OmegaConf

    cfg = compose_command_line(overrides, multirun)
    # As typed: an interpolation in an override (us.resolve=${oops}) is resolved, or refused, when each job is composed
    task = list(OmegaConf.to_container(cfg.hydra.overrides.task, resolve=False))
    if not multirun:
        run_dir = _resolved(cfg, "hydra.run.dir")
        return Plan([task], [Path(run_dir) if run_dir else None])
    if cfg.hydra.sweeper.get("_target_") != BASIC_SWEEPER:
        return Plan(None, [])
    params = {key: f"{value}" for key, value in (cfg.hydra.sweeper.get("params") or {}).items()}
    try:
        jobs = expand_sweep(params, task)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra's parser, on a param of hydra.sweeper.params
        raise ConfigError(explain(exc, overrides)) from None
    sweep_dir = _resolved(cfg, "hydra.sweep.dir")
    # Job directories are known when they are numbered: the subdir as written, before Hydra's runtime resolves it.
    by_number = sweep_dir and OmegaConf.to_container(cfg.hydra.sweep, resolve=False)["subdir"] == "${hydra.job.num}"
    return Plan(jobs, [Path(sweep_dir, str(num)) if by_number else None for num in range(len(jobs))])


def validate_jobs(plan: Plan, multirun: bool) -> None:
    """Compose and validate every job's configuration, and refuse a job directory that holds a finished run of a
    different configuration; the first bad job raises ``ConfigError`` naming it."""
    for num, (job, job_dir) in enumerate(zip(plan.jobs, plan.dirs, strict=True)):
        name = f"{job_label(num, job, len(plan.jobs))}: " if multirun else ""
        try:
            config = compose_config(job)
            start, stop = config.scenario_range  # a job keeps its outcome table in memory: refuse what cannot fit
            plan_memory(config, stop - start, kept=stop - start, what="the job")
        except ConfigError as exc:
            raise ConfigError(f"{name}{exc}") from None
        status = check_job(job_dir) if job_dir is not None else None
        if status is not None and status.complete:
            before = status.manifest["config"]
            now = json.loads(json.dumps(config.to_dict()))
            if before != now:
                changed = ", ".join(f"{k}: {before.get(k)!r} there, {now.get(k)!r} now"
                                    for k in sorted(set(before) | set(now)) if before.get(k) != now.get(k))
                raise ConfigError(f"{name}{job_dir} holds a finished run of a different configuration ({changed}); "
                                  "allowed: the same configuration (it is skipped), or another "
                                  + ("hydra.sweep.dir" if multirun else "hydra.run.dir"))


def main() -> None:
    """Console entry point (``ceasefire-sim`` / ``python -m sim``)."""
    # Hydra's command-line parser (the flags hydra.main accepts) has no public path: the one private Hydra import.
    import hydra
    from hydra._internal.utils import get_args_parser

    args = get_args_parser().parse_args(sys.argv[1:])
    informative = args.help or args.hydra_help or args.cfg or args.info or args.shell_completion
    custom = args.config_path or args.config_name or args.config_dir or args.experimental_rerun
    if not (informative or custom):
        try:  # refuse bad input before Hydra creates any output directory
            plan = plan_jobs(args.overrides, args.multirun)
            if plan.jobs is not None:
                validate_jobs(plan, args.multirun)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        if args.multirun and plan.jobs is not None:
            os.environ[SWEEP_SIZE_ENV] = str(len(plan.jobs))
    register_schema()
    hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(_task)()


__all__ = ["Plan", "format_summary", "main", "plan_jobs", "validate_jobs", "write_outputs"]

if __name__ == "__main__":
    try:
        main()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
