"""What grading one submission produces: a :class:`Result` (typed verdicts, notes, the notebook).

:func:`zero_result` is the result of a submission nothing could be run of
(the reason in every verdict and in the notes), :func:`not_graded_all` fills
in the exercises a kernel death left unjudged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grader.pipeline import judge

if TYPE_CHECKING:  # for annotations only: no import at run time
    from collections.abc import Iterable

    from grader.course.assignment import Assignment
    from grader.course.cells import Master


@dataclass
class Result:
    """What grading one submission produced (typed verdicts, notes, the autograded notebook)."""

    student: str
    verdicts: dict[str, judge.Verdict]  # test grade id -> its verdict
    notes: list[str] = field(default_factory=list)  # what was wrong with the notebook, bilingual
    notebook: str = ""  # the autograded notebook (JSON), "" if none
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # peak memory of the submission's processes (cgroup, else kernel RSS)
    worker_rss_mb: float = 0.0  # the grading worker's own peak, when it finished
    gradable: bool = True  # False when no cell could be run at all
    grader_error: bool = False  # True when the grader itself failed on this submission

    @property
    def score(self) -> float:
        """The total automatic score."""
        return sum(v.score for v in self.verdicts.values())


def zero_result(
    student: str,
    assignment: Assignment,
    master: Master,
    reason: str,
    notes: Iterable[str] = (),
    grader_error: bool = False,
) -> Result:
    """A result with every exercise not graded for ``reason`` (nothing could be run)."""
    return Result(
        student,
        not_graded_all(assignment, master, reason),
        list(notes) or [reason],
        gradable=False,
        grader_error=grader_error,
    )


def not_graded_all(
    assignment: Assignment, master: Master, reason: str, already: dict[str, judge.Verdict] | None = None
) -> dict[str, judge.Verdict]:
    """``already``'s verdicts, and a not-graded verdict for every other test cell."""
    verdicts = dict(already or {})
    for gid, (exercise, points) in master.tests.items():
        if gid not in verdicts:
            verdicts[gid] = judge.not_graded(assignment, exercise, points, reason)
    return verdicts
