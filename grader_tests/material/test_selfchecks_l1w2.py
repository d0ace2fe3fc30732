"""L1W2's public self-checks at L1W3's standard (issue 19, must-have 6).

Every bug of L1W2's mutation catalog (``grader_tests/helpers/mutants_l1w2.py``)
fails the public self-check of its own exercise, with the hint meant for it
where one is listed (and with a hint whenever the student's code raises), and
fails the hidden cases too; every correct variant passes both.  The extra
public cases' literals are what the source notebook's solution cells compute.
In-process and fast: no kernel, no notebook execution.
"""

import pickle
import sys

import numpy as np
import pytest

from grader_tests.helpers import selfcheck
from grader_tests.helpers.course import paragraphs
from grader_tests.helpers.mutants_l1w2 import MUTANTS

ASSIGNMENT = "L1W2"
checks = selfcheck.assignment(ASSIGNMENT).helpers["checks"]
testCases = selfcheck.assignment(ASSIGNMENT).helpers["testCases"]
selfcheck_core = selfcheck.assignment(ASSIGNMENT).helpers["selfcheck_core"]
EXERCISES = tuple(checks.CASES)
BUGS = [m for m in MUTANTS if not m.equivalent]
EQUIVALENTS = [m for m in MUTANTS if m.equivalent]


def reference():
    return selfcheck.solutions(ASSIGNMENT)


def outcome(mutant_id):
    return selfcheck.outcome(ASSIGNMENT, mutant_id)


def failure(mutant_id):
    return selfcheck.failure(ASSIGNMENT, mutant_id)


# --------------------------------------------------------------------------- the catalog


def test_correct_solution_passes_every_check_quietly(capsys):
    import warnings

    namespace = reference()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stored outputs have no stderr to keep
        for name in EXERCISES:
            selfcheck.check(ASSIGNMENT, name)(namespace[name])
    out = capsys.readouterr()
    assert out.out == (checks.PASSED + "\n") * len(EXERCISES) and out.err == ""


@pytest.mark.parametrize("mutant", BUGS, ids=lambda m: m.id)
def test_every_bug_fails_its_exercise_check(mutant):
    error = failure(mutant.id)
    assert checks.PASSED not in outcome(mutant.id)[1]
    assert error.exercise == mutant.exercise and error.case is not None
    chinese, english = paragraphs(str(error))[:2]
    assert chinese.startswith(f"{mutant.exercise} 未通过公开自检，用例：") and english.endswith(error.case)
    if error.problem is None:
        assert "the call raised" in str(error) and error.hints, str(error)
    else:
        assert error.problem.variable in str(error) and error.problem.kind in checks.KINDS


@pytest.mark.parametrize("mutant", EQUIVALENTS, ids=lambda m: m.id)
def test_every_correct_variant_passes_its_exercise_check(mutant):
    assert outcome(mutant.id) == (None, checks.PASSED + "\n")


@pytest.mark.parametrize("mutant", BUGS, ids=lambda m: m.id)
def test_every_bug_fails_a_hidden_case_too(mutant):
    assert selfcheck.hidden_failures(ASSIGNMENT, mutant.id)


@pytest.mark.parametrize("mutant", EQUIVALENTS, ids=lambda m: m.id)
def test_every_correct_variant_passes_every_hidden_case(mutant):
    assert selfcheck.hidden_failures(ASSIGNMENT, mutant.id) == ()


def test_predict_at_least_half_fails_publicly_as_it_does_hidden():
    error = failure("predict_at_least_half")
    assert error.case == "two activations exactly 0.5 (m=5)"
    assert any(
        "exactly 0.5" in label for label, _ in selfcheck.hidden_failures(ASSIGNMENT, "predict_at_least_half")
    )


# --------------------------------------------------------------------------- hints

HINTS = {
    "sigmoid_sign": ("s", "your result is 1 - σ(z) = σ(-z)"),
    "sigmoid_one_minus": ("s", "your result is 1 - σ(z) = σ(-z)"),
    "sigmoid_tanh": ("s", "that is tanh(z)"),
    "sigmoid_1d_only": ("s", "when z is a number, s must be one too"),
    "init_w_ones": ("w", "w and b start at zero"),
    "propagate_cost_sign": ("cost", "the sign is flipped"),
    "propagate_cost_missing_1_over_m": ("cost", "is 1/m missing?"),
    "propagate_cost_log10": ("cost", "np.log10"),
    "propagate_no_bias": ("grads['dw']", "the bias b is missing"),
    "propagate_dw_missing_1_over_m": ("grads['dw']", "is 1/m missing?"),
    "propagate_db_missing_1_over_m": ("grads['db']", "is 1/m missing?"),
    "propagate_db_hardcoded_m": ("grads['db']", "not the lesson's case's 3"),
    "propagate_dw_sign": ("grads['dw']", "the sign is flipped"),
    "propagate_dw_elementwise": ("grads['dw']", "a matrix product, which sums over the examples"),
    "propagate_db_keepdims": ("grads['db']", "must be a number, not an array of shape (1, 1)"),
    "optimize_hardcoded_rate": ("params['w']", "what a learning rate of 0.009 gives, but learning_rate=0.1"),
    "optimize_gradient_ascent": ("params['w']", "the step goes the wrong way"),
    "optimize_b_not_updated": ("params['w']", "b was not updated"),
    "optimize_cost_every_iteration": ("costs", "costs holds the cost at iterations 0, 100, 200, ... only"),
    "predict_at_least_half": ("Y_prediction", "the rule is A > 0.5, not A >= 0.5"),
    "predict_no_bias": ("Y_prediction", "the bias b is missing"),
    "predict_threshold_zero": ("Y_prediction", "every prediction is 1"),
    "predict_no_threshold": ("Y_prediction", "must hold only 0 and 1"),
}

# Bugs the student's code raises on: (part of the line that raised, the hint).
RAISE_HINTS = {
    "sigmoid_math_exp": ("math.exp(-z)", "math.exp takes a single number"),
    "sigmoid_list_comprehension": ("for x in z", "z may be a number"),
    "init_hardcoded_dim": ("assert (w.shape == (dim, 1))", "the function's own check"),
    "init_w_1d": ("assert (w.shape == (dim, 1))", "the function's own check"),
    "init_w_row": ("assert (w.shape == (dim, 1))", "the function's own check"),
    "init_b_array": ("assert (isinstance(b, float)", "the function's own check"),
    "propagate_cost_dot_without_T": ("np.dot(Y, np.log(A))", "write np.dot(Y, np.log(A).T)"),
    "propagate_w_not_transposed": ("np.dot(w, X)", "np.dot(w.T, X) + b"),
    "propagate_dw_without_T": ("np.dot(X, A - Y)", "np.dot(X, (A - Y).T)"),
    "predict_if_on_array": ("1.0 if A > 0.5 else 0.0", "compare the whole array instead"),
    "predict_w_not_transposed": ("np.dot(w, X)", "np.dot(w.T, X) + b"),
}


def test_hint_tables_name_only_bugs_of_the_catalog():
    ids = {m.id for m in BUGS}
    assert set(HINTS) <= ids and set(RAISE_HINTS) <= ids and not set(HINTS) & set(RAISE_HINTS)


@pytest.mark.parametrize("mutant_id", sorted(HINTS))
def test_a_recognisable_mistake_gets_its_hint(mutant_id):
    variable, hint = HINTS[mutant_id]
    error = failure(mutant_id)
    assert error.problem.variable == variable, str(error)
    assert any(hint in h for h in error.hints), str(error)
    assert "提示：" in str(error) and "Hint: " in str(error)


@pytest.mark.parametrize("mutant_id", sorted(RAISE_HINTS))
def test_a_bug_that_raises_gets_the_line_and_a_hint(mutant_id):
    line, hint = RAISE_HINTS[mutant_id]
    error = failure(mutant_id)
    text = str(error)
    assert "the call raised" in text and error.problem is None
    assert line in text
    assert any(hint in h for h in error.hints), text


def test_message_says_how_to_reproduce_the_case():
    error = failure("propagate_db_hardcoded_m")
    lines = str(error).splitlines()
    # Chinese and English on lines of their own, each within WIDTH columns.
    assert lines[:3] == [
        "func_propagate 未通过公开自检，用例：另一组大小（n_x=3, m=5），负的偏置 b=-0.5",
        "func_propagate fails its public self-check, case: other sizes (n_x=3, m=5), a",
        "  negative bias b=-0.5",
    ]
    at = lines.index("输入 / inputs:")
    assert lines[at + 1 : at + 3] == [
        "from testCases import func_propagate_extra_case",
        "func_propagate(*func_propagate_extra_case())",
    ]


def test_composite_check_names_the_failing_callee_first():
    namespace = selfcheck.solutions(ASSIGNMENT, selfcheck.by_id(ASSIGNMENT)["propagate_no_bias"])
    with pytest.raises(checks.Mismatch) as info:
        checks.check_optimize(namespace["func_optimize"])
    lines = paragraphs(str(info.value))
    assert lines[:2] == [
        "func_optimize 调用的 func_propagate 未通过自检，请先修正它",
        "func_optimize calls func_propagate, which fails its own self-check: fix that first",
    ]
    assert lines[2].startswith("    func_propagate 未通过公开自检")


@pytest.mark.parametrize("mutant", BUGS, ids=lambda m: m.id)
def test_every_message_fits_the_validate_dialog_and_the_terminal(mutant):
    """As L1W3's: languages on lines of their own, none wider than WIDTH, none cut, every hint given."""
    selfcheck.assert_fits(ASSIGNMENT, failure(mutant.id))


def test_checks_share_the_one_core():
    assert checks.Mismatch is selfcheck_core.Mismatch and checks.fit is selfcheck_core.fit
    assert checks.Problem is selfcheck_core.Problem and checks.PASSED == selfcheck_core.PASSED


def test_messages_show_no_numpy_reprs():
    error = failure("predict_threshold_zero")  # an int array's element in the message
    namespace = reference()
    wrong = namespace["func_predict"]
    with pytest.raises(checks.Mismatch) as info:
        checks.check_predict(lambda w, b, X: (wrong(w, b, X) + 2).astype(np.int64))
    for text in (str(error), str(info.value)):
        assert "np.float64(" not in text and "np.int64(" not in text


def test_render_traceback_is_the_message_alone():
    error = failure("sigmoid_sign")
    assert error._render_traceback_() == str(error).splitlines() and isinstance(error, AssertionError)


def test_problem_survives_pickling(monkeypatch):
    # Problem is the shared module's, as the released folder imports it.
    monkeypatch.setitem(sys.modules, "selfcheck_core", selfcheck_core)
    problem = checks.compare({"a": np.zeros(2)}, {"a": np.ones(2)}, "grads")
    copy = pickle.loads(pickle.dumps(problem))
    assert copy == problem and (copy.kind, copy.variable, copy.index) == ("values", "grads['a']", (0,))


# --------------------------------------------------------------------------- the written-out numbers

EXACT = {"rtol": 1e-12, "atol": 1e-15}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_extra_case_literals_are_what_the_solution_computes(exercise):
    assert checks.CASES[exercise][0].key == "lesson"
    for case in checks.CASES[exercise][1:]:
        assert case.key.startswith("extra")
        args, kwargs = case.arguments()
        computed = reference()[exercise](*args, **kwargs)
        assert checks.compare(computed, case.expected, "literal", **EXACT) is None
        assert selfcheck.finite(computed)


def test_predict_extra_case_has_activations_of_exactly_one_half():
    w, b, X = testCases.func_predict_extra_case()
    A = 1 / (1 + np.exp(-(np.dot(w.T, X) + b)))
    assert [i for i in range(A.shape[1]) if A[0, i] == 0.5] == list(
        checks.CASES["func_predict"][-1].half_columns
    )


def test_optimize_extra_case_records_three_costs():
    case = checks.CASES["func_optimize"][-1]
    assert len(case.expected[2]) == 3 and case.kwargs == {"num_iterations": 201, "learning_rate": 0.1}


def test_extra_inputs_are_fresh_on_every_call():
    for cases in checks.CASES.values():
        for case in cases:
            first, second = case.arguments(), case.arguments()
            for a, b in zip(first[0], second[0]):
                if isinstance(a, np.ndarray):
                    assert a is not b
