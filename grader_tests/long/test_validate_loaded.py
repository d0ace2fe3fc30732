"""``make validate`` on the demo's solution and on a wrong derivative: every self-check passes, or fails with a bilingual mismatch."""

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
    assert "8/8 个自检通过 / self-checks passed" in proc.stdout


def test_wrong_derivative_fails_with_a_bilingual_mismatch(root, demo):
    proc = _validate(root, demo["demo_wrong_tanh_derivative"])
    assert proc.returncode == 1
    assert "未通过 / FAILED  func_backward_propagation_values (5 分 / pt)" in proc.stdout
    assert "grads['dW1']" in proc.stdout and "-0.00687442" in proc.stdout
    assert "通过 / passed  func_compute_cost_values (2 分 / pt)" in proc.stdout
    # Clean output for students: no kernel transport warnings.
    assert "without encryption" not in proc.stdout + proc.stderr
