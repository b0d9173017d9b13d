"""Jobs of a run or a sweep: outputs written atomically, a manifest written last, resumable sweeps, shards.

A job directory counts as finished only when its ``manifest.json`` exists and every file the manifest lists has
the listed size and SHA-256, and the table has the listed number of rows. Everything else in a job directory (a
table without a manifest, Hydra's ``.hydra/`` and log) is what a job killed half-way leaves behind: the report
ignores it and names the job as missing, and running the sweep again into the same directory re-runs the job.

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
import time
from collections.abc import Iterable, Mapping
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
FIGURE_NAMES = ("survival", "collapse_day", "max_level")
FIGURE_FORMATS = ("png", "pdf")
# Environment variable through which the parent process tells each job how many jobs the sweep has (logs only).
SWEEP_SIZE_ENV = "CEASEFIRE_SIM_SWEEP_JOBS"


class JobConflictError(RuntimeError):
    """A job directory already holds the finished run of a different configuration."""


class MergeError(ValueError):
    """Shard outputs that do not form one complete design."""


def job_files(figures: bool = True) -> list[str]:
    """Relative paths of the files a job writes before its manifest, in writing order."""
    names = [f"figures/{name}.{fmt}" for name in FIGURE_NAMES for fmt in FIGURE_FORMATS] if figures else []
    return [TABLE_NAME, "config.json", *names, "summary.json"]


# ------------------------------------------------------------------------------------------ outputs
def write_outputs(result, out_dir: Path, job: Mapping | None = None, figures: bool = True) -> dict:
    """Write a batch's table, config, figures (unless ``figures=False``) and summary into ``out_dir``, then its
    manifest; returns the summary."""
    from sim import plots

    out_dir = Path(out_dir)
    summary = result.summary()
    summary["preset"] = result.config.preset
    summary["scenario_range"] = list(scenario_span(result.outcomes, result.config))
    summary["elapsed_s"] = round(result.elapsed_s, 3)
    io.write_parquet(out_dir / TABLE_NAME, result.outcomes)
    io.write_json(out_dir / "config.json", result.config.to_dict())
    if figures:
        drawn = {
            "survival": plots.survival_figure({result.config.preset: result.survival()}),
            "collapse_day": plots.collapse_day_figure(result.outcomes, result.config.horizon_days),
            "max_level": plots.max_level_figure(result.outcomes),
        }
        for name in FIGURE_NAMES:
            for fmt in FIGURE_FORMATS:
                io.write_figure(out_dir / "figures" / f"{name}.{fmt}", drawn[name])
    io.write_json(out_dir / "summary.json", summary)
    write_manifest(out_dir, result.config, job_files(figures), rows=len(result.outcomes), job=job,
                   elapsed_s=result.elapsed_s)
    return summary


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
        files = {str(rel): (int(e["bytes"]), str(e["sha256"])) for rel, e in manifest["files"].items()}
        start, stop = (int(v) for v in manifest["scenario_range"])
        listed_rows = int(manifest["rows"])
        absent = [k for k in ("config", "job", "seed", "n_scenarios", "horizon_days", "shard", "shards")
                  if k not in manifest]
        if absent:
            raise KeyError(absent[0])
        if not (isinstance(manifest["job"], dict) and isinstance(manifest["config"], dict)):
            raise TypeError("job and config must be mappings")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return JobStatus(job_dir, None, f"{MANIFEST_NAME} is malformed ({type(exc).__name__}: {exc})")
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
    rows = pq.ParquetFile(job_dir / TABLE_NAME).metadata.num_rows
    if not rows == listed_rows == stop - start:
        return JobStatus(job_dir, None, f"{TABLE_NAME} has {rows} rows; the manifest says {manifest['rows']} "
                                        f"for scenarios [{start}, {stop})")
    return JobStatus(job_dir, manifest, None)


def clear_unfinished(job_dir: str | Path) -> list[Path]:
    """Remove what an unfinished attempt left in a job directory (manifest first); returns the removed paths.

    Only the job's own output names and leftover temporary files are touched: never Hydra's ``.hydra/`` or a log.
    """
    job_dir = Path(job_dir)
    removed = []
    for rel in (MANIFEST_NAME, *job_files()):
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


def run_job(cfg) -> dict:
    """The Hydra task: validate, skip if already finished, run the job's scenarios, write outputs and manifest."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from sim.batch import run_batch

    config = from_omegaconf(cfg)  # raises ConfigError before anything of the job's is written
    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    num = hc.job.num if hc.mode == RunMode.MULTIRUN else None
    job = {"num": num, "overrides": list(hc.overrides.task), "experiment": hc.runtime.choices.get("experiment")}
    label = job_label(num, job["overrides"])
    status = check_job(out_dir)
    if status.complete:
        if status.manifest["config"] != json.loads(json.dumps(config.to_dict())):
            raise JobConflictError(f"{out_dir} holds a finished run of a different configuration; "
                                   "choose another hydra.run.dir / hydra.sweep.dir")
        log.info(f"{label}: complete in {out_dir}, skipped")
        return json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    removed = clear_unfinished(out_dir)
    if removed:
        log.info(f"{label}: removed {len(removed)} files left by an unfinished attempt")
    start, stop = config.scenario_range
    shard = f", shard {config.shard} of {config.shards}" if config.shards > 1 else ""
    log.info(f"{label}: scenarios {start}..{stop - 1} of {config.n_scenarios}{shard}, {config.horizon_days} days, "
             f"seed {config.seed}")
    result = run_batch(config, scenarios=np.arange(start, stop, dtype=np.int64), workers=config.output.workers)
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
    statuses = [check_job(d) for d in job_dirs]
    if not statuses:
        raise MergeError("no shard directories given")
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


__all__ = ["JobConflictError", "JobStatus", "MergeError", "check_job", "clear_unfinished",
           "expand_sweep", "job_files", "merge_shards", "run_job", "write_manifest", "write_merged",
           "write_outputs"]
