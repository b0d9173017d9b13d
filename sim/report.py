"""Sweep reports: ``python -m sim.report PATH`` turns a run or a sweep directory into tables and figures.

PATH is a single run (``outputs/DATE/TIME``) or a multirun directory (``multirun/.../DATE/TIME``). Only jobs with
a complete manifest count (``sim.jobs.check_job``); for a sweep, the jobs Hydra was asked for are read back from
``multirun.yaml`` and any that did not finish are listed as missing. Written into PATH (or ``--out``):

- ``sweep.parquet``: one row per scenario of every complete job, with the job number and the job's overrides as
  columns (``us.credibility``, ``scenario``, ``experiment``...);
- ``conditions.csv``: one row per condition (a combination of the swept values; the shards of a design are one
  condition) with collapse probability and its 95% Wilson interval, median survival and outcome means;
- ``paired.csv``: one row per condition: its difference from a reference condition (the first, or
  ``--reference KEY=VALUE``) in collapse probability and in restricted mean survival (days held within the
  horizon), paired scenario by scenario (every condition runs the same scenarios with the same random draws),
  with standard errors and 95% intervals (``sim.stats.compare``);
- ``report.md``: the question, the jobs, the table of conditions, the paired comparisons and the figures;
- ``report_figures/``: collapse probability against the swept parameter with its 95% band, a heatmap for a 2-D
  sweep, the paired differences, Kaplan-Meier survival curves of each condition, and the distributions of
  collapse day, territory change and investment; PNG and PDF, and beside each the data it was drawn from (CSV).

``python -m sim.report merge SHARD_DIR... --out FILE`` writes the scenario table of a sharded design: byte for
byte the table of the same design run as one job.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import io, stats
from sim.config import EXPERIMENT_DIR
from sim.jobs import MANIFEST_NAME, TABLE_NAME, JobStatus, MergeError, check_job, expand_sweep, write_merged

FIGURE_DIR = "report_figures"
# Overrides that change how a design is run or written, never a scenario's result: they never define a condition.
NOT_CONDITIONS = ("shard", "chunk_size", "output.figures")
MEAN_HEADERS = {  # report.md header of each mean column of conditions.csv (sim.stats.CONDITION_MEANS)
    "territory_change_km2_mean": "territory change (km², mean)",
    "investment_total_bn_mean": "investment ($bn, mean)",
}


class ReportError(RuntimeError):
    """A directory that holds nothing to report, or an unreadable record of its sweep (exit status 2)."""


# ------------------------------------------------------------------------------------------ collecting jobs
@dataclass
class Sweep:
    """The jobs of a run or sweep directory: the complete ones, and the ones asked for that did not finish."""

    root: Path
    complete: list[JobStatus]
    expected: list[list[str]] | None  # each job's task overrides, in job order (None: unknown)
    missing: list[tuple[int | None, list[str], str]] = field(default_factory=list)  # (job, overrides, why)

    def number(self, status: JobStatus) -> int:
        """The job's number: Hydra's job number in a sweep directory; otherwise its position among the jobs found
        (a folder of separate runs, whose job numbers may repeat)."""
        num = status.manifest["job"].get("num")
        if self.expected is not None and num is not None:
            return num
        return sorted(s.path for s in self.complete).index(status.path)

    @property
    def overrides(self) -> list[list[str]]:
        """Every known job's overrides: the expected ones, or those of the complete jobs."""
        found = [s.manifest["job"].get("overrides", []) for s in self.complete]
        return (self.expected or []) + found


def _hydra_overrides(job_dir: Path) -> list[str] | None:
    from omegaconf import OmegaConf

    path = job_dir / ".hydra" / "overrides.yaml"
    try:
        return [str(o) for o in OmegaConf.load(path)] if path.is_file() else None
    except Exception:  # a damaged record of an unfinished job: it only names the job in the list of missing ones
        return None


def _sweep_jobs(root: Path) -> list[list[str]] | None:
    """The jobs of the sweep in ``root`` as its ``multirun.yaml`` records them (Hydra's basic sweeper), in job
    order; None without that file or with another sweeper."""
    from omegaconf import OmegaConf

    path = root / "multirun.yaml"
    if not path.is_file():
        return None
    try:
        hydra_cfg = OmegaConf.load(path).hydra
        if not str(hydra_cfg.sweeper.get("_target_", "")).endswith("BasicSweeper"):
            return None
        params = {k: f"{v}" for k, v in (hydra_cfg.sweeper.get("params") or {}).items()}
        return expand_sweep(params, [str(o) for o in hydra_cfg.overrides.task])
    except Exception as exc:  # a truncated or hand-edited file: YAML, OmegaConf and Hydra's parser raise their own
        raise ReportError(f"{path} is unreadable ({type(exc).__name__}: {io.one_line(exc)}); allowed: the file "
                          "Hydra wrote for the sweep") from None


def collect(path: str | Path) -> Sweep:
    """The jobs under ``path``: a single run directory, or a sweep directory with numbered job directories (then
    exactly the jobs its ``multirun.yaml`` names, when it has one)."""
    root = Path(path)
    if not root.is_dir():
        raise ReportError(f"{root} is not a directory")
    if (root / MANIFEST_NAME).exists() or (root / ".hydra").is_dir():  # a single run
        status = check_job(root)
        if not status.complete:
            raise ReportError(f"{root}: no complete job ({status.problem})")
        return Sweep(root, [status], None)
    dirs = {p.parent for p in root.rglob(MANIFEST_NAME)} | {p.parent for p in root.rglob(".hydra") if p.is_dir()}
    statuses = [check_job(d) for d in sorted(dirs - {root}) if ".submitit" not in d.parts]
    complete = [s for s in statuses if s.complete]
    expected = _sweep_jobs(root)
    if expected is not None:  # exactly the jobs of this sweep: a job of an earlier sweep into the directory is not
        ours: dict[int, JobStatus] = {}
        for s in complete:
            num = s.manifest["job"].get("num")
            if num is not None and num < len(expected) and s.manifest["job"].get("overrides") == expected[num]:
                if num not in ours or s.path == root / str(num):
                    ours[num] = s
        complete = [ours[num] for num in sorted(ours)]
    sweep = Sweep(root, complete, expected)
    if expected is not None:
        unfinished = {tuple(_hydra_overrides(s.path) or []): s for s in statuses if not s.complete}
        for num, job in enumerate(expected):
            if num not in ours:
                found = unfinished.get(tuple(job))
                why = f"{found.path.name}: {found.problem}" if found else "not started"
                sweep.missing.append((num, job, why))
    else:
        sweep.missing = [(None, _hydra_overrides(s.path) or [], f"{s.path.name}: {s.problem}")
                         for s in statuses if not s.complete]
    if not complete:
        raise ReportError(f"{root}: no complete job among {len(statuses)} job directories"
                          + (f" ({len(expected)} expected)" if expected is not None else ""))
    return sweep


# ------------------------------------------------------------------------------------------ overrides
def parse_overrides(overrides: list[str]) -> dict[str, object]:
    """``key -> value`` of a job's overrides (numbers as numbers; distributions and lists as written)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    out = {}
    for o in OverridesParser.create().parse_overrides(list(overrides)):
        if o.is_delete():
            continue
        value = o.value()
        out[o.key_or_group] = value if isinstance(value, (bool, int, float, str)) else o.get_value_element_as_str()
    return out


def swept_keys(sweep: Sweep) -> list[str]:
    """Override keys whose value differs between jobs (shards excepted), in the order Hydra lists them."""
    values: dict[str, set] = {}
    for job in sweep.overrides:
        for key, value in parse_overrides(job).items():
            values.setdefault(key, set()).add(repr(value))
    jobs = [parse_overrides(job) for job in sweep.overrides]
    return [k for k, v in values.items()
            if k not in NOT_CONDITIONS and (len(v) > 1 or any(k not in j for j in jobs))]


def _override_column(values: list) -> pd.Series:
    """One dtype for an override column: numbers (int64, or float64 with NaN for absent), else strings."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        exact = len(present) == len(values) and all(isinstance(v, int) for v in present)
        return pd.Series([math.nan if v is None else v for v in values], dtype="int64" if exact else "float64")
    return pd.Series([None if v is None else str(v) for v in values], dtype=object)


# ------------------------------------------------------------------------------------------ tables
def override_column(key: str, taken) -> str:
    """Column of ``sweep.parquet`` that holds an override: its key, except that the preset group ``scenario``
    is ``preset`` (``scenario`` is the scenario index there), and a name already ``taken`` by the table (an
    outcome, or a parameter sampled from a distribution) gets `` (override)``."""
    name = "preset" if key == "scenario" else key
    return f"{key} (override)" if name in taken else name


def sweep_table(sweep: Sweep) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per scenario of every complete job (``job``, the job's overrides, ``scenario``, the outcomes), and
    the column of each override key."""
    jobs = sorted(sweep.complete, key=sweep.number)
    parsed = [parse_overrides(s.manifest["job"].get("overrides", [])) for s in jobs]
    keys = list(dict.fromkeys(k for p in parsed for k in p))
    tables = [pd.read_parquet(s.path / TABLE_NAME).reset_index() for s in jobs]
    outcomes = pd.concat(tables, ignore_index=True)
    columns = {key: override_column(key, outcomes.columns) for key in keys}
    head = {"job": np.repeat([sweep.number(s) for s in jobs], [len(t) for t in tables])}
    for key in keys:
        head[columns[key]] = _override_column([p.get(key) for p, t in zip(parsed, tables, strict=True)
                                               for _ in range(len(t))])
    return pd.concat([pd.DataFrame(head), outcomes], axis=1), columns


def condition_label(keys: list[str], values: tuple, short: bool = False) -> str:
    """``us.credibility=0.3, scenario=minsk``; ``all scenarios`` when nothing was swept.

    ``short`` drops the group of each key (``credibility=0.3``) when the short names stay distinct (figures).
    """
    names = [k.rsplit(".", 1)[-1] for k in keys]
    names = names if short and len(set(names)) == len(names) else keys
    shown = ["default" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]
    return ", ".join(f"{k}={v}" for k, v in zip(names, shown, strict=True)) or "all scenarios"


def horizon_of_jobs(sweep: Sweep) -> dict[int, int]:
    """Job number -> horizon in days, from the manifests."""
    return {sweep.number(s): s.manifest["horizon_days"] for s in sweep.complete}


def conditions_table(frame: pd.DataFrame, keys: list[str], horizons: dict[int, int]) -> pd.DataFrame:
    """One row per condition (combination of swept values), in job order: collapse probability with its 95% Wilson
    interval, median survival (NaN when more than half held to the horizon), outcome means and failure-mode shares
    (``sim.stats.condition_row``)."""
    rows = []
    grouped = frame.groupby(keys, sort=False, dropna=False) if keys else [((), frame)]
    for values, group in grouped:
        values = values if isinstance(values, tuple) else (values,)
        horizon = {horizons[j] for j in group["job"].unique()}
        if len(horizon) > 1:
            raise ReportError(f"condition {condition_label(keys, values)} mixes horizons {sorted(horizon)}")
        horizon = horizon.pop()
        row = dict(zip(keys, values, strict=True))
        row.update({"condition": condition_label(keys, values), "jobs": int(group["job"].nunique())})
        row.update(stats.condition_row(group, horizon))
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ paired comparisons
def _same(a, b) -> bool:
    """Two values of a swept column are the same condition (numbers to rounding, absent = absent)."""
    missing = [v is None or (isinstance(v, float) and math.isnan(v)) for v in (a, b)]
    if any(missing):
        return all(missing)
    if _override_column([a, b]).dtype != object:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return str(a) == str(b)


def reference_values(reference: list[str], keys: list[str], columns: dict[str, str],
                     conditions: pd.DataFrame) -> dict[str, object]:
    """``--reference KEY=VALUE ...`` as swept column -> value; refused, naming what is allowed, when a key is not
    swept or no condition has the value. Empty: every key of the first condition."""
    if not reference:
        return {k: conditions[k].iloc[0] for k in keys}
    try:
        parsed = parse_overrides(reference)
    except Exception as exc:  # Hydra's parser raises its own exception types
        raise ReportError(f"--reference {' '.join(reference)}: not KEY=VALUE ({io.one_line(exc)})") from exc
    spec = {}
    for key, value in parsed.items():
        column = columns.get(key, key)
        if column not in keys:
            raise ReportError(f"--reference {key}: not a swept key; swept: {', '.join(keys) or 'nothing'}")
        if not any(_same(v, value) for v in conditions[column]):
            values = ", ".join(str(v) for v in dict.fromkeys(conditions[column]))
            raise ReportError(f"--reference {key}={value}: no condition has it; values: {values}")
        spec[column] = value
    return spec


def paired_table(frame: pd.DataFrame, conditions: pd.DataFrame, keys: list[str], designs: dict[int, tuple],
                 reference: dict[str, object]) -> pd.DataFrame:
    """One row per condition, in the order of ``conditions``: its difference from its reference condition in
    collapse probability and in restricted mean survival (``sim.stats.compare``, ``COMPARISON_COLUMNS``).

    ``reference`` fixes swept columns (``reference_values``): a condition's reference is the condition with those
    values and the condition's own values of the other swept columns (a 2-D sweep compared within each value of
    the other key). ``designs``: job -> (seed, n_scenarios). Two conditions of one design ran every scenario
    index with the same draws, so they are compared scenario by scenario (the shards of a design are one
    condition); others (a sweep of the seed or of n_scenarios) as independent samples (``paired`` False).
    """
    grouped = list(frame.groupby(keys, sort=False, dropna=False)) if keys else [((), frame)]
    tables = [group.set_index("scenario") for _values, group in grouped]
    design = [{designs[j] for j in group["job"].unique()} for _values, group in grouped]
    values = conditions[keys].to_dict("records")
    rows = []
    for i, row in enumerate(values):
        matches = [j for j, other in enumerate(values)
                   if all(_same(other[k], reference[k] if k in reference else row[k]) for k in keys)]
        if not matches:
            raise ReportError(f"condition {conditions['condition'].iloc[i]} has no reference condition "
                              f"({', '.join(f'{k}={v}' for k, v in reference.items())} with its other values)")
        j = matches[0]
        paired = (len(design[i]) == 1 and design[i] == design[j] and tables[i].index.is_unique
                  and tables[j].index.is_unique)
        out = {**row, "condition": conditions["condition"].iloc[i], "reference": conditions["condition"].iloc[j],
               "is_reference": i == j}
        out.update(stats.compare(tables[i], tables[j], int(conditions["horizon_days"].iloc[i]),
                                 int(conditions["horizon_days"].iloc[j]), paired=paired))
        if i == j:  # a condition against itself: exactly no difference
            out.update({c: 0.0 for c in ("collapse_diff_low", "collapse_diff_high", "rmst_diff_low",
                                         "rmst_diff_high")})
        rows.append(out)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ figures
def _span(values, unit: str = "") -> str:
    """``10,000`` or ``30–6,000`` (numbers), with a unit."""
    values = sorted({int(v) for v in values})
    text = f"{values[0]:,}" if len(values) == 1 else f"{values[0]:,}–{values[-1]:,}"
    return f"{text} {unit}".strip()


def figure_caption(conditions: pd.DataFrame, keys: list[str], experiments: list[str], presets: list[str],
                   seeds: list[int]) -> str:
    """Caption line of the report's figures: experiment, preset (unless swept), conditions, scenarios, seed and
    horizon."""
    parts = [f"Experiment {', '.join(experiments)}"] if experiments else []
    if "preset" not in keys:
        parts.append(f"preset {', '.join(presets)}")
    if keys:
        parts.append(f"{len(conditions)} conditions of {' × '.join(keys)}")
    parts += [_span(conditions["scenarios"], "scenarios" + (" each" if keys else "")),
              "seed " + ", ".join(str(v) for v in sorted(set(seeds))),
              "horizon " + _span(conditions["horizon_days"], "days")]
    text = " · ".join(parts)
    return text[0].upper() + text[1:]


def report_figures(frame: pd.DataFrame, conditions: pd.DataFrame, keys: list[str], title: str,
                   caption: str | None = None, paired: pd.DataFrame | None = None) -> dict:
    """Name -> Figure for the report, each with ``caption`` at its foot; ``paired``: the paired comparisons
    (``paired_table``), drawn when there are two conditions or more."""
    from sim import plots

    figures = {}
    if keys:
        figures["collapse_probability"] = plots.collapse_probability_figure(
            conditions, keys[0], by=keys[1] if len(keys) == 2 else None, title=title, caption=caption)
    if len(keys) == 2:
        figures["collapse_heatmap"] = plots.collapse_heatmap_figure(conditions, keys[0], keys[1], title=title,
                                                                    caption=caption)
    grouped = list(frame.groupby(keys, sort=False, dropna=False)) if keys else [((), frame)]
    labels = [condition_label(keys, tuple(row[k] for k in keys), short=True) for _, row in conditions.iterrows()]
    reference = None
    if paired is not None and len(paired) > 1:
        figures["paired_differences"] = plots.paired_figure(paired.assign(label=labels), caption=caption)
        if paired["is_reference"].sum() == 1:
            reference = labels[int(np.flatnonzero(paired["is_reference"].to_numpy(dtype=bool))[0])]
    curves, collapse_days, territory, investment = {}, {}, {}, {}
    for label, horizon, (_values, group) in zip(labels, conditions["horizon_days"], grouped, strict=True):
        curves[label] = stats.table_survival(group, int(horizon))
        collapse_days[label] = stats.collapse_days(group)[group["collapsed"].to_numpy(dtype=bool)]
        territory[label] = group[stats.CONDITION_MEANS["territory_change_km2_mean"]].to_numpy(dtype=float)
        investment[label] = group[stats.CONDITION_MEANS["investment_total_bn_mean"]].to_numpy(dtype=float)
    figures["survival"] = plots.survival_figure(  # a 2-D sweep's panels: one row per value of the first key
        curves, "Kaplan-Meier survival of the ceasefire", caption=caption, reference=reference,
        ncols=conditions[keys[1]].nunique(dropna=False) if len(keys) == 2 else None)
    figures["collapse_day"] = plots.distribution_figure(
        collapse_days, plots.outcome_label("collapse_day") + ", collapsed scenarios only",
        "When the ceasefire fails", caption=caption)
    figures["territory_change"] = plots.distribution_figure(
        territory, plots.outcome_label(stats.CONDITION_MEANS["territory_change_km2_mean"]),
        "Territory change by the end", caption=caption)
    figures["investment"] = plots.distribution_figure(
        investment, plots.outcome_label(stats.CONDITION_MEANS["investment_total_bn_mean"]),
        "Reconstruction investment by the end", caption=caption)
    return figures


# ------------------------------------------------------------------------------------------ markdown
def experiment_question(name: str | None) -> str | None:
    """The ``# Question:`` comment of ``experiments/NAME.yaml`` (up to the ``# Run:`` line)."""
    path = EXPERIMENT_DIR / f"{name}.yaml"
    if not name or not path.is_file():
        return None
    lines, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.lstrip("#").strip()
        if not line.startswith("#") or text.startswith("Run:"):
            if inside:
                break
            continue
        if text.startswith("Question:"):
            inside, text = True, text.removeprefix("Question:").strip()
        if inside:
            lines.append(text)
    return " ".join(lines) or None


def _fmt(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def markdown_table(conditions: pd.DataFrame) -> str:
    """The table of conditions as markdown."""
    header = ["condition", "jobs", "scenarios", "collapse probability (95% CI)", "median survival (days)",
              "collapse day if collapsed (mean)", *(MEAN_HEADERS[c] for c in stats.CONDITION_MEANS),
              "failure: " + " / ".join(stats.FAILURES), "US fought in a war"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, r in conditions.iterrows():
        median = (f"> {int(r['horizon_days'])}" if math.isnan(r["median_survival_days"])
                  else f"{int(r['median_survival_days'])}")
        cells = [
            r["condition"].replace("|", "\\|"), str(r["jobs"]), f"{r['scenarios']:,}",
            f"{r['collapse_probability']:.3f} ({r['ci_low']:.3f}–{r['ci_high']:.3f})", median,
            _fmt(r["mean_collapse_day"], 0), *(_fmt(r[c], 1) for c in stats.CONDITION_MEANS),
            " / ".join(f"{r[f'failure_{m}']:.1%}" for m in stats.FAILURES),
            f"{r['us_fought_war_share']:.1%}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _signed(value: float, digits: int) -> str:
    return "–" if math.isnan(value) else f"{value:+,.{digits}f}".replace("-", "−")


def paired_markdown(paired: pd.DataFrame) -> str:
    """The paired comparisons as markdown: per condition, its reference and the two differences."""
    header = ["condition", "reference", "collapse probability", "difference (95% CI)", "SE", "SE if unpaired",
              "days held (RMST)", "difference, days (95% CI)", "SE", "SE if unpaired"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, r in paired.iterrows():
        cells = [r["condition"] + ("" if r["paired"] or r["is_reference"] else " †"), r["reference"],
                 f"{r['collapse_probability']:.3f}"]
        for column, digits, days in (("collapse_diff", 3, None), ("rmst_diff", 1, "rmst_days")):
            if days:
                cells.append(f"{r[days]:,.1f}")
            if r["is_reference"]:
                cells += ["reference", "", ""]
                continue
            cells += [f"{_signed(r[column], digits)} ({_signed(r[f'{column}_low'], digits)} to "
                      f"{_signed(r[f'{column}_high'], digits)})",
                      f"{r[f'{column}_se']:.{digits + 1}f}", f"{r[f'{column}_se_unpaired']:.{digits + 1}f}"]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def render_markdown(sweep: Sweep, frame: pd.DataFrame, conditions: pd.DataFrame, keys: list[str],
                    figures: list[str], paired: pd.DataFrame | None = None) -> str:
    """The text of ``report.md``; ``paired``: the paired comparisons (``paired_table``), with two conditions or
    more."""
    experiments = sorted({str(e) for e in frame["experiment"].dropna()}) if "experiment" in frame else []
    title = f"Sweep report: {', '.join(experiments)}" if experiments else f"Report: {sweep.root.name}"
    n_expected = len(sweep.expected) if sweep.expected is not None else len(sweep.complete) + len(sweep.missing)
    first = sweep.complete[0].manifest
    out = [f"# {title}", ""]
    for name in experiments:
        question = experiment_question(name)
        if question:
            out += [f"**Question** ({name}): {question}", ""]
    out += [f"Source: `{sweep.root}`: {len(sweep.complete)} of {n_expected} jobs complete, {len(frame):,} "
            f"scenario rows, seed {first['seed']}.",
            "Swept: " + (", ".join(f"`{k}` ({conditions[k].nunique()} values)" for k in keys) or "nothing")
            + (f"; each condition ran as {int(frame['shards'].max())} shards (merged here)."
               if "shards" in frame and frame["shards"].max() > 1 else "."),
            ""]
    if sweep.missing:
        out += ["## Missing jobs", "",
                f"{len(sweep.missing)} job(s) did not finish; the numbers below leave them out. Run the same "
                "command again with `hydra.sweep.dir` set to this directory to finish them (complete jobs are "
                "skipped), then run the report again.", "",
                "| job | overrides | why |", "|---|---|---|"]
        out += [f"| {'' if num is None else num} | `{' '.join(job)}` | {why} |" for num, job, why in sweep.missing]
        out.append("")
    out += ["## Conditions", "", markdown_table(conditions), "",
            "Collapse probability: share of scenarios whose escalation reached the collapse level before the "
            "horizon, with its 95% Wilson interval. Median survival: first day by which half the scenarios had "
            "collapsed (Kaplan-Meier; every scenario is censored at the same horizon, so it is the empirical "
            "share), `> H` when more than half held to day H. Collapse day: mean over collapsed scenarios. "
            "Territory change and investment: means over all scenarios. Full precision in `conditions.csv`.", ""]
    compared = paired is not None and len(paired) > 1
    if compared:
        out += ["## Paired comparisons", "", paired_markdown(paired), "",
                "Each condition minus its reference. Conditions with the same seed and number of scenarios ran "
                "every scenario index with the same random draws, so the two are compared scenario by "
                "scenario: the standard error (SE) of the mean paired difference is smaller than "
                "that of two independent samples (`SE if unpaired`), and a difference can be clear although the "
                "two conditions' intervals overlap. Collapse probability: 95% interval by Newcombe's paired score "
                "method. Days held (RMST, restricted mean survival time): mean over scenarios of min(collapse "
                "day, horizon), the `end_day` outcome; its difference's 95% interval is normal (± 1.96 SE)."
                + (" †: a different seed or number of scenarios than its reference, so not paired: compared as "
                   "independent samples." if not (paired["paired"] | paired["is_reference"]).all() else "")
                + " Full precision in `paired.csv`; another reference: `--reference KEY=VALUE`.", ""]
    out += ["## Figures", ""]
    out += [f"![{name}]({FIGURE_DIR}/{name}.png) ([PDF]({FIGURE_DIR}/{name}.pdf), [data]({FIGURE_DIR}/{name}.csv))\n"
            for name in figures]
    out += ["", "## Files", "",
            "- `sweep.parquet`: one row per scenario of every complete job; columns `job`, the job's overrides, "
            "`scenario`, then the outcomes.",
            "- `conditions.csv`: the table of conditions at full precision."]
    if compared:
        out.append("- `paired.csv`: the paired comparisons at full precision.")
    out += [f"- `{FIGURE_DIR}/NAME.csv`: the data each figure was drawn from, to redraw it elsewhere.", ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------ the command
def write_report(path: str | Path, out_dir: str | Path | None = None, reference: list[str] | None = None) -> dict:
    """Collect, tabulate and plot a run or sweep directory; returns what was written and what is missing.

    ``reference``: ``KEY=VALUE`` overrides that name the reference condition of the paired comparisons (default:
    the first condition)."""
    sweep = collect(path)
    out = Path(out_dir) if out_dir is not None else sweep.root
    frame, columns = sweep_table(sweep)
    keys = [columns[k] for k in swept_keys(sweep) if k in columns]
    conditions = conditions_table(frame, keys, horizon_of_jobs(sweep))
    designs = {sweep.number(s): (s.manifest["seed"], s.manifest["n_scenarios"]) for s in sweep.complete}
    paired = (paired_table(frame, conditions, keys, designs,
                           reference_values(reference or [], keys, columns, conditions))
              if len(conditions) > 1 else None)
    title = "Collapse probability" + (f": {frame['experiment'].dropna().iloc[0]}"
                                      if "experiment" in frame and frame["experiment"].notna().any() else "")
    manifests = [s.manifest for s in sweep.complete]
    experiments = sorted({str(e) for e in frame["experiment"].dropna()}) if "experiment" in frame else []
    caption = figure_caption(conditions, keys, experiments, sorted({str(m["config"]["preset"]) for m in manifests}),
                             [m["seed"] for m in manifests])
    figures = report_figures(frame, conditions, keys, title, caption, paired)
    io.write_parquet(out / "sweep.parquet", frame, overwrite=True)
    io.atomic_write_bytes(out / "conditions.csv", conditions.to_csv(index=False).encode(), overwrite=True)
    if paired is not None:
        io.atomic_write_bytes(out / "paired.csv", paired.to_csv(index=False).encode(), overwrite=True)
    for name, fig in figures.items():
        for fmt in ("png", "pdf"):
            io.write_figure(out / FIGURE_DIR / f"{name}.{fmt}", fig, overwrite=True)
        io.write_figure_data(out / FIGURE_DIR / f"{name}.csv", fig, overwrite=True)
    text = render_markdown(sweep, frame, conditions, keys, list(figures), paired)
    io.atomic_write_bytes(out / "report.md", text.encode(), overwrite=True)
    return {"out": out, "jobs": len(sweep.complete), "missing": sweep.missing, "conditions": len(conditions),
            "swept": keys, "figures": list(figures)}


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.report PATH [--out DIR]`` or ``python -m sim.report merge SHARD_DIR... --out FILE``."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["merge"]:
        parser = argparse.ArgumentParser(prog="python -m sim.report merge",
                                         description="Merge the shards of one design into its scenario table.")
        parser.add_argument("shard_dirs", nargs="+", type=Path, help="job directories of the shards (any order)")
        parser.add_argument("--out", required=True, type=Path, help="parquet file to write (must not exist)")
        args = parser.parse_args(argv[1:])
        try:
            written = write_merged(args.shard_dirs, args.out)
        except MergeError as exc:
            print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"error: cannot write --out {args.out}: {io.describe_os_error(exc)}", file=sys.stderr)
            return io.exit_status(exc)
        except KeyboardInterrupt:
            print(f"error: interrupted (Ctrl-C); {args.out} was not written", file=sys.stderr)
            return 130
        print(f"merged {len(args.shard_dirs)} shards into {written}")
        return 0
    parser = argparse.ArgumentParser(prog="python -m sim.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a run directory or a multirun (sweep) directory")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: PATH)")
    parser.add_argument("--reference", action="append", default=[], metavar="KEY=VALUE",
                        help="the condition every other is compared with, scenario by scenario (default: the "
                             "first); in a 2-D sweep fixing one key compares within each value of the other; "
                             "repeat for several keys")
    args = parser.parse_args(argv)
    try:
        if args.out is not None and args.out.exists() and not args.out.is_dir():
            raise ReportError(f"--out {args.out} is a file; allowed: a directory")
        result = write_report(args.path, args.out, args.reference)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # files written atomically: one that could not be written is absent, never partial
        print(f"error: cannot write the report: {io.describe_os_error(exc)}", file=sys.stderr)
        return io.exit_status(exc)
    except KeyboardInterrupt:
        print("error: interrupted (Ctrl-C); the report's files are each complete or absent", file=sys.stderr)
        return 130
    print(f"report: {result['out'] / 'report.md'} ({result['jobs']} jobs, {result['conditions']} conditions"
          + (f", swept {', '.join(result['swept'])}" if result["swept"] else "") + ")")
    if result["missing"]:
        print(f"incomplete: {len(result['missing'])} job(s) missing: "
              + ", ".join(str(num) if num is not None else why.split(":")[0]
                          for num, _job, why in result["missing"]), file=sys.stderr)
        for _num, _job, why in result["missing"]:  # which file failed its check: left out, never read
            print(f"  {why}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
