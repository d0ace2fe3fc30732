"""Every catalogued bug is caught on its own exercise only; every equivalent gets full marks.

Each mutant is graded for two students, so on two submission seeds' hidden inputs.
"""

import pytest

from grader_tests.helpers.mutation import MUTANTS, SECRET, grade_all, students, verdict


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_all(str(tmp_path_factory.mktemp("mutation")))


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant(graded, mutant):
    for student in students(mutant):
        ok, why = verdict(mutant, graded[student])
        assert ok, f"{student}: {why}"


def test_each_mutant_is_graded_on_two_seeds():
    from grader.course.secret import submission_seed

    for mutant in MUTANTS:
        seeds = {submission_seed(SECRET, "L1W3", student) for student in students(mutant)}
        assert len(seeds) == 2
