"""Every kind of bad input, through ``compose_config`` and through the command line: one clear message naming the key.

One table, grouped by kind: wrong types, out-of-range values, unknown keys, unknown presets and experiments,
inconsistent combinations, malformed override syntax; a single run, a sweep (``-m``) and ``+experiment=``. Each
row is refused by ``compose_config`` with a ``ConfigError`` (where it is a single configuration) and by
``python -m sim`` with exit status 2, one line ``error: ...`` on stderr naming the key, no traceback, and nothing
written: no ``outputs/`` or ``multirun/`` directory at all. tests/test_config.py and tests/test_sweeps.py hold a
first, smaller table; the rows here are the ones they do not have.

The command line runs in-process (``sim.__main__.main``, the console entry point) for the whole table, and as a
real ``python -m sim`` subprocess for one row of each kind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.__main__ import main
from sim.compose import compose_config
from sim.config import ConfigError, preset_names
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
    ("range", ["seed=-1"], "seed=-1 is outside [0, 9.22337e+18]"),
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
    ("key", ["nosuchgroup.x=1"], "unknown key nosuchgroup; allowed top-level keys: chunk_size,"),
    ("key", ["+bogus=1"], "unknown key(s) ['bogus']; allowed top-level keys: chunk_size,"),
    ("key", ["output.colour=red"], "unknown key output.colour; allowed keys in output: figures, workers"),
    ("key", ["us.resolve={dist:uniform,low:0,high:1,mode:0.5}"],
     "us.resolve: unknown argument(s) ['mode'] for uniform; allowed: low, high"),
    ("key", ["-m", "+experiment=signals", "coalition.troops=3"],
     f"unknown key coalition.troops; allowed keys in coalition: {COALITION_KEYS}"),
    # ---- unknown presets and experiments
    ("option", ["scenario=nowhere"], f"'scenario/nowhere' does not exist; allowed: {PRESETS}"),
    ("option", ["+experiment=nope"], "'experiment/nope' does not exist; allowed: analysis_prim, analysis_sobol"),
    ("option", ["experiment=plans"], "Could not override 'experiment'. No match in the defaults list. To append to "
                                     "your default list use +experiment=plans"),
    ("option", ["scenario=[minsk,bluff]"], "scenario=[minsk,bluff]: scenario takes one option name"),
    ("option", ["+experiment=[plans,signals]"], "+experiment=[plans,signals]: experiment takes one option name"),
    ("option", ["scenario=null"], "scenario=null: scenario takes one option name"),
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
]
SINGLE = [row for row in BAD if "-m" not in row[1]]  # one configuration each: compose_config sees them too
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
    assert kinds == {"type", "range", "key", "option", "combination", "syntax"}
    assert any("-m" in args for _k, args, _m in BAD) and any(a.startswith("+experiment") for _k, r, _m in BAD
                                                             for a in r)
