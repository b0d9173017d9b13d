"""The batch engine: many scenarios stepped together, chunk by chunk, with bounded memory.

Scenarios are independent rows: a chunk runs them side by side through ``engine.step``; a scenario that
collapses has its outcome recorded on the day it collapses and is dropped from the chunk soon after
(``compact_share``), which cannot change any result because every draw is addressed by scenario index.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from sim import rules as R
from sim.config import Config, ConfigError
from sim.engine import Params, initial_state, step
from sim.observables import OUTCOMES, SERIES, outcomes, series
from sim.rng import Streams
from sim.sampling import decode

log = logging.getLogger("sim.batch")

# Drop finished scenarios from the working arrays once they are this share of the chunk.
COMPACT_SHARE = 0.05


@dataclass
class ChunkResult:
    """Outcome columns (each (n,)) and optional series (name -> (n, n_days)) for one chunk."""

    scenarios: np.ndarray
    outcomes: dict[str, np.ndarray]
    series: dict[str, np.ndarray] | None = None
    days: np.ndarray | None = None
    param_values: dict[str, np.ndarray] | None = None  # explicit values the chunk ran with (key -> (n,))


def _record(store: dict[str, np.ndarray], pos: np.ndarray, col: int, values: dict[str, np.ndarray]) -> None:
    for name, v in values.items():
        store[name][pos, col] = v


def run_chunk(config: Config, scenarios: np.ndarray, trajectories: bool = False, trajectory_every: int = 1,
              on_day=None, param_values: dict[str, np.ndarray] | None = None) -> ChunkResult:
    """Run the given scenario indices to the horizon (or collapse); returns their outcomes.

    ``param_values``: explicit per-scenario values (key -> array aligned with ``scenarios``), see ``Params.build``.
    """
    scenarios = np.asarray(scenarios, dtype=np.int64)
    n, horizon = len(scenarios), config.horizon_days
    params = Params.build(config, scenarios, param_values)
    streams = Streams(config.seed, scenarios)
    state = initial_state(params, streams)
    pos = np.arange(n)  # chunk position of each working row
    finished = np.zeros(n, dtype=bool)  # working rows already recorded as collapsed
    out = {name: None for name in OUTCOMES}
    rec_days = np.arange(0, horizon + 1, trajectory_every) if trajectories else None
    store = None
    if trajectories:
        store = {name: np.full((n, len(rec_days)), np.nan) for name in SERIES}
        _record(store, pos, 0, series(state, params, None))

    def save(rows: np.ndarray) -> None:
        values = outcomes(state.take(rows), params.take(rows), horizon)
        for name, v in values.items():
            if out[name] is None:
                out[name] = np.empty(n, dtype=v.dtype)
            out[name][pos[rows]] = v

    for day in range(1, horizon + 1):
        state, _today = step(state, params, streams, day)
        if trajectories and day % trajectory_every == 0:
            live = ~finished
            values = series(state, params, _today)
            _record(store, pos[live], day // trajectory_every, {k: v[live] for k, v in values.items()})
        newly = state.collapsed & ~finished
        if newly.any():
            save(np.flatnonzero(newly))
            finished = finished | newly
            if finished.mean() > COMPACT_SHARE or finished.all():
                keep = np.flatnonzero(~finished)
                state, params, streams = state.take(keep), params.take(keep), streams.subset(keep)
                pos, finished = pos[keep], finished[keep]
        if on_day is not None:
            on_day(len(pos))
        if len(pos) == 0:
            break
    live = np.flatnonzero(~finished)
    if live.size:
        save(live)
    return ChunkResult(scenarios, out, store, rec_days, param_values)


# ------------------------------------------------------------------------------------------------ results
def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score 95% interval of a binomial proportion."""
    if n == 0:
        return (math.nan, math.nan)
    phat = successes / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: np.ndarray, z: float = 1.959963984540054) -> tuple[float, float, float]:
    """Mean and its normal-approximation 95% interval."""
    values = np.asarray(values, dtype=np.float64)
    m = float(values.mean()) if values.size else math.nan
    if values.size < 2:
        return (m, math.nan, math.nan)
    half = z * float(values.std(ddof=1)) / math.sqrt(values.size)
    return (m, m - half, m + half)


def survival_curve(collapse_day: np.ndarray, horizon_days: int) -> pd.DataFrame:
    """Share of scenarios whose ceasefire still holds at the end of each day 0..horizon, with 95% Wilson band.

    All scenarios share one horizon, so censoring happens only there and the Kaplan-Meier estimate equals the
    empirical survival share; ``collapse_day`` uses -1 (or NaN) for scenarios that held.
    """
    days = np.asarray(pd.Series(collapse_day).fillna(-1), dtype=np.int64)
    n = len(days)
    collapsed_by = np.cumsum(np.bincount(days[days > 0], minlength=horizon_days + 1)[: horizon_days + 1])
    holding = n - collapsed_by
    bands = [wilson_interval(int(h), n) for h in holding]
    return pd.DataFrame({"day": np.arange(horizon_days + 1), "survival": holding / max(n, 1),
                         "low": [b[0] for b in bands], "high": [b[1] for b in bands]})


@dataclass
class BatchResult:
    """Outcomes of a batch: one row per scenario (index ``scenario``), optional per-day series."""

    config: Config
    outcomes: pd.DataFrame
    trajectories: pd.DataFrame | None = None
    elapsed_s: float = 0.0
    meta: dict = field(default_factory=dict)

    def survival(self) -> pd.DataFrame:
        """Survival of the ceasefire by day with its 95% band (see ``survival_curve``)."""
        return survival_curve(self.outcomes["collapse_day"].to_numpy(dtype=float, na_value=-1),
                              self.config.horizon_days)

    def summary(self) -> dict:
        """Headline figures with 95% confidence intervals."""
        return summarize(self.outcomes, self.config.horizon_days)


def summarize(df: pd.DataFrame, horizon_days: int) -> dict:
    """Headline figures of an outcome table with 95% confidence intervals (plain JSON-able dict)."""
    n = len(df)
    k = int(df["collapsed"].sum())
    low, high = wilson_interval(k, n)
    surv = survival_curve(df["collapse_day"].to_numpy(dtype=float, na_value=-1), horizon_days)
    below = surv.index[surv["survival"] <= 0.5]
    median = int(surv["day"][below[0]]) if len(below) else None
    days = df.loc[df["collapsed"], "collapse_day"].to_numpy(dtype=float)

    def mean_ci(col):
        m, lo, hi = mean_interval(df[col].to_numpy(dtype=float))
        return {"mean": m, "ci95": [lo, hi]}

    modes = df["failure_mode"].value_counts(normalize=True)
    return {
        "n_scenarios": n,
        "horizon_days": horizon_days,
        "collapse_probability": {"estimate": k / n if n else math.nan, "ci95": [low, high]},
        "median_survival_days": median,
        "median_survival_note": None if median is not None else f"more than half held to day {horizon_days}",
        "mean_collapse_day_if_collapsed": float(days.mean()) if days.size else None,
        "max_level_distribution": {str(lv): float((df["max_level"] == lv).mean()) for lv in range(5)},
        "failure_modes": {str(m): float(modes.get(m, 0.0)) for m in R.FAILURE_MODES},
        "violations": mean_ci("violations"),
        "territory_change_km2": mean_ci("territory_change_km2"),
        "investment_total_bn": mean_ci("investment_total"),
        "coalition_members_final": mean_ci("coalition_members_final"),
        "us_engaged_share": float(df["us_engaged"].mean()),
        "belief_us_final": mean_ci("belief_us_final"),
        "belief_coalition_final": mean_ci("belief_coalition_final"),
        "reassurance_final": mean_ci("reassurance_final"),
    }


def _outcome_frame(config: Config, chunk: ChunkResult) -> pd.DataFrame:
    cols = dict(chunk.outcomes)
    cols["collapse_day"] = pd.array(np.where(cols["collapse_day"] >= 0, cols["collapse_day"], 0),
                                    dtype="Int64")
    cols["collapse_day"][~chunk.outcomes["collapsed"]] = pd.NA
    cols["failure_mode"] = np.asarray(R.FAILURE_MODES, dtype=object)[cols["failure_mode"]]
    explicit = chunk.param_values or {}
    if config.sampled_keys or explicit:
        params = Params.build(config, chunk.scenarios, explicit)
        for key in dict.fromkeys([*config.sampled_keys, *explicit]):
            cols[key] = decode(key, params[key])
    return pd.DataFrame(cols, index=pd.Index(chunk.scenarios, name="scenario"))


def _trajectory_frame(chunk: ChunkResult) -> pd.DataFrame:
    n, d = len(chunk.scenarios), len(chunk.days)
    valid = ~np.isnan(chunk.series["level"])
    frame = pd.DataFrame({
        "scenario": np.repeat(chunk.scenarios, d)[valid.ravel()],
        "day": np.tile(chunk.days, n)[valid.ravel()],
        **{name: values.ravel()[valid.ravel()] for name, values in chunk.series.items()},
    })
    return frame


def _validated_scenarios(config: Config, scenarios, param_values) -> np.ndarray:
    if scenarios is None:  # the config's shard of the design (all of it unless shard/shards are set)
        scenarios = np.arange(*config.scenario_range)
    scenarios = np.asarray(scenarios, dtype=np.int64)
    if scenarios.size and (scenarios.min() < 0 or scenarios.max() >= config.n_scenarios):
        raise ValueError(f"scenario indices must lie in [0, {config.n_scenarios}); the design has "
                         f"n_scenarios={config.n_scenarios}")
    for key, v in (param_values or {}).items():
        if len(v) != len(scenarios):
            raise ValueError(f"param_values[{key!r}] has {len(v)} values for {len(scenarios)} scenarios")
    return scenarios


# ------------------------------------------------------------------------------------------------ memory
# A batch plans to use at most this share of the memory available when it starts (the rest: the interpreter,
# libraries, other processes). CEASEFIRE_SIM_MEMORY_BYTES caps what counts as available (a shared machine, tests).
MEMORY_SHARE = 0.5
MEMORY_ENV = "CEASEFIRE_SIM_MEMORY_BYTES"
# Peak bytes over layout bytes, measured with tracemalloc on chunks of 1,500-3,000 scenarios (tests/test_limits.py
# measures again and checks that the estimate stays an upper bound): a chunk peaks at about 2.1 times the bytes of
# its Params, State, streams and outcome row (the old and new state of a step, and the step's temporaries); a
# recorded trajectory day at about 3.1 times its series' bytes (the (N, days) store and the long table built from
# it); the tables run_batch keeps at about 1.2-1.6 (outcomes) and 2.0 (trajectories) times their bytes (pd.concat
# copies them at the end). Rounded up.
STEP_OVERHEAD = 2.5
TRAJECTORY_OVERHEAD = 3.5
KEPT_OVERHEAD = 2.0
KEPT_TRAJECTORY_OVERHEAD = 2.5
# Latin hypercube strata of one sampled parameter over the whole design: 8 bytes per scenario kept (cached), about
# 32 at the peak while they are computed (sim.sampling._strata: keys, argsort, ranks).
STRATA_BYTES, STRATA_PEAK_BYTES = 8, 32


class ResourceError(ConfigError):
    """A run that cannot fit in memory; the message names the setting, the estimate and what is available."""


@dataclass(frozen=True)
class MemoryPlan:
    """How a batch fits in memory: the chunk size to run with and the estimates behind it (bytes)."""

    chunk_size: int  # the requested chunk size, or a smaller one that fits
    per_scenario: int  # peak bytes of one scenario in a working chunk
    fixed: int  # bytes needed whatever the chunk size: kept tables and the design's strata
    budget: int | None  # MEMORY_SHARE of the available memory; None when it cannot be read
    note: str | None = None  # why the chunk size was reduced


def available_memory() -> int | None:
    """Bytes this process can still allocate: MemAvailable, capped by a cgroup limit and by MEMORY_ENV."""
    import os
    from pathlib import Path

    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    for limit, usage in (("memory.max", "memory.current"), ("memory/memory.limit_in_bytes",
                                                            "memory/memory.usage_in_bytes")):
        try:
            cap = Path("/sys/fs/cgroup", limit).read_text().strip()
            if cap.isdigit() and int(cap) < 2**60:
                found.append(int(cap) - int(Path("/sys/fs/cgroup", usage).read_text().strip()))
                break
        except (OSError, ValueError):
            continue
    if os.environ.get(MEMORY_ENV, "").strip():
        found.append(int(float(os.environ[MEMORY_ENV])))
    return max(min(found), 0) if found else None


@lru_cache(maxsize=64)
def _layout_bytes(member_slots: int) -> int:
    """Bytes per scenario of the arrays a chunk holds: Params, State (M member slots) and the streams' keys.

    Read from the arrays themselves (one scenario built and stepped once), so a field added to State counts."""
    from sim.config import Spec
    from sim.parameters import PARAMS
    from sim.sampling import _encode

    values = {p.key: _encode(p.key, Spec("fixed", (p.default,)), 1) for p in PARAMS}
    values["coalition.members"] = np.array([member_slots], dtype=np.int64)
    params = Params(values, seed=0, horizon_days=1, collapse_level=3, member_slots=max(1, member_slots))
    streams = Streams(0, np.arange(1))
    state, _today = step(initial_state(params, streams), params, streams, 1)
    arrays = [*params.values.values(), *vars(state).values(), *streams._scen_keys.values()]
    return int(sum(a.nbytes for a in arrays))


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.1f} MiB"


def plan_memory(config: Config, n: int, chunk_size: int | None = None, *, trajectories: bool = False,
                trajectory_every: int = 1, workers: int = 1, kept: int = 0, available: int | None = None,
                what: str = "run_batch") -> MemoryPlan:
    """Fit a batch of ``n`` scenarios in memory before it starts: the chunk size to use, or ``ResourceError``.

    Each of ``workers`` processes holds one chunk and the design's Latin hypercube strata; ``kept`` scenarios'
    tables (outcomes, and trajectories) stay in memory to the end (run_batch keeps all, stream_batch none). A chunk
    too large is reduced (``note`` says so; results cannot change: draws are addressed by scenario); what no chunk
    size can fit is refused. ``available`` defaults to ``available_memory()``; unknown memory is not checked.
    """
    chunk = max(1, min(chunk_size or config.chunk_size, n))
    processes = max(1, workers)
    members = config.spec("coalition.members")
    slots = int(round(members.support()[1])) if members.dist != "choice" else 0
    sampled = len(config.sampled_keys)
    days = config.horizon_days // trajectory_every + 1 if trajectories else 0
    per_scenario = int(STEP_OVERHEAD * (_layout_bytes(slots) + 8 * (len(OUTCOMES) + sampled))
                       + TRAJECTORY_OVERHEAD * 8 * len(SERIES) * days)
    row_bytes = int(KEPT_OVERHEAD * 8 * (len(OUTCOMES) + 1 + sampled)  # + 1: the index
                    + KEPT_TRAJECTORY_OVERHEAD * 8 * (len(SERIES) + 2) * days)  # + 2: scenario and day columns
    strata = config.n_scenarios * (STRATA_BYTES * sampled + STRATA_PEAK_BYTES) if sampled else 0
    fixed = 8 * n + kept * row_bytes + processes * strata  # 8: the scenario index array
    available = available_memory() if available is None else available
    if available is None:
        return MemoryPlan(chunk, per_scenario, fixed, None)
    budget = int(MEMORY_SHARE * available)
    room = f"{_gib(budget)} ({MEMORY_SHARE:.0%} of the {_gib(available)} available)"
    if kept * row_bytes > budget:
        kind = "outcome and trajectory tables" if trajectories else "outcome table"
        raise ResourceError(
            f"{what} keeps the {kind} of all {kept:,} scenarios in memory: about {_gib(kept * row_bytes)} "
            f"({row_bytes:,} bytes per scenario), more than {room}; allowed: at most "
            f"{budget // row_bytes:,} scenarios per run (split the design with shards=k"
            + (", stream it with stream_batch" if what == "run_batch" else "")
            + (", record every few days with trajectory_every" if trajectories else "") + ")")
    if processes * strata > budget - kept * row_bytes:
        per_design_scenario = strata // config.n_scenarios
        raise ResourceError(
            f"n_scenarios={config.n_scenarios:,} with {sampled} parameters given as distributions needs about "
            f"{_gib(strata)} per process for the Latin hypercube strata of the whole design ({per_design_scenario:,} "
            f"bytes per scenario), more than {room}; allowed: fewer scenarios in the design or fewer parameters as "
            "distributions")
    fits = (budget - fixed) // (processes * per_scenario)
    if fits < 1:
        raise ResourceError(
            f"chunk_size={chunk_size or config.chunk_size}: even one scenario needs about {_gib(per_scenario)} "
            f"({per_scenario:,} bytes, {'with' if trajectories else 'without'} trajectories, {slots} member slots) "
            f"besides {_gib(fixed)} of kept tables and strata, more than {room}")
    if chunk <= fits:
        return MemoryPlan(chunk, per_scenario, fixed, budget)
    note = (f"chunk_size={chunk_size or config.chunk_size} would need about {_gib(chunk * per_scenario)} per chunk "
            f"({per_scenario:,} bytes per scenario" + (f", {processes} processes" if processes > 1 else "")
            + f"); reduced to {fits:,} to stay within {room}. Results do not change: every draw is addressed by "
            "scenario")
    return MemoryPlan(int(fits), per_scenario, fixed, budget, note)


def _chunk_job(config: Config, scenarios: np.ndarray, trajectories: bool, trajectory_every: int,
               values: dict | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One chunk, run where it is called (in this process or a worker); returns its tables."""
    chunk = run_chunk(config, scenarios, trajectories, trajectory_every, None, values)
    return _outcome_frame(config, chunk), (_trajectory_frame(chunk) if trajectories else None)


def iter_chunks(config: Config, scenarios=None, chunk_size: int | None = None, trajectories: bool = False,
                trajectory_every: int = 1, progress: bool | None = None,
                param_values: dict[str, np.ndarray] | None = None, workers: int = 1):
    """Yield (outcomes, trajectories or None) chunk by chunk, in scenario order.

    With ``workers > 1`` chunks run in that many processes (at most ``2 * workers`` chunks in flight, so
    memory stays bounded); results are identical to one process because draws are addressed by scenario.
    """
    scenarios = _validated_scenarios(config, scenarios, param_values)
    plan = plan_memory(config, len(scenarios), chunk_size, trajectories=trajectories,
                       trajectory_every=trajectory_every, workers=workers, what="iter_chunks")
    if plan.note:
        log.warning(plan.note)
    chunk_size = plan.chunk_size
    if progress is None:
        progress = sys.stderr.isatty()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(scenarios) * config.horizon_days, unit="scen-day", unit_scale=True,
                   desc="ceasefire-sim", file=sys.stderr)
    jobs = []
    for start in range(0, len(scenarios), chunk_size):
        part = scenarios[start:start + chunk_size]
        values = {k: np.asarray(v)[start:start + len(part)] for k, v in (param_values or {}).items()} or None
        jobs.append((config, part, trajectories, trajectory_every, values))
    try:
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield _chunk_job(*job)
                if bar is not None:
                    bar.update(len(job[1]) * config.horizon_days)
            return
        import multiprocessing
        from collections import deque
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            pending, queue = deque(), iter(jobs)
            for job in queue:
                pending.append((len(job[1]), pool.submit(_chunk_job, *job)))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                size, future = pending.popleft()
                result = future.result()
                job = next(queue, None)
                if job is not None:
                    pending.append((len(job[1]), pool.submit(_chunk_job, *job)))
                if bar is not None:
                    bar.update(size * config.horizon_days)
                yield result
    finally:
        if bar is not None:
            bar.close()


def run_batch(config: Config, scenarios=None, chunk_size: int | None = None, trajectories: bool = False,
              trajectory_every: int = 1, progress: bool | None = None,
              param_values: dict[str, np.ndarray] | None = None, workers: int = 1) -> BatchResult:
    """Run scenarios (default: the config's shard, all of ``range(n_scenarios)`` unless sharded) chunk by chunk.

    ``param_values`` runs an explicit design: key -> array with one value per entry of ``scenarios`` (in order;
    choices as names), replacing that parameter's fixed or sampled value; the outcome table gains a column per
    key. A scenario's result depends only on its parameter values and its index (which addresses its random
    streams), so an index may repeat with different values: common random numbers across design points.

    ``trajectories=True`` also returns per-day series (every ``trajectory_every`` days) as a long table
    (scenario, day, series...): about 150 bytes per scenario-day recorded, so keep it for small batches.
    ``progress`` shows a bar on stderr (default: when stderr is a terminal). ``workers`` > 1 runs chunks in
    that many processes with identical results.
    """
    scenarios = _validated_scenarios(config, scenarios, param_values)
    plan = plan_memory(config, len(scenarios), chunk_size, trajectories=trajectories,
                       trajectory_every=trajectory_every, workers=workers, kept=len(scenarios))
    if plan.note:
        log.warning(plan.note)
    chunk_size = plan.chunk_size
    started = time.perf_counter()
    frames, traj = [], []
    for outcome_frame, trajectory_frame in iter_chunks(config, scenarios, chunk_size, trajectories,
                                                       trajectory_every, progress, param_values, workers):
        frames.append(outcome_frame)
        if trajectories:
            traj.append(trajectory_frame)
    elapsed = time.perf_counter() - started
    empty = pd.DataFrame(columns=list(OUTCOMES), index=pd.Index([], name="scenario", dtype=np.int64))
    outcomes_df = pd.concat(frames) if frames else empty
    trajectories_df = (pd.concat(traj, ignore_index=True) if traj else None) if trajectories else None
    return BatchResult(config, outcomes_df, trajectories_df, elapsed,
                       {"scenario_days": int(len(scenarios) * config.horizon_days)})


def stream_batch(config: Config, path, scenarios=None, chunk_size: int | None = None, progress: bool | None = None,
                 workers: int = 1, overwrite: bool = False) -> dict:
    """Run scenarios chunk by chunk straight into a parquet file, holding one chunk per worker in memory.

    The file is written under a temporary name and renamed when complete, so a killed run leaves no partial
    table; an existing file is refused unless ``overwrite``. Returns rows written and elapsed seconds.
    """
    import os
    import tempfile
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; refusing to overwrite a finished output")
    # Refused (or the chunk reduced) before anything is written; iter_chunks then finds the chunk size fits.
    n = len(_validated_scenarios(config, scenarios, None))
    plan = plan_memory(config, n, chunk_size, workers=workers, what="stream_batch")
    if plan.note:
        log.warning(plan.note)
    chunk_size = plan.chunk_size
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    started, rows, writer = time.perf_counter(), 0, None
    try:
        for frame, _ in iter_chunks(config, scenarios, chunk_size, False, 1, progress, None, workers):
            table = pa.Table.from_pandas(frame, preserve_index=True)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += len(frame)
        if writer is not None:
            writer.close()
            writer = None
        os.replace(tmp, path)
    except BaseException:
        if writer is not None:
            writer.close()
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"rows": rows, "elapsed_s": time.perf_counter() - started, "path": str(path)}


__all__ = ["BatchResult", "MemoryPlan", "ResourceError", "available_memory", "iter_chunks", "plan_memory", "run_batch",
           "run_chunk", "stream_batch", "summarize", "survival_curve"]
