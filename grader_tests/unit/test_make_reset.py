"""``make reset`` gives a fresh course without the venv's rebuild; ``make clean`` also removes the venv.

Both targets run for real with the course's Makefile, in a scratch copy of the course's layout
holding one of every file grading writes (the demo's students among them), so nothing of this
checkout is touched.
"""

import os
import shutil
import subprocess

import pytest

from grader import ROOT

# Everything a grading run, the demo, the feedback, the report, an export or the exchange writes.
GENERATED = (
    "submitted/demo_solution/L1W3/planar_classification.ipynb",
    "autograded/demo_solution/L1W3/planar_classification.ipynb",
    "autograded/demo_solution/grading_report_L1W3.json",
    "autograded/.grading_run_L1W3.json",
    "feedback/demo_solution/L1W3/planar_classification.html",
    "reports/L1W3.html",
    "reports/L1W3_scores.png",
    "downloaded/L1W3/archive.zip",
    "exchange/deeplearning-L1W3/outbound/L1W3/planar_classification.ipynb",
    "gradebook.db",
    "gradebook.db-journal",
    "grades.csv",
    "grades_by_exercise.csv",
)
# What the course is made of, and the environment that took minutes to build.
KEPT = (
    "source/L1W3/planar_classification.ipynb",
    "notebooks/L1W3/planar_classification.ipynb",
    "grading/L1W3/spec.py",
    "autograded/README.md",
    "nbgrader_config.py",
    ".venv/.installed",
    ".venv/bin/python",
)
# Removed by make clean only.
CACHES = ("build/pytest/x", ".pytest_cache/v/x")


@pytest.fixture
def course(tmp_path):
    shutil.copy(os.path.join(ROOT, "Makefile"), tmp_path)
    for name in GENERATED + KEPT + CACHES:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    return tmp_path


def _make(course, target):
    # Without a PATH entry for the venv's bin: the target must not need the venv.
    subprocess.run(["make", "-s", target], cwd=course, check=True, capture_output=True, timeout=60)


def test_reset_removes_every_grading_output_and_keeps_the_course_and_the_venv(course):
    _make(course, "reset")
    assert [n for n in GENERATED if (course / n).exists()] == []
    assert [n for n in KEPT + CACHES if not (course / n).exists()] == []
    assert sorted(p.name for p in (course / "autograded").iterdir()) == ["README.md"]


def test_reset_twice_is_harmless(course):
    _make(course, "reset")
    _make(course, "reset")
    assert (course / ".venv/.installed").exists()


def test_clean_is_reset_and_also_the_venv_and_caches(course):
    _make(course, "clean")
    gone = GENERATED + CACHES + (".venv/.installed",)
    assert [n for n in gone if (course / n).exists()] == []
    assert (course / "source/L1W3/planar_classification.ipynb").exists()
    assert (course / "autograded/README.md").exists()


def test_make_help_says_what_reset_and_clean_remove(course):
    out = subprocess.run(["make", "-s", "help"], cwd=course, check=True, capture_output=True, text=True)
    lines = {line.split()[1]: line for line in out.stdout.splitlines() if line.startswith("make ")}
    assert "keeps the venv" in out.stdout.split("make clean")[0].split("make reset")[1]
    assert "venv" in lines["clean"]
