"""Find an assignment by its id: its source folder, its release, its grading spec, its helpers.

An assignment is data, laid out by convention under the course root::

    source/<id>/<notebook>.ipynb   the instructor notebook (solutions, hidden-test markers)
    source/<id>/*.py               helper modules, released with the notebook (relative
                                   symlinks to utils/<id>/*.py, the files to edit, or to
                                   utils/shared/*.py, those every assignment shares)
    notebooks/<id>/                the student release (nbgrader generate_assignment)
    grading/<id>/spec.py           never released: ``build(helpers) -> grader.spec.Spec``

The helper modules are loaded by path for each assignment: they are imported
under their own names (they import each other that way, as in the student's
notebook) only while the assignment's folder is first on ``sys.path``, and
removed from ``sys.modules`` afterwards, so two assignments' helper modules of
the same name coexist in one process.
"""

import functools
import importlib
import importlib.util
import os
import sys
import threading

from grader import ROOT
from grader import messages as msg
from grader.course import secret as course_secret

EXPLORATORY = "exploratory"  # tag of the cells grading skips
_IMPORT_LOCK = threading.Lock()


class UnknownAssignment(ValueError):
    """No assignment of that id exists under the course root."""


def ids(root=ROOT):
    """The ids of the assignments under ``root`` (those with a source folder and a spec)."""
    grading = os.path.join(root, "grading")
    if not os.path.isdir(grading):
        return []
    return sorted(
        name
        for name in os.listdir(grading)
        if os.path.isfile(os.path.join(grading, name, "spec.py"))
        and os.path.isdir(os.path.join(root, "source", name))
    )


def release_dir(assignment_id, root=ROOT):
    """The folder of ``assignment_id``'s student release (``notebooks/<id>``)."""
    return os.path.join(root, "notebooks", assignment_id)


def release_helpers(folder):
    """``{file name: text}`` of every ``*.py`` of a release ``folder``: what a kernel imports."""
    helpers = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                helpers[name] = f.read()
    return helpers


def load_helpers(folder):
    """Import every ``*.py`` of ``folder`` by path; return ``{module name: module}``.

    The modules see each other under their plain names while they load;
    nothing stays on ``sys.path`` or in ``sys.modules`` afterwards.
    """
    names = sorted(n[:-3] for n in os.listdir(folder) if n.endswith(".py") and not n.startswith("_"))
    with _IMPORT_LOCK:
        saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
        sys.path.insert(0, folder)
        try:
            modules = {}
            for name in names:
                modules[name] = importlib.import_module(name)
            return modules
        finally:
            sys.path.remove(folder)
            for name in names:
                sys.modules.pop(name, None)
            sys.modules.update(saved)


def _load_spec(path, helpers, assignment_id):
    name = f"grading_spec_{assignment_id}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.build(helpers)


def read_course_notebook(path):
    """The course's own notebook at ``path`` (source or release), as ``nbformat.read`` returns it.

    Without nbformat's schema validation, which only logs: compiling its validator and
    validating cost about 50 ms of every grading run's start, before the first submission
    can be handed out.  The notebooks are the course's, written by nbformat and checked
    by CI (``grader_tests`` compares this with ``nbformat.read``); a submission is read by
    ``grader.pipeline.notebook.read_notebook``, which refuses what it cannot grade.
    """
    import json

    import nbformat.v4  # here: a grading run starts its zygote before it imports nbformat

    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    if raw.get("nbformat") != 4:
        raise ValueError(f"{path}: not a version 4 notebook (nbformat {raw.get('nbformat')!r})")
    return nbformat.v4.to_notebook_json(raw)


class Assignment:
    """One assignment of the course, found by id (see the module's doc).

    Attributes
    ----------
    id : str
    spec : grader.spec.Spec
    helpers : dict
        ``{module name: module}`` of ``source/<id>/*.py``.
    notebook : str
        The notebook's file name.
    source_dir, release_dir : str
    exercises : tuple of str
        Exercise names in notebook order.
    test_cells : dict
        ``{exercise: test cell grade id}``.
    """

    def __init__(self, assignment_id, root=ROOT):
        if assignment_id not in ids(root):
            known = ", ".join(ids(root)) or "none"
            raise UnknownAssignment(msg.UNKNOWN_ASSIGNMENT.format(assignment=assignment_id, known=known))
        self.id = assignment_id
        self.root = root
        self.source_dir = os.path.join(root, "source", assignment_id)
        self.release_dir = release_dir(assignment_id, root)
        self.helpers = load_helpers(self.source_dir)
        self.spec = _load_spec(
            os.path.join(root, "grading", assignment_id, "spec.py"), self.helpers, assignment_id
        )
        self.notebook = self.spec.notebook
        self.source_notebook = os.path.join(self.source_dir, self.notebook)
        self.release_notebook = os.path.join(self.release_dir, self.notebook)
        self.exercises = tuple(self.spec.exercises)
        self.test_cells = dict(self.spec.exercises)
        self.exercise_of_test = {gid: exercise for exercise, gid in self.test_cells.items()}

    @property
    def notebook_id(self):
        """The notebook's name without ``.ipynb``, as nbgrader's gradebook names it."""
        return os.path.splitext(self.notebook)[0]

    @functools.cached_property
    def source_notebook_node(self):
        """The source notebook, read once (:func:`read_course_notebook`); read it, never change it."""
        return read_course_notebook(self.source_notebook)

    @functools.cached_property
    def solution_sources(self):
        """``{exercise: source of its solution cell}`` from the source notebook."""
        sources = {}
        for cell in self.source_notebook_node.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and meta.get("grade_id") in self.test_cells:
                sources[meta["grade_id"]] = cell.source
        missing = [name for name in self.exercises if name not in sources]
        if missing:
            raise RuntimeError(f"{self.source_notebook}: no solution cell for {', '.join(missing)}")
        return sources

    @functools.cached_property
    def reference(self):
        """``{exercise: reference function}``: the solution cells, executed in one namespace here."""
        namespace = self._solutions(f"grader_reference_{self.id}")
        return {name: namespace[name] for name in self.exercises}

    def _solutions(self, module_name):
        """A fresh namespace with the solution cells executed in it."""
        namespace = dict(self.spec.solution_globals, __name__=module_name)
        for name, source in self.solution_sources.items():
            exec(compile(source, f"<solution {self.id} {name}>", "exec"), namespace)
        return namespace

    def expected(self, exercise, cases=None):
        """The reference results of ``exercise``'s hidden ``cases``.

        ``cases`` default to the fixed view (``spec.cases[exercise]``), whose
        results are computed once; a submission's own cases
        (:meth:`hidden_cases`) are computed each time.
        """
        function = self.reference[exercise]
        if cases is not None:
            return [function(*copy_value(c.args), **copy_value(c.kwargs)) for c in cases]
        cache = self.__dict__.setdefault("_expected", {})
        if exercise not in cache:
            cache[exercise] = self.expected(exercise, self.spec.cases[exercise])
        return cache[exercise]

    def count_reference_calls(self, exercise, cases=None):
        """How many calls the reference ``exercise`` makes to its callees on ``cases``.

        ``cases`` default to the fixed view (their sizes and epochs, hence the count, are
        the same for every seed: ``grader_tests/material/test_callee_calls.py``).  Run in
        a namespace of its own, so that :attr:`reference` is never touched.
        """
        callees = self.spec.callees.get(exercise, ())
        namespace = self._solutions(f"grader_reference_calls_{self.id}")
        counted = [0]

        def counting(function):
            def call(*args, **kwargs):
                counted[0] += 1
                return function(*args, **kwargs)

            return call

        for name in callees:
            namespace[name] = counting(namespace[name])
        for case in self.spec.cases[exercise] if cases is None else cases:
            namespace[exercise](*copy_value(case.args), **copy_value(case.kwargs))
        return counted[0]

    def submission_seed(self, student, secret=None):
        """The seed of ``student``'s hidden inputs (``grader.course.secret.submission_seed``).

        ``secret`` defaults to the course secret of this assignment's course
        root, created there on first need.
        """
        if secret is None:
            secret = course_secret.load(self.root)
        return course_secret.submission_seed(secret, self.id, student)

    def hidden_cases(self, seed):
        """``{exercise: [Case, ...]}``: the hidden cases of the submission whose seed is ``seed``."""
        return self.spec.cases_for(seed)

    def call_reference(self, name, args, kwargs):
        """Call the reference ``name`` (a callee stub's request) on copies of the arguments."""
        return self.reference[name](*copy_value(args), **copy_value(kwargs))

    def __repr__(self):
        return f"Assignment({self.id!r})"


def copy_value(value):
    """A deep copy of arrays, tuples, lists and dicts (inputs must not be changed by a call)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(copy_value(v) for v in value)
    return value


@functools.lru_cache(maxsize=None)
def load(assignment_id, root=ROOT):
    """The :class:`Assignment` of ``assignment_id`` (loaded once per process)."""
    return Assignment(assignment_id, root)
