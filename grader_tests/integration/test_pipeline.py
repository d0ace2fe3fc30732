"""The grading pipeline end to end on the demo's submissions (``make grade`` on a folder)."""

import json
import os
import subprocess
import sys

import pytest

from grader import messages as msg
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


EARLY_ZYGOTE = """
import sys
from grader import cli
from grader.course import assignment
from grader.sandbox import zygote

events = []
def spy(name, cls):
    init = cls.__init__
    def recorded(self, *args, **kwargs):
        events.append(name)
        init(self, *args, **kwargs)
    cls.__init__ = recorded
spy("zygote", zygote.Zygote)
spy("assignment", assignment.Assignment)
status = cli.main(sys.argv[1:])
print("events", events)
sys.exit(status)
"""


def test_a_warm_run_starts_its_one_zygote_before_it_loads_the_assignment(tmp_path, root, graded):
    # The zygote boots on the other core while the run loads the assignment and imports the
    # rest (grader.batch.runner.early_zygote); every worker's kernels come from that one.
    from grader.course.assignment import load
    from grader.sandbox import launch

    if not launch.warm_kernels():
        pytest.fail("warm kernels are not supported here: this machine's modes all support them")
    submissions.demo(load("L1W3"), str(tmp_path / "submitted"))
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", EARLY_ZYGOTE, "grade", "L1W3", "--submitted", str(tmp_path / "submitted")]
        + ["--autograded", str(tmp_path / "autograded"), "--db", db, "--workers", "2"],
        cwd=root,
        capture_output=True,
        text=True,
        env=dict(os.environ, GRADER_WARM_KERNELS="1"),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "events ['zygote', 'assignment']" in proc.stdout
    assert msg.KERNELS_WARM in proc.stderr
    reports = list((tmp_path / "autograded").glob("*/grading_report_L1W3.json"))
    assert len(reports) == len(graded[2])
    for path in reports:  # no kernel fell back to a cold one
        notes = json.loads(path.read_text())["notes"]
        assert not [n for n in notes if msg.WARM_KERNEL_FALLBACK.split(":")[0] in n], (path, notes)
    assert table.scores(db, load("L1W3"))[1] == graded[2]


NO_VALIDATOR = """
import os, sys
from grader import environment
environment.prepare()  # first, as every entry point does
import nbformat.validator
from grader import cli

real = nbformat.validator.get_validator
def spy(*args, **kwargs):  # in the main process and in every worker forked from it
    with open(os.environ["MARK"], "a") as f:
        f.write(f"{os.getpid()}\\n")
    return real(*args, **kwargs)
nbformat.validator.get_validator = spy
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_grading_run_never_compiles_nbformats_validator(tmp_path, root, graded):
    # Compiling it (fastjsonschema) cost about 45 ms in the main process or in each worker; the
    # course's notebooks and the autograded ones are nbformat's without it.  (A gradebook the
    # assignment is registered in: registering runs nbgrader's preprocessors, which validate.)
    import shutil

    from grader.course.assignment import load

    submissions.demo(load("L1W3"), str(tmp_path / "submitted"))
    shutil.copy(graded[0] / "gradebook.db", tmp_path / "gradebook.db")
    mark = tmp_path / "compiled"
    proc = subprocess.run(
        [sys.executable, "-c", NO_VALIDATOR, "grade", "L1W3", "--submitted", str(tmp_path / "submitted")]
        + ["--autograded", str(tmp_path / "autograded"), "--db", f"sqlite:///{tmp_path / 'gradebook.db'}"]
        + ["--workers", "2"],
        cwd=root,
        capture_output=True,
        text=True,
        env=dict(os.environ, MARK=str(mark)),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(list((tmp_path / "autograded").glob("*/grading_report_L1W3.json"))) == len(graded[2])
    assert not mark.exists(), mark.read_text()
