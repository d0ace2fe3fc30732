"""One source of limits (grader.limits.Limits.load): its precedence, its refusals, every path's use of it.

The order is defaults < ``c.Limits`` of the nbgrader configuration < ``GRADER_LIMITS`` <
``--limit``.  Each grading path (the command line, the runner and its Dask workers, nbgrader's
autograde and feedback classes, the feedback extra) is run here as far as the limits it hands
on, with a temporary nbgrader configuration and environment, and must hand on what
``Limits.load`` gives for them.  The README's table of limits must be the fields.
"""

from grader.limits import Limits
from grader.sandbox import kernel_child
from grader_tests.helpers.limits_course import config, config_file, course  # noqa: F401 (fixtures, used by name)


def test_a_real_kernel_bounds_display_data_and_streams_by_the_limits(tmp_path):
    from grader.sandbox.kernel import Kernel

    limits = Limits(display_kb=1, output_kb=1, cell_timeout=30, grace=0.5)
    with Kernel(str(tmp_path), limits) as k:
        answer = k.run(
            "from IPython.display import display, HTML\n"
            "display(HTML('a' * 900))\n"
            "display(HTML('b' * 100))\n"
            "print('c' * 3000)"
        )
    assert answer["status"] == "ok", answer
    displays = [o["data"] for o in answer["outputs"] if o["output_type"] == "display_data"]
    assert displays[0]["text/html"] == "a" * 900  # with its text/plain repr: under 1024
    assert displays[1] == kernel_child.DisplayBudget.DROPPED  # over 1024 in the cell
    printed = "".join(o["text"] for o in answer["outputs"] if o["output_type"] == "stream")
    kept, _, note = printed.partition("\n[output truncated")
    assert kept == "c" * 1024 and note
