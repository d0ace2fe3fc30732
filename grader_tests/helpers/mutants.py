"""Catalog of single-bug variants and correct-but-different implementations of the exercises.

Each :class:`Mutant` is a small, textual edit of one exercise's solution cell
(as written in the source notebook, see ``grader.reference.solution_sources``):

* a **bug** (``equivalent=False``) is one mistake students really make --
  the wrong tanh derivative, a missing ``1/m``, a hard-coded learning rate,
  a threshold of ``>= 0.5``, ... -- and must lose the points of its own
  exercise, and only those: composite functions (``func_nn_model``,
  ``func_predict``) are tested with reference callees, so a bug never
  cascades into another exercise;
* an **equivalent** (``equivalent=True``) is a correct solution written
  differently -- ``@`` instead of ``np.dot``, ``np.mean`` in the cost,
  ``1 - np.tanh(Z1)**2``, ``Z2 > 0`` in ``func_predict``, loops instead of
  one statement per parameter, ... -- and must get full marks (the hidden
  tests compare with ``rtol=1e-6, atol=1e-10``, loose enough for any correct
  floating-point ordering).

``edits`` are exact substring replacements ``(old, new)``, applied in order
to the solution cell's source; each ``old`` occurs exactly once in the
(partially edited) source.  Every edit keeps the function's name and
signature and leaves valid Python.  ``grader_tests/mutation.py`` grades every
mutant through the real pipeline.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    id: str  # short snake_case, unique
    exercise: str  # the exercise whose solution cell is edited
    equivalent: bool  # True: a correct implementation written differently (must get full marks)
    description: str  # one line: what the student did
    edits: tuple  # ((old, new), ...) exact substring replacements, applied in order


LS = "func_layer_sizes"
INIT = "func_initialize_parameters"
FWD = "func_forward_propagation"
COST = "func_compute_cost"
BWD = "func_backward_propagation"
UPD = "func_update_parameters"
NN = "func_nn_model"
PRED = "func_predict"

_SEED = "    np.random.seed(2030)  # the lesson's fixed seed, set here on purpose\n"
_UPD_REGION = """    W1 = W1 - lr * dW1
    b1 = b1 - lr * db1
    W2 = W2 - lr * dW2
    b2 = b2 - lr * db2
"""
_NN_LOOP_HEAD = """    parameters = func_initialize_parameters(n_x, n_h, n_y)

    for i in range(num_epochs):
        A2, cache = func_forward_propagation(X, parameters)
"""

MUTANTS = [
    # ------------------------------------------------------------------ func_layer_sizes
    Mutant(
        "layer_sizes_n_x_from_columns",
        LS,
        False,
        "n_x taken from X.shape[1] (the number of examples) instead of X.shape[0]",
        (("n_x = X.shape[0]", "n_x = X.shape[1]"),),
    ),
    Mutant(
        "layer_sizes_n_y_from_columns",
        LS,
        False,
        "n_y taken from Y.shape[1] (the number of examples) instead of Y.shape[0]",
        (("n_y = Y.shape[0]", "n_y = Y.shape[1]"),),
    ),
    Mutant(
        "layer_sizes_n_y_hardcoded_1",
        LS,
        False,
        "n_y hard-coded to 1 because the planar data set has one output",
        (("n_y = Y.shape[0]", "n_y = 1"),),
    ),
    Mutant(
        "layer_sizes_n_y_from_X",
        LS,
        False,
        "copy-paste slip: n_y read from X.shape[0]",
        (("n_y = Y.shape[0]", "n_y = X.shape[0]"),),
    ),
    Mutant(
        "layer_sizes_n_x_len_of_row",
        LS,
        False,
        "n_x computed as len(X[0]), the length of a row, i.e. the number of examples",
        (("n_x = X.shape[0]", "n_x = len(X[0])"),),
    ),
    Mutant(
        "layer_sizes_len",
        LS,
        True,
        "len(X) and len(Y) (the number of rows) for n_x and n_y",
        (("n_x = X.shape[0]", "n_x = len(X)"), ("n_y = Y.shape[0]", "n_y = len(Y)")),
    ),
    Mutant(
        "layer_sizes_np_shape",
        LS,
        True,
        "np.shape(X)[0] and np.size(Y, 0)",
        (("n_x = X.shape[0]", "n_x = np.shape(X)[0]"), ("n_y = Y.shape[0]", "n_y = np.size(Y, 0)")),
    ),
    Mutant(
        "layer_sizes_unpacking",
        LS,
        True,
        "tuple unpacking of the shapes",
        (("n_x = X.shape[0]", "n_x, _ = X.shape"), ("n_y = Y.shape[0]", "n_y, _m = Y.shape")),
    ),
    # ------------------------------------------------------------------ func_initialize_parameters
    Mutant(
        "init_rand_instead_of_randn",
        INIT,
        False,
        "np.random.rand (uniform on [0, 1)) instead of np.random.randn",
        (
            ("W1 = np.random.randn(", "W1 = np.random.rand("),
            ("W2 = np.random.randn(", "W2 = np.random.rand("),
        ),
    ),
    Mutant(
        "init_scale_0_1",
        INIT,
        False,
        "weights scaled by 0.1 instead of 0.01",
        (
            ("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_h, n_x) * 0.1"),
            ("np.random.randn(n_y, n_h) * 0.01", "np.random.randn(n_y, n_h) * 0.1"),
        ),
    ),
    Mutant(
        "init_no_scale",
        INIT,
        False,
        "weights not scaled by 0.01",
        (
            ("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_h, n_x)"),
            ("np.random.randn(n_y, n_h) * 0.01", "np.random.randn(n_y, n_h)"),
        ),
    ),
    Mutant(
        "init_w2_unscaled",
        INIT,
        False,
        "forgot the factor 0.01 on W2 only",
        (("np.random.randn(n_y, n_h) * 0.01", "np.random.randn(n_y, n_h)"),),
    ),
    Mutant(
        "init_w2_drawn_before_w1",
        INIT,
        False,
        "W2 drawn before W1, so the two get each other's random numbers",
        (
            (
                "    W1 = np.random.randn(n_h, n_x) * 0.01\n    b1 = np.zeros((n_h, 1))\n"
                "    W2 = np.random.randn(n_y, n_h) * 0.01\n",
                "    W2 = np.random.randn(n_y, n_h) * 0.01\n"
                "    W1 = np.random.randn(n_h, n_x) * 0.01\n    b1 = np.zeros((n_h, 1))\n",
            ),
        ),
    ),
    Mutant(
        "init_seed_deleted", INIT, False, "deleted the np.random.seed(2030) line of the cell", ((_SEED, ""),)
    ),
    Mutant(
        "init_w1_transposed_draw",
        INIT,
        False,
        "drew W1 as randn(n_x, n_h) and transposed it to pass the shape assert",
        (("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_x, n_h).T * 0.01"),),
    ),
    Mutant(
        "init_random_biases",
        INIT,
        False,
        "biases drawn at random like the weights instead of zeros",
        (
            ("b1 = np.zeros((n_h, 1))", "b1 = np.random.randn(n_h, 1) * 0.01"),
            ("b2 = np.zeros((n_y, 1))", "b2 = np.random.randn(n_y, 1) * 0.01"),
        ),
    ),
    Mutant(
        "init_ones_biases",
        INIT,
        False,
        "biases initialized to ones instead of zeros",
        (
            ("b1 = np.zeros((n_h, 1))", "b1 = np.ones((n_h, 1))"),
            ("b2 = np.zeros((n_y, 1))", "b2 = np.ones((n_y, 1))"),
        ),
    ),
    Mutant(
        "init_xavier_scale",
        INIT,
        False,
        "Xavier scale np.sqrt(1 / n_in) instead of the lesson's 0.01",
        (
            ("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_h, n_x) * np.sqrt(1 / n_x)"),
            ("np.random.randn(n_y, n_h) * 0.01", "np.random.randn(n_y, n_h) * np.sqrt(1 / n_h)"),
        ),
    ),
    Mutant(
        "init_divide_by_100",
        INIT,
        True,
        "weights divided by 100 instead of multiplied by 0.01",
        (
            ("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_h, n_x) / 100"),
            ("np.random.randn(n_y, n_h) * 0.01", "np.random.randn(n_y, n_h) / 100"),
        ),
    ),
    Mutant(
        "init_normal_scale",
        INIT,
        True,
        "np.random.normal(0, 0.01, shape), which draws from the same stream as randn",
        (
            ("np.random.randn(n_h, n_x) * 0.01", "np.random.normal(0, 0.01, (n_h, n_x))"),
            ("np.random.randn(n_y, n_h) * 0.01", "np.random.normal(0, 0.01, (n_y, n_h))"),
        ),
    ),
    Mutant(
        "init_standard_normal",
        INIT,
        True,
        "0.01 * np.random.standard_normal(shape)",
        (
            ("np.random.randn(n_h, n_x) * 0.01", "0.01 * np.random.standard_normal((n_h, n_x))"),
            ("np.random.randn(n_y, n_h) * 0.01", "0.01 * np.random.standard_normal((n_y, n_h))"),
        ),
    ),
    Mutant(
        "init_reshape_flat_draw",
        INIT,
        True,
        "flat draws reshaped (row-major order, the same numbers as randn(n_h, n_x))",
        (
            ("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_h * n_x).reshape(n_h, n_x) * 0.01"),
            ("np.random.randn(n_y, n_h) * 0.01", "np.random.randn(n_y * n_h).reshape(n_y, n_h) * 0.01"),
        ),
    ),
    Mutant(
        "init_zeros_keyword_shape",
        INIT,
        True,
        "np.zeros(shape=[n, 1]) and np.zeros_like for the biases",
        (
            ("b1 = np.zeros((n_h, 1))", "b1 = np.zeros(shape=[n_h, 1])"),
            ("b2 = np.zeros((n_y, 1))", "b2 = np.zeros_like(W2[:, :1])"),
        ),
    ),
    # ------------------------------------------------------------------ func_forward_propagation
    Mutant(
        "forward_sigmoid_hidden",
        FWD,
        False,
        "sigmoid instead of tanh on the hidden layer",
        (("A1 = np.tanh(Z1)", "A1 = func_sigmoid(Z1)"),),
    ),
    Mutant(
        "forward_tanh_output",
        FWD,
        False,
        "tanh instead of sigmoid on the output layer",
        (("A2 = func_sigmoid(Z2)", "A2 = np.tanh(Z2)"),),
    ),
    Mutant(
        "forward_swapped_activations",
        FWD,
        False,
        "activations swapped: sigmoid on the hidden layer, tanh on the output",
        (("A1 = np.tanh(Z1)", "A1 = func_sigmoid(Z1)"), ("A2 = func_sigmoid(Z2)", "A2 = np.tanh(Z2)")),
    ),
    Mutant(
        "forward_missing_b1",
        FWD,
        False,
        "forgot the bias b1",
        (("Z1 = np.dot(W1, X) + b1", "Z1 = np.dot(W1, X)"),),
    ),
    Mutant(
        "forward_missing_b2",
        FWD,
        False,
        "forgot the bias b2",
        (("Z2 = np.dot(W2, A1) + b2", "Z2 = np.dot(W2, A1)"),),
    ),
    Mutant(
        "forward_z2_from_z1",
        FWD,
        False,
        "Z2 computed from Z1 instead of the activation A1",
        (("Z2 = np.dot(W2, A1) + b2", "Z2 = np.dot(W2, Z1) + b2"),),
    ),
    Mutant(
        "forward_no_hidden_activation",
        FWD,
        False,
        "no hidden activation: A1 = Z1",
        (("A1 = np.tanh(Z1)", "A1 = Z1"),),
    ),
    Mutant(
        "forward_relu_hidden",
        FWD,
        False,
        "ReLU instead of tanh on the hidden layer",
        (("A1 = np.tanh(Z1)", "A1 = np.maximum(0, Z1)"),),
    ),
    Mutant(
        "forward_sigmoid_sign",
        FWD,
        False,
        "hand-written sigmoid with the wrong sign: 1 / (1 + exp(Z2))",
        (("A2 = func_sigmoid(Z2)", "A2 = 1 / (1 + np.exp(Z2))"),),
    ),
    Mutant(
        "forward_b1_subtracted",
        FWD,
        False,
        "sign error: the bias b1 subtracted",
        (("Z1 = np.dot(W1, X) + b1", "Z1 = np.dot(W1, X) - b1"),),
    ),
    Mutant(
        "forward_matmul_operator",
        FWD,
        True,
        "the @ operator instead of np.dot",
        (("np.dot(W1, X)", "W1 @ X"), ("np.dot(W2, A1)", "W2 @ A1")),
    ),
    Mutant(
        "forward_np_matmul",
        FWD,
        True,
        "np.matmul instead of np.dot",
        (("np.dot(W1, X)", "np.matmul(W1, X)"), ("np.dot(W2, A1)", "np.matmul(W2, A1)")),
    ),
    Mutant(
        "forward_dot_method",
        FWD,
        True,
        "the ndarray.dot method",
        (("np.dot(W1, X)", "W1.dot(X)"), ("np.dot(W2, A1)", "W2.dot(A1)")),
    ),
    Mutant(
        "forward_manual_sigmoid",
        FWD,
        True,
        "sigmoid written by hand as 1 / (1 + np.exp(-Z2))",
        (("A2 = func_sigmoid(Z2)", "A2 = 1 / (1 + np.exp(-Z2))"),),
    ),
    Mutant(
        "forward_tanh_from_exp",
        FWD,
        True,
        "tanh written with exponentials",
        (("A1 = np.tanh(Z1)", "A1 = (np.exp(Z1) - np.exp(-Z1)) / (np.exp(Z1) + np.exp(-Z1))"),),
    ),
    Mutant(
        "forward_transposed_product",
        FWD,
        True,
        "W1 X computed as (X^T W1^T)^T and biases added with np.add",
        (
            ("Z1 = np.dot(W1, X) + b1", "Z1 = np.dot(X.T, W1.T).T + b1"),
            ("Z2 = np.dot(W2, A1) + b2", "Z2 = np.add(np.dot(W2, A1), b2)"),
        ),
    ),
    # ------------------------------------------------------------------ func_compute_cost
    Mutant(
        "cost_missing_minus",
        COST,
        False,
        "forgot the minus sign of the cross-entropy",
        (("cost = -1 / m * np.sum(log_probs)", "cost = 1 / m * np.sum(log_probs)"),),
    ),
    Mutant(
        "cost_missing_1_over_m",
        COST,
        False,
        "summed without dividing by m",
        (("cost = -1 / m * np.sum(log_probs)", "cost = -np.sum(log_probs)"),),
    ),
    Mutant(
        "cost_only_positive_term",
        COST,
        False,
        "left out the (1 - Y) log(1 - A2) term",
        ((" + np.multiply(np.log(1 - A2), 1 - Y)", ""),),
    ),
    Mutant(
        "cost_second_term_label_Y",
        COST,
        False,
        "second term multiplied by Y instead of 1 - Y",
        (("np.multiply(np.log(1 - A2), 1 - Y)", "np.multiply(np.log(1 - A2), Y)"),),
    ),
    Mutant(
        "cost_labels_swapped",
        COST,
        False,
        "Y and 1 - Y swapped between the two terms",
        (
            ("np.multiply(np.log(A2), Y)", "np.multiply(np.log(A2), 1 - Y)"),
            ("np.multiply(np.log(1 - A2), 1 - Y)", "np.multiply(np.log(1 - A2), Y)"),
        ),
    ),
    Mutant(
        "cost_log10",
        COST,
        False,
        "np.log10 instead of the natural logarithm",
        (("np.log(A2)", "np.log10(A2)"), ("np.log(1 - A2)", "np.log10(1 - A2)")),
    ),
    Mutant(
        "cost_m_from_rows",
        COST,
        False,
        "m taken from Y.shape[0] (always 1) instead of Y.shape[1]",
        (("m = Y.shape[1]", "m = Y.shape[0]"),),
    ),
    Mutant(
        "cost_mean_and_divide",
        COST,
        False,
        "np.mean and a division by m: averaged twice",
        (("cost = -1 / m * np.sum(log_probs)", "cost = -1 / m * np.mean(log_probs)"),),
    ),
    Mutant(
        "cost_np_mean",
        COST,
        True,
        "np.mean instead of the sum divided by m",
        (("cost = -1 / m * np.sum(log_probs)", "cost = -np.mean(log_probs)"),),
    ),
    Mutant(
        "cost_np_dot",
        COST,
        True,
        "cost written with np.dot of the logs and the transposed labels",
        (
            (
                "    log_probs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)\n"
                "    cost = -1 / m * np.sum(log_probs)\n",
                "    cost = -(np.dot(np.log(A2), Y.T) + np.dot(np.log(1 - A2), (1 - Y).T)) / m\n",
            ),
        ),
    ),
    Mutant(
        "cost_operators",
        COST,
        True,
        "* instead of np.multiply, division by m at the end",
        (
            (
                "np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)",
                "Y * np.log(A2) + (1 - Y) * np.log(1 - A2)",
            ),
            ("cost = -1 / m * np.sum(log_probs)", "cost = -np.sum(log_probs) / m"),
        ),
    ),
    Mutant(
        "cost_sum_method_two_sums",
        COST,
        True,
        "two separate sums with the ndarray.sum method",
        (
            (
                "    log_probs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)\n"
                "    cost = -1 / m * np.sum(log_probs)\n",
                "    cost = -((Y * np.log(A2)).sum() + ((1 - Y) * np.log(1 - A2)).sum()) / m\n",
            ),
        ),
    ),
    # ------------------------------------------------------------------ func_backward_propagation
    Mutant(
        "backward_tanh_derivative_1_minus_a",
        BWD,
        False,
        "wrong tanh derivative 1 - A1 instead of 1 - A1**2",
        (("1 - np.power(A1, 2)", "1 - A1"),),
    ),
    Mutant(
        "backward_sigmoid_derivative_hidden",
        BWD,
        False,
        "sigmoid derivative A1 * (1 - A1) used for the tanh layer",
        (("1 - np.power(A1, 2)", "A1 * (1 - A1)"),),
    ),
    Mutant(
        "backward_tanh_applied_to_a1",
        BWD,
        False,
        "tanh applied again to A1 in the derivative: 1 - tanh(A1)**2",
        (("1 - np.power(A1, 2)", "1 - np.power(np.tanh(A1), 2)"),),
    ),
    Mutant(
        "backward_no_activation_derivative",
        BWD,
        False,
        "forgot the activation derivative: dZ1 = W2.T dZ2",
        (("dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))", "dZ1 = np.dot(W2.T, dZ2)"),),
    ),
    Mutant(
        "backward_db2_axis0",
        BWD,
        False,
        "db2 summed over axis 0 (the wrong axis)",
        (("np.sum(dZ2, axis=1, keepdims=True)", "np.sum(dZ2, axis=0, keepdims=True)"),),
    ),
    Mutant(
        "backward_db1_axis0",
        BWD,
        False,
        "db1 summed over axis 0 (the wrong axis)",
        (("np.sum(dZ1, axis=1, keepdims=True)", "np.sum(dZ1, axis=0, keepdims=True)"),),
    ),
    Mutant(
        "backward_db1_no_keepdims",
        BWD,
        False,
        "db1 summed without keepdims: shape (n_h,) instead of (n_h, 1)",
        (("np.sum(dZ1, axis=1, keepdims=True)", "np.sum(dZ1, axis=1)"),),
    ),
    Mutant(
        "backward_db2_no_keepdims",
        BWD,
        False,
        "db2 summed without keepdims: shape (1,) instead of (1, 1)",
        (("np.sum(dZ2, axis=1, keepdims=True)", "np.sum(dZ2, axis=1)"),),
    ),
    Mutant(
        "backward_dW2_missing_1_over_m",
        BWD,
        False,
        "forgot 1/m in dW2",
        (("dW2 = 1 / m * np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T)"),),
    ),
    Mutant(
        "backward_db1_missing_1_over_m",
        BWD,
        False,
        "forgot 1/m in db1",
        (("db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)", "db1 = np.sum(dZ1, axis=1, keepdims=True)"),),
    ),
    Mutant("backward_dZ2_sign", BWD, False, "sign error: dZ2 = Y - A2", (("dZ2 = A2 - Y", "dZ2 = Y - A2"),)),
    Mutant(
        "backward_m_from_rows",
        BWD,
        False,
        "m taken from X.shape[0] (n_x) instead of X.shape[1]",
        (("m = X.shape[1]", "m = X.shape[0]"),),
    ),
    Mutant(
        "backward_dW2_uses_A2",
        BWD,
        False,
        "dW2 computed with A2 instead of A1",
        (("np.dot(dZ2, A1.T)", "np.dot(dZ2, A2.T)"),),
    ),
    Mutant(
        "backward_derivative_squared_wrong",
        BWD,
        False,
        "derivative written as (1 - A1)**2 instead of 1 - A1**2",
        (("1 - np.power(A1, 2)", "np.power(1 - A1, 2)"),),
    ),
    Mutant(
        "backward_tanh_derivative_from_z1",
        BWD,
        True,
        "derivative 1 - np.tanh(Z1)**2 computed from the cached Z1",
        (
            ("    A1 = cache['A1']\n", "    A1 = cache['A1']\n    Z1 = cache['Z1']\n"),
            ("1 - np.power(A1, 2)", "1 - np.tanh(Z1) ** 2"),
        ),
    ),
    Mutant(
        "backward_matmul_operator",
        BWD,
        True,
        "the @ operator and * instead of np.dot and np.multiply",
        (
            ("np.dot(dZ2, A1.T)", "dZ2 @ A1.T"),
            ("np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))", "(W2.T @ dZ2) * (1 - A1 ** 2)"),
            ("np.dot(dZ1, X.T)", "dZ1 @ X.T"),
        ),
    ),
    Mutant(
        "backward_np_mean_biases",
        BWD,
        True,
        "np.mean over axis 1 for db1 and db2",
        (
            ("1 / m * np.sum(dZ2, axis=1, keepdims=True)", "np.mean(dZ2, axis=1, keepdims=True)"),
            ("1 / m * np.sum(dZ1, axis=1, keepdims=True)", "np.mean(dZ1, axis=1, keepdims=True)"),
        ),
    ),
    Mutant(
        "backward_divide_by_m",
        BWD,
        True,
        "sum method and division by m at the end",
        (
            ("dW2 = 1 / m * np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T) / m"),
            ("db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)", "db2 = dZ2.sum(axis=1, keepdims=True) / m"),
            ("dW1 = 1 / m * np.dot(dZ1, X.T)", "dW1 = np.dot(dZ1, X.T) / m"),
            ("db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)", "db1 = dZ1.sum(axis=1, keepdims=True) / m"),
        ),
    ),
    Mutant(
        "backward_transposed_products",
        BWD,
        True,
        "dW2 and dW1 computed as transposes of the transposed products",
        (("np.dot(dZ2, A1.T)", "np.dot(A1, dZ2.T).T"), ("np.dot(dZ1, X.T)", "np.dot(X, dZ1.T).T")),
    ),
    Mutant(
        "backward_a1_times_a1",
        BWD,
        True,
        "derivative written 1 - A1 * A1",
        (("1 - np.power(A1, 2)", "1 - A1 * A1"),),
    ),
    # ------------------------------------------------------------------ func_update_parameters
    Mutant(
        "update_hardcoded_lr",
        UPD,
        False,
        "learning rate hard-coded to 1.2 (the lesson's value) instead of using lr",
        (
            ("lr * dW1", "1.2 * dW1"),
            ("lr * db1", "1.2 * db1"),
            ("lr * dW2", "1.2 * dW2"),
            ("lr * db2", "1.2 * db2"),
        ),
    ),
    Mutant(
        "update_gradient_ascent",
        UPD,
        False,
        "sign error: parameters + lr * gradients",
        (("W1 - lr", "W1 + lr"), ("b1 - lr", "b1 + lr"), ("W2 - lr", "W2 + lr"), ("b2 - lr", "b2 + lr")),
    ),
    Mutant(
        "update_biases_not_updated",
        UPD,
        False,
        "forgot to update the biases",
        (("b1 = b1 - lr * db1", "b1 = b1"), ("b2 = b2 - lr * db2", "b2 = b2")),
    ),
    Mutant(
        "update_not_reassigned",
        UPD,
        False,
        "updated the parameters dict but returned the stale local variables",
        (
            (
                _UPD_REGION,
                "    parameters['W1'] = W1 - lr * dW1\n    parameters['b1'] = b1 - lr * db1\n"
                "    parameters['W2'] = W2 - lr * dW2\n    parameters['b2'] = b2 - lr * db2\n",
            ),
        ),
    ),
    Mutant(
        "update_W1_with_db1",
        UPD,
        False,
        "typo: W1 updated with db1 (broadcast, no error)",
        (("W1 - lr * dW1", "W1 - lr * db1"),),
    ),
    Mutant(
        "update_missing_lr",
        UPD,
        False,
        "gradients subtracted without the learning rate",
        (("lr * dW1", "dW1"), ("lr * db1", "db1"), ("lr * dW2", "dW2"), ("lr * db2", "db2")),
    ),
    Mutant(
        "update_biases_without_lr",
        UPD,
        False,
        "learning rate applied to the weights but not to the biases",
        (("b1 - lr * db1", "b1 - db1"), ("b2 - lr * db2", "b2 - db2")),
    ),
    Mutant(
        "update_loop_over_keys",
        UPD,
        True,
        "for loop over the parameter names instead of one line per parameter",
        (
            (
                _UPD_REGION,
                "    new = {}\n"
                "    for key in ('W1', 'b1', 'W2', 'b2'):\n"
                "        new[key] = parameters[key] - lr * grads['d' + key]\n"
                "    W1, b1, W2, b2 = new['W1'], new['b1'], new['W2'], new['b2']\n",
            ),
        ),
    ),
    Mutant(
        "update_dict_comprehension",
        UPD,
        True,
        "dict comprehension over the parameters",
        (
            (
                _UPD_REGION,
                "    new = {k: parameters[k] - lr * grads['d' + k] for k in parameters}\n"
                "    W1, b1, W2, b2 = new['W1'], new['b1'], new['W2'], new['b2']\n",
            ),
        ),
    ),
    Mutant(
        "update_in_place",
        UPD,
        True,
        "in-place -= on the (caller's) arrays",
        ((_UPD_REGION, "    W1 -= lr * dW1\n    b1 -= lr * db1\n    W2 -= lr * dW2\n    b2 -= lr * db2\n"),),
    ),
    Mutant(
        "update_np_subtract",
        UPD,
        True,
        "np.subtract and gradient * lr",
        (
            (
                _UPD_REGION,
                "    W1 = np.subtract(W1, dW1 * lr)\n    b1 = np.subtract(b1, db1 * lr)\n"
                "    W2 = np.subtract(W2, dW2 * lr)\n    b2 = np.subtract(b2, db2 * lr)\n",
            ),
        ),
    ),
    # ------------------------------------------------------------------ func_nn_model
    Mutant(
        "nn_model_lr_not_passed",
        NN,
        False,
        "lr not passed to func_update_parameters, so its default 0.5 is always used",
        (("func_update_parameters(parameters, grads, lr)", "func_update_parameters(parameters, grads)"),),
    ),
    Mutant(
        "nn_model_hardcoded_lr",
        NN,
        False,
        "learning rate hard-coded to 1.2 in the update call",
        (
            (
                "func_update_parameters(parameters, grads, lr)",
                "func_update_parameters(parameters, grads, 1.2)",
            ),
        ),
    ),
    Mutant(
        "nn_model_ignores_n_h",
        NN,
        False,
        "n_h overwritten by the 4 of func_layer_sizes",
        (("n_x, _, n_y = func_layer_sizes(X, Y)", "n_x, n_h, n_y = func_layer_sizes(X, Y)"),),
    ),
    Mutant(
        "nn_model_hidden_size_hardcoded_4",
        NN,
        False,
        "hidden layer size hard-coded to 4 in the initialization",
        (("func_initialize_parameters(n_x, n_h, n_y)", "func_initialize_parameters(n_x, 4, n_y)"),),
    ),
    Mutant(
        "nn_model_fixed_epochs",
        NN,
        False,
        "fixed 10000 iterations, ignoring num_epochs",
        (("range(num_epochs)", "range(10000)"),),
    ),
    Mutant(
        "nn_model_one_epoch_too_many",
        NN,
        False,
        "off by one: range(num_epochs + 1)",
        (("range(num_epochs)", "range(num_epochs + 1)"),),
    ),
    Mutant(
        "nn_model_one_epoch_too_few",
        NN,
        False,
        "off by one: range(1, num_epochs)",
        (("range(num_epochs)", "range(1, num_epochs)"),),
    ),
    Mutant(
        "nn_model_parameters_not_reassigned",
        NN,
        False,
        "result of func_update_parameters not assigned back to parameters",
        (("parameters = func_update_parameters(", "func_update_parameters("),),
    ),
    Mutant(
        "nn_model_reinit_in_loop",
        NN,
        False,
        "parameters initialized inside the loop, so each epoch starts over",
        (
            (
                _NN_LOOP_HEAD,
                "    for i in range(num_epochs):\n"
                "        parameters = func_initialize_parameters(n_x, n_h, n_y)\n"
                "        A2, cache = func_forward_propagation(X, parameters)\n",
            ),
        ),
    ),
    Mutant(
        "nn_model_return_in_loop",
        NN,
        False,
        "return indented into the loop: a single epoch is run",
        (
            (
                "        parameters = func_update_parameters(parameters, grads, lr)\n",
                "        parameters = func_update_parameters(parameters, grads, lr)\n"
                "        return parameters\n",
            ),
        ),
    ),
    Mutant(
        "nn_model_forward_once",
        NN,
        False,
        "forward propagation run once before the loop; the loop reuses the stale cache",
        (
            (
                _NN_LOOP_HEAD,
                "    parameters = func_initialize_parameters(n_x, n_h, n_y)\n"
                "    A2, cache = func_forward_propagation(X, parameters)\n\n"
                "    for i in range(num_epochs):\n",
            ),
        ),
    ),
    Mutant(
        "nn_model_seed_deleted",
        NN,
        True,
        "deleted the np.random.seed(2030) line (func_initialize_parameters seeds anyway)",
        ((_SEED, ""),),
    ),
    Mutant(
        "nn_model_shapes_cost_when_printed",
        NN,
        True,
        "sizes read from the shapes, cost only when printed, lr by keyword",
        (
            ("    n_x, _, n_y = func_layer_sizes(X, Y)\n", "    n_x = X.shape[0]\n    n_y = Y.shape[0]\n"),
            ("        cost = func_compute_cost(A2, Y)\n", ""),
            (
                "func_update_parameters(parameters, grads, lr)",
                "func_update_parameters(parameters, grads, lr=lr)",
            ),
            (
                "        if print_cost and i % 1000 == 0:\n",
                "        if print_cost and i % 1000 == 0:\n            cost = func_compute_cost(A2, Y)\n",
            ),
        ),
    ),
    Mutant(
        "nn_model_while_loop",
        NN,
        True,
        "while loop with an explicit counter",
        (
            ("    for i in range(num_epochs):\n", "    i = 0\n    while i < num_epochs:\n"),
            (
                "            print('cost after iter %i: %f' % (i, cost))\n",
                "            print('cost after iter %i: %f' % (i, cost))\n        i += 1\n",
            ),
        ),
    ),
    Mutant(
        "nn_model_indexed_layer_sizes",
        NN,
        True,
        "sizes taken by indexing the tuple of func_layer_sizes",
        (
            (
                "    n_x, _, n_y = func_layer_sizes(X, Y)\n",
                "    sizes = func_layer_sizes(X, Y)\n    n_x, n_y = sizes[0], sizes[2]\n",
            ),
        ),
    ),
    Mutant(
        "nn_model_keyword_calls",
        NN,
        True,
        "callees called with keyword arguments",
        (
            (
                "func_initialize_parameters(n_x, n_h, n_y)",
                "func_initialize_parameters(n_x=n_x, n_h=n_h, n_y=n_y)",
            ),
            (
                "func_backward_propagation(parameters, cache, X, Y)",
                "func_backward_propagation(parameters=parameters, cache=cache, X=X, Y=Y)",
            ),
        ),
    ),
    # ------------------------------------------------------------------ func_predict
    Mutant(
        "predict_threshold_ge_half",
        PRED,
        False,
        "threshold A2 >= 0.5: an output of exactly 0.5 predicts 1",
        (("preds = np.round(A2)", "preds = (A2 >= 0.5).astype(float)"),),
    ),
    Mutant(
        "predict_threshold_a2_at_zero",
        PRED,
        False,
        "A2 thresholded at 0 (the threshold of Z2): everything predicts 1",
        (("preds = np.round(A2)", "preds = (A2 > 0).astype(float)"),),
    ),
    Mutant(
        "predict_inverted",
        PRED,
        False,
        "inverted comparison A2 < 0.5",
        (("preds = np.round(A2)", "preds = (A2 < 0.5).astype(float)"),),
    ),
    Mutant(
        "predict_no_threshold",
        PRED,
        False,
        "returns the probabilities A2 unthresholded",
        (("preds = np.round(A2)", "preds = A2"),),
    ),
    Mutant(
        "predict_z2_threshold_half",
        PRED,
        False,
        "Z2 thresholded at 0.5 (the threshold of A2)",
        (
            (
                "A2, _ = func_forward_propagation(X, parameters)",
                "A2, cache = func_forward_propagation(X, parameters)",
            ),
            ("preds = np.round(A2)", "preds = (cache['Z2'] > 0.5).astype(float)"),
        ),
    ),
    Mutant(
        "predict_argmax",
        PRED,
        False,
        "np.argmax over the output rows, as for a softmax",
        (("preds = np.round(A2)", "preds = np.argmax(A2, axis=0)"),),
    ),
    Mutant(
        "predict_z2_positive_float",
        PRED,
        True,
        "Z2 > 0 from the cache of forward propagation, as floats",
        (
            (
                "A2, _ = func_forward_propagation(X, parameters)",
                "A2, cache = func_forward_propagation(X, parameters)",
            ),
            ("preds = np.round(A2)", "preds = (cache['Z2'] > 0).astype(float)"),
        ),
    ),
    Mutant(
        "predict_z2_positive_int",
        PRED,
        True,
        "Z2 > 0 from the cache of forward propagation, as ints",
        (
            (
                "A2, _ = func_forward_propagation(X, parameters)",
                "_, cache = func_forward_propagation(X, parameters)",
            ),
            ("preds = np.round(A2)", "preds = (cache['Z2'] > 0).astype(int)"),
        ),
    ),
    Mutant(
        "predict_astype_float",
        PRED,
        True,
        "(A2 > 0.5).astype(float)",
        (("preds = np.round(A2)", "preds = (A2 > 0.5).astype(float)"),),
    ),
    Mutant(
        "predict_np_where",
        PRED,
        True,
        "np.where(A2 > 0.5, 1, 0)",
        (("preds = np.round(A2)", "preds = np.where(A2 > 0.5, 1, 0)"),),
    ),
    Mutant(
        "predict_boolean_array",
        PRED,
        True,
        "the original lesson's preds = (A2 > 0.5), a boolean array",
        (("preds = np.round(A2)", "preds = (A2 > 0.5)"),),
    ),
    Mutant(
        "predict_rint",
        PRED,
        True,
        "np.rint (round half to even, like np.round)",
        (("preds = np.round(A2)", "preds = np.rint(A2)"),),
    ),
    Mutant(
        "predict_times_one",
        PRED,
        True,
        "(A2 > 0.5) * 1",
        (("preds = np.round(A2)", "preds = (A2 > 0.5) * 1"),),
    ),
    # ------------------------------------------------------------------ bugs numpy refuses, or a number for an array
    # Each raises in numpy (a broadcast or alignment error), in the function's own assertion, or
    # returns a number where an array belongs: the self-check names the line and says what to change.
    Mutant(
        "layer_sizes_shape_tuple",
        LS,
        False,
        "n_x = X.shape, the whole shape tuple",
        (("n_x = X.shape[0]", "n_x = X.shape"),),
    ),
    Mutant(
        "init_b1_scalar",
        INIT,
        False,
        "b1 = 0, a number, not an array of zeros",
        (("b1 = np.zeros((n_h, 1))", "b1 = 0"),),
    ),
    Mutant(
        "init_b2_1d",
        INIT,
        False,
        "b2 = np.zeros(n_y), a 1-d array",
        (("b2 = np.zeros((n_y, 1))", "b2 = np.zeros(n_y)"),),
    ),
    Mutant(
        "forward_w1_times_x",
        FWD,
        False,
        "Z1 = W1 * X + b1: element-wise * where the matrix product is meant",
        (("Z1 = np.dot(W1, X) + b1", "Z1 = W1 * X + b1"),),
    ),
    Mutant(
        "forward_w2_times_a1",
        FWD,
        False,
        "Z2 = W2 * A1 + b2: element-wise * where the matrix product is meant",
        (("Z2 = np.dot(W2, A1) + b2", "Z2 = W2 * A1 + b2"),),
    ),
    Mutant(
        "forward_dot_order",
        FWD,
        False,
        "np.dot(X, W1): the factors in the wrong order",
        (("Z1 = np.dot(W1, X) + b1", "Z1 = np.dot(X, W1) + b1"),),
    ),
    Mutant(
        "cost_dot_without_T",
        COST,
        False,
        "np.dot(Y, np.log(A2)) without the transpose",
        (
            (
                "log_probs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)",
                "log_probs = np.dot(Y, np.log(A2)) + np.dot(1 - Y, np.log(1 - A2))",
            ),
        ),
    ),
    Mutant(
        "backward_dZ1_dot",
        BWD,
        False,
        "np.dot where the element-wise * is meant in dZ1",
        (
            (
                "dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))",
                "dZ1 = np.dot(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))",
            ),
        ),
    ),
    Mutant(
        "backward_W2_not_transposed",
        BWD,
        False,
        "np.dot(W2, dZ2) in dZ1: W2 not transposed",
        (("np.dot(W2.T, dZ2)", "np.dot(W2, dZ2)"),),
    ),
    Mutant(
        "backward_dW1_X_not_transposed",
        BWD,
        False,
        "dW1 = np.dot(dZ1, X) / m: X not transposed",
        (("np.dot(dZ1, X.T)", "np.dot(dZ1, X)"),),
    ),
    Mutant(
        "backward_dW2_A1_not_transposed",
        BWD,
        False,
        "dW2 = np.dot(dZ2, A1) / m: A1 not transposed",
        (("np.dot(dZ2, A1.T)", "np.dot(dZ2, A1)"),),
    ),
    Mutant(
        "backward_dW2_elementwise",
        BWD,
        False,
        "dW2 = dZ2 * A1 / m: element-wise * where the matrix product is meant",
        (("np.dot(dZ2, A1.T)", "dZ2 * A1"),),
    ),
    Mutant(
        "backward_db2_scalar",
        BWD,
        False,
        "db2 = np.sum(dZ2) / m, a number, not a (1, 1) array",
        (("db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)", "db2 = 1 / m * np.sum(dZ2)"),),
    ),
    Mutant(
        "predict_if_on_array",
        PRED,
        False,
        "preds = 1 if A2 > 0.5 else 0, an if on a whole array",
        (("preds = np.round(A2)", "preds = 1 if A2 > 0.5 else 0"),),
    ),
    Mutant(
        "predict_mean_scalar",
        PRED,
        False,
        "preds = float(np.mean(A2) > 0.5), one number for all the examples",
        (("preds = np.round(A2)", "preds = float(np.mean(A2) > 0.5)"),),
    ),
]
