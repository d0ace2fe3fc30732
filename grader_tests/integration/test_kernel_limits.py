"""A real sandboxed kernel held to the limits: display data and streams within their caps, ``/tmp`` and ``/dev/shm`` within ``tmp_inodes`` files."""

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


FILL = """
import errno, os
made = {}
for folder in ('/tmp', '/dev/shm'):
    made[folder] = 0
    try:
        for i in range(%d):
            open(os.path.join(folder, 'f%%d' %% i), 'w').close()
            made[folder] += 1
    except OSError as exc:
        made[folder] = (made[folder], errno.errorcode[exc.errno])
print(made)
"""


def test_a_real_kernels_tmp_and_shm_hold_at_most_tmp_inodes_files(tmp_path):
    import ast

    from grader.sandbox.kernel import Kernel

    (tmp_path / "helper.py").write_text("VALUE = 7\n")
    with Kernel(str(tmp_path), Limits(tmp_inodes=1000, cell_timeout=30, grace=0.5)) as k:
        few = k.run(FILL % 300)
        many = k.run(FILL.replace("'f%%d'", "'g%%d'") % 5000)
        helper = k.run("import helper, os\nprint(helper.VALUE, os.getcwd())")
    printed = ["".join(o["text"] for o in a["outputs"] if o["output_type"] == "stream") for a in (few, many)]
    assert ast.literal_eval(printed[0]) == {"/tmp": 300, "/dev/shm": 300}
    refused = ast.literal_eval(printed[1])
    for folder, (made, error) in refused.items():
        # The tmpfs root, the working directory, its files and the 300 before count too.
        assert error == "ENOSPC" and 300 < made + 300 <= 1000, (folder, made)
    assert "".join(o["text"] for o in helper["outputs"]) == "7 /tmp/work\n"  # the helpers still there
