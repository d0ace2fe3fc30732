"""Hidden tests as plain in-kernel assertions (for nbval and stock nbgrader).

The source notebook's test cells call :func:`run_hidden_tests`, which judges
inside the student's kernel: that is what stock ``nbgrader autograde`` does,
and it is what ``make bench`` measures against.  The course's own grader does
not trust the kernel: it evaluates the same cases there but judges the
results in its own process (see ``grader.judge``).
"""
from checks import compare

from grader.cases import CASES, RESULT_NAME


def run_hidden_tests(exercise, namespace):
    """Run the hidden cases of ``exercise`` on ``namespace[exercise]``; raise on failure."""
    failures = []
    for case in CASES[exercise]:
        message = compare(case.expected(), case.run(namespace), RESULT_NAME[exercise])
        if message:
            failures.append(f"[{case.label}] {message}")
    if failures:
        raise AssertionError("\n".join(failures))
