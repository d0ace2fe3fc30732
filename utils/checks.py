"""Public self-checks for the L1W3 exercises (``checks``).

Each ``check_*`` function runs one exercise first on the lesson's test case
(compared with what the lesson prints), then on extra public cases chosen
where the lesson's case cannot see a mistake: non-zero biases, a hidden layer
of other than 4 units, other shapes, a learning rate other than 0.5, a few
epochs, an output of exactly 0.5.  Their inputs are in ``testCases.py``
(``func_*_extra_case``), their expected results below, as plain numbers.

On the first problem a check raises :class:`Mismatch`, whose message, in
Chinese and English, names the exercise, the case, the variable as the
notebook names it (``A2``, ``cache['Z1']``, ``grads['dW1']``), the expected and
actual shape or the first mismatching element with both values, and, where
the mistake is a common one, a hint.  In Jupyter the message is the whole
error output (no traceback into this file).  Otherwise a check prints one
"all tests passed" line.

The same comparison (:func:`compare`) is used by the grader to judge the
hidden tests, so a failed hidden test is explained in the same terms.
"""
import math
import numbers
import os
import re
import traceback

import numpy as np

import testCases
from planar_utils import func_sigmoid

# The lesson prints arrays to 8 decimals: a correct result is within half a
# unit of the last printed digit of each element.
PRINTED_ATOL = 5e-9 + 1e-12
# Agreement with a reference computed at full precision: loose enough for
# any correct floating-point ordering, tight enough for subtle mistakes.
RTOL = 1e-6
ATOL = 1e-10

PASSED = "所有测试通过 / All tests passed"

KINDS = ("type", "shape", "keys", "length", "values", "dtype")


class Problem(str):
    """How a result differs from the expected one: a bilingual message.

    A ``str`` (the message), with the category of the difference and the
    element it concerns, so that callers can act on them without parsing.

    Parameters
    ----------
    text : str
        The bilingual message.
    kind : str
        One of :data:`KINDS`: ``"type"``, ``"shape"``, ``"keys"``,
        ``"length"``, ``"values"`` or ``"dtype"``.
    variable : str
        The element that differs, as the notebook names it, e.g.
        ``"grads['dW1']"`` or ``"A2"``.
    index : tuple of int or None
        For ``kind="values"`` on an array, the first mismatching element.
    """

    def __new__(cls, text, kind, variable, index=None):
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        self = super().__new__(cls, text)
        self.kind = kind
        self.variable = variable
        self.index = index
        return self

    def __reduce__(self):
        # The grader may send a Problem between processes.
        return (Problem, (str(self), self.kind, self.variable, self.index))


class Mismatch(AssertionError):
    """A self-check failed; the message (Chinese, then English) says where and why.

    Parameters
    ----------
    message : str
        The whole bilingual message.
    exercise : str, optional
        The exercise checked, e.g. ``"func_backward_propagation"``.
    case : str, optional
        The English label of the public case that failed.
    problem : Problem or None, optional
        The difference found (``None`` when a callee's check failed).
    hints : tuple of str, optional
        The hints appended to the message.
    """

    def __init__(self, message, exercise=None, case=None, problem=None, hints=()):
        super().__init__(message)
        self.exercise = exercise
        self.case = case
        self.problem = problem
        self.hints = tuple(hints)

    def _render_traceback_(self):
        # IPython calls this instead of formatting a traceback, and the
        # kernel stores the lines as the error output: the student sees the
        # message alone, not frames of this file.
        return str(self).splitlines()


def _fmt(x):
    return np.format_float_positional(x, precision=10, unique=True, trim="-") \
        if isinstance(x, (float, np.floating)) else repr(x)


def _element_names(name, n):
    """``"(A2, cache)"`` names its elements ``A2`` and ``cache``; other names get ``name[i]``."""
    match = re.fullmatch(r"\(\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)\s*\)", name)
    if match:
        names = [part.strip() for part in match.group(1).split(",")]
        if len(names) == n:
            return names
    return [f"{name}[{i}]" for i in range(n)]


def _type_name(value):
    return type(value).__name__


def _diff(expected, actual, name, rtol, atol):
    """Return ``(problem, expected_part, actual_part)`` for the first difference, or ``None``."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return (Problem(f"{name} 的类型应为 dict，实际为 {_type_name(actual)} / "
                            f"{name} should be a dict, got {_type_name(actual)}", "type", name),
                    expected, actual)
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            got = sorted(map(str, actual))
            return (Problem(f"{name} 的键应为 {sorted(expected)}，实际为 {got} / "
                            f"{name} should have the keys {sorted(expected)}, got {got}", "keys", name),
                    expected, actual)
        for key in expected:
            found = _diff(expected[key], actual[key], f"{name}['{key}']", rtol, atol)
            if found:
                return found
        return None
    if isinstance(expected, tuple):
        if not isinstance(actual, (tuple, list)):
            return (Problem(f"{name} 应为长度为 {len(expected)} 的 tuple，实际为 {_type_name(actual)} / "
                            f"{name} should be a tuple of length {len(expected)}, got {_type_name(actual)}",
                            "type", name), expected, actual)
        if len(actual) != len(expected):
            return (Problem(f"{name} 应为长度为 {len(expected)} 的 tuple，实际为长度为 {len(actual)} 的 "
                            f"{_type_name(actual)} / {name} should be a tuple of length {len(expected)}, "
                            f"got a {_type_name(actual)} of length {len(actual)}", "length", name),
                    expected, actual)
        for element, e, a in zip(_element_names(name, len(expected)), expected, actual):
            found = _diff(e, a, element, rtol, atol)
            if found:
                return found
        return None
    if isinstance(expected, numbers.Integral) and not isinstance(expected, bool):
        if not isinstance(actual, numbers.Integral) or isinstance(actual, bool):
            return (Problem(f"{name} 应为整数，实际为 {_type_name(actual)} / "
                            f"{name} should be an integer, got {_type_name(actual)}", "type", name),
                    expected, actual)
        if actual != expected:
            return (Problem(f"{name}：期望 {expected}，实际 {actual} / {name}: expected {expected}, got {actual}",
                            "values", name), expected, actual)
        return None
    if isinstance(expected, numbers.Real):
        if not isinstance(actual, numbers.Real) or isinstance(actual, bool):
            return (Problem(f"{name} 应为 float，实际为 {_type_name(actual)} / "
                            f"{name} should be a float, got {_type_name(actual)}", "type", name),
                    expected, actual)
        if not np.isclose(actual, expected, rtol=rtol, atol=atol):
            return (Problem(f"{name}：期望 {_fmt(expected)}，实际 {_fmt(actual)} / "
                            f"{name}: expected {_fmt(expected)}, got {_fmt(actual)}", "values", name),
                    expected, actual)
        return None
    expected = np.asarray(expected)
    if not isinstance(actual, np.ndarray):
        return (Problem(f"{name} 应为 numpy 数组，实际为 {_type_name(actual)} / "
                        f"{name} should be a numpy array, got {_type_name(actual)}", "type", name),
                expected, actual)
    if actual.shape != expected.shape:
        return (Problem(f"{name} 的形状应为 {expected.shape}，实际为 {actual.shape} / "
                        f"{name} should have shape {expected.shape}, got {actual.shape}", "shape", name),
                expected, actual)
    if not (np.issubdtype(actual.dtype, np.number) or actual.dtype == np.bool_):
        return (Problem(f"{name} 应为数值数组，实际 dtype 为 {actual.dtype} / "
                        f"{name} should be a numeric array, got dtype {actual.dtype}", "dtype", name),
                expected, actual)
    close = np.isclose(actual.astype(np.float64), expected, rtol=rtol, atol=atol)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        e, a = expected[index], actual[index]
        where = f"{name}{list(index)}" if index else name
        return (Problem(f"{where}：期望 {_fmt(e)}，实际 {_fmt(a)} / {where}: expected {_fmt(e)}, got {_fmt(a)}",
                        "values", name, index), expected, actual)
    return None


def compare(expected, actual, name, rtol=RTOL, atol=ATOL):
    """Compare ``actual`` with ``expected``; describe the first difference.

    Parameters
    ----------
    expected : float, int, tuple, dict or ndarray
        The correct value (nested tuples and dicts are compared element-wise).
    actual : object
        What the student's function returned.
    name : str
        The variable's name, used in the message.  A tuple of names such as
        ``"(A2, cache)"`` names the elements of a tuple (``A2``,
        ``cache['Z1']``); any other name is indexed (``name[0]``).
    rtol, atol : float
        Tolerances for floating-point values, as in ``numpy.isclose``.

    Returns
    -------
    problem : Problem or None
        ``None`` when they agree, else the bilingual message, with the
        attributes ``kind`` and ``variable``.
    """
    found = _diff(expected, actual, name, rtol, atol)
    return found[0] if found else None


# ---------------------------------------------------------------------------
# Expected results.

# What the lesson prints for its test cases (the nn_model case excepted: see
# testCases.func_nn_model_test_case).
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
_FULL = {"rtol": RTOL, "atol": ATOL}

# What a correct solution returns for the extra public cases (testCases.func_*_extra_case).
# Computed once with the source notebook's solution cells (numpy 2.4.6) and
# written out with Python's repr, which round-trips every float;
# grader_tests/test_selfchecks.py recomputes them, so they cannot go stale.
_EXTRA_CACHE = testCases.func_backward_propagation_extra_case()[1]
EXTRA = {
    "func_layer_sizes": (6, 4, 3),
    "func_initialize_parameters": {
        "W1": np.array([[0.014035602015259156, -0.011234719222350422],
                        [0.0018120356300021876, 0.0037168502546007383],
                        [0.0033145303857371688, 0.006165230856378887]]),
        "b1": np.array([[0.0], [0.0], [0.0]]),
        "W2": np.array([[-0.007195419916309528, 0.003929734083022528, -0.014725874844053228]]),
        "b2": np.array([[0.0]]),
    },
    # Forward propagation of the extra case is the cache of backward propagation's extra case.
    "func_forward_propagation": (_EXTRA_CACHE["A2"], _EXTRA_CACHE),
    "func_compute_cost": 0.3427597855517686,
    "func_backward_propagation": {
        "dW2": np.array([[0.141107321040693, -0.037483359255871415]]),
        "db2": np.array([[0.17888604478630826]]),
        "dW1": np.array([[-0.06811568596026005, 0.006042357263315846, 0.06892979856599148],
                         [-0.011285317715448304, 0.13328774108620994, -0.11560908724920513]]),
        "db1": np.array([[0.006924452922018034], [-0.12444813579037925]]),
    },
    "func_update_parameters": {
        "W1": np.array([[0.788, -1.0950000000000002, 0.37],
                        [-0.575, 0.892, 1.314]]),
        "b1": np.array([[0.493], [-0.6779999999999999]]),
        "W2": np.array([[1.631, -0.918]]),
        "b2": np.array([[-0.309]]),
    },
    "func_nn_model": {
        "W1": np.array([[0.012568969237857282, -0.00968941239135407, 0.001080641391420819],
                        [0.00595280942985697, 0.0009946941723834191, 0.007255212024965741]]),
        "b1": np.array([[-0.0007922248939282577], [0.0009503301313612988]]),
        "W2": np.array([[0.004688237031017312, 0.006365317512939094]]),
        "b2": np.array([[0.2138917691153972]]),
    },
    "func_predict": np.array([[1.0, 0.0, 0.0, 0.0, 0.0]]),
}
# What backward propagation returns with the tanh derivative written 1 - A1
# instead of 1 - A1**2 (the most common mistake there), so that a check can
# name it.  Computed once, as EXTRA, from the solution cell with that one edit
# (grader_tests/mutants.py: backward_tanh_derivative_1_minus_a); the test
# file recomputes them.
TANH_DERIVATIVE_1_MINUS_A = {
    "lesson": {
        "dW1": np.array([[-0.006908353698958442, -0.0060076225783676235],
                         [-0.00621644427736523, -0.00533285224364757],
                         [0.0036285052263692386, 0.0030863004955786902],
                         [0.014529646553582314, 0.012715649028365653]]),
        "db1": np.array([[-0.011637076038800102], [-0.010340002012195749],
                         [0.0060048067623407], [0.024629135706895733]]),
    },
    "extra": {
        "dW1": np.array([[-0.07123512009514364, 0.05140765022263608, 0.0762184213477465],
                         [0.09017922646818839, 0.37749485925315085, -0.3377242845660072]]),
        "db1": np.array([[0.060445957992984384], [-0.19473246363796173]]),
    },
}


# ---------------------------------------------------------------------------
# Public cases.


class _Case:
    """One public case of an exercise: its inputs, how it is called, what it must give.

    ``inputs`` builds fresh arrays on every call, so a function that changes
    its arguments in place cannot change the next case or a hint's numbers.
    """

    def __init__(self, key, label, call, inputs, expected, tolerances=_FULL, kwargs=None,
                 half_columns=()):
        self.key = key                    # "lesson" or "extra"
        self.label_zh, self.label_en = label
        self.call = call                  # how to reproduce it, as the student would type it
        self.inputs = inputs              # () -> tuple of positional arguments
        self.kwargs = dict(kwargs or {})
        self.expected = expected
        self.tolerances = tolerances
        self.half_columns = half_columns  # func_predict: examples whose A2 is exactly 0.5

    def arguments(self):
        """Return fresh ``(args, kwargs)`` for one call."""
        return tuple(self.inputs()), {k: v for k, v in self.kwargs.items()}


_LESSON_LABEL = ("课程的测试用例", "the lesson's test case")
_BENT_TANH = ("非零偏置，tanh 明显非线性（n_x=3, n_h=2, m=4）",
              "non-zero biases, tanh far from linear (n_x=3, n_h=2, m=4)")

CASES = {
    "func_layer_sizes": (
        _Case("lesson", _LESSON_LABEL, "func_layer_sizes(*func_layer_sizes_test_case())",
              testCases.func_layer_sizes_test_case, LESSON["func_layer_sizes"]),
        _Case("extra", ("特征数多于样本数（n_x=6, n_y=3, m=2）", "more features than examples (n_x=6, n_y=3, m=2)"),
              "func_layer_sizes(*testCases.func_layer_sizes_extra_case())",
              testCases.func_layer_sizes_extra_case, EXTRA["func_layer_sizes"]),
    ),
    "func_initialize_parameters": (
        _Case("lesson", ("课程打印的调用", "the call the lesson prints"), "func_initialize_parameters(5, 4, 2)",
              lambda: (5, 4, 2), LESSON["func_initialize_parameters"], _PRINTED),
        _Case("extra", ("另一组层大小（n_x=2, n_h=3, n_y=1）", "other layer sizes (n_x=2, n_h=3, n_y=1)"),
              "func_initialize_parameters(2, 3, 1)",
              testCases.func_initialize_parameters_extra_case, EXTRA["func_initialize_parameters"]),
    ),
    "func_forward_propagation": (
        _Case("lesson", _LESSON_LABEL, "func_forward_propagation(*func_forward_propagation_test_case())",
              testCases.func_forward_propagation_test_case, LESSON["func_forward_propagation"], _PRINTED),
        _Case("extra", _BENT_TANH,
              "func_forward_propagation(*testCases.func_forward_propagation_extra_case())",
              testCases.func_forward_propagation_extra_case, EXTRA["func_forward_propagation"]),
    ),
    "func_compute_cost": (
        # The lesson prints the cost to every digit.
        _Case("lesson", _LESSON_LABEL, "func_compute_cost(*func_compute_cost_test_case()[:2])",
              lambda: testCases.func_compute_cost_test_case()[:2], LESSON["func_compute_cost"],
              {"rtol": 1e-9, "atol": 0}),
        _Case("extra", ("0/1 标签（m=5）", "0/1 labels (m=5)"),
              "func_compute_cost(*testCases.func_compute_cost_extra_case())",
              testCases.func_compute_cost_extra_case, EXTRA["func_compute_cost"]),
    ),
    "func_backward_propagation": (
        _Case("lesson", _LESSON_LABEL, "func_backward_propagation(*func_backward_propagation_test_case())",
              testCases.func_backward_propagation_test_case, LESSON["func_backward_propagation"], _PRINTED),
        _Case("extra", _BENT_TANH,
              "func_backward_propagation(*testCases.func_backward_propagation_extra_case())",
              testCases.func_backward_propagation_extra_case, EXTRA["func_backward_propagation"]),
    ),
    "func_update_parameters": (
        _Case("lesson", ("课程的测试用例（默认学习率 lr=0.5）", "the lesson's test case (default learning rate lr=0.5)"),
              "func_update_parameters(*func_update_parameters_test_case())",
              testCases.func_update_parameters_test_case, LESSON["func_update_parameters"], _PRINTED),
        _Case("extra", ("学习率 lr=0.1，非零偏置", "learning rate lr=0.1, non-zero biases"),
              "func_update_parameters(*testCases.func_update_parameters_extra_case(), lr=0.1)",
              testCases.func_update_parameters_extra_case, EXTRA["func_update_parameters"],
              kwargs={"lr": 0.1}),
    ),
    "func_nn_model": (
        _Case("lesson", ("课程的测试用例（n_h=4，其余为默认值）", "the lesson's test case (n_h=4, defaults otherwise)"),
              "func_nn_model(*func_nn_model_test_case(), n_h=4)",
              testCases.func_nn_model_test_case, NN_MODEL_TEST_CASE_OUTPUT, _PRINTED, kwargs={"n_h": 4}),
        _Case("extra", ("n_h=2，lr=0.9，3 轮", "n_h=2, lr=0.9, 3 epochs"),
              "func_nn_model(*testCases.func_nn_model_extra_case(), n_h=2, lr=0.9, num_epochs=3)",
              testCases.func_nn_model_extra_case, EXTRA["func_nn_model"],
              kwargs={"n_h": 2, "lr": 0.9, "num_epochs": 3}),
    ),
    "func_predict": (
        _Case("lesson", _LESSON_LABEL, "func_predict(*func_predict_test_case())",
              testCases.func_predict_test_case, LESSON["func_predict"]),
        _Case("extra", ("两个类别，且有一个输出恰为 0.5", "both classes, and one output exactly 0.5"),
              "func_predict(*testCases.func_predict_extra_case())",
              testCases.func_predict_extra_case, EXTRA["func_predict"], half_columns=(2,)),
    ),
}

# The variable each exercise returns, as the notebook names it.
RESULT_NAMES = {
    "func_layer_sizes": "(n_x, n_h, n_y)",
    "func_initialize_parameters": "params",
    "func_forward_propagation": "(A2, cache)",
    "func_compute_cost": "cost",
    "func_backward_propagation": "grads",
    "func_update_parameters": "parameters",
    "func_nn_model": "parameters",
    "func_predict": "preds",
}


def _diff_result(exercise, expected, actual, tolerances):
    if (exercise == "func_forward_propagation" and isinstance(actual, (tuple, list))
            and len(actual) == 2):
        # The cache first, in the order of computation (Z1, A1, Z2, A2): the
        # first variable that differs is where the mistake is.
        return (_diff(expected[1], actual[1], "cache", **tolerances)
                or _diff(expected[0], actual[0], "A2", **tolerances))
    return _diff(expected, actual, RESULT_NAMES[exercise], **tolerances)


# ---------------------------------------------------------------------------
# Hints: each is a (Chinese, English) pair, given where a mistake is recognisable.


def _close(actual, target, tolerances):
    try:
        actual = np.asarray(actual, dtype=np.float64)
        target = np.asarray(target, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return actual.shape == target.shape and bool(np.allclose(actual, target, **tolerances))


def _times(actual, expected, factor, tolerances):
    """Whether ``actual`` is ``factor * expected``, allowing for the expected value's own rounding."""
    scaled = {"rtol": tolerances["rtol"], "atol": tolerances["atol"] * (1 + abs(factor))}
    return _close(actual, factor * np.asarray(expected, dtype=np.float64), scaled)


def _generic_hints(case, problem, expected, actual, m=None):
    hints = []
    if problem.kind == "shape":
        if actual.ndim == 2 and expected.ndim == 2 and actual.shape == expected.shape[::-1]:
            hints.append(("形状正好是转置：检查矩阵乘积中因子的顺序，以及是否多了或少了 .T",
                          "the shape is the transpose: check the order of the factors of the matrix "
                          "product and a missing or extra .T"))
        elif actual.shape == tuple(d for d in expected.shape if d != 1):
            hints.append(("少了一个长度为 1 的维度：求和时用 keepdims=True，或 reshape",
                          "a dimension of length 1 is missing: sum with keepdims=True, or reshape"))
    if problem.kind != "values":
        return hints
    try:
        e = np.asarray(expected, dtype=np.float64)
        a = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return hints
    if e.shape != a.shape or not np.all(np.isfinite(a)) or np.allclose(e, 0):
        return hints
    tol = case.tolerances
    if _times(a, e, -1, tol):
        hints.append(("符号反了：你的结果正好是期望值的相反数",
                      "the sign is flipped: your result is exactly minus the expected one"))
    elif m and m != 1 and _times(a, e, m, tol):
        hints.append((f"你的结果正好是期望值的 m={m} 倍：是否少了 1/m？",
                      f"your result is exactly m={m} times the expected one: is 1/m missing?"))
    elif m and m != 1 and _times(a, e, 1 / m, tol):
        hints.append((f"你的结果正好是期望值的 1/m（m={m}）：是否除了两次 m？",
                      f"your result is exactly 1/m (m={m}) of the expected one: divided by m twice?"))
    elif e.size > 1:
        k = np.unravel_index(np.argmax(np.abs(e)), e.shape)
        factor = a[k] / e[k]
        if not np.isclose(factor, 1) and factor != 0 and _times(a, e, factor, tol):
            hints.append((f"每个元素都正好是期望值的 {factor:.6g} 倍：检查常数因子",
                          f"every element is exactly {factor:.6g} times the expected one: "
                          f"check the constant factors"))
    return hints


def _hints_layer_sizes(case, problem, expected, actual, result):
    X, Y = case.arguments()[0]
    name = problem.variable
    if problem.kind != "values" or name not in ("n_x", "n_y"):
        return []
    source, arr = ("X", X) if name == "n_x" else ("Y", Y)
    if actual == arr.shape[1]:
        return [(f"{name} 等于 {source}.shape[1]，即样本数 m；层的大小是行数",
                 f"{name} equals {source}.shape[1], the number of examples m; "
                 f"a layer's size is a number of rows")]
    if name == "n_y" and actual == X.shape[0]:
        return [("n_y 等于 X 的行数：输出层的大小来自 Y", "n_y equals the number of rows of X: the output "
                 "layer's size comes from Y")]
    return []


def _hints_initialize_parameters(case, problem, expected, actual, result):
    if problem.kind != "values":
        return []
    if np.all(expected == 0):
        return [("偏置初始化为零：np.zeros((n, 1))", "biases start at zero: np.zeros((n, 1))")]
    if (expected.shape[0] != expected.shape[1]
            and _close(np.asarray(actual, dtype=np.float64).T.reshape(expected.shape), expected,
                       case.tolerances)):
        return [("数是对的，但抽取时用了转置的形状：直接按 (行, 列) = (n_h, n_x) 或 (n_y, n_h) 抽取",
                 "the right numbers, drawn in the transposed shape: draw (rows, columns) = "
                 "(n_h, n_x) or (n_y, n_h) directly")]
    return []


def _hints_forward_propagation(case, problem, expected, actual, result):
    if problem.kind != "values":
        return []
    parameters = case.arguments()[0][1]
    name = problem.variable
    cache = result[1] if isinstance(result[1], dict) else {}
    for z, b in (("Z1", "b1"), ("Z2", "b2")):
        if name == f"cache['{z}']" and not np.allclose(parameters[b], 0):
            bias = parameters[b]
            if _close(actual, expected - bias, case.tolerances):
                return [(f"{z} 少了偏置 {b}", f"{z} is missing the bias + {b}")]
            if _close(actual, expected - 2 * bias, case.tolerances):
                return [(f"{z} 减去了偏置 {b}，应当加上", f"{z} subtracts the bias {b}; add it")]
    tol = case.tolerances
    if name == "cache['A1']" and "Z1" in cache:
        Z1 = np.asarray(cache["Z1"], dtype=np.float64)
        if _close(actual, Z1, tol):
            return [("A1 等于 Z1：隐藏层缺少激活函数 tanh", "A1 equals Z1: the hidden layer's activation, tanh, "
                     "is missing")]
        if _close(actual, func_sigmoid(Z1), tol):
            return [("隐藏层用了 sigmoid：隐藏层用 tanh，输出层用 sigmoid",
                     "sigmoid on the hidden layer: the hidden layer uses tanh, the output layer sigmoid")]
        if _close(actual, np.maximum(0, Z1), tol):
            return [("隐藏层用了 ReLU：本课的隐藏层用 tanh", "ReLU on the hidden layer: this lesson's hidden "
                     "layer uses tanh")]
    if name in ("cache['A2']", "A2") and "Z2" in cache:
        Z2 = np.asarray(cache["Z2"], dtype=np.float64)
        if _close(actual, np.tanh(Z2), tol):
            return [("输出层用了 tanh：输出层用 sigmoid", "tanh on the output layer: the output layer uses sigmoid")]
        if _close(actual, func_sigmoid(-Z2), tol):
            return [("sigmoid 的符号反了：sigmoid(z) = 1 / (1 + exp(-z))",
                     "the sign in the sigmoid is flipped: sigmoid(z) = 1 / (1 + exp(-z))")]
    return []


def _hints_compute_cost(case, problem, expected, actual, result):
    if (problem.kind == "values" and isinstance(actual, numbers.Real)
            and math.isclose(actual, expected / math.log(10), rel_tol=1e-6)):
        return [("像是用了 np.log10：交叉熵用自然对数 np.log", "looks like np.log10: the cross-entropy uses "
                 "the natural logarithm, np.log")]
    return []


def _hints_backward_propagation(case, problem, expected, actual, result):
    parameters, _, X, _ = case.arguments()[0]
    m = X.shape[1]
    name = problem.variable
    if problem.kind == "shape" and name in ("grads['db1']", "grads['db2']") and actual.shape == (1, m):
        return [("偏置的梯度要对样本求和（axis=1），不是 axis=0",
                 "a bias gradient sums over the examples (axis=1), not axis=0")]
    if problem.kind != "values":
        return []
    key = name[len("grads['"):-2]
    wrong = TANH_DERIVATIVE_1_MINUS_A[case.key].get(key)
    if wrong is not None and _close(actual, wrong, _FULL):
        return [("tanh 的导数写成了 1 - A1：应为 1 - A1²，即 1 - np.power(A1, 2)",
                 "the tanh derivative is written 1 - A1: it is 1 - A1², i.e. 1 - np.power(A1, 2)")]
    n_x = X.shape[0]
    if n_x != m and _times(actual, expected, m / n_x, case.tolerances):
        return [(f"你的结果正好是期望值的 m/n_x = {m}/{n_x} 倍：m 应为样本数 X.shape[1]",
                 f"your result is exactly m/n_x = {m}/{n_x} times the expected one: m is the number "
                 f"of examples, X.shape[1]")]
    if key in ("dW1", "db1") and not _generic_hints(case, problem, expected, actual, m):
        return [("dW2 和 db2 是对的，问题在 dZ1：W2ᵀ·dZ2 逐元素乘以 tanh 的导数 1 - A1²",
                 "dW2 and db2 are right, so look at dZ1: W2ᵀ·dZ2 times, element-wise, the tanh "
                 "derivative 1 - A1²")]
    return []


def _hints_update_parameters(case, problem, expected, actual, result):
    if problem.kind != "values":
        return []
    parameters, _ = case.arguments()[0]
    lr = case.kwargs.get("lr", 0.5)
    key = problem.variable[len("parameters['"):-2]
    before = parameters[key]
    tol = case.tolerances
    if _close(actual, before, tol):
        return [(f"parameters['{key}'] 没有更新：返回的是更新前的值",
                 f"parameters['{key}'] was not updated: the value returned is the one before the step")]
    step, expected_step = np.asarray(actual, dtype=np.float64) - before, expected - before
    if _times(step, expected_step, -1, tol):
        return [(f"更新方向反了：梯度下降是减去 lr * d{key}",
                 f"the step goes the wrong way: gradient descent subtracts lr * d{key}")]
    k = np.unravel_index(np.argmax(np.abs(expected_step)), expected_step.shape)
    factor = step[k] / expected_step[k]
    if _times(step, expected_step, factor, tol):
        used = lr * factor
        if np.isclose(used, 1):
            return [("更新时没有乘学习率 lr", "the step is not multiplied by the learning rate lr")]
        return [(f"你的步长对应学习率 {used:.6g}，而 lr={lr:g}：请使用参数 lr",
                 f"your step corresponds to a learning rate of {used:.6g}, but lr={lr:g}: use the "
                 f"argument lr")]
    return []


def _hints_nn_model(case, problem, expected, actual, result, func):
    if problem.kind == "shape":
        n_h = case.kwargs["n_h"]
        if n_h != 4 and 4 in actual.shape and n_h not in actual.shape:
            return [(f"隐藏层有 4 个单元而不是 n_h={n_h}：func_layer_sizes 返回的 4 是课程的默认值，"
                     f"初始化时要用参数 n_h",
                     f"the hidden layer has 4 units, not n_h={n_h}: the 4 that func_layer_sizes returns "
                     f"is the lesson's default; initialize with the argument n_h")]
        return []
    if problem.kind != "values":
        return []
    # Run the student's function again on the cheap extra case with one
    # argument changed: an ignored argument leaves the result unchanged.
    extra = CASES["func_nn_model"][-1]

    def run(**changes):
        args, kwargs = extra.arguments()
        try:
            return func(*args, **{**kwargs, **changes})
        except Exception:  # a hint must not hide the mismatch itself
            return None

    def same(value, reference):
        return value is not None and reference is not None and \
            _diff(reference, value, "parameters", **_FULL) is None

    base = result if case is extra else run()
    if not isinstance(base, dict):
        return []
    hints = []
    epochs, lr = extra.kwargs["num_epochs"], extra.kwargs["lr"]
    fewer = run(num_epochs=epochs - 1)
    if same(fewer, base):
        hints.append(("结果不随 num_epochs 改变：循环要运行 num_epochs 轮，并把每轮更新后的参数带入下一轮",
                      "the result does not change when num_epochs does: loop num_epochs times and carry "
                      "each epoch's updated parameters into the next"))
    elif same(fewer, extra.expected):
        hints.append(("多跑了一轮：num_epochs - 1 轮给出了 num_epochs 轮应有的结果",
                      "one epoch too many: num_epochs - 1 gives what num_epochs should"))
    elif same(run(num_epochs=epochs + 1), extra.expected):
        hints.append(("少跑了一轮：num_epochs + 1 轮给出了 num_epochs 轮应有的结果",
                      "one epoch too few: num_epochs + 1 gives what num_epochs should"))
    # Each probe of a function that ignores num_epochs costs its full run:
    # one hint at a time is enough.
    if not hints and same(run(lr=lr / 2), base):
        hints.append(("结果不随 lr 改变：把 lr 传给 func_update_parameters",
                      "the result does not change when lr does: pass lr on to func_update_parameters"))
    return hints


def _hints_predict(case, problem, expected, actual, result):
    if problem.kind != "values":
        return []
    index = problem.index
    if index is not None and index[-1] in case.half_columns and actual[index] == 1:
        return [("这个样本的 A2 恰为 0.5，应预测 0：条件是 A2 > 0.5，不是 A2 >= 0.5",
                 "this example's A2 is exactly 0.5, which predicts 0: the rule is A2 > 0.5, not A2 >= 0.5")]
    values = np.asarray(actual, dtype=np.float64)
    if not np.all((values == 0) | (values == 1)):
        return [("preds 应只含 0 和 1：以 0.5 为阈值处理 A2", "preds must hold only 0 and 1: threshold A2 at 0.5")]
    return []


_HINTS = {
    "func_layer_sizes": _hints_layer_sizes,
    "func_initialize_parameters": _hints_initialize_parameters,
    "func_forward_propagation": _hints_forward_propagation,
    "func_compute_cost": _hints_compute_cost,
    "func_backward_propagation": _hints_backward_propagation,
    "func_update_parameters": _hints_update_parameters,
    "func_predict": _hints_predict,
}


def _scale_m(exercise, case):
    """The number of examples, where a missing or doubled 1/m is a common mistake."""
    args = case.arguments()[0]
    if exercise == "func_compute_cost":
        return args[1].shape[1]
    if exercise == "func_backward_propagation":
        return args[2].shape[1]
    return None


def _hints(exercise, case, problem, expected, actual, result, func):
    try:
        if exercise == "func_nn_model":
            hints = _hints_nn_model(case, problem, expected, actual, result, func)
        else:
            hints = _HINTS[exercise](case, problem, expected, actual, result)
        generic = _generic_hints(case, problem, expected, actual, _scale_m(exercise, case))
    except Exception:  # a hint is a bonus: never let it replace the message
        return []
    return hints + [h for h in generic if h not in hints]


# ---------------------------------------------------------------------------
# Running the checks.


def _used_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _used_names(const)
    return names


def _check_callees(exercise, func, active):
    """Run the checks of the exercises ``func`` calls; raise if one fails."""
    code, namespace = getattr(func, "__code__", None), getattr(func, "__globals__", None)
    if code is None or not isinstance(namespace, dict):
        return
    used = _used_names(code)
    for callee in CASES:
        if callee in active or callee not in used or callee not in namespace:
            continue
        try:
            _verify(callee, namespace[callee], active)
        except Exception as exc:
            detail = str(exc) if isinstance(exc, Mismatch) else f"{type(exc).__name__}: {exc}"
            message = "\n".join(
                [f"{exercise} 调用的 {callee} 未通过自检，请先修正它 / "
                 f"{exercise} calls {callee}, which fails its own self-check: fix that first"]
                + ["    " + line for line in detail.splitlines()])
            raise Mismatch(message, exercise, None, getattr(exc, "problem", None)) from None


def _header(exercise, case):
    return (f"{exercise} 未通过公开自检，用例：{case.label_zh} / "
            f"{exercise} fails its public self-check, case: {case.label_en}")


def _student_frames(exc):
    """The traceback of ``exc`` below this file's frames: where in the student's code it happened."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    if not frames:
        return []
    return ["出错位置 / where:"] + [line.rstrip("\n") for line in traceback.format_list(frames)]


def _verify(exercise, func, active=frozenset()):
    """Run every public case of ``exercise`` on ``func``; raise :class:`Mismatch` on the first problem."""
    active = active | {exercise}
    _check_callees(exercise, func, active)
    for case in CASES[exercise]:
        args, kwargs = case.arguments()
        try:
            result = func(*args, **kwargs)
        except Mismatch:
            raise
        except Exception as exc:
            lines = [_header(exercise, case),
                     f"调用时出错 / the call raised {type(exc).__name__}: {exc}",
                     f"输入 / inputs: {case.call}"]
            raise Mismatch("\n".join(lines + _student_frames(exc)), exercise, case.label_en) from None
        found = _diff_result(exercise, case.expected, result, case.tolerances)
        if found:
            problem, expected, actual = found
            hints = _hints(exercise, case, problem, expected, actual, result, func)
            lines = [_header(exercise, case), str(problem), f"输入 / inputs: {case.call}"]
            lines += [f"提示：{zh} / Hint: {en}" for zh, en in hints]
            raise Mismatch("\n".join(lines), exercise, case.label_en, problem, [en for _, en in hints])


def _check(exercise, func):
    # The lesson's functions reseed numpy on purpose; the extra cases and the
    # callees' checks call them more often than the lesson did, so the global
    # random state is put back: a check changes nothing later cells draw.
    state = np.random.get_state()
    try:
        _verify(exercise, func)
    except Mismatch as exc:
        # Raised afresh here, without the chain of internal frames.
        raise exc.with_traceback(None) from None
    finally:
        np.random.set_state(state)
    print(PASSED)


def check_layer_sizes(func_layer_sizes):
    """Check ``func_layer_sizes`` on the lesson's test case, then with more features than examples.

    Parameters
    ----------
    func_layer_sizes : callable
        Your function.

    Raises
    ------
    Mismatch
        On the first difference, with a bilingual message.
    """
    _check("func_layer_sizes", func_layer_sizes)


def check_initialize_parameters(func_initialize_parameters):
    """Check ``func_initialize_parameters(5, 4, 2)`` (the call the lesson prints), then ``(2, 3, 1)``.

    Parameters
    ----------
    func_initialize_parameters : callable
        Your function.

    Raises
    ------
    Mismatch
        On the first difference, with a bilingual message.
    """
    _check("func_initialize_parameters", func_initialize_parameters)


def check_forward_propagation(func_forward_propagation):
    """Check ``func_forward_propagation`` on the lesson's test case, then with non-zero biases.

    Parameters
    ----------
    func_forward_propagation : callable
        Your function.

    Raises
    ------
    Mismatch
        On the first difference, with a bilingual message.
    """
    _check("func_forward_propagation", func_forward_propagation)


def check_compute_cost(func_compute_cost):
    """Check ``func_compute_cost`` on the lesson's test case, then with 0/1 labels.

    Parameters
    ----------
    func_compute_cost : callable
        Your function.

    Raises
    ------
    Mismatch
        On the first difference, with a bilingual message.
    """
    _check("func_compute_cost", func_compute_cost)


def check_backward_propagation(func_backward_propagation):
    """Check ``func_backward_propagation`` on the lesson's test case, then where tanh bends.

    Parameters
    ----------
    func_backward_propagation : callable
        Your function.

    Raises
    ------
    Mismatch
        On the first difference, with a bilingual message.
    """
    _check("func_backward_propagation", func_backward_propagation)


def check_update_parameters(func_update_parameters):
    """Check ``func_update_parameters`` on the lesson's test case (default lr), then with ``lr=0.1``.

    Parameters
    ----------
    func_update_parameters : callable
        Your function.

    Raises
    ------
    Mismatch
        On the first difference, with a bilingual message.
    """
    _check("func_update_parameters", func_update_parameters)


def check_nn_model(func_nn_model):
    """Check ``func_nn_model`` (n_h=4, defaults otherwise), then with ``n_h=2, lr=0.9, num_epochs=3``.

    ``func_nn_model`` runs your own versions of the functions it calls, so
    their checks run first: if one fails, the message says which to fix.
    (Grading tests ``func_nn_model`` with correct versions of them.)

    Parameters
    ----------
    func_nn_model : callable
        Your function.

    Raises
    ------
    Mismatch
        On the first difference, with a bilingual message.
    """
    _check("func_nn_model", func_nn_model)


def check_predict(func_predict):
    """Check ``func_predict`` on the lesson's test case, then where an output is exactly 0.5.

    ``func_predict`` runs your own ``func_forward_propagation``, so its check
    runs first.

    Parameters
    ----------
    func_predict : callable
        Your function.

    Raises
    ------
    Mismatch
        On the first difference, with a bilingual message.
    """
    _check("func_predict", func_predict)
