"""Every catalogued bug is caught on its own exercise only; every equivalent gets full marks."""
import pytest

from mutation import MUTANTS, grade_all, verdict


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_all(str(tmp_path_factory.mktemp("mutation")))


def test_catalog_size():
    bugs = [m for m in MUTANTS if not m.equivalent]
    assert len(bugs) >= 40 and len(MUTANTS) - len(bugs) >= 12
    assert {m.exercise for m in bugs} == {m.exercise for m in MUTANTS} and len({m.exercise for m in bugs}) == 8
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)


@pytest.mark.slow
@pytest.mark.long
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant(graded, mutant):
    ok, why = verdict(mutant, graded[mutant.id])
    assert ok, why
