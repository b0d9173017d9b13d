"""The main job: ``python -m sim [overrides]`` runs a batch of scenarios; ``python -m sim -m ...`` runs a sweep.

Outputs go to the Hydra run directory (``outputs/DATE/TIME`` by default; one numbered subdirectory per job of a
sweep under ``multirun/DATE/TIME``): ``scenarios.parquet`` (one row per scenario), ``summary.json`` (headline
figures with 95% intervals), ``config.json`` (the validated configuration), figures (survival curve, collapse
day, highest escalation level) as PNG and PDF, and ``manifest.json`` last (see ``sim.jobs``). A job whose
directory already holds a complete manifest of the same configuration is skipped, so running a sweep again with
the same ``hydra.sweep.dir`` finishes only the jobs that are missing.

Bad input is refused before Hydra creates any directory. The command line is composed the way Hydra will compose
it (``--config-dir`` and ``--config-name`` included); under ``-m`` the sweep is expanded exactly as Hydra's basic
sweeper will expand it (``hydra.sweeper.params`` and the command line) and every job's configuration is
validated. With another sweeper, or ``--config-path``, the jobs are validated only inside each job, still before
it writes anything of its own.

Directories: one named by the time (the default ``outputs/DATE/TIME``, or any ``${now:...}`` pattern) is always a
new one, created here exclusively (``TIME_2``, ``TIME_3``... when another run took the name first). A sweep
directory is one sweep's at a time, and a job directory one writer's (``sim.jobs.locked``); a sweep is refused
in a directory that holds a single run, and a run in one that holds a sweep.

Exit status: 0 done; 2 bad input (nothing written); 1 the environment failed (a directory that cannot be written,
a full disk, a directory another sweep is writing into); 130 interrupted (Ctrl-C). Each failure is one line on
stderr, ``error: ...``; what an interrupted or failed job leaves has no manifest and never counts as a result.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import sys
import tempfile
from contextlib import ExitStack, redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path

from sim import io
from sim.batch import available_cores, plan_memory
from sim.compose import compose_command_line, compose_config, explain, register_schema
from sim.config import CONFIG_DIR, ConfigError
from sim.jobs import (
    PARENT_ENV,
    SWEEP_LOCK,
    SWEEP_SIZE_ENV,
    DirectoryBusyError,
    JobConflictError,
    check_job,
    design_changes,
    expand_sweep,
    holds_run,
    holds_sweep,
    job_label,
    locked,
    remove_stray_submitit_folder,
    run_job,
    write_outputs,
)

# The `_target_` by which Hydra's config names its basic sweeper (a value compared, not an import).
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
# Launchers whose jobs run as processes of this machine: they end with this command (sim.jobs.PARENT_ENV).
LOCAL_LAUNCHERS = ("hydra._internal.core_plugins.basic_launcher.BasicLauncher",
                   "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
                   "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher")
JOBLIB_LAUNCHER = LOCAL_LAUNCHERS[1]


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
    root: Path | None = None  # the run or sweep directory; None: known only to Hydra's runtime
    fresh: bool = False  # root is named by the time: a new directory, made unique when it is created
    local: bool = True  # the launcher runs the jobs as processes of this machine
    notes: list[str] = field(default_factory=list)  # input resolved silently by Hydra: warned about
    config_name: str | None = None  # --config-name, --config-dir
    config_dir: str | None = None


def _resolved(cfg, key: str) -> str | None:
    from omegaconf import OmegaConf

    try:
        return OmegaConf.select(cfg, key, throw_on_resolution_failure=True)
    except Exception:  # an interpolation only Hydra's runtime can resolve: the directory is not known here
        return None


def _notes(cfg, overrides: list[str], multirun: bool, dir_key: str, directory: str | None) -> list[str]:
    """Warnings for input that Hydra resolves without a word: a key given twice, an experiment without -m, an
    empty output directory."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    notes, seen = [], {}
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        seen.setdefault(override.get_key_element(), []).append(override.input_line)
    for lines in seen.values():
        if len(lines) > 1:
            notes.append(f"{', '.join(lines)}: the same key given {len(lines)} times; the last, {lines[-1]}, applies")
    params = cfg.hydra.sweeper.get("params") or {}
    experiment = cfg.hydra.runtime.choices.get("experiment")
    if not multirun and experiment and params:
        notes.append(f"+experiment={experiment} without -m is one run of the experiment's fixed settings; its "
                     f"sweep over {', '.join(params)} runs with -m")
    if directory == "":
        notes.append(f"{dir_key} is empty: the outputs go into the current directory, {Path.cwd()}")
    return notes


def plan_jobs(overrides: list[str], multirun: bool, config_name: str | None = None,
              config_dir: str | None = None) -> Plan:
    """The jobs Hydra will launch for a command line (one for a single run), composed as Hydra will compose it.

    Raises ``ConfigError`` for a command line Hydra cannot compose (unknown key, group option or experiment, bad
    syntax) or cannot launch (``hydra.launcher.n_jobs=0``, one ``hydra.sweep.subdir`` for every job).
    """
    from omegaconf import OmegaConf

    cfg = compose_command_line(overrides, multirun, config_name, config_dir)
    # As typed: an interpolation in an override (us.resolve=${oops}) is resolved, or refused, when each job is composed
    task = list(OmegaConf.to_container(cfg.hydra.overrides.task, resolve=False))
    launcher = cfg.hydra.launcher.get("_target_")
    if launcher == JOBLIB_LAUNCHER and cfg.hydra.launcher.get("n_jobs") == 0:
        raise ConfigError(f"hydra.launcher.n_jobs=0 is not allowed; allowed: 1 to {available_cores()} processes, "
                          "or -1 for one per core")
    dir_key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    directory = _resolved(cfg, dir_key)
    pattern = OmegaConf.to_container(cfg.hydra.sweep if multirun else cfg.hydra.run, resolve=False)["dir"]
    context = {"root": Path(directory or ".") if directory is not None else None, "local": launcher in LOCAL_LAUNCHERS,
               "fresh": "${now:" in str(pattern), "notes": _notes(cfg, overrides, multirun, dir_key, directory),
               "config_name": config_name, "config_dir": config_dir}
    if not multirun:
        return Plan([task], [None if context["fresh"] else context["root"]], **context)
    if cfg.hydra.sweeper.get("_target_") != BASIC_SWEEPER:
        return Plan(None, [], **context)
    params = {key: f"{value}" for key, value in (cfg.hydra.sweeper.get("params") or {}).items()}
    try:
        jobs = expand_sweep(params, task)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra's parser, on a param of hydra.sweeper.params
        raise ConfigError(explain(exc, overrides)) from None
    subdir = str(OmegaConf.to_container(cfg.hydra.sweep, resolve=False)["subdir"])
    if "${" not in subdir and len(jobs) > 1:
        raise ConfigError(f"hydra.sweep.subdir={subdir} gives all {len(jobs)} jobs of the sweep one directory; "
                          "allowed: a pattern that differs by job, e.g. ${hydra.job.num} (the default)")
    # Job directories are known when they are numbered: the subdir as written, before Hydra's runtime resolves it.
    by_number = directory is not None and not context["fresh"] and subdir == "${hydra.job.num}"
    return Plan(jobs, [Path(directory, str(num)) if by_number else None for num in range(len(jobs))], **context)


def validate_jobs(plan: Plan, multirun: bool) -> None:
    """Compose and validate every job's configuration, and refuse a job directory that holds a finished run of a
    different configuration; the first bad job raises ``ConfigError`` naming it."""
    for num, (job, job_dir) in enumerate(zip(plan.jobs, plan.dirs, strict=True)):
        name = f"{job_label(num, job, len(plan.jobs))}: " if multirun else ""
        try:
            config = compose_config(job, config_name=plan.config_name, config_dir=plan.config_dir)
            start, stop = config.scenario_range  # a job keeps its outcome table in memory: refuse what cannot fit
            plan_memory(config, stop - start, kept=stop - start, what="the job")
        except ConfigError as exc:
            raise ConfigError(f"{name}{exc}") from None
        status = check_job(job_dir) if job_dir is not None and job_dir.is_dir() else None
        if status is not None and status.complete:
            changes = design_changes(status.manifest["config"], config)
            if changes:
                raise ConfigError(f"{name}{job_dir} holds a finished run of a different configuration "
                                  f"({', '.join(changes)}); allowed: the same configuration (it is skipped), or "
                                  "another " + ("hydra.sweep.dir" if multirun else "hydra.run.dir"))


# ------------------------------------------------------------------------------------------ directories
def _quoted(value: str) -> str:
    """``value`` as a quoted string of Hydra's override grammar (backslashes before a quote doubled, quotes
    escaped)."""
    return "'" + re.sub(r"(\\+)(?='|$)", lambda m: m.group(1) * 2, value).replace("'", "\\'") + "'"


def _new_directory(path: Path) -> Path:
    """Create ``path``, or ``path_2``, ``path_3``... if another run took the name first (exclusive: never shared)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        candidate = path if n == 1 else path.with_name(f"{path.name}_{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise AssertionError("unreachable")


def take_directory(plan: Plan, multirun: bool, held: ExitStack) -> Path:
    """Create (or reuse) the run or sweep directory, refuse one of the other kind, and for a sweep hold its lock
    (in ``held``) until the command ends; returns the directory."""
    root, key = plan.root, "hydra.sweep.dir" if multirun else "hydra.run.dir"
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{key}={root} is a file; allowed: a directory (new, or this command's own to resume)")
    # (both at once: a sweep whose jobs write into its own directory, hydra.sweep.subdir=. with one job)
    if multirun and root.is_dir() and holds_run(root) and not holds_sweep(root):
        raise ConfigError(f"{key}={root} holds a single run; allowed: a directory of its own for the sweep")
    if not multirun and root.is_dir() and holds_sweep(root) and not holds_run(root):
        raise ConfigError(f"{key}={root} holds a sweep; allowed: a directory of its own for the run")
    if plan.fresh and "${" in str(root):  # Hydra would take it for an interpolation once pinned
        raise ConfigError(f"{key}={root}: a directory name with '${{' is not allowed")
    try:
        if plan.fresh:
            root = _new_directory(root)
        else:
            root.mkdir(parents=True, exist_ok=True)
        if multirun:
            held.enter_context(locked(root, SWEEP_LOCK, "sweep", wait=False))
        else:  # the job takes its own lock; here only whether the directory can be written
            tempfile.TemporaryFile(dir=root).close()
    except OSError as exc:  # the same errno (and exit status), naming the setting
        raise OSError(exc.errno, f"cannot write into it: {io.describe_os_error(exc)}", f"{key}={root}") from None
    return root


# ------------------------------------------------------------------------------------------ the command
def _prepare(args, held: ExitStack) -> tuple[list[str], Path | None]:
    """Refuse bad input, warn, and take the output directory before Hydra runs: the overrides to add (the new
    directory, pinned) and the directory (None where only Hydra knows it)."""
    os.environ.pop(PARENT_ENV, None)  # set below for a launcher of local processes only, never inherited
    informative = args.help or args.hydra_help or args.cfg or args.info or args.shell_completion
    if informative or args.config_path or args.experimental_rerun:
        return [], None
    plan = plan_jobs(args.overrides, args.multirun, args.config_name, args.config_dir)
    if plan.jobs is not None:
        validate_jobs(plan, args.multirun)
    for note in plan.notes:
        print(f"warning: {note}", file=sys.stderr)
    if args.multirun and plan.jobs is not None:
        os.environ[SWEEP_SIZE_ENV] = str(len(plan.jobs))
    if plan.local:
        os.environ[PARENT_ENV] = f"{socket.gethostname()}:{os.getpid()}"
    if plan.root is None:
        return [], None
    root = take_directory(plan, args.multirun, held)
    key = "hydra.sweep.dir" if args.multirun else "hydra.run.dir"
    return ([f"{key}={_quoted(str(root))}"] if plan.fresh else []), root


def _failure(exc: BaseException, overrides: list[str], root: Path | None, multirun: bool) -> tuple[int, str] | None:
    """Exit status and one-line message of an exception that ends the command; None for a bug (a traceback)."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(exc, KeyboardInterrupt):
        what = "sweep" if multirun else "run"
        if root is None:
            return 130, "interrupted (Ctrl-C); a job that did not finish left nothing that counts as a result"
        return 130, (f"interrupted (Ctrl-C); {root}: a job that did not finish left nothing that counts as a result; "
                     f"to finish the {what}, run the same command with "
                     f"{'hydra.sweep.dir' if multirun else 'hydra.run.dir'}={root}")
    if isinstance(exc, ConfigError | JobConflictError):
        return 2, str(exc)
    if isinstance(exc, DirectoryBusyError):
        return 1, str(exc)
    if isinstance(exc, OSError):
        return io.exit_status(exc), io.describe_os_error(exc)
    if isinstance(exc, HydraException | OmegaConfBaseException):  # composition of a config Hydra loads itself
        return 2, explain(exc, overrides)
    return None


class _WithoutHydraJobError:
    """``sys.stderr`` without the line Hydra writes before it re-raises a failed job's exception ("Error executing
    job with overrides: [...]"): the failure is reported in one line by ``main``."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        if text.startswith("Error executing job with overrides:"):
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main() -> None:
    """Console entry point (``ceasefire-sim`` / ``python -m sim``); exit status 0, 2 (bad input), 1 (the
    environment failed) or 130 (interrupted), each failure one line on stderr."""
    # Hydra's command-line parser (the flags hydra.main accepts) has no public path: a private Hydra import.
    import hydra
    from hydra._internal.utils import get_args_parser

    args = get_args_parser().parse_args(sys.argv[1:])
    if args.help:  # ours: commands, presets, experiments, every parameter (Hydra's: --hydra-help)
        from sim.cli_help import help_text

        sys.stdout.write(help_text())
        return
    root, argv, full_error = None, sys.argv, os.environ.get("HYDRA_FULL_ERROR")
    try:
        with ExitStack() as held:
            pinned, root = _prepare(args, held)
            if args.multirun and root is not None:  # after the sweep, however it ends
                held.callback(remove_stray_submitit_folder, root)
            register_schema()
            # Hydra prints a failed job's traceback unless told to raise it: it is reported below in one line.
            os.environ["HYDRA_FULL_ERROR"] = "1"
            sys.argv = [*argv, *pinned]
            held.enter_context(redirect_stderr(_WithoutHydraJobError(sys.stderr)))
            hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(_task)()
    except (KeyboardInterrupt, Exception) as exc:
        failure = _failure(exc, args.overrides, root, args.multirun)
        if failure is None:
            raise
        print(f"error: {' '.join(failure[1].split())}", file=sys.stderr)  # one line, whatever the message holds
        sys.exit(failure[0])
    finally:
        sys.argv = argv
        if full_error is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = full_error


__all__ = ["Plan", "format_summary", "main", "plan_jobs", "take_directory", "validate_jobs", "write_outputs"]

if __name__ == "__main__":
    main()
