"""``make validate`` on the demo's solution and on a wrong derivative: every self-check passes, or fails with a
bilingual mismatch; a correct notebook validates, by stock nbgrader and by ``make validate``, on saturated CPUs."""

import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from grader.course import submissions
from grader.course.assignment import load
from grader_tests.helpers.validate import _validate


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    written = submissions.demo(load("L1W3"), str(tmp_path_factory.mktemp("validate")))
    return {p.split("/")[-3]: p for p in written}


def test_solution_passes_every_self_check(root, demo):
    proc = _validate(root, demo["demo_solution"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "8/8 个自检通过（评分时另有隐藏测试）\n8/8 self-checks passed (grading adds hidden tests)"
        in proc.stdout
    )


def test_wrong_derivative_fails_with_a_bilingual_mismatch(root, demo):
    proc = _validate(root, demo["demo_wrong_tanh_derivative"])
    assert proc.returncode == 1
    assert "未通过 / FAILED  func_backward_propagation_values (5 分 / pt)" in proc.stdout
    assert "grads['dW1']" in proc.stdout and "-0.00687442" in proc.stdout
    assert "通过 / passed  func_compute_cost_values (2 分 / pt)" in proc.stdout
    # Clean output for students: no kernel transport warnings.
    assert "without encryption" not in proc.stdout + proc.stderr


@pytest.fixture
def saturated_cpus():
    """Two busy processes per CPU for the test's duration, as a shared server the evening before a deadline."""
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2 * (os.cpu_count() or 1))
    ]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.fixture
def filled_release(tmp_path):
    """The student's released folder with the solutions filled in (a correct notebook)."""
    assignment = load("L1W3")
    folder = tmp_path / "L1W3"
    shutil.copytree(assignment.release_dir, folder)
    nbformat.write(submissions.fill(assignment), str(folder / assignment.notebook))
    return folder / assignment.notebook


def test_correct_notebook_validates_while_the_cpus_are_saturated(root, filled_release, saturated_cpus):
    """Validate skips the exploratory cells (``skip-execution``), so a busy machine is no reason to fail."""
    # What the Validate button and a student's terminal run: stock nbgrader, in the released folder.
    stock = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "nbgrader"), "validate", filled_release.name],
        cwd=filled_release.parent,
        capture_output=True,
        text=True,
    )
    assert "Success! Your notebook passes all the tests." in stock.stdout, stock.stdout + stock.stderr
    assert "Timeout" not in stock.stdout + stock.stderr
    # make validate: the same cells, in the grading sandbox.
    ours = _validate(root, str(filled_release))
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert (
        "8/8 个自检通过（评分时另有隐藏测试）\n8/8 self-checks passed (grading adds hidden tests)"
        in ours.stdout
    )
