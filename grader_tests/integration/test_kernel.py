"""The kernel channel end to end (grader.sandbox.kernel, grader.sandbox.kernel_child), on one real sandboxed kernel.

These start real kernels, so they are marked slow; everything else in the
``test_unit_*`` modules runs in milliseconds.
"""

import dataclasses
import json
import time

import numpy as np
import pytest

from grader.limits import Limits
from grader.pipeline.probe import Answerer, build, decode, encode_cases
from grader.sandbox.kernel import Kernel, KernelDied
from grader.spec import Case
from grader_tests.helpers.fakes import FakeAssignment

# Cell code that writes a frame on the kernel's answer channel, as a hostile cell can.
FORGE = """
import json as _json, os as _os, struct as _struct

def forge(message):
    data = _json.dumps(message).encode()
    _os.write(3, _struct.pack(">I", len(data)) + data)
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    # Generous limits: this machine is shared, and these tests are about the channel, not time.
    with Kernel(
        str(tmp_path_factory.mktemp("kernel")), Limits(cell_timeout=30, grace=0.2, notebook_timeout=300)
    ) as k:
        assert k.run(FORGE)["status"] == "ok"
        yield k


def _texts(answer):
    return "".join(o.get("text", "") for o in answer["outputs"] if o.get("output_type") == "stream")


def _spy_writes(kernel, monkeypatch):
    frames = []
    original = kernel._write

    def spy(data, deadline, what):
        frames.append(json.loads(data[4:]))
        return original(data, deadline, what)

    monkeypatch.setattr(kernel, "_write", spy)
    return frames


def test_a_forged_done_frame_is_ignored(kernel):
    answer = kernel.run(
        "for seq in (0, -1, None, 10 ** 9, 'x'):\n"
        "    forge({'op': 'done', 'seq': seq, 'status': 'ok', 'execution_count': 99,\n"
        "           'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': 'forged'}]})\n"
        "forge({'op': 'done', 'status': 'ok', 'outputs': []})\n"
        "forge(['not', 'a', 'dict'])\n"
        "print('real')"
    )
    assert answer["status"] == "ok"
    assert _texts(answer) == "real\n"
    assert _texts(kernel.run("print(1 + 1)")) == "2\n"  # the channel is still in step


def test_a_call_is_answered_only_during_a_probe(kernel, monkeypatch):
    frames = _spy_writes(kernel, monkeypatch)
    answer = kernel.run(
        "for seq in range(200):\n"
        "    forge({'op': 'call', 'seq': seq, 'name': 'g', 'args': {'__tuple__': [1]},\n"
        "           'kwargs': {'__dict__': []}})\n"
        "print('after')"
    )
    assert _texts(answer) == "after\n"
    assert [f["op"] for f in frames] == ["run"]  # the request only: no call was answered


def _callee_assignment():
    return FakeAssignment(
        {"comp": [Case("three", (3,))], "g": [Case("one", (1,))]},
        {"comp": [None], "g": [None]},
        callees={"comp": ("g",)},
        references={"g": lambda a: a * 10, "secret": lambda a: 42},
    )


STUDENT = """
import sys

def g(a):
    return -1          # the student's callee is wrong: the composite must not pay for it

def comp(a):
    stolen = sys._getframe(1).f_locals["call"]   # the probe's own channel to the grader
    try:
        other = stolen("secret", {"__tuple__": [a]}, {"__dict__": []})
    except RuntimeError:
        other = "refused"
    return (g(a), other)
"""


def test_a_probe_gets_its_callees_from_the_grader_and_nothing_else(kernel):
    assignment = _callee_assignment()
    kernel.run(STUDENT)
    kernel.record("comp")
    cases = assignment.spec.cases["comp"]
    answer = kernel.probe(
        build("comp", ("g",)), on_call=Answerer(assignment, "comp", cases), cases=encode_cases(cases)
    )
    [result] = answer["result"]
    assert decode(result["value"]) == (30, "refused")
    assert assignment.reference_calls == [("g", (3,), {})]
    assert _texts(kernel.run("print(g(0))")) == "-1\n"  # the student's own g is back


def test_a_probe_of_an_exercise_without_callees_gets_no_answers(kernel):
    assignment = _callee_assignment()
    kernel.run(
        "def solo(a):\n"
        "    import sys\n"
        "    return sys._getframe(1).f_locals['call']('g', {'__tuple__': [a]}, {'__dict__': []})"
    )
    kernel.record("solo")
    cases = [Case("one", (1,))]
    answer = kernel.probe(
        build("solo", ()), on_call=Answerer(assignment, "solo", cases), cases=encode_cases(cases)
    )
    assert answer["result"] == [{"error": "RuntimeError"}]
    assert assignment.reference_calls == []


@pytest.mark.parametrize(
    "ceiling, budget, answered",
    [
        (3, None, 3),  # Limits.callee_calls alone
        (10, 2, 2),  # the probe's own budget (grader.pipeline.probe.callee_budget), when smaller
        (3, 4, 3),  # never more than Limits.callee_calls
    ],
)
def test_calls_per_probe_are_bounded(kernel, monkeypatch, ceiling, budget, answered):
    monkeypatch.setattr(kernel, "limits", dataclasses.replace(kernel.limits, callee_calls=ceiling))
    assignment = _callee_assignment()
    kernel.run(
        "def many(a):\n"
        "    out = []\n"
        "    for _ in range(5):\n"
        "        try:\n"
        "            out.append(g(a))\n"
        "        except RuntimeError:\n"
        "            out.append('refused')\n"
        "    return out"
    )
    kernel.record("many")
    cases = [Case("two", (2,))]
    answer = kernel.probe(
        build("many", ("g",)),
        on_call=Answerer(assignment, "comp", cases),
        cases=encode_cases(cases),
        max_calls=budget,
    )
    assert decode(answer["result"][0]["value"]) == [20] * answered + ["refused"] * (5 - answered)
    assert len(assignment.reference_calls) == answered


ORACLE = """
def ask(a):
    import numpy as np
    out = []
    for x in (a, a.copy().reshape(-1), a + 1, np.ones((2, 2))):
        try:
            out.append(float(np.sum(g(x))))
        except RuntimeError as exc:
            out.append('refused' if 'handed' in str(exc) else str(exc))
    return out
"""


def test_a_probe_is_answered_only_on_the_arrays_it_was_handed(kernel):
    # The cases arrive as data (not in the probe's source); the stubs answer on them, on what
    # was answered, and on copies of either, never on an array the grader did not hand out.
    assignment = FakeAssignment(
        {"ask": [Case("a", (np.arange(4.0).reshape(2, 2),))]},
        {"ask": [None]},
        callees={"ask": ("g",)},
        references={"g": lambda a: a * 10},
    )
    kernel.run(ORACLE)
    kernel.record("ask")
    cases = assignment.spec.cases["ask"]
    code = build("ask", ("g",))
    assert "__nd__" not in code.split("def dec", 1)[0]
    answer = kernel.probe(code, on_call=Answerer(assignment, "ask", cases), cases=encode_cases(cases))
    assert decode(answer["result"][0]["value"]) == [60.0, 60.0, "refused", "refused"]
    assert len(assignment.reference_calls) == 2


def test_record_keeps_the_function_as_it_was(kernel):
    kernel.run("def f(x):\n    return x + 1")
    kernel.record("f")
    kernel.run("def f(x):\n    return x + 100\nf.__code__ = (lambda x: x + 1000).__code__")
    answer = kernel.probe(build("f", ()), cases=encode_cases([Case("one", (1,))]))
    assert answer["result"] == [{"value": 2}]


def test_a_name_recorded_before_it_exists_is_reported_missing(kernel):
    kernel.record("not_yet")
    kernel.run("def not_yet():\n    return 1")
    answer = kernel.probe(build("not_yet", ()), cases=encode_cases([Case("a")]))
    assert answer["result"][0]["error"].startswith("NameError")


def test_a_forging_cell_that_ignores_alarms_and_sleeps_cannot_hang_the_grader(tmp_path):
    limits = Limits(cell_timeout=1, grace=0.2, notebook_timeout=10)
    with Kernel(str(tmp_path), limits) as kernel:
        kernel.run(FORGE)
        started = time.monotonic()
        hang = (
            "import signal, time\n"
            "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "for seq in range(1, 50):\n"  # an answer for every plausible sequence number
            "    forge({'op': 'done', 'seq': seq, 'status': 'ok', 'outputs': []})\n"
            "time.sleep(600)"
        )
        try:
            kernel.run(hang)
        except KernelDied as exc:  # the forgery was not taken: the cell's own deadline ends it
            assert "did not stop" in str(exc)
        else:
            # The forgery was taken for this cell's answer (sequence numbers are guessable). The
            # next request is larger than the pipe's buffer and nobody reads it: the write gives up.
            with pytest.raises(KernelDied, match="stopped reading its requests"):
                kernel.run("x = '" + "a" * (1 << 20) + "'")
        elapsed = time.monotonic() - started
        assert elapsed < limits.cell_timeout + limits.grace + 1.5, elapsed
        assert kernel.returncode is not None  # killed, not left behind
        with pytest.raises(KernelDied):
            kernel.run("1")


def test_a_cell_that_closes_its_channel_and_sleeps_cannot_hang_the_grader(tmp_path):
    limits = Limits(cell_timeout=1, grace=0.2, notebook_timeout=10)
    nap = 20  # seconds the cell sleeps: the grader must not wait for them
    with Kernel(str(tmp_path), limits) as kernel:
        started = time.monotonic()
        with pytest.raises(KernelDied):
            kernel.run(
                "import os, signal, time\n"
                "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                "os.closerange(3, 65536)\n"  # every copy of the answer channel
                f"time.sleep({nap})"
            )
        elapsed = time.monotonic() - started
        assert elapsed < limits.cell_timeout + limits.grace + 2, f"held the grader {elapsed:.1f} s"


def test_pyplot_loads_only_when_a_cell_uses_it_and_then_plots_inline(tmp_path):
    # The course's import cell: pyplot and `%matplotlib inline`, as the locked cell has them.
    with Kernel(str(tmp_path), Limits(cell_timeout=60, notebook_timeout=300)) as k:
        imports = k.run(
            "import numpy as np\nimport matplotlib.pyplot as plt\n%matplotlib inline\n"
            "import sys\nprint(type(sys.modules['matplotlib.pyplot']).__name__,"
            " type(sys.modules['matplotlib']).__name__, 'matplotlib.rcsetup' in sys.modules)"
        )
        # Neither pyplot nor its package has run: matplotlib's own code (0.17 s) neither.
        assert imports["status"] == "ok", imports
        assert _texts(imports).split() == ["_LazyModule", "_LazyPackageModule", "False"]
        plotted = k.run("plt.plot([1, 2, 3])\nprint(plt.get_backend())")
        assert plotted["status"] == "ok", plotted
        assert "inline" in _texts(plotted)
        images = [
            o
            for o in plotted["outputs"]
            if o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
        ]
        assert len(images) == 1
        again = k.run(
            "import matplotlib.pyplot as plt2, matplotlib\n"
            "print(plt2 is plt, type(plt).__name__, type(matplotlib).__name__, matplotlib.get_backend() is not None)"
        )
        assert _texts(again).split() == ["True", "module", "module", "True"]


def test_a_cell_that_awaits_at_top_level_still_runs_as_in_ipython(kernel):
    """The kernel skips IPython's second compile only for cells that cannot await (may_await)."""
    answer = kernel.run(
        "import asyncio\n"
        "async def twice(x):\n"
        "    await asyncio.sleep(0)\n"
        "    return 2 * x\n"
        "value = await twice(21)\n"
        "print('awaited', value)\n"
    )
    assert answer["status"] == "ok", answer
    assert _texts(answer).split() == ["awaited", "42"]
    plain = kernel.run("print('plain', 'await' in 'no await here')")
    assert plain["status"] == "ok" and _texts(plain).split() == ["plain", "True"]
