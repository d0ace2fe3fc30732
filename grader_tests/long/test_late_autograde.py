"""nbgrader's own autograde applies the course's late policy to a late submission, as ``make grade`` does."""

import csv
import datetime
import os

import pytest
from nbgrader.api import Gradebook

from grader.course import submissions
from grader_tests.helpers.jupyter_servers import copy_course, nbgrader, plain_env
from grader_tests.helpers.late import ASSIGNMENT, HOUR, L1W3, NOTEBOOK


def test_nbgrader_autograde_records_the_penalty(tmp_path):
    """A submission 25 hours late: 2 started days, 20 % of its 20 points."""
    course = copy_course(tmp_path / "course")
    teacher = plain_env(tmp_path / "instructor")
    nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course, teacher)
    due = datetime.datetime(2026, 12, 1, 23, 59, tzinfo=datetime.timezone.utc)
    nbgrader(["db", "assignment", "add", ASSIGNMENT, "--duedate=2026-12-01 23:59:00 UTC"], course, teacher)
    folder = os.path.dirname(
        submissions.write(submissions.fill(L1W3), "bob", os.path.join(course, "submitted"), L1W3)
    )
    stamp = due + datetime.timedelta(hours=25)
    with open(os.path.join(folder, "timestamp.txt"), "w") as f:
        f.write(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    log = nbgrader(["autograde", ASSIGNMENT, "--student=bob"], course, teacher).stdout

    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db")) as gb:
        submission = gb.find_submission(ASSIGNMENT, "bob")
        assert submission.total_seconds_late == 25 * HOUR
        notebook = gb.find_submission_notebook(NOTEBOOK[: -len(".ipynb")], ASSIGNMENT, "bob")
        score, penalty = notebook.score, notebook.late_submission_penalty
        assert penalty == pytest.approx(min(score, 0.2 * score)), log[-3000:]
        assert score == 20, log[-3000:]  # the course pipeline grades the full solution 20/20
        assert penalty == 4.0

    nbgrader(["export", "--to", "grades.csv"], course, teacher)
    with open(os.path.join(course, "grades.csv"), newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == "bob")
    assert float(row["late_submission_penalty"]) == 4.0
    assert float(row["score"]) == 16.0
