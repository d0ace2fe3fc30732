"""Hostile cases of issue 17.1: a probe as an oracle, and an accomplice's answers replayed.

Same shape as ``hostile_cases.py`` (each :class:`hostile_cases.Case` writes one student's
submission and states the scores a correct grader gives it).

- ``oracle_foreign_arrays``: the accomplice.  Its functions are right, but each records the
  inputs its probe hands it; in the composites' probes it then asks the callee stubs for the
  reference results on those recorded inputs of *other* probes and on arrays it made itself.
  Each such call must be refused with the grader's reason; one answered call makes its
  composite raise, so full marks mean every oracle call was refused.
- ``oracle_replay_accomplice``: the beneficiary.  The channel between students is taken as
  perfect (the harness hands it what the accomplice could have learned): the inputs the
  control student ``control_full`` is graded on and the reference results on them.  Each
  function replays the recorded result for the arguments it is called with.  Hidden inputs
  are the student's own, so it earns nothing.
- ``oracle_replay_own``: the same replay of the student's *own* hidden inputs earns full marks,
  so the replay works and only per-submission inputs stop the beneficiary.

The inputs of a student are computed as the grader draws them: with the course secret of the
grading run's course root (the default of ``grader.batch.runner.run``).
"""

import base64
import pickle

from grader.course.assignment import copy_value
from grader_tests.helpers import hostile_cases as hc
from grader_tests.helpers.hostile_cases import L1W3, Case, full, insert_before, set_solution, solved

COMPOSITES = ("func_nn_model", "func_predict")

# --------------------------------------------------------------------------- the accomplice
RECORDER = """
import numpy as _np
_recorded = {}

def _record(name, function):
    def recording(*args, **kwargs):
        _recorded.setdefault(name, []).append((args, kwargs))
        return function(*args, **kwargs)
    return recording

def _oracle_refused(stub, args):
    # True if the grader refused the call; an answered call is the attack working.
    try:
        stub(*args)
    except RuntimeError as exc:
        if 'handed' not in str(exc):
            raise AssertionError('refused for another reason: %s' % exc)
        return True
    return False

def _ask_oracle(stubbed):
    # The last two calls recorded are the other probe's two hidden cases (the lesson's case,
    # before them, is public and may equal this probe's own lesson inputs).
    if len(_recorded.get('func_forward_propagation', [])) < 3:
        raise AssertionError('the other probe was not recorded')
    for args, kwargs in _recorded.get('func_forward_propagation', [])[-2:]:
        if not _oracle_refused(func_forward_propagation, args):
            raise AssertionError('the stub answered on inputs of another probe')
    # func_backward_propagation is a stub in func_nn_model's probe only (func_predict's calls
    # func_forward_propagation alone): elsewhere it is the student's own function.
    for args, kwargs in _recorded.get('func_backward_propagation', [])[-2:] if stubbed else ():
        if not _oracle_refused(func_backward_propagation, args):
            raise AssertionError('the stub answered on inputs of another probe')
    made = {'W1': _np.ones((4, 2)), 'b1': _np.zeros((4, 1)), 'W2': _np.ones((1, 4)), 'b2': _np.zeros((1, 1))}
    if not _oracle_refused(func_forward_propagation, (_np.ones((2, 3)), made)):
        raise AssertionError('the stub answered on arrays the probe made itself')
"""

RECORDED = """
{name} = _record({name!r}, {name})
"""

ASK_FIRST = """
_honest_{name} = {name}
def {name}(*args, **kwargs):
    _ask_oracle({name!r} == 'func_nn_model')   # inside the probe, the callees are the grader's stubs
    return _honest_{name}(*args, **kwargs)
"""


def _accomplice(paths):
    nb = insert_before(solved(), "func_layer_sizes", RECORDER)
    sources = hc.solution_sources()
    for exercise in ("func_forward_propagation", "func_backward_propagation"):
        set_solution(nb, exercise, sources[exercise] + "\n" + RECORDED.format(name=exercise))
    for exercise in COMPOSITES:
        set_solution(nb, exercise, sources[exercise] + "\n" + ASK_FIRST.format(name=exercise))
    return nb


# --------------------------------------------------------------------------- the replays
# The key of a call, the same here and in the kernel (the kernel runs this very source).
KEY = """
import hashlib as _hashlib
import numpy as _np

def _key(value):
    h = _hashlib.sha256()
    def walk(v):
        if isinstance(v, _np.ndarray):
            h.update(str(v.shape).encode())
            h.update(_np.ascontiguousarray(v, dtype=_np.float64).tobytes())
        elif isinstance(v, _np.generic):  # the kernel gets a numpy scalar as a Python number
            h.update(repr(v.item()).encode())
        elif isinstance(v, dict):
            for k in sorted(v):
                h.update(repr(k).encode())
                walk(v[k])
        elif isinstance(v, (tuple, list)):
            h.update(b'(')
            for x in v:
                walk(x)
            h.update(b')')
        else:
            h.update(repr(v).encode())
    walk(value)
    return h.hexdigest()
"""

REPLAY = """
import base64 as _base64, copy as _copy, pickle as _pickle
_TABLE = _pickle.loads(_base64.b64decode({table!r}))

def _replay(name, args, kwargs):
    return _copy.deepcopy(_TABLE.get(_key((name, args, sorted(kwargs.items())))))
"""

REPLAYING = """
def {name}(*args, **kwargs):
    return _replay({name!r}, args, kwargs)
"""

HONEST = ()  # exercises the replayers solve themselves: none


def _key_function():
    namespace = {}
    exec(KEY, namespace)
    return namespace["_key"]


def _table(student):
    """``{key of a call: reference result}`` of every hidden case ``student`` is graded on."""
    key = _key_function()
    cases = L1W3.hidden_cases(L1W3.submission_seed(student))
    table = {}
    for exercise in L1W3.exercises:
        if exercise in HONEST:
            continue
        for case, want in zip(cases[exercise], L1W3.expected(exercise, cases[exercise])):
            args, kwargs = copy_value(tuple(case.args)), copy_value(dict(case.kwargs))
            table[key((exercise, args, sorted(kwargs.items())))] = want
    return base64.b64encode(pickle.dumps(table)).decode("ascii")


def _replayer(whose):
    """A build function: a submission replaying the reference results on ``whose(student)``'s inputs."""

    def build(submitted_root, student):
        nb = insert_before(
            solved(), "func_layer_sizes", KEY + "\n" + REPLAY.format(table=_table(whose(student)))
        )
        for exercise in L1W3.exercises:
            if exercise not in HONEST:
                set_solution(nb, exercise, REPLAYING.format(name=exercise))
        hc.submissions.write(nb, student, submitted_root, L1W3)

    return build


CASES = [
    Case(
        "oracle_foreign_arrays",
        "an accomplice asks its callee stubs for results on inputs of other probes and its own arrays",
        hc.writes(_accomplice),
        full(),
    ),
    Case(
        "oracle_replay_accomplice",
        "a beneficiary replays the reference results on the inputs another student was graded on",
        _replayer(lambda student: hc.CONTROL_FULL),
        hc.zero(),
    ),
    Case(
        "oracle_replay_own",
        "the same replay on the student's own hidden inputs (the replay works: only its inputs differ)",
        _replayer(lambda student: student),
        full(),
    ),
]
