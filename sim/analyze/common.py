"""Shared pieces of the analyses: the uncertain parameters, their values, writing tables and figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import io
from sim.config import Config
from sim.design import inverse_cdf
from sim.parameters import PARAM_BY_KEY

# The guarantee's design features (what a guarantor chooses), as opposed to context (what it faces).
GUARANTEE_FEATURES: tuple[str, ...] = (
    "coalition.troops_k", "coalition.members", "coalition.resolve", "coalition.credibility",
    "coalition.binding", "coalition.decision_rule", "us.resolve", "us.credibility", "us.binding",
    "monitoring.regime", "monitoring.access",
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


def write_table(out_dir: Path, name: str, table: pd.DataFrame, title: str = "") -> None:
    """``NAME.parquet`` and ``NAME.md`` (a markdown table, floats to 4 significant digits)."""
    io.write_parquet(out_dir / f"{name}.parquet", table)
    flat = table.reset_index() if any(table.index.names) else table
    text = (f"# {title}\n\n" if title else "") + flat.to_markdown(index=False, floatfmt=".4g") + "\n"
    io.atomic_write_bytes(out_dir / f"{name}.md", text.encode())


def write_figures(out_dir: Path, figures: dict) -> None:
    """Each figure as ``figures/NAME.png`` and ``figures/NAME.pdf``."""
    for name, fig in figures.items():
        for suffix in ("png", "pdf"):
            io.write_figure(out_dir / "figures" / f"{name}.{suffix}", fig)
