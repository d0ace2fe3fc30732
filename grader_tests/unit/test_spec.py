"""What a grading spec may declare: refused early, with a message naming what is wrong."""

import types

import pytest

from grader import messages as msg
from grader.course.assignment import ids, load
from grader.spec import Case, FeedbackExtra, Spec


def _spec(**changes):
    fields = dict(
        notebook="nb.ipynb",
        exercises={"add": "add_values"},
        cases={"add": [Case("one", (1,))]},
        compare=lambda expected, actual, name: None,
    )
    return Spec(**dict(fields, **changes))


def _extra(**names):
    extra = dict(
        title="t",
        probe="def __probe__(user_ns, recorded, call): return 1",
        decode=lambda answer: answer,
        reference=lambda: 1,
        render=lambda s, r: "",
    )
    extra.update(names)
    return types.SimpleNamespace(**{k: v for k, v in extra.items() if v is not None})


def test_every_assignments_feedback_extra_fits_the_protocol():
    extras = [load(i).spec.feedback for i in ids()]
    assert any(e is not None for e in extras)
    assert all(e is None or isinstance(e, FeedbackExtra) for e in extras)


def test_a_feedback_extra_that_lacks_a_name_is_refused_naming_it():
    assert _spec(feedback=_extra()).feedback is not None
    with pytest.raises(ValueError) as refused:
        _spec(feedback=_extra(render=None, probe=None))
    assert str(refused.value) == msg.SPEC_BAD_FEEDBACK.format(missing="probe, render")


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(cases={"add": [Case("one")], "mul": [Case("two")]}), msg.SPEC_CASES_DIFFER.format(names="mul")),
        (dict(callees={"add": ("sub",)}), msg.SPEC_BAD_CALLEES.format(exercise="add")),
        (dict(cases={"add": []}), msg.SPEC_NO_CASES.format(names="add")),
        (dict(short_names={"mul": "m"}), msg.SPEC_UNKNOWN_EXERCISES.format(names="mul")),
    ],
)
def test_a_malformed_spec_is_refused_with_its_reason(changes, message):
    with pytest.raises(ValueError) as refused:
        _spec(**changes)
    assert str(refused.value) == message
