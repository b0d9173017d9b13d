"""The way in from the EMA Workbench and SALib: the parameter table as an ema-workbench model and a SALib problem.

``ema_model(config)`` declares an ``ema_workbench.Model`` from the parameter table (``sim.parameters``): each
uncertainty or lever is a ``RealParameter``, ``IntegerParameter`` or ``CategoricalParameter`` named by its key
(``us.resolve``), with the range of its distribution in the config (``{dist: uniform, low: .., high: ..}``; for a
choice, its values), or else the range of the parameter table. Outcomes are ``ScalarOutcome``s named as in
``sim.observables.OUTCOMES`` (the numeric ones). The batch engine (``sim.run_batch``) is the model's function.

``BatchEvaluator`` runs ALL experiments of one ``perform_experiments`` call as ONE batch: experiment i (in
ema-workbench's order) is scenario index i of the batch, so its random streams are those of scenario i of a
design of that many scenarios; with ``n_replicates=R`` it is the R scenarios i*R .. i*R+R-1 and its outcomes are
means over them (``collapsed`` becomes a collapse probability, ``end_day`` a restricted mean survival time).
Parameters the experiments do not set keep their value (or distribution) in the config. ``perform_experiments``
here is ema-workbench's own with this evaluator; it returns the same (experiments DataFrame, outcomes dict).

Outside ``BatchEvaluator`` (ema-workbench's sequential or multiprocessing evaluators), the model's function runs
each experiment on its own as scenario index 0 to R-1: the same outcomes rules, common random numbers for every
experiment, one batch per experiment. ``salib_problem(config)`` gives SALib the numeric uncertain parameters.

ema-workbench and SALib are the optional extra ``analysis``; they are imported when a function needs them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np

import sim
from sim.observables import OUTCOMES
from sim.parameters import PARAMS

# BatchEvaluator is built on first access (module __getattr__), ema-workbench being an optional extra.
__all__ = ["DEFAULT_OUTCOMES", "BatchEvaluator", "ema_model", "perform_experiments", "salib_problem"]  # noqa: F822

PARAM_BY_KEY = {p.key: p for p in PARAMS}
run_batch = sim.run_batch  # the engine every experiment goes through (tests count calls through this name)

# Numeric outcomes, declared by default (``failure_mode``, a category, is left out; ``collapse_day`` is missing
# when the ceasefire held, so ``end_day``, the day of collapse or the horizon, stands for it; ask for it by name).
DEFAULT_OUTCOMES: tuple[str, ...] = tuple(
    name for name, (unit, _) in OUTCOMES.items() if unit != "category" and name != "collapse_day")
# Direction of the outcomes an optimisation would use; the others are INFO.
_DIRECTION = {"collapsed": "MINIMIZE", "end_day": "MAXIMIZE", "max_level": "MINIMIZE", "clashes": "MINIMIZE",
              "territory_change_km2": "MAXIMIZE", "investment_total_bn": "MAXIMIZE", "security_final": "MAXIMIZE",
              "reassurance_final": "MAXIMIZE"}


def _ema():
    """ema_workbench, imported quietly (it warns about optional parallel back ends not needed here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench
        from ema_workbench.em_framework import evaluators
    return ema_workbench, evaluators


def _config(config) -> sim.Config:
    if config is None:
        return sim.compose_config(["+experiment=analysis_prim"])
    if isinstance(config, sim.Config):
        return config
    if isinstance(config, str):
        return sim.compose_config([config])
    return sim.compose_config(list(config))


def _ranges(config: sim.Config, keys) -> dict[str, tuple]:
    """key -> (low, high) or tuple of choices: from the argument if given, else the config, else the table."""
    if isinstance(keys, Mapping):
        given = dict(keys)
    elif isinstance(keys, str):
        given = {keys: None}
    else:
        given = dict.fromkeys(keys)
    out = {}
    for key, rng in given.items():
        if key not in PARAM_BY_KEY:
            raise ValueError(f"{key!r} is not a model parameter; see sim/parameters.py (e.g. 'us.resolve')")
        p = PARAM_BY_KEY[key]
        spec = config.spec(key)
        if rng is None:
            if p.kind == "choice":
                rng = tuple(spec.args[0]) if spec.dist == "choice" else tuple(p.choices)
            elif not spec.fixed:
                rng = tuple(spec.support())
            elif math.isfinite(p.low) and math.isfinite(p.high):
                rng = (p.low, p.high)
            else:
                raise ValueError(f"{key} has no finite range in the parameter table; "
                                 f"give one: {{{key!r}: (low, high)}}")
        elif p.kind == "choice":
            rng = tuple(rng)
            bad = [v for v in rng if v not in p.choices]
            if bad:
                raise ValueError(f"{key}: {bad} not among its values {list(p.choices)}")
        else:
            low, high = rng
            if not p.low <= low < high <= p.high:
                raise ValueError(f"{key}: range ({low}, {high}) must lie in [{p.low}, {p.high}] with low < high")
            rng = (low, high)
        out[key] = rng
    return out


def _parameter(key: str, rng):
    ema, _ = _ema()
    p = PARAM_BY_KEY[key]
    if p.kind == "choice":
        return ema.CategoricalParameter(key, list(rng))
    if p.kind == "int":
        return ema.IntegerParameter(key, int(math.ceil(rng[0])), int(math.floor(rng[1])))
    return ema.RealParameter(key, float(rng[0]), float(rng[1]))


class _Experiment:
    """The model's function for evaluators that run one experiment at a time: scenario indices 0..R-1."""

    def __init__(self, config: sim.Config, outcomes: tuple[str, ...], n_replicates: int):
        self.config, self.outcomes, self.n_replicates = config, outcomes, n_replicates

    def __call__(self, **values):
        values = {k: v for k, v in values.items() if k in PARAM_BY_KEY}
        rows = _run([values], self.config, self.outcomes, self.n_replicates)
        return rows[0]


def _design(experiments: list[Mapping], n_replicates: int) -> dict[str, np.ndarray]:
    keys = {k for e in experiments for k in e if k in PARAM_BY_KEY}
    out = {}
    for key in sorted(keys):
        missing = sum(key not in e for e in experiments)
        if missing:
            raise ValueError(f"{key} is set in some experiments and not in {missing} others")
        vals = [e[key] for e in experiments]
        arr = np.asarray(vals, dtype=object if PARAM_BY_KEY[key].kind == "choice" else np.float64)
        out[key] = np.repeat(arr, n_replicates)
    return out


def _run(experiments: list[Mapping], config: sim.Config, outcomes: tuple[str, ...], n_replicates: int):
    """One batch of all experiments (experiment i: scenarios i*R .. i*R+R-1); a dict of outcomes per experiment."""
    n = len(experiments) * n_replicates
    cfg = config if config.n_scenarios == n else config.replace(n_scenarios=n)
    scenarios = np.arange(n, dtype=np.int64)
    table = run_batch(cfg, scenarios=scenarios, param_values=_design(experiments, n_replicates), progress=False)
    table = table.outcomes.loc[scenarios]
    columns = {}
    for name in outcomes:
        col = table[name]
        if name == "collapse_day":
            col = col.astype("float64")  # missing (held to the horizon) as NaN
        values = col.to_numpy()
        if n_replicates > 1:
            with warnings.catch_warnings():  # collapse_day: NaN where no replicate collapsed
                warnings.simplefilter("ignore", RuntimeWarning)
                values = np.nanmean(values.astype(np.float64).reshape(-1, n_replicates), axis=1)
        columns[name] = values.tolist()  # Python scalars: ema-workbench wants numbers.Number (not numpy.bool)
    return [{name: columns[name][i] for name in outcomes} for i in range(len(experiments))]


def ema_model(config=None, *, levers=(), uncertainties=None, outcomes=None, n_replicates: int = 1,
              name: str = "ceasefire"):
    """An ``ema_workbench.Model`` of the ceasefire, declared from the parameter table.

    ``config``: a ``sim.Config``, a list of overrides, or None for ``+experiment=analysis_prim`` (eleven
    uncertain guarantee and context parameters). ``uncertainties``: keys (or a mapping key -> (low, high) or a
    list of choices); None means every parameter the config gives as a distribution, less the levers.
    ``levers``: keys (or such a mapping) to search or set as policies. A range not given is the config's
    distribution's support (for a choice, its values), else the parameter table's range. ``outcomes``: names
    of ``sim.observables.OUTCOMES`` (default ``DEFAULT_OUTCOMES``). ``n_replicates``: scenarios per experiment,
    outcomes averaged over them. Run it with ``perform_experiments`` (or ``BatchEvaluator``) to run all
    experiments as one batch.
    """
    ema, _ = _ema()
    config = _config(config)
    if int(n_replicates) < 1:
        raise ValueError(f"n_replicates must be at least 1, not {n_replicates}")
    lever_ranges = _ranges(config, levers)
    if uncertainties is None:
        uncertainties = [k for k in config.sampled_keys if k not in lever_ranges]
    unc_ranges = _ranges(config, uncertainties)
    both = set(lever_ranges) & set(unc_ranges)
    if both:
        raise ValueError(f"{sorted(both)} declared both as uncertainties and as levers")
    outcomes = tuple(DEFAULT_OUTCOMES if outcomes is None else ([outcomes] if isinstance(outcomes, str) else outcomes))
    unknown = [o for o in outcomes if o not in OUTCOMES or OUTCOMES[o][0] == "category"]
    if unknown:
        raise ValueError(f"outcome(s) {unknown} unknown or not numeric; see sim/observables.py OUTCOMES")

    model = ema.Model(name, function=_Experiment(config, outcomes, int(n_replicates)))
    model.uncertainties = [_parameter(k, r) for k, r in unc_ranges.items()]
    model.levers = [_parameter(k, r) for k, r in lever_ranges.items()]
    model.outcomes = [ema.ScalarOutcome(o, kind=getattr(ema.ScalarOutcome, _DIRECTION.get(o, "INFO")))
                      for o in outcomes]
    model.sim_config = config
    model.sim_outcomes = outcomes
    model.n_replicates = int(n_replicates)
    return model


_BATCH_EVALUATOR = None


def _batch_evaluator():
    """``BatchEvaluator``, built on ema-workbench's ``BaseEvaluator`` when first asked for (lazy import)."""
    global _BATCH_EVALUATOR
    if _BATCH_EVALUATOR is not None:
        return _BATCH_EVALUATOR
    _, evaluators = _ema()

    class BatchEvaluator(evaluators.BaseEvaluator):
        """An ema-workbench evaluator that runs all experiments of a call as one batch per model (a model of
        ``ema_model``): experiment i is scenario index i (i*R .. i*R+R-1 with ``n_replicates=R``).

        ``with BatchEvaluator(model) as ev: experiments, outcomes = ev.perform_experiments(scenarios=500)``
        """

        def initialize(self):
            pass

        def finalize(self):
            pass

        def evaluate_experiments(self, scenarios, policies, callback, combine="factorial", **kwargs):
            experiments = list(evaluators.experiment_generator(scenarios, self._msis, policies, combine=combine))
            for model in self._msis:
                if not hasattr(model, "sim_config"):
                    raise TypeError(f"model {model.name!r} was not made by sim.ema.ema_model")
                mine = [e for e in experiments if e.model_name == model.name]
                if not mine:
                    continue
                constants = {c.name: c.value for c in model.constants}
                values = [{**constants, **dict(e.scenario), **dict(e.policy)} for e in mine]
                rows = _run(values, model.sim_config, model.sim_outcomes, model.n_replicates)
                for experiment, row in zip(mine, rows, strict=True):
                    callback(experiment, {o.name: o.process([row[v] for v in o.variable_name])
                                          for o in model.outcomes})

    BatchEvaluator.__module__, BatchEvaluator.__qualname__ = __name__, "BatchEvaluator"  # picklable by name
    _BATCH_EVALUATOR = BatchEvaluator
    return BatchEvaluator


def __getattr__(name):
    if name == "BatchEvaluator":
        return _batch_evaluator()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def perform_experiments(model=None, scenarios=0, policies=0, **kwargs):
    """``ema_workbench.perform_experiments`` with ``BatchEvaluator``: all experiments as one batch.

    ``model``: a model of ``ema_model``, or a config (or overrides, or None) to make one with its defaults.
    ``scenarios`` / ``policies``: numbers to sample (Latin hypercube by default) or explicit designs, as in
    ema-workbench; other keyword arguments go to it (``uncertainty_sampling``, ``combine``, ...). Returns
    (experiments DataFrame, outcomes dict of arrays), aligned on row.
    """
    ema, _ = _ema()
    if not isinstance(model, ema.Model):
        model = ema_model(model)
    with _batch_evaluator()(model) as evaluator:
        return ema.perform_experiments(model, scenarios=scenarios, policies=policies, evaluator=evaluator, **kwargs)


def salib_problem(config=None, keys=None) -> dict:
    """A SALib problem (``num_vars``, ``names``, ``bounds``) of the numeric uncertain parameters of a config
    (default ``+experiment=analysis_prim``), or of ``keys``; bounds are each distribution's support (SALib then
    samples uniformly within them), else the parameter table's range. Choices are left out."""
    config = _config(config)
    if keys is None:
        keys = [k for k in config.sampled_keys if PARAM_BY_KEY[k].kind != "choice"]
    ranges = _ranges(config, keys)
    choices = [k for k in ranges if PARAM_BY_KEY[k].kind == "choice"]
    if choices:
        raise ValueError(f"{choices} are choices; a SALib problem holds numeric parameters only")
    return {"num_vars": len(ranges), "names": list(ranges),
            "bounds": [[float(lo), float(hi)] for lo, hi in ranges.values()]}
