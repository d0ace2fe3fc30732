"""The course's grading engine (instructor side only; never released).

It names no assignment: an assignment is data, found by its id (see
``grader.course.assignment``).  The hidden cases live in ``grading/<id>/spec.py``
and the reference solutions in the source notebooks, neither of which is
released nor visible to a student's kernel.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Every nbformat import pulls in jsonschema, whose optional IRI format checker imports
# rfc3987_syntax, which compiles a Lark grammar at import time: 2.7 s of every grading
# run on a 2-core machine, for a check nothing here uses (notebooks have no IRI fields).
# jsonschema skips that checker when the import fails.
if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None

# nbgrader runs ``alembic`` as a subprocess whenever it creates a gradebook
# (also in this process): the interpreter's own ``bin`` folder must be on
# PATH however the grader was started (formgrader's server, a plain shell).
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


def tool_env(**extra):
    """Environment for the nbgrader/jupyter subprocesses the grader starts.

    nbgrader runs ``alembic`` as a subprocess when it creates a gradebook, so
    the interpreter's own ``bin`` folder must be on PATH however the grader was
    started; nbgrader_config.py puts the course root on ``sys.path`` itself.
    """
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env
