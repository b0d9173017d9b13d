"""``ceasefire-sim --help``: the commands, presets, experiments and every setting and parameter (unit, range,
default), generated from ``sim.parameters.PARAMS``, ``sim.config`` and the experiment files. Hydra's own help
stays behind ``--hydra-help``."""

from __future__ import annotations

import dataclasses
import math
import re
import typing

from sim.config import EXPERIMENT_DIR, RUN_SETTINGS, Output, preset_names
from sim.parameters import GROUPS, PARAMS

OUTPUT_DOCS = {  # meaning of each field of sim.config.Output
    "figures": "the job's own figures (PNG and PDF)",
    "workers": "processes running the job's chunks (identical results for any number)",
    "trajectories": "also write the daily series of every scenario to trajectories.nc (netCDF)",
    "trajectory_every": "days between two kept days of the daily series (1: every day)",
}

USAGE = """\
usage: ceasefire-sim [KEY=VALUE ...]                       run a batch of scenarios (also: python -m sim)
       ceasefire-sim -m [+experiment=NAME] [KEY=A,B ...]   sweep: one job per combination of values
       python -m sim.report SWEEP_DIR                       compare a sweep's conditions (paired differences)
       python -m sim.analyze {sobol,prim,survival} ...      global sensitivity, scenario discovery, survival models
       make app                                             the interactive app (Solara)

examples:
  ceasefire-sim scenario=minsk n_scenarios=2000 seed=7
  ceasefire-sim 'us.credibility={dist:uniform,low:0.2,high:0.9}' output.trajectories=true
  ceasefire-sim -m +experiment=plans n_scenarios=2000 && python -m sim.report multirun/plans/DATE/TIME

Every KEY below can be set on the command line as KEY=VALUE; a model parameter also takes a distribution,
KEY='{dist:uniform,low:L,high:H}' (uniform|beta|triangular|truncnormal|choice), which makes it uncertain.
Outputs: outputs/DATE/TIME (hydra.run.dir=...), a sweep's under multirun/DATE/TIME (hydra.sweep.dir=...).
Hydra's own options: --hydra-help; the composed configuration: --cfg job."""


def _number(value) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:g}"
    return str(value)


def experiment_descriptions() -> list[tuple[str, str]]:
    """(name, first comment line after the ``# @package`` header) of each ``experiments/NAME.yaml``."""
    out = []
    for path in sorted(EXPERIMENT_DIR.glob("*.yaml")):
        comment = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            if not line.startswith("# @package"):
                comment.append(line.lstrip("#").strip())
        text = " ".join(comment).removeprefix("Question:").strip()
        first = re.match(r".*?[?.](?=\s|$)", text)  # its first sentence (the question it answers)
        out.append((path.stem, first.group(0) if first else text))
    return out


def _table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
            for row in rows]


def help_text() -> str:
    """The whole text of ``ceasefire-sim --help``."""
    lines = [USAGE, "", "presets (scenario=NAME):", "  " + ", ".join(preset_names()), "",
             "experiments (+experiment=NAME, with -m for a sweep):"]
    lines += _table([(name, doc) for name, doc in experiment_descriptions()])
    lines += ["", "run settings:"]
    lines += _table([(name, f"default {default}", f"[{low}, {high}]", doc)
                     for name, (default, low, high, doc) in RUN_SETTINGS.items()])
    hints = typing.get_type_hints(Output)
    lines += ["", "output settings (output.NAME):"]
    lines += _table([(f"output.{f.name}", f"default {f.default}", hints[f.name].__name__,
                      OUTPUT_DOCS.get(f.name, "")) for f in dataclasses.fields(Output)])
    for group in GROUPS:
        lines += ["", f"parameters: {group}"]
        rows = []
        for p in (p for p in PARAMS if p.group == group):
            allowed = ("one of " + "|".join(p.choices)) if p.kind == "choice" else \
                f"[{_number(p.low)}, {_number(p.high)}]" + (" integer" if p.kind == "int" else "")
            rows.append((p.key, f"default {_number(p.default)}", p.unit or "-", allowed, p.doc))
        lines += _table(rows)
    return "\n".join(lines) + "\n"
