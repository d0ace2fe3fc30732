"""L1W3's feedback extra: the student's decision boundary on the flower data beside the reference one.

This module is the ``feedback`` extra of the L1W3 grading spec (see
``docs/architecture.md``).  It exposes the interface the feedback page uses:

- :data:`title`: the section's bilingual heading;
- :data:`probe`: kernel code defining ``__probe__(user_ns)``, which trains the
  student's own ``func_nn_model`` and returns their ``func_predict``'s answers;
- :func:`decode`: the kernel's raw answer -> ``(grid, accuracy)``, strictly;
- :func:`reference`: the reference model's ``(grid, accuracy)``, computed in the
  grading process;
- :func:`render`: HTML (a caption and an inline PNG) of both boundaries.

Nothing here is released to students.
"""

import base64
import functools
import html
import io

import numpy as np

GRID = 80  # points per axis of the boundary grid sent back by the kernel
EPOCHS = 10000  # as in the lesson's section 5
SAMPLES = 400  # size of the flower data set

title = "决策边界（flower 数据）/ Decision boundary on the flower data"

# Runs in the student's kernel: their own func_nn_model and func_predict, end to end
# (the kernel also passes the recorded functions and a callee stub, which this does not use).
probe = r"""
def __probe__(user_ns, *_):
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
""".replace("__EPOCHS__", str(EPOCHS)).replace("__GRID__", str(GRID))


def flower():
    """The lesson's flower data ``(X (2, 400), Y (1, 400))``, from the assignment's own helper module."""
    from grader.course.assignment import load

    return load("L1W3").helpers["planar_utils"].func_load_planar_dataset()


def decode(answer):
    """Decode the kernel's answer to :data:`probe`.

    Parameters
    ----------
    answer : object
        What ``__probe__`` returned, as decoded from the kernel's channel.

    Returns
    -------
    tuple of (numpy.ndarray, float)
        The predicted classes on a ``(GRID, GRID)`` grid and the training accuracy in %.

    Raises
    ------
    ValueError
        When the answer is not a dict of two lists of finite numbers of the right lengths.
    """
    if not isinstance(answer, dict):
        raise ValueError("no result")
    grid, train = answer.get("grid"), answer.get("train")
    if not (
        isinstance(grid, list)
        and len(grid) == GRID * GRID
        and isinstance(train, list)
        and len(train) == SAMPLES
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in grid + train)
    ):
        raise ValueError("the model's predictions have the wrong shape")
    try:  # a forged answer may hold integers too large for a float
        grid_values = np.asarray(grid, dtype=float)
        train_values = np.asarray(train, dtype=float)
    except (OverflowError, ValueError, TypeError):
        raise ValueError("the model's predictions are not numbers") from None
    if not (np.isfinite(grid_values).all() and np.isfinite(train_values).all()):
        raise ValueError("the model's predictions are not finite numbers")
    _, Y = flower()
    accuracy = float(np.mean(train_values == Y.ravel()) * 100)
    return grid_values.reshape(GRID, GRID), accuracy


@functools.lru_cache(maxsize=None)
def reference():
    """The reference model's ``(grid, accuracy)``, trained here (once per process)."""
    from grader.course.assignment import load

    ref = load("L1W3").reference
    X, Y = flower()
    parameters = ref["func_nn_model"](X, Y, 4, num_epochs=EPOCHS)
    xx, yy = _mesh(X)
    grid = ref["func_predict"](parameters, np.c_[xx.ravel(), yy.ravel()].T).reshape(GRID, GRID)
    accuracy = float(np.mean(ref["func_predict"](parameters, X) == Y) * 100)
    return grid, accuracy


def _mesh(X):
    return np.meshgrid(
        np.linspace(X[0].min() - 1, X[0].max() + 1, GRID), np.linspace(X[1].min() - 1, X[1].max() + 1, GRID)
    )


def png(student, reference_grid, titles):
    """A PNG (bytes) of the student's boundary (or a message, when ``student`` is a str) beside the reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, Y = flower()
    xx, yy = _mesh(X)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    for ax, grid, heading in zip(axes, (student, reference_grid), titles):
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
        ax.set_title(heading, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()


def render(decoded, reference_result):
    """The section's HTML: a caption and both boundaries as one inline PNG.

    Parameters
    ----------
    decoded : tuple or str
        :func:`decode`'s result, or a bilingual reason why the student's model gave none.
    reference_result : tuple
        :func:`reference`'s result.
    """
    ref_grid, ref_acc = reference_result
    if isinstance(decoded, str):
        grid, heading, line = decoded, "your model: did not run", decoded
    else:
        grid, acc = decoded
        heading = f"your model: accuracy {acc:.2f} %"
        line = (
            f"你的模型在训练集上的正确率 / your model's training accuracy: {acc:.2f} % "
            f"(参考 / reference: {ref_acc:.2f} %)"
        )
    uri = "data:image/png;base64," + base64.b64encode(
        png(grid, ref_grid, (heading, f"reference: accuracy {ref_acc:.2f} %"))
    ).decode("ascii")
    return (
        f"<p>左：你的 <code>func_nn_model</code> 与 <code>func_predict</code>（n_h=4，{EPOCHS} 轮）；"
        f"右：参考实现。<br>Left: your <code>func_nn_model</code> and <code>func_predict</code> "
        f"(n_h=4, {EPOCHS} epochs); right: the reference.</p>\n"
        f'<p class="model">{html.escape(line)}</p>\n'
        f'<img alt="decision boundary: your model and the reference" src="{uri}">'
    )
