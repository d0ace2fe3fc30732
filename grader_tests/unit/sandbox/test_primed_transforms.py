"""IPython's static input transforms made once per zygote for the release's cells (kernel_child.PrimedTransforms)."""

from IPython.core.inputtransformer2 import TransformerManager

from grader.sandbox.kernel_child import PrimedTransforms

CELLS = [
    "%matplotlib inline\nimport numpy as np\n",
    "files = !ls\nprint(files)\n",
    "np.sum?\n",
    "\n\n    x = 1\n",  # leading blank lines and indent, which IPython strips
    "def f(a):\n    return a * 2\n",
]


def test_a_primed_cell_is_transformed_as_ipython_transforms_it():
    reference = TransformerManager()
    manager = TransformerManager()
    primed = PrimedTransforms(manager)
    primed.prime(CELLS)
    assert set(primed.done) == set(CELLS)
    for cell in CELLS:
        assert manager.transform_cell(cell) == reference.transform_cell(cell)


def test_a_primed_cell_is_not_transformed_again(monkeypatch):
    manager = TransformerManager()
    primed = PrimedTransforms(manager)
    primed.prime(CELLS)
    calls = []
    monkeypatch.setattr(primed, "static", lambda cell: calls.append(cell) or "transformed")
    assert manager.transform_cell(CELLS[0]) == primed.done[CELLS[0]]
    assert manager.transform_cell("y = 2\n") == "transformed"  # a cell of the student's own
    assert calls == ["y = 2\n"]


def test_once_a_cell_changed_the_transforms_every_cell_is_transformed_afresh():
    manager = TransformerManager()
    primed = PrimedTransforms(manager)
    primed.prime(CELLS)
    manager.cleanup_transforms.append(lambda lines: [line.replace("np", "numpy") for line in lines])
    assert "import numpy as numpy" in manager.transform_cell(CELLS[0])


def test_text_that_is_not_a_cell_is_left_out():
    primed = PrimedTransforms(TransformerManager())
    primed.prime([None, 3, "x = 1\n"])
    assert list(primed.done) == ["x = 1\n"]


FIRST_CELL = """
import os, sys, traceback
out = open(sys.argv[1], "w")
try:
    sys.path.insert(0, os.path.join(os.getcwd(), "grader", "sandbox"))
    import kernel_child
    session = kernel_child.prepare()  # its C-level output goes nowhere, as a kernel's
    before = set(sys.modules)
    session.shell.run_cell("x = 1")
    out.write(repr(sorted(set(sys.modules) - before)))
except BaseException:
    out.write(traceback.format_exc())
out.close()
"""


def test_a_kernels_first_cell_imports_nothing_its_preparation_could_have(tmp_path):
    """What IPython builds on its first cell is built while the kernel (a zygote: once) prepares."""
    import subprocess
    import sys

    from grader import ROOT

    found = tmp_path / "imported"
    run = subprocess.run(
        [sys.executable, "-c", FIRST_CELL, str(found)], cwd=ROOT, capture_output=True, timeout=120
    )
    assert run.returncode == 0
    assert found.read_text() == "[]"
