"""Catalog of single-bug variants and correct-but-different implementations of L1W2's exercises.

The same kind of catalog as L1W3's (:mod:`grader_tests.helpers.mutants`, whose
:class:`Mutant` it uses): each entry is a textual edit of one exercise's
solution cell of ``source/L1W2/logistic_regression.ipynb``.  A **bug** must
fail the public self-check of its exercise (with the hint listed for it in
``grader_tests/material/test_selfchecks_l1w2.py``) and lose that exercise's
points, and only those; an **equivalent** must pass the self-check and get
full marks.
"""

from grader_tests.helpers.mutants import Mutant

SIG = "func_sigmoid"
INIT = "func_initialize_with_zeros"
PROP = "func_propagate"
OPT = "func_optimize"
PRED = "func_predict"

_SIGMOID = "s = 1 / (1 + np.exp(-z))"
_A = "A = func_sigmoid(np.dot(w.T, X) + b)"
_COST = "cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))"
_DW = "dw = 1 / m * np.dot(X, (A - Y).T)"
_DB = "db = 1 / m * np.sum(A - Y)"
_RECORD = """        if i % 100 == 0:
            costs.append(cost)
"""
_PREDICTION = "Y_prediction = (A > 0.5).astype(np.float64)"

MUTANTS = [
    # ------------------------------------------------------------------ func_sigmoid
    Mutant(
        "sigmoid_sign",
        SIG,
        False,
        "np.exp(z) instead of np.exp(-z)",
        ((_SIGMOID, "s = 1 / (1 + np.exp(z))"),),
    ),
    Mutant(
        "sigmoid_one_minus",
        SIG,
        False,
        "np.exp(-z) / (1 + np.exp(-z)), which is 1 - sigmoid(z)",
        ((_SIGMOID, "s = np.exp(-z) / (1 + np.exp(-z))"),),
    ),
    Mutant("sigmoid_tanh", SIG, False, "np.tanh(z) for the sigmoid", ((_SIGMOID, "s = np.tanh(z)"),)),
    Mutant(
        "sigmoid_math_exp",
        SIG,
        False,
        "math.exp, which takes a single number",
        ((_SIGMOID, "import math\n    s = 1 / (1 + math.exp(-z))"),),
    ),
    Mutant(
        "sigmoid_list_comprehension",
        SIG,
        False,
        "a loop over z, which breaks on a number",
        ((_SIGMOID, "s = np.array([1 / (1 + np.exp(-x)) for x in z])"),),
    ),
    Mutant(
        "sigmoid_1d_only",
        SIG,
        False,
        "the lesson's 1-d case only: flattened with np.ravel",
        ((_SIGMOID, "s = 1 / (1 + np.exp(-np.ravel(z)))"),),
    ),
    Mutant(
        "sigmoid_logaddexp",
        SIG,
        True,
        "exp(-log(1 + e^-z)) with np.logaddexp",
        ((_SIGMOID, "s = np.exp(-np.logaddexp(0, -z))"),),
    ),
    Mutant(
        "sigmoid_reciprocal", SIG, True, "np.reciprocal", ((_SIGMOID, "s = np.reciprocal(1 + np.exp(-z))"),)
    ),
    Mutant(
        "sigmoid_true_divide",
        SIG,
        True,
        "np.divide(1.0, 1.0 + np.exp(-z))",
        ((_SIGMOID, "s = np.divide(1.0, 1.0 + np.exp(-z))"),),
    ),
    # ------------------------------------------------------------------ func_initialize_with_zeros
    Mutant(
        "init_hardcoded_dim",
        INIT,
        False,
        "w of the lesson's size (2, 1)",
        (("w = np.zeros((dim, 1))", "w = np.zeros((2, 1))"),),
    ),
    Mutant(
        "init_w_1d",
        INIT,
        False,
        "w = np.zeros(dim), a 1-d array",
        (("w = np.zeros((dim, 1))", "w = np.zeros(dim)"),),
    ),
    Mutant(
        "init_w_row",
        INIT,
        False,
        "w of shape (1, dim)",
        (("w = np.zeros((dim, 1))", "w = np.zeros((1, dim))"),),
    ),
    Mutant(
        "init_w_ones",
        INIT,
        False,
        "np.ones instead of np.zeros",
        (("w = np.zeros((dim, 1))", "w = np.ones((dim, 1))"),),
    ),
    Mutant(
        "init_b_array", INIT, False, "b = np.zeros((1, 1)), an array", (("b = 0.0", "b = np.zeros((1, 1))"),)
    ),
    Mutant("init_b_int", INIT, True, "b = 0, an int, as the lesson writes it", (("b = 0.0", "b = 0"),)),
    Mutant(
        "init_zeros_keywords",
        INIT,
        True,
        "np.zeros(shape=(dim, 1), dtype=float)",
        (("w = np.zeros((dim, 1))", "w = np.zeros(shape=(dim, 1), dtype=float)"),),
    ),
    Mutant(
        "init_reshape",
        INIT,
        True,
        "np.zeros(dim).reshape(dim, 1)",
        (("w = np.zeros((dim, 1))", "w = np.zeros(dim).reshape(dim, 1)"),),
    ),
    # ------------------------------------------------------------------ func_propagate
    Mutant(
        "propagate_cost_sign",
        PROP,
        False,
        "the cost without its minus sign",
        ((_COST, _COST.replace("-1 / m", "1 / m")),),
    ),
    Mutant(
        "propagate_cost_missing_1_over_m",
        PROP,
        False,
        "the cost summed, not averaged",
        ((_COST, _COST.replace("-1 / m * np.sum", "-np.sum")),),
    ),
    Mutant(
        "propagate_cost_log10",
        PROP,
        False,
        "np.log10 in the cost",
        ((_COST, _COST.replace("np.log", "np.log10")),),
    ),
    Mutant(
        "propagate_cost_dot_without_T",
        PROP,
        False,
        "np.dot(Y, np.log(A)) without the transpose",
        ((_COST, "cost = -1 / m * (np.dot(Y, np.log(A)) + np.dot(1 - Y, np.log(1 - A)))"),),
    ),
    Mutant(
        "propagate_no_bias",
        PROP,
        False,
        "A = sigmoid(w^T X), the bias left out",
        ((_A, "A = func_sigmoid(np.dot(w.T, X))"),),
    ),
    Mutant(
        "propagate_w_not_transposed",
        PROP,
        False,
        "np.dot(w, X): w not transposed",
        ((_A, "A = func_sigmoid(np.dot(w, X) + b)"),),
    ),
    Mutant(
        "propagate_dw_missing_1_over_m", PROP, False, "dw without 1/m", ((_DW, "dw = np.dot(X, (A - Y).T)"),)
    ),
    Mutant("propagate_db_missing_1_over_m", PROP, False, "db without 1/m", ((_DB, "db = np.sum(A - Y)"),)),
    Mutant(
        "propagate_db_hardcoded_m",
        PROP,
        False,
        "db divided by the lesson's 3 examples",
        ((_DB, "db = 1 / 3 * np.sum(A - Y)"),),
    ),
    Mutant("propagate_dw_sign", PROP, False, "dw with Y - A", ((_DW, "dw = 1 / m * np.dot(X, (Y - A).T)"),)),
    Mutant(
        "propagate_dw_without_T",
        PROP,
        False,
        "np.dot(X, A - Y) without the transpose",
        ((_DW, "dw = 1 / m * np.dot(X, A - Y)"),),
    ),
    Mutant(
        "propagate_dw_elementwise",
        PROP,
        False,
        "dw = X * (A - Y) / m, element-wise",
        ((_DW, "dw = 1 / m * X * (A - Y)"),),
    ),
    Mutant(
        "propagate_db_keepdims",
        PROP,
        False,
        "db summed with keepdims=True: a (1, 1) array, not a number",
        ((_DB, "db = 1 / m * np.sum(A - Y, axis=1, keepdims=True)"),),
    ),
    Mutant(
        "propagate_dot_cost",
        PROP,
        True,
        "the cost as two dot products, as the lesson's hint suggests",
        ((_COST, "cost = -(np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T)) / m"),),
    ),
    Mutant(
        "propagate_mean",
        PROP,
        True,
        "np.mean for the cost and db",
        ((_COST, "cost = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))"), (_DB, "db = np.mean(A - Y)")),
    ),
    Mutant(
        "propagate_matmul",
        PROP,
        True,
        "the @ operator",
        ((_A, "A = func_sigmoid(w.T @ X + b)"), (_DW, "dw = X @ (A - Y).T / m")),
    ),
    Mutant(
        "propagate_dw_by_sum",
        PROP,
        True,
        "dw as a sum over the examples of X * (A - Y)",
        ((_DW, "dw = np.sum(X * (A - Y), axis=1, keepdims=True) / m"),),
    ),
    # ------------------------------------------------------------------ func_optimize
    Mutant(
        "optimize_hardcoded_rate",
        OPT,
        False,
        "the lesson's learning rate 0.009 hard-coded",
        (
            ("w = w - learning_rate * dw", "w = w - 0.009 * dw"),
            ("b = b - learning_rate * db", "b = b - 0.009 * db"),
        ),
    ),
    Mutant(
        "optimize_gradient_ascent",
        OPT,
        False,
        "w + learning_rate * dw",
        (
            ("w = w - learning_rate * dw", "w = w + learning_rate * dw"),
            ("b = b - learning_rate * db", "b = b + learning_rate * db"),
        ),
    ),
    Mutant(
        "optimize_b_not_updated", OPT, False, "b never updated", (("b = b - learning_rate * db", "b = b"),)
    ),
    Mutant(
        "optimize_cost_every_iteration",
        OPT,
        False,
        "the cost recorded at every iteration",
        ((_RECORD, "        costs.append(cost)\n        if i % 100 == 0:\n            pass\n"),),
    ),
    Mutant(
        "optimize_db_from_dw",
        OPT,
        False,
        "copy-paste slip: db read from grads['dw']",
        (('db = grads["db"]', 'db = grads["dw"]'),),
    ),
    Mutant(
        "optimize_float_costs",
        OPT,
        True,
        "the costs as Python floats",
        (("costs.append(cost)", "costs.append(float(cost))"),),
    ),
    Mutant(
        "optimize_grads_directly",
        OPT,
        True,
        "the gradients read from grads in the update",
        (
            ("w = w - learning_rate * dw", 'w = w - learning_rate * grads["dw"]'),
            ("b = b - learning_rate * db", 'b = b - learning_rate * grads["db"]'),
        ),
    ),
    # ------------------------------------------------------------------ func_predict
    Mutant(
        "predict_at_least_half",
        PRED,
        False,
        "A >= 0.5",
        ((_PREDICTION, "Y_prediction = (A >= 0.5).astype(np.float64)"),),
    ),
    Mutant(
        "predict_no_bias",
        PRED,
        False,
        "the bias left out",
        (("A = func_sigmoid(np.dot(w.T, X) + b)", "A = func_sigmoid(np.dot(w.T, X))"),),
    ),
    Mutant(
        "predict_threshold_zero",
        PRED,
        False,
        "A > 0, always true",
        ((_PREDICTION, "Y_prediction = (A > 0).astype(np.float64)"),),
    ),
    Mutant(
        "predict_no_threshold",
        PRED,
        False,
        "the activations returned as they are",
        ((_PREDICTION, "Y_prediction = A"),),
    ),
    Mutant(
        "predict_if_on_array",
        PRED,
        False,
        "an if on the whole array",
        ((_PREDICTION, "Y_prediction = np.array([[1.0 if A > 0.5 else 0.0]])"),),
    ),
    Mutant(
        "predict_w_not_transposed",
        PRED,
        False,
        "np.dot(w, X): w not transposed",
        (("A = func_sigmoid(np.dot(w.T, X) + b)", "A = func_sigmoid(np.dot(w, X) + b)"),),
    ),
    Mutant(
        "predict_round",
        PRED,
        True,
        "np.round(A) (0.5 rounds to 0, to even)",
        ((_PREDICTION, "Y_prediction = np.round(A)"),),
    ),
    Mutant(
        "predict_z_positive",
        PRED,
        True,
        "w^T X + b > 0, as ints",
        ((_PREDICTION, "Y_prediction = (np.dot(w.T, X) + b > 0).astype(int)"),),
    ),
    Mutant(
        "predict_where",
        PRED,
        True,
        "np.where(A > 0.5, 1, 0)",
        ((_PREDICTION, "Y_prediction = np.where(A > 0.5, 1, 0)"),),
    ),
    Mutant(
        "predict_loop",
        PRED,
        True,
        "the lesson's loop over the examples",
        (
            (
                _PREDICTION,
                "Y_prediction = np.zeros((1, m))\n    for i in range(A.shape[1]):\n"
                "        Y_prediction[0, i] = 1 if A[0, i] > 0.5 else 0",
            ),
        ),
    ),
]
