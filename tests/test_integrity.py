"""Output integrity: no broken, partial or tampered file ever passes for a result.

Every file a job writes goes through ``sim.io`` (a temporary name, then a rename) and is listed with its size and
SHA-256 in ``manifest.json``, written last. ``check_job`` verifies a job against its manifest; ``sim.report`` and
``sim.report merge`` read only verified jobs, and name the file that failed. Here a real run and a real sharded
sweep (small) are damaged in every way we could think of: a flipped byte, a truncated or deleted file, a truncated,
hand-edited or deleted manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import io, jobs, report
from sim.batch import run_batch, stream_batch
from sim.compose import compose_config
from sim.jobs import MANIFEST_NAME, TABLE_NAME, check_job

ROOT = Path(__file__).resolve().parent.parent


def run_sim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A finished single run with figures (every kind of file a job writes)."""
    base = tmp_path_factory.mktemp("run")
    proc = run_sim("n_scenarios=40", "horizon_days=30", f"hydra.run.dir={base / 'run'}", cwd=base)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return base / "run"


@pytest.fixture(scope="module")
def finished_shards(tmp_path_factory) -> Path:
    """A finished sweep of two shards of one design (jobs 0 and 1)."""
    base = tmp_path_factory.mktemp("sweep")
    proc = run_sim("-m", "shard=0,1", "shards=2", "n_scenarios=30", "horizon_days=20", "output.figures=false",
                   f"hydra.sweep.dir={base / 'sweep'}", cwd=base)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return base / "sweep"


@pytest.fixture
def run_copy(finished_run, tmp_path) -> Path:
    shutil.copytree(finished_run, tmp_path / "run")
    return tmp_path / "run"


def outputs_of(job_dir: Path) -> set[str]:
    """What the job wrote itself: everything but Hydra's .hydra/, the log and the job's lock file."""
    return {p.relative_to(job_dir).as_posix() for p in job_dir.rglob("*")
            if p.is_file() and ".hydra" not in p.parts and p.suffix not in (".log", ".lock")}


# ------------------------------------------------------------------------------------------ what a run writes
def test_every_file_a_run_writes_is_in_its_manifest_with_its_checksum(finished_run):
    manifest = json.loads((finished_run / MANIFEST_NAME).read_text())
    assert outputs_of(finished_run) == set(manifest["files"]) | {MANIFEST_NAME}  # nothing unlisted, no .tmp left
    assert {TABLE_NAME, "config.json", "summary.json", "figures/survival.png", "figures/max_level.pdf"} <= set(
        manifest["files"])
    for rel, listed in manifest["files"].items():
        data = (finished_run / rel).read_bytes()
        assert listed == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, rel
    written_last = max(outputs_of(finished_run), key=lambda rel: (finished_run / rel).stat().st_mtime_ns)
    assert (finished_run / MANIFEST_NAME).stat().st_mtime_ns >= (finished_run / written_last).stat().st_mtime_ns
    assert check_job(finished_run).complete


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_temporary(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    io.write_json(target, {"version": 1})

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        io.write_json(target, {"version": 2}, overwrite=True)
    with pytest.raises(OSError, match="disk full"):
        io.write_json(tmp_path / "new.json", {"version": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]  # no new.json, no .tmp
    assert json.loads(target.read_text()) == {"version": 1}  # the old file intact


def test_a_file_appears_only_complete(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def watching_replace(src, dst):
        seen.append((Path(dst).exists(), Path(src).read_bytes()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watching_replace)
    frame = pd.DataFrame({"collapsed": [True, False]})
    io.write_parquet(tmp_path / TABLE_NAME, frame)
    assert seen == [(False, io.parquet_bytes(frame))]  # the final name appears once, with every byte


def test_a_job_that_dies_before_its_manifest_does_not_count(tmp_path, monkeypatch):
    result = run_batch(compose_config(["n_scenarios=20", "horizon_days=10"]))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(jobs, "write_manifest", killed)
    with pytest.raises(KeyboardInterrupt):
        jobs.write_outputs(result, tmp_path / "job", figures=False)
    assert (tmp_path / "job" / TABLE_NAME).is_file()  # the table is there, complete, but unconfirmed
    assert "did not finish" in check_job(tmp_path / "job").problem
    assert report.main([str(tmp_path / "job")]) == 2  # nothing to report: bad input


def test_an_interrupted_stream_leaves_nothing(tmp_path, monkeypatch):
    from sim import batch

    real = batch.iter_chunks

    def interrupted(*args, **kwargs):
        chunks = real(*args, **kwargs)
        yield next(chunks)
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "iter_chunks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        stream_batch(compose_config(["n_scenarios=50", "horizon_days=10"]), tmp_path / "out.parquet", chunk_size=10)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ damaged runs
def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def edit_manifest(change):
    def apply(path: Path) -> None:
        manifest = json.loads(path.read_text())
        change(manifest)
        path.write_text(json.dumps(manifest))
    return apply


DAMAGE = [  # (what, file, how, the problem check_job names)
    ("a flipped byte in the table", TABLE_NAME, flip_byte, "scenarios.parquet does not match its checksum"),
    ("a truncated table", TABLE_NAME, truncate, "scenarios.parquet does not match its checksum"),
    ("a deleted table", TABLE_NAME, Path.unlink, "scenarios.parquet is listed in the manifest but missing"),
    ("a table of another run", TABLE_NAME, lambda p: io.write_parquet(p, pd.read_parquet(p).iloc[:-1], True),
     "scenarios.parquet does not match its checksum"),
    ("a flipped byte in the summary", "summary.json", flip_byte, "summary.json does not match its checksum"),
    ("an appended config", "config.json", lambda p: p.write_text(p.read_text() + " "),
     "config.json does not match its checksum"),
    ("a deleted figure", "figures/survival.png", Path.unlink, "figures/survival.png is listed in the manifest but"),
    ("a truncated manifest", MANIFEST_NAME, truncate, "manifest.json is unreadable"),
    ("a deleted manifest", MANIFEST_NAME, Path.unlink, "no manifest.json: the job did not finish"),
    ("a manifest without its row count", MANIFEST_NAME, edit_manifest(lambda m: m.pop("rows")),
     "manifest.json is malformed (KeyError: 'rows')"),
    ("a manifest with a checksum missing", MANIFEST_NAME, edit_manifest(lambda m: m["files"][TABLE_NAME].pop(
        "sha256")), "manifest.json is malformed (KeyError: 'sha256')"),
    ("a manifest listing a file outside the job", MANIFEST_NAME, edit_manifest(
        lambda m: m["files"].update({"../elsewhere": {"bytes": 0, "sha256": ""}})), "lies outside the job directory"),
    ("a manifest with other row counts", MANIFEST_NAME, edit_manifest(lambda m: m.update(rows=39)),
     "scenarios.parquet has 40 rows; the manifest says 39"),
]


@pytest.mark.parametrize(("what", "name", "damage", "problem"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_a_damaged_run_is_refused_naming_the_file(what, name, damage, problem, run_copy, capsys):
    damage(run_copy / name)
    assert problem in check_job(run_copy).problem
    assert report.main([str(run_copy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {run_copy}: no complete job (") and problem in err
    assert not (run_copy / "sweep.parquet").exists() and not (run_copy / "report.md").exists()


def test_a_damaged_job_of_a_sweep_is_left_out_and_named(finished_shards, tmp_path, capsys):
    sweep = tmp_path / "sweep"
    shutil.copytree(finished_shards, sweep)
    flip_byte(sweep / "1" / TABLE_NAME)
    assert report.main([str(sweep)]) == 0  # the intact job still makes a report
    err = capsys.readouterr().err
    assert "1 job(s) missing: 1" in err and "1: scenarios.parquet does not match its checksum in the manifest" in err
    table = pd.read_parquet(sweep / "sweep.parquet")
    assert set(table["job"]) == {0} and len(table) == 15  # nothing of the damaged job was read
    assert "scenarios.parquet does not match its checksum" in (sweep / "report.md").read_text()


def test_a_damaged_shard_is_refused_by_the_merge(finished_shards, tmp_path, capsys):
    shards = tmp_path / "sweep"
    shutil.copytree(finished_shards, shards)
    truncate(shards / "0" / TABLE_NAME)
    out = tmp_path / "merged.parquet"
    assert report.main(["merge", str(shards / "0"), str(shards / "1"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unfinished shard(s)" in err and "scenarios.parquet does not match its checksum" in err
    assert not out.exists()
