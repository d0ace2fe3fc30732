"""Assignments are data: the engine names none of them, and every one keeps its helpers one way.

- No module of ``grader/`` names an assignment id, a notebook, an exercise (or
  the prefix the exercises share), a test cell or a helper module of any
  assignment; the names are read from the assignments themselves
  (``grader.course.assignment.ids()`` and the loaded specs), so a new
  assignment is covered without editing this file.
- Every assignment's helpers are real files in ``utils/<id>/`` (or, shared by
  every assignment, in ``utils/shared/``), and ``source/<id>/*.py`` are
  relative symlinks to them.
- The demo's students come from the assignment's spec (``Spec.demo``).
"""

import os
import pathlib
import re

import nbformat
import pytest

from grader import ROOT
from grader import messages as msg
from grader.course import submissions
from grader.course.assignment import ids, load
from grader.pages import table
from grader.spec import Case, Spec

GRADER = pathlib.Path(ROOT, "grader")


def assignment_names():
    """``{name: what it is}`` for every name that belongs to one assignment, from the assignments."""
    names = {}
    for assignment_id in ids():
        assignment = load(assignment_id)
        names[assignment_id] = f"the assignment id {assignment_id}"
        names[assignment.notebook_id] = f"{assignment_id}'s notebook"
        for exercise, test_cell in assignment.test_cells.items():
            names[exercise] = f"{assignment_id}'s exercise"
            names[test_cell] = f"{assignment_id}'s test cell"
        prefix = os.path.commonprefix(list(assignment.exercises))
        if len(prefix) >= 3:
            names[prefix] = f"the prefix of {assignment_id}'s exercises"
        for helper in assignment.helpers:
            names[helper] = f"{assignment_id}'s helper module"
    return names


def _pattern(name):
    """The regular expression that finds ``name`` used as that assignment's name.

    A helper module named like an English word (``checks``) counts only where it
    is the module (``checks.py``, ``import checks``, ``"checks"``); any other
    name counts wherever no letter or digit precedes it (``func_predict`` in
    ``func_predict_values``, ``planar_classification`` in ``4321_1_1_planar_classification``).
    """
    n = re.escape(name)
    if re.fullmatch(r"[a-z]+", name):
        return re.compile(rf"\b{n}\.py\b|\bimport {n}\b|\bfrom {n} import\b|[\"'`]{n}[\"'`]")
    return re.compile(rf"(?<![A-Za-z0-9]){n}")


def mentions(text, names):
    """``[(line number, name, what it is)]`` for every assignment name in ``text``."""
    patterns = {name: _pattern(name) for name in names}
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for name, pattern in patterns.items():
            if pattern.search(line):
                found.append((number, name, names[name]))
    return found


def test_the_names_come_from_every_assignment():
    names = assignment_names()
    for assignment_id in ids():
        assignment = load(assignment_id)
        assert assignment_id in names and assignment.notebook_id in names
        assert set(assignment.exercises) <= set(names) and set(assignment.helpers) <= set(names)
    assert len(ids()) >= 2


def test_no_module_of_the_engine_names_an_assignment_an_exercise_or_a_helper():
    names = assignment_names()
    files = sorted(p for p in GRADER.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert any(p.name == "__main__.py" for p in files)
    found = []
    for path in files:
        for number, name, what in mentions(path.read_text(encoding="utf-8"), names):
            found.append(f"{path.relative_to(ROOT)}:{number}: {name!r} ({what})")
    assert not found, "the engine names an assignment's data:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line, name",
    [
        ('DEMO_ASSIGNMENT = "L1W3"', "L1W3"),
        ('names = [e.removeprefix("func_") for e in exercises]', "func_"),
        ("buggy['func_backward_propagation'] = edit", "func_backward_propagation"),
        ('assert grade_id == "func_predict_values"', "func_predict_values"),
        ("Feedback pages: feedback/<student>/<id>/planar_classification.html", "planar_classification"),
        ("(``4321_1_1_planar_classification.ipynb``) is still participant 77's", "planar_classification"),
        ("two assignments' testCases.py coexist", "testCases"),
        ("files released to students (utils/checks.py)", "checks"),
        ("from planar_utils import func_sigmoid", "planar_utils"),
        ("import checks", "checks"),
    ],
)
def test_a_line_naming_an_assignments_data_is_caught(line, name):
    assert name in [found for _, found, _ in mentions(line, assignment_names())]


@pytest.mark.parametrize(
    "line",
    [
        "the public self-checks run first",
        "the release check compares notebooks",
        "def check(assignment):",
        "functools.cached_property",
    ],
)
def test_ordinary_words_are_not_mistaken_for_an_assignments_names(line):
    assert mentions(line, assignment_names()) == []


# ------------------------------------------------------------------ helpers kept one way


SHARED = os.path.join(ROOT, "utils", "shared")


def _helpers(assignment_id):
    folder = os.path.join(ROOT, "source", assignment_id)
    return sorted(name for name in os.listdir(folder) if name.endswith(".py"))


def _shared():
    return sorted(n for n in os.listdir(SHARED) if n.endswith(".py"))


@pytest.mark.parametrize("assignment_id", ids())
def test_every_helper_in_source_is_a_relative_symlink_into_utils_of_its_assignment(assignment_id):
    helpers = _helpers(assignment_id)
    assert helpers, f"source/{assignment_id}/ has no helper module"
    utils = os.path.join(ROOT, "utils", assignment_id)
    for name in helpers:
        path = os.path.join(ROOT, "source", assignment_id, name)
        assert os.path.islink(path), f"source/{assignment_id}/{name} is not a symlink"
        folder = "shared" if name in _shared() else assignment_id
        assert os.readlink(path) == f"../../utils/{folder}/{name}", os.readlink(path)
        real = os.path.join(ROOT, "utils", folder, name)
        assert os.path.isfile(real) and not os.path.islink(real)
    own = sorted(n for n in os.listdir(utils) if n.endswith(".py"))
    assert sorted(own + _shared()) == helpers, (
        f"utils/{assignment_id}/ and utils/shared/ hold a helper that source/{assignment_id}/ does not link"
    )
    assert not set(own) & set(_shared()), "a helper is both the assignment's own and shared"


def test_utils_holds_one_folder_per_assignment_the_shared_one_and_nothing_loose():
    entries = [e for e in os.listdir(os.path.join(ROOT, "utils")) if e != "__pycache__"]
    assert sorted(entries) == sorted([*ids(), "shared"])
    assert _shared(), "utils/shared/ holds no helper"


def _header_and_release(assignment_id, name):
    folder = "shared" if name in _shared() else assignment_id
    with open(os.path.join(ROOT, "utils", folder, name), encoding="utf-8") as f:
        first, second = f.read().split("\n", 2)[:2]
    with open(os.path.join(ROOT, "notebooks", assignment_id, name), encoding="utf-8") as f:
        released = f.read().split("\n", 2)[:2]
    return folder, first, second, released


@pytest.mark.parametrize("assignment_id, name", [(a, n) for a in ids() for n in _helpers(a)])
def test_every_helper_says_its_release_is_generated_and_which_file_to_edit(assignment_id, name):
    folder, first, second, released = _header_and_release(assignment_id, name)
    if folder == "shared":
        assert first.startswith("# The copy of this file in each notebooks/<id>/ is GENERATED")
    else:
        assert first.startswith(f"# The copy of this file in notebooks/{assignment_id}/ is GENERATED")
    assert f"edit utils/{folder}/{name} and run `make release`" in second
    # nbgrader releases the file's bytes, header included: each assignment's folder gets a real copy.
    assert released == [first, second]
    copy = os.path.join(ROOT, "notebooks", assignment_id, name)
    assert not os.path.islink(copy)
    with open(copy, "rb") as a, open(os.path.join(ROOT, "utils", folder, name), "rb") as b:
        assert a.read() == b.read(), f"notebooks/{assignment_id}/{name} is stale: run `make release`"


# ------------------------------------------------------------------ the demo, from the spec


@pytest.mark.parametrize("assignment_id", ids())
def test_demo_students_are_the_solution_the_untouched_release_and_the_specs(assignment_id):
    assignment = load(assignment_id)
    students = submissions.demo_students(assignment)
    assert students[:2] == (submissions.SOLUTION_STUDENT, submissions.UNTOUCHED_STUDENT)
    assert students[2:] == tuple(assignment.spec.demo)
    for student in assignment.spec.demo:
        edited = submissions.demo_sources(assignment, student)
        changed = {e for e in assignment.exercises if edited[e] != assignment.solution_sources[e]}
        assert changed == set(assignment.spec.demo[student])


def test_demo_writes_each_students_notebook(tmp_path):
    assignment = load("L1W3")
    paths = submissions.demo(assignment, str(tmp_path))
    assert [p.split(os.sep)[-3] for p in paths] == list(submissions.demo_students(assignment))
    solution_cells = {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        solution_cells[path.split(os.sep)[-3]] = {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")
        }
    solution = solution_cells[submissions.SOLUTION_STUDENT]
    for student, edits in assignment.spec.demo.items():
        for exercise, (old, new) in edits.items():
            assert solution_cells[student][exercise] == solution[exercise].replace(old, new)
            assert old in solution[exercise] and old not in solution_cells[student][exercise]
    assert solution_cells[submissions.UNTOUCHED_STUDENT] != solution


def test_a_demo_edit_that_does_not_apply_exactly_once_is_refused(monkeypatch):
    assignment = load("L1W3")
    exercise = assignment.exercises[0]
    monkeypatch.setitem(assignment.spec.demo, "demo_nothing", {exercise: ("no such code", "x")})
    with pytest.raises(ValueError) as error:
        submissions.demo_sources(assignment, "demo_nothing")
    assert str(error.value) == msg.DEMO_EDIT_NOT_ONCE.format(
        student="demo_nothing", exercise=exercise, count=0, old="no such code"
    )


def test_a_demo_student_cannot_take_the_engines_own_ids(monkeypatch, tmp_path):
    assignment = load("L1W3")
    monkeypatch.setitem(assignment.spec.demo, submissions.SOLUTION_STUDENT, {})
    with pytest.raises(ValueError, match=submissions.SOLUTION_STUDENT):
        submissions.demo(assignment, str(tmp_path))
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("field", ["short_names", "demo"])
def test_spec_refuses_short_names_and_demo_edits_of_unknown_exercises(field):
    value = {"nope": "n"} if field == "short_names" else {"demo_x": {"nope": ("a", "b")}}
    with pytest.raises(ValueError) as error:
        Spec(
            notebook="a.ipynb",
            exercises={"area": "area_values"},
            cases={"area": [Case("one", (1,))]},
            compare=lambda *args: None,
            **{field: value},
        )
    assert str(error.value) == msg.SPEC_UNKNOWN_EXERCISES.format(names="nope")


# ------------------------------------------------------------------ short names, from the spec


def _columns(assignment, monkeypatch):
    grade_ids = list(assignment.test_cells.values())
    monkeypatch.setattr(
        table, "scores", lambda db_url, a: (grade_ids, {"ok": {}}, dict.fromkeys(grade_ids, 1.0))
    )
    monkeypatch.setattr(table, "penalties", lambda db_url, a: {})
    head = table.render("unused", assignment).splitlines()[0]
    return [column.strip() for column in head.split("|")[1:-1]]


@pytest.mark.parametrize("assignment_id", ids())
def test_the_score_table_calls_the_exercises_what_the_spec_calls_them(assignment_id, monkeypatch):
    assignment = load(assignment_id)
    assert assignment.spec.short_names, "the README's table shows short names"
    assert _columns(assignment, monkeypatch) == [assignment.spec.short_names[e] for e in assignment.exercises]
    monkeypatch.setattr(assignment.spec, "short_names", {})
    assert _columns(assignment, monkeypatch) == list(assignment.exercises)


def test_l1w3s_table_keeps_the_columns_the_readme_shows(monkeypatch):
    columns = _columns(load("L1W3"), monkeypatch)
    assert columns[:2] == ["layer_sizes", "initialize_parameters"] and "backward_propagation" in columns
