"""Trusted grading tools for the L1W3 course (instructor side only).

Nothing in this package is released to students: it holds the reference
implementations and the hidden test cases.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UTILS_DIR = os.path.join(ROOT, "utils")
ASSIGNMENT = "L1W3"
NOTEBOOK = "planar_classification.ipynb"
SOURCE_DIR = os.path.join(ROOT, "source", ASSIGNMENT)
SOURCE_NOTEBOOK = os.path.join(SOURCE_DIR, NOTEBOOK)
RELEASE_DIR = os.path.join(ROOT, "notebooks", ASSIGNMENT)
RELEASE_NOTEBOOK = os.path.join(RELEASE_DIR, NOTEBOOK)
EXPLORATORY = "exploratory"      # tag of the cells grading skips
SELFCHECK_SUFFIX = "_selfcheck"  # grade id suffix of the public self-check cells

# The course helpers are flat modules (planar_utils, testCases), imported by
# the same names as in the student notebook.
if UTILS_DIR not in sys.path:
    sys.path.insert(0, UTILS_DIR)


def tool_env(**extra):
    """Environment for the nbgrader/jupyter subprocesses the grader starts.

    nbgrader runs ``alembic`` as a subprocess when it creates a gradebook, so
    the interpreter's own ``bin`` folder must be on PATH however the grader was
    started; the hidden tests import ``grader``, so the root is on PYTHONPATH.
    """
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    paths = [ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != ROOT]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env
