"""Fingerprints of the outcome tables of every preset and every experiment job, for refactors that must not
change results.

    python tests/regression/table_hashes.py write [PATH]   # fingerprint the current code (default: stdout)
    python tests/regression/table_hashes.py check PATH [--rename OLD=NEW ...]

Each table is run at a fixed seed and size through the public API (``compose_config``, ``run_batch``) and
written to parquet; the fingerprint is the SHA-256 of each column's values (so a renamed column can be matched
with ``--rename``) and of the parquet bytes of the whole table. ``check`` reports every table and column that
differs; exit status 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
N_SCENARIOS = 600  # large enough that every failure mode and most branches occur, small enough to run in ~1 min
SEED = 20250106


def _column_hash(values: pd.Series) -> str:
    if values.dtype == object:
        data = "\x1f".join(map(str, values.tolist())).encode()
    elif isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        data = np.asarray(values.to_numpy(dtype="float64", na_value=np.nan)).tobytes()
    else:
        data = np.ascontiguousarray(values.to_numpy()).tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def fingerprint(overrides: list[str]) -> dict:
    """Per-column and whole-table hashes of the outcome table of ``overrides``."""
    import sim

    cfg = sim.compose_config([f"seed={SEED}", f"n_scenarios={N_SCENARIOS}", *overrides])
    table = sim.run_batch(cfg, progress=False).outcomes
    buffer = io.BytesIO()
    table.to_parquet(buffer)
    return {"table": hashlib.sha256(buffer.getvalue()).hexdigest()[:16],
            "columns": {str(c): _column_hash(table[c]) for c in table.columns}}


def experiment_jobs() -> list[tuple[str, list[str]]]:
    """(name, overrides) of every job of every sweep experiment (analysis bundles: one job, their distributions)."""
    from omegaconf import OmegaConf

    jobs = []
    for path in sorted((ROOT / "experiments").glob("*.yaml")):
        params = OmegaConf.select(OmegaConf.load(path), "hydra.sweeper.params") or {}
        keys = list(params)
        grids = [str(params[k]).split(",") for k in keys]
        for values in itertools.product(*grids):
            overrides = [f"+experiment={path.stem}", *(f"{k}={v}" for k, v in zip(keys, values, strict=True))]
            jobs.append((" ".join(overrides), overrides))
    return jobs


def presets() -> list[tuple[str, list[str]]]:
    return [(f"scenario={p.stem}", [f"scenario={p.stem}"]) for p in sorted((ROOT / "configs/scenario").glob("*.yaml"))]


def write(path: str | None) -> None:
    prints = {name: fingerprint(overrides) for name, overrides in [*presets(), *experiment_jobs()]}
    text = json.dumps({"seed": SEED, "n_scenarios": N_SCENARIOS, "tables": prints}, indent=1, sort_keys=True)
    if path:
        Path(path).write_text(text + "\n")
    else:
        print(text)


def check(path: str, renames: list[str]) -> int:
    old = json.loads(Path(path).read_text())["tables"]
    rename = dict(r.split("=", 1) for r in renames)
    jobs = dict([*presets(), *experiment_jobs()])
    bad = 0
    for name in sorted(set(old) | set(jobs)):
        if name not in jobs or name not in old:
            print(f"{name}: only in {'the baseline' if name in old else 'the code'}")
            bad += 1
            continue
        new = fingerprint(jobs[name])
        before = {rename.get(c, c): h for c, h in old[name]["columns"].items()}
        diff = sorted(c for c in set(before) | set(new["columns"]) if before.get(c) != new["columns"].get(c))
        same_bytes = new["table"] == old[name]["table"]
        if diff:
            bad += 1
            print(f"{name}: columns differ: {', '.join(diff)}")
        else:
            print(f"{name}: same values{' and bytes' if same_bytes else ' (renamed columns)'}")
    print(f"{len(jobs) - bad} of {len(jobs)} tables unchanged")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("path", nargs="?")
    c = sub.add_parser("check")
    c.add_argument("path")
    c.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    args = parser.parse_args()
    if args.command == "write":
        write(args.path)
        return 0
    return check(args.path, args.rename)


if __name__ == "__main__":
    sys.exit(main())
