"""The committed release is what the source builds, and it runs once the solutions are filled in.

Both tests run every assignment (``grader.course.assignment.ids``).  They are
nbdev-style checks of generated artefacts: the release is rebuilt with
``nbgrader generate_assignment`` in a temporary folder and compared file by
file; then the committed release, with the source's solutions filled back
in, is executed from its first cell to its last by a real Jupyter kernel
(as nbval's lax mode would, without comparing outputs: the release stores
none) and must raise nowhere.
"""

import os
import shutil

import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from grader.course import release, submissions
from grader.course.assignment import ids, load

ASSIGNMENTS = ids()


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_committed_release_is_what_the_source_builds(assignment_id):
    stale = release.check(load(assignment_id))
    assert stale == [], (
        f"notebooks/{assignment_id} is stale; run `make release` and commit. Differs: {', '.join(stale)}"
    )


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_carries_no_execution_metadata_of_the_source_run(assignment_id):
    import nbformat

    nb = nbformat.read(load(assignment_id).release_notebook, as_version=4)
    stamped = [i for i, cell in enumerate(nb.cells) if "execution" in cell.metadata]
    assert stamped == [], f"cells {stamped} of the {assignment_id} release carry the source run's timestamps"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_with_the_solutions_filled_in_runs_without_error(assignment_id, tmp_path):
    assignment = load(assignment_id)
    folder = tmp_path / assignment_id
    # The student's folder as released: the notebook beside its helper modules.
    shutil.copytree(assignment.release_dir, folder)
    path = folder / os.path.basename(assignment.release_notebook)
    nb = submissions.fill(assignment, release=str(path))
    # Run All, as JupyterLab's: the cells tagged skip-execution (skipped by validate) run too.
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        skip_cells_with_tag="",
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"the release of {assignment_id} with the solutions filled in raised:\n{exc}")
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert all(cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code")
