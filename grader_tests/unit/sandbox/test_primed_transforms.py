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
