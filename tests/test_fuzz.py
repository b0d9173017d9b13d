"""Property-based fuzzing of the configuration space: every valid configuration keeps the model's invariants.

Configurations are drawn (hypothesis) from the whole space ``sim.config.validate`` accepts: every preset and
every experiment as a base, any parameter of ``sim.parameters.PARAMS`` anywhere in its declared range or as any
distribution whose bounds lie in it (edge values weighted: range ends, 0, 1, the default), the run settings
included (one scenario, a one-day horizon, any collapse level, shards). Batches are small and horizons short, so
that many configurations run: the model's arithmetic does not depend on batch size.

On each configuration a plain reference loop steps every scenario with ``engine.step`` and checks the invariants
after every step (``test_invariants.check_state`` plus probabilities, finiteness and collapse being absorbing);
then ``run_batch`` (chunked, compacting finished scenarios, with trajectories) must give exactly the outcomes the
reference loop recorded, and its trajectories must agree with its outcomes.

The command line is fuzzed too (``test_the_command_line_never_ends_in_a_traceback``): override strings of every
kind (model keys, run settings, presets, experiments, output directories, junk), ``CEASEFIRE_SIM_MEMORY_BYTES``
and single runs or sweeps, run in-process as ``python -m sim`` runs them; each ends with exit status 0, 1 or 2 and
at most one line ``error: ...``, never a traceback. Every directory it names lies under a temporary directory.

``make test`` runs a modest number of examples (derandomized: the same every run); ``make fuzz`` runs the large
profile (``HYPOTHESIS_PROFILE=fuzz``: 10,000 configurations over two processes, random seeds, statistics printed;
the command line gets a thirtieth of that, as each example is a whole run). Regressions found by fuzzing are pinned
at the end of the file.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import tempfile
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_invariants import check_state

from sim import rules as R
from sim.__main__ import main
from sim.batch import run_batch
from sim.codes import FailureMode, Level
from sim.compose import compose_config
from sim.config import EXPERIMENT_DIR, RUN_SETTINGS, Config, ConfigError, allowed_keys, preset_names, validate
from sim.design import build_params
from sim.engine import initial_state, step
from sim.memory import MEMORY_ENV
from sim.observables import OUTCOMES, SERIES, outcomes, series
from sim.parameters import PARAMS, ParamSpec
from sim.rng import Streams

PRESETS = sorted(preset_names())  # sorted: the derandomized draws stay those of the file listing
EXPERIMENTS = sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml"))
BASES = [f"scenario={name}" for name in PRESETS] + [f"+experiment={name}" for name in EXPERIMENTS]

# Small batches and short horizons: the invariants are per scenario and per step, so size adds nothing but time.
MAX_SCENARIOS = 12
MAX_HORIZON_DAYS = 45

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("ceasefire-test", max_examples=300, derandomize=True, database=None, **_COMMON)
# `make fuzz` splits FUZZ_EXAMPLES over processes with independent seeds; failures are kept in .hypothesis/.
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 10_000)), **_COMMON)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ceasefire-test"))

# Series that are probabilities or indices in [0, 1].
UNIT_SERIES = ("belief_us", "belief_coalition", "believed_us_response", "believed_coalition_response", "security",
               "reassurance", "us_attention", "sanctions", "incident")
UNIT_OUTCOMES = ("belief_us_final", "belief_coalition_final", "security_final", "reassurance_final",
                 "sanctions_final")
COUNT_OUTCOMES = ("violations", "incidents", "probes", "violations_detected", "violations_attributed",
                  "violations_answered", "retaliations", "clashes", "coalition_responses", "coalition_nonresponses",
                  "us_probe_answers", "us_nonresponses", "ground_retaken_km2")


@cache
def _composed(override: str) -> Config:
    return compose_config([override])


def base_config(override: str) -> dict:
    """The plain dict of a preset or experiment (composed once through Hydra; a fresh copy each call)."""
    return _composed(override).to_dict()


# ------------------------------------------------------------------------------------------ strategies
def _edges(low: float, high: float, default=None) -> list[float]:
    points = {low, high, (low + high) / 2}
    points |= {v for v in (0.0, 1.0, default) if v is not None and low <= v <= high}
    return sorted(points)


def numbers(low: float, high: float, integer: bool = False, default=None) -> st.SearchStrategy:
    """A value in [low, high], range ends and 0, 1 and the default weighted."""
    if integer:
        low, high = math.ceil(low), math.floor(high)
        return st.one_of(st.sampled_from([int(v) for v in _edges(low, high, default) if v == int(v)]),
                         st.integers(low, high))
    return st.one_of(st.sampled_from(_edges(low, high, default)),
                     st.floats(low, high, allow_nan=False, allow_infinity=False))


@st.composite
def distributions(draw, low: float, high: float) -> dict:
    """A uniform, beta, triangular or truncated-normal distribution with bounds inside [low, high]."""
    a, b = draw(numbers(low, high)), draw(numbers(low, high))
    if a == b:  # bounds must differ: widen towards whichever end has room
        a, b = (low, a) if a > low else (a, high)
    lo, hi = min(a, b), max(a, b)
    dist = draw(st.sampled_from(["uniform", "beta", "triangular", "truncnormal"]))
    if dist == "uniform":
        return {"dist": dist, "low": lo, "high": hi}
    if dist == "beta":
        shape = st.one_of(st.sampled_from([1e-3, 0.1, 0.5, 1.0, 2.0, 50.0, 1e3]), st.floats(1e-3, 1e3))
        return {"dist": dist, "a": draw(shape), "b": draw(shape), "low": lo, "high": hi}
    if dist == "triangular":
        mode = draw(st.one_of(st.sampled_from([lo, hi, (lo + hi) / 2]), st.floats(lo, hi)))
        return {"dist": dist, "low": lo, "mode": mode, "high": hi}
    width = hi - lo
    mean = draw(st.one_of(st.sampled_from([lo, hi, (lo + hi) / 2, lo - 50 * width, hi + 50 * width]),
                          st.floats(lo - 5 * width, hi + 5 * width)))
    sd = draw(st.one_of(st.sampled_from([width * 1e-6, width / 10, width, width * 1e3]),
                        st.floats(width * 1e-6, width * 1e3)))
    return {"dist": dist, "mean": mean, "sd": max(sd, 5e-324), "low": lo, "high": hi}  # sd > 0 even for tiny widths


def parameter_values(p: ParamSpec, high: float | None = None) -> st.SearchStrategy:
    """Any value ``validate`` accepts for one parameter: fixed in range, or a distribution (``high`` caps it)."""
    if p.kind == "choice":
        return st.one_of(st.sampled_from(p.choices),
                         st.lists(st.sampled_from(p.choices), min_size=1, max_size=4).map(
                             lambda values: {"dist": "choice", "values": values}))
    top = p.high if high is None else min(p.high, high)
    fixed = numbers(p.low, top, integer=p.kind == "int", default=p.default)
    return st.one_of(fixed, distributions(p.low, top)) if p.low < top else fixed


@st.composite
def configurations(draw) -> Config:
    """A valid configuration: a preset or experiment with run settings and any parameters changed."""
    raw = base_config(draw(st.sampled_from(BASES)))
    n = draw(st.one_of(st.just(1), st.integers(1, MAX_SCENARIOS)))
    horizon = draw(st.one_of(st.just(1), st.integers(1, MAX_HORIZON_DAYS)))
    shards = draw(st.one_of(st.just(1), st.integers(1, n)))
    raw.update(n_scenarios=n, horizon_days=horizon, shards=shards, shard=draw(st.integers(0, shards - 1)),
               chunk_size=draw(st.integers(1, n + 2)), collapse_level=draw(st.integers(1, 4)),
               seed=draw(st.one_of(st.just(0), st.integers(0, RUN_SETTINGS["seed"][2]))))
    # Each parameter keeps its base value or takes a new one; how many change varies from none to all.
    share = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    for p in PARAMS:
        group = raw.setdefault(p.group, {})
        cap = horizon if p.key == "us.review_day" else None  # a review date must fall within the horizon
        base = group.get(p.name, p.default)
        out_of_reach = cap is not None and _support_high(base) > cap
        if out_of_reach or draw(st.floats(0, 1)) < share:
            group[p.name] = draw(parameter_values(p, cap))
    return validate(raw)


def _support_high(value) -> float:
    return max(value["high"], value.get("mode", value["high"])) if isinstance(value, dict) else value


# ------------------------------------------------------------------------------------------ the reference loop
def _check_today(today) -> None:
    probs = today.probs
    assert np.isfinite(probs).all() and ((probs >= 0) & (probs <= 1)).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    for name in ("ground_km2", "ru_losses_k", "ua_losses_k", "investment_bn_per_day"):
        v = getattr(today, name)
        assert np.isfinite(v).all() and (v >= 0).all(), name
    assert ((today.level >= 0) & (today.level <= Level.WAR)).all()
    assert ((today.p_offensive >= 0) & (today.p_offensive <= 1)).all() and (today.p_offensive[~today.review] == 0).all()


def _check_series(values: dict[str, np.ndarray]) -> None:
    for name, v in values.items():
        if name == "offensive_gap":  # recorded on Russia's review days only, NaN on the others
            v = v[~np.isnan(v)]
        assert np.isfinite(v).all(), name
    for name in UNIT_SERIES:
        assert ((values[name] >= 0) & (values[name] <= 1)).all(), name


def reference_outcomes(config: Config, scenarios: np.ndarray) -> dict[str, np.ndarray]:
    """Step every scenario to the horizon with ``engine.step``, checking the invariants after each step, and
    record each scenario's outcome row on the day it collapses (or at the horizon): (N,) per outcome."""
    params, streams = build_params(config, scenarios), Streams(config.seed, scenarios)
    state = initial_state(params, streams)
    assert (state.member_troops_k >= 0).all() and (state.coalition_members <= params.coalition.members).all()
    _check_series(series(state, params, None))
    recorded: dict[str, np.ndarray] = {}

    def record(rows: np.ndarray) -> None:
        for name, v in outcomes(state.take(rows), params.take(rows), config.horizon_days).items():
            recorded.setdefault(name, np.zeros(len(scenarios), dtype=v.dtype))[rows] = v

    for day in range(1, config.horizon_days + 1):
        new, today = step(state, params, streams, day)
        _check_today(today)
        check_state(new, state)
        assert (new.collapse_day[state.collapsed] == state.collapse_day[state.collapsed]).all()
        assert (new.member_troops_k <= state.member_troops_k).all()  # troops only ever leave
        assert (new.max_level >= new.level).all()
        _check_series(series(new, params, today))
        newly = new.collapsed & ~state.collapsed
        state = new
        if newly.any():
            record(np.flatnonzero(newly))
    record(np.flatnonzero(~state.collapsed))
    return recorded


# ------------------------------------------------------------------------------------------ checks of a batch
# (numpy rather than pandas operations: the fuzz run checks ten thousand batches)
def check_outcomes(config: Config, table: pd.DataFrame) -> None:
    """Outcome columns within their ranges and consistent with each other."""
    assert table.index.is_unique
    numeric = table.select_dtypes(include="number")
    assert np.isfinite(numeric.to_numpy(dtype=float, na_value=0.0)).all()
    col = {name: table[name].to_numpy() for name in OUTCOMES if name != "collapse_day"}
    collapsed, end = col["collapsed"].astype(bool), col["end_day"]
    collapse_day = table["collapse_day"].to_numpy(dtype=float, na_value=np.nan)
    assert ((end >= 1) & (end <= config.horizon_days)).all()
    assert (end[~collapsed] == config.horizon_days).all()
    assert (np.isnan(collapse_day) == ~collapsed).all() and (collapse_day[collapsed] == end[collapsed]).all()
    assert ((col["failure_mode"] == "none") == ~collapsed).all()
    # A collapse at or above collapse_level, or a spiral (which may end at a lower rung); no level at or above it
    # without a collapse.
    assert (~(col["max_level"] >= config.collapse_level) | collapsed).all()
    spiral = col["failure_mode"] == "spiral"
    assert ((col["max_level"] >= config.collapse_level) | spiral)[collapsed].all()
    assert (col["max_level_day"] <= end).all()
    for name in UNIT_OUTCOMES:
        assert ((col[name] >= 0) & (col[name] <= 1)).all(), name
    for name in (*COUNT_OUTCOMES, "ru_strength_final_k", "ua_strength_final_k", "coalition_troops_final_k",
                 "investment_total_bn"):
        assert (col[name] >= 0).all(), name
    assert (col["violations"] >= col["incidents"] + col["probes"]).all()
    assert (col["violations_detected"] <= col["violations"]).all()
    assert (col["violations_attributed"] <= col["violations_detected"]).all()
    assert (col["us_fought_war"] <= collapsed).all()  # the US fights a war only on the day the ceasefire ends
    assert (col["quiet_first_year"] <= ((col["first_probe_day"] < 0) | (col["first_probe_day"] > 365))).all()
    assert (col["frozen_conflict"] <= ~collapsed).all()
    slots = round(config.spec("coalition.members").support()[1])  # sampled member counts are rounded
    assert ((col["coalition_members_final"] >= 0) & (col["coalition_members_final"] <= slots)).all()
    for key in config.sampled_keys:  # sampled values stay inside their distribution's support
        spec, values = config.spec(key), table[key].to_numpy()
        if spec.dist == "choice":
            assert set(values) <= set(spec.args[0]), key
        else:
            low, high = spec.support()
            assert ((values >= math.floor(low)) & (values <= math.ceil(high))).all(), key


# Series whose value on the last recorded day is an outcome column.
FINAL_VALUES = {"violations": "violations", "investment_total_bn": "investment_total_bn",
                "ru_strength_k": "ru_strength_final_k",
                "ua_strength_k": "ua_strength_final_k", "sanctions": "sanctions_final",
                "troops_k": "coalition_troops_final_k", "active_members": "coalition_members_final",
                "territory_km2": "territory_change_km2", "security": "security_final",
                "reassurance": "reassurance_final", "belief_us": "belief_us_final",
                "belief_coalition": "belief_coalition_final"}


def check_trajectories(config: Config, table: pd.DataFrame, traj: pd.DataFrame, every: int) -> None:
    """Trajectories end where the outcomes say, and their last values are the outcome columns."""
    scenario, day = traj["scenario"].to_numpy(), traj["day"].to_numpy()
    values = {name: traj[name].to_numpy() for name in SERIES}
    _check_series(values)
    for name in ("ru_strength_k", "ua_strength_k", "troops_k", "investment_total_bn", "tension", "active_members"):
        assert (values[name] >= 0).all(), name
    same = scenario[1:] == scenario[:-1]  # consecutive rows of one scenario (rows come scenario by scenario)
    assert (np.diff(day)[same] == every).all()
    for name in ("violations", "investment_total_bn"):  # cumulative series never fall
        assert (np.diff(values[name])[same] >= 0).all(), name
    for name in ("active_members",):  # members only ever leave (troops in the country also grow as the force deploys)
        assert (np.diff(values[name])[same] <= 0).all(), name
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], len(scenario)] - 1
    assert (scenario[starts] == table.index.to_numpy()).all() and (day[starts] == 0).all()
    end = table["end_day"].to_numpy()
    assert (day[ends] == end - end % every).all()  # recorded up to the last multiple of `every` by end_day
    # Before its end no scenario reaches the collapse level; no level exceeds the scenario's highest.
    per_row = np.repeat(np.arange(len(starts)), ends - starts + 1)
    assert (values["level"][day < end[per_row]] < config.collapse_level).all()
    assert (values["level"] <= table["max_level"].to_numpy()[per_row]).all()
    complete = end % every == 0  # the end day itself was recorded
    for name, outcome in FINAL_VALUES.items():
        np.testing.assert_array_equal(values[name][ends][complete], table[outcome].to_numpy(dtype=float)[complete],
                                      err_msg=name)
    collapsed = table["collapsed"].to_numpy(dtype=bool) & complete
    ended_by_level = collapsed & (table["failure_mode"].to_numpy() != "spiral")
    assert (values["level"][ends][ended_by_level] >= config.collapse_level).all()


def check_against_reference(table: pd.DataFrame, expected: dict[str, np.ndarray]) -> None:
    """The batch engine's outcomes equal, exactly, those of the plain reference loop."""
    for name in OUTCOMES:
        got = table[name]
        if name == "collapse_day":
            got = got.fillna(-1)
        elif name == "failure_mode":
            got = got.map(FailureMode.names().index)
        np.testing.assert_array_equal(got.to_numpy(), expected[name], err_msg=name)


def check_configuration(config: Config, chunk_size: int, every: int) -> None:
    """Every property of one configuration (see the module docstring)."""
    scenarios = np.arange(*config.scenario_range)
    # An operation that creates a NaN is a bug even if the NaN is hidden later. Overflow is not: at extreme
    # parameters exp() in the logistic rules overflows to inf and 1 / (1 + inf) is the right limit, 0.
    with np.errstate(invalid="raise", over="ignore"):
        expected = reference_outcomes(config, scenarios)
        result = run_batch(config, scenarios, chunk_size=chunk_size, trajectories=True, trajectory_every=every,
                           progress=False)
    table = result.outcomes
    assert table.index.tolist() == scenarios.tolist()
    check_outcomes(config, table)
    check_against_reference(table, expected)
    check_trajectories(config, table, result.trajectories, every)
    summary = result.summary()
    assert 0 <= summary["collapse_probability"]["estimate"] <= 1


# ------------------------------------------------------------------------------------------ the properties
@settings(PROFILE)
@given(config=configurations(), chunk_size=st.integers(1, MAX_SCENARIOS + 1), every=st.integers(1, 4))
def test_every_valid_configuration_keeps_the_invariants(config, chunk_size, every):
    check_configuration(config, chunk_size, every)


@pytest.mark.parametrize("base", BASES)
def test_every_preset_and_experiment_at_the_edges(base):
    """Each base with every parameter at its lower, then its upper end (one scenario, a short horizon)."""
    raw = base_config(base)
    for end in ("low", "high"):
        changed = dict(raw, n_scenarios=3, horizon_days=30, shards=1, shard=0)
        for p in PARAMS:
            if p.kind == "choice":
                value = p.choices[0] if end == "low" else p.choices[-1]
            else:
                value = getattr(p, end) if p.key != "us.review_day" else 0 if end == "low" else 30
                value = int(value) if p.kind == "int" else float(value)
            changed.setdefault(p.group, {})[p.name] = value
        check_configuration(validate(changed), chunk_size=2, every=1)


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=8),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


@settings(PROFILE, max_examples=PROFILE.max_examples * 5)
@given(data=st.data())
def test_validate_refuses_junk_with_a_config_error_naming_the_key(data):
    """Any value at any key either validates or raises ConfigError naming that key: never another exception."""
    raw = base_config("scenario=coalition_us_backstop")
    target = data.draw(st.sampled_from([*RUN_SETTINGS, *(p.key for p in PARAMS)]))
    value = data.draw(JUNK)
    changed = {k: dict(v) if isinstance(v, dict) else v for k, v in raw.items()}
    if "." in target:
        group, name = target.split(".")
        changed[group][name] = value
    else:
        changed[target] = value
    try:
        validate(changed)
    except ConfigError as exc:
        assert target in str(exc)


# ------------------------------------------------------------------------------------------ the command line
# Small experiments only (each job of a sweep is a whole run); keys never Hydra's own settings but the output
# directories, which are always put under the example's temporary directory.
SMALL_EXPERIMENTS = ["decision_rules", "plans", "signals", "nope"]
CLI_KEYS = [*RUN_SETTINGS, *(p.key for p in PARAMS), *(f"output.{k}" for k in allowed_keys("output")), "preset"]
# What a command line and an environment can hold: any UTF-8 but NUL.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=10)
VALUE = st.one_of(st.sampled_from(["0", "1", "-1", "0.5", "1e3", "nan", "inf", "true", "null", "[]", "{}", "a,b",
                                   "${oops}", "'x'", "{dist:uniform,low:0,high:1}", "range(0,2)", "choice(1,2)"]),
                  st.integers(-(2**70), 2**70).map(str), st.floats().map(str), TEXT)
# Never a key under hydra (hydra.output_subdir=/etc would write there) other than the two directories below.
JUNK_KEY = st.from_regex(r"[+~]?[a-z_.]{1,12}", fullmatch=True).filter(lambda k: "hydra" not in k)


@st.composite
def command_lines(draw) -> tuple[list[str], str | None]:
    """A command line (overrides, ``-m`` or not) and a value of CEASEFIRE_SIM_MEMORY_BYTES (None: unset)."""
    overrides = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["key", "key", "preset", "experiment", "junk", "raw"]))
        if kind == "key":
            overrides.append(f"{draw(st.sampled_from(CLI_KEYS))}={draw(VALUE)}")
        elif kind == "preset":
            overrides.append(f"scenario={draw(st.sampled_from([*PRESETS, 'nowhere', '']))}")
        elif kind == "experiment":
            overrides.append(f"{draw(st.sampled_from(['+', '', '~']))}experiment="
                             f"{draw(st.sampled_from(SMALL_EXPERIMENTS))}")
        elif kind == "junk":
            overrides.append(f"{draw(JUNK_KEY)}={draw(VALUE)}")
        else:
            overrides.append(draw(TEXT.filter(lambda t: "hydra" not in t and not t.startswith("-"))))
    multirun = draw(st.booleans())
    if draw(st.booleans()):  # an output directory of its own, named by any text (no way out of the temporary one)
        name = draw(TEXT.filter(lambda t: ".." not in t))
        overrides.append(f"hydra.{'sweep' if multirun else 'run'}.dir={{tmp}}/{name}")
    memory = draw(st.one_of(st.none(), TEXT, st.integers(-10, 2**64).map(str), st.sampled_from(["4e9", "1GB"])))
    return (["-m"] if multirun else []) + overrides, memory


# Appended last (the last override of a key wins): every run that starts is tiny.
CLI_LIMITS = ["n_scenarios=3", "horizon_days=2", "output.figures=false", "output.workers=1", "shards=1", "shard=0"]


@settings(PROFILE, max_examples=max(10, PROFILE.max_examples // 30))
@given(command=command_lines())
def test_the_command_line_never_ends_in_a_traceback(command):
    """Any command line ends with exit status 0, 1 or 2 and at most one line ``error: ...``: never a traceback."""
    args, memory = command
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        here, argv, env = os.getcwd(), sys.argv, os.environ.get(MEMORY_ENV)
        os.chdir(tmp)
        stack.callback(os.chdir, here)
        sys.argv = ["python -m sim", *(a.replace("{tmp}", tmp) for a in args), *CLI_LIMITS]
        stack.callback(setattr, sys, "argv", argv)
        if memory is None:
            os.environ.pop(MEMORY_ENV, None)
        else:
            os.environ[MEMORY_ENV] = memory
        stack.callback(lambda: os.environ.__setitem__(MEMORY_ENV, env) if env is not None
                       else os.environ.pop(MEMORY_ENV, None))
        err = stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
        stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        try:
            main()
            status = 0
        except SystemExit as exc:
            status = exc.code
        stderr = err.getvalue()
    event(f"exit status {status}")  # `make fuzz` prints how many ran, and how many were refused
    assert status in (0, 1, 2), (status, stderr)
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == (status != 0), stderr


# ------------------------------------------------------------------------------ regressions found by fuzzing
def test_a_seed_beyond_float_precision_is_a_valid_whole_number():
    """Found: seed=2**53 + 1 (a valid seed) was refused as "not a whole number" (float(seed) != seed)."""
    config = compose_config([f"seed={2**53 + 1}", "n_scenarios=3", "horizon_days=5"])
    assert config.seed == 2**53 + 1
    assert validate(config.to_dict()).seed == 2**53 + 1
    with pytest.raises(ConfigError, match=r"coalition.members=2.5 must be a whole number"):
        compose_config(["coalition.members=2.5"])


def test_the_square_law_never_adds_troops_when_one_side_is_zero():
    """Found: with Russia at zero strength the survivor's strength, sqrt(invariant / rate), came out 1 ulp above its
    start, so Ukraine's losses were -2e-16 (a negative loss). Sweep strengths and rates where rounding bites."""
    rng = np.random.default_rng(20250106)
    blue = rng.uniform(0, 5000, 100_000)
    rates = rng.uniform(0, 10, (2, 100_000))
    for red in (np.zeros_like(blue), blue * rng.uniform(0, 2, blue.size)):
        red_after, blue_after = R.lanchester_square(red, blue, rates[0], rates[1], R.ENGAGEMENT_DAYS)
        assert (red_after <= red).all() and (blue_after <= blue).all()
        assert (red_after >= 0).all() and (blue_after >= 0).all()
