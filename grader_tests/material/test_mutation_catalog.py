"""The mutation catalogs cover every exercise with enough bugs and equivalents, each with an id of its own."""

from grader.course.assignment import load
from grader_tests.helpers.mutation import CATALOGS, MUTANTS


def test_catalog_size():
    bugs = [m for m in MUTANTS if not m.equivalent]
    assert len(bugs) >= 40 and len(MUTANTS) - len(bugs) >= 12
    assert {m.exercise for m in bugs} == {m.exercise for m in MUTANTS} and len(
        {m.exercise for m in bugs}
    ) == 8
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)


def test_l1w2_catalog_covers_every_exercise_with_bugs_and_equivalents():
    catalog = CATALOGS["L1W2"]
    exercises = set(load("L1W2").exercises)
    bugs = [m for m in catalog if not m.equivalent]
    assert len(bugs) >= 30 and len(catalog) - len(bugs) >= 12
    for exercise in exercises:
        kinds = {m.equivalent for m in catalog if m.exercise == exercise}
        assert kinds == {False, True}, exercise
    assert {m.exercise for m in catalog} == exercises
    assert len({m.id for m in catalog}) == len(catalog)
