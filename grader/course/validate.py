"""``make validate NB=...``: nbgrader's own Validate, with a bilingual summary and a telling exit code.

This runs exactly what the Validate button (JupyterLab, Notebook 7) and
``nbgrader validate`` run — nbgrader's ``Validator`` on the notebook, in its
own folder, so the released helpers beside it are used — and prints, per
exercise, the public self-check's verdict.  Unlike stock ``nbgrader
validate`` it exits 1 when a check fails.  A notebook kept somewhere
without its helpers (a submission) is validated in a temporary copy of its
assignment's release folder.
"""

import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
import warnings

import nbformat

from grader import messages as msg

PASSED = msg.CHECK_PASSED
FAILED = msg.CHECK_FAILED


def _needs_helpers(path):
    """The assignment whose release helpers must sit beside ``path``, or None."""
    from grader.course.assignment import ids, load

    folder = os.path.dirname(os.path.abspath(path))
    for assignment_id in ids():
        assignment = load(assignment_id)
        helpers = [n for n in os.listdir(assignment.release_dir) if n.endswith(".py")]
        if os.path.basename(path) == assignment.notebook and not all(
            os.path.exists(os.path.join(folder, n)) for n in helpers
        ):
            return assignment
    return None


def validate(path, timeout=120):
    """Run nbgrader's Validator on ``path``; return ``(exercise results, problems)``.

    ``exercise results`` is ``[(grade id, points, error text or None)]`` for the
    graded cells, in notebook order; ``problems`` lists whole-notebook findings
    (edited locked cells, changed cell types).
    """
    from nbgrader.validator import Validator
    from traitlets.config import Config

    nb = nbformat.read(path, as_version=4)
    graded = [
        (c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"].get("points", 0), c.source.strip())
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    ]
    assignment = _needs_helpers(path)
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        if assignment is not None:
            for name in os.listdir(assignment.release_dir):
                if name.endswith(".py"):
                    shutil.copy(os.path.join(assignment.release_dir, name), tmp)
            shutil.copy(path, os.path.join(tmp, os.path.basename(path)))
            path = os.path.join(tmp, os.path.basename(path))
        validator = Validator(config=Config({"Execute": {"timeout": timeout}}))
        validator.log.setLevel(logging.ERROR)
        # Kernel start-up chatter (e.g. "running over TCP without encryption", written by the
        # kernel process to the inherited descriptor 2) is not for students.
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), _quiet_fd(2):
            warnings.simplefilter("ignore")
            logging.getLogger("traitlets").setLevel(logging.ERROR)
            results = validator.validate(os.path.abspath(path))
    problems = []
    for cell in results.get("type_changed", []):
        problems.append(msg.CELL_TYPE_CHANGED.format(source=cell["source"][:80]))
    for cell in results.get("changed", []):
        problems.append(msg.READ_ONLY_CELL_EDITED.format(source=cell["source"][:80]))
    errors = {cell["source"]: _clean(cell["raw_error"]) for cell in results.get("failed", [])}
    return [(gid, points, errors.get(source)) for gid, points, source in graded], problems


@contextlib.contextmanager
def _quiet_fd(fd):
    saved = os.dup(fd)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(null)


def _clean(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text).strip()


def main(path):
    """Print the validation of ``path``; return 0 (all passed), 1 (a check failed) or 2 (not runnable)."""
    if not os.path.exists(path):
        print(f"{path}: {msg.NO_SUCH_FILE}")
        return 2
    try:
        results, problems = validate(path)
    except Exception as exc:  # a notebook that cannot even be read or run
        print(f"{path}: " + msg.CANNOT_BE_RUN.format(error=f"{type(exc).__name__}: {exc}"))
        return 2
    for problem in problems:
        print(problem)
    if not results:
        print(f"{path}: {msg.NO_SELF_CHECKS}")
        return 1
    failed = [r for r in results if r[2]]
    for grade_id, points, error in results:
        print(f"{FAILED if error else PASSED}  {grade_id} ({points:g} {msg.POINTS_UNIT})")
        if error:
            print("\n".join("    " + line for line in error.splitlines()))
    print(
        f"{len(results) - len(failed)}/{len(results)} {msg.SELF_CHECKS_PASSED}"
        f" （{msg.GRADING_ADDS_HIDDEN_TESTS})"
    )
    return 1 if failed or problems else 0
