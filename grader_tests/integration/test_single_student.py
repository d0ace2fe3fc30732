"""``grade --student``: a one-student run grades that student only, beside a broken neighbour, and writes no class run summary."""

import os
import subprocess
import sys

from grader import messages as msg
from grader.batch import runner
from grader.course import submissions
from grader.pages import table
from grader.pipeline.report_file import RunSummary
from grader_tests.helpers.cli_course import (
    _submit,
    fresh_imports,  # noqa: F401 (fixtures, used by name)
)


def test_one_student_run_ignores_a_broken_neighbour_and_writes_no_run_summary(tmp_path, root, l1w3):
    submitted, autograded = tmp_path / "submitted", tmp_path / "autograded"
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    submissions.write(submissions.fill(l1w3), "alice", str(submitted), l1w3)
    _submit(submitted, "=bad", folder=l1w3.id)
    (tmp_path / "outside").mkdir()
    (submitted / "eve").mkdir()
    (submitted / "eve" / l1w3.id).symlink_to(tmp_path / "outside", target_is_directory=True)
    assert runner.rejected_ids(str(submitted))  # what makes a full run of this folder exit 1
    # As CourseAutograde runs it (and a named student without any folder).
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            l1w3.id,
            "--student",
            "alice",
            "--student",
            "ghost",
            "--submitted",
            str(submitted),
            "--autograded",
            str(autograded),
            "--db",
            db,
            "--workers",
            "1",
            "--quiet",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"ghost: {msg.NO_ASSIGNMENT_FOLDER.format(assignment=l1w3.id)}" in proc.stderr
    assert "=bad" not in proc.stderr and "eve" not in proc.stderr
    assert (autograded / "alice" / l1w3.id / l1w3.notebook).is_file()
    assert not os.path.exists(RunSummary.path(str(autograded), l1w3.id))
    assert sorted(os.listdir(autograded)) == ["alice", "ghost"]
    _, scores, max_points = table.scores(db, l1w3)
    assert sorted(scores) == ["alice", "ghost"]
    assert scores["alice"] == {g: max_points[g] for g in scores["alice"]}
