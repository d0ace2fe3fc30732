"""Decision boundaries on the flower data: the student's model (run in the sandbox) and the reference."""
import base64
import io

import numpy as np

GRID = 80          # points per axis of the boundary grid sent back by the kernel
EPOCHS = 10000     # as in the lesson's section 5

# Runs in the student's kernel: their own func_nn_model and func_predict, end to end.
PROBE = r'''
def __probe__(user_ns):
    import numpy as _np
    from planar_utils import func_load_planar_dataset
    X, Y = func_load_planar_dataset()
    parameters = user_ns["func_nn_model"](X, Y, 4, num_epochs=__EPOCHS__)
    xs = _np.linspace(X[0].min() - 1, X[0].max() + 1, __GRID__)
    ys = _np.linspace(X[1].min() - 1, X[1].max() + 1, __GRID__)
    xx, yy = _np.meshgrid(xs, ys)
    grid = _np.asarray(user_ns["func_predict"](parameters, _np.c_[xx.ravel(), yy.ravel()].T), dtype=float)
    preds = _np.asarray(user_ns["func_predict"](parameters, X), dtype=float)
    return {"grid": grid.ravel().tolist(), "train": preds.ravel().tolist()}
'''.replace("__EPOCHS__", str(EPOCHS)).replace("__GRID__", str(GRID))


def flower():
    from grader.assignment import load
    return load("L1W3").helpers["planar_utils"].func_load_planar_dataset()


def decode(answer, m=400):
    """``(grid (GRID, GRID), accuracy %)`` from the kernel's answer; ``ValueError`` if unusable."""
    if not isinstance(answer, dict):
        raise ValueError("no result")
    grid, train = answer.get("grid"), answer.get("train")
    if not (isinstance(grid, list) and len(grid) == GRID * GRID and isinstance(train, list)
            and len(train) == m and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                        for v in grid + train)):
        raise ValueError("the model's predictions have the wrong shape")
    _, Y = flower()
    accuracy = float(np.mean(np.asarray(train) == Y.ravel()) * 100)
    return np.asarray(grid, dtype=float).reshape(GRID, GRID), accuracy


def reference(assignment):
    """The reference model's boundary and accuracy, computed here."""
    ref = assignment.reference
    X, Y = flower()
    parameters = ref["func_nn_model"](X, Y, 4, num_epochs=EPOCHS)
    xx, yy = _mesh(X)
    grid = ref["func_predict"](parameters, np.c_[xx.ravel(), yy.ravel()].T).reshape(GRID, GRID)
    accuracy = float(np.mean(ref["func_predict"](parameters, X) == Y) * 100)
    return grid, accuracy


def _mesh(X):
    return np.meshgrid(np.linspace(X[0].min() - 1, X[0].max() + 1, GRID),
                       np.linspace(X[1].min() - 1, X[1].max() + 1, GRID))


def png(student, reference_grid, titles):
    """A PNG (bytes) of the student's boundary (or a message) beside the reference."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, Y = flower()
    xx, yy = _mesh(X)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    for ax, grid, title in zip(axes, (student, reference_grid), titles):
        if isinstance(grid, str):
            # The figure's font has no CJK glyphs: show the English half of the reason
            # (the page around the figure shows both).
            english = grid.split(" / ", 1)[-1]
            ax.text(0.5, 0.5, english, ha="center", va="center", wrap=True, fontsize=9)
            ax.set_axis_off()
        else:
            ax.contourf(xx, yy, grid, cmap=plt.cm.Spectral)
            ax.scatter(X[0], X[1], c=Y.ravel(), cmap=plt.cm.Spectral, s=8, edgecolors="k", linewidths=0.2)
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()


def data_uri(png_bytes):
    return "data:image/png;base64," + base64.b64encode(png_bytes).decode("ascii")
