"""Run All through L1W3's exploratory cells with every correct variant, and with the bugs demos must not hide.

Every cell but the graded test cells runs in-process, in order, as Run All runs
it, with the source notebook's solutions, one of them replaced by a
correct-but-different implementation of the mutation catalog
(``grader_tests.helpers.mutants``, the ones the self-checks accept): each
exploratory cell must run through and report its result, none may refuse.  The
training loops of the exploratory cells run for a hundredth of their
iterations (every ``num_epochs=N`` literal becomes ``N // 100``): the cells'
logic is the same, and 40 variants fit in the material tier.  Then the bugs:
after a catalogued ``db1`` bug (one bias per example) or a failed training cell
the demos refuse to report an accuracy, and the gradient check names a
transposed ``dW1`` by its shapes.
"""

import os
import re

import matplotlib
import nbformat
import pytest

from grader_tests.helpers.mutants import MUTANTS
from grader_tests.helpers.mutation import mutate

matplotlib.use("Agg")

SOURCE = "source/L1W3/planar_classification.ipynb"
EQUIVALENTS = [m for m in MUTANTS if m.equivalent]
BUGS = {m.id: m for m in MUTANTS if not m.equivalent}
REFUSALS = ("不报告", "not reported", "no cost curve", "no plot", "本单元格到此为止", "有错 / wrong")
# What each exploratory demo prints when it reports its result.
REPORTS = (
    "acc:  [[",
    "cost after iter 0: ",
    "lr = 50    highest finite cost in the first 10 epochs:",
    "Accuracy for 20 hidden units",
    "fold 4: best held-out accuracy",
    "dataset gaussian_quantiles: accuracy",
    "dW1: 相对误差 / relative error",
)


def _scaled(source):
    return re.sub(r"num_epochs\s*=\s*(\d+)", lambda m: f"num_epochs={max(2, int(m.group(1)) // 100)}", source)


def _python(source):
    # IPython magics are no Python; the backend is already Agg here.
    return "\n".join(line for line in source.splitlines() if not line.startswith("%"))


def _exploratory(cell):
    return "exploratory" in cell.metadata.get("tags", [])


@pytest.fixture
def run_all(root, notebook_folder, l1w3):
    """``run_all(sources, stop_before=None)``: run the notebook's ungraded code cells with ``sources``."""
    import matplotlib.pyplot as plt

    notebook_folder(os.path.join(root, os.path.dirname(SOURCE)))
    cells = nbformat.read(os.path.join(root, SOURCE), as_version=4).cells

    def run(sources, stop_before=None):
        namespace = {"__name__": "__main__"}
        for cell in cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or meta.get("grade"):
                continue
            if stop_before and stop_before in cell.source:
                break
            code = sources.get(meta.get("grade_id"), cell.source) if meta.get("solution") else cell.source
            code = _scaled(code) if _exploratory(cell) else code
            try:
                exec(compile(_python(code), f"<cell {cell.get('id')}>", "exec"), namespace)
            finally:
                plt.close("all")
        return namespace

    return run


@pytest.mark.parametrize("mutant", EQUIVALENTS, ids=[m.id for m in EQUIVALENTS])
def test_every_exploratory_cell_reports_its_result_for_a_correct_variant(run_all, l1w3, capsys, mutant):
    run_all(mutate(mutant, l1w3.solution_sources))
    out = capsys.readouterr().out
    # The optional ReLU exercise is left unsolved in the source notebook: its cells say so.
    solved = "\n".join(line for line in out.splitlines() if "_relu" not in line)
    assert [r for r in REFUSALS if r in solved] == [], out
    assert [r for r in REPORTS if r not in out] == [], out
    assert out.count("正确 / right") == 4


def test_accuracy_is_refused_after_a_db1_bug_that_broadcasts(run_all, l1w3, capsys):
    """db1 summed over axis 0 gives b1 one entry per example: the lesson's demo would print acc: [[100.]]."""
    namespace = run_all(mutate(BUGS["backward_db1_axis0"], l1w3.solution_sources))
    out = capsys.readouterr().out
    assert "acc:  [[" not in out and "Accuracy for" not in out and "fold 4: best" not in out
    assert (
        "参数 b1 的形状是 (4, 400)，应为 (4, 1)" in out
        and "parameter b1 has the shape (4, 400), not (4, 1)" in out
    )
    assert namespace["parameters"]["b1"].shape != (4, 1)


def test_a_failed_training_cell_leaves_no_stale_parameters_for_the_accuracy_cell(root, run_all, l1w3, capsys):
    sources = dict(l1w3.solution_sources)
    sources["func_nn_model"] = sources["func_nn_model"].replace(
        "    for i in range(num_epochs):",
        "    if X.shape[1] > 100:\n        raise ValueError('broken')\n    for i in range(num_epochs):",
    )
    namespace = run_all(sources, stop_before="parameters = func_nn_model(X, Y, n_h=4, num_epochs=10000")
    assert isinstance(namespace["parameters"], dict)  # the demonstration cells' parameters, stale here
    cells = nbformat.read(os.path.join(root, SOURCE), as_version=4).cells
    training, boundary, accuracy = [
        next(c for c in cells if c.cell_type == "code" and text in c.source)
        for text in (
            "n_h=4, num_epochs=10000, print_cost=True)",
            "decision boundary for hidden",
            "        preds = predictions(parameters, X)\n",
        )
    ]
    with pytest.raises(ValueError, match="broken"):
        exec(compile(training.source, "<training>", "exec"), namespace)
    capsys.readouterr()
    for cell in (boundary, accuracy):
        exec(compile(cell.source, "<demo>", "exec"), namespace)
    out = capsys.readouterr().out
    assert "acc:" not in out
    assert (
        out.count("no trained parameters (the training cell failed or has not run): nothing is reported") == 2
    )


def test_gradient_check_compares_shapes_first(run_all, l1w3, capsys):
    sources = dict(l1w3.solution_sources)
    correct = sources["func_backward_propagation"]
    assert correct.count("    return grads") == 1
    sources["func_backward_propagation"] = correct.replace(
        "    return grads", "    grads = dict(grads, dW1=grads['dW1'].T)\n    return grads"
    )
    run_all(sources, stop_before="parameters, grads = func_update_parameters_test_case()")
    out = capsys.readouterr().out
    assert (
        "dW1 has the shape (2, 4); it should have the shape of W1, (4, 2): make the self-check above pass first"
        in out
    )
    assert "dW2: 相对误差 / relative error" in out and "Traceback" not in out


def test_gradient_check_comes_after_the_backward_self_check(root):
    cells = nbformat.read(os.path.join(root, SOURCE), as_version=4).cells
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells]
    check = next(i for i, c in enumerate(cells) if "cost_for_check" in c.source)
    assert ids.index("func_backward_propagation_values") < check < ids.index("func_update_parameters")
