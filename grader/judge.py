"""The verdict on one exercise, reached in the grading process.

The kernel returns raw results of the hidden cases (see ``grader.probe``);
here they are decoded strictly and compared with the reference results,
which are computed in this process and never leave it.  An exercise earns
its points only when every hidden case is right, so a function that
returns the lesson's printed values earns nothing.

Verdicts are typed from here to the gradebook, the report and the
feedback: a :class:`Verdict` holds :class:`Failure` records (which case,
what kind of failure, which variable), and its message is rendered from
them, never parsed back.
"""
from dataclasses import dataclass, field

from grader.probe import Unsupported, decode

SHOWN_FAILURES = 3
MESSAGE_CHARS = 600            # one failure's message, at most
RESULT_KINDS = ("type", "shape", "keys", "length", "values", "dtype")
KINDS = RESULT_KINDS + ("raised", "unusable", "no_result", "not_graded")


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


@dataclass
class Verdict:
    """The judgement of one exercise: its score and, if any, its failures."""

    exercise: str
    grade_id: str
    points: float
    score: float
    passed: int
    total: int
    status: str = "judged"                       # or "not_graded"
    failures: list = field(default_factory=list)  # of Failure

    @property
    def message(self):
        """The verdict as shown to the student (bilingual)."""
        if self.status == "not_graded":
            reason = self.failures[0].message if self.failures else ""
            return f"✘ {self.exercise}: 未评分 / not graded (0/{self.points:g}): {reason}"
        if not self.failures:
            return (f"✔ {self.exercise}: 全部 {self.total} 个隐藏测试通过 / "
                    f"all {self.total} hidden tests passed ({self.points:g}/{self.points:g})")
        failed = self.total - self.passed
        lines = [f"✘ {self.exercise}: {failed}/{self.total} 个隐藏测试未通过 / "
                 f"{failed} of {self.total} hidden tests failed (0/{self.points:g})"]
        lines += [f"  [{f.case}] {f.message}" for f in self.failures[:SHOWN_FAILURES]]
        if len(self.failures) > SHOWN_FAILURES:
            more = len(self.failures) - SHOWN_FAILURES
            lines.append(f"  … 另有 {more} 个 / and {more} more")
        return "\n".join(lines)

    def as_dict(self):
        """JSON-ready form, as stored in the grading report."""
        return {"exercise": self.exercise, "grade_id": self.grade_id, "points": self.points,
                "score": self.score, "passed": self.passed, "total": self.total,
                "status": self.status, "message": self.message,
                "failures": [dict(f.__dict__) for f in self.failures]}

    @classmethod
    def from_dict(cls, data):
        """The inverse of :meth:`as_dict`."""
        return cls(data["exercise"], data["grade_id"], data["points"], data["score"], data["passed"],
                   data["total"], data.get("status", "judged"),
                   [Failure(**f) for f in data.get("failures", [])])


def _clip(text, limit=MESSAGE_CHARS):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def judge(assignment, exercise, points, answer):
    """Judge the kernel's ``answer`` to the probe of ``exercise``.

    Parameters
    ----------
    assignment : grader.assignment.Assignment
    exercise : str
    points : float
    answer : object
        What the kernel sent back: a list with one ``{"value": ...}`` or
        ``{"error": ...}`` per hidden case, or anything else (then 0 points).
    """
    cases = assignment.spec.cases[exercise]
    grade_id = assignment.test_cells[exercise]
    if not isinstance(answer, list) or len(answer) != len(cases):
        return not_graded(assignment, exercise, points,
                          "隐藏测试没有返回结果 / the hidden tests returned no usable result", kind="no_result")
    failures = []
    for case, want, got in zip(cases, assignment.expected(exercise), answer):
        failure = _problem(assignment, exercise, case.label, want, got)
        if failure:
            failures.append(failure)
    score = points if not failures else 0.0
    return Verdict(exercise, grade_id, points, score, len(cases) - len(failures), len(cases),
                   failures=failures)


def _problem(assignment, exercise, label, want, got):
    name = assignment.spec.result_names.get(exercise, "result")
    if not isinstance(got, dict):
        return Failure(label, "no_result", "", "没有结果 / no result")
    if "error" in got:
        error = _clip(got["error"], 80)
        return Failure(label, "raised", "", f"调用出错 / raised {error}")
    try:
        value = decode(got.get("value"))
    except (Unsupported, ValueError, TypeError, OverflowError) as exc:
        return Failure(label, "unusable", "", _clip(f"返回值无法识别 / unusable return value ({exc})"))
    try:
        problem = assignment.spec.compare(want, value, name)
    except Exception as exc:  # a malformed value must cost points, not crash the grader
        return Failure(label, "unusable", "",
                       f"返回值无法比较 / return value cannot be compared ({type(exc).__name__})")
    if not problem:
        return None
    kind = getattr(problem, "kind", "values")
    return Failure(label, kind if kind in RESULT_KINDS else "values",
                   _clip(getattr(problem, "variable", name), 120), _clip(problem))


def not_graded(assignment, exercise, points, reason, kind="not_graded"):
    """A zero verdict for an exercise that could not be judged, with the reason."""
    return Verdict(exercise, assignment.test_cells[exercise], points, 0.0, 0,
                   len(assignment.spec.cases[exercise]), status="not_graded",
                   failures=[Failure("", kind, "", _clip(reason))])
