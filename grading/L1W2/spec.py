"""Grading spec of L1W2, "logistic regression with a neural network mindset".

Never released to students.  ``build(helpers)`` returns the hidden cases of
the five exercises, the names messages give their results, the callees of
the functions that call other exercises, and what the reference solutions
(the source notebook's solution cells) need to run.

Besides the lesson's own test case, which comes first, every exercise is run
on cases the lesson's cannot tell apart from a mistake: other numbers of
features and examples, non-zero biases, other learning rates and iteration
counts (so that ``costs`` holds several entries, or none after iteration 0),
keyword arguments, a scalar for the sigmoid and activations of exactly 0.5
for the prediction.  Inputs come from a seed, one stream per exercise
(``grader.spec.case_rng``), so a change to one exercise's cases leaves the
others' alone: when grading, the submission's own seed (``Spec.draw``: every
student gets inputs of their own, a regrade the same ones), elsewhere
(``Spec.cases``) the private ``_SEED``; the lesson's own cases and the fixed
inputs (the scalars, the large and tied activations) are the same in both.
Expected values are computed by the reference implementations at grading time.

The composites call their callees on values they compute themselves
(``func_sigmoid(np.dot(w.T, X) + b)``, ``func_propagate`` on the weights they
update), so those callees are ``open_callees``: answered on any arguments.
"""

import numpy as np

from grader.spec import Case, Spec, case_rng

# Private to grading (the fixed view's seed): the cases must not be reproducible from the release.
_SEED = 640_517


def _labels(rng, m):
    """0/1 labels (int, as the lesson's) with both classes present."""
    Y = (rng.rand(1, m) > 0.5).astype(np.int64)
    Y[0, 0], Y[0, -1] = 0, 1
    return Y


def _problem(rng, n_x, m, b):
    """Weights, bias, inputs and labels of a logistic-regression problem of the given size."""
    return rng.randn(n_x, 1) * 0.5, b, rng.randn(n_x, m) * 1.5, _labels(rng, m)


def build(helpers):
    """Return the :class:`grader.spec.Spec` of L1W2.

    Parameters
    ----------
    helpers : dict
        ``{module name: module}``: this assignment's helper modules
        (``testCases``, ``checks``, ``lr_utils``), loaded by path.

    Returns
    -------
    spec : grader.spec.Spec
    """
    testCases = helpers["testCases"]
    exercises = {
        "func_sigmoid": "func_sigmoid_values",
        "func_initialize_with_zeros": "func_initialize_with_zeros_values",
        "func_propagate": "func_propagate_values",
        "func_optimize": "func_optimize_values",
        "func_predict": "func_predict_values",
    }
    return Spec(
        notebook="logistic_regression.ipynb",
        exercises=exercises,
        cases=_cases(testCases, _SEED),
        draw=lambda seed: _cases(testCases, seed),
        result_names={
            "func_sigmoid": "s",
            "func_initialize_with_zeros": "(w, b)",
            "func_propagate": "(grads, cost)",
            "func_optimize": "(params, grads, costs)",
            "func_predict": "Y_prediction",
        },
        # A bug in one exercise costs its own points only: the functions that
        # call another exercise are graded with the correct version of it.
        callees={
            "func_propagate": ("func_sigmoid",),
            "func_optimize": ("func_propagate",),
            "func_predict": ("func_sigmoid",),
        },
        # Each composite calls its callee on values it computed itself (see the module's doc).
        open_callees={
            "func_propagate": ("func_sigmoid",),
            "func_optimize": ("func_propagate",),
            "func_predict": ("func_sigmoid",),
        },
        solution_globals={"np": np},
        compare=helpers["checks"].compare,
        # The score table's columns: the names without the prefix every exercise shares.
        short_names={name: name.removeprefix("func_") for name in exercises},
    )


def _cases(testCases, seed):
    """``{exercise: [Case, ...]}`` drawn from ``seed``; the labels never depend on it."""
    # Each exercise draws from its own stream: a case added to one leaves the others' inputs alone.
    rng = case_rng("func_sigmoid", seed)
    sigmoid = [
        Case("lesson test case", args=(testCases.func_sigmoid_test_case(),)),
        Case("a number, not an array: z=0.0", args=(0.0,)),
        Case("a number, not an array: z=-1.5", args=(-1.5,)),
        Case("shape (3, 4)", args=(rng.randn(3, 4) * 4,)),
        Case(
            "large |z| in shape (2, 5)",
            args=(np.array([[-30.0, -12.0, 0.0, 12.0, 30.0], [-5.0, -0.5, 0.25, 3.0, 700.0]]),),
        ),
    ]

    initialize = [
        Case("lesson test case: dim=2", args=(testCases.func_initialize_with_zeros_test_case(),)),
        Case("dim=1", args=(1,)),
        Case("dim=5", args=(5,)),
        Case("dim=12", args=(12,)),
    ]

    rng = case_rng("func_propagate", seed)
    propagate = [
        Case("lesson test case", args=testCases.func_propagate_test_case()),
        Case("n_x=4, m=6, b=-0.7", args=_problem(rng, 4, 6, -0.7)),
        Case("n_x=1, m=5, b=0.3", args=_problem(rng, 1, 5, 0.3)),
        Case("n_x=3, m=1, b=1.1", args=_problem(rng, 3, 1, 1.1)),
        Case("n_x=2, m=9, b=0.0", args=_problem(rng, 2, 9, 0.0)),
    ]

    rng = case_rng("func_optimize", seed)
    lesson_w, lesson_b, lesson_X, lesson_Y, lesson_iterations, lesson_rate = (
        testCases.func_optimize_test_case()
    )
    optimize = [
        Case(
            "lesson test case: 100 iterations, learning rate 0.009",
            args=(lesson_w, lesson_b, lesson_X, lesson_Y),
            kwargs={"num_iterations": lesson_iterations, "learning_rate": lesson_rate},
        ),
        Case("defaults (100 iterations, learning rate 0.009), n_x=3, m=8", args=_problem(rng, 3, 8, 0.4)),
        Case("7 iterations, learning rate 0.5, n_x=3, m=8", args=_problem(rng, 3, 8, -0.2) + (7, 0.5)),
        Case(
            "250 iterations (3 costs), learning rate 0.05, n_x=2, m=10",
            args=_problem(rng, 2, 10, 0.6),
            kwargs={"num_iterations": 250, "learning_rate": 0.05},
        ),
        Case(
            "1 iteration, learning rate 1.2, n_x=4, m=5",
            args=_problem(rng, 4, 5, 0.0),
            kwargs={"learning_rate": 1.2, "num_iterations": 1},
        ),
    ]

    rng = case_rng("func_predict", seed)
    tie_X = np.array([[1.0, 2.0, -0.5, 3.0, 0.0], [1.0, 1.0, -0.5, 3.0, 0.0]])
    predict = [
        Case("lesson test case", args=testCases.func_predict_test_case()),
        Case("n_x=3, m=7, b=0.2", args=(rng.randn(3, 1), 0.2, rng.randn(3, 7))),
        Case("n_x=1, m=6, b=-0.4", args=(rng.randn(1, 1), -0.4, rng.randn(1, 6) * 2)),
        Case("w=0, b=0: every activation is exactly 0.5", args=(np.zeros((2, 1)), 0.0, rng.randn(2, 4))),
        Case("some activations exactly 0.5", args=(np.array([[1.0], [-1.0]]), 0.0, tie_X)),
    ]
    # Last, so that it shifts no other case's draw: a bias that decides, whatever the draw.  One
    # example's w.x is made clearly negative and b lifts every activation above 0.5, so a
    # prediction without b (or with b subtracted) differs from the right one in that example.
    w, X = rng.randn(2, 1), rng.randn(2, 5)
    z = np.dot(w.T, X)
    i = int(np.argmax(np.abs(z)))
    X[:, i] *= -np.sign(z[0, i]) or 1.0
    predict.append(Case("b decides: every prediction is 1", args=(w, 1.0 - float(np.dot(w.T, X).min()), X)))

    return {
        "func_sigmoid": sigmoid,
        "func_initialize_with_zeros": initialize,
        "func_propagate": propagate,
        "func_optimize": optimize,
        "func_predict": predict,
    }
