"""The classroom app's thousand scenarios, run in worker processes: the server's sessions share one Python
interpreter (and its lock), so a batch run in the server would wait for, and slow down, every session that steps or
plays. Here a batch is split into ``workers`` parts that run side by side, each reporting the day it has reached
through shared memory, so the page shows progress. The parts' outcomes are those of ``run_batch`` on the same
config: a scenario's draws depend only on its index.

This module imports no web framework: the workers are forked from a server process that loaded only it (and the
model), which starts them in well under a second.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pandas as pd

from sim.batch import BatchResult, run_chunk
from sim.config import Config
from sim.tables import outcome_frame

SLOTS = 64  # progress counters shared with the workers: parts of batches in flight at once, across sessions
_progress = None  # in a worker: the shared counters


def _init(progress, owner: int) -> None:
    global _progress
    _progress = progress
    threading.Thread(target=_exit_with, args=(owner,), daemon=True).start()


def _exit_with(owner: int) -> None:
    """End this worker once the process that started the pool is gone. A pool's workers hold both ends of its
    queues, so they would otherwise wait for work forever after a server killed without shutting its pool down
    (and keep their fork server alive)."""
    while True:
        time.sleep(2)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # alive, another user's: not ours to judge
            continue


def _part(config: Config, scenarios: np.ndarray, slot: int) -> pd.DataFrame:
    """Run one part of a batch in a worker, counting its days in ``slot``."""
    days = 0

    def on_day(_live: int) -> None:
        nonlocal days
        days += 1
        _progress[slot] = days

    chunk = run_chunk(config, scenarios, on_day=on_day if slot >= 0 else None)
    return outcome_frame(chunk.scenarios, chunk.outcomes, chunk.param_columns)


def _ready() -> int:
    return os.getpid()


class BatchPool:
    """Worker processes for batches, shared by the sessions of one server, started on first use."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(1, min(2, os.cpu_count() or 1))
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._counters = None
        self._free: list[int] = []

    def _start(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                methods = multiprocessing.get_all_start_methods()
                context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
                if "forkserver" in methods:
                    context.set_forkserver_preload([__name__])
                self._counters = context.Array("q", SLOTS, lock=False)
                self._free = list(range(SLOTS))
                self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init,
                                                     initargs=(self._counters, os.getpid()))
            return self._executor

    def warm(self) -> None:
        """Start the workers now (a page calls this when it opens), so the first batch does not wait for them."""
        executor = self._start()
        for future in [executor.submit(_ready) for _ in range(self.workers)]:
            future.result()

    def run(self, config: Config, on_progress: Callable[[float], None] | None = None,
            every_s: float = 0.1) -> BatchResult:
        """All scenarios of ``config`` in ``workers`` parts; ``on_progress(share of days done)`` every ``every_s``."""
        started = time.perf_counter()
        try:
            return self._run(config, on_progress, every_s, started)
        except BrokenProcessPool:  # a worker died (killed, out of memory): start afresh once
            with self._lock:
                self._executor = None
            return self._run(config, on_progress, every_s, started)

    def _run(self, config: Config, on_progress, every_s: float, started: float) -> BatchResult:
        executor = self._start()
        parts = [p for p in np.array_split(np.arange(*config.scenario_range), self.workers) if len(p)]
        with self._lock:
            slots = [self._free.pop() if self._free else -1 for _ in parts]
        try:
            for slot in slots:
                if slot >= 0:
                    self._counters[slot] = 0
            futures = [executor.submit(_part, config, part, slot) for part, slot in zip(parts, slots, strict=True)]
            while not all(f.done() for f in futures):
                if on_progress is not None:
                    on_progress(self._share(futures, slots, config.horizon_days))
                wait(futures, timeout=every_s)  # returns as soon as the parts are done, not at the next tick
            frames = [f.result() for f in futures]
        finally:
            with self._lock:
                self._free.extend(s for s in slots if s >= 0)
        if on_progress is not None:
            on_progress(1.0)
        return BatchResult(config, pd.concat(frames), elapsed_s=time.perf_counter() - started)

    def _share(self, futures, slots, horizon: int) -> float:
        done = [1.0 if f.done() else (self._counters[s] / horizon if s >= 0 else 0.0)
                for f, s in zip(futures, slots, strict=True)]
        return min(1.0, sum(done) / len(done))

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(cancel_futures=True)
                self._executor = None
