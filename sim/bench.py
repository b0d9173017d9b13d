"""Benchmark: ``python -m sim.bench`` prints a table and JSON of speed and memory, measured in one run.

Measures, on the default preset (coalition_us_backstop, 1095 days):
- the batch engine's scenario-days per second at 1e3, 1e4 and 1e5 scenarios (one process);
- ``mesa.batch_run`` over ``CeasefireModel`` on a sample of the same scenarios, and the ratio;
- the batch split over the machine's cores (processes, each a range of scenarios) against one core, with a
  check that outcomes are identical;
- peak resident memory of 1e6 scenarios streamed chunk by chunk to parquet (a child process; its own peak and
  its workers' peaks are reported, and their sum bounds the total).

A scenario-day is one scenario advanced by one day; scenarios that collapse stop early, so the count uses the
days actually simulated (the sum of ``end_day``). ``--quick`` shrinks every size for a fast check.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.batch import run_batch, stream_batch
from sim.compose import compose_config


def _rate(outcomes: pd.DataFrame, seconds: float) -> float:
    return float(outcomes["end_day"].sum()) / seconds


def batch_speed(n: int, workers: int = 1, chunk_size: int = 10000) -> dict:
    """Scenario-days per second of ``run_batch`` on ``n`` scenarios of the default preset."""
    config = compose_config([f"n_scenarios={n}"])
    started = time.perf_counter()
    result = run_batch(config, chunk_size=chunk_size, workers=workers, progress=False)
    seconds = time.perf_counter() - started
    return {"scenarios": n, "workers": workers, "seconds": seconds,
            "scenario_days": int(result.outcomes["end_day"].sum()),
            "scenario_days_per_s": _rate(result.outcomes, seconds), "outcomes": result.outcomes}


def mesa_speed(n_models: int, processes: int = 1, n_design: int = 10000) -> dict:
    """Scenario-days per second of ``mesa.batch_run`` over ``CeasefireModel`` for scenarios 0..n_models-1."""
    import mesa

    from sim.model import CeasefireModel

    config = compose_config([f"n_scenarios={n_design}"])
    started = time.perf_counter()
    runs = mesa.batch_run(CeasefireModel, parameters={"config": [config], "scenario": list(range(n_models)),
                                                          "collect": "outcome"},
                          iterations=1, max_steps=config.horizon_days + 1, number_processes=processes,
                          data_collection_period=-1, display_progress=False)
    seconds = time.perf_counter() - started
    # batch_run gives one row per agent of each run: count each run's days once.
    days = sum(int(end) for end in {row["RunId"]: row["end_day"] for row in runs}.values())
    return {"models": n_models, "processes": processes, "seconds": seconds, "scenario_days": days,
            "scenario_days_per_s": days / seconds}


def _child_stream(n: int, workers: int, chunk_size: int, path: str) -> None:
    config = compose_config([f"n_scenarios={n}"])
    info = stream_batch(config, path, chunk_size=chunk_size, workers=workers, progress=False)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps({**info, "peak_rss_main_bytes": own, "peak_rss_largest_worker_bytes": children}))


def stream_memory(n: int, workers: int, chunk_size: int = 10000) -> dict:
    """Run ``n`` scenarios streamed to parquet in a fresh process; returns its peak memory and throughput."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenarios.parquet"
        cmd = [sys.executable, "-m", "sim.bench", "--stream-child", str(n), str(workers), str(chunk_size), str(path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        info["file_bytes"] = path.stat().st_size
        days = pd.read_parquet(path, columns=["end_day"])["end_day"].sum()
    info["scenarios"], info["workers"] = n, workers
    info["scenario_days_per_s"] = float(days) / info["elapsed_s"]
    total = info["peak_rss_main_bytes"] + workers * info["peak_rss_largest_worker_bytes"]
    info["peak_rss_total_bound_bytes"] = total
    return info


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m sim.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a check that the benchmark runs)")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    parser.add_argument("--stream-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_child:
        n, workers, chunk, path = args.stream_child
        _child_stream(int(n), int(workers), int(chunk), path)
        return {}
    cores = os.cpu_count() or 1
    sizes = (1000, 3000, 10000) if args.quick else (1000, 10000, 100000)
    n_mesa = 3 if args.quick else 20
    n_stream = 20000 if args.quick else 1000000
    report: dict = {"machine": {"cpus": cores, "python": platform.python_version(),
                                "processor": platform.processor() or platform.machine(),
                                "numpy": np.__version__}, "preset": "coalition_us_backstop", "horizon_days": 1095}

    batch = {n: batch_speed(n) for n in sizes}
    report["batch"] = [{k: v for k, v in b.items() if k != "outcomes"} for b in batch.values()]
    mesa_run, mesa_all = mesa_speed(n_mesa), mesa_speed(n_mesa, processes=cores)
    report["mesa"] = [mesa_run, mesa_all]
    best_single = max(b["scenario_days_per_s"] for b in batch.values())
    report["batch_over_mesa_one_core"] = best_single / mesa_run["scenario_days_per_s"]

    parallel = batch_speed(sizes[-1], workers=cores, chunk_size=min(10000, -(-sizes[-1] // cores)))
    report["batch_over_mesa_all_cores"] = parallel["scenario_days_per_s"] / mesa_all["scenario_days_per_s"]
    single = batch[sizes[-1]]
    report["multicore"] = {
        "scenarios": sizes[-1], "workers": cores,
        "one_core_scenario_days_per_s": single["scenario_days_per_s"],
        "all_cores_scenario_days_per_s": parallel["scenario_days_per_s"],
        "speedup": parallel["scenario_days_per_s"] / single["scenario_days_per_s"],
        "identical_outcomes": bool(parallel["outcomes"].equals(single["outcomes"])),
    }
    report["stream"] = stream_memory(n_stream, cores)

    gib = 2**30
    speedup_label = f"speedup 1 -> {cores} cores (identical: {report['multicore']['identical_outcomes']})"
    lines = [
        f"machine: {cores} cpus, Python {report['machine']['python']}, numpy {np.__version__}",
        f"{'measure':44s} {'value':>16s}",
    ]
    for b in report["batch"]:
        lines.append(f"{'batch, ' + format(b['scenarios'], ',') + ' scenarios, 1 core':44s} "
                     f"{b['scenario_days_per_s'] / 1e6:13.2f} M/s")
    lines += [
        f"{'mesa.batch_run, ' + str(n_mesa) + ' models, 1 process':44s} "
        f"{mesa_run['scenario_days_per_s'] / 1e3:13.2f} k/s",
        f"{'mesa.batch_run, ' + str(n_mesa) + ' models, ' + str(cores) + ' processes':44s} "
        f"{mesa_all['scenario_days_per_s'] / 1e3:13.2f} k/s",
        f"{'batch / mesa, one core each (best batch size)':44s} {report['batch_over_mesa_one_core']:15.0f}x",
        f"{'batch / mesa, all cores each':44s} {report['batch_over_mesa_all_cores']:15.0f}x",
        f"{'batch, ' + format(sizes[-1], ',') + ' scenarios, ' + str(cores) + ' cores':44s} "
        f"{report['multicore']['all_cores_scenario_days_per_s'] / 1e6:13.2f} M/s",
        f"{speedup_label:44s} {report['multicore']['speedup']:15.2f}x",
        f"{'streamed ' + format(n_stream, ',') + ' scenarios: peak RSS (bound)':44s} "
        f"{report['stream']['peak_rss_total_bound_bytes'] / gib:12.2f} GiB",
        f"{'streamed ' + format(n_stream, ',') + ' scenarios: throughput':44s} "
        f"{report['stream']['scenario_days_per_s'] / 1e6:13.2f} M/s",
    ]
    print("\n".join(lines))
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return report


if __name__ == "__main__":
    main()
