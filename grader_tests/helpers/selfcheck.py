"""An assignment's public self-checks and hidden cases run in-process on its mutation catalog.

Shared by ``grader_tests/material/test_selfchecks.py`` (L1W3) and
``test_selfchecks_l1w2.py``: the source notebook's solution cells are executed
in one namespace (as the notebook's imports would leave it), a mutant's edits
applied to its cell; the exercise's ``check_*`` runs on the result, or the
spec's hidden cases are judged against the reference, callees being the
reference's as in grading.  No kernel, no notebook execution.
"""

import contextlib
import functools
import io
import linecache
import warnings

import numpy as np

from grader.course.assignment import copy_value, load
from grader_tests.helpers import mutants, mutants_l1w2
from grader_tests.helpers.course import paragraphs

CATALOGS = {"L1W3": mutants.MUTANTS, "L1W2": mutants_l1w2.MUTANTS}


@functools.lru_cache(maxsize=None)
def assignment(assignment_id):
    return load(assignment_id)


def by_id(assignment_id):
    return {m.id: m for m in CATALOGS[assignment_id]}


def check(assignment_id, exercise):
    """The public self-check of ``exercise`` (``check_<name without func_>``)."""
    return getattr(assignment(assignment_id).helpers["checks"], "check_" + exercise[len("func_") :])


def star(module):
    """What ``from module import *`` binds: ``__all__``, else the public names."""
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    return {name: getattr(module, name) for name in names}


def mutate(mutant, source):
    """``source`` with ``mutant``'s edits applied, each ``old`` occurring exactly once."""
    for old, new in mutant.edits:
        assert source.count(old) == 1, (mutant.id, old)
        source = source.replace(old, new)
    return source


def solutions(assignment_id, mutant=None):
    """The solution cells executed in one namespace, ``mutant``'s edits applied to its cell."""
    course = assignment(assignment_id)
    namespace = {"__name__": "solutions"}
    exec("import numpy as np", namespace)
    for name, module in sorted(course.helpers.items()):
        if name != "checks":  # as the notebooks' `from planar_utils import *` and test-case imports
            namespace.update(star(module))
    for name, source in course.solution_sources.items():
        if mutant is not None and mutant.exercise == name:
            source = mutate(mutant, source)
        filename = f"<solution {assignment_id} {name}>"
        # As IPython does for a cell: the traceback shows the line that raised.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace


@functools.lru_cache(maxsize=None)
def outcome(assignment_id, mutant_id):
    """Run the check of the mutant's exercise once; return ``(exception or None, stdout)``."""
    mutant = by_id(assignment_id)[mutant_id]
    namespace = solutions(assignment_id, mutant)
    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")  # a bug may well divide by zero on the way
        try:
            check(assignment_id, mutant.exercise)(namespace[mutant.exercise])
        except Exception as exc:
            return exc, out.getvalue()
    return None, out.getvalue()


def failure(assignment_id, mutant_id):
    """The Mismatch the check of the mutant's exercise raises."""
    error, _ = outcome(assignment_id, mutant_id)
    assert isinstance(error, assignment(assignment_id).helpers["checks"].Mismatch), repr(error)
    return error


@functools.lru_cache(maxsize=None)
def hidden_failures(assignment_id, mutant_id):
    """``((case label, message), ...)``: the hidden cases the mutant's exercise fails, callees correct."""
    course = assignment(assignment_id)
    mutant = by_id(assignment_id)[mutant_id]
    spec, exercise = course.spec, mutant.exercise
    namespace = solutions(assignment_id, mutant)
    for callee in spec.callees.get(exercise, ()):
        namespace[callee] = course.reference[callee]
    failures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case, expected in zip(spec.cases[exercise], course.expected(exercise)):
            try:
                actual = namespace[exercise](*copy_value(case.args), **copy_value(case.kwargs))
            except Exception as exc:  # a student's function may raise anything
                failures.append((case.label, f"raised {type(exc).__name__}: {exc}"))
                continue
            problem = spec.compare(expected, actual, spec.result_names[exercise])
            if problem:
                failures.append((case.label, str(problem)))
    return tuple(failures)


def finite(value):
    """Whether every number in a nested result is finite."""
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return all(finite(v) for v in value)
    return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))


def cut_by_nbgrader_validate(message):
    """The lines of ``message`` that ``nbgrader validate`` cuts with "..." when it prints the error."""
    from nbgrader.validator import Validator

    validator = Validator()
    shown = validator._indent(message).split("\n")
    return [line for line, printed in zip(message.split("\n"), shown) if printed != validator.indent + line]


def assert_fits(assignment_id, error):
    """A failed check's message fits: languages on lines of their own, none too wide, every hint in it.

    Chinese and English on lines of their own, none wider than ``WIDTH`` columns, none cut
    by ``nbgrader validate`` (it ends a long line with "..."); each hint the error names is in the message, as a
    ``Hint:`` line once its wrapped lines are joined (after its Chinese ``提示：``).
    """
    core = assignment(assignment_id).helpers["selfcheck_core"]
    text = str(error)
    lines = text.splitlines()
    assert max(core.columns(line) for line in lines) <= core.WIDTH <= 100, text
    assert cut_by_nbgrader_validate(text) == [], text
    for line in lines:
        # A line is in one language: no Chinese half followed by its English one.
        assert core.halves(line) is None or len(line) < 20, line
    joined = paragraphs(text)
    assert any(line.startswith("Hint: ") for line in lines) is bool(error.hints), (text, error.hints)
    for hint in error.hints:
        at = joined.index("Hint: " + hint)
        assert joined[at - 1].startswith("提示："), text
