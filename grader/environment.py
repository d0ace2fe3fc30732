"""The process set-up of the grader's entry points, made explicitly, never on import.

Importing ``grader`` or any of its modules changes no global state: neither
``sys.modules`` (beyond the modules imported) nor ``os.environ``.  What a
grading process needs of its environment is done by :func:`prepare`, which
every entry point calls first:

- the command line (``python -m grader``, :func:`grader.cli.main`);
- ``nbgrader_config.py``, which nbgrader, formgrader and the Jupyter server
  execute (there the call is the set-up of those processes);
- ``bench/run.py`` and the tests' ``conftest.py``;
- a Dask worker, through the runner (``grader.batch.runner``), before its
  first task;
- a kernel running a source notebook's hidden tests
  (``grader.hidden.run_hidden_tests``, :func:`skip_iri_checker` only: a
  kernel starts no nbgrader command).

:func:`tool_env` is the environment of the nbgrader and Jupyter subprocesses
the grader starts.
"""

import os
import sys


def prepare():
    """Set up this process for grading; safe to call any number of times.

    Calls :func:`skip_iri_checker` (first: before anything imports nbformat)
    and :func:`put_interpreter_on_path`.
    """
    skip_iri_checker()
    put_interpreter_on_path()


def skip_iri_checker():
    """Spare this process jsonschema's IRI checker, whose import costs seconds.

    Every nbformat import pulls in jsonschema, whose optional IRI format
    checker imports ``rfc3987_syntax``, which compiles a Lark grammar at
    import time: 2.7 s of every grading process (and of every kernel that runs
    a source notebook's hidden tests) on a 2-core machine, for a check nothing
    here uses (notebooks have no IRI fields).  jsonschema skips that checker
    when the import fails, so a ``None`` entry in ``sys.modules`` (which makes
    the import fail) is installed.  It only saves the time when made before
    the first nbformat import.
    """
    if "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None


# jsonschema's optional format checkers whose libraries nothing else here imports (isoduration
# brings arrow and dateutil's parser along): about 50 ms of CPU on this machine.  idna and
# jsonpointer are left: other packages use them.
FORMAT_CHECKER_MODULES = (
    "isoduration",
    "uri_template",
    "webcolors",
    "fqdn",
    "rfc3339_validator",
    "rfc3986_validator",
)


def skip_unused_format_checkers():
    """Spare a command jsonschema's optional format checkers, which no grading process uses.

    nbformat validates without a format checker, yet ``import jsonschema`` imports every
    checker's library it finds (:data:`FORMAT_CHECKER_MODULES`), in every command-line
    process, once per submission on nbgrader's own autograde path.  As in
    :func:`skip_iri_checker`, a ``None`` entry in ``sys.modules`` makes jsonschema leave
    that format unchecked.  Only the command line calls it (no command serves Jupyter,
    whose event log checks formats), and only for modules nothing imported yet; it
    returns the names it skipped.
    """
    skipped = [name for name in FORMAT_CHECKER_MODULES if name not in sys.modules]
    for name in skipped:
        sys.modules[name] = None
    return skipped


def nbgrader_without_server_extensions():
    """Make ``import nbgrader.<module>`` skip the package's own ``__init__`` (its server extensions).

    nbgrader's ``__init__`` imports its four Jupyter server extensions (tornado, the
    Jupyter server, the exchange, formgrader's handlers): 0.7 s of every command that only
    needs the gradebook (``nbgrader.api``) or a preprocessor, run once per submission on
    nbgrader's own autograde path.  Here ``nbgrader`` becomes a bare package module over
    the same folder, with its ``__version__``; its submodules import as usual.  Only the
    command line calls it (never ``prepare``: a Jupyter server needs the real package), and
    only before anything imported nbgrader; it returns whether it did.
    """
    if "nbgrader" in sys.modules:
        return False
    import importlib.machinery
    import importlib.util
    import types

    spec = importlib.util.find_spec("nbgrader")
    if spec is None or not spec.submodule_search_locations:
        return False
    module = types.ModuleType("nbgrader", "nbgrader, imported without its server extensions")
    module.__path__ = list(spec.submodule_search_locations)
    module.__file__, module.__package__ = spec.origin, "nbgrader"
    module.__spec__ = importlib.machinery.ModuleSpec("nbgrader", None, is_package=True)
    module.__spec__.submodule_search_locations = module.__path__
    sys.modules["nbgrader"] = module
    try:
        from nbgrader._version import __version__
    except ImportError:
        del sys.modules["nbgrader"]
        return False
    module.__version__ = __version__
    return True


# Modules nbgrader's gradebook (``nbgrader.api``) imports at its top for functions a grading
# command never calls: setuptools' archive helpers (``nbgrader.utils``, for ``zip_collect``)
# and requests (``nbgrader.auth.jupyterhub``, for JupyterHub's API).  Together 0.3 to 0.9 s of
# CPU in every grading run (setuptools imports pkg_resources), beside the workers.  Each maps
# to the names taken from it by ``from ... import`` at import time (forwarded one by one).
_DEFERRED = {
    "setuptools.archive_util": ("unpack_archive", "unpack_tarfile", "unpack_zipfile"),
    "requests": (),
}


def defer_unused_gradebook_imports():
    """Let ``nbgrader.api`` import without setuptools and requests until one of them is used.

    Each becomes a stand-in module until first used: its forwarded functions, and any other
    attribute (PEP 562's module ``__getattr__``), import the real module, which then
    replaces the stand-in in ``sys.modules``.  Nothing changes for a caller but when the
    import happens.  Only the command line calls it, and only for modules nothing imported
    yet; it returns the names it deferred.
    """
    import importlib
    import importlib.util
    import types

    deferred = []
    for name, functions in _DEFERRED.items():
        if name in sys.modules or importlib.util.find_spec(name.split(".")[0]) is None:
            continue
        stand_in = types.ModuleType(name, f"{name}, imported on first use")

        def real(name=name, stand_in=stand_in):
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            return importlib.import_module(name)

        def forward(function, real=real):
            def call(*args, **kwargs):
                return getattr(real(), function)(*args, **kwargs)

            call.__name__ = call.__qualname__ = function
            return call

        for function in functions:
            setattr(stand_in, function, forward(function))

        def attribute(name, real=real):
            if name.startswith("__"):  # the import system's own questions (__path__, ...): not a use
                raise AttributeError(name)
            return getattr(real(), name)

        stand_in.__getattr__ = attribute
        sys.modules[name] = stand_in
        deferred.append(name)
    return deferred


# The numerical libraries' thread pools, sized to the machine unless told otherwise.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_blas():
    """One thread for OpenBLAS (and OpenMP, MKL) in this command, unless the caller chose a number.

    The grading processes run numpy on arrays of a few hundred numbers, on which a second
    BLAS thread does no work yet spins after every call: 0.1 s of CPU at a run's start
    (the reference solutions), beside the zygote's boot, on a 2-core machine.  Kernels
    are single-threaded already (``grader.sandbox.kernel.kernel_env``).  Only the command
    line's ``grade`` calls it, before numpy is imported (later it changes nothing), so
    that no Jupyter server or tool another command starts inherits it; it returns the
    variables it set.
    """
    if "numpy" in sys.modules:
        return []
    chosen = [name for name in BLAS_THREAD_VARIABLES if name not in os.environ]
    for name in chosen:
        os.environ[name] = "1"
    return chosen


def exit_at_once(code):
    """End this process with ``code`` (as ``sys.exit`` takes it), without the interpreter's teardown.

    Tearing down numpy, nbformat, SQLAlchemy and nbgrader's models costs a grading run
    about 0.1 s of wall time at its end, after its last result (8 % of 20 submissions' run).
    The ``atexit`` handlers run and the standard streams are flushed first; everything a
    grading run writes is closed by then (atomic writes, the gradebook committed and
    closed).  Only ``python -m grader grade`` ends this way.
    """
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as sys.exit does with any other object
        print(code, file=sys.stderr)
        sys.stderr.flush()
        status = 1
    os._exit(status & 0xFF)


def put_interpreter_on_path():
    """Put this interpreter's ``bin`` folder first on ``PATH`` unless it is on it already.

    nbgrader runs ``alembic`` as a subprocess whenever it creates a gradebook
    (also in this process), however the grader was started (formgrader's
    server, a plain shell).
    """
    path = os.environ.get("PATH", "")
    if _bin() not in path.split(os.pathsep):
        os.environ["PATH"] = _bin() + os.pathsep + path


def tool_env(**extra):
    """Environment for the nbgrader/jupyter subprocesses the grader starts.

    Parameters
    ----------
    **extra : str
        Variables to set on top of this process's environment.

    Returns
    -------
    dict of str to str
        A copy of ``os.environ`` with the interpreter's ``bin`` folder first
        on ``PATH`` (nbgrader runs ``alembic`` when it creates a gradebook;
        nbgrader_config.py puts the course root on ``sys.path`` itself) and
        ``extra`` applied.
    """
    env = dict(os.environ)
    env["PATH"] = _bin() + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def _bin():
    """The folder of this interpreter (a venv's ``bin``, beside ``nbgrader`` and ``alembic``)."""
    return os.path.dirname(sys.executable)
