"""Generated parts of ``docs/ODD.md``: tables rendered from the code, so the documentation cannot drift from it.

Each generated block sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers in the document:

- ``params``: every parameter of ``sim.parameters.PARAMS`` (group, key, default, range, unit, meaning, source);
- ``presets``: what each scenario preset in ``configs/scenario/`` changes relative to the defaults (in the order
  of ``sim.config.preset_names``);
- ``outputs``: the outcomes and per-day series of ``sim.observables``;
- ``constants``: the fixed constants of ``sim.rules`` (assumptions that are not parameters).

``python -m sim.docs`` rewrites the blocks in place; ``python -m sim.docs --check`` only reports whether they are
current (exit status 1 if not). ``tests/test_docs.py`` fails when a block is stale.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from sim.compose import compose_config
from sim.config import PRESET_DIR, RUN_SETTINGS, Config, Spec, preset_names, validate
from sim.parameters import PARAMS, ParamSpec

ODD_PATH = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


# ------------------------------------------------------------------------------------------ formatting
def _cell(text: str) -> str:
    """Text safe inside a markdown table cell (pipes escaped, one line)."""
    return " ".join(str(text).replace("|", "\\|").split())


def format_number(value) -> str:
    """A number as a reader writes it: 600, 0.003, 1,000,000, ∞."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if float(value).is_integer() and abs(value) >= 1e5:
        return f"{int(value):,}"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def format_range(p: ParamSpec) -> str:
    """Allowed values: the choices, or the closed interval [low, high]."""
    if p.kind == "choice":
        return ", ".join(f"`{c}`" for c in p.choices)
    low = "(-∞" if math.isinf(p.low) else f"[{format_number(p.low)}"
    high = "∞)" if math.isinf(p.high) else f"{format_number(p.high)}]"
    return f"{low}, {high}"


def format_spec(spec: Spec) -> str:
    """A fixed value, or a distribution written as ``uniform(low, high)``."""
    if spec.fixed:
        value = spec.value
        return f"`{value}`" if isinstance(value, str) else format_number(value)
    if spec.dist == "choice":
        return "choice(" + ", ".join(f"`{v}`" for v in spec.args[0]) + ")"
    return f"{spec.dist}(" + ", ".join(format_number(a) for a in spec.args) + ")"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ parameters
def render_parameter_table() -> str:
    """Markdown table of every model parameter, in the order of ``sim.parameters.PARAMS``."""
    rows = []
    for p in PARAMS:
        default = f"`{p.default}`" if p.kind == "choice" else format_number(p.default)
        rows.append((p.group, f"`{p.key}`", default, format_range(p), p.unit or "-", p.doc, p.source))
    return _table(("group", "key", "default", "range", "unit", "meaning", "source"), rows)


# ------------------------------------------------------------------------------------------ presets
def preset_description(name: str) -> str:
    """The comment at the head of a preset's YAML file (what the preset stands for)."""
    lines = []
    for line in (PRESET_DIR / f"{name}.yaml").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if not text.startswith("@package"):
            lines.append(text)
    return " ".join(lines)


def preset_differences(config: Config, baseline: Config) -> dict[str, str]:
    """Run settings and parameters whose value in ``config`` differs from ``baseline``: key -> formatted value."""
    out = {}
    for name in RUN_SETTINGS:
        if getattr(config, name) != getattr(baseline, name):
            out[name] = format_number(getattr(config, name))
    for p in PARAMS:
        spec = config.spec(p.key)
        if spec != baseline.spec(p.key):
            out[p.key] = format_spec(spec)
    return out


def render_preset_table(compose: Callable[[list[str]], Config] = compose_config) -> str:
    """Two markdown tables: what each preset stands for, and the values it changes relative to the defaults."""
    names = preset_names()
    baseline = validate({})
    diffs = {name: preset_differences(compose([f"scenario={name}"]), baseline) for name in names}
    about = _table(("preset", "what it stands for (from its YAML file)", "values changed"),
                   [(f"`{n}`", preset_description(n), str(len(diffs[n]))) for n in names])
    order = [name for name in RUN_SETTINGS] + [p.key for p in PARAMS]
    changed = [key for key in order if any(key in d for d in diffs.values())]
    rows = []
    for key in changed:
        default = format_number(getattr(baseline, key)) if key in RUN_SETTINGS else format_spec(baseline.spec(key))
        rows.append((f"`{key}`", default, *(diffs[n].get(key, "") for n in names)))
    matrix = _table(("key", "default", *(f"`{n}`" for n in names)), rows)
    note = "An empty cell means the preset keeps the default."
    return f"{about}\n\n{matrix}\n\n{note}"


# ------------------------------------------------------------------------------------------ outputs
def render_output_table() -> str:
    """Markdown tables of the per-scenario outcomes and the per-day series, with units."""
    from sim.observables import OUTCOMES, SERIES

    outcomes = _table(("outcome", "unit", "meaning"), [(f"`{k}`", u, m) for k, (u, m) in OUTCOMES.items()])
    series = _table(("series", "unit", "meaning"), [(f"`{k}`", u, m) for k, (u, m) in SERIES.items()])
    return f"Per scenario (one row of `BatchResult.outcomes`):\n\n{outcomes}\n\n" \
           f"Per day (`run_batch(..., trajectories=True)`; recorded on day 0 and after each step):\n\n{series}"


# ------------------------------------------------------------------------------------------ constants
def render_constant_table() -> str:
    """Markdown tables of the fixed constants of ``sim.rules`` (modelling assumptions, not parameters)."""
    from sim import rules as R
    from sim.codes import Action, MonitoringRegime

    monitoring = _table(
        ("`MONITORING_TABLE`: regime", "detect an incident", "detect a probe", "attribute a detected violation",
         "`WARNING_BY_REGIME` (strategic warning)"),
        [(f"`{m.label}`", *(format_number(float(v)) for v in R.MONITORING_TABLE[m]),
          format_number(float(R.WARNING_BY_REGIME[m]))) for m in MonitoringRegime])
    by_action = _table(
        ("per Russian action", *(f"`{a}`" for a in Action.names())),
        [("`TENSION_BY_ACTION` (tension added)", *(format_number(float(v)) for v in R.TENSION_BY_ACTION)),
         ("`SNAPBACK_SHARE` (share of `russia.sanctions_snapback` when attributed)",
          *(format_number(float(v)) for v in R.SNAPBACK_SHARE))])
    scalars = _table(
        ("constant", "value", "meaning"),
        [("`ENGAGEMENT_DAYS`", format_number(R.ENGAGEMENT_DAYS), "length of one day's engagement, days"),
         ("`RESPONSE_COST_TROOPS_K`", format_number(R.RESPONSE_COST_TROOPS_K),
          "thousand coalition troops per unit of `russia.response_cost_coalition`"),
         ("`RESOLVE_GRID`", f"{R.RESOLVE_GRID.size} points, {format_number(float(R.RESOLVE_GRID[0]))} .. "
                            f"{format_number(float(R.RESOLVE_GRID[-1]))}",
          "bin midpoints (i + 0.5) / 21 of the grid on which Russia's beliefs about resolve live"),
         ("`BURDEN_REFERENCE_K`", format_number(R.BURDEN_REFERENCE_K),
          "thousand troops per member at which a member's deployment cost is `coalition.cost_sensitivity`"),
         ("`PROBE_SECTOR_SHARE`", format_number(R.PROBE_SECTOR_SHARE),
          "share of the forward coalition troops a probe meets (one sector of the line)"),
         ("`INFO_VALUE_SCALE`", format_number(R.INFO_VALUE_SCALE),
          "units of `russia.value_of_gains` per unit of `russia.info_weight`")])
    return f"{monitoring}\n\n{by_action}\n\n{scalars}"


# ------------------------------------------------------------------------------------------ the document
BLOCKS: dict[str, Callable[[], str]] = {
    "params": render_parameter_table,
    "presets": render_preset_table,
    "outputs": render_output_table,
    "constants": render_constant_table,
}


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def extract_block(text: str, name: str) -> str:
    """The text between a block's markers, without the surrounding newlines."""
    start, end = markers(name)
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"docs block {name!r}: markers {start} ... {end} are missing or out of order")
    return text[i + len(start):j].strip("\n")


def replace_block(text: str, name: str, content: str) -> str:
    """``text`` with the block ``name`` replaced by ``content``."""
    start, end = markers(name)
    extract_block(text, name)  # raises if the markers are missing
    i, j = text.find(start), text.find(end)
    return text[:i + len(start)] + "\n" + content + "\n" + text[j:]


def update_document(text: str, blocks: dict[str, Callable[[], str]] | None = None) -> str:
    """The document with every generated block rendered afresh."""
    for name, render in (blocks or BLOCKS).items():
        text = replace_block(text, name, render())
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.docs", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=ODD_PATH, help="document to update (docs/ODD.md)")
    parser.add_argument("--check", action="store_true", help="report stale blocks, change nothing")
    args = parser.parse_args(argv)
    text = args.path.read_text(encoding="utf-8")
    fresh = update_document(text)
    if args.check:
        stale = [n for n in BLOCKS if extract_block(text, n) != extract_block(fresh, n)]
        if stale:
            print(f"{args.path}: stale block(s) {', '.join(stale)}; run `python -m sim.docs`", file=sys.stderr)
            return 1
        print(f"{args.path}: generated blocks are current")
        return 0
    if fresh != text:
        args.path.write_text(fresh, encoding="utf-8")
        print(f"{args.path}: generated blocks rewritten")
    else:
        print(f"{args.path}: already current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
