"""L1W2 by the other paths: a sequential run and nbgrader's own autograde give the grader's scores."""

import shutil

from grader_tests.helpers.second_assignment import (  # noqa: F401 (fixtures, used by name)
    ASSIGNMENT,
    NOTEBOOK,
    PAIR,
    SUBMISSIONS,
    _run,
    _scores,
    graded,
    source,
    source_dir,
)


def _pair(graded, tmp_path):
    tmp, _ = graded
    submitted = tmp_path / "submitted"
    for student in PAIR:
        shutil.copytree(tmp / "submitted" / student, submitted / student)
    return submitted


def test_sequential_grading_gives_the_same_scores(root, graded, tmp_path):
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    _run(
        root,
        "-m",
        "grader",
        "grade",
        ASSIGNMENT,
        "--submitted",
        str(_pair(graded, tmp_path)),
        "--autograded",
        str(tmp_path / "autograded"),
        "--db",
        db,
        "--workers",
        "1",
    )
    assert _scores(db) == {student: SUBMISSIONS[student][1] for student in PAIR}


def test_nbgrader_autograde_grades_l1w2_like_the_grader(root, graded, tmp_path):
    """``nbgrader autograde L1W2`` (the course's plugins): same scores, the composite judged alone."""
    submitted = _pair(graded, tmp_path)
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    autograded = tmp_path / "nbgrader_autograded"
    # The gradebook knows the assignment, as an instructor's does; nbgrader then regrades into
    # it (a different verdict of its own would overwrite these rows and show below).
    _run(
        root,
        "-m",
        "grader",
        "grade",
        ASSIGNMENT,
        "--submitted",
        str(submitted),
        "--autograded",
        str(tmp_path / "autograded"),
        "--db",
        db,
        "--workers",
        "1",
    )
    _run(
        root,
        "-m",
        "nbgrader",
        "autograde",
        ASSIGNMENT,
        "--force",
        "--log-level=WARN",
        f"--CourseDirectory.submitted_directory={submitted}",
        f"--CourseDirectory.autograded_directory={autograded}",
        f"--CourseDirectory.db_url={db}",
    )
    assert _scores(db) == {student: SUBMISSIONS[student][1] for student in PAIR}
    for student in PAIR:
        assert (autograded / student / ASSIGNMENT / NOTEBOOK).exists()
