"""Every catalogued bug is caught on its own exercise only; every equivalent gets full marks."""

import pytest

from grader_tests.helpers.mutation import MUTANTS, grade_all, verdict


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_all(str(tmp_path_factory.mktemp("mutation")))


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant(graded, mutant):
    ok, why = verdict(mutant, graded[mutant.id])
    assert ok, why
