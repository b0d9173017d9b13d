"""Every kind of bad input, through ``compose_config`` and through the command line: one clear message naming the key.

One table, grouped by kind: wrong types, out-of-range values, unknown keys, unknown presets and experiments,
inconsistent combinations, malformed override syntax, settings only the command line has (Hydra's launcher and
sweep directories, ``--config-name``/``--config-dir``); a single run, a sweep (``-m``) and ``+experiment=``. Each
row is refused by ``compose_config`` with a ``ConfigError`` (where it is a single configuration) and by
``python -m sim`` with exit status 2, one line ``error: ...`` on stderr naming the key, no traceback, and nothing
written: no ``outputs/`` or ``multirun/`` directory at all. tests/test_config.py and tests/test_sweeps.py hold a
first, smaller table; the rows here are the ones they do not have.

The command line runs in-process (``sim.__main__.main``, the console entry point) for the whole table, and as a
real ``python -m sim`` subprocess for one row of each kind.

A second table holds bad input that lives outside the override strings: the environment variable
``CEASEFIRE_SIM_MEMORY_BYTES``, output directories that are files, under files or under ``/proc``, a directory
holding the other kind of run, a config directory with a bad value; each with its exit status (2 bad input, 1 the
environment) and nothing written. A third holds what ``python -m sim.report`` and its ``merge`` are given: a
missing or unreadable record of a sweep, ``--out`` a file or an existing table, a directory that is no job, a
hand-edited manifest (a string where a list or a number belongs), a broken table with a matching checksum. A fourth
holds misuse of the library: each call refused with a clear message. (Issue 13; what needs real processes, a full
disk, a read-only directory or Ctrl-C is in tests/test_reliability.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import io, report
from sim.__main__ import main
from sim.batch import iter_chunks, run_batch, stream_batch
from sim.compose import compose_config
from sim.config import ConfigError, preset_names
from sim.jobs import MANIFEST_NAME, TABLE_NAME, MergeError, check_job, merge_shards, write_outputs
from sim.memory import MEMORY_ENV
from sim.model import CeasefireModel
from sim.parameters import PARAMS

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ", ".join(sorted(preset_names()))  # as Hydra lists a group's options
COALITION_KEYS = ", ".join(sorted(p.name for p in PARAMS if p.group == "coalition"))

# (kind, command-line arguments, what the message must contain; it names the key, or the override it cannot parse)
BAD = [
    # ---- wrong types
    ("type", ["seed=abc"], "seed=abc: Value 'abc' of type 'str' could not be converted to Integer"),
    ("type", ["horizon_days=1.5"], "horizon_days=1.5: Value '1.5' of type 'float' could not be converted"),
    ("type", ["n_scenarios=1e3"], "n_scenarios=1e3: Value '1000.0' of type 'float' could not be converted"),
    ("type", ["chunk_size=true"], "chunk_size=true: Value 'True' of type 'bool' could not be converted"),
    ("type", ["coalition.troops_k=[1,2]"], "coalition.troops_k=[1, 2] must be a number or a distribution"),
    ("type", ["us.resolve=null"], "us.resolve=None must be a number or a distribution"),
    ("type", ["us.resolve='0.5'"], "us.resolve='0.5' must be a number or a distribution"),
    ("type", ["us.resolve=nan"], "us.resolve=nan must be finite"),
    ("type", ["russia.strength_k=-inf"], "russia.strength_k=-inf must be finite"),
    ("type", ["monitoring.regime=3"], "monitoring.regime=3 is not allowed; allowed: none, observers, us_led"),
    ("type", ["output.figures=maybe"], "output.figures=maybe: Value 'maybe' is not a valid bool"),
    ("type", ["us=3"], "us=3: Invalid type assigned: int is not a subclass of UsSchema"),
    ("type", ["us.resolve={dist:uniform,low:a,high:1}"], "us.resolve.low='a' must be a number"),
    ("type", ["coalition.decision_rule={dist:uniform,low:0,high:1}"],
     "coalition.decision_rule: distribution 'uniform' does not fit this parameter; allowed: choice"),
    ("type", ["us.resolve={dist:choice,values:[0.1,0.2]}"],
     "us.resolve: distribution 'choice' does not fit this parameter; allowed: uniform, beta, triangular"),
    # ---- out of range
    ("range", ["horizon_days=0"], "horizon_days=0 is outside [1, 36500]"),
    ("range", ["horizon_days=36501"], "horizon_days=36501 is outside [1, 36500]"),
    ("range", ["collapse_level=5"], "collapse_level=5 is outside [1, 4]"),
    ("range", ["chunk_size=0"], "chunk_size=0 is outside [1, 1e+07]"),
    ("range", ["chunk_size=10000001"], "chunk_size=10000001 is outside [1, 1e+07]"),
    ("range", ["n_scenarios=1000000001"], "n_scenarios=1000000001 is outside [1, 1e+09]"),
    ("range", ["seed=-1"], "seed=-1 is outside [0, 9223372036854775807]"),
    ("range", ["output.workers=0"], "output.workers=0 is outside [1, 1024]"),
    ("range", ["russia.quick_win_ratio=0"], "russia.quick_win_ratio=0.0 is outside [0.01, 100]"),
    ("range", ["us.review_window_days=0.5"], "us.review_window_days=0.5 is outside [1, 3650]"),
    ("range", ["coalition.members=-1"], "coalition.members=-1 is outside [0, 60]"),
    ("range", ["coalition.members=1e9"], "coalition.members=1000000000 is outside [0, 60]"),
    ("range", ["us={resolve:2}"], "us.resolve=2.0 is outside [0, 1]"),
    ("range", ["us.resolve={dist:uniform,low:-0.5,high:0.5}"], "us.resolve.low=-0.5 is outside [0, 1]"),
    ("range", ["coalition.troops_k={dist:triangular,low:0,mode:600,high:100}"],
     "coalition.troops_k.mode=600 is outside [0, 100]"),
    ("range", ["us.resolve={dist:beta,a:0,b:2}"], "us.resolve: beta needs a > 0 and b > 0, got a=0, b=2"),
    ("range", ["us.resolve={dist:truncnormal,mean:0.5,sd:0,low:0,high:1}"], "us.resolve.sd=0 must be > 0"),
    ("range", ["us.resolve={dist:choice,values:[]}"],
     "us.resolve: distribution 'choice' does not fit this parameter; allowed: uniform, beta, triangular, truncnormal"),
    ("range", ["monitoring.regime={dist:choice,values:[drones]}"],
     "monitoring.regime: choice value 'drones' is not one of none, observers, us_led"),
    ("range", ["-m", "us.resolve=0.3,1.4"], "job 1/2 [us.resolve=1.4]: us.resolve=1.4 is outside [0, 1]"),
    # ---- unknown keys
    ("key", ["coalition.troops=3"], f"unknown key coalition.troops; allowed keys in coalition: {COALITION_KEYS}"),
    ("key", ["nosuchgroup.x=1"], "unknown key nosuchgroup; allowed top-level keys: ceasefire, chunk_size,"),
    ("key", ["+bogus=1"], "unknown key(s) ['bogus']; allowed top-level keys: ceasefire, chunk_size,"),
    ("key", ["output.colour=red"], "unknown key output.colour; allowed keys in output: figures, workers"),
    ("key", ["us.resolve={dist:uniform,low:0,high:1,mode:0.5}"],
     "us.resolve: unknown argument(s) ['mode'] for uniform; allowed: low, high"),
    ("key", ["-m", "+experiment=signals", "coalition.troops=3"],
     f"unknown key coalition.troops; allowed keys in coalition: {COALITION_KEYS}"),
    ("key", ["+experiments=plans"], "unknown key(s) ['experiments']; allowed top-level keys: ceasefire, chunk_size, "
                                    "coalition, collapse_level, horizon_days, monitoring, n_scenarios, output, preset, "
                                    "reconstruction, russia, seed, shard, shards, ukraine, us, and the group "
                                    "experiment (+experiment=NAME)"),
    # ---- unknown presets and experiments
    ("option", ["scenario=nowhere"], f"'scenario/nowhere' does not exist; allowed: {PRESETS}"),
    ("option", ["+experiment=nope"], "'experiment/nope' does not exist; allowed: analysis_prim, analysis_sobol"),
    ("option", ["experiment=plans"], "Could not override 'experiment'. No match in the defaults list. To append to "
                                     "your default list use +experiment=plans"),
    ("option", ["scenario=[minsk,bluff]"], "scenario=[minsk,bluff]: scenario takes one option name"),
    ("option", ["+experiment=[plans,signals]"], "+experiment=[plans,signals]: experiment takes one option name"),
    ("option", ["scenario=null"], "scenario=null: scenario takes one option name"),
    ("option", ["~scenario"], "~scenario: every run starts from a preset, which cannot be removed; allowed: "
                              f"scenario=NAME to choose another, one of {PRESETS}"),
    ("option", ["-m", "scenario=minsk,nowhere"],
     f"job 1/2 [scenario=nowhere]: 'scenario/nowhere' does not exist; allowed: {PRESETS}"),
    ("option", ["-m", "+experiment=plans", "scenario=nowhere"],
     f"'scenario/nowhere' does not exist; allowed: {PRESETS}"),
    # ---- inconsistent combinations
    ("combination", ["coalition.members={dist:uniform,low:10,high:80}"],
     "coalition.members.high=80.0 is outside [0, 60]"),  # more members than allowed, as a distribution
    ("combination", ["us.review_day=180", "horizon_days=100"],
     "us.review_day=180 is past horizon_days=100; allowed: 0 (no review) to 100"),
    ("combination", ["horizon_days=365", "us.review_day={dist:uniform,low:0,high:400}"],
     "us.review_day={'dist': 'uniform', 'low': 0.0, 'high': 400.0} is past horizon_days=365; allowed: 0 (no review) "
     "to 365"),
    ("combination", ["-m", "horizon_days=100,1000", "us.review_day=500"],
     "job 0/2 [horizon_days=100 us.review_day=500]: us.review_day=500 is past horizon_days=100"),
    ("combination", ["us.resolve={dist:triangular,low:0.9,mode:0.5,high:0.1}"],
     "us.resolve: low=0.9 must be below high=0.1"),
    ("combination", ["us.resolve={dist:truncnormal,mean:0.5,sd:0.1,low:0.9,high:0.1}"],
     "us.resolve: low=0.9 must be below high=0.1"),
    ("combination", ["n_scenarios={dist:uniform,low:1,high:10}"],  # a distribution for a run setting
     "n_scenarios={dist:uniform,low:1,high:10}: Value '{'dist': 'uniform', 'low': 1, 'high': 10}' of type 'dict' "
     "could not be converted to Integer"),
    ("combination", ["seed={dist:uniform,low:1,high:10}"],
     "seed={dist:uniform,low:1,high:10}: Value '{'dist': 'uniform', 'low': 1, 'high': 10}' of type 'dict' could not "
     "be converted to Integer"),
    ("combination", ["n_scenarios=5", "shards=10"], "shards=10 is more than n_scenarios=5; allowed: 1 to 5"),
    ("combination", ["shard=1"], "shard=1 is outside [0, 0] (shards=1)"),
    # ---- malformed override syntax
    ("syntax", ["us.resolve"], "malformed override 'us.resolve': missing EQUAL at '<EOF>'"),
    ("syntax", ["us.resolve==0.5"], "malformed override 'us.resolve==0.5': extraneous input '='"),
    ("syntax", ["us.resolve={dist:uniform,low:0"],
     "malformed override 'us.resolve={dist:uniform,low:0': no viable alternative at input '{dist:uniform,low:0'; see "
     "https://hydra.cc/docs/1.3/advanced/override_grammar/basic"),
    ("syntax", ["=0.5"], "malformed override '=0.5': no key before '='"),
    ("syntax", ["us..resolve=0.5"], "malformed override 'us..resolve=0.5': unexpected character '.'"),
    ("syntax", ["us.resolve=${oops}"], "us.resolve: Interpolation key 'oops' not found"),
    ("syntax", ["us.resolve=0.5,0.7"], "Ambiguous value for argument 'us.resolve=0.5,0.7': to sweep over it add -m"),
    ("syntax", ["us.resolve=range(0,1,0.5)"], "Sweep parameters 'us.resolve=range(0,1,0.5)' requires --multirun"),
    ("syntax", ["-m", "us.resolve=range(0,1,0)"], "us.resolve=range(0,1,0): range() arg 3 must not be zero"),
    ("syntax", ["-m", "us.resolve=choice("], "malformed override 'us.resolve=choice(': no viable alternative at input "
                                             "'choice('"),
    # ---- settings only the command line has: Hydra's own, and its flags
    ("command", ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=0", "seed=1,2"],
     "hydra.launcher.n_jobs=0 is not allowed; allowed: 1 to "),
    ("command", ["-m", "hydra.sweep.subdir=same", "seed=1,2"],
     "hydra.sweep.subdir=same gives all 2 jobs of the sweep one directory; allowed: a pattern that differs by job, "
     "e.g. ${hydra.job.num} (the default)"),
    ("command", ["--config-name", "nope"], "--config-name nope: no such config in "),
    ("command", ["--config-dir", "/nonexistent/configs"], "--config-dir /nonexistent/configs: no such directory"),
    ("command", ["-m", "--config-name", "nope", "seed=1,2"], "--config-name nope: no such config in "),
]
SINGLE = [row for row in BAD if "-m" not in row[1] and row[0] != "command"]  # compose_config sees them too
# One row of each kind also runs as a real `python -m sim` process.
SUBPROCESS = [next(row for row in BAD if row[0] == kind and ("-m" in row[1]) == sweep)
              for kind, sweep in (("type", False), ("range", True), ("key", False), ("option", False),
                                  ("combination", True), ("syntax", False))]


def _id(row) -> str:
    return f"{row[0]}:{' '.join(row[1])}"


@pytest.mark.parametrize(("kind", "args", "message"), SINGLE, ids=map(_id, SINGLE))
def test_compose_config_refuses_with_one_clear_line(kind, args, message):
    with pytest.raises(ConfigError) as info:
        compose_config(args)
    text = str(info.value)
    assert message in text and "\n" not in text


def _refused(stderr: str, message: str) -> None:
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr  # one line
    assert message in stderr and "Traceback" not in stderr


@pytest.mark.parametrize(("kind", "args", "message"), BAD, ids=map(_id, BAD))
def test_the_command_line_refuses_before_writing_anything(kind, args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["python -m sim", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    _refused(capsys.readouterr().err, message)
    assert list(tmp_path.iterdir()) == []  # no outputs/, no multirun/: nothing that could pass for a result


@pytest.mark.parametrize(("kind", "args", "message"), SUBPROCESS, ids=map(_id, SUBPROCESS))
def test_python_dash_m_sim_refuses_the_same_way(kind, args, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    _refused(proc.stderr, message)
    assert list(tmp_path.iterdir()) == []


def test_an_explicit_output_directory_is_not_created_either(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for args in (["us.resolve=1.5", f"hydra.run.dir={tmp_path}/run"],
                 ["-m", "us.resolve=0.5,1.5", f"hydra.sweep.dir={tmp_path}/sweep"]):
        monkeypatch.setattr(sys, "argv", ["python -m sim", *args])
        with pytest.raises(SystemExit):
            main()
        _refused(capsys.readouterr().err, "us.resolve=1.5 is outside [0, 1]")
    assert list(tmp_path.iterdir()) == []


def test_the_table_covers_every_kind():
    kinds = {row[0] for row in BAD}
    assert kinds == {"type", "range", "key", "option", "combination", "syntax", "command"}
    assert any("-m" in args for _k, args, _m in BAD) and any(a.startswith("+experiment") for _k, r, _m in BAD
                                                             for a in r)


# ------------------------------------------------------------------------------------------ beyond the overrides
def _file(name: str):
    def make(tmp: Path) -> None:
        (tmp / name).write_text("not a directory")
    return make


def _config_dir(tmp: Path) -> None:  # a config directory whose config holds a value out of range
    (tmp / "configs").mkdir()
    (tmp / "configs" / "mine.yaml").write_text("defaults:\n  - config\n  - _self_\nus:\n  resolve: 5\n")


def _single_run(tmp: Path) -> None:  # what a finished (or started) single run leaves
    (tmp / "run" / ".hydra").mkdir(parents=True)
    (tmp / "run" / "manifest.json").write_text("{}")


def _sweep(tmp: Path) -> None:
    (tmp / "sweep").mkdir()
    (tmp / "sweep" / "multirun.yaml").write_text("hydra: {}\n")


TINY = ["n_scenarios=5", "horizon_days=3"]
# (kind, arguments ({tmp}: the test's directory), environment, what to make first, exit status, message)
BAD_SETUP = [
    *[("memory", TINY, {MEMORY_ENV: value}, None, 2,
       f"{MEMORY_ENV}={value!r} is not allowed; allowed: a whole number of bytes, at least 1 (e.g. 4000000000 or 4e9 "
       "for 4 GB), or unset to use the memory available")
      for value in ("tiny", "garbage", "1GB", "nan", "inf", "0", "-1", "1.5", "1e400")],
    ("memory", TINY, {MEMORY_ENV: "1000"}, None, 2,
     "more than 500 bytes (50% of the 1,000 bytes available, as CEASEFIRE_SIM_MEMORY_BYTES=1000 sets); allowed: "
     "more memory, as not even one scenario fits"),
    ("memory", ["-m", "seed=1,2", *TINY], {MEMORY_ENV: "garbage"}, None, 2, f"{MEMORY_ENV}='garbage' is not allowed"),
    ("directory", [*TINY, "hydra.run.dir={tmp}/afile"], {}, _file("afile"), 2,
     "hydra.run.dir={tmp}/afile is a file; allowed: a directory"),
    ("directory", ["-m", "seed=1,2", *TINY, "hydra.sweep.dir={tmp}/afile"], {}, _file("afile"), 2,
     "hydra.sweep.dir={tmp}/afile is a file; allowed: a directory"),
    ("directory", [*TINY, "hydra.run.dir={tmp}/afile/run"], {}, _file("afile"), 2,
     "hydra.run.dir={tmp}/afile/run: cannot write into it: {tmp}/afile/run: Not a directory"),
    ("directory", ["-m", "seed=1,2", *TINY, "hydra.sweep.dir={tmp}/afile/sweep"], {}, _file("afile"), 2,
     "hydra.sweep.dir={tmp}/afile/sweep: cannot write into it: {tmp}/afile/sweep: Not a directory"),
    ("directory", [*TINY, "hydra.run.dir=/proc/ceasefire-sim/run"], {}, None, 1,
     "hydra.run.dir=/proc/ceasefire-sim/run: cannot write into it: /proc/ceasefire-sim: No such file or directory"),
    ("directory", ["-m", "seed=1,2", *TINY, "hydra.sweep.dir=/proc/ceasefire-sim"], {}, None, 1,
     "hydra.sweep.dir=/proc/ceasefire-sim: cannot write into it: /proc/ceasefire-sim: No such file or directory"),
    ("kind", ["-m", "seed=1,2", *TINY, "hydra.sweep.dir={tmp}/run"], {}, _single_run, 2,
     "hydra.sweep.dir={tmp}/run holds a single run; allowed: a directory of its own for the sweep"),
    ("kind", [*TINY, "hydra.run.dir={tmp}/sweep"], {}, _sweep, 2,
     "hydra.run.dir={tmp}/sweep holds a sweep; allowed: a directory of its own for the run"),
    ("config", ["--config-dir", "{tmp}/configs", "--config-name", "mine", *TINY], {}, _config_dir, 2,
     "us.resolve=5.0 is outside [0, 1]"),
    ("config", ["-m", "--config-dir", "{tmp}/configs", "--config-name", "mine", "seed=1,2", *TINY], {}, _config_dir,
     2, "job 0/2 [seed=1 n_scenarios=5 horizon_days=3]: us.resolve=5.0 is outside [0, 1]"),
]


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None for p in root.rglob("*")}


@pytest.mark.parametrize(("kind", "args", "env", "setup", "status", "message"), BAD_SETUP,
                         ids=[f"{r[0]}:{' '.join(r[1])} {r[2]}" for r in BAD_SETUP])
def test_bad_input_beyond_the_overrides_is_refused_before_writing_anything(kind, args, env, setup, status, message,
                                                                          tmp_path, monkeypatch, capsys):
    if setup is not None:
        setup(tmp_path)
    before = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["python -m sim", *(a.replace("{tmp}", str(tmp_path)) for a in args)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == status
    _refused(capsys.readouterr().err, message.replace("{tmp}", str(tmp_path)))
    assert _tree(tmp_path) == before  # nothing created, nothing changed


# ------------------------------------------------------------------------------------------ the report and merge
def _job(tmp: Path, name: str = "job", num: int | None = None) -> Path:
    """A finished job written in-process (no Hydra)."""
    config = compose_config(["n_scenarios=40", "horizon_days=10"])
    write_outputs(run_batch(config, progress=False), tmp / name, {"num": num, "overrides": [], "experiment": None},
                  figures=False)
    return tmp / name


def _manifest(*path, value):
    """A finished job whose manifest was edited by hand: ``path`` set to ``value``."""
    def make(tmp: Path) -> None:
        manifest_path = _job(tmp) / MANIFEST_NAME
        manifest = json.loads(manifest_path.read_text())
        node = manifest
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        manifest_path.write_text(json.dumps(manifest))
    return make


def _multirun(text: str):
    def make(tmp: Path) -> None:
        _job(tmp / "sweep", "0", num=0)
        (tmp / "sweep" / "multirun.yaml").write_text(text)
    return make


def _broken_table(tmp: Path) -> None:  # pages damaged, the footer intact, the manifest's checksum updated to match
    job = _job(tmp)
    data = bytearray((job / TABLE_NAME).read_bytes())
    pages_end = len(data) - 8 - int.from_bytes(data[-8:-4], "little")  # the footer (schema, metadata) after it
    middle = (4 + pages_end) // 2
    data[middle - 32: middle + 32] = bytes(64)
    (job / TABLE_NAME).write_bytes(bytes(data))
    manifest = json.loads((job / MANIFEST_NAME).read_text())
    manifest["files"][TABLE_NAME] = {"bytes": len(data), "sha256": io.sha256_file(job / TABLE_NAME)}
    (job / MANIFEST_NAME).write_text(json.dumps(manifest))


def _out_exists(tmp: Path) -> None:
    _job(tmp)
    (tmp / "merged.parquet").write_bytes(b"a finished table")


# A string where a list or a number belongs, and other values of the wrong type: (what, field, value, problem)
HAND_EDITED = [
    ("rows a string", ("rows",), "40", "TypeError: rows='40' must be a whole number, at least 0"),
    ("scenario_range a string", ("scenario_range",), "0,40", "TypeError: scenario_range='0,40' must be a list"),
    ("a scenario_range item a string", ("scenario_range", 1), "40",
     "TypeError: scenario_range='40' must be a whole number"),
    ("n_scenarios a string", ("n_scenarios",), "40", "TypeError: n_scenarios='40' must be a whole number"),
    ("shard a string", ("shard",), "0", "TypeError: shard='0' must be a whole number"),
    ("shards zero", ("shards",), 0, "TypeError: shards=0 must be a whole number, at least 1"),
    ("bytes a string", ("files", TABLE_NAME, "bytes"), "12",
     "TypeError: files['scenarios.parquet'].bytes='12' must be a whole"),
    ("files a list", ("files",), [TABLE_NAME], "TypeError: files, config and job must be mappings"),
    ("job.num a string", ("job", "num"), "0", "TypeError: job.num='0' must be a whole number"),
    ("job.overrides a string", ("job", "overrides"), "seed=1",
     "TypeError: job.overrides='seed=1' must be a list of strings"),
    ("a range past the design", ("scenario_range",), [0, 41],
     "ValueError: scenario_range=[0, 41], shard=0 do not fit n_scenarios=40, shards=1"),
]
# (what, arguments of python -m sim.report ({tmp}: the test's directory), what to make first, message); all exit 2
BAD_REPORT = [
    ("a missing directory", ["{tmp}/nowhere"], None, "{tmp}/nowhere is not a directory"),
    ("a directory with no job", ["{tmp}"], None, "{tmp}: no complete job among 0 job directories"),
    ("unreadable multirun.yaml", ["{tmp}/sweep"], _multirun("hydra: [unbalanced\n"),
     "{tmp}/sweep/multirun.yaml is unreadable (ParserError: "),
    ("multirun.yaml not Hydra's", ["{tmp}/sweep"], _multirun("hydra:\n  sweeper: 3\n"),
     "{tmp}/sweep/multirun.yaml is unreadable ("),
    ("--out a file", ["{tmp}/job", "--out", "{tmp}/job/manifest.json"], _job,
     "--out {tmp}/job/manifest.json is a file; allowed: a directory"),
    *[(what, ["{tmp}/job"], _manifest(*path, value=value), f"{{tmp}}/job: no complete job (manifest.json is "
       f"malformed ({problem}") for what, path, value, problem in HAND_EDITED],
    ("a broken table with its checksum", ["{tmp}/job"], _broken_table,
     "{tmp}/job: no complete job (scenarios.parquet is unreadable ("),
    ("merge a missing directory", ["merge", "{tmp}/nowhere", "--out", "{tmp}/m.parquet"], None,
     "{tmp}/nowhere does not exist"),
    ("merge a directory that is no job", ["merge", "{tmp}", "--out", "{tmp}/m.parquet"], None,
     "{tmp} is not a job directory (no manifest.json, no .hydra/); allowed: the job directories of the shards"),
    ("merge a hand-edited shard", ["merge", "{tmp}/job", "--out", "{tmp}/m.parquet"], _manifest("rows", value="40"),
     "unfinished shard(s): {tmp}/job: manifest.json is malformed (TypeError: rows='40'"),
    ("merge over a table", ["merge", "{tmp}/job", "--out", "{tmp}/merged.parquet"], _out_exists,
     "cannot write --out {tmp}/merged.parquet: {tmp}/merged.parquet exists; refusing to overwrite a finished output"),
]


@pytest.mark.parametrize(("what", "args", "setup", "message"), BAD_REPORT, ids=[row[0] for row in BAD_REPORT])
def test_the_report_and_the_merge_refuse_bad_input_with_one_line(what, args, setup, message, tmp_path, capsys):
    if setup is not None:
        setup(tmp_path)
    before = _tree(tmp_path)
    assert report.main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    _refused(capsys.readouterr().err, message.replace("{tmp}", str(tmp_path)))
    assert _tree(tmp_path) == before  # nothing written


@pytest.mark.parametrize(("what", "path", "value", "problem"), HAND_EDITED, ids=[row[0] for row in HAND_EDITED])
def test_a_hand_edited_manifest_never_counts(what, path, value, problem, tmp_path):
    _manifest(*path, value=value)(tmp_path)
    assert problem in check_job(tmp_path / "job").problem
    with pytest.raises(MergeError, match="unfinished shard"):
        merge_shards([tmp_path / "job"])


# ------------------------------------------------------------------------------------------ library misuse
@pytest.fixture(scope="module")
def small():
    return compose_config(["n_scenarios=6", "horizon_days=5"])


LIBRARY = [  # (what, call, exception, message)
    ("chunk_size=0", lambda c: run_batch(c, chunk_size=0), ValueError,
     "chunk_size=0 is not allowed; allowed: a whole number from 1 to 10,000,000 or None (the config's chunk_size)"),
    ("chunk_size=-5", lambda c: run_batch(c, chunk_size=-5), ValueError, "chunk_size=-5 is not allowed"),
    ("chunk_size=2.5", lambda c: run_batch(c, chunk_size=2.5), ValueError, "chunk_size=2.5 is not allowed"),
    ("iter_chunks chunk_size=0", lambda c: next(iter_chunks(c, chunk_size=0)), ValueError,
     "chunk_size=0 is not allowed"),
    ("stream_batch chunk_size=0", lambda c: stream_batch(c, "/nonexistent/x.parquet", chunk_size=0), ValueError,
     "chunk_size=0 is not allowed"),
    ("workers='2'", lambda c: run_batch(c, workers="2"), ValueError,
     "workers='2' is not allowed; allowed: a whole number from 1 to 1,024"),
    ("workers=2.5", lambda c: run_batch(c, workers=2.5), ValueError, "workers=2.5 is not allowed"),
    ("workers=True", lambda c: run_batch(c, workers=True), ValueError, "workers=True is not allowed"),
    ("stream_batch workers=0", lambda c: stream_batch(c, "/nonexistent/x.parquet", workers=0), ValueError,
     "workers=0 is not allowed"),
    ("trajectory_every=0", lambda c: run_batch(c, trajectories=True, trajectory_every=0), ValueError,
     "trajectory_every=0 is not allowed; allowed: a whole number of days, at least 1"),
    ("trajectory_every=-1", lambda c: run_batch(c, trajectories=True, trajectory_every=-1), ValueError,
     "trajectory_every=-1 is not allowed"),
    ("a boolean mask", lambda c: run_batch(c, scenarios=np.arange(6) % 2 == 0), ValueError,
     "scenarios is a boolean mask; allowed: integer scenario indices, e.g. np.flatnonzero(mask)"),
    ("float indices", lambda c: run_batch(c, scenarios=[1.7, 2.2]), ValueError,
     "scenarios must be integer scenario indices; got float64 values such as [1.7, 2.2]"),
    ("index out of range", lambda c: run_batch(c, scenarios=[0, 6]), ValueError,
     "scenario indices must lie in [0, 6); the design has n_scenarios=6"),
    ("a 2-D index", lambda c: run_batch(c, scenarios=[[0, 1]]), ValueError, "must be a sequence of scenario indices"),
    ("a string for compose_config", lambda c: compose_config("scenario=bluff"), ConfigError,
     "overrides='scenario=bluff' must be a list of override strings, e.g. ['scenario=bluff']"),
    ("a number in compose_config's list", lambda c: compose_config(["n_scenarios=5", 3]), ConfigError,
     "must be a list of override strings"),
    ("strings for a number", lambda c: run_batch(c, scenarios=[0], param_values={"us.resolve": ["0.5"]}),
     ValueError, "us.resolve: explicit values must be numbers; got <U3 values such as ['0.5']"),
    ("a fraction of a member", lambda c: run_batch(c, scenarios=[0], param_values={"coalition.members": [3.6]}),
     ValueError, "coalition.members: explicit values must be whole numbers; got [3.6]"),
    ("scenario=3.0", lambda c: CeasefireModel(c, scenario=3.0), TypeError,
     "scenario=3.0 must be an integer scenario index, 0 to 5 (n_scenarios=6)"),
    ("scenario=True", lambda c: CeasefireModel(c, scenario=True), TypeError, "scenario=True must be an integer"),
    ("merge a missing directory", lambda c: merge_shards(["/nonexistent/0"]), MergeError,
     "/nonexistent/0 does not exist"),
    ("merge a non-job directory", lambda c: merge_shards([Path(__file__).parent]), MergeError,
     "is not a job directory (no manifest.json, no .hydra/); allowed: the job directories of the shards"),
]


@pytest.mark.parametrize(("what", "call", "error", "message"), LIBRARY, ids=[row[0] for row in LIBRARY])
def test_library_misuse_is_refused_with_a_clear_message(what, call, error, message, small):
    with pytest.raises(error) as info:
        call(small)
    assert message in str(info.value) and "\n" not in str(info.value)
