"""Every catalogued bug is caught on its own exercise only; every equivalent gets full marks (both assignments).

Each mutant is graded for two students, so on two submission seeds' hidden inputs.
"""

import pytest

from grader_tests.helpers.mutation import CATALOGS, SECRET, grade_all, students, verdict

CASES = [(assignment_id, m) for assignment_id, catalog in CATALOGS.items() for m in catalog]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return {
        assignment_id: grade_all(
            str(tmp_path_factory.mktemp(f"mutation-{assignment_id}")), assignment_id=assignment_id
        )
        for assignment_id in CATALOGS
    }


@pytest.mark.parametrize("assignment_id, mutant", CASES, ids=[f"{a}-{m.id}" for a, m in CASES])
def test_mutant(graded, assignment_id, mutant):
    for student in students(mutant):
        ok, why = verdict(mutant, graded[assignment_id][student])
        assert ok, f"{student}: {why}"


def test_each_mutant_is_graded_on_two_seeds():
    from grader.course.secret import submission_seed

    for assignment_id, mutant in CASES:
        seeds = {submission_seed(SECRET, assignment_id, student) for student in students(mutant)}
        assert len(seeds) == 2
