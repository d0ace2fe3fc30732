# GENERATED FILE: do not edit. `make release` copied it from utils/planar_utils.py;
# edit utils/planar_utils.py and run `make release` instead.
"""Data sets, activation and plotting helpers of the L1W3 lesson (``planar_utils``).

Every data generator takes ``random_state`` (default: the course seed 2030) and
draws from its own ``numpy.random.RandomState``, so it reproduces the lesson's
arrays without touching numpy's global random state.
"""
import numpy as np

COURSE_SEED = 2030

# exp(-x) overflows float64 for x below this; the sigmoid switches formula there.
_EXP_LIMIT = float(np.log(np.finfo(np.float64).max))


def func_sigmoid(x):
    """Compute the logistic sigmoid ``1 / (1 + exp(-x))`` without overflow.

    Where ``exp(-x)`` is finite the result is computed with exactly the lesson's
    formula (so it is bitwise equal to it); for ``x < -709.78``, where the
    lesson's formula overflows and warns, it returns ``exp(x)``, which is the
    correctly rounded value there.

    Parameters
    ----------
    x : float or array_like of any shape
        Input.

    Returns
    -------
    s : float or ndarray of the same shape as ``x``
        ``sigmoid(x)``; a Python float for scalar input.
    """
    x_arr = np.asarray(x, dtype=np.float64)
    safe = x_arr >= -_EXP_LIMIT
    s = np.empty_like(x_arr)
    s[safe] = 1 / (1 + np.exp(-x_arr[safe]))
    s[~safe] = np.exp(x_arr[~safe])
    if np.ndim(x) == 0:
        return float(s)
    return s


def func_load_planar_dataset(random_state=COURSE_SEED):
    """Generate the two-class "flower" data set of the lesson.

    Parameters
    ----------
    random_state : int, default=2030
        Seed of the private ``RandomState``; 2030 reproduces the lesson.

    Returns
    -------
    X : ndarray of shape (2, 400)
        Coordinates, one example per column.
    Y : ndarray of shape (1, 400), dtype uint8
        Labels: 0 (red) for the first 200 examples, 1 (blue) for the rest.
    """
    rng = np.random.RandomState(random_state)
    m = 400  # number of examples
    N = m // 2  # points per class
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4  # maximum ray of the flower
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.randn(N) * 0.2  # theta
        r = a * np.sin(4 * t) + rng.randn(N) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def func_load_extra_datasets(random_state=COURSE_SEED):
    """Generate the four extra data sets of section 6 (and an unstructured one).

    The lesson drew these from scikit-learn without a seed, so they changed on
    every run; here every generator is seeded from ``random_state``.

    Parameters
    ----------
    random_state : int, default=2030
        Seed from which each generator's seed is derived.

    Returns
    -------
    noisy_circles, noisy_moons, blobs, gaussian_quantiles, no_structure : tuple of (X, y)
        Each ``X`` has shape (200, 2) and each ``y`` shape (200,) (examples in
        rows, as scikit-learn returns them).  ``blobs`` has six classes (the
        lesson takes them modulo 2); the others have two.  ``no_structure``'s
        ``y`` is random, as in the lesson.
    """
    import sklearn.datasets

    seeds = np.random.RandomState(random_state).randint(0, 2**31 - 1, size=5)
    N = 200
    noisy_circles = sklearn.datasets.make_circles(
        n_samples=N, factor=0.5, noise=0.3, random_state=seeds[0])
    noisy_moons = sklearn.datasets.make_moons(
        n_samples=N, noise=0.2, random_state=seeds[1])
    # The lesson already fixed random_state=5 for the blobs; keep it.
    blobs = sklearn.datasets.make_blobs(
        n_samples=N, random_state=5, n_features=2, centers=6)
    gaussian_quantiles = sklearn.datasets.make_gaussian_quantiles(
        mean=None, cov=0.5, n_samples=N, n_features=2, n_classes=2,
        shuffle=True, random_state=seeds[3])
    rng = np.random.RandomState(seeds[4])
    no_structure = rng.rand(N, 2), rng.rand(N, 2)
    return noisy_circles, noisy_moons, blobs, gaussian_quantiles, no_structure


def func_plot_decision_boundary(model, X, y, resolution=300, ax=None):
    """Plot a classifier's decision regions and the labelled examples.

    The lesson evaluated the model on a grid with a fixed step of 0.01 (about
    a million points for the flower); this grid has ``resolution`` points per
    axis, which is as fine as the plot can show and a fraction of the cost.

    Parameters
    ----------
    model : callable
        Takes an array of shape (n_points, 2) and returns n_points labels
        (any shape with n_points elements).
    X : ndarray of shape (2, m)
        Examples, one per column.
    y : array_like with m elements
        Labels, e.g. of shape (1, m).
    resolution : int, default=300
        Grid points per axis.
    ax : matplotlib Axes, optional
        Where to draw; the current axes by default.

    Returns
    -------
    ax : matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        ax = plt.gca()
    x_min, x_max = X[0, :].min() - 1, X[0, :].max() + 1
    y_min, y_max = X[1, :].min() - 1, X[1, :].max() + 1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution),
                         np.linspace(y_min, y_max, resolution))
    Z = np.asarray(model(np.c_[xx.ravel(), yy.ravel()])).reshape(xx.shape)
    ax.contourf(xx, yy, Z, cmap=plt.cm.Spectral)
    ax.set_ylabel("x2")
    ax.set_xlabel("x1")
    ax.scatter(X[0, :], X[1, :], c=np.ravel(y), cmap=plt.cm.Spectral, edgecolors="k", linewidths=0.3)
    return ax
