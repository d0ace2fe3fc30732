"""The notebook's exploratory extras: visibly ungraded, silent while exercises are unfinished, checks that can fail.

The cells are read from the notebooks and executed here in-process, the way
a student's kernel runs them.
"""

import os

import matplotlib
import nbformat
import numpy as np
import pytest

matplotlib.use("Agg")

HEADER = "# 探索性单元格：评分时不运行，不计分 / Exploratory: not run during grading, earns no points"
SOURCE = "source/L1W3/planar_classification.ipynb"
RELEASE = "notebooks/L1W3/planar_classification.ipynb"


def _cells(root, path):
    return nbformat.read(os.path.join(root, path), as_version=4).cells


def _exploratory(cell):
    return cell.cell_type == "code" and "exploratory" in cell.metadata.get("tags", [])


def _python(source):
    # IPython magics are no Python; the backend is already Agg here.
    return "\n".join(line for line in source.splitlines() if not line.startswith("%"))


def _run(cells, namespace):
    for cell in cells:
        exec(compile(_python(cell.source), "<cell>", "exec"), namespace)


def _cell_with(cells, text):
    found = [c for c in cells if c.cell_type == "code" and text in c.source]
    assert len(found) == 1, text
    return found[0]


@pytest.mark.parametrize("path", [SOURCE, RELEASE])
def test_every_exploratory_code_cell_says_so_in_its_first_line(root, path):
    cells = [c for c in _cells(root, path) if _exploratory(c)]
    assert len(cells) >= 15
    assert [c.source.splitlines()[0] for c in cells] == [HEADER] * len(cells)
    # ... and no other cell claims to be exploratory.
    others = [c for c in _cells(root, path) if c.cell_type == "code" and not _exploratory(c)]
    assert not any(HEADER in c.source for c in others)


@pytest.mark.parametrize("path", [SOURCE, RELEASE])
def test_validate_skips_exactly_the_exploratory_cells(root, path):
    """nbclient's ``skip-execution`` tag (honoured by every validate path) marks the exploratory cells, no other."""
    cells = [c for c in _cells(root, path) if c.cell_type == "code"]
    skipped = [c.source for c in cells if "skip-execution" in c.metadata.get("tags", [])]
    assert skipped and skipped == [c.source for c in cells if _exploratory(c)]


def test_untouched_release_runs_through_its_exploratory_cells(root, capsys, notebook_folder):
    notebook_folder(os.path.join(root, os.path.dirname(RELEASE)))
    """Run All (and nbgrader's Validate) on the release must not stop in an exploratory cell."""
    import matplotlib.pyplot as plt

    cells = _cells(root, RELEASE)
    namespace = {"__name__": "__main__"}
    plain = [
        c
        for c in cells
        if c.cell_type == "code" and not _exploratory(c) and not c.metadata.get("nbgrader", {}).get("grade")
    ]
    # The imports, the data and the stubs; the demonstration cells may raise, as
    # they should, so only the definitions and the data are run before.
    setup = [
        c
        for c in plain
        if c.metadata.get("nbgrader", {}).get("grade_id") == "imports"
        or c.metadata.get("nbgrader", {}).get("solution")
        or "func_load_planar_dataset()" in c.source
    ]
    try:
        _run(setup, namespace)
        namespace["parameters"] = {}  # left by the demonstration cells in a Run All
        _run([c for c in cells if _exploratory(c)], namespace)
    finally:
        plt.close("all")
    out = capsys.readouterr().out
    assert "func_nn_model 还没有实现，本单元格到此为止 / func_nn_model is not implemented yet" in out
    assert "func_backward_propagation 还没有实现" in out
    assert "func_forward_propagation_relu 还没有实现（选做）" in out


@pytest.fixture
def solved(root, notebook_folder):
    """A namespace with the source notebook's imports and reference solutions."""
    notebook_folder(os.path.join(root, os.path.dirname(SOURCE)))
    cells = _cells(root, SOURCE)
    namespace = {"__name__": "__main__"}
    _run(
        [
            c
            for c in cells
            if c.metadata.get("nbgrader", {}).get("grade_id") == "imports"
            or c.metadata.get("nbgrader", {}).get("solution")
        ],
        namespace,
    )
    _run([_cell_with(cells, "def until_implemented")], namespace)
    return cells, namespace


def _tanh_derivative_as_one_minus_a(ns):
    """The reference backward propagation, but with tanh' written as 1 - A1 (a catalogued bug)."""
    correct = ns["func_backward_propagation"]

    def wrong(parameters, cache, X, Y):
        m = X.shape[1]
        dZ1 = np.dot(parameters["W2"].T, cache["A2"] - Y) * (1 - cache["A1"])
        return dict(
            correct(parameters, cache, X, Y),
            dW1=np.dot(dZ1, X.T) / m,
            db1=np.sum(dZ1, axis=1, keepdims=True) / m,
        )

    return wrong


def test_gradient_check_passes_the_reference_and_flags_a_wrong_derivative(solved, capsys):
    cells, ns = solved
    check = _cell_with(cells, "cost_for_check")
    _run([check], ns)
    right = capsys.readouterr().out.splitlines()
    assert len(right) == 4 and all(line.endswith("正确 / right") for line in right), right
    ns["func_backward_propagation"] = _tanh_derivative_as_one_minus_a(ns)
    _run([check], ns)
    wrong = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in wrong if line.endswith("有错 / wrong")] == ["dW1", "db1"]


def _relu_forward(bug=None):
    def forward(X, parameters):
        Z1 = np.dot(parameters["W1"], X) + (0 if bug == "no b1" else parameters["b1"])
        A1 = np.tanh(Z1) if bug == "tanh" else np.maximum(0, Z1)
        Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
        A2 = 1 / (1 + np.exp(-Z2))
        if bug == "transposed":
            A2 = A2.T
        return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}

    return forward


@pytest.mark.parametrize(
    "bug, message",
    [
        (None, "选做练习的自检通过 / The optional exercise passes its self-check"),
        ("tanh", "A1 应为"),
        ("no b1", "Z1 应为"),
        ("transposed", "A2 的形状应为 (1, 2)，实际为 (2, 1)"),
    ],
)
def test_optional_relu_self_check_can_fail(solved, capsys, bug, message):
    cells, ns = solved
    ns["func_forward_propagation_relu"] = _relu_forward(bug)
    _run([_cell_with(cells, "relu_expected = ")], ns)
    out = capsys.readouterr().out
    assert message in out
    assert ("passes its self-check" in out) == (bug is None)


def test_the_initialization_demo_shows_what_its_text_says(solved, capsys):
    """With your functions: zero weights never move (50 %), constant ones keep the hidden units identical."""
    cells, ns = solved
    ns["X"], ns["Y"] = ns["func_load_planar_dataset"]()
    _run([_cell_with(cells, "def trained("), _cell_with(cells, "def train_with_weights")], ns)
    out = capsys.readouterr().out
    assert "every weight 0: accuracy 50.00 %" in out
    assert "every weight 0.5: accuracy 69.75 %" in out and "random: accuracy 91.25 %" in out
    zeros = ns["train_with_weights"](0.0)
    assert not np.any(zeros["W1"]) and not np.any(zeros["W2"])
    constant = ns["train_with_weights"](0.5)
    assert np.all(constant["W1"] == constant["W1"][0]) and np.any(constant["W1"] != 0.5)
    assert ns["func_initialize_parameters"].__name__ == "func_initialize_parameters"  # put back


def test_every_added_cell_is_bilingual(root):
    """The "why" cells and the closing ones say everything in Chinese and in English."""
    cells = _cells(root, SOURCE)
    added = [
        "#### 拓展：为什么",
        "#### 拓展：公式从哪里来",
        "## 8 - 小结 / Recap",
        "## 9 - 致谢与出处",
        "* 恒等激活",
        "* 全 0",
    ]
    for start in added:
        found = [c for c in cells if c.cell_type == "markdown" and c.source.startswith(start)]
        assert found, start
        for cell in found:
            text = cell.source
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), start
            assert len([w for w in text.split() if w.isascii() and w.isalpha()]) > 30, start


def _relu_backward(bug=None):
    def backward(parameters, cache, X, Y):
        m = X.shape[1]
        dZ2 = cache["A2"] - Y
        derivative = 1 - cache["A1"] ** 2 if bug == "tanh" else (cache["Z1"] > 0)
        dZ1 = np.dot(parameters["W2"].T, dZ2) * derivative
        grads = {
            "dW1": np.dot(dZ1, X.T) / m,
            "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, cache["A1"].T) / m,
            "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
        }
        if bug == "transposed":
            grads["dW1"] = grads["dW1"].T
        return grads

    return backward


@pytest.mark.parametrize(
    "bug, message",
    [
        (None, "反向传播选做练习的自检通过 / The optional backward exercise passes its self-check"),
        ("tanh", "dW1 does not match the numerical gradient"),
        ("transposed", "dW1 should have the shape (4, 2), got (2, 4)"),
    ],
)
def test_optional_relu_backward_self_check_can_fail(solved, capsys, bug, message):
    cells, ns = solved
    ns["func_forward_propagation_relu"] = _relu_forward()
    ns["func_backward_propagation_relu"] = _relu_backward(bug)
    _run([_cell_with(cells, "def relu_cost")], ns)
    out = capsys.readouterr().out
    assert message in out
    assert ("passes its self-check" in out) == (bug is None)


# The 20-unit ReLU training's accuracy by the processor's widest vector instructions, which
# choose OpenBLAS's kernels (their rounding differs in the last bits, and ten thousand epochs
# amplify it): each seen on a machine of that kind (an Intel Xeon with AVX-512, an AMD EPYC
# with AVX2).  The 4-unit figure is the same on both.
RELU_20_UNITS = {"avx512f": "85.00", "avx2": "89.25"}


def _vector_kind():
    with open("/proc/cpuinfo") as f:
        flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    return "avx512f" if "avx512f" in flags else "avx2"


def test_relu_training_prints_what_its_interpretation_says(solved, capsys):
    """4 ReLU units 69.25 %; 20 units 85.00 % with AVX-512, 89.25 % with AVX2 (the markdown quotes all)."""
    cells, ns = solved
    ns["X"], ns["Y"] = ns["func_load_planar_dataset"]()
    ns["func_forward_propagation_relu"] = _relu_forward()
    ns["func_backward_propagation_relu"] = _relu_backward()
    _run([_cell_with(cells, "def train_relu")], ns)
    out = capsys.readouterr().out
    assert out.splitlines() == [
        " 4 ReLU hidden units: accuracy 69.25 %",
        f"20 ReLU hidden units: accuracy {RELU_20_UNITS[_vector_kind()]} %",
    ]
    interpretation = cells[cells.index(_cell_with(cells, "def train_relu")) + 1].source
    assert "69.25%" in interpretation and "85.00 %" in interpretation and "89.25 %" in interpretation
