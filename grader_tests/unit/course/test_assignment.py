"""Finding and loading an assignment (grader.course.assignment, grader.spec) without the real course."""

import sys
import textwrap

import pytest

from grader.course.assignment import (
    Assignment,
    UnknownAssignment,
    copy_value,
    ids,
    load_helpers,
)
from grader.spec import Case, Spec


def _helpers(folder, which):
    folder.mkdir(parents=True)
    (folder / "testCases.py").write_text(f"WHICH = {which!r}\n")
    # A helper importing another by its plain name, as in the student's notebook.
    (folder / "checks.py").write_text("import testCases\nSEEN = testCases.WHICH\n")
    (folder / "_private.py").write_text("raise RuntimeError('private modules are not loaded')\n")
    return str(folder)


def test_two_folders_testcases_load_side_by_side(tmp_path):
    path_before, modules_before = list(sys.path), set(sys.modules)
    first = load_helpers(_helpers(tmp_path / "a", "a"))
    second = load_helpers(_helpers(tmp_path / "b", "b"))
    assert sorted(first) == sorted(second) == ["checks", "testCases"]
    assert first["testCases"] is not second["testCases"]
    assert (first["testCases"].WHICH, second["testCases"].WHICH) == ("a", "b")
    assert (first["checks"].SEEN, second["checks"].SEEN) == ("a", "b")
    assert sys.path == path_before
    assert set(sys.modules) == modules_before


def test_load_helpers_keeps_a_module_of_the_same_name_that_was_already_imported(tmp_path, monkeypatch):
    import types

    mine = types.ModuleType("testCases")
    monkeypatch.setitem(sys.modules, "testCases", mine)
    loaded = load_helpers(_helpers(tmp_path / "a", "a"))
    assert sys.modules["testCases"] is mine
    assert loaded["testCases"] is not mine and loaded["checks"].SEEN == "a"


def test_load_helpers_cleans_up_after_a_helper_that_fails(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "aaa_good.py").write_text("X = 1\n")
    (folder / "zzz_bad.py").write_text("raise ImportError('broken helper')\n")
    path_before, modules_before = list(sys.path), set(sys.modules)
    with pytest.raises(ImportError):
        load_helpers(str(folder))
    assert sys.path == path_before and set(sys.modules) == modules_before


SPEC = """
from grader.spec import Case, Spec


def build(helpers):
    return Spec(notebook="nb.ipynb", exercises={"double": "double_values"},
                cases={"double": [Case("two", (helpers["tools"].TWO,))]},
                compare=lambda e, a, n: None if e == a else "differs")
"""


def _course(root, assignment_id, spec=SPEC):
    (root / "source" / assignment_id).mkdir(parents=True)
    (root / "source" / assignment_id / "tools.py").write_text(f"TWO = 2\nNAME = {assignment_id!r}\n")
    (root / "grading" / assignment_id).mkdir(parents=True)
    (root / "grading" / assignment_id / "spec.py").write_text(textwrap.dedent(spec))
    return str(root)


def test_ids_lists_assignments_with_both_a_source_folder_and_a_spec(tmp_path):
    _course(tmp_path, "A1")
    _course(tmp_path, "B2")
    (tmp_path / "source" / "only_source").mkdir()
    (tmp_path / "grading" / "only_spec").mkdir()
    (tmp_path / "grading" / "only_spec" / "spec.py").write_text("")
    assert ids(str(tmp_path)) == ["A1", "B2"]


def test_ids_of_an_empty_root(tmp_path):
    assert ids(str(tmp_path)) == []


def test_an_assignment_is_found_by_id_with_its_spec_built_from_its_helpers(tmp_path):
    assignment = Assignment("A1", _course(tmp_path, "A1"))
    assert assignment.exercises == ("double",)
    assert assignment.test_cells == {"double": "double_values"}
    assert assignment.exercise_of_test == {"double_values": "double"}
    assert assignment.spec.cases["double"] == [Case("two", (2,))]
    assert assignment.helpers["tools"].NAME == "A1"
    assert assignment.notebook_id == "nb"
    assert assignment.release_notebook == str(tmp_path / "notebooks" / "A1" / "nb.ipynb")


def test_two_courses_with_the_same_assignment_id_keep_their_own_specs(tmp_path):
    first = Assignment("A1", _course(tmp_path / "one", "A1"))
    second = Assignment("A1", _course(tmp_path / "two", "A1", SPEC.replace('"two"', '"deux"')))
    assert [c.label for c in first.spec.cases["double"]] == ["two"]
    assert [c.label for c in second.spec.cases["double"]] == ["deux"]


@pytest.mark.parametrize("wanted", ["L1W4", "", "../A1", "a1"])
def test_unknown_assignment_lists_the_known_ids(tmp_path, wanted):
    root = _course(tmp_path, "A1")
    _course(tmp_path, "B2")
    with pytest.raises(UnknownAssignment) as caught:
        Assignment(wanted, root)
    message = str(caught.value)
    assert f"unknown assignment {wanted!r}" in message and "未知的作业" in message
    assert "known: A1, B2" in message


def test_unknown_assignment_in_a_course_without_any(tmp_path):
    with pytest.raises(UnknownAssignment, match="known: none"):
        Assignment("A1", str(tmp_path))


def test_the_real_course_lists_l1w3():
    from grader import ROOT

    assert "L1W3" in ids(ROOT)
    with pytest.raises(UnknownAssignment, match="L1W3"):
        Assignment("L0W0")


def _spec(**change):
    arguments = dict(
        notebook="nb.ipynb",
        exercises={"f": "f_values", "g": "g_values"},
        cases={"f": [Case("a")], "g": [Case("b")]},
        compare=lambda e, a, n: None,
    )
    arguments.update(change)
    return Spec(**arguments)


@pytest.mark.parametrize(
    "change",
    [
        {"cases": {"f": [Case("a")]}},  # g has no cases
        {"cases": {"f": [Case("a")], "g": [Case("b")], "h": [Case("c")]}},  # h is no exercise
        {"cases": {"f": [Case("a")], "g": []}},  # g has an empty list
        {"callees": {"f": ("h",)}},  # calls a non-exercise
        {"callees": {"h": ("f",)}},  # a non-exercise calls
    ],
)
def test_spec_rejects_inconsistent_declarations(change):
    with pytest.raises(ValueError, match="spec"):
        _spec(**change)


def test_spec_accepts_a_consistent_declaration():
    assert _spec(callees={"g": ("f",)}).callees == {"g": ("f",)}


def test_copy_value_copies_arrays_inside_containers():
    import numpy as np

    original = {"a": (np.zeros(2), [np.ones(1)]), "b": 3}
    copied = copy_value(original)
    copied["a"][0][0] = 5
    copied["a"][1][0][0] = 5
    assert original["a"][0][0] == 0 and original["a"][1][0][0] == 1
    assert type(copied["a"]) is tuple and type(copied["a"][1]) is list


# --- per-submission hidden cases (Spec.draw, Spec.cases_for) --------------------------------


def _drawing_spec(draw):
    return Spec(
        notebook="n.ipynb",
        exercises={"double": "double_values"},
        cases={"double": [Case("lesson", (1,)), Case("hidden", (0,))]},
        draw=draw,
        compare=lambda expected, actual, name: None,
    )


def test_cases_for_a_seed_are_the_draw_of_that_seed():
    spec = _drawing_spec(lambda seed: {"double": [Case("lesson", (1,)), Case("hidden", (seed,))]})
    assert spec.cases_for(7)["double"][1].args == (7,)
    assert spec.cases["double"][1].args == (0,)  # the fixed view is left as it was


def test_a_spec_without_draw_grades_every_seed_on_its_fixed_cases():
    spec = _drawing_spec(None)
    assert spec.cases_for(7) is spec.cases


@pytest.mark.parametrize(
    "drawn",
    [
        {"double": [Case("lesson", (1,))]},  # a case fewer
        {"double": [Case("lesson", (1,)), Case("hidden: 7", (7,))]},  # a label naming a value
        {},
    ],
)
def test_a_draw_whose_labels_differ_from_the_fixed_view_is_refused(drawn):
    spec = _drawing_spec(lambda seed: drawn)
    with pytest.raises(ValueError, match="labels"):
        spec.cases_for(7)


def test_open_callees_must_be_callees():
    with pytest.raises(ValueError, match="open_callees"):
        Spec(
            notebook="n.ipynb",
            exercises={"a": "a_values", "b": "b_values"},
            cases={"a": [Case("x")], "b": [Case("y")]},
            callees={"b": ("a",)},
            open_callees={"a": ("b",)},
            compare=lambda expected, actual, name: None,
        )


@pytest.mark.parametrize("assignment_id", ids())
@pytest.mark.parametrize("which", ["source_notebook", "release_notebook"])
def test_course_notebooks_read_as_nbformat_reads_them(assignment_id, which):
    # read_course_notebook skips nbformat's validation (which only logs), and nothing else:
    # the cells a submission is restored to and the solutions are nbformat.read's.
    import nbformat

    from grader.course.assignment import load, read_course_notebook

    path = getattr(load(assignment_id), which)
    fast = read_course_notebook(path)
    assert isinstance(fast, nbformat.NotebookNode)
    assert fast == nbformat.read(path, as_version=4)
    assert nbformat.writes(fast) == nbformat.writes(nbformat.read(path, as_version=4))


def test_a_course_notebook_of_another_major_version_is_refused(tmp_path):
    from grader.course.assignment import read_course_notebook

    path = tmp_path / "old.ipynb"
    path.write_text('{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}')
    with pytest.raises(ValueError, match="not a version 4 notebook"):
        read_course_notebook(str(path))


def test_the_source_notebook_is_read_once_per_assignment(monkeypatch):
    from grader.course import assignment as module
    from grader.course import cells

    reads = []
    real = module.read_course_notebook
    monkeypatch.setattr(module, "read_course_notebook", lambda path: reads.append(path) or real(path))
    monkeypatch.setattr(cells, "read_course_notebook", module.read_course_notebook)
    a = module.Assignment("L1W3")  # not load()'s, which earlier tests may have read already
    cells.load(a)
    assert a.solution_sources
    assert sorted(reads) == sorted([a.source_notebook, a.release_notebook])
