"""Build submissions from the release: the solution filled back in, and variants.

A submission is what a student hands in: the released notebook with their
code in the solution cells.  ``fill`` puts code into the solution cells of
the release by grade id; the demo and the tests build their submissions
with it, so they are graded exactly like a student's notebook.
"""
import os

import nbformat

from grader import ROOT
from grader.sandbox.workspace import remove_tree

# The demo's students: (student id, what their notebook is).
DEMO_STUDENTS = ("demo_solution", "demo_untouched", "demo_wrong_tanh_derivative")
DEMO_ASSIGNMENT = "L1W3"   # the demo grades the course's first assignment
WRONG_TANH = ("1 - np.power(A1, 2)", "1 - A1")


def fill(assignment, sources=None, release=None):
    """Return ``assignment``'s release notebook with the given solution cells' code.

    Parameters
    ----------
    assignment : grader.course.assignment.Assignment
    sources : dict, optional
        ``{grade_id: code}`` for the solution cells to fill; by default the
        source notebook's solutions (solution markers included, which are
        plain comments).
    release : str, optional
        The release notebook to fill (default: the assignment's committed release).
    """
    sources = assignment.solution_sources if sources is None else sources
    nb = nbformat.read(release or assignment.release_notebook, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in sources:
            cell.source = sources[grade_id]
    return nb


def write(nb, student, submitted_root, assignment):
    """Write ``nb`` as ``<submitted_root>/<student>/<id>/<notebook>``; return its path."""
    folder = os.path.join(submitted_root, student, assignment.id)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, assignment.notebook)
    nbformat.write(nb, path)
    return path


def demo(submitted_root=os.path.join(ROOT, "submitted")):
    """Write the demo's three L1W3 submissions; return their paths."""
    from grader.course.assignment import load
    assignment = load(DEMO_ASSIGNMENT)
    sources = assignment.solution_sources
    buggy = dict(sources)
    old, new = WRONG_TANH
    assert old in buggy["func_backward_propagation"]
    buggy["func_backward_propagation"] = buggy["func_backward_propagation"].replace(old, new)
    notebooks = {
        "demo_solution": fill(assignment, sources),
        "demo_untouched": nbformat.read(assignment.release_notebook, as_version=4),
        "demo_wrong_tanh_derivative": fill(assignment, buggy),
    }
    for student in DEMO_STUDENTS:
        remove_tree(os.path.join(submitted_root, student))
    return [write(notebooks[s], s, submitted_root, assignment) for s in DEMO_STUDENTS]
