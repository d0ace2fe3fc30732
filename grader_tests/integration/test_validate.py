"""``make validate``: nbgrader's Validate on the public self-checks, with an exit code that tells."""

import unicodedata

import pytest

from grader.course import submissions
from grader.course.assignment import load
from grader_tests.helpers.validate import _validate


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return {
        p.split("/")[-3]: p for p in submissions.demo(load("L1W3"), str(tmp_path_factory.mktemp("validate")))
    }


def test_untouched_release_fails_every_self_check(root, demo):
    proc = _validate(root, demo["demo_untouched"])
    assert proc.returncode == 1
    assert proc.stdout.count("未通过 / FAILED") == 8 and "0/8" in proc.stdout
    # Chinese and English on lines of their own, none wider than a terminal's 100 columns.
    wide = [line for line in proc.stdout.splitlines() if _columns(line) > 100]
    assert not wide, wide
    assert (
        "0/8 个自检通过（评分时另有隐藏测试）\n0/8 self-checks passed (grading adds hidden tests)"
        in proc.stdout
    )


def _columns(line):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_missing_notebook_is_reported(root, tmp_path):
    proc = _validate(root, str(tmp_path / "nope.ipynb"))
    assert proc.returncode == 2 and "no such file" in proc.stdout
