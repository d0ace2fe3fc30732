"""A release leaves a course that stock nbgrader can grade (issue 19, must-have 7).

In a copy of the course, as a new instructor runs it: ``python -m grader release``
(what ``make release`` runs) registers the assignment in the course's gradebook
exactly as nbgrader's own ``generate_assignment`` records it, idempotently and
without changing the committed release; ``release --check`` writes to no
gradebook; and ``nbgrader autograde`` then grades a submission.
"""

import os
import subprocess
import sys

from nbgrader.api import Gradebook

from grader import messages as msg
from grader.course import cells, release, submissions
from grader.course.assignment import load
from grader_tests.helpers.jupyter_servers import copy_course, nbgrader, plain_env

L1W3 = load("L1W3")
NOTEBOOK_ID = L1W3.notebook_id


def _grader(args, course, env):
    proc = subprocess.run(
        [sys.executable, "-m", "grader"] + args,
        cwd=course,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout
    return proc.stdout


def recorded(db_url):
    """What a gradebook holds of L1W3's notebook: cells, points, checksums, kernelspec."""
    with Gradebook(db_url) as gb:
        notebook = gb.find_notebook(NOTEBOOK_ID, L1W3.id)
        return {
            "kernelspec": notebook.kernelspec,
            "grade": {c.name: (c.max_score, c.cell_type) for c in notebook.grade_cells},
            "solution": sorted(c.name for c in notebook.solution_cells),
            "task": {c.name: c.max_score for c in notebook.task_cells},
            "source": {c.name: (c.cell_type, c.locked, c.checksum, c.source) for c in notebook.source_cells},
            "max_score": gb.find_assignment(L1W3.id).max_score,
        }


def test_release_registers_the_assignment_for_stock_nbgrader(tmp_path):
    course = copy_course(tmp_path / "course")
    teacher = plain_env(tmp_path / "instructor")
    gradebook = os.path.join(course, "gradebook.db")
    db_url = "sqlite:///" + gradebook

    out = _grader(["release", "--check", L1W3.id], course, teacher)
    assert msg.RELEASE_UP_TO_DATE.format(folder=f"notebooks/{L1W3.id}", source=f"source/{L1W3.id}") in out
    assert not os.path.exists(gradebook), "release --check wrote a gradebook"

    out = _grader(["release", L1W3.id], course, teacher)
    first = recorded(db_url)
    assert msg.REGISTERED.format(assignment=L1W3.id) in out, out
    assert release._diff(os.path.join(course, "notebooks", L1W3.id), L1W3.release_dir) == []
    master = cells.load(L1W3)
    assert {name: points for name, (points, _) in first["grade"].items()} == {
        gid: points for gid, (_, points) in master.tests.items()
    }
    assert first["max_score"] == 20

    # Exactly what nbgrader's generate_assignment records in a gradebook of its own.
    nbgrader(
        [
            "generate_assignment",
            L1W3.id,
            "--force",
            f"--CourseDirectory.release_directory={tmp_path / 'stock'}",
            f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'stock.db'}",
        ],
        course,
        teacher,
    )
    assert recorded(f"sqlite:///{tmp_path / 'stock.db'}") == first

    # A second release finds the assignment registered and writes nothing to the gradebook.
    before = os.stat(gradebook).st_mtime_ns
    out = _grader(["release", L1W3.id], course, teacher)
    assert msg.REGISTERED.format(assignment=L1W3.id) not in out, out
    assert os.stat(gradebook).st_mtime_ns == before
    assert recorded(db_url) == first

    submissions.write(submissions.fill(L1W3), "bob", os.path.join(course, "submitted"), L1W3)
    log = nbgrader(["autograde", L1W3.id, "--student=bob"], course, teacher).stdout
    with Gradebook(db_url) as gb:
        assert gb.find_submission(L1W3.id, "bob").score == 20, log[-3000:]


def test_release_takes_the_gradebook_of_db(tmp_path):
    """``--db`` names the gradebook, as for the other commands; the course's default is untouched."""
    course = copy_course(tmp_path / "course")
    teacher = plain_env(tmp_path / "instructor")
    other = tmp_path / "other.db"
    _grader(["release", L1W3.id, f"--db=sqlite:///{other}"], course, teacher)
    assert recorded(f"sqlite:///{other}")["max_score"] == 20
    assert not os.path.exists(os.path.join(course, "gradebook.db"))
