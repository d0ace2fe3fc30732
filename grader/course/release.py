"""Generate an assignment's student release (``notebooks/<id>``) from ``source/<id>``; register it.

The release is exactly what ``nbgrader generate_assignment`` writes, so
formgrader's Generate button, the command line and ``make release`` produce
the same bytes (the helper modules carry their "generated copy" header in
their first lines already).  ``--check`` builds the release in a temporary
folder and fails when it differs from the committed one.

Registering an assignment in a gradebook (its notebook, graded cells and
points) does not run ``generate_assignment``: :func:`register` runs
nbgrader's own cell-saving preprocessors on the source notebook in this
process, and only when the gradebook does not already hold the same cells.
:func:`release` registers the assignment in the course's gradebook, so that
stock ``nbgrader autograde`` and formgrader's Autograde find it right after a
release (as after formgrader's Generate); :func:`check` builds against a
throwaway gradebook and writes to none.
"""

import filecmp
import os
import subprocess
import sys
import tempfile

import nbformat

from grader.environment import tool_env


def generate(assignment, release_root=None, db_url=None):
    """Run ``nbgrader generate_assignment`` for ``assignment`` into ``release_root`` (default ``notebooks``)."""
    cmd = [
        sys.executable,
        "-m",
        "nbgrader",
        "generate_assignment",
        assignment.id,
        "--force",
        "--log-level=WARN",
    ]
    if release_root:
        cmd.append(f"--CourseDirectory.release_directory={release_root}")
    if db_url:
        cmd.append(f"--CourseDirectory.db_url={db_url}")
    subprocess.run(cmd, cwd=assignment.root, check=True, env=tool_env())
    return os.path.join(release_root or os.path.join(assignment.root, "notebooks"), assignment.id)


def release(assignment, db_url):
    """Register ``assignment`` in the gradebook at ``db_url``, then regenerate ``notebooks/<id>``.

    The files are generated against a throwaway gradebook, so they are the
    same bytes whatever the course's gradebook holds; the course's gradebook
    gets the assignment's notebook, graded cells and points from
    :func:`register` (exactly what ``generate_assignment`` records), written
    only when they differ.  Registering comes first: when nbgrader refuses to
    change the graded cells of a notebook that has submissions, nothing is
    written, as ``generate_assignment`` would leave it.

    Parameters
    ----------
    assignment : grader.course.assignment.Assignment
        The assignment to release.
    db_url : str
        The course's gradebook (nbgrader_config.py's ``db_url`` unless told otherwise).

    Returns
    -------
    tuple of (str, bool)
        The release folder, and whether the gradebook was written.
    """
    registered = register(assignment, db_url)
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(
            assignment, os.path.join(assignment.root, "notebooks"), "sqlite:///" + os.path.join(tmp, "gb.db")
        )
    return folder, registered


def check(assignment):
    """Return a list of files that differ between a fresh release and ``notebooks/<id>``.

    The fresh release is built against a throwaway gradebook: a check writes to no gradebook.
    """
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(assignment, os.path.join(tmp, "release"), "sqlite:///" + os.path.join(tmp, "gb.db"))
        return _diff(fresh, assignment.release_dir)


def _registered(assignment, db_url, master):
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            notebook = gb.find_notebook(assignment.notebook_id, assignment.id)
        except MissingEntry:
            return False
        cells = {c.name: c.max_score for c in notebook.grade_cells}
    return cells == graded_cells(master)


def graded_cells(master):
    """``{grade id: points}`` of the graded cells a gradebook holds for a registered assignment."""
    return {gid: points for gid, (_, points) in master.tests.items()}


def register(assignment, db_url, master=None):
    """Record ``assignment``'s notebook and graded cells in the gradebook at ``db_url``.

    Uses nbgrader's ``SaveCells`` (after the preprocessors that precede it in
    ``generate_assignment``), in this process; nothing is written when the
    gradebook already has the same graded cells and points.  nbgrader refuses
    (and this raises) a change of graded cells once submissions exist.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from grader.config import load as load_config
    from grader.course import cells as master_mod

    master = master or master_mod.load(assignment)
    if _registered(assignment, db_url, master):
        return False  # every grading run asks: nbgrader's preprocessors (0.13 s) only when it is not
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
        SaveCells,
    )

    config = load_config()
    with Gradebook(db_url, config.CourseDirectory.course_id) as gb:
        try:
            gb.find_assignment(assignment.id)
        except MissingEntry:
            gb.add_assignment(assignment.id)
    nb = nbformat.read(assignment.source_notebook, as_version=4)
    resources = {
        "nbgrader": {"notebook": assignment.notebook_id, "assignment": assignment.id, "db_url": db_url}
    }
    for cls in (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums, SaveCells):
        nb, resources = cls(config=config).preprocess(nb, resources)
    return True


def _diff(a, b, prefix=""):
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__", ".ipynb_checkpoints"])
    stale = [prefix + n for n in cmp.left_only + cmp.right_only + cmp.funny_files]
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    stale += [prefix + n for n in mismatch + errors]
    for sub in cmp.common_dirs:
        stale += _diff(os.path.join(a, sub), os.path.join(b, sub), prefix + sub + "/")
    return stale
