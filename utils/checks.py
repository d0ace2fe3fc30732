"""Public self-checks for the L1W3 exercises (``checks``).

Each ``check_*`` function runs one exercise on the lesson's test case and
compares the result with what the lesson prints: type, shape and values.  On
the first problem it raises ``AssertionError`` with a message in Chinese and
English that names the variable, the expected and actual shape, or the first
mismatching element with both values; otherwise it prints one
"all tests passed" line.

The same comparison (:func:`compare`) is used by the grader to judge the
hidden tests, so a failed hidden test is explained in the same terms.
"""
import numbers

import numpy as np

import testCases

# The lesson prints arrays to 8 decimals: a correct result is within half a
# unit of the last printed digit of each element.
PRINTED_ATOL = 5e-9 + 1e-12
# Agreement with a reference computed at full precision: loose enough for
# any correct floating-point ordering, tight enough for subtle mistakes.
RTOL = 1e-6
ATOL = 1e-10

PASSED = "所有测试通过 / All tests passed"


class Mismatch(AssertionError):
    """A result differs from the expected one; the message says where."""


def _fmt(x):
    return np.format_float_positional(x, precision=10, unique=True, trim="-") \
        if isinstance(x, (float, np.floating)) else repr(x)


def compare(expected, actual, name, rtol=RTOL, atol=ATOL):
    """Compare ``actual`` with ``expected``; describe the first difference.

    Parameters
    ----------
    expected : float, int, tuple, dict or ndarray
        The correct value (nested tuples and dicts are compared element-wise).
    actual : object
        What the student's function returned.
    name : str
        The variable's name, used in the message.
    rtol, atol : float
        Tolerances for floating-point values, as in ``numpy.isclose``.

    Returns
    -------
    message : str or None
        ``None`` when they agree, else a bilingual message.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return (f"{name} 的类型应为 dict，实际为 {type(actual).__name__} / "
                    f"{name} should be a dict, got {type(actual).__name__}")
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            return (f"{name} 的键应为 {sorted(expected)}，实际为 {sorted(map(str, actual))} / "
                    f"{name} should have the keys {sorted(expected)}, got {sorted(map(str, actual))}")
        for key in expected:
            message = compare(expected[key], actual[key], f"{name}['{key}']", rtol, atol)
            if message:
                return message
        return None
    if isinstance(expected, tuple):
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            what = (f"长度为 {len(actual)} 的 {type(actual).__name__}"
                    if isinstance(actual, (tuple, list)) else type(actual).__name__)
            what_en = (f"a {type(actual).__name__} of length {len(actual)}"
                       if isinstance(actual, (tuple, list)) else type(actual).__name__)
            return (f"{name} 应为长度为 {len(expected)} 的 tuple，实际为 {what} / "
                    f"{name} should be a tuple of length {len(expected)}, got {what_en}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            message = compare(e, a, f"{name}[{i}]", rtol, atol)
            if message:
                return message
        return None
    if isinstance(expected, numbers.Integral) and not isinstance(expected, bool):
        if not isinstance(actual, numbers.Integral) or isinstance(actual, bool):
            return (f"{name} 应为整数，实际为 {type(actual).__name__} / "
                    f"{name} should be an integer, got {type(actual).__name__}")
        if actual != expected:
            return f"{name}：期望 {expected}，实际 {actual} / {name}: expected {expected}, got {actual}"
        return None
    if isinstance(expected, numbers.Real):
        if not isinstance(actual, numbers.Real) or isinstance(actual, bool):
            return (f"{name} 应为 float，实际为 {type(actual).__name__} / "
                    f"{name} should be a float, got {type(actual).__name__}")
        if not np.isclose(actual, expected, rtol=rtol, atol=atol):
            return (f"{name}：期望 {_fmt(expected)}，实际 {_fmt(actual)} / "
                    f"{name}: expected {_fmt(expected)}, got {_fmt(actual)}")
        return None
    expected = np.asarray(expected)
    if not isinstance(actual, np.ndarray):
        return (f"{name} 应为 numpy 数组，实际为 {type(actual).__name__} / "
                f"{name} should be a numpy array, got {type(actual).__name__}")
    if actual.shape != expected.shape:
        return (f"{name} 的形状应为 {expected.shape}，实际为 {actual.shape} / "
                f"{name} should have shape {expected.shape}, got {actual.shape}")
    if not (np.issubdtype(actual.dtype, np.number) or actual.dtype == np.bool_):
        return (f"{name} 应为数值数组，实际 dtype 为 {actual.dtype} / "
                f"{name} should be a numeric array, got dtype {actual.dtype}")
    close = np.isclose(actual.astype(np.float64), expected, rtol=rtol, atol=atol)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        e, a = expected[index], actual[index]
        return (f"{name}{list(index)}：期望 {_fmt(e)}，实际 {_fmt(a)} / "
                f"{name}{list(index)}: expected {_fmt(e)}, got {_fmt(a)}")
    return None


def _run(function, args, expected, name, **tolerances):
    message = compare(expected, function(*args), name, **tolerances)
    if message:
        raise Mismatch(message)
    print(PASSED)


# What the lesson prints for its test cases (the nn_model case excepted: see
# testCases.func_nn_model_test_case).
_SMALL_PARAMS = testCases._small_parameters()
LESSON = {
    "func_layer_sizes": (5, 4, 2),
    "func_initialize_parameters": {
        "W1": np.array([[0.0140356, -0.01123472, 0.00181204, 0.00371685, 0.00331453],
                        [0.00616523, -0.00719542, 0.00392973, -0.01472587, 0.01631223],
                        [0.00700217, -0.00210701, 0.00322235, 0.0085826, 0.01209621],
                        [-0.01813631, -0.01153197, 0.00429659, -0.00105094, 0.00331243]]),
        "b1": np.zeros((4, 1)),
        "W2": np.array([[0.00530549, 0.00229905, -0.00579193, -0.00166288],
                        [-0.00867708, 0.00637114, -0.00827742, -0.00441255]]),
        "b2": np.zeros((2, 1)),
    },
    "func_forward_propagation": (
        np.array([[0.50004521, 0.49988914, 0.49993832]]),
        {
            "Z1": np.array([[-0.00605859, 0.00449566, -0.00110208],
                            [-0.02388616, 0.02943629, 0.00624179],
                            [-0.0283006, 0.01735875, -0.00843933],
                            [0.00242969, -0.00977727, -0.00676625]]),
            "A1": np.array([[-0.00605851, 0.00449563, -0.00110208],
                            [-0.02388161, 0.02942779, 0.00624171],
                            [-0.02829305, 0.01735701, -0.00843913],
                            [0.00242968, -0.00977696, -0.00676615]]),
            "Z2": np.array([[0.00018085, -0.00044345, -0.00024671]]),
            "A2": np.array([[0.50004521, 0.49988914, 0.49993832]]),
        },
    ),
    "func_compute_cost": 0.6926644838406011,
    "func_backward_propagation": {
        "dW2": np.array([[-0.00013434, -0.03767573, 0.01092386, 0.02535612]]),
        "db2": np.array([[1.09982824]]),
        "dW1": np.array([[-0.00687442, -0.0060129],
                         [-0.00589216, -0.00516006],
                         [0.00358158, 0.00313207],
                         [0.01488723, 0.01302015]]),
        "db1": np.array([[-0.0116354], [-0.00998301], [0.00606112], [0.02519569]]),
    },
    "func_update_parameters": {
        "W1": np.array([[-0.006267, 0.01792921],
                        [-0.02352903, 0.03487509],
                        [-0.01676255, -0.01895725],
                        [0.00981865, -0.05423187]]),
        "b1": np.array([[-9.50308498e-07], [1.00646934e-05], [6.99888206e-07], [-2.81884090e-06]]),
        "W2": np.array([[-0.01042311, -0.04204123, 0.01670053, 0.04568113]]),
        "b2": np.array([[9.69415948e-05]]),
    },
    "func_predict": np.array([[1., 0., 0.]]),
}
# This course's nn_model test case (0/1 labels), as the notebook prints it.
NN_MODEL_TEST_CASE_OUTPUT = {
    "W1": np.array([[2.36245518, 0.75015587],
                    [-2.109338, -0.6703734],
                    [-1.25463265, -0.34705975],
                    [-1.48623633, -0.43954841]]),
    "b1": np.array([[0.61790818], [-0.5291284], [-0.22398347], [-0.30895257]]),
    "W2": np.array([[-4.08905805, 3.35818625, 1.57474738, 1.9790452]]),
    "b2": np.array([[-0.58067528]]),
}
_PRINTED = {"rtol": 1e-7, "atol": PRINTED_ATOL}


def check_layer_sizes(func_layer_sizes):
    """Check ``func_layer_sizes`` on the lesson's test case."""
    _run(func_layer_sizes, testCases.func_layer_sizes_test_case(),
         LESSON["func_layer_sizes"], "(n_x, n_h, n_y)")


def check_initialize_parameters(func_initialize_parameters):
    """Check ``func_initialize_parameters(5, 4, 2)``, the call the lesson prints."""
    _run(func_initialize_parameters, (5, 4, 2),
         LESSON["func_initialize_parameters"], "params", **_PRINTED)


def check_forward_propagation(func_forward_propagation):
    """Check ``func_forward_propagation`` on the lesson's test case."""
    _run(func_forward_propagation, testCases.func_forward_propagation_test_case(),
         LESSON["func_forward_propagation"], "(A2, cache)", **_PRINTED)


def check_compute_cost(func_compute_cost):
    """Check ``func_compute_cost`` on the lesson's test case."""
    a2, Y_assess, _ = testCases.func_compute_cost_test_case()
    _run(func_compute_cost, (a2, Y_assess), LESSON["func_compute_cost"], "cost", rtol=1e-9, atol=0)


def check_backward_propagation(func_backward_propagation):
    """Check ``func_backward_propagation`` on the lesson's test case."""
    _run(func_backward_propagation, testCases.func_backward_propagation_test_case(),
         LESSON["func_backward_propagation"], "grads", **_PRINTED)


def check_update_parameters(func_update_parameters):
    """Check ``func_update_parameters`` (default learning rate) on the lesson's test case."""
    _run(func_update_parameters, testCases.func_update_parameters_test_case(),
         LESSON["func_update_parameters"], "parameters", **_PRINTED)


def check_nn_model(func_nn_model):
    """Check ``func_nn_model`` (n_h=4, defaults otherwise) on this course's test case.

    It runs your own versions of the functions ``func_nn_model`` calls: if one
    of their checks fails, fix that one first.  (Grading tests
    ``func_nn_model`` with correct versions of them.)
    """
    X_assess, Y_assess = testCases.func_nn_model_test_case()
    try:
        _run(lambda X, Y: func_nn_model(X, Y, n_h=4), (X_assess, Y_assess),
             NN_MODEL_TEST_CASE_OUTPUT, "parameters", **_PRINTED)
    except Mismatch as exc:
        raise Mismatch(f"{exc}\n（此检查使用你自己的其他函数，请先让它们的自检通过 / this check runs your own "
                       f"versions of the functions func_nn_model calls: make their checks pass first）") from None


def check_predict(func_predict):
    """Check ``func_predict`` on the lesson's test case."""
    _run(func_predict, testCases.func_predict_test_case(), LESSON["func_predict"], "preds")
