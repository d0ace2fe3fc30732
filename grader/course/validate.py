"""``make validate NB=...``: nbgrader's own Validate, its cells run in the grading sandbox.

This runs nbgrader's ``Validator`` (what the Validate button of JupyterLab
and Notebook 7 and ``nbgrader validate`` run: the cell-metadata check, the
checksums of locked cells, the self-checks' verdicts) with one change: the
notebook's code runs in the grading sandbox (:class:`grader.sandbox.kernel.Kernel`,
under :meth:`grader.limits.Limits.load`), never as the user who runs
``make validate``.  A submission validated by an instructor is a student's
code: it sees only the sandbox (with bubblewrap: no course, no gradebook, no
home) and the helpers beside the notebook, copied in read-only.  A notebook
kept somewhere without its helpers (a submission) gets its assignment's
released ones.  Then, per exercise, the public self-check's verdict is
printed; unlike stock ``nbgrader validate`` it exits 1 when a check fails.

Cells tagged ``skip-execution`` (nbclient's standard tag, which nbgrader's
own ``Execute`` honours: the notebook's exploratory cells) are skipped here as
there, so every validate path runs the same cells: what the verdicts need.
"""

import logging
import os
import re
import tempfile

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput
from nbgrader.validator import Validator
from traitlets import Any, List, Unicode

from grader import messages as msg
from grader.limits import Limits
from grader.sandbox.kernel import Kernel
from grader.sandbox.workspace import remove_tree

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


def _helpers(folders):
    """``{name: text}`` of the ``.py`` files in ``folders`` (a later folder's win)."""
    found = {}
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.endswith(".py") and os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    found[name] = f.read()
    return found


class SandboxedExecute(Preprocessor):
    """Run the code cells in one sandboxed kernel and keep their outputs (nbgrader's Execute, sandboxed).

    A cell tagged :attr:`skip_cells_with_tag` is skipped and keeps what it had,
    as nbgrader's ``Execute`` (nbclient) does.  The helpers the cells import are :attr:`helpers`; a cell's error is kept as
    its output, as nbgrader's ``Execute`` keeps it, and the next cell runs.  A
    kernel that dies (a time or memory limit) ends the validation with
    :class:`~grader.sandbox.kernel.KernelDied`: the cells after it did not run.
    """

    helpers = Any(help="{file name: text} of the modules copied beside the notebook")
    limits = Any(help="the grader.limits.Limits of the kernel")
    # nbclient's own default, so the rule cannot drift from the Validate button's.
    skip_cells_with_tag = Unicode(
        NotebookClient.skip_cells_with_tag.default_value, help="the tag of the cells not run"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        """Run ``nb``'s code cells in order in a fresh sandboxed kernel."""
        workdir = tempfile.mkdtemp(prefix="validate-")
        try:
            for name, text in self.helpers.items():
                with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
                    f.write(text)
            with Kernel(workdir, self.limits) as kernel:
                for cell in nb.cells:
                    if cell.cell_type != "code" or self.skip_cells_with_tag in cell.metadata.get("tags", []):
                        continue
                    answer = kernel.run(cell.source)
                    cell.outputs = [nbformat.from_dict(o) for o in answer.get("outputs") or []]
                    count = answer.get("execution_count")
                    cell.execution_count = count if type(count) is int else None
        finally:
            remove_tree(workdir)
        return nb, resources


class SandboxedValidator(Validator):
    """nbgrader's ``Validator`` with :class:`SandboxedExecute` for its ``Execute``."""

    preprocessors = List([CheckCellMetadata, ClearOutput, SandboxedExecute])
    helpers = Any()
    limits = Any()

    def _preprocess(self, nb):
        resources = {}
        for preprocessor in self.preprocessors:
            pp = preprocessor(parent=self)
            if isinstance(pp, SandboxedExecute):
                pp.helpers, pp.limits = self.helpers, self.limits
            nb, resources = pp.preprocess(nb, resources)
        return nb


def validate(path, limits=None):
    """Run nbgrader's Validator on ``path``, its cells in the sandbox; return ``(exercise results, problems)``.

    Parameters
    ----------
    path : str
    limits : grader.limits.Limits, optional
        The kernel's limits (default: :meth:`grader.limits.Limits.load`, as grading has them).

    Returns
    -------
    tuple
        ``exercise results`` is ``[(grade id, points, error text or None)]`` for the
        graded cells, in notebook order; ``problems`` lists whole-notebook findings
        (edited locked cells, changed cell types).
    """
    nb = nbformat.read(path, as_version=4)
    graded = [
        (c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"].get("points", 0), c.source.strip())
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    ]
    folders = [os.path.dirname(os.path.abspath(path))]
    assignment = _needs_helpers(path)
    if assignment is not None:
        folders.insert(0, assignment.release_dir)
    validator = SandboxedValidator()
    validator.helpers = _helpers(folders)
    validator.limits = Limits.load() if limits is None else limits
    validator.log.setLevel(logging.ERROR)
    results = validator.validate(os.path.abspath(path))
    problems = []
    for cell in results.get("type_changed", []):
        problems.append(msg.two_lines(msg.CELL_TYPE_CHANGED) + "\n" + _first_line(cell["source"]))
    for cell in results.get("changed", []):
        problems.append(msg.two_lines(msg.READ_ONLY_CELL_EDITED) + "\n" + _first_line(cell["source"]))
    errors = {cell["source"]: _clean(cell["raw_error"]) for cell in results.get("failed", [])}
    return [(gid, points, errors.get(source)) for gid, points, source in graded], problems


# The widest line printed (terminal columns): nbgrader's Validate output cuts longer ones.
WIDTH = 80


def _first_line(source):
    """The first line of a cell's source, indented, cut to fit :data:`WIDTH`."""
    lines = source.strip().splitlines() or [""]
    line = lines[0] if len(lines[0]) <= WIDTH - 8 else lines[0][: WIDTH - 11] + "..."
    return "    " + line + (" ..." if len(lines) > 1 else "")


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
        print(f"{path}:\n" + msg.two_lines(msg.CANNOT_BE_RUN, error=f"{type(exc).__name__}: {exc}"))
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
    passed = f"{len(results) - len(failed)}/{len(results)}"
    (zh, en), (zh_hidden, en_hidden) = (
        msg.halves(msg.SELF_CHECKS_PASSED),
        msg.halves(msg.GRADING_ADDS_HIDDEN_TESTS),
    )
    print(f"{passed} {zh}（{zh_hidden}）\n{passed} {en} ({en_hidden})")
    return 1 if failed or problems else 0
