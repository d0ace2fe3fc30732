"""``make validate`` runs a notebook's code in the grading sandbox, never as the user who validates.

A submission an instructor validates is a student's code: here it tries to write into the
course root and beside itself, and to read the gradebook's folder, and cannot; the helpers
beside it are still there for its imports.
"""

import os

import nbformat

from grader import ROOT
from grader.course import validate
from grader.limits import Limits
from grader.sandbox import launch

ESCAPE = """
import os
try:
    with open({target!r}, 'w') as f:
        f.write('written by a validated notebook')
except OSError as exc:
    raise AssertionError('refused: %s' % type(exc).__name__)
"""


def _graded(source, grade_id):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": grade_id,
        "locked": True,
        "points": 1,
        "schema_version": 3,
        "solution": False,
    }
    return cell


def _notebook(folder, cells):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "probe.ipynb")
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_a_validated_notebook_cannot_write_to_the_course_or_beside_itself(tmp_path):
    assert launch.bwrap_works(), "this test needs bubblewrap, as grading does"
    folder = tmp_path / "submitted" / "mallory" / "L1W3"
    in_root = os.path.join(ROOT, f"validate-escape-{os.getpid()}.txt")
    beside = str(folder / "escape.txt")
    (tmp_path / "submitted" / "mallory" / "L1W3").mkdir(parents=True)
    (folder / "helper_mod.py").write_text("VALUE = 41\n")
    path = _notebook(
        str(folder),
        [
            _graded(ESCAPE.format(target=in_root), "writes_course_root"),
            _graded(ESCAPE.format(target=beside), "writes_beside_itself"),
            _graded("import helper_mod\nassert helper_mod.VALUE + 1 == 42", "imports_its_helper"),
        ],
    )
    try:
        results, problems = validate.validate(path, Limits(cell_timeout=60, grace=1))
    finally:
        escaped = [p for p in (in_root, beside) if os.path.exists(p)]
        for p in escaped:
            os.unlink(p)
    assert escaped == []
    verdicts = {gid: error for gid, _, error in results}
    assert problems == []
    assert "refused" in verdicts["writes_course_root"], verdicts
    assert "refused" in verdicts["writes_beside_itself"], verdicts
    assert verdicts["imports_its_helper"] is None, verdicts
