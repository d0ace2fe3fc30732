"""The verdict on one exercise, reached in the grading process.

The kernel returns raw results of the hidden cases (see ``grader.pipeline.probe``);
here they are decoded strictly and compared with the reference results,
which are computed in this process and never leave it.  An exercise earns
its points only when every hidden case is right, so a function that
returns the lesson's printed values earns nothing.

Verdicts are typed from here to the gradebook, the report and the
feedback: a :class:`Verdict` holds :class:`Failure` records (which case,
what kind of failure, which variable), and its message is rendered from
them, never parsed back.

A hidden verdict's text is made only of what the grader knows: the case's
label, the kind of failure and the variable's name as the reference result
names it.  Nothing the student's code produced (a value, a key, an exception
message, a type name) is echoed, so a function that smuggles its hidden
inputs into its result cannot get them back through the feedback.  The
public self-check shows the full detail on the public cases.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grader import messages as msg
from grader.messages import RESULT_TEXT
from grader.pipeline.probe import Unsupported, decode

if TYPE_CHECKING:  # for annotations only: no import at run time
    from grader.course.assignment import Assignment

SHOWN_FAILURES = 3
MESSAGE_CHARS = 600  # one failure's message, at most
RESULT_KINDS = ("type", "shape", "keys", "length", "values", "dtype")
KINDS = RESULT_KINDS + ("raised", "unusable", "no_result", "not_graded")
STATUSES = ("judged", "not_graded")
# What a wrong result is told, by kind: ``RESULT_TEXT`` (the catalogue's, ``{v}``: the variable).
_VARIABLE = re.compile(r"[A-Za-z0-9_\[\]'(), ]{1,120}")


# The exception names a verdict may show: Python's own, and numpy's linear-algebra error.  A
# class the student made could be named after the hidden inputs, so its name is never shown.
KNOWN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(__import__("builtins")).items()
    if isinstance(value, type) and issubclass(value, BaseException)
) | {"LinAlgError"}


def exception_name(text: object) -> str:
    """The exception's name if it is one of Python's own (or numpy's LinAlgError), else a neutral word."""
    text = str(text).split(":", 1)[0].strip()
    return text if text in KNOWN_EXCEPTIONS else "an exception"


@dataclass(frozen=True)
class Failure:
    """Why one hidden case (or the whole exercise) failed.

    Attributes
    ----------
    case : str
        The hidden case's label ("" when the exercise could not be judged at all).
    kind : str
        One of :data:`KINDS`.
    variable : str
        The part of the result that is wrong (``grads['dW1']``), or "".
    message : str
        Bilingual explanation.
    """

    case: str
    kind: str
    variable: str
    message: str

    @classmethod
    def from_dict(cls, data):
        """The failure stored as ``data`` (``dataclasses.asdict`` form), or None if it is not one.

        Tolerant: anything but a dict, a ``kind`` outside :data:`KINDS`, or a
        field that is not a string gives None; a missing text field is "";
        unknown keys are ignored.
        """
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            return None
        texts = [data.get(name, "") for name in ("case", "variable", "message")]
        if not all(isinstance(text, str) for text in texts):
            return None
        case, variable, message = texts
        return cls(case, data["kind"], variable, message)


@dataclass
class Verdict:
    """The judgement of one exercise: its score and, if any, its failures."""

    exercise: str
    grade_id: str
    points: float
    score: float
    passed: int
    total: int
    status: str = "judged"  # one of STATUSES
    failures: list[Failure] = field(default_factory=list)

    @property
    def message(self):
        """The verdict as shown to the student (bilingual)."""
        if self.status == "not_graded":
            reason = self.failures[0].message if self.failures else ""
            return f"✘ {self.exercise}: {msg.NOT_GRADED} (0/{self.points:g}): {reason}"
        if not self.failures:
            return (
                f"✔ {self.exercise}: {msg.ALL_HIDDEN_TESTS_PASSED.format(total=self.total)} "
                f"({self.points:g}/{self.points:g})"
            )
        failed = self.total - self.passed
        lines = [
            f"✘ {self.exercise}: {msg.HIDDEN_TESTS_FAILED.format(failed=failed, total=self.total)} "
            f"(0/{self.points:g})"
        ]
        lines += [f"  [{f.case}] {f.message}" for f in self.failures[:SHOWN_FAILURES]]
        if len(self.failures) > SHOWN_FAILURES:
            more = len(self.failures) - SHOWN_FAILURES
            lines.append("  " + msg.MORE_FAILURES.format(more=more))
        return "\n".join(lines)

    def as_dict(self):
        """JSON-ready form, as stored in the grading report."""
        return {
            "exercise": self.exercise,
            "grade_id": self.grade_id,
            "points": self.points,
            "score": self.score,
            "passed": self.passed,
            "total": self.total,
            "status": self.status,
            "message": self.message,
            "failures": [dict(f.__dict__) for f in self.failures],
        }

    @classmethod
    def from_dict(cls, data):
        """The inverse of :meth:`as_dict`, tolerant: the verdict stored as ``data``, or None.

        None when ``data`` is no dict or one of its scalars is missing or
        malformed: ``exercise`` and ``grade_id`` non-empty strings, ``points``
        and ``score`` finite numbers, ``0 <= passed <= total`` integers,
        ``status`` one of :data:`STATUSES` (default "judged").  Failures that
        are not well-formed (:meth:`Failure.from_dict`) are left out, and a
        ``failures`` that is no list counts as none.  The stored ``message`` is
        never read: it is rendered again from the typed fields.
        """
        if not isinstance(data, dict):
            return None
        exercise, grade_id = data.get("exercise"), data.get("grade_id")
        points, score = data.get("points"), data.get("score")
        passed, total = data.get("passed"), data.get("total")
        status = data.get("status", "judged")
        if not (
            _name(exercise)
            and _name(grade_id)
            and finite_number(points)
            and finite_number(score)
            and _count(passed)
            and _count(total)
            and passed <= total
            and status in STATUSES
        ):
            return None
        stored = data.get("failures")
        failures = [Failure.from_dict(f) for f in stored] if isinstance(stored, list) else []
        return cls(
            exercise,
            grade_id,
            float(points),
            float(score),
            passed,
            total,
            status,
            [f for f in failures if f is not None],
        )


def _name(value):
    return isinstance(value, str) and value != ""


def finite_number(value):
    """Whether ``value`` is a finite JSON number that fits a float (a bool is no number)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer of hundreds of digits
        return False


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _clip(text, limit=MESSAGE_CHARS):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def judge(
    assignment: Assignment, exercise: str, points: float, answer: object, cases: list | None = None
) -> Verdict:
    """Judge the kernel's ``answer`` to the probe of ``exercise``.

    Parameters
    ----------
    assignment : grader.course.assignment.Assignment
    exercise : str
    points : float
    answer : object
        What the kernel sent back: a list with one ``{"value": ...}`` or
        ``{"error": ...}`` per hidden case, or anything else (then 0 points).
    cases : list of grader.spec.Case, optional
        The cases the probe ran (the submission's own); default: the spec's
        fixed view.  Only their labels reach the verdict, never their values.
    """
    if cases is None:
        cases, expected = assignment.spec.cases[exercise], assignment.expected(exercise)
    else:
        expected = assignment.expected(exercise, cases)
    grade_id = assignment.test_cells[exercise]
    if not isinstance(answer, list) or len(answer) != len(cases):
        return not_graded(assignment, exercise, points, msg.NO_USABLE_RESULT, kind="no_result")
    failures = []
    for case, want, got in zip(cases, expected, answer):
        failure = _problem(assignment, exercise, case.label, want, got)
        if failure:
            failures.append(failure)
    score = points if not failures else 0.0
    return Verdict(
        exercise, grade_id, points, score, len(cases) - len(failures), len(cases), failures=failures
    )


def _problem(assignment, exercise, label, want, got):
    name = assignment.spec.result_names.get(exercise, "result")
    if not isinstance(got, dict):
        return Failure(label, "no_result", "", msg.NO_RESULT)
    if got.get("missing") is True:
        return Failure(label, "raised", "NameError", msg.NOT_DEFINED.format(exercise=exercise))
    if "error" in got:
        error = exception_name(got["error"])
        # ``variable`` holds what was raised: the report counts failures by it.
        return Failure(label, "raised", error, msg.CALL_RAISED.format(error=error))
    try:
        value = decode(got.get("value"))
    except (Unsupported, ValueError, TypeError, OverflowError, RecursionError):
        return Failure(label, "unusable", "", msg.UNUSABLE_VALUE)
    try:
        problem = assignment.spec.compare(want, value, name)
    except Exception as exc:  # a malformed value must cost points, not crash the grader
        return Failure(label, "unusable", "", msg.UNCOMPARABLE_VALUE.format(error=type(exc).__name__))
    if not problem:
        return None
    kind = getattr(problem, "kind", "values")
    kind = kind if kind in RESULT_KINDS else "values"
    variable = str(getattr(problem, "variable", "") or name)
    variable = variable if _VARIABLE.fullmatch(variable) else name
    return Failure(label, kind, variable, RESULT_TEXT[kind].format(v=variable))


def not_graded(
    assignment: Assignment,
    exercise: str,
    points: float,
    reason: str,
    kind: str = "not_graded",
    short: str | None = None,
) -> Verdict:
    """A zero verdict for an exercise that could not be judged, with the reason.

    ``short`` is the reason in a few English words, for counting in the class
    report (``variable`` of the failure); default: the English half of
    ``reason`` (the grader's own text), clipped.
    """
    if short is None:
        short = str(reason).rsplit(" / ", 1)[-1].split(":", 1)[0].strip()[:60]
    return Verdict(
        exercise,
        assignment.test_cells[exercise],
        points,
        0.0,
        0,
        len(assignment.spec.cases[exercise]),
        status="not_graded",
        failures=[Failure("", kind, short, _clip(reason))],
    )
