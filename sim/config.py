"""Configuration: the typed Hydra schema, composition, and the frozen validated ``Config`` the core uses.

The Hydra schema is generated from ``sim.parameters.PARAMS`` and registered in the ConfigStore as
``base_config``; YAML files in ``configs/`` hold values only. ``compose_config(overrides)`` composes with
Hydra and returns a ``Config``: plain Python, frozen, validated, with no OmegaConf inside. Every numeric
parameter is either a number or a distribution ``{dist: uniform|beta|triangular|truncnormal|choice, ...}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any

from sim.parameters import GROUPS, PARAM_BY_KEY, PARAMS, ParamSpec

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
EXPERIMENT_DIR = Path(__file__).resolve().parent.parent / "experiments"

# Top-level run settings: name -> (default, low, high, meaning).
RUN_SETTINGS: dict[str, tuple[int, int, int, str]] = {
    "seed": (20250106, 0, 2**63 - 1, "root of every random stream"),
    "n_scenarios": (10000, 1, 10**9, "scenarios in the design (Latin hypercube size)"),
    "horizon_days": (1095, 1, 36500, "days simulated after the ceasefire"),
    "chunk_size": (10000, 1, 10**7, "scenarios stepped together (bounds memory)"),
    "collapse_level": (3, 1, 4, "escalation level at which the ceasefire counts as collapsed"),
    "shard": (0, 0, 10**9 - 1, "which slice of the scenario indices this job runs, 0..shards-1"),
    "shards": (1, 1, 10**9, "number of disjoint slices the design is split into (one job each)"),
}
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "beta": ("a", "b", "low", "high"),
    "triangular": ("low", "mode", "high"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "choice": ("values",),
}
_OPTIONAL = {"beta": {"low": 0.0, "high": 1.0}}


class ConfigError(ValueError):
    """A configuration value that is not allowed; the message names the key, the value and what is allowed."""


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
class Config:
    """A validated run configuration: run settings and one ``Spec`` per model parameter (``group.name``)."""

    seed: int
    n_scenarios: int
    horizon_days: int
    chunk_size: int
    collapse_level: int
    shard: int
    shards: int
    preset: str
    specs: tuple[tuple[str, Spec], ...] = field(repr=False)

    @property
    def scenario_range(self) -> tuple[int, int]:
        """Scenario indices [start, stop) of this shard: contiguous slices of ``range(n_scenarios)``."""
        return (self.shard * self.n_scenarios // self.shards, (self.shard + 1) * self.n_scenarios // self.shards)

    def spec(self, key: str) -> Spec:
        for k, s in self.specs:
            if k == key:
                return s
        raise KeyError(key)

    __iter__ = None  # keyed by name, not a sequence (mesa.batch_run may pass a Config as a single value)

    def __getitem__(self, key: str):
        """Fixed value of ``group.name`` (or its Spec if it is a distribution)."""
        s = self.spec(key)
        return s.value if s.fixed else s

    def __getattr__(self, group: str):
        if group in GROUPS:
            return _GroupView(self, group)
        raise AttributeError(group)

    @property
    def sampled_keys(self) -> tuple[str, ...]:
        """Keys of the parameters given as distributions."""
        return tuple(k for k, s in self.specs if not s.fixed)

    def to_dict(self) -> dict:
        """Plain nested dict (groups of values), as YAML would hold it."""
        out: dict[str, Any] = {name: getattr(self, name) for name in RUN_SETTINGS}
        out["preset"] = self.preset
        for key, s in self.specs:
            group, name = key.split(".")
            out.setdefault(group, {})[name] = s.to_plain()
        return out

    def replace(self, **changes) -> Config:
        """A new validated config with changes: run settings by name, parameters by ``group__name``."""
        raw = self.to_dict()
        for k, v in changes.items():
            if "__" in k:
                group, name = k.split("__", 1)
                if group not in raw or not isinstance(raw[group], dict):
                    raise ConfigError(f"unknown key {group}.{name}")
                raw[group][name] = v
            else:
                raw[k] = v
        return validate(raw)


@dataclass(frozen=True)
class _GroupView:
    config: Config
    group: str

    def __getattr__(self, name: str):
        return self.config[f"{self.group}.{name}"]


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


def _check_range(key, value, low, high):
    if not (low <= value <= high):
        raise ConfigError(f"{key}={value!r} is outside [{low:g}, {high:g}]")


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


def validate(raw: dict) -> Config:
    """Turn a plain nested dict (as composed by Hydra) into a validated ``Config``; raises ConfigError."""
    raw = dict(raw)
    allowed_top = set(RUN_SETTINGS) | {"preset"} | set(GROUPS)
    unknown = sorted(set(raw) - allowed_top - {"defaults", "hydra", "experiment", "output", "shard", "shards"})
    if unknown:
        raise ConfigError(f"unknown key(s) {unknown}; allowed top-level keys: {', '.join(sorted(allowed_top))}")
    workers = (raw.get("output") or {}).get("workers", 1) if isinstance(raw.get("output"), dict) else 1
    _check_range("output.workers", _number("output.workers", workers, integer=True), 1, 1024)
    settings = {}
    for name, (default, low, high, _) in RUN_SETTINGS.items():
        value = _number(name, raw.get(name, default), integer=True)
        _check_range(name, value, low, high)
        settings[name] = value
    specs = []
    for group in GROUPS:
        values = raw.get(group) or {}
        if not isinstance(values, dict):
            raise ConfigError(f"{group}={values!r} must be a group of parameters")
        known = {p.name for p in PARAMS if p.group == group}
        extra = sorted(set(values) - known)
        if extra:
            raise ConfigError(f"unknown key {group}.{extra[0]}; allowed keys in {group}: {', '.join(sorted(known))}")
    for p in PARAMS:
        specs.append((p.key, _parse_spec(p, (raw.get(p.group) or {}).get(p.name, p.default))))
    config = Config(**settings, preset=str(raw.get("preset", "custom")), specs=tuple(specs))
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


# ------------------------------------------------------------------------------------------ Hydra schema
def _group_dataclass(group: str):
    fields = [(p.name, Any, field(default=p.default)) for p in PARAMS if p.group == group]
    return make_dataclass(f"{group.capitalize()}Schema", fields)


@dataclass
class OutputSchema:
    """What a job writes besides its table, config, summary and manifest; read by ``sim.jobs``, not by the model."""

    figures: bool = True  # the job's own figures (PNG and PDF); a sweep's report draws its comparative figures
    workers: int = 1  # processes running the job's chunks; outcomes are identical for any number


def _schema():
    fields: list = [(name, int, field(default=default)) for name, (default, *_rest) in RUN_SETTINGS.items()]
    fields.append(("preset", str, field(default="custom")))
    for group in GROUPS:
        cls = _group_dataclass(group)
        fields.append((group, cls, field(default_factory=cls)))
    fields.append(("output", OutputSchema, field(default_factory=OutputSchema)))
    return make_dataclass("CeasefireSchema", fields)


Schema = _schema()
_registered = False


def register_schema() -> None:
    """Register the schema in Hydra's ConfigStore as ``base_config`` (idempotent)."""
    global _registered
    if _registered:
        return
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="base_config", node=Schema)
    register_experiments()
    _registered = True


def register_experiments() -> None:
    """Register each ``experiments/NAME.yaml`` as option NAME of the config group ``experiment``.

    Hydra looks for a group in a folder of its own name under each search-path root; the mission's layout keeps
    experiments in ``experiments/`` beside ``configs/``, so the files are stored in the ConfigStore instead
    (their ``# @package`` header is honoured). This serves ``python -m sim +experiment=NAME`` and
    ``compose_config`` alike, installed or not, with no plugin discovery.
    """
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    for path in sorted(EXPERIMENT_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        header = next((line for line in text.splitlines() if line.startswith("# @package")), "")
        package = header.removeprefix("# @package").strip() or None
        ConfigStore.instance().store(group="experiment", name=path.stem, node=OmegaConf.create(text),
                                     package=package, provider="ceasefire-sim experiments")


def from_omegaconf(cfg) -> Config:
    """Validated ``Config`` from a composed OmegaConf object (the only place OmegaConf is read)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        plain = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as exc:  # e.g. an interpolation ${...} that points nowhere
        raise ConfigError(f"{getattr(exc, 'full_key', None) or '?'}: {str(exc).splitlines()[0]}") from None
    return validate(plain)


GROUP_OPTIONS = ("scenario", "experiment")  # config groups whose option is chosen on the command line
GRAMMAR_URL = "https://hydra.cc/docs/1.3/advanced/override_grammar/basic"


def _malformed(overrides) -> str | None:
    """The first override that Hydra's grammar refuses or that gives a config group no single option, and why."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    for line in overrides or ():
        try:
            override = parser.parse_overrides([line])[0]
        except Exception as exc:  # Hydra's OverrideParseException, with the grammar's own reason
            lines = [text for text in str(exc).splitlines() if text.strip() and not text.startswith("See ")]
            if lines[0].startswith("LexerNoViableAltException") and len(lines) > 1 and "^" in lines[1]:
                at = lines[1].index("^") - len("LexerNoViableAltException: ")
                reason = f"unexpected character {line[at]!r} at position {at + 1}" if 0 <= at < len(line) else ""
            else:
                reason = "; ".join(t.strip() for t in lines if not t.startswith("Error parsing override"))
            return f"malformed override {line!r}: {reason or 'not key=value'}; see {GRAMMAR_URL}"
        if not override.key_or_group:
            return f"malformed override {line!r}: no key before '='"
        if override.is_sweep_override():
            try:
                list(override.sweep_string_iterator())  # as the sweeper will expand it, e.g. range(0,1,0)
            except Exception as exc:
                return f"{line}: {exc}"
        value = override.value()
        if override.key_or_group in GROUP_OPTIONS and not override.is_sweep_override() and not isinstance(value, str):
            group = override.key_or_group
            return (f"{line}: {group} takes one option name, e.g. {override.get_key_element()}=NAME; to compare "
                    f"several, sweep them: python -m sim -m {override.get_key_element()}=A,B")
    return None


def _explain(exc: Exception, overrides=None) -> str:
    """One clear line out of Hydra's and OmegaConf's composition errors (``overrides``: the command line's)."""
    bad = _malformed(overrides)
    if bad is not None:
        return bad


    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    cause = str(exc.__cause__ or "").strip()
    if "Could not find '" in first:  # unknown option of a config group: name the allowed ones
        missing = first.split("Could not find ")[-1]
        options = []
        for line in text.split("Available options in", 1)[-1].splitlines()[1:] if "Available options" in text else []:
            if not line.startswith("\t"):
                break
            options.append(line.strip())
        return f"{missing} does not exist; allowed: {', '.join(options) or 'none'}"
    if "not in '" in cause and "full_key: " in cause:  # unknown key in the typed schema
        key = cause.split("full_key: ")[-1].splitlines()[0].strip()
        group = key.split(".")[0] if "." in key else None
        if group in GROUPS:
            known = sorted(p.name for p in PARAMS if p.group == group)
            return f"unknown key {key}; allowed keys in {group}: {', '.join(known)}"
        if key.startswith("output."):
            return f"unknown key {key}; allowed keys in output: figures, workers"
        allowed = sorted(set(RUN_SETTINGS) | {"preset", "output"} | set(GROUPS))
        return f"unknown key {key}; allowed top-level keys: {', '.join(allowed)}"
    if first.startswith("Error merging override ") and cause:  # a value the typed schema cannot hold
        return f"{first.removeprefix('Error merging override ')}: {cause.splitlines()[0]}"
    if first.startswith("Ambiguous value for argument"):  # a sweep without -m
        return f"{first}: to sweep over it add -m (--multirun); for a list write key=[a,b]"
    if first.startswith("Could not override '") and "use +" in text:  # e.g. experiment=NAME without its +
        return f"{first} {text.splitlines()[-1].strip()}"
    if "not in struct" in text or "Key '" in text and "not in" in text:
        key = text.split("full_key: ")[-1].splitlines()[0] if "full_key: " in text else first
        return f"unknown key {key.strip()}"
    if "could not be converted" in text or "Value '" in text:
        key = text.split("full_key: ")[-1].splitlines()[0].strip() if "full_key: " in text else "?"
        return f"{key}: {first}"
    return first


def compose_config(overrides: list[str] | None = None) -> Config:
    """Compose ``configs/config.yaml`` with Hydra overrides and return the validated, frozen ``Config``."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_schema()
    overrides = list(overrides or [])
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    bad = _malformed(overrides)  # also what Hydra would accept but mean otherwise (scenario=[a,b] merges presets)
    if bad is not None:
        raise ConfigError(bad)
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra raises several exception types for bad overrides
        raise ConfigError(_explain(exc, overrides)) from None
    return from_omegaconf(cfg)
