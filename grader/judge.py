"""The verdict on one exercise, reached in the grading process.

The kernel returns raw results of the hidden cases (see ``grader.probe``);
here they are decoded strictly and compared with the reference results,
which are computed in this process and never leave it.  An exercise earns
its points only when every hidden case is right, so a function that
returns the lesson's printed values earns nothing.
"""
import functools
from dataclasses import dataclass

from checks import compare

from grader.cases import CASES, RESULT_NAME
from grader.probe import Unsupported, decode

SHOWN_FAILURES = 3


@dataclass
class Verdict:
    exercise: str
    grade_id: str
    points: float
    score: float
    passed: int
    total: int
    message: str

    def as_dict(self):
        return dict(self.__dict__)


@functools.lru_cache(maxsize=None)
def expected(exercise):
    return [case.expected() for case in CASES[exercise]]


def judge(exercise, grade_id, points, answer):
    """Judge the kernel's ``answer`` to the probe of ``exercise``.

    Parameters
    ----------
    answer : object
        What the kernel sent back: a list with one ``{"value": ...}`` or
        ``{"error": ...}`` per hidden case, or anything else (then 0 points).
    """
    cases = CASES[exercise]
    failures = []
    if not isinstance(answer, list) or len(answer) != len(cases):
        failures.append("隐藏测试没有返回结果 / the hidden tests returned no usable result")
    else:
        for case, want, got in zip(cases, expected(exercise), answer):
            problem = _problem(exercise, want, got)
            if problem:
                failures.append(f"[{case.label}] {problem}")
    passed = len(cases) - len(failures) if isinstance(answer, list) and len(answer) == len(cases) else 0
    if not failures:
        message = (f"✔ {exercise}: 全部 {len(cases)} 个隐藏测试通过 / "
                   f"all {len(cases)} hidden tests passed ({points:g}/{points:g})")
        return Verdict(exercise, grade_id, points, points, passed, len(cases), message)
    lines = [f"✘ {exercise}: {len(cases) - passed}/{len(cases)} 个隐藏测试未通过 / "
             f"{len(cases) - passed} of {len(cases)} hidden tests failed (0/{points:g})"]
    lines += ["  " + f for f in failures[:SHOWN_FAILURES]]
    if len(failures) > SHOWN_FAILURES:
        lines.append(f"  … 另有 {len(failures) - SHOWN_FAILURES} 个 / and {len(failures) - SHOWN_FAILURES} more")
    return Verdict(exercise, grade_id, points, 0.0, passed, len(cases), "\n".join(lines))


def _problem(exercise, want, got):
    if not isinstance(got, dict):
        return "没有结果 / no result"
    if "error" in got:
        return f"调用出错 / raised {str(got['error'])[:300]}"
    try:
        value = decode(got.get("value"))
    except (Unsupported, ValueError, TypeError, OverflowError) as exc:
        return f"返回值无法识别 / unusable return value ({exc})"
    try:
        return compare(want, value, RESULT_NAME[exercise])
    except Exception as exc:  # a malformed value must cost points, not crash the grader
        return f"返回值无法比较 / return value cannot be compared ({type(exc).__name__})"


def failed(exercise, grade_id, points, reason):
    """A zero verdict for an exercise that could not be judged, with the reason."""
    return Verdict(exercise, grade_id, points, 0.0, 0, len(CASES[exercise]),
                   f"✘ {exercise}: 未评分 / not graded (0/{points:g}): {reason}")
