"""Reliability (issue 13): no silent wrong result, no lost or mixed-up run, and every failure one clear line.

- One writer per job directory (a lock held for the whole job; a second writer waits, then finds the job done or
  refuses), one sweep per sweep directory (a second is refused), each checked with real ``python -m sim`` processes.
- A directory named by the time is new for every run, even for runs started in the same second.
- Jobs and workers end when the command that started them is killed alone (``kill -9``).
- The report counts exactly the jobs of the sweep in ``multirun.yaml``.
- Ctrl-C, a full disk, a read-only directory: one line, exit status 130 or 1, and nothing that could pass for a
  result (bad input, damaged records of a sweep or a job included, is in tests/test_bad_input.py).
- Truncated normals sampled correctly in the far tails (against ``scipy.stats.truncnorm``), output files that
  respect the umask, no more worker processes than chunks or cores, warnings where input is resolved silently.

Processes are small (tens of scenarios, short horizons) except where a job must still be running when it is
interrupted; every process a test starts is killed with its process group when the test ends.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from sim import io, jobs, report
from sim.__main__ import main, plan_jobs
from sim.batch import available_cores, run_batch, stream_batch
from sim.compose import compose_config
from sim.config import Spec
from sim.design import inverse_cdf
from sim.jobs import JOB_LOCK, MANIFEST_NAME, TABLE_NAME, check_job, locked, merge_shards

ROOT = Path(__file__).resolve().parent.parent
TINY = ["n_scenarios=20", "horizon_days=10", "output.figures=false"]
LINUX = sys.platform.startswith("linux")


# ------------------------------------------------------------------------------------------ helpers
@pytest.fixture
def launch(tmp_path):
    """``launch(*args, name=...)``: start ``python -m sim ARGS`` in tmp_path (its own process group, output in
    NAME.out / NAME.err); every process started is killed with its group at the end of the test."""
    started = []

    def start(*args: str, name: str = "sim", env: dict | None = None, module: str = "sim") -> subprocess.Popen:
        with open(tmp_path / f"{name}.out", "w") as out, open(tmp_path / f"{name}.err", "w") as err:
            proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=tmp_path, stdout=out, stderr=err,
                                    env=env, start_new_session=True)
        proc.name = name
        started.append(proc)
        return proc

    yield start
    for proc in started:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def output(tmp_path: Path, proc: subprocess.Popen) -> tuple[str, str]:
    """What a launched process wrote to stdout and stderr so far."""
    return (tmp_path / f"{proc.name}.out").read_text(), (tmp_path / f"{proc.name}.err").read_text()


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def finish(proc: subprocess.Popen, timeout: float = 180) -> int:
    return proc.wait(timeout=timeout)


def one_line_error(stderr: str, message: str) -> None:
    lines = [line for line in stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert message in lines[0] and "Traceback" not in stderr


def children() -> dict[int, list[int]]:
    """Parent pid -> its children's pids, from /proc."""
    found: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        found.setdefault(ppid, []).append(int(stat.parent.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    tree, found, todo = children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def grandchildren(pid: int) -> int:
    tree = children()
    return sum(len(tree.get(child, [])) for child in tree.get(pid, []))


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def finished_job(job_dir: Path, *overrides: str, num: int | None = None) -> Path:
    """A finished job written in-process (no Hydra): table, config, summary, manifest."""
    config = compose_config(["n_scenarios=40", "horizon_days=10", *overrides])
    job = {"num": num, "overrides": list(overrides), "experiment": None}
    jobs.write_outputs(run_batch(config, progress=False), job_dir, job, figures=False)
    return job_dir


# ------------------------------------------------------------------------------------------ 1. one writer
@pytest.mark.skipif(not LINUX, reason="flock and /proc")
def test_a_second_writer_of_a_job_waits_for_the_first_then_refuses(tmp_path, launch):
    """Two runs of different configurations into one directory (issue: a manifest of us.resolve=0.8 over the table
    of 0.9). While the test holds the job's lock both wait; released, one runs, the other then finds a finished job
    of another configuration and refuses: the directory holds one consistent job."""
    run = tmp_path / "run"
    with locked(run, JOB_LOCK, "test", wait=False):
        first = launch(*TINY, "us.resolve=0.8", f"hydra.run.dir={run}", name="first")
        second = launch(*TINY, "us.resolve=0.9", f"hydra.run.dir={run}", name="second")
        for proc in (first, second):
            wait_for(lambda p=proc: "is in use by process" in output(tmp_path, p)[0], f"{proc.name} to wait")
        assert not (run / TABLE_NAME).exists() and not (run / MANIFEST_NAME).exists()  # nothing written meanwhile
    codes = {proc.name: finish(proc) for proc in (first, second)}
    assert sorted(codes.values()) == [0, 2], codes
    winner = next(p for p in (first, second) if codes[p.name] == 0)
    loser = next(p for p in (first, second) if codes[p.name] == 2)
    one_line_error(output(tmp_path, loser)[1], f"{run} holds a finished run of a different configuration (us: ")
    status = check_job(run)
    assert status.complete
    resolve = 0.8 if winner is first else 0.9
    assert status.manifest["config"]["us"]["resolve"] == resolve
    assert json.loads((run / "config.json").read_text())["us"]["resolve"] == resolve  # the files are the manifest's
    assert status.manifest["job"]["overrides"] == [*TINY, f"us.resolve={resolve}"]


@pytest.mark.skipif(not LINUX, reason="flock and /proc")
def test_a_sweep_directory_takes_one_sweep_at_a_time(tmp_path, launch):
    """A second sweep into a directory that a sweep is writing into is refused at once (exit 1), naming the
    process; the first finishes untouched and the report shows its jobs only."""
    sweep = tmp_path / "sweep"
    with locked(sweep / "0", JOB_LOCK, "test", wait=False):  # holds the first sweep at its job 0
        first = launch("-m", *TINY, "seed=1,2", f"hydra.sweep.dir={sweep}", name="first")
        wait_for(lambda: "is in use by process" in output(tmp_path, first)[0], "the first sweep to start job 0")
        second = launch("-m", *TINY, "seed=3,4", f"hydra.sweep.dir={sweep}", name="second")
        assert finish(second) == 1
        one_line_error(output(tmp_path, second)[1], f"{sweep} is in use by process {first.pid} (another sweep "
                                                    "writing into it); allowed: wait for it to finish, or another")
        assert first.poll() is None
    assert finish(first) == 0, output(tmp_path, first)[1]
    assert [check_job(sweep / str(n)).manifest["seed"] for n in (0, 1)] == [1, 2]
    assert report.main([str(sweep)]) == 0
    assert sorted(set(pd.read_parquet(sweep / "sweep.parquet")["seed"])) == [1, 2]


# ------------------------------------------------------------------------------------------ 4. own directories
def test_runs_and_sweeps_started_together_get_directories_of_their_own(tmp_path, launch):
    """Directories named by the time (here by the year, so that the names surely collide) are created
    exclusively: the second run gets NAME_2, with its own .hydra/ and results."""
    year = time.strftime("%Y")
    runs = [launch(*TINY, f"seed={seed}", "hydra.run.dir=out/${now:%Y}", name=f"run{seed}") for seed in (1, 2)]
    sweeps = [launch("-m", *TINY, f"seed={seed},{seed + 10}", "hydra.sweep.dir=multi/${now:%Y}", name=f"sweep{seed}")
              for seed in (1, 2)]
    for proc in runs + sweeps:
        assert finish(proc) == 0, output(tmp_path, proc)[1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [year, f"{year}_2"]
    seeds = set()
    for run in (tmp_path / "out").iterdir():
        manifest = check_job(run).manifest
        seeds.add(manifest["seed"])
        overrides = (run / ".hydra" / "overrides.yaml").read_text()
        assert f"seed={manifest['seed']}" in overrides  # Hydra's record is this run's
    assert seeds == {1, 2}
    assert sorted(p.name for p in (tmp_path / "multi").iterdir()) == [year, f"{year}_2"]
    firsts = sorted(check_job(d / "0").manifest["seed"] for d in (tmp_path / "multi").iterdir())
    assert firsts == [1, 2]


# ------------------------------------------------------------------------------------------ 5. parent death
@pytest.mark.skipif(not LINUX or available_cores() < 2, reason="/proc; two cores for output.workers=2")
def test_killing_the_command_alone_stops_its_jobs_and_their_workers(tmp_path, launch):
    """kill -9 of `python -m sim` alone (not its process group): its joblib jobs and their output.workers
    processes end within seconds, and the jobs' locks are free for a rerun."""
    sweep = tmp_path / "sweep"
    proc = launch("-m", "n_scenarios=100000,100001", "horizon_days=400", "output.figures=false", "output.workers=2",
                  "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}")
    logs = [sweep / str(n) / "__main__.log" for n in (0, 1)]
    wait_for(lambda: all(log.is_file() and "scenarios 0.." in log.read_text() for log in logs), "both jobs to start")
    wait_for(lambda: grandchildren(proc.pid) >= 4, "the jobs' worker processes")
    below = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in below if running(pid)], "processes outlived the command"
    for n in (0, 1):
        with locked(sweep / str(n), JOB_LOCK, "test", wait=False):  # free: a rerun would not wait
            assert not (sweep / str(n) / MANIFEST_NAME).exists()


@pytest.mark.skipif(not LINUX, reason="pidfd")
def test_a_process_ends_with_the_command_it_was_started_for(tmp_path):
    """``stop_with`` and ``end_with_the_command`` (the job's side, through CEASEFIRE_SIM_PARENT): a process ends
    as soon as its command ends; a job on another host does not (a SLURM job outlives the submitting command)."""
    command = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    code = ("import sys, time; from sim.batch import stop_with; from sim.jobs import end_with_the_command; "
            "stop_with(int(sys.argv[1])) if sys.argv[2] == 'pid' else end_with_the_command(); "
            "time.sleep(int(sys.argv[3]))")
    env = {**os.environ, jobs.PARENT_ENV: f"{socket.gethostname()}:{command.pid}"}
    elsewhere = {**os.environ, jobs.PARENT_ENV: f"not-{socket.gethostname()}:{command.pid}"}
    ends = [subprocess.Popen([sys.executable, "-c", code, str(command.pid), how, "60"], env=env, cwd=ROOT)
            for how in ("pid", "env")]
    stays = subprocess.Popen([sys.executable, "-c", code, str(command.pid), "env", "6"], env=elsewhere, cwd=ROOT)
    try:
        command.wait()
        assert [p.wait(timeout=30) for p in ends] == [-signal.SIGKILL, -signal.SIGKILL]
        assert stays.wait(timeout=60) == 0
    finally:
        for p in (*ends, stays):
            p.kill()
            p.wait()


# ------------------------------------------------------------------------------------------ 6. the report
def test_the_report_counts_exactly_the_jobs_of_the_sweep(tmp_path, launch):
    """A sweep of two values, then one of a single value into the same directory: the report counts the one job
    of the sweep that multirun.yaml records (it said "2 of 1 jobs complete")."""
    sweep = tmp_path / "sweep"
    for name, seeds in (("wide", "1,2"), ("narrow", "1")):
        proc = launch("-m", *TINY, f"seed={seeds}", f"hydra.sweep.dir={sweep}", name=name)
        assert finish(proc) == 0, output(tmp_path, proc)[1]
    assert check_job(sweep / "1").complete  # left by the first sweep, not a job of the second
    result = report.write_report(sweep)
    assert result["jobs"] == 1 and result["missing"] == []
    assert set(pd.read_parquet(sweep / "sweep.parquet")["job"]) == {0}
    assert "1 of 1 jobs complete" in (sweep / "report.md").read_text()


# ------------------------------------------------------------------------------------------ 7. failures
@pytest.mark.skipif(not LINUX, reason="process groups")
@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_ctrl_c_ends_with_status_130_one_line_and_nothing_counted(kind, tmp_path, launch):
    out = tmp_path / kind
    big = ["n_scenarios=200000", "horizon_days=400", "output.figures=false"]
    args = [*big, f"hydra.run.dir={out}"] if kind == "run" else [
        "-m", *big, "seed=1,2", "output.workers=2", f"hydra.sweep.dir={out}"]
    proc = launch(*args)
    log = out / ("__main__.log" if kind == "run" else "0/__main__.log")
    wait_for(lambda: log.is_file() and "scenarios 0.." in log.read_text(), "the job to start")
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends Ctrl-C: to the whole process group
    assert finish(proc, timeout=60) == 130
    key = "hydra.run.dir" if kind == "run" else "hydra.sweep.dir"
    one_line_error(output(tmp_path, proc)[1], f"error: interrupted (Ctrl-C); {out}: a job that did not finish left "
                                              f"nothing that counts as a result; to finish the {kind}, run the same "
                                              f"command with {key}={out}")
    assert not list(out.rglob(MANIFEST_NAME))


FULL_DISK = """
import errno, os, runpy, sys
import sim.io as io

def full(path, data, overwrite=False):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

io.atomic_write_bytes = full
sys.argv = ["sim", *sys.argv[1:]]
runpy.run_module("sim", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("sweep", [False, True])
def test_a_full_disk_is_one_line_and_exit_status_1(sweep, tmp_path):
    out = tmp_path / "out"
    args = ["-m", *TINY, "seed=1,2", f"hydra.sweep.dir={out}"] if sweep else [*TINY, f"hydra.run.dir={out}"]
    proc = subprocess.run([sys.executable, "-c", FULL_DISK, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 1
    table = out / ("0" if sweep else "") / TABLE_NAME
    one_line_error(proc.stderr, f"error: {table}: No space left on device")
    assert not list(out.rglob(MANIFEST_NAME)) and not list(out.rglob(TABLE_NAME))


@pytest.fixture
def read_only(tmp_path):
    """A read-only directory: mode 0555, or for root (whom modes do not stop) a read-only bind mount of it."""
    path = tmp_path / "ro"
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    if subprocess.run(["mount", "--bind", "-o", "ro", str(path), str(path)], capture_output=True).returncode:
        pytest.skip("no read-only bind mount here")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.mark.skipif(not LINUX, reason="bind mounts")
def test_a_read_only_directory_is_one_line_and_exit_status_1(read_only, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for args, key, where in (([*TINY, "hydra.run.dir={d}/run"], "hydra.run.dir", "run"),
                             ([*TINY, "hydra.run.dir={d}"], "hydra.run.dir", ""),
                             (["-m", *TINY, "seed=1,2", "hydra.sweep.dir={d}"], "hydra.sweep.dir", "")):
        target = read_only / where if where else read_only
        monkeypatch.setattr(sys, "argv", ["python -m sim", *(a.format(d=read_only) for a in args)])
        with pytest.raises(SystemExit) as info:
            main()
        assert info.value.code == 1
        err = capsys.readouterr().err
        one_line_error(err, f"error: {key}={str(target).rstrip('/')}: cannot write into it: ")
        assert "Read-only file system" in err or "Permission denied" in err
    assert list(read_only.iterdir()) == []
    finished_job(tmp_path / "job")
    assert report.main([str(tmp_path / "job"), "--out", str(read_only)]) == 1
    assert capsys.readouterr().err.startswith(f"error: cannot write the report: {read_only}/")
    shard = finished_job(tmp_path / "shard")
    assert report.main(["merge", str(shard), "--out", str(read_only / "merged.parquet")]) == 1
    assert capsys.readouterr().err.startswith(f"error: cannot write --out {read_only / 'merged.parquet'}: ")


# ------------------------------------------------------------------------------------------ 2. truncnormal
TRUNCNORMAL = [  # (mean, sd, low, high): far tails above and below, a narrow tail, and the ordinary case
    (-3.0, 0.3, 0.0, 1.0),  # 10 sd below the interval: used to sample 1.0 every time (true mean 0.029)
    (50.0, 1.0, 0.0, 1.0),  # 49 sd above, beyond ndtr's range: used to sample 0.0 (true mean 0.98)
    (0.5, 0.05, 0.9, 1.0),  # 8-10 sd above the mean: used to give 7 distinct values
    (-40.0, 1.0, 0.0, 1.0),  # ndtr underflows below -37: log space
    (0.5, 0.2, 0.0, 1.0),
    (0.9, 0.01, 0.0, 1.0),
    (10.0, 3.0, 0.0, 5.0),
]


@pytest.mark.parametrize(("mean", "sd", "low", "high"), TRUNCNORMAL)
def test_truncnormal_matches_scipy_in_every_tail(mean, sd, low, high):
    n = 20_000
    u = (np.arange(n) + 0.5) / n
    values = inverse_cdf(Spec("truncnormal", (mean, sd, low, high)), u)
    a, b = (low - mean) / sd, (high - mean) / sd
    expected = stats.truncnorm.ppf(u, a, b, loc=mean, scale=sd)
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-9 * (high - low))
    assert values.mean() == pytest.approx(stats.truncnorm.mean(a, b, loc=mean, scale=sd), rel=1e-4)
    assert len(np.unique(values)) > 0.99 * n and low <= values.min() and values.max() <= high


def test_truncnormal_keeps_the_old_values_where_they_were_exact():
    """An interval holding the mean or lying below it (not beyond ndtr's range) maps exactly as before."""
    u = np.random.default_rng(1).random(1000)
    for mean, sd, low, high in ((0.5, 0.2, 0.0, 1.0), (0.9, 0.01, 0.0, 1.0), (10.0, 3.0, 0.0, 5.0)):
        lo, hi = special.ndtr((low - mean) / sd), special.ndtr((high - mean) / sd)
        old = np.clip(mean + sd * special.ndtri(lo + u * (hi - lo)), low, high)
        assert np.array_equal(inverse_cdf(Spec("truncnormal", (mean, sd, low, high)), u), old)


def test_a_far_tail_truncnormal_runs_with_its_true_mean():
    config = compose_config(["n_scenarios=400", "horizon_days=1",
                             "us.resolve={dist:truncnormal,mean:-3,sd:0.3,low:0,high:1}"])
    drawn = run_batch(config, progress=False).outcomes["us.resolve"]
    assert drawn.mean() == pytest.approx(0.0294, abs=0.002) and drawn.nunique() == 400


# ------------------------------------------------------------------------------------------ 9. umask
@pytest.mark.parametrize("umask", [0o027, 0o002])
def test_output_files_respect_the_umask(umask, tmp_path):
    previous = os.umask(umask)
    try:
        io.write_json(tmp_path / "a.json", {})
        stream_batch(compose_config(["n_scenarios=5", "horizon_days=2"]), tmp_path / "b.parquet", progress=False)
        job = finished_job(tmp_path / "job")
    finally:
        os.umask(previous)
    for path in (tmp_path / "a.json", tmp_path / "b.parquet", job / TABLE_NAME, job / MANIFEST_NAME):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path


# ------------------------------------------------------------------------------------------ 10. workers
def test_workers_are_capped_at_the_chunks_and_the_cores(monkeypatch, caplog):
    import concurrent.futures

    sizes = []
    real = concurrent.futures.ProcessPoolExecutor

    def recording(max_workers, **kwargs):
        sizes.append(max_workers)
        return real(max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", recording)
    config = compose_config(["n_scenarios=30", "horizon_days=10"])
    alone = run_batch(config, chunk_size=10, progress=False).outcomes
    monkeypatch.setattr("sim.batch.available_cores", lambda: 64)
    with caplog.at_level(logging.INFO, logger="sim.batch"):
        pd.testing.assert_frame_equal(run_batch(config, chunk_size=10, workers=8, progress=False).outcomes, alone)
    assert sizes == [3] and not caplog.records  # three chunks, three processes; the cores did not cap them
    monkeypatch.setattr("sim.batch.available_cores", lambda: 2)
    with caplog.at_level(logging.INFO, logger="sim.batch"):
        pd.testing.assert_frame_equal(run_batch(config, chunk_size=10, workers=8, progress=False).outcomes, alone)
    assert sizes == [3, 2]
    assert [r.getMessage() for r in caplog.records] == [
        "workers=8 is more than the 2 cores available: running 2 processes"]


# ------------------------------------------------------------------------------------------ 11. warnings
def test_input_resolved_silently_is_warned_about(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notes = plan_jobs(["us.resolve=0.5", "us.resolve=0.7"], multirun=False).notes
    assert notes == ["us.resolve=0.5, us.resolve=0.7: the same key given 2 times; the last, us.resolve=0.7, applies"]
    notes = plan_jobs(["+experiment=plans"], multirun=False).notes
    assert notes == ["+experiment=plans without -m is one run of the experiment's fixed settings; its sweep over "
                     "scenario runs with -m"]
    assert plan_jobs(["+experiment=plans"], multirun=True).notes == []
    assert plan_jobs(["hydra.run.dir="], multirun=False).notes == [
        f"hydra.run.dir is empty: the outputs go into the current directory, {tmp_path}"]
    assert plan_jobs(["seed=1,2"], multirun=True).notes == []
    proc = subprocess.run([sys.executable, "-m", "sim", *TINY, "us.resolve=0.5", "us.resolve=0.7", "hydra.run.dir="],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "warning: us.resolve=0.5, us.resolve=0.7: the same key given 2 times; the last, us.resolve=0.7, applies",
        f"warning: hydra.run.dir is empty: the outputs go into the current directory, {tmp_path}"]
    assert check_job(tmp_path).manifest["config"]["us"]["resolve"] == 0.7


def test_a_resumed_job_draws_the_figures_it_ran_without_and_ignores_chunk_size(tmp_path):
    run = tmp_path / "run"
    first = subprocess.run([sys.executable, "-m", "sim", *TINY, "chunk_size=5", f"hydra.run.dir={run}"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert first.returncode == 0, first.stderr
    table = (run / TABLE_NAME).read_bytes()
    assert "figures/survival.png" not in check_job(run).manifest["files"]
    again = subprocess.run([sys.executable, "-m", "sim", "n_scenarios=20", "horizon_days=10", "output.figures=true",
                            "chunk_size=7", f"hydra.run.dir={run}"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=180)
    assert again.returncode == 0, again.stderr
    assert "drew the figures it had run without" in again.stdout
    status = check_job(run)
    assert status.complete and {f"figures/{n}.png" for n in jobs.FIGURE_NAMES} <= set(status.manifest["files"])
    assert (run / TABLE_NAME).read_bytes() == table  # resumed, not re-run
    assert status.manifest["config"]["chunk_size"] == 5


def test_errno_of_a_path_decides_bad_input_or_environment():
    assert io.exit_status(NotADirectoryError(errno.ENOTDIR, "Not a directory", "x")) == 2
    assert io.exit_status(FileExistsError("x exists; refusing to overwrite a finished output")) == 2
    for code in (errno.EACCES, errno.EROFS, errno.ENOSPC, errno.ENOENT):
        assert io.exit_status(OSError(code, os.strerror(code), "x")) == 1
    assert io.describe_os_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/d/f")) == (
        "/d/f: No space left on device")


def test_the_shards_of_a_sweep_merge_after_a_sweep_lock_was_left_behind(tmp_path):
    """A killed sweep leaves its (released) lock file: nothing reads it as a job, and a rerun takes it."""
    shards = [finished_job(tmp_path / "sweep" / str(i), "n_scenarios=40", "shards=2", f"shard={i}", num=i)
              for i in (0, 1)]
    (tmp_path / "sweep" / jobs.SWEEP_LOCK).write_text("12345\n")
    assert merge_shards(shards).index.tolist() == list(range(40))
    with locked(tmp_path / "sweep", jobs.SWEEP_LOCK, "test", wait=False):
        assert (tmp_path / "sweep" / jobs.SWEEP_LOCK).read_text() == f"{os.getpid()}\n"
