"""sim.ema: the parameter table as an ema-workbench model (one batch per perform_experiments call) and a SALib
problem; and the citation metadata (CITATION.cff) in step with pyproject."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
N = 50


def test_citation_cff_is_valid_and_versioned():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "version", "authors", "license", "date-released", "abstract",
                "keywords"):
        assert key in cff, key
    assert cff["cff-version"] == "1.2.0"
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert str(cff["version"]) == pyproject["project"]["version"]
    assert cff["license"] == pyproject["project"]["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


ema_workbench = pytest.importorskip("ema_workbench")
import sim.ema as ema  # noqa: E402


@pytest.fixture(scope="module")
def config():
    return sim.compose_config(["+experiment=analysis_prim", "horizon_days=365"])


def test_model_declares_the_config_uncertainties(config):
    model = ema.ema_model(config)
    assert [u.name for u in model.uncertainties] == list(config.sampled_keys)
    for u in model.uncertainties:
        spec = config.spec(u.name)
        if spec.dist == "choice":
            assert isinstance(u, ema_workbench.CategoricalParameter)
            assert [c.value for c in u.categories] == list(spec.args[0])
        else:
            assert (u.lower_bound, u.upper_bound) == spec.support()
    assert isinstance(model.uncertainties["coalition.members"], ema_workbench.IntegerParameter)
    assert [o.name for o in model.outcomes] == list(ema.DEFAULT_OUTCOMES)
    assert "collapsed" in ema.DEFAULT_OUTCOMES and "failure_mode" not in ema.DEFAULT_OUTCOMES

    split = ema.ema_model(config, levers=["coalition.troops_k", "monitoring.regime"])
    assert [lv.name for lv in split.levers] == ["coalition.troops_k", "monitoring.regime"]
    assert {u.name for u in split.uncertainties} == set(config.sampled_keys) - {"coalition.troops_k",
                                                                                "monitoring.regime"}
    with pytest.raises(ValueError, match="not a model parameter"):
        ema.ema_model(config, levers=["us.nonsense"])


def test_perform_experiments_is_one_batch_equal_to_run_batch(config, monkeypatch):
    calls = []

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return sim.run_batch(*args, **kwargs)

    monkeypatch.setattr(ema, "run_batch", counted)
    model = ema.ema_model(config, outcomes=["collapsed", "end_day", "territory_change_km2", "investment_total_bn"])
    experiments, outcomes = ema.perform_experiments(model, scenarios=N)
    assert len(calls) == 1 and len(experiments) == N
    assert list(calls[0]["scenarios"]) == list(range(N))

    # the same design, run directly: experiment i is scenario index i of a design of N scenarios
    design = {key: experiments[key].to_numpy() for key in config.sampled_keys}
    direct = sim.run_batch(config.replace(n_scenarios=N), scenarios=np.arange(N), param_values=design).outcomes
    for name, values in outcomes.items():
        np.testing.assert_array_equal(values, direct[name].to_numpy(), err_msg=name)
    assert direct["collapsed"].any() and not direct["collapsed"].all()  # a design that discriminates


def test_replicates_and_levers_in_one_batch(config, monkeypatch):
    calls = []
    monkeypatch.setattr(ema, "run_batch", lambda *a, **k: calls.append(k) or sim.run_batch(*a, **k))
    model = ema.ema_model(config, levers=["monitoring.regime"], outcomes=["collapsed", "end_day"], n_replicates=3)
    experiments, outcomes = ema.perform_experiments(model, scenarios=4, policies=2)
    assert len(calls) == 1 and len(calls[0]["scenarios"]) == 4 * 2 * 3
    assert set(experiments["monitoring.regime"]) <= {"none", "observers", "us_led"}
    assert all(0 <= p <= 1 for p in outcomes["collapsed"])  # collapse probability over the replicates


def test_salib_problem(config):
    problem = ema.salib_problem(config)
    numeric = [k for k in config.sampled_keys if config.spec(k).dist != "choice"]
    assert problem["names"] == numeric and problem["num_vars"] == len(numeric)
    assert problem["bounds"] == [list(config.spec(k).support()) for k in numeric]
