# GENERATED FILE: do not edit. `make release` copied it from utils/testCases.py;
# edit utils/testCases.py and run `make release` instead.
"""The lesson's test cases for the eight exercises of L1W3 (``testCases``).

Each function returns the inputs the lesson feeds to one exercise.  Random
inputs come from a private ``numpy.random.RandomState`` seeded with the course
seed 2030, which draws exactly what the lesson's ``np.random.seed(2030)``
drew, without changing numpy's global random state.
"""
import numpy as np

from planar_utils import COURSE_SEED


def _rng(random_state):
    return np.random.RandomState(random_state)


def _small_parameters():
    """The parameters (n_x=2, n_h=4, n_y=1) the lesson uses in several cases."""
    return {
        "W1": np.array([[-0.00416758, -0.00056267],
                        [-0.02136196, 0.01640271],
                        [-0.01793436, -0.00841747],
                        [0.00502881, -0.01245288]]),
        "W2": np.array([[-0.01057952, -0.00909008, 0.00551454, 0.02292208]]),
        "b1": np.array([[0.], [0.], [0.], [0.]]),
        "b2": np.array([[0.]]),
    }


def _trained_parameters():
    """The parameters the lesson uses for update_parameters and predict."""
    return {
        "W1": np.array([[-0.00615039, 0.0169021],
                        [-0.02311792, 0.03137121],
                        [-0.0169217, -0.01752545],
                        [0.00935436, -0.05018221]]),
        "W2": np.array([[-0.0104319, -0.04019007, 0.01607211, 0.04440255]]),
        "b1": np.array([[-8.97523455e-07],
                        [8.15562092e-06],
                        [6.04810633e-07],
                        [-2.54560700e-06]]),
        "b2": np.array([[9.14954378e-05]]),
    }


def func_layer_sizes_test_case(random_state=COURSE_SEED):
    """Inputs for ``func_layer_sizes``.

    Returns
    -------
    X_assess : ndarray of shape (5, 3)
    Y_assess : ndarray of shape (2, 3)
    """
    rng = _rng(random_state)
    X_assess = rng.randn(5, 3)
    Y_assess = rng.randn(2, 3)
    return X_assess, Y_assess


def func_initialize_parameters_test_case():
    """Inputs for ``func_initialize_parameters``.

    Returns
    -------
    n_x, n_h, n_y : int
        2, 4 and 1.
    """
    n_x, n_h, n_y = 2, 4, 1
    return n_x, n_h, n_y


def func_forward_propagation_test_case(random_state=COURSE_SEED):
    """Inputs for ``func_forward_propagation``.

    Returns
    -------
    X_assess : ndarray of shape (2, 3)
    parameters : dict
        ``W1`` (4, 2), ``b1`` (4, 1), ``W2`` (1, 4), ``b2`` (1, 1).
    """
    X_assess = _rng(random_state).randn(2, 3)
    return X_assess, _small_parameters()


def func_compute_cost_test_case(random_state=COURSE_SEED):
    """Inputs for ``func_compute_cost``.

    As in the lesson, ``Y_assess`` is drawn from a normal distribution, so it is
    real-valued; real labels are 0 or 1.  The lesson's printed cost is kept
    because it is reproducible with these inputs.

    Returns
    -------
    a2 : ndarray of shape (1, 3)
    Y_assess : ndarray of shape (1, 3)
    parameters : dict
        The (unused) parameters of the lesson's test case.
    """
    Y_assess = _rng(random_state).randn(1, 3)
    a2 = np.array([[0.5002307, 0.49985831, 0.50023963]])
    return a2, Y_assess, _small_parameters()


def func_backward_propagation_test_case(random_state=COURSE_SEED):
    """Inputs for ``func_backward_propagation``.

    Returns
    -------
    parameters : dict
        ``W1`` (4, 2), ``b1`` (4, 1), ``W2`` (1, 4), ``b2`` (1, 1).
    cache : dict
        ``A1``, ``Z1`` (4, 3) and ``A2``, ``Z2`` (1, 3).
    X_assess : ndarray of shape (2, 3)
    Y_assess : ndarray of shape (1, 3)
        Real-valued, as in the lesson.
    """
    rng = _rng(random_state)
    X_assess = rng.randn(2, 3)
    Y_assess = rng.randn(1, 3)
    cache = {
        "A1": np.array([[-0.00616578, 0.0020626, 0.00349619],
                        [-0.05225116, 0.02725659, -0.02646251],
                        [-0.02009721, 0.0036869, 0.02883756],
                        [0.02152675, -0.01385234, 0.02599885]]),
        "A2": np.array([[0.5002307, 0.49985831, 0.50023963]]),
        "Z1": np.array([[-0.00616586, 0.0020626, 0.0034962],
                        [-0.05229879, 0.02726335, -0.02646869],
                        [-0.02009991, 0.00368692, 0.02884556],
                        [0.02153007, -0.01385322, 0.02600471]]),
        "Z2": np.array([[0.00092281, -0.00056678, 0.00095853]]),
    }
    return _small_parameters(), cache, X_assess, Y_assess


def func_update_parameters_test_case():
    """Inputs for ``func_update_parameters``.

    Returns
    -------
    parameters : dict
        ``W1`` (4, 2), ``b1`` (4, 1), ``W2`` (1, 4), ``b2`` (1, 1).
    grads : dict
        ``dW1``, ``db1``, ``dW2``, ``db2`` of the same shapes.
    """
    grads = {
        "dW1": np.array([[0.00023322, -0.00205423],
                         [0.00082222, -0.00700776],
                         [-0.00031831, 0.0028636],
                         [-0.00092857, 0.00809933]]),
        "dW2": np.array([[-1.75740039e-05, 3.70231337e-03,
                          -1.25683095e-03, -2.55715317e-03]]),
        "db1": np.array([[1.05570087e-07],
                         [-3.81814487e-06],
                         [-1.90155145e-07],
                         [5.46467802e-07]]),
        "db2": np.array([[-1.08923140e-05]]),
    }
    return _trained_parameters(), grads


def func_nn_model_test_case(random_state=COURSE_SEED):
    """Inputs for ``func_nn_model``.

    The lesson drew real-valued labels here (``randn``), which makes training
    diverge (cost ``-inf``); this test case thresholds the same draw at 0 to
    get 0/1 labels, as the cross-entropy cost requires.

    Returns
    -------
    X_assess : ndarray of shape (2, 3)
    Y_assess : ndarray of shape (1, 3), values 0. or 1.
    """
    rng = _rng(random_state)
    X_assess = rng.randn(2, 3)
    Y_assess = (rng.randn(1, 3) > 0).astype(np.float64)
    return X_assess, Y_assess


def func_predict_test_case(random_state=COURSE_SEED):
    """Inputs for ``func_predict``.

    Returns
    -------
    parameters : dict
        ``W1`` (4, 2), ``b1`` (4, 1), ``W2`` (1, 4), ``b2`` (1, 1).
    X_assess : ndarray of shape (2, 3)
    """
    X_assess = _rng(random_state).randn(2, 3)
    return _trained_parameters(), X_assess
