"""docs/ODD.md against the code: generated tables are current, every rule and phase is described, sources are given."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from sim import docs, engine, rules
from sim.parameters import PARAMS


@pytest.fixture(scope="module")
def odd_text() -> str:
    return docs.ODD_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("block", list(docs.BLOCKS))
def test_generated_block_in_odd_equals_the_freshly_rendered_one(odd_text, block):
    """A parameter, preset, output or constant changed without `python -m sim.docs` fails here."""
    assert docs.extract_block(odd_text, block) == docs.BLOCKS[block](), (
        f"docs/ODD.md block {block!r} is stale: run `.venv/bin/python -m sim.docs`")


def test_every_parameter_has_a_source():
    missing = [p.key for p in PARAMS if not p.source.strip()]
    assert not missing, f"parameters without a source (write 'assumption' if it is one): {missing}"


def test_parameter_table_has_one_row_per_parameter():
    rows = docs.render_parameter_table().splitlines()[2:]
    assert len(rows) == len(PARAMS)
    for p, row in zip(PARAMS, rows, strict=True):
        assert f"| `{p.key}` |" in row


def test_every_rule_is_described_in_the_submodels(odd_text):
    """Each public function of sim.rules is named (in backticks) in docs/ODD.md."""
    functions = [name for name, f in inspect.getmembers(rules, inspect.isfunction)
                 if f.__module__ == rules.__name__ and not name.startswith("_")]
    undocumented = [name for name in functions if f"`{name}(" not in odd_text and f"`{name}`" not in odd_text]
    assert not undocumented, f"rules not described in docs/ODD.md: {undocumented}"


def test_process_overview_lists_the_phases_in_the_engines_order(odd_text):
    section = odd_text[odd_text.index("## 3. Process overview"):odd_text.index("## 4. Design concepts")]
    positions = [section.find(f"`{phase.__name__}`") for phase in engine.PHASES]
    missing = [ph.__name__ for ph, p in zip(engine.PHASES, positions, strict=True) if p < 0]
    assert not missing, f"phases not named in docs/ODD.md §3: {missing}"
    assert positions == sorted(positions), "docs/ODD.md §3 lists the phases out of the order of engine.PHASES"


def test_update_rewrites_a_stale_block_and_keeps_the_rest():
    text = "intro\n<!-- params:start -->\nold table\n<!-- params:end -->\noutro\n"
    fresh = docs.update_document(text, {"params": docs.render_parameter_table})
    assert docs.extract_block(fresh, "params") == docs.render_parameter_table()
    assert fresh.startswith("intro\n<!-- params:start -->\n") and fresh.endswith("\n<!-- params:end -->\noutro\n")
    assert docs.update_document(fresh, {"params": docs.render_parameter_table}) == fresh


def test_missing_markers_are_an_error_naming_the_block():
    with pytest.raises(ValueError, match="presets"):
        docs.extract_block("no markers here", "presets")


def test_preset_table_shows_what_each_preset_changes():
    table = docs.render_preset_table()
    for name in docs.preset_names():
        assert f"`{name}`" in table
    # minsk: observers with limited access, no force (configs/scenario/minsk.yaml).
    row = next(line for line in table.splitlines() if line.startswith("| `monitoring.access` |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "1" and cells[2 + docs.preset_names().index("minsk")] == "0.6"


def test_tests_named_in_the_odd_exist(odd_text):
    """Every `test_...` the ODD cites as checking a pattern is defined in tests/."""
    defined = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), flags=re.M))
    cited = set(re.findall(r"`(test_\w+)`", odd_text))
    assert cited, "the ODD names no tests"
    assert not cited - defined, f"docs/ODD.md cites tests that do not exist: {sorted(cited - defined)}"
