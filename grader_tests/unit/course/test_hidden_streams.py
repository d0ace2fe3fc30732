"""Hidden cases that do not shift: every exercise draws its hidden inputs from a stream of its own.

The property (docs/adding-an-assignment.md, "Hidden cases that do not shift"):
whatever happens to one exercise's stream (a case added, removed or resized),
every other exercise's hidden cases stay byte-identical.  The tests build each
assignment's real spec twice, the second time with one exercise's stream
advanced as a new case would advance it, and compare.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import grader.spec
from grader import ROOT
from grader.course.assignment import _load_spec, ids, load
from grader.spec import case_rng


def _fingerprint(value):
    """A canonical, comparable form of a case's inputs: arrays by dtype, shape and bytes."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return ("dict", tuple((k, _fingerprint(v)) for k, v in value.items()))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_fingerprint(v) for v in value))
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, value.tobytes())
    return (type(value).__name__, repr(value))


def _cases(spec):
    return {
        exercise: [(c.label, _fingerprint(c.args), _fingerprint(c.kwargs)) for c in cases]
        for exercise, cases in spec.cases.items()
    }


class _Counting:
    """A stream that counts the values drawn from it (so a test knows which exercises draw)."""

    def __init__(self, rng, draws, exercise):
        self._rng, self._draws, self._exercise = rng, draws, exercise

    def __getattr__(self, name):
        method = getattr(self._rng, name)

        def draw(*args, **kwargs):
            self._draws[self._exercise] = self._draws.get(self._exercise, 0) + 1
            return method(*args, **kwargs)

        return draw


def _build(assignment, monkeypatch, advanced=None):
    """Build ``assignment``'s spec anew; ``advanced``'s stream first gives up one extra draw.

    Returns the spec, the exercises whose stream was asked for, the draws per
    exercise, and the random generators the spec made other than through ``case_rng``.
    """
    asked, draws, foreign = [], {}, []
    real_random_state, real_default_rng = np.random.RandomState, np.random.default_rng
    path = os.path.join(assignment.root, "grading", assignment.id, "spec.py")

    def streams(exercise, seed):
        asked.append(exercise)
        rng = case_rng(exercise, seed)
        if exercise == advanced:
            rng.randn(4)  # what a case added before the others would take
        return _Counting(rng, draws, exercise)

    def watched(real):
        # Only the spec's own generators count: the lesson's test cases seed theirs (testCases).
        def make(*args, **kwargs):
            if os.path.realpath(sys._getframe(1).f_code.co_filename) == os.path.realpath(path):
                foreign.append(real.__name__)
            return real(*args, **kwargs)

        return make

    global_state = np.random.get_state()
    with monkeypatch.context() as patch:
        # The spec imports case_rng when its module runs, so patching the attribute reaches it.
        patch.setattr(grader.spec, "case_rng", streams)
        patch.setattr(np.random, "RandomState", watched(real_random_state))
        patch.setattr(np.random, "default_rng", watched(real_default_rng))
        spec = _load_spec(path, assignment.helpers, assignment.id)
    if any(not np.array_equal(a, b) for a, b in zip(global_state[1:3], np.random.get_state()[1:3])):
        foreign.append("numpy's global state")
    return spec, asked, draws, foreign


def _exercises():
    return [(a, e) for a in ids() for e in load(a).exercises]


@pytest.mark.parametrize("assignment_id", ids())
def test_every_stream_belongs_to_one_exercise_and_is_asked_for_once(assignment_id, monkeypatch):
    assignment = load(assignment_id)
    spec, asked, draws, foreign = _build(assignment, monkeypatch)
    assert not foreign, "hidden inputs drawn from a stream shared by the exercises"
    assert set(asked) <= set(spec.exercises), "a stream not named after an exercise is shared"
    assert len(asked) == len(set(asked)), "an exercise's stream started twice repeats its inputs"
    assert draws, "no exercise draws its hidden inputs from case_rng"
    # The patched build is the real one: same cases as the spec the grader loads.
    assert _cases(spec) == _cases(assignment.spec)


@pytest.mark.parametrize("assignment_id, exercise", _exercises())
def test_changing_one_exercises_stream_leaves_every_other_exercises_cases_byte_identical(
    assignment_id, exercise, monkeypatch
):
    assignment = load(assignment_id)
    before, _, draws, _ = _build(assignment, monkeypatch)
    after, _, _, _ = _build(assignment, monkeypatch, advanced=exercise)
    before, after = _cases(before), _cases(after)
    for other in before:
        if other != exercise:
            assert after[other] == before[other], f"{other} shifted when {exercise}'s stream changed"
    if draws.get(exercise):
        assert after[exercise] != before[exercise], f"{exercise} does not draw from its own stream"
        # The lesson's case does not come from the stream: it stays first and unchanged.
        assert after[exercise][0] == before[exercise][0]
    else:
        assert after[exercise] == before[exercise]


def test_streams_differ_by_exercise_and_by_seed_and_repeat_exactly():
    first = case_rng("func_a", 640_517).randn(8)
    assert np.array_equal(first, case_rng("func_a", 640_517).randn(8))
    assert not np.array_equal(first, case_rng("func_b", 640_517).randn(8))
    assert not np.array_equal(first, case_rng("func_a", 918_273).randn(8))


def test_drawing_from_one_stream_leaves_another_alone():
    untouched = case_rng("func_b", 7).randn(5)
    a, b = case_rng("func_a", 7), case_rng("func_b", 7)
    a.randn(1000)
    assert np.array_equal(b.randn(5), untouched)


def test_streams_do_not_depend_on_pythons_string_hash():
    """``hash(str)`` changes with PYTHONHASHSEED; the streams must not (grading runs in other processes)."""
    code = (
        "from grader.spec import case_rng; print(case_rng('func_predict', 918_273).randn(3).tobytes().hex())"
    )
    outputs = set()
    for hash_seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=ROOT)
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(proc.stdout.strip())
    assert outputs == {case_rng("func_predict", 918_273).randn(3).tobytes().hex()}
