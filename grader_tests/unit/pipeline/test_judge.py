"""Decoding the kernel's answers strictly and judging them (grader.pipeline.probe.decode, grader.pipeline.judge)."""

import json

import numpy as np
import pytest

from grader.limits import Limits
from grader.pipeline.grade import _clip_verdict
from grader.pipeline.judge import (
    KINDS,
    MESSAGE_CHARS,
    SHOWN_FAILURES,
    Failure,
    Verdict,
    judge,
    not_graded,
)
from grader.pipeline.probe import Unsupported, decode
from grader.spec import Case
from grader_tests.helpers.fakes import FakeAssignment, Problem, two_exercises


def _nd(flat, shape, dtype="float64"):
    return {"__nd__": flat, "dtype": dtype, "shape": shape}


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = {"__tuple__": [value]}
    return value


ACCEPTED = [
    ("int", 3, 3),
    ("float", 2.5, 2.5),
    ("string", "abc", "abc"),
    ("scalar", {"__scalar__": 4.0, "dtype": "float32"}, 4.0),
    ("tuple", {"__tuple__": [1, "a"]}, (1, "a")),
    ("list", {"__list__": [1, 2]}, [1, 2]),
    ("dict", {"__dict__": [["a", 1], ["b", {"__tuple__": []}]]}, {"a": 1, "b": ()}),
    ("nested 25 deep", _nested(25), None),
]


@pytest.mark.parametrize("label, encoded, value", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_decode_accepts_plain_values(label, encoded, value):
    decoded = decode(encoded)
    if value is not None:
        assert decoded == value and type(decoded) is type(value)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint16", "bool"])
def test_decode_accepts_numeric_arrays_with_their_shape_and_dtype(dtype):
    array = decode(_nd([0, 1, 1, 0, 1, 1], [2, 3], dtype))
    assert array.shape == (2, 3) and array.dtype == np.dtype(dtype)
    assert array.tolist() == np.array([[0, 1, 1], [0, 1, 1]], dtype=dtype).tolist()


def test_decode_accepts_empty_and_zero_dimensional_arrays():
    assert decode(_nd([], [0, 4])).shape == (0, 4)
    assert decode(_nd([7.0], [])).shape == ()


REJECTED = [
    ("True", True),
    ("False", False),
    ("None", None),
    ("a raw list", [1, 2]),
    ("unsupported marker", {"__unsupported__": "function"}),
    ("too many keys", {"__tuple__": [], "a": 1, "b": 2, "c": 3}),
    ("unknown marker", {"__set__": [1]}),
    ("plain dict", {"a": 1}),
    ("tuple not a list", {"__tuple__": "ab"}),
    ("nested 26 deep", _nested(26)),
    ("bool in a tuple", {"__tuple__": [1, True]}),
    ("None in a dict", {"__dict__": [["a", None]]}),
    ("dict key not a string", {"__dict__": [[1, 2]]}),
    ("dict pair of three", {"__dict__": [["a", 1, 2]]}),
    ("dict pairs not a list", {"__dict__": {"a": 1}}),
    ("scalar bool", {"__scalar__": True, "dtype": "bool"}),
    ("scalar string", {"__scalar__": "1", "dtype": "float64"}),
    ("object dtype", _nd([1.0], [1], "object")),
    ("complex dtype", _nd([1.0], [1], "complex128")),
    ("string dtype", _nd([1.0], [1], "<U3")),
    ("no dtype", {"__nd__": [1.0], "shape": [1]}),
    ("shape not a list", _nd([1.0], 1)),
    ("negative shape", _nd([], [-1, 0])),
    ("bool in shape", _nd([1.0], [True])),
    ("float in shape", _nd([1.0], [1.0])),
    ("shape and data disagree", _nd([1.0, 2.0], [3])),
    ("nine dimensions", _nd([1.0], [1] * 9)),
    ("string element", _nd(["1"], [1])),
    ("nested element", _nd([[1.0]], [1])),
    ("None element", _nd([None], [1])),
    ("data not a list", _nd("1", [1])),
    ("huge shape", _nd([], [10**6, 10**6])),
    ("shape overflowing int64", _nd([], [2**32, 2**32])),
    ("shape past int64", _nd([], [2**70])),
]


@pytest.mark.parametrize("label, encoded", REJECTED, ids=[r[0] for r in REJECTED])
def test_decode_rejects_what_is_not_a_plain_result(label, encoded):
    with pytest.raises(ValueError):  # Unsupported is a ValueError; judge catches both
        decode(json.loads(json.dumps(encoded)))


def test_decode_rejects_with_unsupported_for_known_bad_encodings():
    for encoded in (True, None, {"__unsupported__": "x"}, _nd([1.0], [2]), _nested(26)):
        with pytest.raises(Unsupported):
            decode(encoded)


# --- judge -------------------------------------------------------------------------------


def _values(*values):
    return [{"value": v} for v in values]


def test_judge_gives_the_points_when_every_case_passes():
    verdict = judge(two_exercises(), "add", 2.0, _values(3, 7))
    assert (verdict.score, verdict.passed, verdict.total, verdict.status) == (2.0, 2, 2, "judged")
    assert verdict.failures == [] and verdict.grade_id == "add_values"
    assert "all 2 hidden tests passed (2/2)" in verdict.message


def test_judge_gives_nothing_when_one_case_fails_and_names_it():
    verdict = judge(two_exercises(), "add", 2.0, _values(3, 8))
    assert (verdict.score, verdict.passed, verdict.total) == (0.0, 1, 2)
    [failure] = verdict.failures
    assert (failure.case, failure.kind, failure.variable) == ("3+4", "values", "total")
    assert "1 of 2 hidden tests failed (0/2)" in verdict.message and "[3+4]" in verdict.message


def _shape_problem(expected, actual, name):
    if expected == actual:
        return None
    return Problem(f"{name}['W1'] 形状不对 / wrong shape", "shape", f"{name}['W1']")


def test_judge_takes_the_kind_and_variable_from_the_comparison():
    assignment = two_exercises()
    assignment.spec.compare = _shape_problem
    [failure] = judge(assignment, "add", 1.0, _values(3, 0)).failures
    assert (failure.kind, failure.variable) == ("shape", "total['W1']")
    assert failure.message == "total['W1'] 的形状不对 / total['W1'] has the wrong shape"


def test_judge_maps_an_unknown_kind_to_values():
    assignment = two_exercises()
    assignment.spec.compare = lambda e, a, n: None if e == a else Problem("bad", "not-a-kind", "v")
    [failure] = judge(assignment, "add", 1.0, _values(3, 0)).failures
    assert failure.kind == "values"


def test_judge_echoes_nothing_of_the_comparison_text():
    """The comparison's text may quote the student's values (smuggled hidden inputs): a hidden
    verdict is rendered from the kind and the variable only."""
    assignment = two_exercises()
    assignment.spec.compare = lambda e, a, n: None if e == a else "x" * 10_000 + " secret"
    [failure] = judge(assignment, "add", 1.0, _values(3, 0)).failures
    assert "secret" not in failure.message and len(failure.message) < MESSAGE_CHARS


@pytest.mark.parametrize("variable", ["k0 [1.5, 2.25, -0.75]{}", "x" * 500, "a\nb", "名"])
def test_judge_replaces_a_variable_name_that_could_carry_data(variable):
    assignment = two_exercises()
    assignment.spec.compare = lambda e, a, n: None if e == a else Problem("bad", "values", variable)
    [failure] = judge(assignment, "add", 1.0, _values(3, 0)).failures
    assert variable not in failure.message and failure.variable == "total"


@pytest.mark.parametrize(
    "error, shown",
    [
        ("ValueError", "ValueError"),
        ("ValueError: [0.5, 1.25] leaked", "ValueError"),
        ("[0.5, 1.25]", "an exception"),
        ("x" * 500, "an exception"),
    ],
)
def test_judge_shows_only_an_exception_name(error, shown):
    [failure] = judge(two_exercises(), "add", 1.0, [{"value": 3}, {"error": error}]).failures
    assert failure.kind == "raised"
    assert failure.message.endswith(shown) and "0.5" not in failure.message


@pytest.mark.parametrize(
    "got, kind",
    [
        ({"error": "ZeroDivisionError"}, "raised"),
        ({"value": True}, "unusable"),
        ({"value": {"__unsupported__": "generator"}}, "unusable"),
        ({"value": {"__nd__": [1.0], "dtype": "float64", "shape": [5]}}, "unusable"),
        ({}, "unusable"),
        ("7", "no_result"),
        (None, "no_result"),
    ],
)
def test_judge_fails_a_case_that_raised_or_returned_nothing_usable(got, kind):
    verdict = judge(two_exercises(), "add", 2.0, [{"value": 3}, got])
    assert verdict.score == 0.0 and verdict.passed == 1
    [failure] = verdict.failures
    assert (failure.case, failure.kind) == ("3+4", kind)


def test_judge_survives_a_comparison_that_raises():
    def explode(expected, actual, name):
        raise TypeError("cannot compare")

    assignment = two_exercises()
    assignment.spec.compare = explode
    verdict = judge(assignment, "add", 2.0, _values(3, 7))
    assert verdict.score == 0 and {f.kind for f in verdict.failures} == {"unusable"}


@pytest.mark.parametrize("answer", [[], _values(3), _values(3, 7, 7), None, {"0": 3}, "3, 7"])
def test_judge_does_not_grade_a_wrong_number_of_results(answer):
    verdict = judge(two_exercises(), "add", 2.0, answer)
    assert (verdict.status, verdict.score, verdict.total) == ("not_graded", 0.0, 2)
    assert [f.kind for f in verdict.failures] == ["no_result"]


def test_not_graded_keeps_the_reason_in_the_message():
    verdict = not_graded(two_exercises(), "twice", 3.0, "内核终止 / kernel stopped")
    assert (verdict.status, verdict.score, verdict.points, verdict.total) == ("not_graded", 0.0, 3.0, 1)
    assert verdict.failures == [Failure("", "not_graded", "kernel stopped", "内核终止 / kernel stopped")]
    assert verdict.message == "✘ twice: 未评分 / not graded (0/3): 内核终止 / kernel stopped"


def test_verdict_message_shows_a_few_failures_and_counts_the_rest():
    failures = [Failure(f"case {i}", "values", "v", f"wrong {i}") for i in range(SHOWN_FAILURES + 2)]
    verdict = Verdict("add", "add_values", 2.0, 0.0, 0, len(failures), failures=failures)
    lines = verdict.message.splitlines()
    assert lines[0].startswith(f"✘ add: {len(failures)}/{len(failures)} 个隐藏测试未通过")
    assert lines[1 : 1 + SHOWN_FAILURES] == [f"  [case {i}] wrong {i}" for i in range(SHOWN_FAILURES)]
    assert lines[-1] == "  … 另有 2 个 / and 2 more"


@pytest.mark.parametrize(
    "verdict",
    [
        Verdict("add", "add_values", 2.0, 2.0, 2, 2),
        Verdict(
            "add", "add_values", 2.0, 0.0, 1, 2, failures=[Failure("3+4", "shape", "W1", "形状 / shape")]
        ),
        Verdict(
            "twice", "twice_values", 3.0, 0.0, 0, 1, "not_graded", [Failure("", "not_graded", "", "why")]
        ),
    ],
)
def test_verdict_as_dict_and_from_dict_round_trip_through_json(verdict):
    data = json.loads(json.dumps(verdict.as_dict(), ensure_ascii=False))
    assert data["message"] == verdict.message
    back = Verdict.from_dict(data)
    assert back == verdict
    assert all(isinstance(f, Failure) for f in back.failures)


def test_failure_kinds_are_a_closed_catalogue():
    assert len(set(KINDS)) == len(KINDS)
    assert {"raised", "unusable", "no_result", "not_graded", "values", "shape"} <= set(KINDS)


def _many_failures(n, size):
    return Verdict(
        "add",
        "add_values",
        2.0,
        0.0,
        0,
        n,
        failures=[Failure(f"case {i}", "values", "v", "m" * size) for i in range(n)],
    )


def test_clip_verdict_keeps_the_stored_failures_within_the_budget():
    limits = Limits(verdict_chars=1000)
    verdict = _clip_verdict(_many_failures(50, 300), limits)
    size = sum(len(f.message) + len(f.variable) + len(f.case) for f in verdict.failures)
    assert 0 < size <= 1000 and len(verdict.failures) == 3
    assert [f.case for f in verdict.failures] == ["case 0", "case 1", "case 2"]


def test_clip_verdict_keeps_at_least_the_first_failure():
    verdict = _clip_verdict(_many_failures(4, 5000), Limits(verdict_chars=100))
    assert [f.case for f in verdict.failures] == ["case 0"]


def test_clip_verdict_leaves_a_small_verdict_alone():
    verdict = _clip_verdict(_many_failures(2, 10), Limits())
    assert len(verdict.failures) == 2


def test_judge_compares_against_the_assignments_expected_values():
    # The reference results come from the assignment, never from what the kernel claims.
    assignment = FakeAssignment(
        {"f": [Case("a", (1,))]},
        {"f": [np.array([[1.0, 2.0]])]},
        compare=lambda e, a, n: None if np.array_equal(e, a) else "differs",
    )
    good = {"__nd__": [1.0, 2.0], "dtype": "float64", "shape": [1, 2]}
    bad = {"__nd__": [1.0, 2.5], "dtype": "float64", "shape": [1, 2]}
    assert judge(assignment, "f", 1.0, [{"value": good}]).score == 1.0
    assert judge(assignment, "f", 1.0, [{"value": bad, "expected": bad}]).score == 0.0
