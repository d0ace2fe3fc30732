"""The callee stubs' two bounds fit every assignment's hidden cases, for any submission's seed.

The reference composites are run here as the kernel runs a student's: their callees replaced by
stubs that apply the grader's own rules (``grader.pipeline.probe.Answerer``: an array argument
must be one handed to the probe, unless the callee is open).  For several seeds, no call of a
reference composite is refused, and the calls one probe needs stay under half of the default
``Limits.callee_calls`` and of the probe's own budget (``grader.pipeline.probe.callee_budget``),
the margins docs/architecture.md states.
"""

import pytest

from grader.course.assignment import copy_value, ids, load
from grader.limits import Limits
from grader.pipeline.probe import Answerer, callee_budget
from grader_tests.helpers.mutation import CATALOGS, mutate

SEEDS = (0, 1, 2**127 + 12345, 918_273_645)


def _namespace(assignment, sources=None):
    """The solution cells (or ``sources``) executed in a namespace of this test's own (the stubs go in there)."""
    namespace = dict(assignment.spec.solution_globals, __name__="callee_calls_reference")
    for name, source in (sources or assignment.solution_sources).items():
        exec(compile(source, f"<solution {name}>", "exec"), namespace)
    return namespace


def _calls(assignment, exercise, cases, sources=None):
    """The callee calls the reference ``exercise`` (or ``sources``') makes on ``cases``; fails on a refused one."""
    namespace = _namespace(assignment, sources)
    answerer = Answerer(assignment, exercise, cases)
    counted = []

    def stub(name, real):
        def call(*args, **kwargs):
            if name not in answerer.open:
                where = answerer.foreign(args, kwargs)
                assert where is None, f"{exercise} calls {name} on {where}, which it was not handed"
            value = real(*copy_value(args), **copy_value(kwargs))
            answerer._hand(value)
            counted.append(name)
            return value

        return call

    for name in assignment.spec.callees[exercise]:
        namespace[name] = stub(name, namespace[name])
    for case in cases:
        namespace[exercise](*copy_value(case.args), **copy_value(case.kwargs))
    return len(counted)


COMPOSITES = [(a, e) for a in ids() for e in load(a).spec.callees]


@pytest.mark.parametrize("assignment_id, exercise", COMPOSITES)
def test_the_reference_composites_calls_are_answered_and_well_under_the_cap(assignment_id, exercise):
    assignment = load(assignment_id)
    counts = {seed: _calls(assignment, exercise, assignment.hidden_cases(seed)[exercise]) for seed in SEEDS}
    assert len(set(counts.values())) == 1, counts  # sizes and epochs never depend on the seed
    assert 2 * max(counts.values()) <= Limits().callee_calls, counts
    # The probe's own budget, from the count on the fixed view, leaves every seed the same margin.
    assert assignment.count_reference_calls(exercise) == max(counts.values())
    budget = callee_budget(assignment.count_reference_calls(exercise), Limits().callee_calls)
    assert 2 * max(counts.values()) <= budget, (budget, counts)


def test_the_cap_is_not_far_above_what_the_cases_need():
    # A buggy loop runs until the cap: it must not be set for cases the course no longer has.
    need = max(_calls(load(a), e, load(a).hidden_cases(SEEDS[0])[e]) for a, e in COMPOSITES)
    assert Limits().callee_calls <= 4 * need, need


EQUIVALENT_COMPOSITES = [
    (a, m)
    for a, catalog in CATALOGS.items()
    for m in catalog
    if m.equivalent and m.exercise in load(a).spec.callees
]


@pytest.mark.parametrize(
    "assignment_id, mutant", EQUIVALENT_COMPOSITES, ids=[f"{a}-{m.id}" for a, m in EQUIVALENT_COMPOSITES]
)
def test_a_correct_composite_written_differently_stays_well_within_its_callee_budget(assignment_id, mutant):
    # The budget is relative to the reference's calls: the catalog's equivalents, which must get
    # full marks, need at most half of it on every seed.
    assignment = load(assignment_id)
    sources = mutate(mutant, assignment.solution_sources)
    budget = callee_budget(assignment.count_reference_calls(mutant.exercise), Limits().callee_calls)
    for seed in SEEDS[:2]:
        calls = _calls(assignment, mutant.exercise, assignment.hidden_cases(seed)[mutant.exercise], sources)
        assert 2 * calls <= budget, (calls, budget)
