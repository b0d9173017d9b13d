"""Configuration: the frozen, validated ``Config`` the core uses, its ``Spec`` per parameter, and the presets.

Plain Python with no Hydra or OmegaConf inside: ``validate`` turns a plain nested dict (as YAML holds it) into a
``Config``; ``sim.compose`` composes that dict with Hydra (``compose_config``). Every numeric parameter is either
a number or a distribution ``{dist: uniform|beta|triangular|truncnormal|choice, ...}``. A key is always spelled
``group.name`` (``us.credibility``): in ``Config.value``, ``Config.spec``, ``Config.replace`` and on the command
line alike.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.parameters import GROUPS, PARAM_BY_KEY, PARAMS, ParamSpec


def _data_dir(name: str) -> Path:
    """``configs`` or ``experiments``: the checkout's top-level folder beside the package (where users edit them),
    else the copy an installed wheel carries as package data (``sim/_configs``, ``sim/_experiments``)."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / name  # beside site-packages/sim another package's "configs" may lie: look inside
    marker = "config.yaml" if name == "configs" else "plans.yaml"
    return checkout if (checkout / marker).is_file() else here / f"_{name}"


CONFIG_DIR = _data_dir("configs")
EXPERIMENT_DIR = _data_dir("experiments")
PRESET_DIR = CONFIG_DIR / "scenario"
PRESET_ORDER_FILE = PRESET_DIR / "order.txt"

# Top-level run settings: name -> (default, low, high, meaning).
RUN_SETTINGS: dict[str, tuple[int, int, int, str]] = {
    "seed": (20250106, 0, 2**63 - 1, "root of every random stream"),
    "n_scenarios": (10000, 1, 10**9, "scenarios in the design (Latin hypercube size)"),
    "horizon_days": (1095, 1, 36500, "days simulated after the ceasefire"),
    "chunk_size": (10000, 1, 10**7, "scenarios stepped together (bounds memory)"),
    "collapse_level": (4, 1, 4, "lowest rung that ends the ceasefire on its own: 4 war (an offensive or an escalated "
                          "clash); 3 also any contained clash; a spiral of fighting ends it at any setting"),
    "shard": (0, 0, 10**9 - 1, "which slice of the scenario indices this job runs, 0..shards-1"),
    "shards": (1, 1, 10**9, "number of disjoint slices the design is split into (one job each)"),
}
MAX_WORKERS = 1024  # output.workers: processes a job may run its chunks in
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "beta": ("a", "b", "low", "high"),
    "triangular": ("low", "mode", "high"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "choice": ("values",),
}
_OPTIONAL = {"beta": {"low": 0.0, "high": 1.0}}
# Composed by Hydra besides the model's keys: its defaults list, its own settings, the chosen experiment.
_HYDRA_KEYS = {"defaults", "hydra", "experiment"}


class ConfigError(ValueError):
    """A configuration value that is not allowed; the message names the key, the value and what is allowed."""


def allowed_keys(group: str | None = None) -> list[str]:
    """The keys a config may hold: at the top level (``group=None``), in ``output``, or in a parameter group."""
    if group is None:
        return sorted({*RUN_SETTINGS, "preset", "output", *GROUPS})
    if group == "output":
        return [f.name for f in dataclasses.fields(Output)]
    return sorted(p.name for p in PARAMS if p.group == group)


def _top_level() -> str:
    # experiment is a config group chosen with +experiment=NAME (and removed before validation), not a value
    return f"allowed top-level keys: {', '.join(allowed_keys())}, and the group experiment (+experiment=NAME)"


def unknown_key(key: str) -> str:
    """The message for a key no config holds (``group.name`` or top-level): it and the keys allowed there."""
    group, dot, _ = key.partition(".")
    if dot and group in {*GROUPS, "output"}:
        return f"unknown key {key}; allowed keys in {group}: {', '.join(allowed_keys(group))}"
    return f"unknown key {key}; {_top_level()}"


# ------------------------------------------------------------------------------------------ presets
def preset_names() -> tuple[str, ...]:
    """The scenario presets (``configs/scenario/NAME.yaml``) in the order ``configs/scenario/order.txt`` lists them
    (the model brief's): the one order of the app's preset list, the docs' preset table and the tests."""
    listed = [line.strip() for line in PRESET_ORDER_FILE.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    found = sorted(path.stem for path in PRESET_DIR.glob("*.yaml"))
    unlisted = [name for name in found if name not in listed]
    unknown = [name for name in listed if name not in found]
    twice = sorted({name for name in listed if listed.count(name) > 1})
    if unlisted or unknown or twice:
        raise ConfigError(f"{PRESET_ORDER_FILE}: not listed {unlisted}, no such preset file {unknown}, listed twice "
                          f"{twice}; allowed: each of {', '.join(found)} once")
    return tuple(listed)


# ------------------------------------------------------------------------------------------ specs
@dataclass(frozen=True)
class Spec:
    """A parameter's value: ``dist == "fixed"`` with ``args == (value,)``, or a distribution and its args."""

    dist: str
    args: tuple

    @property
    def fixed(self) -> bool:
        return self.dist == "fixed"

    @property
    def value(self):
        if not self.fixed:
            raise ValueError(f"a {self.dist} distribution has no single value")
        return self.args[0]

    def support(self) -> tuple[float, float]:
        """Smallest and largest value the spec can produce (numeric specs)."""
        if self.fixed:
            return self.args[0], self.args[0]
        named = dict(zip(DISTRIBUTIONS[self.dist], self.args, strict=True))
        return named["low"], named["high"]

    def to_plain(self):
        """Number, string or dict, as written in YAML."""
        if self.fixed:
            return self.args[0]
        out = {"dist": self.dist}
        out.update(zip(DISTRIBUTIONS[self.dist], self.args, strict=True))
        if self.dist == "choice":
            out["values"] = list(out["values"])
        return out


# ------------------------------------------------------------------------------------------ config
@dataclass(frozen=True)
class Output:
    """How a job writes its results (read by ``sim.jobs``): never what the model computes."""

    figures: bool = True  # the job's own figures (PNG and PDF); a sweep's report draws its comparative figures
    workers: int = 1  # processes running the job's chunks; outcomes are identical for any number
    trajectories: bool = False  # also write each scenario's daily series to trajectories.nc (netCDF, sim.jobs)
    trajectory_every: int = 1  # days between two recorded days of those series (day 0 always recorded)


@dataclass(frozen=True)
class Config:
    """A validated run configuration: run settings, one ``Spec`` per model parameter (``group.name``) and the
    output settings.

    Equality, hashing and ``to_dict`` (the ``config.json`` and manifest a job writes, which a resumed job compares)
    cover what the model computes; ``output`` is left out, as it never changes a result.
    """

    seed: int
    n_scenarios: int
    horizon_days: int
    chunk_size: int
    collapse_level: int
    shard: int
    shards: int
    preset: str
    specs: tuple[tuple[str, Spec], ...] = field(repr=False)  # in the order of sim.parameters.PARAMS
    output: Output = field(default=Output(), compare=False)
    _by_key: dict[str, Spec] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_key", dict(self.specs))

    @property
    def scenario_range(self) -> tuple[int, int]:
        """Scenario indices [start, stop) of this shard: contiguous slices of ``range(n_scenarios)``."""
        return (self.shard * self.n_scenarios // self.shards, (self.shard + 1) * self.n_scenarios // self.shards)

    def spec(self, key: str) -> Spec:
        """The ``Spec`` of parameter ``group.name``: a fixed value or a distribution."""
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"unknown parameter {key!r}; allowed: group.name of sim.parameters.PARAMS") from None

    def value(self, key: str):
        """The fixed value of parameter ``group.name``; a ``ValueError`` if it is given as a distribution (its
        values are per scenario: see ``spec``)."""
        s = self.spec(key)
        if not s.fixed:
            raise ValueError(f"{key}={s.to_plain()} is a distribution, not one value; "
                             f"read it with config.spec({key!r})")
        return s.args[0]

    __getitem__ = value  # config["us.credibility"], the same as config.value("us.credibility")
    __iter__ = None  # keyed by name, not a sequence (mesa.batch_run may pass a Config as a single value)

    def __getattr__(self, group: str):
        """``config.us.credibility``: the fixed value of ``us.credibility`` (as ``value``)."""
        if group in GROUPS:
            return _GroupView(self, group)
        raise AttributeError(group)

    @property
    def sampled_keys(self) -> tuple[str, ...]:
        """Keys of the parameters given as distributions."""
        return tuple(k for k, s in self.specs if not s.fixed)

    def to_dict(self) -> dict:
        """Plain nested dict (groups of values), as YAML would hold it; without ``output`` (see the class)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in RUN_SETTINGS}
        out["preset"] = self.preset
        for key, s in self.specs:
            group, name = key.split(".")
            out.setdefault(group, {})[name] = s.to_plain()
        return out

    def replace(self, changes: Mapping[str, Any] | None = None, /, **settings) -> Config:
        """A new validated config with ``changes`` by key: ``{"us.credibility": 0.5, "output.workers": 2}``.

        Run settings and ``preset``, whose keys hold no dot, may also be given as keywords: ``replace(seed=3)``.
        """
        raw = self.to_dict()
        raw["output"] = dataclasses.asdict(self.output)
        for key, value in {**(changes or {}), **settings}.items():
            group, dot, name = key.partition(".")
            if not dot:
                raw[key] = value
            elif isinstance(raw.get(group), dict) and name in allowed_keys(group):
                raw[group][name] = value
            else:
                raise ConfigError(unknown_key(key))
        return validate(raw)


@dataclass(frozen=True)
class _GroupView:
    config: Config
    group: str

    def __getattr__(self, name: str):
        key = f"{self.group}.{name}"
        if key not in PARAM_BY_KEY:  # an AttributeError, so that getattr(view, name, default) and hasattr work
            raise AttributeError(unknown_key(key))
        return self.config.value(key)


# ------------------------------------------------------------------------------------------ validation
def _number(key, value, *, integer=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "an integer" if integer else "a number"
        also = " or a distribution {dist: ..., ...}" if key in PARAM_BY_KEY else ""
        raise ConfigError(f"{key}={value!r} must be {kind}{also}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key}={value!r} must be finite")
    # An int is whole whatever its size (float(2**53 + 1) != 2**53 + 1 would refuse a valid seed).
    if integer and isinstance(value, float) and not value.is_integer():
        raise ConfigError(f"{key}={value!r} must be a whole number")
    return int(value) if integer else float(value)


def _bound(value) -> str:
    """A range bound as written: short (``1e+07``) where that is exact, otherwise in full (the seed's 2**63 - 1)."""
    short = f"{value:g}"
    return short if float(short) == value else f"{value}"


def _check_range(key, value, low, high):
    if not (low <= value <= high):
        raise ConfigError(f"{key}={value!r} is outside [{_bound(low)}, {_bound(high)}]")


def _parse_spec(p: ParamSpec, raw) -> Spec:
    key = p.key
    if isinstance(raw, dict):
        raw = dict(raw)
        dist = raw.pop("dist", None)
        if dist not in DISTRIBUTIONS:
            raise ConfigError(f"{key}: distribution {dist!r} is unknown; allowed: {', '.join(DISTRIBUTIONS)}")
        if (p.kind == "choice") != (dist == "choice"):
            allowed = "choice" if p.kind == "choice" else "uniform, beta, triangular, truncnormal"
            raise ConfigError(f"{key}: distribution {dist!r} does not fit this parameter; allowed: {allowed}")
        names = DISTRIBUTIONS[dist]
        for name, default in _OPTIONAL.get(dist, {}).items():
            raw.setdefault(name, default)
        unknown = sorted(set(raw) - set(names))
        missing = [n for n in names if n not in raw]
        if unknown:
            raise ConfigError(f"{key}: unknown argument(s) {unknown} for {dist}; allowed: {', '.join(names)}")
        if missing:
            raise ConfigError(f"{key}: {dist} needs {', '.join(missing)}")
        if dist == "choice":
            values = raw["values"]
            if not isinstance(values, (list, tuple)) or not values:
                raise ConfigError(f"{key}.values={values!r} must be a non-empty list")
            for v in values:
                if v not in p.choices:
                    raise ConfigError(f"{key}: choice value {v!r} is not one of {', '.join(p.choices)}")
            return Spec("choice", (tuple(values),))
        args = {n: _number(f"{key}.{n}", raw[n]) for n in names}
        low, high = args["low"], args["high"]
        if not low < high:
            raise ConfigError(f"{key}: low={low:g} must be below high={high:g}")
        _check_range(f"{key}.low", low, p.low, p.high)
        _check_range(f"{key}.high", high, p.low, p.high)
        if dist == "beta" and not (args["a"] > 0 and args["b"] > 0):
            raise ConfigError(f"{key}: beta needs a > 0 and b > 0, got a={args['a']:g}, b={args['b']:g}")
        if dist == "triangular" and not (low <= args["mode"] <= high):
            raise ConfigError(f"{key}.mode={args['mode']:g} is outside [{low:g}, {high:g}]")
        if dist == "truncnormal" and not args["sd"] > 0:
            raise ConfigError(f"{key}.sd={args['sd']:g} must be > 0")
        return Spec(dist, tuple(args[n] for n in names))
    if p.kind == "choice":
        if raw not in p.choices:
            raise ConfigError(f"{key}={raw!r} is not allowed; allowed: {', '.join(p.choices)}")
        return Spec("fixed", (raw,))
    value = _number(key, raw, integer=p.kind == "int")
    _check_range(key, value, p.low, p.high)
    return Spec("fixed", (value,))


def _parse_output(raw) -> Output:
    allowed = allowed_keys("output")
    if raw is None:
        return Output()
    if not isinstance(raw, dict):
        raise ConfigError(f"output={raw!r} must be a group of settings; allowed keys in output: {', '.join(allowed)}")
    extra = sorted(set(raw) - set(allowed))
    if extra:
        raise ConfigError(unknown_key(f"output.{extra[0]}"))
    workers = _number("output.workers", raw.get("workers", Output.workers), integer=True)
    _check_range("output.workers", workers, 1, MAX_WORKERS)
    every = _number("output.trajectory_every", raw.get("trajectory_every", Output.trajectory_every), integer=True)
    _check_range("output.trajectory_every", every, 1, RUN_SETTINGS["horizon_days"][2])
    flags = {}
    for name in ("figures", "trajectories"):
        flags[name] = raw.get(name, getattr(Output, name))
        if not isinstance(flags[name], bool):
            raise ConfigError(f"output.{name}={flags[name]!r} must be true or false")
    return Output(workers=workers, trajectory_every=every, **flags)


def validate(raw: dict) -> Config:
    """Turn a plain nested dict (as composed by Hydra) into a validated ``Config``; raises ConfigError."""
    raw = dict(raw)
    unknown = sorted(set(raw) - set(allowed_keys()) - _HYDRA_KEYS)
    if unknown:
        raise ConfigError(f"unknown key(s) {unknown}; {_top_level()}")
    output = _parse_output(raw.get("output"))
    settings = {}
    for name, (default, low, high, _) in RUN_SETTINGS.items():
        value = _number(name, raw.get(name, default), integer=True)
        _check_range(name, value, low, high)
        settings[name] = value
    for group in GROUPS:
        values = raw.get(group) or {}
        if not isinstance(values, dict):
            raise ConfigError(f"{group}={values!r} must be a group of parameters")
        extra = sorted(set(values) - set(allowed_keys(group)))
        if extra:
            raise ConfigError(unknown_key(f"{group}.{extra[0]}"))
    specs = tuple((p.key, _parse_spec(p, (raw.get(p.group) or {}).get(p.name, p.default))) for p in PARAMS)
    config = Config(**settings, preset=str(raw.get("preset", "custom")), specs=specs, output=output)
    _check_consistency(config)
    return config


def _check_consistency(config: Config) -> None:
    if config.shards > config.n_scenarios:
        raise ConfigError(f"shards={config.shards} is more than n_scenarios={config.n_scenarios}; "
                          f"allowed: 1 to {config.n_scenarios}")
    if config.shard >= config.shards:
        raise ConfigError(f"shard={config.shard} is outside [0, {config.shards - 1}] (shards={config.shards})")
    review = config.spec("us.review_day")
    if review.dist != "choice" and review.support()[1] > config.horizon_days:
        raise ConfigError(f"us.review_day={review.to_plain()} is past horizon_days={config.horizon_days}; "
                          f"allowed: 0 (no review) to {config.horizon_days}")

