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


def trajectory_dataset(trajectories: pd.DataFrame, attrs: dict | None = None):
    """The long table of ``trajectory_frame`` as an xarray Dataset with dims (scenario, day): one variable per
    series (NaN after a scenario's collapse), its unit and meaning (``sim.observables.SERIES``) as the attributes
    ``units`` and ``long_name``; ``attrs`` become the Dataset's global attributes."""
    import xarray as xr

    from sim.observables import SERIES

    ds = xr.Dataset.from_dataframe(trajectories.set_index(["scenario", "day"]).astype("float64"))
    for name, variable in ds.data_vars.items():
        unit, meaning = SERIES.get(name, ("", ""))
        variable.attrs.update(units=unit, long_name=meaning)
    ds["scenario"].attrs.update(units="index", long_name="scenario index (addresses its random streams)")
    ds["day"].attrs.update(units="day", long_name="days since the ceasefire (0: the ceasefire)")
    ds.attrs.update(attrs or {})
    return ds


def netcdf_bytes(ds) -> bytes:
    """A Dataset as netCDF3 (scipy's writer: no further dependency), deterministic: equal Datasets, equal bytes.

    netCDF3 has no 64-bit integers: the coordinates are written as 32-bit integers (scenario indices and days
    below 2**31)."""
    ds = ds.assign_coords({name: ds[name].astype("int32") for name in ("scenario", "day") if name in ds.coords})
    return bytes(ds.to_netcdf(path=None, engine="scipy", format="NETCDF3_64BIT"))
