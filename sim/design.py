"""The design: a ``Config`` turned into per-scenario ``Params`` (fixed values broadcast, distributions by Latin
hypercube sampling, explicit values of a given design), and the parameter columns of an outcome table.

For each parameter given as a distribution, the design of ``n_scenarios`` scenarios is split into
``n_scenarios`` equal-probability strata; a permutation drawn from the counter-based streams assigns one
stratum to each scenario and a jittered point inside it is mapped through the inverse CDF (McKay, Beckman
and Conover 1979). The value of scenario i depends only on (seed, n_scenarios, i, parameter key), never on
which chunk or subset of scenarios is being run.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

from sim.config import Config, Spec
from sim.parameters import PARAM_BY_KEY, PARAMS
from sim.rng import mix64, stream_key, to_unit
from sim.state import Params


@lru_cache(maxsize=256)
def _strata(seed: int, n: int, key: str) -> np.ndarray:
    """Stratum (0..n-1) of every scenario of the design for one parameter; (n,) int64, read-only."""
    with np.errstate(over="ignore"):
        bits = mix64(stream_key(seed, "lhs/" + key) ^ np.arange(n, dtype=np.uint64))
    order = np.argsort(bits, kind="stable")
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n, dtype=np.int64)
    ranks.flags.writeable = False
    return ranks


def lhs_unit(seed: int, n: int, key: str, scenarios: np.ndarray) -> np.ndarray:
    """Latin hypercube coordinates in (0, 1) of the given scenarios for one parameter; (len(scenarios),)."""
    scenarios = np.asarray(scenarios, dtype=np.int64)
    with np.errstate(over="ignore"):
        jitter = to_unit(mix64(stream_key(seed, "lhs-jitter/" + key) ^ scenarios.astype(np.uint64)))
    return (_strata(seed, n, key)[scenarios] + jitter) / n


def inverse_cdf(spec: Spec, u: np.ndarray) -> np.ndarray:
    """Map uniform (0, 1) coordinates through the inverse CDF of a distribution spec."""
    a = spec.args
    if spec.dist == "uniform":
        low, high = a
        return low + u * (high - low)
    if spec.dist == "beta":
        alpha, beta, low, high = a
        return low + special.betaincinv(alpha, beta, u) * (high - low)
    if spec.dist == "triangular":
        low, mode, high = a
        cut = (mode - low) / (high - low)
        left = low + np.sqrt(u * (high - low) * (mode - low))
        right = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
        return np.where(u < cut, left, right)
    if spec.dist == "truncnormal":
        return _truncnormal(u, *a)
    if spec.dist == "choice":
        values = a[0]
        return np.minimum((u * len(values)).astype(np.int64), len(values) - 1)
    raise ValueError(f"unknown distribution {spec.dist!r}")


def _truncnormal(u: np.ndarray, mean: float, sd: float, low: float, high: float) -> np.ndarray:
    """Inverse CDF of a normal (``mean``, ``sd``) truncated to [``low``, ``high``], accurate in the far tails.

    The standard normal CDF ``ndtr`` keeps its relative precision below the mean only, so an interval that lies
    above the mean is mirrored below it; where even the lower tail underflows (more than about 37 sd away) the
    inverse is taken in log space. An interval holding the mean or lying below it, not that far out, is mapped
    exactly as before (``ndtri(ndtr(a) + u * (ndtr(b) - ndtr(a)))``)."""
    u = np.asarray(u, dtype=np.float64)
    a, b = (low - mean) / sd, (high - mean) / sd
    mirrored = a > 0  # the interval lies above the mean: sample its mirror image below the mean
    if mirrored:
        a, b, u = -b, -a, 1.0 - u
    with np.errstate(divide="ignore", over="ignore"):  # a or b infinite: sd too small for the bounds' distance
        lo, hi = special.ndtr(a), special.ndtr(b)
        log_lo, log_hi = special.log_ndtr(a), special.log_ndtr(b)
        if hi > 1e-300:
            z = special.ndtri(lo + u * (hi - lo))
        elif np.isfinite(log_hi):  # log(lo + u * (hi - lo)) = log(u * hi + (1 - u) * lo)
            z = special.ndtri_exp(np.logaddexp(np.log(u) + log_hi, np.log1p(-u) + log_lo))
        else:  # beyond log space too (|b| > ~1e154): all the mass at b, the bound nearest the mean
            z = np.full_like(u, np.inf)
    return np.clip(mean + sd * (-z if mirrored else z), low, high)


def encode_fixed(key: str, spec: Spec, n: int) -> np.ndarray:
    """A fixed value as an (n,) array: floats, rounded ints, or category codes."""
    p = PARAM_BY_KEY[key]
    if p.kind == "choice":
        return np.full(n, p.choices.index(spec.value), dtype=np.int64)
    if p.kind == "int":
        return np.full(n, int(spec.value), dtype=np.int64)
    return np.full(n, float(spec.value))


def sample_parameters(config: Config, scenarios: np.ndarray) -> dict[str, np.ndarray]:
    """Every parameter's value for each scenario: key -> (N,) array (float64, int64 or category code)."""
    scenarios = np.asarray(scenarios, dtype=np.int64)
    n = len(scenarios)
    out: dict[str, np.ndarray] = {}
    for p in PARAMS:
        spec = config.spec(p.key)
        if spec.fixed:
            out[p.key] = encode_fixed(p.key, spec, n)
            continue
        values = inverse_cdf(spec, lhs_unit(config.seed, config.n_scenarios, p.key, scenarios))
        if p.kind == "choice":
            codes = np.array([p.choices.index(v) for v in spec.args[0]], dtype=np.int64)
            values = codes[values]
        elif p.kind == "int":
            values = np.rint(values).astype(np.int64)
        out[p.key] = values
    return out


def decode(key: str, values: np.ndarray):
    """Readable values of one parameter column: category names for choices, numbers otherwise."""
    p = PARAM_BY_KEY[key]
    if p.kind == "choice":
        return np.asarray(p.choices, dtype=object)[values]
    return values


def member_slots(config: Config) -> int:
    """M: the most coalition members any scenario of the design can have (at least 1).

    Taken from the config, not from the scenarios at hand, so that a scenario's arrays do not depend on its chunk.
    """
    members = config.spec("coalition.members")
    return max(1, int(round(members.support()[1])) if members.dist != "choice" else 0)


def explicit_values(config: Config, values: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Validate and encode explicit per-scenario values: key -> (n,) float64, int64 or category code."""
    out = {}
    for key, raw in values.items():
        if key not in PARAM_BY_KEY:
            raise ValueError(f"unknown parameter {key!r} in explicit values")
        p, arr = PARAM_BY_KEY[key], np.asarray(raw)
        if arr.shape != (n,):
            raise ValueError(f"explicit values of {key} have shape {arr.shape}; expected ({n},), one per scenario")
        if p.kind == "choice":
            if arr.dtype.kind in "iu":
                if arr.size and (arr.min() < 0 or arr.max() >= len(p.choices)):
                    raise ValueError(f"{key}: codes must lie in [0, {len(p.choices)}); choices: {p.choices}")
                out[key] = arr.astype(np.int64)
                continue
            bad = sorted(set(arr.tolist()) - set(p.choices))
            if bad:
                raise ValueError(f"{key}: {bad} not allowed; allowed: {', '.join(p.choices)}")
            out[key] = np.array([p.choices.index(v) for v in arr.tolist()], dtype=np.int64)
            continue
        if arr.size and arr.dtype.kind not in "iuf":  # "0.5" would be converted, True counted as 1
            raise ValueError(f"{key}: explicit values must be numbers; got {arr.dtype} values such as "
                             f"{arr[:3].tolist()}")
        arr = arr.astype(np.float64)
        if arr.size and not (np.isfinite(arr).all() and arr.min() >= p.low and arr.max() <= p.high):
            raise ValueError(f"{key}: explicit values span [{arr.min():g}, {arr.max():g}]; allowed: "
                             f"[{p.low:g}, {p.high:g}]")
        # A whole-number parameter given as a distribution has its draws rounded (sample_parameters): explicit
        # values standing for its draws (a Sobol' design) are rounded alike. Given as one value, it takes whole
        # numbers only, as compose_config requires.
        fractional = arr[arr != np.rint(arr)]
        if p.kind == "int" and fractional.size and config.spec(key).fixed:
            raise ValueError(f"{key}: explicit values must be whole numbers; got {fractional[:3].tolist()} (allowed: "
                             f"whole numbers in [{p.low:g}, {p.high:g}], or declare {key} as a distribution, whose "
                             "draws are rounded)")
        out[key] = np.rint(arr).astype(np.int64) if p.kind == "int" else arr
    members = out.get("coalition.members")
    high = config.spec("coalition.members").support()[1]
    if members is not None and members.size and members.max() > high:
        raise ValueError(f"coalition.members: explicit values up to {members.max()} exceed the config's "
                         f"{high:g}; declare coalition.members as a distribution covering them")
    return out


def build_params(config: Config, scenarios: np.ndarray, values: dict[str, np.ndarray] | None = None) -> Params:
    """Parameters of ``scenarios`` (positions aligned): the config's values, some replaced by ``values``.

    ``values`` maps a key to an explicit (N,) array, one value per scenario (choices as names or codes),
    replacing that key's fixed or Latin hypercube value; used to run a given design (e.g. Sobol points).
    """
    columns = sample_parameters(config, scenarios)
    columns.update(explicit_values(config, values or {}, len(scenarios)))
    return Params.from_columns(columns, seed=config.seed, horizon_days=config.horizon_days,
                               collapse_level=config.collapse_level, member_slots=member_slots(config))


def design_keys(config: Config, values: dict | None = None) -> list[str]:
    """Keys whose values vary by scenario and so get a column in the outcome table: sampled, then explicit."""
    return list(dict.fromkeys([*config.sampled_keys, *(values or {})]))


def param_columns(params: Params, keys: list[str]) -> dict[str, np.ndarray]:
    """Readable columns of the given parameters (category names for choices), from the Params a run used."""
    return {key: decode(key, params.column(key)) for key in keys}
