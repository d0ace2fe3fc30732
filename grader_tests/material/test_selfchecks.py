"""The public self-checks agree with the grader (issue 12, must-have 1).

Every bug of the mutation catalog fails the self-check of its own exercise,
every correct variant passes it, a recognisable mistake gets its hint, and
the expected values written out in ``checks.py`` are what the source
notebook's solution cells compute.  In-process and fast: no kernel, no
notebook execution.
"""

import os
import pickle
import sys
import warnings

import numpy as np
import pytest

from grader import ROOT
from grader_tests.helpers import selfcheck
from grader_tests.helpers.course import checks, paragraphs, selfcheck_core, testCases
from grader_tests.helpers.mutants import MUTANTS

SOURCE_NOTEBOOK = os.path.join(ROOT, "source", "L1W3", "planar_classification.ipynb")
EXERCISES = tuple(checks.CASES)
CHECKS = {name: getattr(checks, "check_" + name[len("func_") :]) for name in EXERCISES}
BY_ID = {m.id: m for m in MUTANTS}


def solutions(mutant=None):
    """The eight solution cells executed in one namespace, ``mutant``'s edits applied to its cell."""
    return selfcheck.solutions("L1W3", mutant)


def reference():
    return solutions()


def outcome(mutant_id):
    """Run the check of the mutant's exercise once (kept: nn_model's trains 10,000 epochs)."""
    return selfcheck.outcome("L1W3", mutant_id)


def failure(mutant_id):
    """The Mismatch the check of the mutant's exercise raises."""
    return selfcheck.failure("L1W3", mutant_id)


# --------------------------------------------------------------------------- the catalog


def test_correct_solution_passes_every_check_quietly(capsys):
    namespace = reference()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stored outputs have no stderr to keep
        for name in EXERCISES:
            CHECKS[name](namespace[name])
    out = capsys.readouterr()
    assert out.out == (checks.PASSED + "\n") * len(EXERCISES) and out.err == ""


def test_checks_leave_numpys_global_random_state_alone():
    namespace = reference()
    np.random.seed(7)
    before = np.random.get_state()
    checks.check_initialize_parameters(namespace["func_initialize_parameters"])
    with pytest.raises(checks.Mismatch):
        checks.check_initialize_parameters(solutions(BY_ID["init_scale_0_1"])["func_initialize_parameters"])
    after = np.random.get_state()
    assert np.array_equal(after[1], before[1]) and after[2:] == before[2:]


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if not m.equivalent], ids=lambda m: m.id)
def test_every_bug_fails_its_exercise_check(mutant):
    error = failure(mutant.id)
    assert checks.PASSED not in outcome(mutant.id)[1]
    # Its own fault, not a callee's: the callees here are the correct solutions.
    assert error.exercise == mutant.exercise and error.case is not None
    chinese, english = paragraphs(str(error))[:2]
    assert chinese.startswith(f"{mutant.exercise} 未通过公开自检，用例：") and english.endswith(error.case)
    if error.problem is None:
        # It raised: every such bug of the catalog is told what to change.
        assert "the call raised" in str(error) and error.hints, str(error)
    else:
        assert error.problem.variable in str(error) and error.problem.kind in checks.KINDS


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.equivalent], ids=lambda m: m.id)
def test_every_correct_variant_passes_its_exercise_check(mutant):
    assert outcome(mutant.id) == (None, checks.PASSED + "\n")


# --------------------------------------------------------------------------- hints

HINTS = {
    "layer_sizes_n_x_from_columns": ("n_x", "n_x equals X.shape[1], the number of examples"),
    "layer_sizes_n_y_from_columns": ("n_y", "n_y equals Y.shape[1], the number of examples"),
    "layer_sizes_n_y_from_X": ("n_y", "the output layer's size comes from Y"),
    "init_random_biases": ("params['b1']", "biases start at zero"),
    "init_w1_transposed_draw": ("params['W1']", "drawn in the transposed shape"),
    "init_scale_0_1": ("params['W1']", "every element is exactly 10 times the expected one"),
    "forward_missing_b1": ("cache['Z1']", "Z1 is missing the bias + b1"),
    "forward_b1_subtracted": ("cache['Z1']", "Z1 subtracts the bias b1"),
    "forward_missing_b2": ("cache['Z2']", "Z2 is missing the bias + b2"),
    "forward_sigmoid_hidden": ("cache['A1']", "sigmoid on the hidden layer"),
    "forward_relu_hidden": ("cache['A1']", "ReLU on the hidden layer"),
    "forward_no_hidden_activation": ("cache['A1']", "A1 equals Z1"),
    "forward_tanh_output": ("cache['A2']", "tanh on the output layer"),
    "forward_sigmoid_sign": ("cache['A2']", "the sign in the sigmoid is flipped"),
    "cost_missing_minus": ("cost", "the sign is flipped"),
    "cost_missing_1_over_m": ("cost", "is 1/m missing?"),
    "cost_m_from_rows": ("cost", "is 1/m missing?"),
    "cost_mean_and_divide": ("cost", "divided by m twice?"),
    "cost_log10": ("cost", "np.log10"),
    "backward_tanh_derivative_1_minus_a": ("grads['dW1']", "the tanh derivative is written 1 - A1"),
    "backward_dZ2_sign": ("grads['dW2']", "the sign is flipped"),
    "backward_dW2_missing_1_over_m": ("grads['dW2']", "is 1/m missing?"),
    "backward_db1_missing_1_over_m": ("grads['db1']", "is 1/m missing?"),
    "backward_m_from_rows": ("grads['dW2']", "m is the number of examples, X.shape[1]"),
    "backward_db1_no_keepdims": ("grads['db1']", "keepdims=True"),
    "backward_db1_axis0": ("grads['db1']", "not axis=0"),
    "backward_sigmoid_derivative_hidden": ("grads['dW1']", "so look at dZ1"),
    "update_gradient_ascent": ("parameters['W1']", "the step goes the wrong way"),
    "update_missing_lr": ("parameters['W1']", "not multiplied by the learning rate"),
    "update_hardcoded_lr": ("parameters['W1']", "a learning rate of 1.2, but lr=0.5"),
    "update_biases_without_lr": ("parameters['b1']", "not multiplied by the learning rate"),
    "update_biases_not_updated": ("parameters['b1']", "parameters['b1'] was not updated"),
    "update_not_reassigned": ("parameters['W1']", "parameters['W1'] was not updated"),
    "nn_model_ignores_n_h": ("parameters['W1']", "the hidden layer has 4 units, not n_h=2"),
    "nn_model_hidden_size_hardcoded_4": ("parameters['W1']", "the hidden layer has 4 units, not n_h=2"),
    "nn_model_lr_not_passed": ("parameters['W1']", "does not change when lr does"),
    "nn_model_hardcoded_lr": ("parameters['W1']", "does not change when lr does"),
    "nn_model_fixed_epochs": ("parameters['W1']", "does not change when num_epochs does"),
    "nn_model_one_epoch_too_many": ("parameters['W1']", "one epoch too many"),
    "nn_model_one_epoch_too_few": ("parameters['W1']", "one epoch too few"),
    "nn_model_parameters_not_reassigned": ("parameters['W1']", "does not change when num_epochs does"),
    "predict_threshold_ge_half": ("preds", "the rule is A2 > 0.5, not A2 >= 0.5"),
    "predict_no_threshold": ("preds", "preds must hold only 0 and 1"),
    "layer_sizes_shape_tuple": ("n_x", "X.shape is (rows, columns)"),
    "backward_db2_scalar": ("grads['db2']", "a number, but it must be an array of shape (1, 1)"),
    "backward_dW2_elementwise": ("grads['dW2']", "a matrix product, which sums over the examples"),
    "predict_mean_scalar": ("preds", "compare the whole array A2"),
}

# Bugs the student's code raises on: (exercise's line that raised, the hint).
RAISE_HINTS = {
    "init_b1_scalar": ("b1.shape", "b1 is a number, but it must be an array: write np.zeros((n_h, 1))"),
    "init_b2_1d": ("assert (b2.shape == (n_y, 1))", "the function's own check"),
    "forward_w1_times_x": ("Z1 = W1 * X + b1", "write np.dot(W1, X) + b1; * multiplies element by element"),
    "forward_w2_times_a1": ("Z2 = W2 * A1 + b2", "write np.dot(W2, A1) + b2"),
    "forward_dot_order": ("np.dot(X, W1)", "the weights come first, then X"),
    "cost_dot_without_T": ("np.dot(Y, np.log(A2))", "write np.dot(Y, np.log(A2).T)"),
    "backward_dZ1_dot": ("dZ1 = np.dot(", "multiply element-wise: use * or np.multiply, not np.dot"),
    "backward_W2_not_transposed": ("np.dot(W2, dZ2)", "W2 is transposed, np.dot(W2.T, dZ2)"),
    "backward_dW1_X_not_transposed": ("np.dot(dZ1, X)", "np.dot(dZ1, X.T)"),
    "backward_dW2_A1_not_transposed": ("np.dot(dZ2, A1)", "np.dot(dZ2, A1.T)"),
    "predict_if_on_array": ("1 if A2 > 0.5 else 0", "compare the whole array instead"),
}


@pytest.mark.parametrize("mutant_id", sorted(RAISE_HINTS))
def test_a_bug_that_raises_gets_the_line_and_a_hint(mutant_id):
    line, hint = RAISE_HINTS[mutant_id]
    error = failure(mutant_id)
    text = str(error)
    assert "the call raised" in text and error.problem is None
    assert line in text  # the line that raised, as Jupyter shows it
    assert any(hint in h for h in error.hints), text
    # The hints come last, each fitted: its Chinese, then its English (wrapped lines joined).
    last = paragraphs(text)
    assert last[-2].startswith("提示：") and last[-1] == "Hint: " + error.hints[-1]


def test_a_bug_that_raises_where_no_hint_knows_why_gets_none():
    def func_compute_cost(A2, Y):
        raise KeyError("nothing numpy says")

    with pytest.raises(checks.Mismatch) as info:
        checks.check_compute_cost(func_compute_cost)
    assert info.value.hints == () and "Hint" not in str(info.value)


@pytest.mark.parametrize("mutant_id", sorted(HINTS))
def test_a_recognisable_mistake_gets_its_hint(mutant_id):
    variable, hint = HINTS[mutant_id]
    error = failure(mutant_id)
    assert error.problem.variable == variable, str(error)
    assert any(hint in h for h in error.hints), str(error)
    assert "提示：" in str(error) and "Hint: " in str(error)


def test_a_correct_but_unrecognised_mistake_gets_no_hint():
    # Z2 computed from Z1: caught, but no hint claims to know why.
    error = failure("forward_z2_from_z1")
    assert error.hints == () and "Hint" not in str(error)


def test_transposed_result_is_named():
    backward = reference()["func_backward_propagation"]

    def transposed(*args):
        grads = backward(*args)
        grads["dW1"] = grads["dW1"].T
        return grads

    with pytest.raises(checks.Mismatch) as info:
        checks.check_backward_propagation(transposed)
    assert info.value.problem.kind == "shape" and info.value.problem.variable == "grads['dW1']"
    assert any("the shape is the transpose" in h for h in info.value.hints)


def test_forward_names_the_variables_as_the_notebook_does():
    error = failure("forward_missing_b1")
    assert "cache['Z1'][0, 0]：期望 " in str(error) and "(A2, cache)" not in str(error)
    forward = reference()["func_forward_propagation"]
    with pytest.raises(checks.Mismatch) as info:
        checks.check_forward_propagation(lambda X, p: (forward(X, p)[0] * 2, forward(X, p)[1]))
    assert info.value.problem.variable == "A2" and str(info.value.problem).startswith("A2[0, 0]：")


def test_message_says_how_to_reproduce_the_case():
    error = failure("forward_missing_b1")
    lines = str(error).splitlines()
    # Chinese and English on lines of their own, each within checks.WIDTH columns.
    assert lines[:4] == [
        "func_forward_propagation 未通过公开自检，用例：非零偏置，tanh 明显非线性（n_x=3,",
        "  n_h=2, m=4）",
        "func_forward_propagation fails its public self-check, case: non-zero biases,",
        "  tanh far from linear (n_x=3, n_h=2, m=4)",
    ]
    at = lines.index("输入 / inputs:")
    assert lines[at + 1 : at + 3] == [
        "from testCases import func_forward_propagation_extra_case",
        "func_forward_propagation(*func_forward_propagation_extra_case())",
    ]


def test_lesson_case_runs_first_with_the_lessons_printed_values():
    # The wrong tanh derivative is visible on the lesson's case: that is the one reported,
    # with the value the lesson prints.
    error = failure("backward_tanh_derivative_1_minus_a")
    assert error.case == "the lesson's test case"
    assert "grads['dW1'][0, 0]：期望 -0.00687442" in str(error)
    assert "grads['dW1'][0, 0]: expected -0.00687442, got" in str(error)


def test_an_exception_in_the_students_code_shows_only_the_students_frames():
    def func_compute_cost(A2, Y):
        return np.dot(A2, Y)  # (1, 3) and (1, 3) are not aligned

    with pytest.raises(checks.Mismatch) as info:
        checks.check_compute_cost(func_compute_cost)
    text = str(info.value)
    assert paragraphs(text)[1].endswith("case: the lesson's test case")
    assert "the call raised ValueError: shapes (1,3) and (1,3) not aligned" in text
    assert "return np.dot(A2, Y)" in text and checks.__file__ not in text
    assert info.value.problem is None


def test_an_unfinished_exercise_fails_its_check_with_a_message():
    def func_layer_sizes(X, Y):
        raise NotImplementedError()

    with pytest.raises(checks.Mismatch, match="the call raised NotImplementedError"):
        checks.check_layer_sizes(func_layer_sizes)


# --------------------------------------------------------------------------- composite exercises


@pytest.mark.parametrize(
    "exercise, callee, mutant_id",
    [
        ("func_nn_model", "func_backward_propagation", "backward_tanh_derivative_1_minus_a"),
        ("func_nn_model", "func_update_parameters", "update_hardcoded_lr"),
        ("func_predict", "func_forward_propagation", "forward_missing_b2"),
    ],
)
def test_composite_check_names_the_failing_callee_first(exercise, callee, mutant_id):
    namespace = solutions(BY_ID[mutant_id])
    with pytest.raises(checks.Mismatch) as info:
        CHECKS[exercise](namespace[exercise])
    lines = paragraphs(str(info.value))
    assert lines[:2] == [
        f"{exercise} 调用的 {callee} 未通过自检，请先修正它",
        f"{exercise} calls {callee}, which fails its own self-check: fix that first",
    ]
    assert lines[2].startswith(f"    {callee} 未通过公开自检")
    assert info.value.exercise == exercise and info.value.case is None


def test_unfinished_callee_is_named_too():
    namespace = reference()

    def func_compute_cost(A2, Y):
        raise NotImplementedError()

    namespace["func_compute_cost"] = func_compute_cost
    with pytest.raises(checks.Mismatch) as info:
        checks.check_nn_model(namespace["func_nn_model"])
    assert "func_nn_model calls func_compute_cost, which fails its own self-check" in str(info.value)
    assert "NotImplementedError" in str(info.value)


def test_callees_are_those_the_function_uses():
    namespace = reference()
    namespace["func_backward_propagation"] = lambda *args: None  # unused by func_predict
    checks.check_predict(namespace["func_predict"])


# --------------------------------------------------------------------------- the error as Jupyter shows it


def test_render_traceback_is_the_message_alone():
    error = failure("backward_tanh_derivative_1_minus_a")
    assert error._render_traceback_() == str(error).splitlines()
    assert isinstance(error, AssertionError)


def test_ipython_shows_the_message_without_a_traceback():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    shell._showtraceback = lambda etype, evalue, stb: shown.append(stb)
    try:
        buggy = solutions(BY_ID["backward_tanh_derivative_1_minus_a"])["func_backward_propagation"]
        shell.user_ns.update(check=checks.check_backward_propagation, func=buggy)
        shell.run_cell("check(func)", store_history=False)
    finally:
        InteractiveShell.clear_instance()
    assert len(shown) == 1
    assert shown[0][0].startswith("func_backward_propagation 未通过公开自检")
    assert not any("checks.py" in line or "Traceback" in line for line in shown[0])


# --------------------------------------------------------------------------- compare and Problem


@pytest.mark.parametrize(
    "expected, actual, kind, variable",
    [
        ({"a": np.zeros(2)}, [1], "type", "grads"),
        ({"a": np.zeros(2)}, {"b": np.zeros(2)}, "keys", "grads"),
        ({"a": np.zeros((2, 1))}, {"a": np.zeros(2)}, "shape", "grads['a']"),
        ({"a": np.zeros(2)}, {"a": np.array(["x", "y"])}, "dtype", "grads['a']"),
        ({"a": np.zeros(2)}, {"a": np.array([0.0, 1.0])}, "values", "grads['a']"),
        ((1, 2), (1,), "length", "grads"),
        ((1, 2), (1, 2.0), "type", "grads[1]"),
        ((1, 2), (1, 3), "values", "grads[1]"),
        (0.5, "0.5", "type", "grads"),
    ],
)
def test_compare_returns_a_typed_problem(expected, actual, kind, variable):
    problem = checks.compare(expected, actual, "grads")
    assert isinstance(problem, str) and isinstance(problem, checks.Problem)
    assert (problem.kind, problem.variable) == (kind, variable)
    assert " / " in problem and variable in problem


def test_compare_names_tuple_elements_by_the_tuples_names():
    assert checks.compare((1, 4, 2), (1, 4, 3), "(n_x, n_h, n_y)").variable == "n_y"
    problem = checks.compare(
        (np.zeros(1), {"Z1": np.zeros(1)}), (np.zeros(1), {"Z1": np.ones(1)}), "(A2, cache)"
    )
    assert problem.variable == "cache['Z1']" and problem.startswith("cache['Z1'][0]：期望 0，实际 1 /")
    assert checks.compare((1, 2), (1, 3), "(a, b, c)").variable == "(a, b, c)[1]"


def test_compare_agrees_within_the_tolerances():
    assert checks.compare(np.array([1.0]), np.array([1.0 + 5e-7]), "x") is None
    assert checks.compare(np.array([1.0]), np.array([1.0 + 2e-6]), "x").kind == "values"
    assert (checks.RTOL, checks.ATOL) == (1e-6, 1e-10)


def test_problem_survives_pickling(monkeypatch):
    # Pickled by reference, as in the student's kernel, where the module is `checks`.
    # Problem is the shared module's, as the released folder imports it.
    monkeypatch.setitem(sys.modules, "selfcheck_core", selfcheck_core)
    problem = checks.compare({"a": np.zeros(2)}, {"a": np.ones(2)}, "grads")
    copy = pickle.loads(pickle.dumps(problem))
    assert copy == problem and (copy.kind, copy.variable, copy.index) == ("values", "grads['a']", (0,))


# --------------------------------------------------------------------------- the written-out numbers


def _call(function, case):
    args, kwargs = case.arguments()
    return function(*args, **kwargs)


# The literals were pasted from this computation: they agree to the last
# digit on the machine that produced them; 1e-12 leaves room for another
# BLAS's summation order and for nothing else.
EXACT = {"rtol": 1e-12, "atol": 1e-15}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_extra_case_literals_are_what_the_solution_computes(exercise):
    case = checks.CASES[exercise][-1]
    assert case.key == "extra" and case.tolerances == {"rtol": checks.RTOL, "atol": checks.ATOL}
    computed = _call(reference()[exercise], case)
    assert checks.compare(computed, checks.EXTRA[exercise], "literal", **EXACT) is None
    assert checks.CASES[exercise][0].key == "lesson"


def test_backward_extra_cache_is_forward_of_the_same_inputs():
    parameters, cache, X, _ = testCases.func_backward_propagation_extra_case()
    X_fwd, parameters_fwd = testCases.func_forward_propagation_extra_case()
    assert checks.compare(parameters_fwd, parameters, "parameters", rtol=0, atol=0) is None
    assert np.array_equal(X, X_fwd)
    A2, computed = reference()["func_forward_propagation"](X, parameters)
    assert checks.compare(computed, cache, "cache", **EXACT) is None


def test_predict_extra_case_has_an_output_of_exactly_one_half():
    parameters, X = testCases.func_predict_extra_case()
    A2, _ = reference()["func_forward_propagation"](X, parameters)
    case = checks.CASES["func_predict"][-1]
    assert [i for i in range(A2.shape[1]) if A2[0, i] == 0.5] == list(case.half_columns)
    assert set(np.unique(checks.EXTRA["func_predict"])) == {0.0, 1.0}


@pytest.mark.parametrize("key", ["lesson", "extra"])
def test_tanh_derivative_literals_are_what_the_mistake_computes(key):
    wrong = solutions(BY_ID["backward_tanh_derivative_1_minus_a"])["func_backward_propagation"]
    case = {c.key: c for c in checks.CASES["func_backward_propagation"]}[key]
    computed = {k: v for k, v in _call(wrong, case).items() if k in ("dW1", "db1")}
    assert checks.compare(computed, checks.TANH_DERIVATIVE_1_MINUS_A[key], "grads", **EXACT) is None


def test_extra_inputs_are_fresh_on_every_call():
    for cases in checks.CASES.values():
        for case in cases:
            first, second = case.arguments(), case.arguments()
            for a, b in zip(first[0], second[0]):
                if isinstance(a, np.ndarray):
                    assert a is not b
                if isinstance(a, dict):
                    assert all(a[k] is not b[k] for k in a)


def test_in_ipython_a_bug_that_raises_shows_its_line_and_hint():
    # IPython keeps each cell's source for tracebacks: the hint reads the line that raised.
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    shell._showtraceback = lambda etype, evalue, stb: shown.append(stb)
    forward = solutions(BY_ID["forward_w1_times_x"])["func_forward_propagation"]
    source = (
        "def func_forward_propagation(X, parameters):\n"
        "    W1, b1, W2, b2 = (parameters[k] for k in ('W1', 'b1', 'W2', 'b2'))\n"
        "    Z1 = W1 * X + b1\n"
        "    return forward(X, parameters)\n"
    )
    try:
        shell.user_ns.update(check=checks.check_forward_propagation, forward=forward, np=np)
        shell.run_cell(source, store_history=True)
        shell.run_cell("check(func_forward_propagation)", store_history=True)
    finally:
        InteractiveShell.clear_instance()
    [lines] = shown
    assert "    Z1 = W1 * X + b1" in lines
    # The hint is fitted to checks.WIDTH: it may wrap, so it is compared with its lines joined.
    assert paragraphs("\n".join(lines))[-1] == (
        "Hint: Z1 = W1·X + b1 is a matrix product: write np.dot(W1, X) + b1; * multiplies element by element"
    )


# --------------------------------------------------------------------------- messages that fit


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if not m.equivalent], ids=lambda m: m.id)
def test_every_message_fits_the_validate_dialog_and_the_terminal(mutant):
    """Chinese and English on lines of their own, none wider than WIDTH, none cut, every hint given."""
    selfcheck.assert_fits("L1W3", failure(mutant.id))


@pytest.mark.parametrize(
    "text, width",
    [
        ("提示：sigmoid 的符号反了：sigmoid(z) = 1 / (1 + exp(-z)) / Hint: sign: 1 / (1 + exp(-z))", 80),
        ("很长的中文" * 20 + " / " + "a long English sentence " * 10, 40),
        ("x" * 120, 80),  # one word: kept whole rather than cut
    ],
)
def test_fit_splits_the_languages_and_wraps(text, width):
    fit = selfcheck_core.fit
    lines = fit(text, width).splitlines()
    if "/" in text:
        zh = [line for line in lines if selfcheck_core.WIDE.search(line)]
        en = [line for line in lines if not selfcheck_core.WIDE.search(line)]
        assert lines == zh + en and zh and en
        assert "".join(s.strip() for s in zh).endswith(text.split(" / Hint")[0].split(" / a long")[0][-5:])
        assert all(selfcheck_core.columns(line) <= width for line in lines), lines
    else:
        assert lines == [text]
    assert fit(fit(text, width), width) == fit(text, width)
    assert checks.fit is fit


def test_fit_keeps_a_traceback_as_it_is_and_fits_the_hints_after_it():
    hint = "提示：" + "很长的中文" * 12 + " / Hint: " + "a long English sentence " * 6
    frames = ['  File "<cell>", line 3, in f', "    Z1 = W1 * X + b1"]
    message = "\n".join(["输入 / inputs: f(1); g(2)", "出错位置 / where:", *frames, hint.rstrip()])
    lines = selfcheck_core.fit(message).splitlines()
    assert lines[:6] == ["输入 / inputs:", "f(1)", "g(2)", "出错位置 / where:", *frames]
    rest = paragraphs("\n".join(lines[6:]))
    # Joined with a space where a line was wrapped: the Chinese half is compared without them.
    zh, en = hint.rstrip().split(" / ")
    assert [rest[0].replace(" ", ""), rest[1]] == [zh, en] and len(rest) == 2
    assert all(selfcheck_core.columns(line) <= selfcheck_core.WIDTH for line in lines[6:])
