"""Probes and callee answers (grader.pipeline.probe): what enters the kernel and what the grader answers."""

import base64
import json
import re

import numpy as np
import pytest

from grader.pipeline import probe
from grader.pipeline.probe import Answerer, build, decode, encode_cases
from grader.spec import Case
from grader_tests.helpers.fakes import two_exercises


def answer_call(assignment, exercise, message, cases=()):
    """One call answered by a fresh answerer of ``exercise`` that handed out ``cases``."""
    return Answerer(assignment, exercise, cases)(message)


def _call(name, args=(), kwargs=None):
    """The ``call`` message a callee stub sends from the kernel (encoded by the probe's own code)."""
    sent = []

    def call(*message):
        sent.append(message)
        return 0

    user_ns = {}
    _run_probe(
        "caller",
        [Case("c")],
        (name,),
        {"caller": lambda: user_ns[name](*args, **(kwargs or {}))},
        user_ns,
        call,
    )
    [(sent_name, sent_args, sent_kwargs)] = sent
    return json.loads(json.dumps({"op": "call", "name": sent_name, "args": sent_args, "kwargs": sent_kwargs}))


def test_answer_call_computes_the_reference_result_here_and_encodes_it():
    assignment = two_exercises()
    reply = answer_call(assignment, "twice", _call("add", (5, 5)))
    assert reply == {"op": "return", "value": 10}
    assert assignment.reference_calls == [("add", (5, 5), {})]


def test_answer_call_encodes_an_array_result():
    assignment = two_exercises()
    assignment.references["add"] = lambda a, b: np.array([[a, b]], dtype=np.float64)
    reply = answer_call(assignment, "twice", _call("add", (1.0, 2.0)))
    raw = base64.b64encode(np.array([1.0, 2.0], dtype="<f8").tobytes()).decode("ascii")
    assert reply == {"op": "return", "value": {"__b64__": raw, "dtype": "float64", "shape": [1, 2]}}
    assert np.array_equal(decode(reply["value"]), [[1.0, 2.0]])


def _b64(values, dtype="float64", shape=None):
    raw = base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")
    return {"__b64__": raw, "dtype": dtype, "shape": [len(values)] if shape is None else shape}


@pytest.mark.parametrize(
    "value, dtype",
    [
        (np.arange(6.0).reshape(2, 3) / 7, "float64"),
        (np.array([[1, -2, 3]], dtype=np.int64), "int64"),
        (np.array([True, False]), "bool"),
        (np.zeros((0, 3)), "float64"),
        (np.array([np.nan, np.inf, -0.0]), "float64"),
    ],
)
def test_arrays_travel_exactly_as_base64_both_ways(value, dtype):
    # The grader's encoding, through JSON and the kernel's decoder, and back the kernel's way.
    seen = []
    [result] = _run_probe("f", [Case("a", (value,))], (), {"f": lambda x: seen.append(x) or x})
    [got] = seen
    assert got.dtype == dtype and got.shape == value.shape
    assert np.array_equal(got, value, equal_nan=True) and got.flags.writeable
    back = decode(json.loads(json.dumps(result))["value"])
    assert back.dtype == dtype and np.array_equal(back, value, equal_nan=True)
    assert "__b64__" in result["value"]


@pytest.mark.parametrize(
    "encoded",
    [
        dict(_b64([1.0, 2.0]), shape=[3]),  # fewer bytes than the shape needs
        dict(_b64([1.0, 2.0]), shape=[1]),  # more
        dict(_b64([1.0]), __b64__="AAAA!AAAAAA="),  # not base64
        dict(_b64([1.0]), __b64__="AAAAAAAA AAA="),  # whitespace is no base64 either
        dict(_b64([1.0]), __b64__=7),
        dict(_b64([1.0]), dtype="object"),
        dict(_b64([1.0]), dtype="complex128"),
        dict(_b64([1.0]), shape=[-1]),
        dict(_b64([1.0]), shape=[True]),
        dict(_b64([1.0]), shape="1"),
        dict(_b64([1.0] * 1), shape=[1] * 9),  # too many dimensions
        {"__b64__": _b64([1.0])["__b64__"], "shape": [1]},  # no dtype
    ],
)
def test_base64_arrays_are_decoded_strictly(encoded):
    with pytest.raises(probe.Unsupported):
        decode(encoded)


@pytest.mark.parametrize(
    "exercise, name",
    [
        ("twice", "twice"),  # itself
        ("twice", "secret"),  # not an exercise
        ("add", "add"),  # not a composite: no callees at all
        ("twice", None),
        ("twice", ["add"]),
    ],
)
def test_answer_call_refuses_a_function_the_exercise_does_not_call(exercise, name):
    assignment = two_exercises()
    reply = answer_call(assignment, exercise, dict(_call("add", (1, 2)), name=name))
    assert reply["op"] == "raise" and "is not a function" in reply["error"]
    assert assignment.reference_calls == []


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ([1, 2], {}),  # a raw list, not an encoded tuple
        ({"__list__": [1, 2]}, {}),  # a list where a tuple is needed
        ({"__tuple__": [1, 2]}, {"__tuple__": []}),  # kwargs not a dict
        (True, {}),
        (None, None),
        ({"__tuple__": [1, {"__unsupported__": "function"}]}, {}),
        ({"__tuple__": [{"__nd__": [1.0], "dtype": "float64", "shape": [3]}, 1]}, {}),
    ],
)
def test_answer_call_refuses_malformed_arguments(args, kwargs):
    assignment = two_exercises()
    reply = answer_call(assignment, "twice", {"op": "call", "name": "add", "args": args, "kwargs": kwargs})
    assert reply["op"] == "raise"
    assert assignment.reference_calls == []


def test_answer_call_refuses_too_many_elements(monkeypatch):
    monkeypatch.setattr(probe, "MAX_CALL_ELEMENTS", 10)
    assignment = two_exercises()
    assignment.references["add"] = lambda a, b: a.sum() + b
    handed = [Case("zeros", (np.zeros(9),))]
    assert answer_call(assignment, "twice", _call("add", (np.zeros(9), 1)), handed) == {
        "op": "return",
        "value": 1.0,
    }
    reply = answer_call(assignment, "twice", _call("add", (np.zeros(10), 1)))
    assert reply["op"] == "raise" and "too large" in reply["error"]
    assert len(assignment.reference_calls) == 1


def test_answer_call_counts_elements_across_arguments_and_nesting(monkeypatch):
    monkeypatch.setattr(probe, "MAX_CALL_ELEMENTS", 10)
    assignment = two_exercises()
    reply = answer_call(
        assignment, "twice", _call("add", ([np.zeros(3), (np.zeros(3),)],), {"b": {"k": np.zeros(5)}})
    )
    assert reply["op"] == "raise" and "too large" in reply["error"]
    assert assignment.reference_calls == []


def test_answer_call_turns_a_failing_reference_into_a_raise_for_the_student():
    assignment = two_exercises()
    reply = answer_call(assignment, "twice", _call("add", (1,)))  # one argument missing
    assert reply["op"] == "raise" and reply["error"].startswith("TypeError")


# --- the probe's own code, run here in-process instead of in a kernel ---------------------


def _run_probe(exercise, cases, callees, recorded, user_ns=None, call=None):
    # As the kernel does: the request's cases (JSON) become the probe's global __cases__.
    namespace = {"__cases__": json.loads(json.dumps(encode_cases(cases)))}
    exec(compile(build(exercise, callees), "<probe>", "exec"), namespace)
    user_ns = {} if user_ns is None else user_ns
    return namespace["__probe__"](user_ns, recorded, call or (lambda *a: pytest.fail("unexpected call")))


def test_probe_returns_encoded_results_that_decode_to_the_values():
    def f(x, scale=1):
        return {"y": x * scale, "n": (x.shape[0], "rows")}

    x = np.arange(6.0).reshape(2, 3)
    results = _run_probe("f", [Case("a", (x,), {"scale": 2})], (), {"f": f})
    [result] = json.loads(json.dumps(results))
    value = decode(result["value"])
    assert np.array_equal(value["y"], x * 2) and value["n"] == (2, "rows")


@pytest.mark.parametrize(
    "value",
    [
        (1, 2.5, "x"),
        {"a": np.arange(6.0).reshape(2, 3), "b": np.zeros((1, 0))},
        [np.array([[1, 2]], dtype=np.int32)],
    ],
)
def test_the_kernel_side_decodes_what_the_grader_encodes(value):
    # A hidden case's argument goes through encode(), JSON and the probe template's own decoder.
    seen = []
    _run_probe("f", [Case("a", (value,), {})], (), {"f": lambda x: seen.append(x)})
    assert repr(seen) == repr([value])


@pytest.mark.parametrize("returned", [True, None, print, {1, 2}, np.array(["a"]), 2**70, "s" * 10_001])
def test_probe_marks_values_the_grader_does_not_accept(returned):
    [result] = _run_probe("f", [Case("a")], (), {"f": lambda: returned})
    with pytest.raises(ValueError):
        decode(json.loads(json.dumps(result))["value"])


@pytest.mark.parametrize("recorded", [{}, {"f": None}, None, "f"])
def test_probe_reports_a_function_missing_at_its_test_cell(recorded):
    results = _run_probe("f", [Case("a"), Case("b")], (), recorded)
    assert [r["error"][:9] for r in results] == ["NameError", "NameError"]


def test_probe_fails_only_the_case_that_raises_or_exits():
    def f(x):
        if x == 1:
            raise SystemExit(0)
        if x == 2:
            return 1 / 0
        return x

    results = _run_probe("f", [Case("exit", (1,)), Case("zero", (2,)), Case("fine", (3,))], (), {"f": f})
    assert results == [{"error": "SystemExit"}, {"error": "ZeroDivisionError"}, {"value": 3}]


def test_probe_stubs_the_callees_with_the_graders_answers_and_restores_them():
    assignment = two_exercises()
    student_add = lambda a, b: a - b  # noqa: E731  (a wrong callee must not cost the composite)
    user_ns = {"add": student_add}

    def twice(x):
        return user_ns["add"](x, x)

    def call(name, args, kwargs):
        reply = answer_call(assignment, "twice", {"name": name, "args": args, "kwargs": kwargs})
        return reply["value"]

    results = _run_probe("twice", assignment.spec.cases["twice"], ("add",), {"twice": twice}, user_ns, call)
    assert results == [{"value": 10}]
    assert user_ns == {"add": student_add}
    assert assignment.reference_calls == [("add", (5, 5), {})]


def test_probe_removes_stubs_of_callees_the_student_never_defined():
    user_ns = {}
    _run_probe("g", [Case("a")], ("h",), {"g": lambda: 1}, user_ns)
    assert user_ns == {}


# --- no reference code in any probe ------------------------------------------------------


@pytest.fixture(scope="module")
def course():
    from grader.course.assignment import load

    return load("L1W3")


def _solution_lines(source):
    block = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S)
    assert block, "a solution cell without solution markers"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_no_probe_contains_a_line_of_any_solution(course):
    lines = {line for source in course.solution_sources.values() for line in _solution_lines(source)}
    assert len(lines) > 20
    for exercise in course.exercises:
        code = build(exercise, course.spec.callees.get(exercise, ()))
        leaked = sorted(line for line in lines if line in code)
        assert not leaked, f"probe of {exercise} contains solution lines: {leaked}"


def test_probes_name_only_the_exercise_and_its_callees(course):
    for exercise in course.exercises:
        callees = course.spec.callees.get(exercise, ())
        code = build(exercise, callees)
        named = set(re.findall(r"'(func_\w+)'", code))
        assert named == {exercise, *callees}


def test_the_probe_template_has_no_placeholder_left():
    code = build("f", ("g",))
    assert not re.search(r"__(EXERCISE|CALLEES)__", code)
    assert probe._TEMPLATE.count("__EXERCISE__") == 1


def test_the_probe_source_holds_no_hidden_input(course):
    # The cases travel as data in the request: the probe's code is the same for every submission.
    for exercise in course.exercises:
        code = build(exercise, course.spec.callees.get(exercise, ()))
        assert "__nd__" not in code.split("def dec", 1)[0]
        assert code == build(exercise, course.spec.callees.get(exercise, ()))
        assert not re.search(r"\d\.\d{6}", code)


# --- the answerer answers only on what it handed to its probe -----------------------------


def _arrays_call(name, *args, **kwargs):
    return _call(name, args, kwargs)


@pytest.fixture
def arrays():
    assignment = two_exercises()
    assignment.references["add"] = lambda a, b: {"sum": a + b, "n": 2}
    x = np.arange(6.0).reshape(2, 3)
    return assignment, x, [Case("x", (x, {"W": x * 2}))]


def test_the_answerer_answers_on_handed_out_arrays_and_their_copies(arrays):
    assignment, x, cases = arrays
    answerer = Answerer(assignment, "twice", cases)
    for a in (x, x.copy(), x.T.T, x.reshape(3, 2), x.astype(np.float32).astype(float), x * 2):
        reply = answerer(_arrays_call("add", a, a))
        assert reply["op"] == "return", reply
    # A nested dict of handed-out arrays counts array by array.
    assert answerer.foreign((x,), {"b": {"k": [x * 2, (x.copy(), 3)]}}) is None
    assert answerer.foreign((x,), {"b": {"k": [x * 2, (x + 1, 3)]}}) == "kwargs['b']['k'][1][0]"


def test_the_answerer_answers_on_its_own_earlier_answers(arrays):
    assignment, x, cases = arrays
    answerer = Answerer(assignment, "twice", cases)
    assert answerer(_arrays_call("add", x * 3, x))["op"] == "raise"  # not handed out yet
    first = answerer(_arrays_call("add", x, x * 2))  # answers x + 2x = 3x
    assert first["op"] == "return"
    assert answerer(_arrays_call("add", x * 3, x))["op"] == "return"


@pytest.mark.parametrize(
    "foreign",
    [
        np.arange(6.0).reshape(2, 3) + 1e-12,  # one ulp away is another value
        np.arange(5.0),  # part of it
        np.zeros((2, 3)),
        np.arange(6.0).reshape(2, 3)[:, ::-1],  # the same numbers in another order
    ],
)
def test_the_answerer_refuses_arrays_it_did_not_hand_out(arrays, foreign):
    assignment, x, cases = arrays
    answerer = Answerer(assignment, "twice", cases)
    reply = answerer(_arrays_call("add", x, {"W": foreign}))
    assert reply["op"] == "raise" and "args[1]['W']" in reply["error"]
    assert " / " in reply["error"] and "add" in reply["error"]  # bilingual, names the callee
    assert assignment.reference_calls == []


def test_what_one_answerer_handed_out_is_no_key_for_another(arrays):
    assignment, x, cases = arrays
    first = Answerer(assignment, "twice", cases)
    assert first(_arrays_call("add", x, x))["op"] == "return"  # hands out 2x ... and x + x
    other = Answerer(assignment, "twice", [Case("y", (x + 7,))])
    assert other(_arrays_call("add", x, x))["op"] == "raise"


def test_numbers_are_free(arrays):
    assignment, _, cases = arrays
    assignment.references["add"] = lambda a, b: a + b
    assert Answerer(assignment, "twice", cases)(_call("add", (123.5, 7)))["op"] == "return"


def test_open_callees_are_answered_on_any_arguments(arrays):
    assignment, x, cases = arrays
    assignment.spec.open_callees = {"twice": ("add",)}
    reply = Answerer(assignment, "twice", cases)(_arrays_call("add", x + 1, x - 1))
    assert reply["op"] == "return"


def test_answer_call_refuses_sizes_too_large_before_the_reference_runs(monkeypatch):
    # func_initialize_parameters(3000, 3000, 1): the worker would allocate what it then refuses.
    monkeypatch.setattr(probe, "MAX_CALL_ELEMENTS", 100)
    assignment = two_exercises()
    reply = answer_call(assignment, "twice", _call("add", (20, 6)))
    assert reply["op"] == "raise" and "sizes too large" in reply["error"]
    assert assignment.reference_calls == []  # refused before it ran
    # Within the bound (and with non-integers, which size nothing), the call is answered.
    assert answer_call(assignment, "twice", _call("add", (10, 10)))["op"] == "return"
    assert answer_call(assignment, "twice", _call("add", (1000.5, 7)))["op"] == "return"
