"""The mutation catalog covers every exercise with enough bugs and equivalents, each with an id of its own."""

from grader_tests.helpers.mutation import MUTANTS


def test_catalog_size():
    bugs = [m for m in MUTANTS if not m.equivalent]
    assert len(bugs) >= 40 and len(MUTANTS) - len(bugs) >= 12
    assert {m.exercise for m in bugs} == {m.exercise for m in MUTANTS} and len(
        {m.exercise for m in bugs}
    ) == 8
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)
