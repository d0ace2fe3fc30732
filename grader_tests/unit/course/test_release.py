"""The student release: generated from the source, with no solution or hidden test left."""

import os
import re

import nbformat
import pytest

from grader.course.assignment import load
from grader_tests.helpers.expected import POINTS

EXERCISES = load("L1W3").exercises

SOURCE = "source/L1W3/planar_classification.ipynb"
RELEASE = "notebooks/L1W3/planar_classification.ipynb"


@pytest.fixture(scope="module")
def source(root):
    return nbformat.read(os.path.join(root, SOURCE), as_version=4)


@pytest.fixture(scope="module")
def release(root):
    return nbformat.read(os.path.join(root, RELEASE), as_version=4)


def _regions(source_text, begin, end):
    lines, inside = [], False
    for line in source_text.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def _meaningful(lines):
    return [line for line in lines if line and not line.startswith("#")]


def test_no_solution_or_hidden_test_line_survives(source, release):
    released = "\n".join(cell.source for cell in release.cells)
    secret = []
    for cell in source.cells:
        secret += _regions(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")
        secret += _regions(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
    secret = _meaningful(secret)
    assert len(secret) > 40
    survivors = [line for line in secret if re.search(r"^\s*" + re.escape(line) + r"\s*$", released, re.M)]
    assert survivors == []
    assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released
    # The course's grader package stays private; nbgrader (Validate) is named for students.
    assert "grader" not in released.replace("autograder", "").replace("nbgrader", "")


def test_release_keeps_signatures_docstrings_and_returns(source, release):
    released = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in release.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    assert sorted(released) == sorted(EXERCISES)
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        stub = released[meta["grade_id"]]
        assert "raise NotImplementedError()" in stub
        kept = [
            line
            for line in cell.source.splitlines()
            if line.lstrip().startswith(("def ", "return ")) or '"""' in line
        ]
        for line in kept:
            assert line in stub.splitlines(), (meta["grade_id"], line)


def test_release_has_no_outputs(release):
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in release.cells
        if c.cell_type == "code"
    )


def test_graded_cells_and_points(source):
    graded = {
        c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    assert graded == {name + "_values": pts for name, pts in POINTS.items()}
    assert sum(graded.values()) == 20


def test_every_exercise_is_followed_by_its_test_cell_running_the_public_self_check(source):
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells]
    for name in EXERCISES:
        at = ids.index(name)
        assert ids.count(name + "_values") == 1 and ids.index(name + "_values") > at
        test = source.cells[ids.index(name + "_values")].source
        # Visible to the student (and to nbgrader's Validate): the public self-check.
        visible = test.split("### BEGIN HIDDEN TESTS")[0]
        assert "check_" + name[len("func_") :] + "(" + name + ")" in visible


def test_exploratory_cells_hold_no_exercise_and_no_test(source):
    for cell in source.cells:
        if "exploratory" in cell.metadata.get("tags", []):
            assert not cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source[:60]
    exploratory = [c for c in source.cells if "exploratory" in c.metadata.get("tags", [])]
    assert any("hidden_layer_sizes" in c.source for c in exploratory)
    assert any(c.source.splitlines()[-1].strip() == "func_train_predict_extra_dataset()" for c in exploratory)


@pytest.mark.parametrize("name", ["planar_utils.py", "testCases.py", "checks.py"])
def test_released_helpers_are_copies_of_utils_that_say_they_are_generated(root, name):
    with open(os.path.join(root, "notebooks", "L1W3", name), encoding="utf-8") as f:
        released = f.read()
    with open(os.path.join(root, "utils", "L1W3", name), encoding="utf-8") as f:
        original = f.read()
    # nbgrader copies the file as it is (so formgrader's Generate gives the same bytes):
    # the header that marks the copy as generated is in utils/L1W3/ itself.
    assert released == original
    first, second = released.split("\n", 2)[:2]
    assert "GENERATED" in first and f"utils/L1W3/{name}" in first + second and "make release" in second
    assert os.path.realpath(os.path.join(root, "source", "L1W3", name)) == os.path.join(
        os.path.realpath(root), "utils", "L1W3", name
    )
