"""The batch engine: many scenarios stepped together, chunk by chunk, with bounded memory.

Scenarios are independent rows: a chunk runs them side by side through ``engine.step``; a scenario that
collapses has its outcome recorded on the day it collapses and is dropped from the chunk soon after
(``compact_share``), which cannot change any result because every draw is addressed by scenario index.

With ``workers > 1`` chunks run in worker processes that end as soon as the process that started them ends
(``stop_with``), so that nothing keeps computing or holds a job's lock after its parent was killed.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import stats
from sim.config import MAX_WORKERS, RUN_SETTINGS, Config
from sim.design import build_params, design_keys, param_columns
from sim.engine import initial_state, step
from sim.memory import plan_memory
from sim.observables import OUTCOMES, SERIES, outcomes, series
from sim.rng import Streams
from sim.tables import outcome_frame, trajectory_frame

log = logging.getLogger("sim.batch")

# Drop finished scenarios from the working arrays once they are this share of the chunk.
COMPACT_SHARE = 0.05
# How often a process that cannot wait on a pidfd (not Linux >= 5.3) checks that its parent still runs (seconds).
PARENT_POLL_S = 1.0
_watched: set[int] = set()  # processes this process already ends with (stop_with); a forked child watches none
os.register_at_fork(after_in_child=_watched.clear)


def stop_with(pid: int) -> None:
    """End this process (SIGKILL, as ``kill -9`` would) as soon as process ``pid`` ends.

    A worker or a job started for a command must not outlive it: killed alone, the parent would otherwise leave
    workers computing and writing for minutes. A daemon thread waits on a pidfd of ``pid`` (Linux), or polls it.
    """
    if pid in _watched or pid == os.getpid():
        return
    _watched.add(pid)

    def wait() -> None:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone
            fd = None
        except (AttributeError, OSError):  # no pidfd here (not Linux >= 5.3): poll
            fd = None
            while _alive(pid):
                time.sleep(PARENT_POLL_S)
        if fd is not None:
            import select

            select.select([fd], [], [])  # readable once the process has ended
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=wait, name=f"stop-with-{pid}", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _worker_start(parent: int) -> None:
    """Initializer of a worker process: end with the parent; on Ctrl-C (sent to the whole process group) end
    quietly, as the parent reports the interruption."""
    stop_with(parent)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda *_: os._exit(130))


def available_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _check_options(chunk_size=None, workers=1, trajectory_every=1) -> None:
    """Refuse options that are not whole numbers in range (ValueError naming the option and what is allowed)."""
    limits = (("chunk_size", chunk_size, RUN_SETTINGS["chunk_size"][2]), ("workers", workers, MAX_WORKERS),
              ("trajectory_every", trajectory_every, None))
    for name, value, high in limits:
        if value is None and name == "chunk_size":
            continue
        whole = isinstance(value, int | np.integer) and not isinstance(value, bool)
        if not whole or value < 1 or (high is not None and value > high):
            allowed = f"a whole number from 1 to {high:,}" if high is not None else "a whole number of days, at least 1"
            raise ValueError(f"{name}={value!r} is not allowed; allowed: {allowed}"
                             + (" or None (the config's chunk_size)" if name == "chunk_size" else ""))


def _capped_workers(workers: int) -> int:
    """``workers`` capped at the cores available, saying so in the log (outcomes are the same for any number)."""
    cores = available_cores()
    if workers > cores:
        log.info(f"workers={workers} is more than the {cores} cores available: running {cores} processes")
        return cores
    return workers


@dataclass
class ChunkResult:
    """Outcome columns (each (n,)) and optional series (name -> (n, n_days)) for one chunk."""

    scenarios: np.ndarray
    outcomes: dict[str, np.ndarray]
    param_columns: dict[str, np.ndarray]  # readable values of the parameters that vary by scenario (key -> (n,))
    series: dict[str, np.ndarray] | None = None
    days: np.ndarray | None = None


def _record(store: dict[str, np.ndarray], pos: np.ndarray, col: int, values: dict[str, np.ndarray]) -> None:
    for name, v in values.items():
        store[name][pos, col] = v


def run_chunk(config: Config, scenarios: np.ndarray, trajectories: bool = False, trajectory_every: int = 1,
              on_day=None, param_values: dict[str, np.ndarray] | None = None) -> ChunkResult:
    """Run the given scenario indices to the horizon (or collapse); returns their outcomes.

    ``param_values``: explicit per-scenario values (key -> array aligned with ``scenarios``), see
    ``sim.design.build_params``.
    """
    _check_options(trajectory_every=trajectory_every)
    scenarios = _validated_scenarios(config, scenarios, param_values)
    n, horizon = len(scenarios), config.horizon_days
    params = build_params(config, scenarios, param_values)
    columns = param_columns(params, design_keys(config, param_values))
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
    return ChunkResult(scenarios, out, columns, store, rec_days)


# ------------------------------------------------------------------------------------------------ results
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
        return stats.survival_curve(self.outcomes["collapse_day"].to_numpy(dtype=float, na_value=-1),
                                    self.config.horizon_days)

    def summary(self) -> dict:
        """Headline figures with 95% confidence intervals."""
        return stats.summarize(self.outcomes, self.config.horizon_days)


def _validated_scenarios(config: Config, scenarios, param_values) -> np.ndarray:
    """The scenario indices to run as int64 (default: the config's shard): whole numbers in [0, n_scenarios) only;
    a boolean mask or float indices are refused, never converted (a mask would run rows 0 and 1)."""
    if scenarios is None:  # the config's shard of the design (all of it unless shard/shards are set)
        scenarios = np.arange(*config.scenario_range)
    raw = np.asarray(scenarios)
    if raw.ndim != 1:
        raise ValueError(f"scenarios={scenarios!r} must be a sequence of scenario indices (one dimension)")
    if raw.dtype.kind == "b":
        raise ValueError("scenarios is a boolean mask; allowed: integer scenario indices, e.g. "
                         "np.flatnonzero(mask) for the scenarios a mask selects")
    if raw.size and raw.dtype.kind not in "iu":
        raise ValueError(f"scenarios must be integer scenario indices; got {raw.dtype} values such as "
                         f"{raw[:3].tolist()}")
    if raw.size and (raw.min() < 0 or raw.max() >= config.n_scenarios):
        raise ValueError(f"scenario indices must lie in [0, {config.n_scenarios}); the design has "
                         f"n_scenarios={config.n_scenarios}")
    scenarios = raw.astype(np.int64)
    for key, v in (param_values or {}).items():
        if len(v) != len(scenarios):
            raise ValueError(f"param_values[{key!r}] has {len(v)} values for {len(scenarios)} scenarios")
    return scenarios


def _chunk_job(config: Config, scenarios: np.ndarray, trajectories: bool, trajectory_every: int,
               values: dict | None, on_day=None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One chunk, run where it is called (in this process or a worker); returns its tables."""
    chunk = run_chunk(config, scenarios, trajectories, trajectory_every, on_day, values)
    return (outcome_frame(chunk.scenarios, chunk.outcomes, chunk.param_columns),
            trajectory_frame(chunk.scenarios, chunk.days, chunk.series) if trajectories else None)


def iter_chunks(config: Config, scenarios=None, chunk_size: int | None = None, trajectories: bool = False,
                trajectory_every: int = 1, progress: bool | None = None,
                param_values: dict[str, np.ndarray] | None = None, workers: int = 1):
    """Yield (outcomes, trajectories or None) chunk by chunk, in scenario order.

    With ``workers > 1`` chunks run in that many processes (at most ``2 * workers`` chunks in flight, so
    memory stays bounded; no more processes than chunks or cores); results are identical to one process because
    draws are addressed by scenario.
    """
    _check_options(chunk_size, workers, trajectory_every)
    workers = _capped_workers(workers)
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
    workers = min(workers, len(jobs))
    try:
        if workers <= 1 or len(jobs) <= 1:  # the bar moves by blocks of days within a chunk
            for job in jobs:
                moved = [0, 0]  # scenario-days shown, days since the bar last moved
                block, size = max(1, config.horizon_days // 100), len(job[1])

                def on_day(_live, size=size, moved=moved, block=block):
                    moved[1] += 1
                    if moved[1] == block:
                        bar.update(size * block)
                        moved[0] += size * block
                        moved[1] = 0

                result = _chunk_job(*job, on_day if bar is not None else None)
                if bar is not None:
                    bar.update(len(job[1]) * config.horizon_days - moved[0])  # the rest (a chunk that ended early)
                yield result
            return
        import multiprocessing
        from collections import deque
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method), initializer=_worker_start,
                                 initargs=(os.getpid(),)) as pool:
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
    _check_options(chunk_size, workers, trajectory_every)
    workers = _capped_workers(workers)
    scenarios = _validated_scenarios(config, scenarios, param_values)
    plan = plan_memory(config, len(scenarios), chunk_size, trajectories=trajectories,
                       trajectory_every=trajectory_every, workers=workers, kept=len(scenarios))
    if plan.note:
        log.warning(plan.note)
    chunk_size = plan.chunk_size
    started = time.perf_counter()
    frames, traj = [], []
    for outcomes_part, trajectories_part in iter_chunks(config, scenarios, chunk_size, trajectories,
                                                       trajectory_every, progress, param_values, workers):
        frames.append(outcomes_part)
        if trajectories:
            traj.append(trajectories_part)
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
    import tempfile
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.io import annotate_table, file_mode

    _check_options(chunk_size, workers)
    workers = _capped_workers(workers)
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
    os.fchmod(fd, file_mode())  # mkstemp makes it 0600: give it the mode open() would
    os.close(fd)
    started, rows, writer = time.perf_counter(), 0, None
    try:
        for frame, _ in iter_chunks(config, scenarios, chunk_size, False, 1, progress, None, workers):
            table = annotate_table(pa.Table.from_pandas(frame, preserve_index=True))
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


__all__ = ["BatchResult", "available_cores", "iter_chunks", "run_batch", "run_chunk", "stop_with", "stream_batch"]
