"""Memory planning: whether a batch fits in memory before it starts, and the chunk size it can use.

A chunk's bytes are estimated from the layout of its arrays (one scenario built and stepped once, so a field added
to ``State`` counts) against a share of the memory available (``/proc/meminfo``, a cgroup limit or
``CEASEFIRE_SIM_MEMORY_BYTES``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from sim.config import Config, ConfigError, Spec
from sim.design import encode_fixed, member_slots
from sim.engine import initial_state, step
from sim.observables import OUTCOMES, SERIES
from sim.parameters import PARAMS
from sim.rng import Streams
from sim.state import Params

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


def memory_cap() -> int | None:
    """``CEASEFIRE_SIM_MEMORY_BYTES`` in bytes (None when unset); ``ConfigError`` naming the variable for anything
    but a whole number of bytes, at least 1 (``4000000000`` or ``4e9``; not ``4GB``, ``nan`` or ``inf``)."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if not raw:
        return None
    try:
        value = int(raw) if raw.lstrip("+-").isdigit() else float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value == int(value) and value >= 1):
        raise ConfigError(f"{MEMORY_ENV}={raw!r} is not allowed; allowed: a whole number of bytes, at least 1 "
                          "(e.g. 4000000000 or 4e9 for 4 GB), or unset to use the memory available")
    return int(value)


def _available() -> tuple[int | None, bool]:
    """Bytes this process can still allocate, and whether ``CEASEFIRE_SIM_MEMORY_BYTES`` is what limits them."""
    from_env = memory_cap()
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
    if from_env is not None and (not found or from_env <= min(found)):
        return from_env, True
    return (max(min(found), 0) if found else None), False


def available_memory() -> int | None:
    """Bytes this process can still allocate: MemAvailable, capped by a cgroup limit and by MEMORY_ENV."""
    return _available()[0]


@lru_cache(maxsize=64)
def _layout_bytes(slots: int) -> int:
    """Bytes per scenario of the arrays a chunk holds: Params, State (M member slots) and the streams' keys.

    Read from the arrays themselves (one scenario built and stepped once), so a field added to State counts."""
    values = {p.key: encode_fixed(p.key, Spec("fixed", (p.default,)), 1) for p in PARAMS}
    values["coalition.members"] = np.array([slots], dtype=np.int64)
    params = Params.from_columns(values, seed=0, horizon_days=1, collapse_level=3, member_slots=max(1, slots))
    streams = Streams(0, np.arange(1))
    state, _today = step(initial_state(params, streams), params, streams, 1)
    arrays = [*params.columns().values(), *vars(state).values(), *streams.key_arrays()]
    return int(sum(a.nbytes for a in arrays))


def _gib(n: float) -> str:
    if n < 2**20:  # below a MiB "0.0 MiB" would hide the number
        return f"{n:,.0f} bytes"
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
    slots = member_slots(config)
    sampled = len(config.sampled_keys)
    days = config.horizon_days // trajectory_every + 1 if trajectories else 0
    per_scenario = int(STEP_OVERHEAD * (_layout_bytes(slots) + 8 * (len(OUTCOMES) + sampled))
                       + TRAJECTORY_OVERHEAD * 8 * len(SERIES) * days)
    row_bytes = int(KEPT_OVERHEAD * 8 * (len(OUTCOMES) + 1 + sampled)  # + 1: the index
                    + KEPT_TRAJECTORY_OVERHEAD * 8 * (len(SERIES) + 2) * days)  # + 2: scenario and day columns
    strata = config.n_scenarios * (STRATA_BYTES * sampled + STRATA_PEAK_BYTES) if sampled else 0
    fixed = 8 * n + kept * row_bytes + processes * strata  # 8: the scenario index array
    capped = False
    if available is None:
        available, capped = _available()
    if available is None:
        return MemoryPlan(chunk, per_scenario, fixed, None)
    budget = int(MEMORY_SHARE * available)
    room = (f"{_gib(budget)} ({MEMORY_SHARE:.0%} of the {_gib(available)} available"
            + (f", as {MEMORY_ENV}={os.environ[MEMORY_ENV].strip()} sets" if capped else "") + ")")
    if kept * row_bytes > budget:
        kind = "outcome and trajectory tables" if trajectories else "outcome table"
        head = (f"{what} keeps the {kind} of all {kept:,} scenarios in memory: about {_gib(kept * row_bytes)} "
                f"({row_bytes:,} bytes per scenario), more than {room}; allowed: ")
        if budget < row_bytes:
            raise ResourceError(head + "more memory, as not even one scenario fits")
        raise ResourceError(
            head + f"at most {budget // row_bytes:,} scenarios per run (split the design with shards=k"
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
