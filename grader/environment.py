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
