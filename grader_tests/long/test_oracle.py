"""A probe is no oracle, and an accomplice's answers are worth nothing to anyone else (issue 17.1).

The cases of ``hostile_cases_oracle`` graded in a batch of their own beside the accomplice whose
inputs the beneficiary replays (``control_full``, graded first in id order and beside it), with
the grading run's default course secret, as in the whole catalog's batch
(``test_hostile.py`` grades them there too).
"""

import pytest

from grader.batch import runner
from grader.course import submissions
from grader_tests.helpers import hostile_cases as hc
from grader_tests.helpers import hostile_cases_oracle as oracle
from grader_tests.helpers.hostile_cases import L1W3
from grader_tests.long.test_hostile import LIMITS, WORKERS


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("oracle_course")
    submitted = str(course / "submitted")
    submissions.write(submissions.fill(L1W3), hc.CONTROL_FULL, submitted, L1W3)
    for case in oracle.CASES:
        case.build(submitted, case.id)
    results = runner.run(
        submitted,
        str(course / "autograded"),
        f"sqlite:///{course / 'gradebook.db'}",
        L1W3.id,
        workers=WORKERS,
        limits=LIMITS,
        quiet=True,
    )
    return {r.student: r for r in results}


def _scores(result):
    return {v.exercise: v.score for v in result.verdicts.values()}


def test_the_accomplice_itself_gets_full_marks(graded):
    assert _scores(graded[hc.CONTROL_FULL]) == {e: float(p) for e, p in hc.full().items()}


@pytest.mark.parametrize("case", oracle.CASES, ids=[c.id for c in oracle.CASES])
def test_case(graded, case):
    result = graded[case.id]
    messages = "\n".join(list(result.notes) + [v.message for v in result.verdicts.values()])
    assert _scores(result) == {e: float(s) for e, s in case.expected.items()}, messages
    assert not result.grader_error, messages
