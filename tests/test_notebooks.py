"""The workshop notebooks (experiments/workshop/) run top to bottom, and their ``# check`` cells assert what each
exercise's short answer claims: running a notebook is its test. They are committed clean (no outputs)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

WORKSHOP = Path(__file__).parent.parent / "experiments" / "workshop"
NOTEBOOKS = sorted(WORKSHOP.glob("*.ipynb"))
# A notebook runs in 10-20 s on one free core; the limit leaves room for the two shared cores of the test machine.
LIMIT_S = 90


def test_there_are_four_notebooks():
    assert [nb.stem[:2] for nb in NOTEBOOKS] == ["01", "02", "03", "04"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_is_clean_and_every_exercise_has_an_answer_and_a_check(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit notebooks without outputs"
    text = [c.source for c in nb.cells if c.cell_type == "markdown"]
    exercises = sum(s.count("### Exercise") for s in text)
    assert exercises >= 3
    assert sum(s.count("*Short answer.*") for s in text) >= exercises
    assert sum(c.source.count("# check") for c in code) >= exercises


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_and_its_checks_hold(path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=LIMIT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(WORKSHOP)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the failing cell, if a check fails
    elapsed = time.perf_counter() - started
    assert elapsed < LIMIT_S, elapsed
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "figures show inline"
