"""The command ``python -m sim.analyze``: one subcommand per analysis with its own help, options and overrides in
any order, and samples too small for a method refused with the reason (exit status 2, nothing written)."""

from __future__ import annotations

import pytest

pytest.importorskip("SALib")
pytest.importorskip("lifelines")
pytest.importorskip("ema_workbench")

from sim.analyze.__main__ import main, parse_args  # noqa: E402


def test_options_and_overrides_come_in_any_order():
    documented = parse_args(["prim", "--threshold", "0.7", "n_scenarios=2000"])  # the order the README shows
    mixed = parse_args(["prim", "n_scenarios=2000", "--boxes", "3", "seed=7", "--threshold", "0.7", "--levers"])
    assert documented.analysis == mixed.analysis == "prim"
    assert documented.threshold == mixed.threshold == 0.7
    assert documented.overrides == ["n_scenarios=2000"] and mixed.overrides == ["n_scenarios=2000", "seed=7"]
    assert (documented.boxes, documented.levers, mixed.boxes, mixed.levers) == (2, False, 3, True)
    survival = parse_args(["survival", "--strata", "monitoring.regime", "n_scenarios=500", "--strata", "us.resolve"])
    assert survival.strata == ["monitoring.regime", "us.resolve"] and survival.overrides == ["n_scenarios=500"]


@pytest.mark.parametrize(("analysis", "own", "others"), [
    ("sobol", ["--base", "(default 256)", "--replicates", "(default 8)"], ["--threshold", "--strata"]),
    ("prim", ["--threshold", "(default 0.8)", "--mass-min", "--levers", "--resamples"], ["--base", "--strata"]),
    ("survival", ["--penalizer", "--strata"], ["--base", "--threshold"]),
])
def test_each_analysis_has_its_own_help_with_defaults(capsys, analysis, own, others):
    with pytest.raises(SystemExit) as exit_:
        parse_args([analysis, "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert f"usage: python -m sim.analyze {analysis}" in text and "KEY=VALUE" in text
    assert all(option in text for option in own), text
    assert not any(option in text for option in others), text
    assert "--experiment" in text and f"default analysis_{analysis}" in text


def test_the_list_of_analyses_and_a_wrong_name(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--help"])
    assert exit_.value.code == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in ("sobol", "prim", "survival"))
    with pytest.raises(SystemExit) as exit_:
        parse_args(["n_scenarios=5", "prim"])
    assert exit_.value.code == 2
    assert "invalid choice: 'n_scenarios=5'" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["sobol", "--base", "2"], "error: --base 2 is too few base points: at least 16 are needed"),
    (["sobol", "--base", "48"], "error: --base 48 is not a power of 2: a Sobol' sequence is balanced only at "
                                "powers of 2; use 32 or 64"),
    (["prim", "--threshold", "0.8", "n_scenarios=300"], "error: n_scenarios=300 is too few for PRIM with "
                                                        "--mass-min 0.05"),
    (["prim", "--threshold", "1.5"], "error: --threshold 1.5 must lie in (0, 1]"),
    (["survival", "--strata", "us.binding"], "error: --strata us.binding: not an uncertain parameter"),
    (["survival", "n_scenarios=40", "horizon_days=365"], "at least 5 per covariate are needed"),
])
def test_a_sample_too_small_for_the_method_is_refused_with_the_reason(tmp_path, capsys, argv, message):
    out = tmp_path / "run"
    assert main([*argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
