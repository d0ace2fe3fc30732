"""The callee stubs' two bounds fit every assignment's hidden cases, for any submission's seed.

The reference composites are run here as the kernel runs a student's: their callees replaced by
stubs that apply the grader's own rules (``grader.pipeline.probe.Answerer``: an array argument
must be one handed to the probe, unless the callee is open).  For several seeds, no call of a
reference composite is refused, and the calls one probe needs stay under half of the default
``Limits.callee_calls``, the margin docs/architecture.md states.
"""

import pytest

from grader.course.assignment import copy_value, ids, load
from grader.limits import Limits
from grader.pipeline.probe import Answerer

SEEDS = (0, 1, 2**127 + 12345, 918_273_645)


def _namespace(assignment):
    """The solution cells executed in a namespace of this test's own (the stubs go in there)."""
    namespace = dict(assignment.spec.solution_globals, __name__="callee_calls_reference")
    for name, source in assignment.solution_sources.items():
        exec(compile(source, f"<solution {name}>", "exec"), namespace)
    return namespace


def _calls(assignment, exercise, cases):
    """The callee calls the reference ``exercise`` makes on ``cases``; fails on a refused one."""
    namespace = _namespace(assignment)
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


def test_the_cap_is_not_far_above_what_the_cases_need():
    # A buggy loop runs until the cap: it must not be set for cases the course no longer has.
    need = max(_calls(load(a), e, load(a).hidden_cases(SEEDS[0])[e]) for a, e in COMPOSITES)
    assert Limits().callee_calls <= 4 * need, need
