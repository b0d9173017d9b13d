"""Outcome and trajectory tables of a run, built the same way for both drivers (batch engine and Mesa).

The parameter columns come from the ``Params`` the run used (``sim.design.param_columns``): nothing is
sampled again after a run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.codes import FailureMode


def outcome_frame(scenarios: np.ndarray, outcomes: dict[str, np.ndarray],
                  param_columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per scenario (index ``scenario``): the outcome columns, then the parameter columns.

    ``collapse_day`` becomes a nullable integer (missing where the ceasefire held), ``failure_mode`` its name.
    """
    cols = dict(outcomes)
    cols["collapse_day"] = pd.array(np.where(outcomes["collapse_day"] >= 0, outcomes["collapse_day"], 0),
                                    dtype="Int64")
    cols["collapse_day"][~outcomes["collapsed"]] = pd.NA
    cols["failure_mode"] = np.asarray(FailureMode.names(), dtype=object)[outcomes["failure_mode"]]
    cols.update(param_columns)
    return pd.DataFrame(cols, index=pd.Index(scenarios, name="scenario"))


def trajectory_frame(scenarios: np.ndarray, days: np.ndarray, series: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long table (scenario, day, series...) of per-day series (name -> (n, len(days)), NaN after collapse)."""
    n, d = len(scenarios), len(days)
    valid = ~np.isnan(series["level"]).ravel()
    return pd.DataFrame({
        "scenario": np.repeat(scenarios, d)[valid],
        "day": np.tile(days, n)[valid],
        **{name: values.ravel()[valid] for name, values in series.items()},
    })
