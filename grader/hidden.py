"""Hidden tests as plain in-kernel assertions (for nbval and stock nbgrader).

The source notebooks' test cells call :func:`run_hidden_tests` between
nbgrader's hidden-test markers.  That judges inside the kernel, which is
what stock ``nbgrader autograde`` does (``make bench`` measures it) and what
re-executing the source notebook checks (the reference passes its own
hidden cases).  The course's grader never runs these cells: it probes the
kernel and judges in its own process (see ``grader.pipeline.grade``).
"""

import os

from grader import environment


def run_hidden_tests(exercise, namespace, assignment_id=None):
    """Run the hidden cases of ``exercise`` on ``namespace[exercise]``; raise on failure.

    ``assignment_id`` defaults to the name of the current folder
    (``source/<id>/``, where the notebook runs).
    """
    # The kernel's set-up, made by its first call (importing this module changes nothing):
    # before the import below brings in nbformat for the first time in this kernel.
    environment.skip_iri_checker()
    from grader.course.assignment import copy_value, load

    assignment = load(assignment_id or os.path.basename(os.getcwd()))
    callees = assignment.spec.callees.get(exercise, ())
    name = assignment.spec.result_names.get(exercise, "result")
    failures = []
    for case, want in zip(assignment.spec.cases[exercise], assignment.expected(exercise)):
        saved = {callee: namespace.get(callee) for callee in callees}
        try:
            for callee in callees:
                namespace[callee] = assignment.reference[callee]
            got = namespace[exercise](*copy_value(case.args), **copy_value(case.kwargs))
        finally:
            namespace.update(saved)
        message = assignment.spec.compare(want, got, name)
        if message:
            failures.append(f"[{case.label}] {message}")
    if failures:
        raise AssertionError("\n".join(failures))
