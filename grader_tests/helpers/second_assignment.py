"""What the tests of material/test_second_assignment.py, integration/test_second_assignment.py, long/test_second_assignment.py share (constants, helpers, fixtures)."""

import os
import subprocess
import sys

import nbformat
import pytest

ASSIGNMENT = "L1W2"


NOTEBOOK = "logistic_regression.ipynb"


HELPERS = ("checks", "lr_utils", "testCases")


PASSED = "所有测试通过 / All tests passed"


# The points the course promises, written here once, independently of the
# notebook, in notebook order, so that a change of the notebook is caught.
POINTS = {
    "func_sigmoid": 1,
    "func_initialize_with_zeros": 1,
    "func_propagate": 3,
    "func_optimize": 3,
    "func_predict": 2,
}


GRADE_POINTS = {f"{name}_values": points for name, points in POINTS.items()}


def _path(root, *parts):
    return os.path.join(root, *parts)


@pytest.fixture(scope="module")
def source_dir(root):
    return _path(root, "source", ASSIGNMENT)


@pytest.fixture(scope="module")
def source(source_dir):
    return nbformat.read(_path(source_dir, NOTEBOOK), as_version=4)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _solutions(nb, exercises):
    return {
        _grade_id(c): c.source
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution") and _grade_id(c) in exercises
    }


def _leaves(value):
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


# A realistic mistake per exercise that the lesson's test case lets through:
# (exercise, what the student wrote instead, replacing what).
MISTAKES = [
    (
        "func_sigmoid",
        "s = 1 / (1 + np.exp(-z))",
        "s = np.array([1 / (1 + np.exp(-x)) for x in z])",
    ),  # breaks on a number
    ("func_initialize_with_zeros", "w = np.zeros((dim, 1))", "w = np.zeros((2, 1))"),
    ("func_propagate", "db = 1 / m * np.sum(A - Y)", "db = 1 / 3 * np.sum(A - Y)"),
    ("func_optimize", "w = w - learning_rate * dw", "w = w - 0.009 * dw"),
    ("func_predict", "(A > 0.5)", "(A >= 0.5)"),
]


# Correct code written differently: full marks, so the comparison is not too strict.
EQUIVALENTS = [
    ("func_sigmoid", "s = 1 / (1 + np.exp(-z))", "s = np.exp(-np.logaddexp(0, -z))"),
    ("func_initialize_with_zeros", "b = 0.0", "b = 0"),
    (
        "func_propagate",
        "cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
        "cost = -(np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T)) / m",
    ),
    ("func_propagate", "db = 1 / m * np.sum(A - Y)", "db = np.mean(A - Y)"),
    ("func_optimize", "costs.append(cost)", "costs.append(float(cost))"),
    ("func_predict", "Y_prediction = (A > 0.5).astype(np.float64)", "Y_prediction = np.round(A)"),
    (
        "func_predict",
        "Y_prediction = (A > 0.5).astype(np.float64)",
        "Y_prediction = (np.dot(w.T, X) + b > 0).astype(int)",
    ),
]


def _run(root, *args, timeout=900):
    proc = subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


# Submissions: the release with code in its solution cells.  Each mistake
# costs its own exercise's points only (the composite func_optimize and the
# callers of func_sigmoid are graded with correct callees).
SUBMISSIONS = {
    "l1w2_solution": ({}, GRADE_POINTS),
    "l1w2_untouched": (None, {g: 0 for g in GRADE_POINTS}),
    "l1w2_wrong_sigmoid_sign": (
        {"func_sigmoid": ("np.exp(-z)", "np.exp(z)")},
        dict(GRADE_POINTS, func_sigmoid_values=0),
    ),
    "l1w2_wrong_propagate_db": (
        {"func_propagate": ("db = 1 / m * np.sum(A - Y)", "db = np.sum(A - Y)")},
        dict(GRADE_POINTS, func_propagate_values=0),
    ),
    "l1w2_predict_at_least_half": (
        {"func_predict": ("(A > 0.5)", "(A >= 0.5)")},
        dict(GRADE_POINTS, func_predict_values=0),
    ),
}


def _write_submissions(root, submitted):
    source = nbformat.read(_path(root, "source", ASSIGNMENT, NOTEBOOK), as_version=4)
    solutions = _solutions(source, POINTS)
    for student, (changes, _) in SUBMISSIONS.items():
        nb = nbformat.read(_path(root, "notebooks", ASSIGNMENT, NOTEBOOK), as_version=4)
        if changes is not None:
            code = dict(solutions)
            for exercise, (old, new) in changes.items():
                assert old in code[exercise], (exercise, old)
                code[exercise] = code[exercise].replace(old, new)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("solution") and _grade_id(cell) in code:
                    cell.source = code[_grade_id(cell)]
        folder = os.path.join(submitted, student, ASSIGNMENT)
        os.makedirs(folder)
        nbformat.write(nb, os.path.join(folder, NOTEBOOK))


@pytest.fixture(scope="module")
def graded(root, tmp_path_factory):
    """L1W2 graded by ``python -m grader grade L1W2`` with two workers (the shared course fixture)."""
    tmp = tmp_path_factory.mktemp("l1w2")
    _write_submissions(root, str(tmp / "submitted"))
    db = f"sqlite:///{tmp / 'gradebook.db'}"
    _run(
        root,
        "-m",
        "grader",
        "grade",
        ASSIGNMENT,
        "--submitted",
        str(tmp / "submitted"),
        "--autograded",
        str(tmp / "autograded"),
        "--db",
        db,
        "--workers",
        "2",
    )
    return tmp, db


# Sequentially and through nbgrader, a correct and a buggy submission are enough (and save minutes).
PAIR = ("l1w2_solution", "l1w2_wrong_propagate_db")


def _scores(db_url):
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        notebook_id = NOTEBOOK[: -len(".ipynb")]
        return {
            sub.student.id: {
                g.name: g.score
                for g in gb.find_submission_notebook(notebook_id, ASSIGNMENT, sub.student.id).grades
                if g.name in GRADE_POINTS
            }
            for sub in gb.assignment_submissions(ASSIGNMENT)
        }
