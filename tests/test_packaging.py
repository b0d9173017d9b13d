"""The built wheel works outside the checkout: it carries configs/ and experiments/ as package data.

Builds the wheel (offline, no build isolation: the dev extra holds setuptools>=77) from a copy of the sources,
installs it with ``--no-deps`` into a fresh venv made without pip whose only other import path is the project
venv's site-packages (a ``.pth`` line: the dependencies without downloading them, and without the project's
editable install, whose finder a plain path line does not load), and runs the commands an analyst would from an
empty temporary directory: a run, a sweep, the sweep report and a survival analysis.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "sim", "configs", "experiments")


def _run(cmd, cwd, env, timeout=300):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv bin directory, environment, working directory) of the wheel installed outside the checkout."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env["PIP_NO_INDEX"] = "1"  # offline
    _run([sys.executable, "-m", "pip", "wheel", str(src), "-w", str(base / "dist"), "--no-deps",
          "--no-build-isolation", "-q"], cwd=base, env=env)
    (wheel,) = (base / "dist").glob("ceasefire_sim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sim/_configs/config.yaml" in names and "sim/_configs/scenario/order.txt" in names
    assert "sim/_experiments/plans.yaml" in names and "sim/analyze/survival.py" in names

    target = base / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    site = next((target / "lib").glob("python*/site-packages"))
    (site / "project_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    bin_dir = target / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], cwd=base, env=env)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    work = base / "work"
    work.mkdir()
    return bin_dir, env, work


def test_wheel_runs_outside_the_checkout(installed):
    bin_dir, env, work = installed
    python = str(bin_dir / "python")
    where = _run([python, "-c", "import sim, sim.config as c; print(sim.__file__); print(c.CONFIG_DIR)"],
                 cwd=work, env=env).stdout.split()
    assert not where[0].startswith(str(ROOT)) and where[1].endswith("sim/_configs"), where

    _run([str(bin_dir / "ceasefire-sim"), "n_scenarios=200", "hydra.run.dir=run"], cwd=work, env=env)
    assert (work / "run" / "scenarios.parquet").is_file()

    _run([str(bin_dir / "ceasefire-sim"), "-m", "+experiment=plans", "n_scenarios=100", "horizon_days=200",
          "hydra.sweep.dir=sweep"], cwd=work, env=env)
    assert len(list((work / "sweep").glob("*/scenarios.parquet"))) == 4
    _run([python, "-m", "sim.report", "sweep"], cwd=work, env=env)
    assert (work / "sweep" / "report.md").is_file()

    _run([python, "-m", "sim.analyze", "survival", "--out", "surv", "n_scenarios=2000"],
         cwd=work, env=env)
    assert (work / "surv" / "survival.json").is_file()

    help_text = _run([str(bin_dir / "ceasefire-sim"), "--help"], cwd=work, env=env).stdout
    assert "plans" in help_text and "coalition_us_backstop" in help_text
