"""The grading pipeline end to end on the demo's submissions (``make grade`` on a folder)."""

import subprocess
import sys

import pytest

from grader.course import submissions
from grader.pages import table
from grader_tests.helpers.expected import GRADE_POINTS as POINTS


@pytest.fixture(scope="module")
def graded(tmp_path_factory, root):
    tmp = tmp_path_factory.mktemp("course")
    from grader.course.assignment import load

    submissions.demo(load("L1W3"), str(tmp / "submitted"))
    db = f"sqlite:///{tmp / 'gradebook.db'}"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "L1W3",
            "--submitted",
            str(tmp / "submitted"),
            "--autograded",
            str(tmp / "autograded"),
            "--db",
            db,
        ],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    grade_ids, scores, max_points = table.scores(db, load("L1W3"))
    return tmp, grade_ids, scores, max_points, proc.stdout + proc.stderr


def test_every_demo_student_is_graded(graded):
    tmp, grade_ids, scores, max_points, _ = graded
    from grader.course.assignment import load

    students = submissions.demo_students(load("L1W3"))
    assert sorted(scores) == sorted(students)
    assert {g: max_points[g] for g in grade_ids} == POINTS
    for student in students:
        assert (tmp / "autograded" / student / "L1W3" / "planar_classification.ipynb").exists()
        assert all(scores[student][g] is not None for g in grade_ids)


def test_solution_gets_full_marks(graded):
    _, _, scores, _, _ = graded
    assert scores["demo_solution"] == POINTS


def test_untouched_release_gets_zero(graded):
    _, _, scores, _, _ = graded
    assert scores["demo_untouched"] == {g: 0 for g in POINTS}


def test_wrong_tanh_derivative_loses_exactly_backward_propagation(graded):
    _, _, scores, _, _ = graded
    expected = dict(POINTS, func_backward_propagation_values=0)
    assert scores["demo_wrong_tanh_derivative"] == expected
