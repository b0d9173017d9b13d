"""Shared pieces of the analyses: levers and context, the uncertain parameters, their values, diagnostics, writing
tables and figures.

Every figure of an analysis is finished by ``sim.plots.finish``, as the run and sweep figures are: a caption line
saying what was run (``sim.plots.run_caption`` with the analysis' own sample and settings), the warnings in red,
and the table it was drawn from attached; ``write_figures`` saves that table as ``NAME.csv`` beside
``NAME.png`` and ``NAME.pdf``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import io
from sim.config import Config
from sim.design import inverse_cdf
from sim.parameters import PARAM_BY_KEY

# The policy levers: what the guarantors decide when they design the guarantee: the force (size, members,
# posture, rules of engagement), its political backing (resolve, credibility, legal form, decision rule), the
# US backstop and its review clause, and the monitoring regime. Every other parameter is context: what the
# guarantee faces (Russia, Ukraine, publics, US attention, reconstruction). Resolve and credibility count as
# levers: they are what a guarantor commits to and signals, though no decree sets them. The Cox model labels
# its covariates by this list (``role``), PRIM searches only these with ``--levers``.
LEVERS: tuple[str, ...] = (
    "coalition.troops_k", "coalition.members", "coalition.resolve", "coalition.credibility",
    "coalition.binding", "coalition.decision_rule", "coalition.forward_share", "coalition.tripwire_automaticity",
    "us.resolve", "us.credibility", "us.binding", "us.review_day", "monitoring.regime", "monitoring.access",
)


def uncertain_keys(config: Config) -> tuple[str, ...]:
    """The parameters the config declares as distributions; an analysis needs at least one."""
    keys = config.sampled_keys
    if not keys:
        raise ValueError("no uncertain parameter: declare at least one as a distribution, e.g. "
                         "'us.resolve={dist:uniform,low:0.2,high:0.9}' or an experiment from experiments/")
    return keys


def values_from_unit(config: Config, key: str, u: np.ndarray) -> np.ndarray:
    """Values of ``key`` at unit coordinates ``u`` through its declared distribution (choices as names)."""
    spec = config.spec(key)
    values = inverse_cdf(spec, np.clip(np.asarray(u, dtype=np.float64), 0.0, np.nextafter(1.0, 0.0)))
    if spec.dist == "choice":
        return np.asarray(spec.args[0], dtype=object)[values]
    return values


def unit_of(key: str) -> tuple[float, str]:
    """Step in which an effect of ``key`` is reported, and its label: 0.1 for shares, 10 for troops and states."""
    p = PARAM_BY_KEY[key]
    if p.low == 0 and p.high == 1:
        return 0.1, "0.1"
    if p.unit in ("thousand troops", "states"):
        return 10.0, f"10 {p.unit}"
    return 1.0, f"1 {p.unit}".strip()


def write_table(out_dir: Path, name: str, table: pd.DataFrame, title: str = "", warnings=(), notes=()) -> None:
    """``NAME.parquet`` and ``NAME.md``: the title, the warnings and notes as block quotes, then the table
    (floats to 4 significant digits)."""
    io.write_parquet(out_dir / f"{name}.parquet", table)
    flat = table.reset_index() if any(table.index.names) else table
    quotes = [f"> **Warning:** {w}\n" for w in warnings] + [f"> {n}\n" for n in notes]
    text = ((f"# {title}\n\n" if title else "") + (">\n".join(quotes) + "\n" if quotes else "")
            + flat.to_markdown(index=False, floatfmt=".4g") + "\n")
    io.atomic_write_bytes(out_dir / f"{name}.md", text.encode())


def power_of_two_at_least(n: float) -> int:
    """The least power of 2 that is >= n (and >= 1)."""
    return 1 << max(0, int(np.ceil(np.log2(max(n, 1.0)))))


def write_figures(out_dir: Path, figures: dict) -> None:
    """Each figure as ``figures/NAME.png`` and ``figures/NAME.pdf``, and the table it was drawn from as
    ``figures/NAME.csv`` (``sim.plots.finish``); like every output of an analysis, none overwrites a file."""
    for name, fig in figures.items():
        for suffix in ("png", "pdf"):
            io.write_figure(out_dir / "figures" / f"{name}.{suffix}", fig)
        io.write_figure_data(out_dir / "figures" / f"{name}.csv", fig)
