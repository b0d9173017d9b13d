"""Jobs of a run or a sweep: outputs written atomically, a manifest written last, resumable sweeps, shards.

A job directory counts as finished only when its ``manifest.json`` exists and every file the manifest lists has
the listed size and SHA-256, and the table has the listed number of rows. Everything else in a job directory (a
table without a manifest, Hydra's ``.hydra/`` and log) is what a job killed half-way leaves behind: the report
ignores it and names the job as missing, and running the sweep again into the same directory re-runs the job.

One writer at a time: a job holds an exclusive lock (``flock`` on ``.job.lock`` in its directory) from before it
looks at the directory until its manifest is written, and a second writer waits for it; a sweep directory is one
sweep's (``.sweep.lock``, taken by ``python -m sim``; a second sweep is refused). The kernel releases a lock when
its process ends, however it ends. Jobs launched as local processes (joblib, submitit_local) end with the command
that launched them (``sim.batch.stop_with``), so a killed command leaves nothing running.

Sharding splits one design (seed, ``n_scenarios``) into ``shards`` contiguous slices of scenario indices; a
scenario's result depends only on (seed, n_scenarios, index), so the shards' tables concatenated in shard order
(``merge_shards``) equal, byte for byte, the table of the same design run in one job.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import platform
import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import io
from sim.compose import from_omegaconf
from sim.config import Config, ConfigError

log = logging.getLogger("sim.jobs")

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
TABLE_NAME = "scenarios.parquet"
TRAJECTORY_NAME = "trajectories.nc"  # output.trajectories=true: daily series, dims (scenario, day), netCDF
FIGURE_NAMES = ("survival", "collapse_day", "max_level")
FIGURE_FORMATS = ("png", "pdf")
# Environment variable through which the parent process tells each job how many jobs the sweep has (logs only).
SWEEP_SIZE_ENV = "CEASEFIRE_SIM_SWEEP_JOBS"
# "HOST:PID" of the command whose jobs run as local processes: each ends when it ends (set by python -m sim).
PARENT_ENV = "CEASEFIRE_SIM_PARENT"
JOB_LOCK = ".job.lock"
SWEEP_LOCK = ".sweep.lock"
# Config keys that never change a result (draws are addressed by scenario): a job may resume with another value.
RESULT_NEUTRAL = ("chunk_size",)


class JobConflictError(RuntimeError):
    """A job directory already holds the finished run of a different configuration."""


class MergeError(ValueError):
    """Shard outputs that do not form one complete design."""


class DirectoryBusyError(RuntimeError):
    """A directory that another process is writing into."""


# ------------------------------------------------------------------------------------------ one writer
@contextmanager
def locked(directory: str | Path, name: str, what: str, wait: bool) -> Iterator[None]:
    """Hold an exclusive lock on ``directory/name`` (created if need be) while the block runs.

    Busy: ``wait`` logs a line and waits for the holder; otherwise ``DirectoryBusyError`` names it. The lock is
    ``flock``'s: released when the holding process ends however it ends, and shared with the workers it forks (so
    a worker still running keeps the directory locked). ``what`` names the writer in the log (``job 3/11 [...]``).
    """
    import fcntl

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            holder = f"process {holder}" if holder.isdigit() else "another process"
            if not wait:
                raise DirectoryBusyError(f"{directory} is in use by {holder} (another sweep writing into it); "
                                         "allowed: wait for it to finish, or another directory") from None
            log.info(f"{what}: {directory} is in use by {holder}; waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
            log.info(f"{what}: {directory} is free; going on")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def holds_sweep(directory: str | Path) -> bool:
    """Whether a directory is (or was) a sweep's: Hydra's ``multirun.yaml`` or a sweep lock."""
    return (Path(directory) / "multirun.yaml").is_file() or (Path(directory) / SWEEP_LOCK).exists()


def holds_run(directory: str | Path) -> bool:
    """Whether a directory is (or was) a single job's: a manifest, Hydra's ``.hydra/`` or a job lock."""
    directory = Path(directory)
    return (directory / MANIFEST_NAME).exists() or (directory / ".hydra").is_dir() or (directory / JOB_LOCK).exists()


def design_changes(before: Mapping, config: Config) -> list[str]:
    """How ``config`` differs from a finished job's config (its manifest's): ``key: A there, B now`` for each
    key that can change a result (``RESULT_NEUTRAL`` keys are not compared)."""
    now = json.loads(json.dumps(config.to_dict()))
    keys = sorted((set(before) | set(now)) - set(RESULT_NEUTRAL))
    return [f"{k}: {before.get(k)!r} there, {now.get(k)!r} now" for k in keys if before.get(k) != now.get(k)]


def job_files(figures: bool = True, trajectories: bool = False) -> list[str]:
    """Relative paths of the files a job writes before its manifest, in writing order."""
    # Each figure as PNG and PDF, and the data it draws as CSV (to redraw it elsewhere).
    names = ([f"figures/{name}.{fmt}" for name in FIGURE_NAMES for fmt in (*FIGURE_FORMATS, "csv")]
             if figures else [])
    return [TABLE_NAME, *([TRAJECTORY_NAME] if trajectories else []), "config.json", *names, "summary.json"]


# ------------------------------------------------------------------------------------------ outputs
def write_outputs(result, out_dir: Path, job: Mapping | None = None, figures: bool = True) -> dict:
    """Write a batch's table, config, figures (unless ``figures=False``) and summary into ``out_dir``, then its
    manifest; returns the summary."""
    out_dir = Path(out_dir)
    summary = result.summary()
    summary["preset"] = result.config.preset
    summary["scenario_range"] = list(scenario_span(result.outcomes, result.config))
    summary["elapsed_s"] = round(result.elapsed_s, 3)
    io.write_parquet(out_dir / TABLE_NAME, result.outcomes)
    trajectories = result.trajectories is not None
    if trajectories:
        write_trajectories(result, out_dir / TRAJECTORY_NAME)
    io.write_json(out_dir / "config.json", result.config.to_dict())
    if figures:
        write_figures(result, out_dir)
    io.write_json(out_dir / "summary.json", summary)
    write_manifest(out_dir, result.config, job_files(figures, trajectories), rows=len(result.outcomes), job=job,
                   elapsed_s=result.elapsed_s)
    return summary


def write_trajectories(result, path: Path) -> Path:
    """A batch's daily series (run with ``trajectories=True``) as netCDF: an xarray Dataset with dims (scenario,
    day), units and meanings as variable attributes, the run's settings as global attributes (no timestamp: equal
    runs give equal bytes)."""
    from sim.tables import netcdf_bytes, trajectory_dataset

    config = result.config
    days = np.unique(result.trajectories["day"].to_numpy())
    every = int(days[1] - days[0]) if len(days) > 1 else 1
    attrs = {"title": "ceasefire-sim daily series", "preset": config.preset, "seed": str(config.seed),
             "n_scenarios": config.n_scenarios, "horizon_days": config.horizon_days,
             "collapse_level": config.collapse_level, "trajectory_every": every,
             "note": "NaN after a scenario's collapse day; outcomes per scenario in scenarios.parquet"}
    return io.atomic_write_bytes(path, netcdf_bytes(trajectory_dataset(result.trajectories, attrs)), overwrite=True)


def write_figures(result, out_dir: Path) -> None:
    """A job's own figures (survival curve, collapse day, highest level), PNG and PDF with a caption line, and the
    data of each as CSV, under ``out_dir/figures``."""
    from sim import plots

    caption = plots.run_caption(result.config, len(result.outcomes))
    drawn = {
        "survival": plots.survival_figure({result.config.preset: result.survival()}, caption=caption),
        "collapse_day": plots.collapse_day_figure(result.outcomes, result.config.horizon_days, caption=caption),
        "max_level": plots.max_level_figure(result.outcomes, caption=caption),
    }
    for name in FIGURE_NAMES:
        for fmt in FIGURE_FORMATS:
            io.write_figure(out_dir / "figures" / f"{name}.{fmt}", drawn[name], overwrite=True)
        io.write_figure_data(out_dir / "figures" / f"{name}.csv", drawn[name], overwrite=True)


def add_figures(status: JobStatus, config: Config) -> None:
    """Draw the figures of a finished job that ran without them (from its table), then list them in its manifest
    (rewritten atomically: the job is complete before and after)."""
    from sim.batch import BatchResult

    table = pd.read_parquet(status.path / TABLE_NAME)
    write_figures(BatchResult(config, table), status.path)
    manifest = dict(status.manifest)
    files = dict(manifest["files"])
    for rel in job_files(figures=True):
        if rel not in files:
            path = status.path / rel
            files[rel] = {"bytes": path.stat().st_size, "sha256": io.sha256_file(path)}
    manifest["files"] = files
    io.write_json(status.path / MANIFEST_NAME, manifest, overwrite=True)


def scenario_span(outcomes: pd.DataFrame, config: Config) -> tuple[int, int]:
    """[first, last + 1) of the scenario indices in a table (the config's shard range when it is empty)."""
    if len(outcomes) == 0:
        return config.scenario_range
    return int(outcomes.index.min()), int(outcomes.index.max()) + 1


def write_manifest(out_dir: Path, config: Config, written: Iterable[str], rows: int, job: Mapping | None = None,
                   elapsed_s: float | None = None) -> Path:
    """Write ``manifest.json`` last: what ran (config, seed, scenario range, rows) and a checksum of each file
    ``written`` (paths relative to ``out_dir``)."""
    import numpy
    import pyarrow

    out_dir = Path(out_dir)
    files = {}
    for rel in written:
        path = out_dir / rel
        files[rel] = {"bytes": path.stat().st_size, "sha256": io.sha256_file(path)}
    start, stop = config.scenario_range
    manifest = {
        "format": MANIFEST_FORMAT,
        "job": dict(job or {}),
        "seed": config.seed,
        "n_scenarios": config.n_scenarios,
        "horizon_days": config.horizon_days,
        "shard": config.shard,
        "shards": config.shards,
        "scenario_range": [start, stop],
        "rows": rows,
        "config": config.to_dict(),
        "files": files,
        "elapsed_s": None if elapsed_s is None else round(elapsed_s, 3),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": {"python": platform.python_version(), "numpy": numpy.__version__,
                     "pandas": pd.__version__, "pyarrow": pyarrow.__version__},
    }
    return io.write_json(out_dir / MANIFEST_NAME, manifest)


# ------------------------------------------------------------------------------------------ job status
@dataclass(frozen=True)
class JobStatus:
    """A job directory: its manifest when it is finished and intact, otherwise why it does not count."""

    path: Path
    manifest: dict | None
    problem: str | None

    @property
    def complete(self) -> bool:
        return self.problem is None


def check_job(job_dir: str | Path) -> JobStatus:
    """Whether a job directory holds a finished job: manifest present, files intact, row count as listed."""
    import pyarrow.parquet as pq

    job_dir = Path(job_dir)
    path = job_dir / MANIFEST_NAME
    if not path.is_file():
        return JobStatus(job_dir, None, f"no {MANIFEST_NAME}: the job did not finish")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return JobStatus(job_dir, None, f"{MANIFEST_NAME} is unreadable ({exc})")
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return JobStatus(job_dir, None, f"{MANIFEST_NAME} is not a format-{MANIFEST_FORMAT} manifest")
    try:  # a manifest edited by hand may lack a field or hold one of the wrong type
        _check_manifest(manifest)
    except (KeyError, TypeError, ValueError) as exc:
        return JobStatus(job_dir, None, f"{MANIFEST_NAME} is malformed ({type(exc).__name__}: {exc})")
    files = {rel: (e["bytes"], e["sha256"]) for rel, e in manifest["files"].items()}
    start, stop = manifest["scenario_range"]
    listed_rows = manifest["rows"]
    for rel, (size, sha256) in files.items():
        file = job_dir / rel
        if not file.resolve().is_relative_to(job_dir.resolve()):
            return JobStatus(job_dir, None, f"{rel} lies outside the job directory")
        if not file.is_file():
            return JobStatus(job_dir, None, f"{rel} is listed in the manifest but missing")
        if file.stat().st_size != size or io.sha256_file(file) != sha256:
            return JobStatus(job_dir, None, f"{rel} does not match its checksum in the manifest")
    if TABLE_NAME not in files:
        return JobStatus(job_dir, None, f"the manifest lists no {TABLE_NAME}")
    try:  # read whole: a table rewritten with its checksum updated in the manifest may still be broken
        rows = pq.read_table(job_dir / TABLE_NAME).num_rows
    except Exception as exc:  # pyarrow raises several types for a broken file
        return JobStatus(job_dir, None, f"{TABLE_NAME} is unreadable ({io.one_line(exc)})")
    if not rows == listed_rows == stop - start:
        return JobStatus(job_dir, None, f"{TABLE_NAME} has {rows} rows; the manifest says {manifest['rows']} "
                                        f"for scenarios [{start}, {stop})")
    return JobStatus(job_dir, manifest, None)


def _check_manifest(manifest: dict) -> None:
    """Raise KeyError, TypeError or ValueError naming the first field of a manifest that is absent or of the wrong
    type (a string where a list or a number belongs); what the report and the merge read is then safe to read."""

    def whole(key, value, low=0):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise TypeError(f"{key}={value!r} must be a whole number, at least {low}")

    for key in ("seed", "n_scenarios", "horizon_days", "shard", "shards", "rows"):
        whole(key, manifest[key], low=1 if key in ("n_scenarios", "horizon_days", "shards") else 0)
    span = manifest["scenario_range"]
    if not isinstance(span, list) or len(span) != 2:
        raise TypeError(f"scenario_range={span!r} must be a list [start, stop]")
    for value in span:
        whole("scenario_range", value)
    if not span[0] <= span[1] <= manifest["n_scenarios"] or manifest["shard"] >= manifest["shards"]:
        raise ValueError(f"scenario_range={span}, shard={manifest['shard']} do not fit n_scenarios="
                         f"{manifest['n_scenarios']}, shards={manifest['shards']}")
    files, job = manifest["files"], manifest["job"]
    if not isinstance(files, dict) or not isinstance(manifest["config"], dict) or not isinstance(job, dict):
        raise TypeError("files, config and job must be mappings")
    for rel, entry in files.items():
        if not isinstance(entry, dict):
            raise TypeError(f"files[{rel!r}] must be a mapping of bytes and sha256")
        whole(f"files[{rel!r}].bytes", entry["bytes"])
        if not isinstance(entry["sha256"], str):
            raise TypeError(f"files[{rel!r}].sha256={entry['sha256']!r} must be a string")
    num, overrides = job.get("num"), job.get("overrides", [])
    if num is not None:
        whole("job.num", num)
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise TypeError(f"job.overrides={overrides!r} must be a list of strings")
    if not isinstance(job.get("experiment"), str | None):
        raise TypeError(f"job.experiment={job['experiment']!r} must be a string or null")


def clear_unfinished(job_dir: str | Path) -> list[Path]:
    """Remove what an unfinished attempt left in a job directory (manifest first); returns the removed paths.

    Only the job's own output names and leftover temporary files are touched: never Hydra's ``.hydra/`` or a log.
    """
    job_dir = Path(job_dir)
    removed = []
    for rel in (MANIFEST_NAME, *job_files(trajectories=True)):
        path = job_dir / rel
        if path.is_file():
            path.unlink()
            removed.append(path)
    for folder in (job_dir, job_dir / "figures"):
        for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
            tmp.unlink()
            removed.append(tmp)
    return removed


# ------------------------------------------------------------------------------------------ the Hydra task
def job_label(num: int | None, overrides: Iterable[str], total: int | None = None) -> str:
    """``job 3/11 [us.credibility=0.3]`` (the total when known or told by the parent process), or ``run [...]``."""
    total = total or os.environ.get(SWEEP_SIZE_ENV)
    name = "run" if num is None else f"job {num}" + (f"/{total}" if total else "")
    shown = [o for o in overrides if not o.lstrip("+~").startswith("experiment=")]
    return f"{name} [{' '.join(shown)}]" if shown else name


def end_with_the_command() -> None:
    """In a job launched as a local process (joblib, submitit_local): end when the command that launched it ends
    (``PARENT_ENV``; never on another host, as a SLURM job is meant to outlive the command that submitted it)."""
    host, _, pid = os.environ.get(PARENT_ENV, "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        from sim.batch import stop_with

        stop_with(int(pid))


SUBMITIT_LOGS = {"submitit.out": "stdout", "submitit.err": "stderr"}  # links in a job's directory -> its logs


def link_submitit_logs(out_dir: Path, label: str) -> None:
    """In a job a submitit launcher started (local or SLURM): link its stdout and stderr, which submitit keeps in
    ``SWEEP_DIR/.submitit/JOBID/``, into the job's directory as ``submitit.out``/``submitit.err`` (relative links),
    and name them in the job's log. Nothing outside submitit."""
    if "SUBMITIT_EXECUTOR" not in os.environ or "SUBMITIT_FOLDER" not in os.environ:
        return
    try:
        import submitit

        paths = submitit.JobEnvironment().paths
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, stream in SUBMITIT_LOGS.items():
            target, link = Path(getattr(paths, stream)).resolve(), out_dir / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(os.path.relpath(target, out_dir.resolve()))
        log.info(f"{label}: submitit logs: {paths.stdout} and {paths.stderr} (linked as "
                 f"{', '.join(SUBMITIT_LOGS)})")
    except Exception as exc:  # never fail a job for its log links
        log.warning(f"{label}: could not link the submitit logs: {io.one_line(exc)}")


def remove_stray_submitit_folder(sweep_dir: str | Path) -> None:
    """Remove the empty ``.submitit/%j`` that submitit's executor creates from the un-substituted folder pattern
    of Hydra's submitit launcher (``${hydra.sweep.dir}/.submitit/%j``); the jobs' folders stay."""
    stray = Path(sweep_dir) / ".submitit" / "%j"
    try:
        stray.rmdir()  # only when empty
    except OSError:
        pass


def run_job(cfg) -> dict:
    """The Hydra task: validate, take the job's directory (waiting while another writer holds it), skip it if it
    is finished (drawing its figures if it ran without and they are asked for now), otherwise run the job's
    scenarios and write its outputs and manifest."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    config = from_omegaconf(cfg)  # raises ConfigError before anything of the job's is written
    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    num = hc.job.num if hc.mode == RunMode.MULTIRUN else None
    job = {"num": num, "overrides": list(hc.overrides.task), "experiment": hc.runtime.choices.get("experiment")}
    label = job_label(num, job["overrides"])
    end_with_the_command()
    link_submitit_logs(out_dir, label)
    try:
        with locked(out_dir, JOB_LOCK, label, wait=True):
            return _run_locked(config, out_dir, job, label)
    except Exception as exc:  # the job's log says why it stopped; the command reports it too
        why = io.describe_os_error(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {io.one_line(exc)}"
        log.error(f"{label}: stopped: {why}")
        raise


def _run_locked(config: Config, out_dir: Path, job: dict, label: str) -> dict:
    from sim.batch import run_batch

    status = check_job(out_dir)
    if status.complete:
        changes = design_changes(status.manifest["config"], config)
        if changes:
            where = "hydra.run.dir" if job["num"] is None else "hydra.sweep.dir"
            raise JobConflictError(f"{out_dir} holds a finished run of a different configuration ("
                                   f"{', '.join(changes)}); allowed: the same configuration (it is skipped), or "
                                   f"another {where}")
        if config.output.figures and not set(job_files(figures=True)) <= set(status.manifest["files"]):
            add_figures(status, config)
            log.info(f"{label}: complete in {out_dir}; drew the figures it had run without")
        else:
            log.info(f"{label}: complete in {out_dir}, skipped")
        return json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    removed = clear_unfinished(out_dir)
    if removed:
        log.info(f"{label}: removed {len(removed)} files left by an unfinished attempt")
    start, stop = config.scenario_range
    shard = f", shard {config.shard} of {config.shards}" if config.shards > 1 else ""
    log.info(f"{label}: scenarios {start}..{stop - 1} of {config.n_scenarios}{shard}, {config.horizon_days} days, "
             f"seed {config.seed}")
    result = run_batch(config, scenarios=np.arange(start, stop, dtype=np.int64), workers=config.output.workers,
                       trajectories=config.output.trajectories, trajectory_every=config.output.trajectory_every)
    summary = write_outputs(result, out_dir, job, figures=config.output.figures)
    p = summary["collapse_probability"]
    median = summary["median_survival_days"]
    log.info(f"{label}: done in {result.elapsed_s:.1f} s: collapse {p['estimate']:.3f} "
             f"(95% CI {p['ci95'][0]:.3f}-{p['ci95'][1]:.3f}), median survival "
             f"{median if median is not None else '> ' + str(config.horizon_days)} days; manifest written")
    return summary


# ------------------------------------------------------------------------------------------ sweeps
def expand_sweep(params: Mapping[str, str], overrides: Iterable[str]) -> list[list[str]]:
    """The jobs of a basic sweep, in Hydra's job-number order: one override list per job.

    What Hydra's basic sweeper does with ``hydra.sweeper.params`` and the command line's task overrides: the
    product of each key's values in order of first appearance, the last override of a key winning (the command
    line over a param). Written with Hydra's public override parser, as the sweeper itself is private.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    lines = [f"{key}={value}" for key, value in params.items()] + list(overrides)
    choices: dict[str, list[str]] = {}  # key -> one override per value; a key set again keeps its first place
    for override in OverridesParser.create().parse_overrides(lines):
        key = override.get_key_element()
        if not override.is_sweep_override():
            choices[key] = [f"{key}={override.get_value_element_as_str()}"]
        elif override.is_discrete_sweep():
            choices[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            raise ConfigError(f"{override.input_line}: the basic sweeper cannot expand an interval sweep; allowed: "
                              "a list a,b,c, range(start,stop,step) or choice(a,b,c)")
    return [list(job) for job in itertools.product(*choices.values())]


# ------------------------------------------------------------------------------------------ shards
def _design_key(manifest: dict) -> str:
    config = {k: v for k, v in manifest["config"].items() if k != "shard"}
    return json.dumps(config, sort_keys=True)


def merge_shards(job_dirs: Iterable[str | Path]) -> pd.DataFrame:
    """The scenario table of a whole design from its shards' job directories (any order); checks they fit."""
    job_dirs = [Path(d) for d in job_dirs]
    if not job_dirs:
        raise MergeError("no shard directories given")
    for d in job_dirs:
        if not d.is_dir():
            raise MergeError(f"{d} is not a directory" if d.exists() else f"{d} does not exist")
        if not holds_run(d):
            raise MergeError(f"{d} is not a job directory (no {MANIFEST_NAME}, no .hydra/); allowed: the job "
                             "directories of the shards, e.g. multirun/DIR/0 multirun/DIR/1")
    statuses = [check_job(d) for d in job_dirs]
    broken = [f"{s.path}: {s.problem}" for s in statuses if not s.complete]
    if broken:
        raise MergeError("unfinished shard(s):\n  " + "\n  ".join(broken))
    manifests = sorted((s.manifest for s in statuses), key=lambda m: m["shard"])
    if len({_design_key(m) for m in manifests}) > 1:
        raise MergeError("the shards come from different designs (their configs differ in more than shard)")
    shards = manifests[0]["shards"]
    got = [m["shard"] for m in manifests]
    missing = sorted(set(range(shards)) - set(got))
    duplicated = sorted({i for i in got if got.count(i) > 1})
    if missing or duplicated:
        raise MergeError(f"shards={shards}: missing shard(s) {missing}, duplicated shard(s) {duplicated}; "
                         f"allowed: each of 0..{shards - 1} exactly once")
    dirs = {s.manifest["shard"]: s.path for s in statuses}
    merged = pd.concat([pd.read_parquet(dirs[i] / TABLE_NAME) for i in range(shards)])
    n = manifests[0]["n_scenarios"]
    if not np.array_equal(merged.index.to_numpy(), np.arange(n)):
        raise MergeError(f"the merged shards do not cover scenarios 0..{n - 1} once each in order")
    return merged


def write_merged(job_dirs: Iterable[str | Path], out_path: str | Path) -> Path:
    """Merge shards (``merge_shards``) and write the table atomically; refuses to overwrite."""
    return io.write_parquet(out_path, merge_shards(job_dirs))


__all__ = ["DirectoryBusyError", "JobConflictError", "JobStatus", "MergeError", "add_figures", "check_job",
           "clear_unfinished", "design_changes", "end_with_the_command", "expand_sweep", "holds_run", "holds_sweep",
           "job_files", "link_submitit_logs", "locked", "merge_shards", "remove_stray_submitit_folder", "run_job",
           "write_figures", "write_manifest", "write_merged", "write_outputs", "write_trajectories"]
