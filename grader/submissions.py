"""Build submissions from the release: the solution filled back in, and variants.

A submission is what a student hands in: the released notebook with their
code in the solution cells.  ``fill`` puts code into the solution cells of
the release by grade id; the demo and the tests build their submissions
with it, so they are graded exactly like a student's notebook.
"""
import os
import shutil

import nbformat

from grader import ASSIGNMENT, NOTEBOOK, RELEASE_NOTEBOOK, ROOT
from grader.reference import solution_sources

# The demo's students: (student id, what their notebook is).
DEMO_STUDENTS = ("demo_solution", "demo_untouched", "demo_wrong_tanh_derivative")
WRONG_TANH = ("1 - np.power(A1, 2)", "1 - A1")


def fill(sources=None, release=RELEASE_NOTEBOOK):
    """Return the release notebook with the given solution cells' code.

    Parameters
    ----------
    sources : dict, optional
        ``{grade_id: code}`` for the solution cells to fill; by default the
        source notebook's solutions (solution markers included, which are
        plain comments).
    """
    sources = solution_sources() if sources is None else sources
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in sources:
            cell.source = sources[grade_id]
    return nb


def write(nb, student, submitted_root):
    """Write ``nb`` as ``<submitted_root>/<student>/L1W3/planar_classification.ipynb``."""
    folder = os.path.join(submitted_root, student, ASSIGNMENT)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, NOTEBOOK)
    nbformat.write(nb, path)
    return path


def demo(submitted_root=os.path.join(ROOT, "submitted")):
    """Write the demo's three submissions; return their paths."""
    sources = solution_sources()
    buggy = dict(sources)
    old, new = WRONG_TANH
    assert old in buggy["func_backward_propagation"]
    buggy["func_backward_propagation"] = buggy["func_backward_propagation"].replace(old, new)
    notebooks = {
        "demo_solution": fill(sources),
        "demo_untouched": nbformat.read(RELEASE_NOTEBOOK, as_version=4),
        "demo_wrong_tanh_derivative": fill(buggy),
    }
    for student in DEMO_STUDENTS:
        shutil.rmtree(os.path.join(submitted_root, student), ignore_errors=True)
    return [write(notebooks[s], s, submitted_root) for s in DEMO_STUDENTS]
