"""Every catalogued bug is caught on its own exercise only; every equivalent gets full marks (both assignments)."""

import pytest

from grader_tests.helpers.mutation import CATALOGS, grade_all, verdict

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
    ok, why = verdict(mutant, graded[assignment_id][mutant.id])
    assert ok, why
