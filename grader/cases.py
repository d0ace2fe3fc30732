"""Hidden test cases: the inputs each exercise is graded on.

Students never see these.  Besides the lesson's own test case, each exercise
is run on cases that catch what the lesson's case cannot: other shapes
(n_x != 2, n_h != 4, m != 3), non-zero biases, activations large enough
that tanh(z) differs from z, non-default learning rates, few epochs and
labels of both classes.  Inputs come from private ``RandomState`` seeds, so
every grading run sees the same cases.  Expected values are computed by the
reference implementations at grading time.
"""
from dataclasses import dataclass, field

import numpy as np

import testCases
from grader import reference

# Result variable named in messages, as the notebook names it.
RESULT_NAME = {
    "func_layer_sizes": "(n_x, n_h, n_y)",
    "func_initialize_parameters": "params",
    "func_forward_propagation": "(A2, cache)",
    "func_compute_cost": "cost",
    "func_backward_propagation": "grads",
    "func_update_parameters": "parameters",
    "func_nn_model": "parameters",
    "func_predict": "preds",
}
# A composite function is run with the reference implementations of these.
CALLEES = {
    "func_nn_model": ("func_layer_sizes", "func_initialize_parameters",
                      "func_forward_propagation", "func_compute_cost",
                      "func_backward_propagation", "func_update_parameters"),
    "func_predict": ("func_forward_propagation",),
}


@dataclass
class Case:
    exercise: str
    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)

    @property
    def callees(self):
        return CALLEES.get(self.exercise, ())

    def expected(self):
        """The reference result (the reference callees are the reference's own)."""
        return reference.load()[self.exercise](*_copy(self.args), **_copy(self.kwargs))

    def run(self, namespace):
        """Call ``namespace[exercise]`` on copies of the inputs, with reference callees.

        The callees are put into ``namespace`` for the call and restored after.
        """
        refs = reference.load()
        saved = {name: namespace.get(name) for name in self.callees}
        try:
            for name in self.callees:
                namespace[name] = refs[name]
            return namespace[self.exercise](*_copy(self.args), **_copy(self.kwargs))
        finally:
            for name, value in saved.items():
                namespace[name] = value


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_copy(v) for v in value)
    return value


def _params(rng, n_x, n_h, n_y, scale=1.0):
    """Parameters with non-zero biases, large enough that tanh is non-linear."""
    return {"W1": rng.randn(n_h, n_x) * scale, "b1": rng.randn(n_h, 1) * scale,
            "W2": rng.randn(n_y, n_h) * scale, "b2": rng.randn(n_y, 1) * scale}


def _labels(rng, m):
    """0/1 labels with both classes present."""
    Y = (rng.rand(1, m) > 0.5).astype(np.float64)
    Y[0, 0], Y[0, -1] = 0.0, 1.0
    return Y


def _backward_inputs(rng, n_x, n_h, m):
    X = rng.randn(n_x, m) * 2
    params = _params(rng, n_x, n_h, 1)
    _, cache = reference.load()["func_forward_propagation"](X, params)
    return params, cache, X, _labels(rng, m)


def build_cases():
    """Return ``{exercise: [Case, ...]}``; the first case of each is the lesson's."""
    rng = np.random.RandomState(918_273)
    cases = {name: [] for name in reference.EXERCISES}

    def add(exercise, label, *args, **kwargs):
        cases[exercise].append(Case(exercise, label, args, kwargs))

    add("func_layer_sizes", "lesson test case", *testCases.func_layer_sizes_test_case())
    add("func_layer_sizes", "n_x=3, n_y=1, m=7", rng.randn(3, 7), rng.randn(1, 7))
    add("func_layer_sizes", "n_x=1, n_y=3, m=2", rng.randn(1, 2), rng.randn(3, 2))

    add("func_initialize_parameters", "n_x=5, n_h=4, n_y=2 (lesson)", 5, 4, 2)
    add("func_initialize_parameters", "n_x=2, n_h=4, n_y=1", *testCases.func_initialize_parameters_test_case())
    add("func_initialize_parameters", "n_x=3, n_h=7, n_y=1", 3, 7, 1)
    add("func_initialize_parameters", "n_x=1, n_h=2, n_y=3", 1, 2, 3)

    add("func_forward_propagation", "lesson test case", *testCases.func_forward_propagation_test_case())
    add("func_forward_propagation", "n_x=3, n_h=5, m=6, non-zero biases",
        rng.randn(3, 6) * 2, _params(rng, 3, 5, 1))
    add("func_forward_propagation", "n_x=1, n_h=2, m=1", rng.randn(1, 1), _params(rng, 1, 2, 1, 3.0))

    a2, Y_assess, _ = testCases.func_compute_cost_test_case()
    add("func_compute_cost", "lesson test case", a2, Y_assess)
    add("func_compute_cost", "m=5, 0/1 labels", rng.uniform(0.05, 0.95, (1, 5)), _labels(rng, 5))
    add("func_compute_cost", "m=1, label 1", np.array([[0.3]]), np.array([[1.0]]))

    add("func_backward_propagation", "lesson test case", *testCases.func_backward_propagation_test_case())
    add("func_backward_propagation", "n_x=3, n_h=5, m=7, non-linear tanh", *_backward_inputs(rng, 3, 5, 7))
    add("func_backward_propagation", "n_x=2, n_h=3, m=4", *_backward_inputs(rng, 2, 3, 4))

    add("func_update_parameters", "lesson test case (lr=0.5)", *testCases.func_update_parameters_test_case())
    p, g = _params(rng, 3, 5, 1), _params(rng, 3, 5, 1)
    add("func_update_parameters", "n_x=3, n_h=5, lr=1.2", p, {"d" + k: v for k, v in g.items()}, lr=1.2)
    p, g = _params(rng, 2, 3, 1), _params(rng, 2, 3, 1)
    add("func_update_parameters", "n_x=2, n_h=3, lr=0.01", p, {"d" + k: v for k, v in g.items()}, 0.01)

    add("func_nn_model", "lesson test case, n_h=4, 1000 epochs",
        *testCases.func_nn_model_test_case(), n_h=4, num_epochs=1000)
    add("func_nn_model", "n_x=3, n_h=3, m=6, lr=1.2, 7 epochs",
        rng.randn(3, 6), _labels(rng, 6), 3, lr=1.2, num_epochs=7)
    add("func_nn_model", "n_x=2, n_h=5, m=8, lr=0.1, 60 epochs",
        rng.randn(2, 8), _labels(rng, 8), n_h=5, lr=0.1, num_epochs=60)

    add("func_predict", "lesson test case", *testCases.func_predict_test_case())
    add("func_predict", "n_x=3, n_h=5, m=9, both classes", _params(rng, 3, 5, 1, 2.0), rng.randn(3, 9))
    zero_output = _params(rng, 2, 3, 1)
    zero_output["W2"][:] = 0.0
    zero_output["b2"][:] = 0.0
    add("func_predict", "activation exactly 0.5 predicts 0", zero_output, rng.randn(2, 4))
    return cases


CASES = build_cases()
