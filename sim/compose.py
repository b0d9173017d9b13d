"""The Hydra glue: the typed schema, the experiments' registration, composition, and clear errors for bad input.

The Hydra schema is generated from ``sim.parameters.PARAMS`` (and ``sim.config.Output``) and registered in the
ConfigStore as ``base_config``; YAML files in ``configs/`` hold values only. ``compose_config(overrides)``
composes ``configs/config.yaml`` with Hydra and returns the plain, frozen, validated ``sim.config.Config``: OmegaConf
is read here and nowhere in the model. ``explain`` turns the exceptions Hydra and OmegaConf raise for bad input into
one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import field, make_dataclass
from pathlib import Path
from typing import Any

from sim.config import (
    CONFIG_DIR,
    EXPERIMENT_DIR,
    RUN_SETTINGS,
    Config,
    ConfigError,
    Output,
    preset_names,
    unknown_key,
    validate,
)
from sim.parameters import GROUPS, PARAMS

GROUP_OPTIONS = ("scenario", "experiment")  # config groups whose option is chosen on the command line
GRAMMAR_URL = "https://hydra.cc/docs/1.3/advanced/override_grammar/basic"


# ------------------------------------------------------------------------------------------ Hydra schema
def _group_dataclass(group: str):
    # Every parameter is `Any`: it holds a number (or a choice's name) or a distribution dict, and OmegaConf 2.3
    # types a field as a union of primitives only (Union[float, Dict] raises "Unions of containers are not
    # supported"). sim.config.validate checks each value's type and names the key, the value and what is allowed.
    fields = [(p.name, Any, field(default=p.default)) for p in PARAMS if p.group == group]
    return make_dataclass(f"{group.capitalize()}Schema", fields)


def _output_dataclass():
    hints = typing.get_type_hints(Output)  # real types: sim.config's annotations are strings (postponed)
    fields = [(f.name, hints[f.name], field(default=f.default)) for f in dataclasses.fields(Output)]
    return make_dataclass("OutputSchema", fields)


def _schema():
    fields: list = [(name, int, field(default=default)) for name, (default, *_rest) in RUN_SETTINGS.items()]
    fields.append(("preset", str, field(default="custom")))
    groups = {group: _group_dataclass(group) for group in GROUPS} | {"output": _output_dataclass()}
    fields += [(name, cls, field(default_factory=cls)) for name, cls in groups.items()]
    return make_dataclass("CeasefireSchema", fields)


Schema = _schema()
_registered = False


def register_schema() -> None:
    """Register the schema in Hydra's ConfigStore as ``base_config`` and the experiments (idempotent)."""
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


def default_preset() -> str:
    """The preset ``configs/config.yaml`` composes when none is chosen (the ``scenario`` of its defaults list)."""
    from omegaconf import OmegaConf

    defaults = OmegaConf.to_container(OmegaConf.load(CONFIG_DIR / "config.yaml"))["defaults"]
    return next(entry["scenario"] for entry in defaults if isinstance(entry, dict) and "scenario" in entry)


# ------------------------------------------------------------------------------------------ composition
def from_omegaconf(cfg) -> Config:
    """Validated ``Config`` from a composed OmegaConf object (the only place OmegaConf is read)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        plain = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as exc:  # e.g. an interpolation ${...} that points nowhere
        raise ConfigError(f"{getattr(exc, 'full_key', None) or '?'}: {str(exc).splitlines()[0]}") from None
    return validate(plain)


@contextmanager
def _hydra(config_dir: str | None = None) -> Iterator[None]:
    """Hydra initialised on ``configs/`` with the schema registered, and cleared again afterwards.

    ``config_dir``: a directory added to the search path as ``--config-dir`` adds it (``hydra.main``'s own search
    path, built with Hydra's private helpers: there is no public way to add one).
    """
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_schema()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            if config_dir is not None:
                from hydra._internal.hydra import Hydra
                from hydra._internal.utils import create_config_search_path
                from hydra.core.config_search_path import SearchPathQuery

                path = Path(config_dir).absolute()
                if not path.is_dir():
                    raise ConfigError(f"--config-dir {config_dir}: no such directory")
                GlobalHydra.instance().clear()  # initialised on configs/ alone: again, with the directory added
                search_path = create_config_search_path(str(CONFIG_DIR))
                search_path.prepend(provider="command-line", path=f"file://{path}",
                                    anchor=SearchPathQuery(provider="schema"))
                Hydra.create_main_hydra2(task_name="__main__", config_search_path=search_path)
            yield
    finally:
        GlobalHydra.instance().clear()


def compose_config(overrides: Sequence[str] | None = None, *, config_name: str | None = None,
                   config_dir: str | None = None) -> Config:
    """Compose ``configs/config.yaml`` with Hydra overrides and return the validated, frozen ``Config``.

    ``config_name`` and ``config_dir``: another primary config, and a directory searched besides ``configs/``, as
    ``--config-name`` and ``--config-dir`` give them to ``python -m sim``."""
    from hydra import compose

    if isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides or ()):
        raise ConfigError(f"overrides={overrides!r} must be a list of override strings, e.g. "
                          f"{[overrides] if isinstance(overrides, str) else ['scenario=minsk', 'n_scenarios=2000']}")
    overrides = list(overrides or [])
    bad = _malformed(overrides)  # also what Hydra would accept but mean otherwise (scenario=[a,b] merges presets)
    if bad is not None:
        raise ConfigError(bad)
    try:
        with _hydra(config_dir):
            cfg = compose(config_name=config_name or "config", overrides=overrides)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra raises several exception types for bad overrides
        raise ConfigError(explain(exc, overrides)) from None
    return from_omegaconf(cfg)


def compose_command_line(overrides: Sequence[str], multirun: bool, config_name: str | None = None,
                         config_dir: str | None = None):
    """The whole composed config of a command line, Hydra's own ``hydra`` node included, as ``python -m sim``
    composes it (a sweep's values kept unexpanded in ``hydra.overrides.task`` under ``multirun``), with the
    ``--config-name`` and ``--config-dir`` given, if any.

    Raises ``ConfigError`` for a command line Hydra cannot compose (unknown key, group option, experiment or config
    name, bad syntax).
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    try:
        with _hydra(config_dir):
            # hydra.compose has no run mode or shell parsing; the loaded Hydra object has (public module, typed
            # attribute), so the sweep is composed exactly as `hydra.main` will compose it.
            return GlobalHydra.instance().hydra.compose_config(
                config_name=config_name or "config", overrides=list(overrides), from_shell=True,
                with_log_configuration=False, run_mode=RunMode.MULTIRUN if multirun else RunMode.RUN)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra raises several exception types for bad overrides
        raise ConfigError(explain(exc, overrides)) from None


# ------------------------------------------------------------------------------------------ errors
def _malformed(overrides: Sequence[str] | None) -> str | None:
    """The first override that Hydra's grammar refuses or that gives a config group no single option, and why."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    for line in overrides or ():
        try:
            override = parser.parse_overrides([line])[0]
        except OverrideParseException as exc:  # the grammar's own reason, under Hydra's heading
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
        elif override.is_delete() and override.key_or_group == "scenario" and override.value() is None:
            return (f"{line}: every run starts from a preset, which cannot be removed; allowed: scenario=NAME to "
                    f"choose another, one of {', '.join(sorted(preset_names()))}")
        elif override.key_or_group in GROUP_OPTIONS and not isinstance(override.value(), str):
            key = override.get_key_element()
            return (f"{line}: {override.key_or_group} takes one option name, e.g. {key}=NAME; to compare several, "
                    f"sweep them: python -m sim -m {key}=A,B")
    return None


def _line_of(key: str, overrides: Sequence[str] | None) -> str:
    """The override that set ``key`` as typed (``n_scenarios=1e3``), or the key when a config file set it."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides or []))
    return next((o.input_line for o in parsed if o.key_or_group == key), key)


def explain(exc: Exception, overrides: Sequence[str] | None = None) -> str:
    """One line out of an exception Hydra or OmegaConf raised composing ``overrides`` (the command line's): the key,
    the value and what is allowed, where the exception tells them."""
    from hydra.errors import MissingConfigException
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    bad = _malformed(overrides)
    if bad is not None:
        return bad
    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file and not exc.options and "/" not in str(
            exc.missing_cfg_file):  # the primary config (--config-name)
        return (f"--config-name {exc.missing_cfg_file}: no such config in {CONFIG_DIR} (or a --config-dir); "
                "allowed: config (the default) or a YAML file's name there")
    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file:  # an unknown option of a config group
        return f"'{exc.missing_cfg_file}' does not exist; allowed: {', '.join(exc.options or ()) or 'none'}"
    cause = exc.__cause__
    key = getattr(cause, "full_key", None)
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)) and key:  # a key the typed schema lacks
        return unknown_key(key)
    if isinstance(cause, ValidationError) and key:  # a value the typed schema cannot hold
        return f"{_line_of(key, overrides)}: {str(cause).splitlines()[0]}"
    # Hydra's own refusals carry no key or value apart from their text: its first line, with the way out.
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    if lines[0].startswith("Ambiguous value for argument"):  # a sweep without -m
        return f"{lines[0]}: to sweep over it add -m (--multirun); for a list write key=[a,b]"
    if lines[0].startswith("Could not override '") and "use +" in lines[-1]:  # e.g. experiment=NAME without its +
        return f"{lines[0]} {lines[-1].strip()}"
    return lines[0]


__all__ = ["GROUP_OPTIONS", "Schema", "compose_command_line", "compose_config", "default_preset", "explain",
           "from_omegaconf", "register_experiments", "register_schema"]
