"""``make bench``'s "stock nbgrader" is nbgrader's own autograde, never this course's grader.

nbgrader reads the configuration of the course root last; the bench's stock run once
started with the course's root, whose configuration put ``CourseAutograde`` back, so
"stock" graded with this grader (about 0.5 s a submission instead of nbgrader's full
execution).  Here the bench's stock course grades a correct and a blank submission:
nbgrader's preprocessors execute them (the hidden tests judge in the kernel), and
nothing of this grader's output is there.
"""

import importlib.util
import os
import subprocess

import nbformat
import pytest

from grader import ROOT
from grader.course import submissions
from grader.course.assignment import load
from grader.pages import table


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", os.path.join(ROOT, "bench", "run.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_stock_run_is_nbgraders_own_autograde(bench, tmp_path):
    l1w3 = load("L1W3")
    submitted = tmp_path / "submitted"
    submissions.write(submissions.fill(l1w3, l1w3.solution_sources), "correct", str(submitted), l1w3)
    submissions.write(submissions.fill(l1w3, {}), "blank", str(submitted), l1w3)
    db = bench.gradebook(str(tmp_path), "stock")
    autograded = tmp_path / "autograded"
    proc = subprocess.run(
        bench.stock_command(str(submitted), str(autograded), db),
        cwd=bench.stock_course(str(tmp_path)),
        env=bench.stock_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for student in ("correct", "blank"):
        assert not list((autograded / student).rglob("grading_report*")), "this grader's report: not stock"
        nb = nbformat.read(autograded / student / "L1W3" / l1w3.notebook, as_version=4)
        codes = [c for c in nb["cells"] if c["cell_type"] == "code"]
        # nbgrader put the source's test cells back, hidden tests included, and ran them.
        hidden = [c for c in codes if "run_hidden_tests" in c["source"]]
        assert len(hidden) == len(l1w3.exercises)
        assert all(c.get("execution_count") for c in hidden)
    _, scores, max_points = table.scores(db, l1w3)
    assert sum(scores["correct"].values()) == sum(max_points.values()) > 0
    assert sum(scores["blank"].values()) == 0
    # The blank one failed in its kernel: nbgrader's own error outputs, the hidden tests' among them.
    blank = nbformat.read(autograded / "blank" / "L1W3" / l1w3.notebook, as_version=4)
    errors = [o for c in blank["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors
