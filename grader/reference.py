"""Reference implementations of the eight exercises, taken from the source notebook.

The source notebook's solution cells are the one place the solutions are
written; this module executes those cells (and nothing else) in a fresh
namespace.  The functions exist at grading time only: the grader injects
them into a student's kernel as callees of a composite function
(``func_nn_model``, ``func_predict``) so that a bug in a callee costs points
once, and computes the expected results of the hidden tests with them.
"""
import functools

import nbformat
import numpy as np

from grader import SOURCE_NOTEBOOK

EXERCISES = (
    "func_layer_sizes", "func_initialize_parameters", "func_forward_propagation",
    "func_compute_cost", "func_backward_propagation", "func_update_parameters",
    "func_nn_model", "func_predict",
)


@functools.lru_cache(maxsize=None)
def solution_sources(path=SOURCE_NOTEBOOK):
    """Return ``{exercise: source of its solution cell}`` from the source notebook."""
    nb = nbformat.read(path, as_version=4)
    sources = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in EXERCISES:
            sources[meta["grade_id"]] = cell.source
    missing = [name for name in EXERCISES if name not in sources]
    if missing:
        raise RuntimeError(f"{path}: no solution cell for {', '.join(missing)}")
    return sources


@functools.lru_cache(maxsize=None)
def load(path=SOURCE_NOTEBOOK):
    """Execute the solution cells; return ``{exercise: function}``.

    The functions share one namespace (with ``np`` and ``func_sigmoid``), as
    in the notebook, so ``func_nn_model`` calls the reference callees.
    """
    from planar_utils import func_sigmoid

    namespace = {"np": np, "func_sigmoid": func_sigmoid, "__name__": "grader_reference"}
    for name, source in solution_sources(path).items():
        exec(compile(source, f"<solution {name}>", "exec"), namespace)
    return {name: namespace[name] for name in EXERCISES}
