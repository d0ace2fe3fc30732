"""Build submissions from the release: the solution filled back in, and variants.

A submission is what a student hands in: the released notebook with their
code in the solution cells.  ``fill`` puts code into the solution cells of
the release by grade id; the demo and the tests build their submissions
with it, so they are graded exactly like a student's notebook.

The demo's students are the assignment's data: every assignment has one who
hands in every solution and one who hands in the release untouched, and its
spec's ``demo`` adds the students with a mistake (see ``grader.spec.Spec``).
"""

import os

import nbformat

from grader import ROOT
from grader import messages as msg
from grader.sandbox.workspace import remove_tree

SOLUTION_STUDENT = "demo_solution"  # hands in the source notebook's solutions
UNTOUCHED_STUDENT = "demo_untouched"  # hands in the release as it was handed out


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


def demo_students(assignment):
    """The ids of ``assignment``'s demo students, in the order :func:`demo` writes them.

    Parameters
    ----------
    assignment : grader.course.assignment.Assignment

    Returns
    -------
    tuple of str
        :data:`SOLUTION_STUDENT`, :data:`UNTOUCHED_STUDENT`, then the spec's ``demo`` students.
    """
    return (SOLUTION_STUDENT, UNTOUCHED_STUDENT) + tuple(assignment.spec.demo)


def demo_sources(assignment, student):
    """The solution cells' code demo student ``student`` hands in.

    Parameters
    ----------
    assignment : grader.course.assignment.Assignment
    student : str
        One of the spec's ``demo`` students.

    Returns
    -------
    dict
        ``{grade_id: code}``: the source's solutions with the student's edits.

    Raises
    ------
    ValueError
        When a text to replace does not occur exactly once in its solution
        cell (the edit would be ambiguous, or the solution has changed).
    """
    sources = dict(assignment.solution_sources)
    for exercise, (old, new) in assignment.spec.demo[student].items():
        count = sources[exercise].count(old)
        if count != 1:
            raise ValueError(
                msg.DEMO_EDIT_NOT_ONCE.format(student=student, exercise=exercise, count=count, old=old)
            )
        sources[exercise] = sources[exercise].replace(old, new)
    return sources


def demo(assignment, submitted_root=os.path.join(ROOT, "submitted")):
    """Write the demo's submissions of ``assignment`` into ``submitted_root``; return their paths.

    Parameters
    ----------
    assignment : grader.course.assignment.Assignment
    submitted_root : str, optional
        The folder of ``<student>/<id>/`` submissions (default: the course's ``submitted/``).

    Returns
    -------
    list of str
        The notebooks written, in the order of :func:`demo_students`.
    """
    reserved = {SOLUTION_STUDENT, UNTOUCHED_STUDENT} & set(assignment.spec.demo)
    if reserved:
        raise ValueError(msg.DEMO_STUDENT_RESERVED.format(student=", ".join(sorted(reserved))))
    notebooks = {
        SOLUTION_STUDENT: fill(assignment),
        UNTOUCHED_STUDENT: nbformat.read(assignment.release_notebook, as_version=4),
    }
    for student in assignment.spec.demo:
        notebooks[student] = fill(assignment, demo_sources(assignment, student))
    students = demo_students(assignment)
    for student in students:
        remove_tree(os.path.join(submitted_root, student))
    return [write(notebooks[s], s, submitted_root, assignment) for s in students]
