"""The course helpers reproduce the lesson: data, sigmoid, test cases, printed arrays."""

import warnings

import numpy as np
import pytest

from grader_tests.helpers.course import planar_utils, testCases
from grader_tests.helpers.utils_lesson import NN_MODEL_TEST_CASE_OUTPUT, PRINTED_ATOL, compare


def lesson_planar_dataset():
    """The lesson's own code, verbatim in substance: global seed 2030."""
    np.random.seed(2030)
    m, N, a = 400, 200, 4
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype="uint8")
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def test_planar_dataset_is_the_lessons():
    X, Y = planar_utils.func_load_planar_dataset()
    X_lesson, Y_lesson = lesson_planar_dataset()
    assert X.shape == (2, 400) and Y.shape == (1, 400) and Y.dtype == np.uint8
    np.testing.assert_array_equal(X, X_lesson)
    np.testing.assert_array_equal(Y, Y_lesson)


def test_generators_leave_global_rng_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    planar_utils.func_load_planar_dataset()
    planar_utils.func_load_extra_datasets()
    for make in (
        testCases.func_layer_sizes_test_case,
        testCases.func_forward_propagation_test_case,
        testCases.func_backward_propagation_test_case,
        testCases.func_nn_model_test_case,
        testCases.func_predict_test_case,
        testCases.func_compute_cost_test_case,
    ):
        make()
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_extra_datasets_are_deterministic_and_seeded():
    first = planar_utils.func_load_extra_datasets()
    second = planar_utils.func_load_extra_datasets()
    other = planar_utils.func_load_extra_datasets(random_state=7)
    assert len(first) == 5
    for (X1, y1), (X2, y2) in zip(first, second):
        assert X1.shape == (200, 2)
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(y1, y2)
    # Another seed changes every data set but the blobs, whose seed the lesson fixed.
    changed = [not np.array_equal(a[0], b[0]) for a, b in zip(first, other)]
    assert changed == [True, True, False, True, True]
    assert set(np.unique(first[2][1])) == set(range(6))


@pytest.mark.parametrize("x", [0.0, 1e-8, -3.5, 20.0, -700.0, 709.0, -709.78, 745.0])
def test_sigmoid_equals_the_lesson_where_the_lesson_does_not_overflow(x):
    with np.errstate(over="raise"):
        lesson = 1 / (1 + np.exp(-np.float64(x)))
    assert planar_utils.func_sigmoid(x) == lesson
    arr = np.full((2, 3), x)
    assert np.array_equal(planar_utils.func_sigmoid(arr), 1 / (1 + np.exp(-arr)))


@pytest.mark.parametrize("x", [-710.0, -800.0, -1e5, -np.finfo(float).max])
def test_sigmoid_does_not_overflow(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = planar_utils.func_sigmoid(np.array([[x, 0.0]]))
    assert s.shape == (1, 2)
    assert s[0, 0] == np.exp(x) and 0.0 <= s[0, 0] < 1e-300
    assert s[0, 1] == 0.5


def test_sigmoid_keeps_scalars_scalar_and_propagates_nan():
    assert isinstance(planar_utils.func_sigmoid(0), float)
    assert np.isnan(planar_utils.func_sigmoid(np.array([np.nan]))[0])


def test_test_cases_draw_what_the_lesson_drew():
    np.random.seed(2030)
    X_lesson, Y_lesson = np.random.randn(2, 3), np.random.randn(1, 3)
    params, cache, X, Y = testCases.func_backward_propagation_test_case()
    np.testing.assert_array_equal(X, X_lesson)
    np.testing.assert_array_equal(Y, Y_lesson)
    X_nn, Y_nn = testCases.func_nn_model_test_case()
    np.testing.assert_array_equal(X_nn, X_lesson)
    np.testing.assert_array_equal(Y_nn, (Y_lesson > 0).astype(float))
    assert set(np.unique(Y_nn)) == {0.0, 1.0}
    np.random.seed(2030)
    X5, Y2 = np.random.randn(5, 3), np.random.randn(2, 3)
    got = testCases.func_layer_sizes_test_case()
    np.testing.assert_array_equal(got[0], X5)
    np.testing.assert_array_equal(got[1], Y2)


def _lesson_call(reference, name):
    f = reference[name]
    if name == "func_initialize_parameters":
        return f(5, 4, 2)
    if name == "func_compute_cost":
        a2, Y, _ = testCases.func_compute_cost_test_case()
        return f(a2, Y)
    return f(*getattr(testCases, name + "_test_case")())


@pytest.mark.parametrize(
    "name",
    [
        "func_layer_sizes",
        "func_initialize_parameters",
        "func_forward_propagation",
        "func_backward_propagation",
        "func_update_parameters",
        "func_predict",
    ],
)
def test_reference_reproduces_the_lessons_printed_arrays(reference, lesson, name):
    assert compare(lesson[name], _lesson_call(reference, name), name, rtol=0, atol=PRINTED_ATOL) is None


def test_reference_cost_is_the_lessons_to_every_digit(reference, lesson):
    assert _lesson_call(reference, "func_compute_cost") == lesson["func_compute_cost"] == 0.6926644838406011


def test_forward_means_match_the_lesson_to_16_digits(reference):
    printed = {
        "Z1": -0.002030674846044073,
        "A1": -0.0020304726884621785,
        "Z2": -0.00016977098916522824,
        "A2": 0.4999575572533775,
    }
    _, cache = _lesson_call(reference, "func_forward_propagation")
    for key, value in printed.items():
        assert "%.16g" % np.mean(cache[key]) == "%.16g" % value


def test_nn_model_test_case_output(reference):
    X, Y = testCases.func_nn_model_test_case()
    got = reference["func_nn_model"](X, Y, n_h=4)
    assert compare(NN_MODEL_TEST_CASE_OUTPUT, got, "parameters", rtol=0, atol=PRINTED_ATOL) is None


def test_logistic_regression_baseline_is_49_25_percent():
    import sklearn.linear_model

    X, Y = planar_utils.func_load_planar_dataset()
    clf = sklearn.linear_model.LogisticRegressionCV(
        l1_ratios=(0.0,), scoring="accuracy", use_legacy_attributes=False
    )
    pred = clf.fit(X.T, Y.ravel()).predict(X.T)
    assert (np.dot(Y, pred) + np.dot(1 - Y, 1 - pred)).item() / Y.size * 100 == 49.25


def test_decision_boundary_grid_is_sized_to_the_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, Y = planar_utils.func_load_planar_dataset()
    seen = []

    def model(points):
        seen.append(points.shape)
        return (points[:, 0] > 0).astype(int)

    fig, ax = plt.subplots()
    assert planar_utils.func_plot_decision_boundary(model, X, Y, resolution=50, ax=ax) is ax
    plt.close(fig)
    assert seen == [(2500, 2)]
