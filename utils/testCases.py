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


# ---------------------------------------------------------------------------
# Extra public cases.  The lesson's cases cannot see some mistakes: their
# biases are zero, their activations so small that tanh(z) is almost z, their
# hidden layer has the default 4 units, and nn_model runs with the default
# learning rate and number of epochs.  The cases below, written out as plain
# numbers so that you can call your function on them yourself, are chosen
# where the lesson's cases are blind.  ``checks.py`` holds what a correct
# solution returns for them.


def _extra_parameters():
    """Parameters (n_x=3, n_h=2, n_y=1) with non-zero biases, large enough that tanh bends."""
    return {
        "W1": np.array([[0.8, -1.1, 0.4],
                        [-0.6, 0.9, 1.3]]),
        "b1": np.array([[0.5], [-0.7]]),
        "W2": np.array([[1.6, -0.9]]),
        "b2": np.array([[-0.3]]),
    }


def _extra_X():
    """Inputs (n_x=3, m=4) for the extra cases of forward and backward propagation."""
    return np.array([[1.0, -0.5, 0.2, 1.5],
                     [0.3, 0.8, -1.2, -0.4],
                     [-0.7, 0.6, 0.9, 0.1]])


def func_layer_sizes_extra_case():
    """Inputs for ``func_layer_sizes`` with more features than examples.

    Returns
    -------
    X : ndarray of shape (6, 2)
    Y : ndarray of shape (3, 2)
    """
    X = np.arange(12.0).reshape(6, 2) / 10
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, Y


def func_initialize_parameters_extra_case():
    """Layer sizes for ``func_initialize_parameters`` other than the lesson's.

    Returns
    -------
    n_x, n_h, n_y : int
        2, 3 and 1.
    """
    return 2, 3, 1


def func_forward_propagation_extra_case():
    """Inputs for ``func_forward_propagation`` with non-zero biases (n_x=3, n_h=2, m=4).

    Returns
    -------
    X : ndarray of shape (3, 4)
    parameters : dict
        ``W1`` (2, 3), ``b1`` (2, 1), ``W2`` (1, 2), ``b2`` (1, 1).
    """
    return _extra_X(), _extra_parameters()


def func_compute_cost_extra_case():
    """Inputs for ``func_compute_cost`` with 0/1 labels (m=5).

    Returns
    -------
    A2 : ndarray of shape (1, 5)
    Y : ndarray of shape (1, 5)
    """
    A2 = np.array([[0.8, 0.3, 0.65, 0.1, 0.45]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0, 0.0]])
    return A2, Y


def func_backward_propagation_extra_case():
    """Inputs for ``func_backward_propagation`` where tanh is far from linear (n_x=3, n_h=2, m=4).

    The cache is what forward propagation gives for these ``X`` and
    ``parameters`` (the same as in ``func_forward_propagation_extra_case``),
    written out to every digit.

    Returns
    -------
    parameters : dict
        ``W1`` (2, 3), ``b1`` (2, 1), ``W2`` (1, 2), ``b2`` (1, 1).
    cache : dict
        ``Z1``, ``A1`` (2, 4) and ``Z2``, ``A2`` (1, 4).
    X : ndarray of shape (3, 4)
    Y : ndarray of shape (1, 4), values 0. or 1.
    """
    cache = {
        "Z1": np.array([[0.6900000000000001, -0.5400000000000003, 2.34, 2.1800000000000006],
                        [-1.94, 1.1, -0.7299999999999999, -1.8299999999999998]]),
        "A1": np.array([[0.5979820004989412, -0.4929879666753245, 0.9816125892654238, 0.9747656786413227],
                        [-0.9595340058084292, 0.8004990217606297, -0.623065349572361, -0.9498260756930403]]),
        "Z2": np.array([[1.5203518060258923, -1.8092298662650859, 1.8313389574398033, 2.114468553949853]]),
        "A2": np.array([[0.8205902799762113, 0.14073122912295272, 0.8619211575065281, 0.892301512539541]]),
    }
    Y = np.array([[1.0, 0.0, 0.0, 1.0]])
    return _extra_parameters(), cache, _extra_X(), Y


def func_update_parameters_extra_case():
    """Inputs for ``func_update_parameters``, to be called with ``lr=0.1``.

    Returns
    -------
    parameters : dict
        ``W1`` (2, 3), ``b1`` (2, 1), ``W2`` (1, 2), ``b2`` (1, 1).
    grads : dict
        ``dW1``, ``db1``, ``dW2``, ``db2`` of the same shapes.
    """
    grads = {
        "dW1": np.array([[0.12, -0.05, 0.3],
                         [-0.25, 0.08, -0.14]]),
        "db1": np.array([[0.07], [-0.22]]),
        "dW2": np.array([[-0.31, 0.18]]),
        "db2": np.array([[0.09]]),
    }
    return _extra_parameters(), grads


def func_nn_model_extra_case():
    """Inputs for ``func_nn_model``, to be called with ``n_h=2, lr=0.9, num_epochs=3``.

    Returns
    -------
    X : ndarray of shape (3, 5)
    Y : ndarray of shape (1, 5), values 0. or 1.
    """
    X = np.array([[0.4, -1.2, 0.9, 0.1, -0.6],
                  [1.1, 0.3, -0.8, 0.5, -1.4],
                  [-0.2, 0.7, 0.6, -1.0, 0.2]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0]])
    return X, Y


def func_predict_extra_case():
    """Inputs for ``func_predict`` with both classes and one output exactly 0.5.

    The biases are zero and the third column of ``X`` is zero, so for that
    example ``Z1``, ``A1`` and ``Z2`` are exactly 0 and ``A2`` is exactly 0.5,
    which predicts 0 (only ``A2 > 0.5`` predicts 1).

    Returns
    -------
    parameters : dict
        ``W1`` (3, 2), ``b1`` (3, 1), ``W2`` (1, 3), ``b2`` (1, 1).
    X : ndarray of shape (2, 5)
    """
    parameters = {
        "W1": np.array([[1.2, -0.7],
                        [-0.4, 0.9],
                        [0.8, 0.5]]),
        "b1": np.zeros((3, 1)),
        "W2": np.array([[1.5, -1.1, 0.6]]),
        "b2": np.zeros((1, 1)),
    }
    X = np.array([[0.9, -0.6, 0.0, 0.3, -1.1],
                  [-0.2, 0.8, 0.0, 1.0, -0.5]])
    return parameters, X
