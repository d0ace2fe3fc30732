"""The stock nbgrader exchange, end to end on one machine, in a copy of the course.

Instructor and student are separate users as far as nbgrader can tell: each
has a HOME, a Jupyter configuration and a working directory of their own,
and a plain environment (no PYTHONPATH).  The student's only course
setting is the nbgrader_config.py docs/instructors.md tells them to write.
"""

import glob
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import messages as msg
from grader.course import submissions
from grader.course.assignment import load
from grader_tests.helpers.jupyter_servers import (
    COURSE_ID,
    copy_course,
    nbgrader,
    plain_env,
    student_config,
)

ASSIGNMENT = "L1W3"
L1W3 = load(ASSIGNMENT)
NOTEBOOK = L1W3.notebook


STUDENT = "alice"


@pytest.fixture(scope="module")
def exchange_run(tmp_path_factory):
    """Release, fetch, fill in, submit, collect and autograde one correct submission."""
    tmp = tmp_path_factory.mktemp("exchange")
    course = copy_course(tmp / "course")
    teacher = plain_env(tmp / "instructor")
    nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course, teacher)
    nbgrader(["release_assignment", ASSIGNMENT], course, teacher)
    exchange = os.path.join(course, "exchange")
    assert os.path.isdir(os.path.join(exchange, COURSE_ID, "outbound", ASSIGNMENT))
    assert oct(os.stat(exchange).st_mode & 0o777) == oct(0o777)

    work = tmp / "alice" / "work"
    work.mkdir(parents=True)
    student = plain_env(tmp / "alice", config=student_config(exchange))
    listed = nbgrader(["list"], work, student).stdout
    assert f"{COURSE_ID} {ASSIGNMENT}" in listed, listed
    nbgrader(["fetch_assignment", ASSIGNMENT], work, student)
    fetched = work / COURSE_ID / ASSIGNMENT / NOTEBOOK  # path_includes_course = True
    assert fetched.is_file()
    nbformat.write(submissions.fill(L1W3, release=str(fetched)), str(fetched))
    nbgrader(["submit", ASSIGNMENT, f"--student={STUDENT}"], work, student)

    collected = nbgrader(["collect", ASSIGNMENT], course, teacher).stdout
    submitted = os.path.join(course, "submitted", STUDENT, ASSIGNMENT)
    assert os.path.isfile(os.path.join(submitted, NOTEBOOK)), collected
    assert os.path.isfile(os.path.join(submitted, "timestamp.txt"))
    autograded = nbgrader(["autograde", ASSIGNMENT, f"--student={STUDENT}"], course, teacher).stdout
    return {
        "course": course,
        "teacher": teacher,
        "student": student,
        "work": work,
        "autograde_log": autograded,
    }


def test_autograde_gives_the_collected_solution_full_marks(exchange_run):
    course = exchange_run["course"]
    assert os.path.isfile(os.path.join(course, "autograded", STUDENT, ASSIGNMENT, NOTEBOOK))
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db")) as gb:
        submission = gb.find_submission(ASSIGNMENT, STUDENT)
        assert submission.max_score == 20
        assert submission.score == 20, exchange_run["autograde_log"][-3000:]
        assert submission.total_seconds_late == 0


def test_feedback_travels_back_through_the_exchange(exchange_run):
    course, teacher = exchange_run["course"], exchange_run["teacher"]
    nbgrader(["generate_feedback", ASSIGNMENT, f"--student={STUDENT}"], course, teacher)
    nbgrader(["release_feedback", ASSIGNMENT, f"--student={STUDENT}"], course, teacher)
    work = exchange_run["work"]
    nbgrader(["fetch_feedback", ASSIGNMENT, f"--student={STUDENT}"], work, exchange_run["student"])
    pages = glob.glob(str(work / COURSE_ID / ASSIGNMENT / "feedback" / "*" / "*.html"))
    assert [os.path.basename(p) for p in pages] == [NOTEBOOK.replace(".ipynb", ".html")]
    with open(pages[0], encoding="utf-8") as f:
        page = f.read()
    # The course's page (summary from the gradebook), not nbgrader's stock one.
    assert 'id="grader-summary"' in page
    assert f"Grading summary: {STUDENT} — 20 / 20" in page


def test_release_feedback_of_a_class_filed_by_the_exchange_and_by_make_demo(exchange_run):
    """Issue 19: students filed by make demo (or make collect) have no submission_secret.txt.

    The class is graded and its feedback written by the make targets' commands
    (``make grade``, ``make feedback``), alice's earlier nbgrader autograde removed
    first; Release Feedback for the whole assignment then delivers alice's page
    and names each demo student, whose pages stay in feedback/ for the LMS.
    """
    course, teacher = exchange_run["course"], exchange_run["teacher"]
    for folder in ("autograded", "feedback"):
        shutil.rmtree(os.path.join(course, folder, STUDENT), ignore_errors=True)

    def grader(*args):
        proc = subprocess.run(
            [sys.executable, "-m", "grader", *args],
            cwd=course,
            env=teacher,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stdout[-3000:]

    grader("demo-submissions", ASSIGNMENT)
    grader("grade", ASSIGNMENT)
    grader("feedback", ASSIGNMENT)
    page = NOTEBOOK.replace(".ipynb", ".html")
    released = nbgrader(["release_feedback", ASSIGNMENT], course, teacher).stdout
    for student in submissions.demo_students(L1W3):
        where = os.path.join(course, "feedback", student, ASSIGNMENT, page)
        assert msg.FEEDBACK_NOT_THROUGH_EXCHANGE.format(student=student, page=where) in released, released
    work = exchange_run["work"]
    shutil.rmtree(work / COURSE_ID / ASSIGNMENT / "feedback", ignore_errors=True)
    nbgrader(["fetch_feedback", ASSIGNMENT, f"--student={STUDENT}"], work, exchange_run["student"])
    [fetched] = glob.glob(str(work / COURSE_ID / ASSIGNMENT / "feedback" / "*" / page))
    with open(fetched, encoding="utf-8") as f:
        assert f"Grading summary: {STUDENT} — 20 / 20" in f.read()
