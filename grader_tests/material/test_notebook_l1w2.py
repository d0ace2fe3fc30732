"""L1W2's exploratory cells at L1W3's standard (issue 19, must-have 6).

Marked (the header line, the ``exploratory`` and ``skip-execution`` tags),
running through on the untouched release and for every correct variant of the
mutation catalog, no numpy 2 reprs (``np.float64(...)``) in what the notebook
prints, and a learning-rate section whose text says what its stored outputs
show.  The cells are read from the notebooks and executed here in-process,
the way a student's kernel runs them.
"""

import os
import re

import matplotlib
import nbformat
import pytest

from grader_tests.helpers import selfcheck
from grader_tests.helpers.mutants_l1w2 import MUTANTS

matplotlib.use("Agg")

HEADER = "# 探索性单元格：评分时不运行，不计分 / Exploratory: not run during grading, earns no points"
SOURCE = "source/L1W2/logistic_regression.ipynb"
RELEASE = "notebooks/L1W2/logistic_regression.ipynb"
NUMPY_REPR = re.compile(r"\bnp\.(float|int|uint|bool|complex)\w*\(")


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


def _setup(cells):
    """The imports, the exercises' cells and the data cells: what the exploratory cells use."""
    return [
        c
        for c in cells
        if c.cell_type == "code"
        and not _exploratory(c)
        and (
            c.metadata.get("nbgrader", {}).get("grade_id") == "imports"
            or c.metadata.get("nbgrader", {}).get("solution")
            or "func_load_dataset()" in c.source
            or "train_set_x = (train_set_x_orig - mean) / std" in c.source
        )
    ]


def _outputs(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.parametrize("path", [SOURCE, RELEASE])
def test_every_exploratory_cell_is_marked_and_skipped_by_validate(root, path):
    cells = _cells(root, path)
    exploratory = [c for c in cells if _exploratory(c)]
    assert len(exploratory) >= 7
    assert [c.source.splitlines()[0] for c in exploratory] == [HEADER] * len(exploratory)
    # nbclient's standard tag, which nbgrader validate's executor honours.
    assert all("skip-execution" in c.metadata["tags"] for c in exploratory)
    others = [c for c in cells if c.cell_type == "code" and not _exploratory(c)]
    assert not any(HEADER in c.source or "skip-execution" in c.metadata.get("tags", []) for c in others)


def test_untouched_release_runs_through_its_exploratory_cells(root, capsys, notebook_folder):
    """Run All on the release must not stop in an exploratory cell, nor report stale results."""
    import matplotlib.pyplot as plt

    notebook_folder(os.path.join(root, os.path.dirname(RELEASE)))
    cells = _cells(root, RELEASE)
    namespace = {"__name__": "__main__"}
    try:
        _run(_setup(cells), namespace)
        namespace["d"] = {
            "w": None,
            "b": None,
            "costs": [],
            "learning_rate": 0.05,
        }  # as if from an earlier run
        _run([c for c in cells if _exploratory(c)], namespace)
    finally:
        plt.close("all")
    out = capsys.readouterr().out
    assert (
        "func_initialize_with_zeros 还没有实现，本单元格到此为止 / func_initialize_with_zeros is not implemented yet"
        in out
    )
    assert out.count("the model is not trained (the training cell above did not finish)") == 2
    assert "train accuracy" not in out and "test accuracy" not in out


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.equivalent], ids=lambda m: m.id)
def test_every_correct_variant_runs_through_the_exploratory_cells(root, capsys, notebook_folder, mutant):
    import matplotlib.pyplot as plt

    notebook_folder(os.path.join(root, os.path.dirname(SOURCE)))
    cells = _cells(root, SOURCE)
    namespace = {"__name__": "__main__"}
    solution = {
        c.metadata["nbgrader"]["grade_id"]: c for c in cells if c.metadata.get("nbgrader", {}).get("solution")
    }
    solution[mutant.exercise].source = selfcheck.mutate(mutant, solution[mutant.exercise].source)
    try:
        _run(_setup(cells), namespace)
        _run([c for c in cells if _exploratory(c)], namespace)
    finally:
        plt.close("all")
    out = capsys.readouterr().out
    assert "not implemented" not in out and "not trained" not in out
    assert out.count("test accuracy:") == 4 and "cost at iteration 1400: 0.4655" in out
    assert not NUMPY_REPR.search(out)


@pytest.mark.parametrize("path", [SOURCE, RELEASE])
def test_nothing_printed_shows_a_numpy_repr(root, path):
    cells = _cells(root, path)
    shown = [_outputs(c) for c in cells if c.cell_type == "code"]
    shown += [c.source for c in cells if c.cell_type == "markdown"]  # the release's expected outputs
    assert not [text for text in shown if NUMPY_REPR.search(text)]
    assert any("Costs = [5.801545319394553]" in text for text in shown)


def test_learning_rate_section_says_what_its_outputs_show(root):
    cells = _cells(root, SOURCE)
    [parabola] = [c for c in cells if "gradient descent on a parabola" in c.source]
    paths = {
        float(rate): [float(t) for t in thetas.split()]
        for rate, thetas in re.findall(r"lr = (\S+)\s+theta: ([-\d. ]+)", _outputs(parabola))
    }
    assert set(paths) == {0.1, 0.9, 1.05}
    small, oscillating, diverging = paths[0.1], paths[0.9], paths[1.05]
    assert all(0 < b < a for a, b in zip(small, small[1:]))  # a little of the way each step
    assert all(
        a * b < 0 and abs(b) < abs(a) for a, b in zip(oscillating, oscillating[1:])
    )  # overshoots, converges
    assert all(a * b < 0 and abs(b) > abs(a) for a, b in zip(diverging, diverging[1:]))  # diverges

    [rates] = [c for c in cells if "learning_rates = [0.5, 0.01, 0.001]" in c.source]
    text = _outputs(rates)
    found = re.findall(
        r"learning rate is: (\S+)\ntrain accuracy: (\S+) %\ntest accuracy: (\S+) %\ncost at iteration 1400: (\S+)",
        text,
    )
    results = {float(lr): (float(train), float(test), float(cost)) for lr, train, test, cost in found}
    assert set(results) == {0.5, 0.01, 0.001}
    cost = {lr: r[2] for lr, r in results.items()}
    test = [r[1] for r in results.values()]
    train = [r[0] for r in results.values()]
    [claims] = [cells[i + 1] for i, c in enumerate(cells) if c is rates]
    # "0.5 reaches the lowest cost (about 0.169) ..., 0.01 is still near 0.22 ... and 0.001 near 0.47"
    assert round(cost[0.5], 3) == 0.169 and round(cost[0.01], 2) == 0.22 and round(cost[0.001], 2) == 0.47
    assert "0.169" in claims.source and "0.22" in claims.source and "0.47" in claims.source
    # "test accuracies (88 %, 88 %, 90 %) differ by at most one test example (of 50), and 0.001 ... happens to be best"
    assert sorted(test) == [88.0, 88.0, 90.0] and max(test) - min(test) <= 100 / 50
    assert results[0.001][1] == max(test) and cost[0.001] == max(cost.values())
    assert "88 %, 88 %, 90 %" in claims.source
    # "the training accuracies (92.5-93 %) are close to the test accuracies"
    assert min(train) == 92.5 and max(train) == 93.0 and "92.5-93 %" in claims.source


def test_no_cost_curve_of_the_learning_rate_section_goes_up():
    # "All three curves keep going down: for this problem even 0.5 is not too large."
    namespace = selfcheck.solutions("L1W2")
    train_x, train_y, _, _, _ = namespace["func_load_dataset"]()
    X = (train_x - train_x.mean(axis=1, keepdims=True)) / train_x.std(axis=1, keepdims=True)
    for lr in (0.5, 0.01, 0.001):
        w, b = namespace["func_initialize_with_zeros"](2)
        costs = namespace["func_optimize"](w, b, X, train_y, 1500, lr)[2]
        assert len(costs) == 15 and all(later <= earlier for earlier, later in zip(costs, costs[1:])), lr
