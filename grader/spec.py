"""What an assignment's grading spec declares (``grading/<id>/spec.py``).

A spec module defines ``build(helpers) -> Spec``, where ``helpers`` maps the
names of the assignment's helper modules (``source/<id>/*.py``) to the modules,
loaded by path for that assignment alone (see ``grader.course.assignment``).  The
spec is never released to students: it holds the hidden cases.

Hidden cases come in two views.  ``Spec.cases`` is the fixed view, drawn from the
spec's own private seed: what the source notebook's hidden-test cells, stock
nbgrader and the material's tests see.  ``Spec.draw(seed)`` makes the cases one
submission is graded on, from that submission's seed
(``grader.course.secret.submission_seed``: the course secret, the assignment and
the student), so every student gets hidden inputs of their own and a regrade the
same ones.  Both views have the same labels in the same order (labels name
shapes and kinds, never values); the lesson's own cases are the same in both.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from grader import messages as msg


def case_rng(exercise, seed):
    """The random stream of one exercise's hidden cases.

    Every exercise draws its hidden inputs from a stream of its own, so that
    adding, removing or resizing a case of one exercise leaves the inputs of
    every other exercise as they were (one stream shared in notebook order
    would shift every later exercise's cases).

    Parameters
    ----------
    exercise : str
        The exercise's name; it selects the stream.
    seed : int
        A submission's seed (``Spec.draw``'s argument), or the spec's private
        seed of the fixed view; never the course seed of the lesson (the
        hidden inputs must not be reproducible from the release).

    Returns
    -------
    numpy.random.RandomState
        A generator with the legacy ``RandomState`` methods (``randn``,
        ``rand``, ``uniform``, ...), whose streams NumPy keeps unchanged
        across versions, over an ``MT19937`` seeded by
        ``SeedSequence(seed, spawn_key=(h,))``, where ``h`` is the SHA-256
        of the exercise's name: Python's ``hash`` of a string changes with
        ``PYTHONHASHSEED``, the SHA-256 never does.

    Examples
    --------
    In ``grading/<id>/spec.py``, just before an exercise's cases:

    >>> rng = case_rng("area", seed=12_345)
    >>> inputs = rng.randn(3, 4)
    """
    key = int.from_bytes(hashlib.sha256(exercise.encode("utf-8")).digest(), "big")
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(key,))
    return np.random.RandomState(np.random.MT19937(sequence))


@runtime_checkable
class FeedbackExtra(Protocol):
    """What a spec's ``feedback`` provides: a section of the feedback page from the student's code.

    A module of the grading folder (``grading/<id>/feedback_extra.py``, say) fits it
    when it defines these names; :mod:`grader.pages.extras` runs ``probe`` in the
    sandbox after the student's cells, then ``decode``, ``reference`` and ``render``
    in the grading process.

    Attributes
    ----------
    title : str
        The section's bilingual heading.
    probe : str
        Kernel code defining ``__probe__(user_ns, recorded, call)``, whose return
        value is the raw answer (numbers, strings, lists, dicts, numeric arrays).
    """

    title: str
    probe: str

    def decode(self, answer: Any) -> Any:
        """The kernel's raw ``answer``, checked strictly (``ValueError`` if unusable)."""

    def reference(self) -> Any:
        """The reference model's counterpart of a decoded answer, computed in the grading process."""

    def render(self, student: Any, reference: Any) -> str:
        """The section's HTML; ``student`` is a decoded answer or the reason there is none."""


@dataclass(frozen=True)
class Case:
    """One hidden test case: the arguments an exercise's function is called with.

    Parameters
    ----------
    label : str
        Short description shown in verdicts (``"n_x=3, n_h=5, m=7"``).
    args : tuple
        Positional arguments (numbers, strings, numeric arrays, tuples, lists, dicts of those).
    kwargs : dict
        Keyword arguments, of the same kinds.
    """

    label: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Spec:
    """The grading spec of one assignment.

    Parameters
    ----------
    notebook : str
        File name of the assignment's notebook (``<name>.ipynb``).
    exercises : dict
        ``{exercise: test cell grade id}`` in notebook order.  The exercise's
        solution cell has the exercise's name as its grade id.
    cases : dict
        ``{exercise: [Case, ...]}``, the hidden cases (the lesson's first), the
        fixed view: drawn from the spec's private seed.  Stock nbgrader's
        hidden-test cells and the material's tests use it; grading uses
        ``draw``.
    draw : callable, optional
        ``draw(seed) -> {exercise: [Case, ...]}``: the hidden cases of one
        submission, drawn from its seed (an int below 2**128).  The labels,
        and so the number of cases, must be those of ``cases``
        (:meth:`cases_for` checks it); the lesson's cases stay as they are.
        Without it every submission is graded on ``cases``.
    result_names : dict
        ``{exercise: name}``: what a message calls the function's result.
    callees : dict
        ``{composite exercise: (exercise, ...)}``: the functions a composite
        exercise calls, replaced by the reference while it is graded.  A
        callee stub is answered only when every array among its arguments
        equals, by value, an array the grader handed to that probe (an input
        of its cases or an earlier answer): a probe is no oracle for other
        inputs (``grader.pipeline.probe.Answerer``).
    open_callees : dict, optional
        ``{composite exercise: (callee, ...)}``: callees answered on any
        arguments, for a composite that calls them on values it computes
        itself (a sigmoid of its own linear step, a step on its own updated
        weights).  Their answers on foreign inputs are then an oracle: keep
        it to callees whose hidden cases no other student shares (they
        never do, under ``draw``).
    solution_globals : dict
        Names the solution cells need (``np``, helper functions).
    compare : callable
        ``compare(expected, actual, name) -> None | str``: the assignment's
        comparison, normally its public self-checks' own, so that a hidden
        test explains a failure in the same terms; a returned message may
        carry ``.kind`` and ``.variable`` (see ``grader.pipeline.judge``).
    feedback : FeedbackExtra, optional
        A section of the feedback page computed from the student's own code
        (see :class:`FeedbackExtra`), e.g. a plot of the student's model.
    short_names : dict, optional
        ``{exercise: short name}``: what narrow places (the score table's
        columns) call an exercise; an exercise left out is called by its name.
    demo : dict, optional
        ``{student id: {exercise: (old, new)}}``: the demo's students with a
        mistake (``make demo``, ``python -m grader demo-submissions <id>``).
        Each hands in the source's solutions with ``old``, which must occur
        exactly once in that exercise's solution cell, replaced by ``new``.
        The demo always adds a student with every solution
        (``grader.course.submissions.SOLUTION_STUDENT``) and one who hands
        in the release untouched (``UNTOUCHED_STUDENT``).
    """

    notebook: str
    exercises: dict[str, str]
    cases: dict[str, list[Case]]
    compare: Callable[[Any, Any, str], str | None]
    result_names: dict[str, str] = field(default_factory=dict)
    callees: dict[str, tuple[str, ...]] = field(default_factory=dict)
    draw: Callable[[int], dict[str, list[Case]]] | None = None
    open_callees: dict[str, tuple[str, ...]] = field(default_factory=dict)
    solution_globals: dict[str, Any] = field(default_factory=dict)
    feedback: FeedbackExtra | None = None
    short_names: dict[str, str] = field(default_factory=dict)
    demo: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def __post_init__(self):
        unknown = set(self.cases) ^ set(self.exercises)
        if unknown:
            raise ValueError(msg.SPEC_CASES_DIFFER.format(names=", ".join(sorted(unknown))))
        for exercise, callees in self.callees.items():
            if exercise not in self.exercises or not set(callees) <= set(self.exercises):
                raise ValueError(msg.SPEC_BAD_CALLEES.format(exercise=exercise))
        for exercise, names in self.open_callees.items():
            if not set(names) <= set(self.callees.get(exercise, ())):
                raise ValueError(msg.SPEC_BAD_OPEN_CALLEES.format(exercise=exercise))
        if self.feedback is not None and not isinstance(self.feedback, FeedbackExtra):
            missing = [
                n
                for n in ("title", "probe", "decode", "reference", "render")
                if not hasattr(self.feedback, n)
            ]
            raise ValueError(msg.SPEC_BAD_FEEDBACK.format(missing=", ".join(missing)))
        empty = sorted(e for e, cases in self.cases.items() if not cases)
        if empty:
            raise ValueError(msg.SPEC_NO_CASES.format(names=", ".join(empty)))
        unknown = set(self.short_names) - set(self.exercises)
        for edits in self.demo.values():
            unknown |= set(edits) - set(self.exercises)
        if unknown:
            raise ValueError(msg.SPEC_UNKNOWN_EXERCISES.format(names=", ".join(sorted(unknown))))

    def cases_for(self, seed):
        """The hidden cases of the submission whose seed is ``seed`` (``draw(seed)``, else ``cases``).

        Raises ``ValueError`` when ``draw`` makes cases whose labels differ
        from the fixed view's: verdicts, reports and the gradebook count and
        name cases by them.
        """
        if self.draw is None:
            return self.cases
        cases = self.draw(seed)
        labels = {e: [c.label for c in cs] for e, cs in self.cases.items()}
        drawn = {e: [c.label for c in cs] for e, cs in cases.items()}
        if drawn != labels:
            differ = sorted(set(labels) ^ set(drawn) | {e for e in labels if labels[e] != drawn.get(e)})
            raise ValueError(msg.SPEC_DRAW_LABELS.format(names=", ".join(differ)))
        return cases
