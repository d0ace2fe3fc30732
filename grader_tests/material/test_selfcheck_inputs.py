"""A self-check's "inputs:" line runs when pasted into the notebook (issue 19, must-have 8).

A failed public check (of L1W3, and of L1W2) prints the call that reproduces its case
(``输入 / inputs: ...``).  The line a student copies runs in a fresh kernel of
the released notebook, where only the notebook's import cell has run: each
case's printed line is executed in exactly that namespace, and it must call the
exercise with the very inputs the check used.
"""

import itertools
import os
import re

import nbformat
import numpy as np
import pytest

from grader.course.assignment import load
from grader_tests.helpers.course import L1W3, paragraphs

# The label on a line of its own, then the call's statements, one per line, as pasted.
INPUTS = re.compile(r"^输入 / inputs:\n((?:(?!提示：|出错位置)[^\n]+\n?)+)", re.M)
ASSIGNMENTS = {"L1W3": L1W3, "L1W2": load("L1W2")}
CASES = [
    (assignment_id, name, index)
    for assignment_id, assignment in ASSIGNMENTS.items()
    for name, cases in assignment.helpers["checks"].CASES.items()
    for index in range(len(cases))
]


def import_cell(notebook):
    """The release notebook's import cell (its first code cell), without IPython's ``%`` lines."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    return "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))


def fresh_kernel(notebook_folder, assignment):
    """The namespace of a fresh kernel of the released notebook after its import cell."""
    notebook_folder(assignment.release_dir)
    namespace = {"__name__": "__main__"}
    exec(import_cell(os.path.join(assignment.release_dir, assignment.notebook)), namespace)
    return namespace


def printed_inputs(checks, exercise, index):
    """The "inputs:" line the released check prints when case ``index`` of ``exercise`` fails."""
    cases = checks.CASES[exercise]
    calls = itertools.count()

    def failing_at_the_case(*args, **kwargs):  # noqa: ARG001 (any signature: it answers by position)
        call = next(calls)
        if call == index:
            raise ValueError("the case to reproduce")
        return cases[call].expected  # passes every case before it

    check = getattr(checks, "check_" + exercise[len("func_") :])
    with pytest.raises(checks.Mismatch) as info:
        check(failing_at_the_case)
    [line] = [found.rstrip("\n") for found in INPUTS.findall(str(info.value))]
    assert paragraphs(str(info.value))[1].endswith(cases[index].label_en)
    return line


@pytest.mark.parametrize("assignment_id, exercise, index", CASES)
def test_the_printed_inputs_line_runs_in_a_fresh_kernel(notebook_folder, assignment_id, exercise, index):
    kernel = fresh_kernel(notebook_folder, ASSIGNMENTS[assignment_id])
    import checks  # the released copy, imported by the notebook's import cell

    line = printed_inputs(checks, exercise, index)
    received = []
    namespace = dict(kernel)
    namespace[exercise] = lambda *args, **kwargs: received.append((args, kwargs))
    exec(line, namespace)
    args, kwargs = checks.CASES[exercise][index].arguments()
    [(got_args, got_kwargs)] = received
    np.testing.assert_equal(got_args, args)
    assert got_kwargs == kwargs
