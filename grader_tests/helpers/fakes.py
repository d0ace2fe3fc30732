"""Small in-memory stand-ins for an assignment and its master, for the unit tests.

They carry only what the engine's steps read (``spec.cases``, ``test_cells``,
``expected``, ``call_reference``; ``Master``'s cells), so a unit test runs in
milliseconds without loading a real assignment, a notebook or a kernel.
"""

import types

import nbformat

from grader.course.cells import Master
from grader.spec import Case


class Problem(str):
    """A comparison message that says what kind of difference it is and where."""

    def __new__(cls, text, kind, variable):
        message = super().__new__(cls, text)
        message.kind, message.variable = kind, variable
        return message


def compare_equal(expected, actual, name):
    """A comparison in the spec's shape: ``None`` when equal, else a plain message."""
    return (
        None if expected == actual else f"{name}: 期望 {expected!r} / expected {expected!r}, got {actual!r}"
    )


class FakeAssignment:
    """The parts of ``grader.course.assignment.Assignment`` that judging and callee answers use.

    Parameters
    ----------
    cases : dict
        ``{exercise: [Case, ...]}``.
    expected : dict
        ``{exercise: [reference result per case]}``.
    compare : callable, optional
    callees : dict, optional
    references : dict, optional
        ``{function name: callable}`` answered to callee stubs.
    """

    def __init__(
        self, cases, expected, compare=compare_equal, callees=None, references=None, result_names=None
    ):
        self.id = "T0"
        self.spec = types.SimpleNamespace(
            cases=cases, compare=compare, callees=callees or {}, result_names=result_names or {}
        )
        self.test_cells = {exercise: exercise + "_values" for exercise in cases}
        self.exercises = tuple(cases)
        self._expected = expected
        self.references = references or {}
        self.reference_calls = []

    def expected(self, exercise, cases=None):  # noqa: ARG002 (the stand-in has one set of cases)
        """The reference results of ``exercise``'s cases."""
        return self._expected[exercise]

    def submission_seed(self, student, secret=None):  # noqa: ARG002
        """A stand-in seed (the stand-in's cases do not depend on it)."""
        return len(student)

    def hidden_cases(self, seed):  # noqa: ARG002
        """The stand-in's one set of cases, whatever the seed."""
        return self.spec.cases

    def call_reference(self, name, args, kwargs):
        """Call the stand-in reference ``name``, remembering that it ran."""
        self.reference_calls.append((name, args, kwargs))
        return self.references[name](*args, **kwargs)


def two_exercises():
    """A fake assignment of ``add`` (two cases) and ``twice`` (one case, calls ``add``)."""
    cases = {"add": [Case("1+2", (1, 2)), Case("3+4", (3, 4))], "twice": [Case("twice 5", (5,))]}
    return FakeAssignment(
        cases,
        {"add": [3, 7], "twice": [10]},
        callees={"twice": ("add",)},
        references={"add": lambda a, b: a + b},
        result_names={"add": "total"},
    )


def _meta(grade_id, solution=False, grade=False, points=0):
    meta = {
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "grade": grade,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def release_notebook():
    """A release notebook: intro, imports, solution ``add`` and its test, a lesson demo cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Intro", metadata=_meta("intro")),
        nbformat.v4.new_code_cell("import math", metadata=_meta("imports")),
        nbformat.v4.new_code_cell(
            "def add(a, b):\n    raise NotImplementedError()", metadata=_meta("add", solution=True)
        ),
        nbformat.v4.new_code_cell(
            "# hidden tests of add", metadata=_meta("add_values", grade=True, points=2)
        ),
        nbformat.v4.new_code_cell("print(add(1, 2))"),
    ]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # fixed, so that two releases compare equal
    return nb


def master():
    """A :class:`grader.course.cells.Master` over :func:`release_notebook`."""
    release = release_notebook()
    return Master(
        release=release,
        order=["intro", "imports", "add", "add_values"],
        locked={"intro", "imports", "add_values"},
        solutions={"add"},
        tests={"add_values": ("add", 2.0)},
        assignment_id="T0",
        demonstration={"print(add(1, 2))"},
    )


def grade_ids(cells):
    """The grade id of each cell (``None`` for a cell without one), in order."""
    return [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
