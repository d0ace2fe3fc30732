"""The grader's side of the kernel channel (grader.sandbox.kernel.Kernel) on plain pipes, without a kernel.

A ``Kernel`` is wired to two pipes the test holds (what the kernel would
write, what it would read) and to a harmless ``sleep`` process standing in
for the kernel's process, so framing, sequence numbers and deadlines are
checked in milliseconds.
"""

import os
import struct
import time

import pytest

from grader.sandbox.kernel import KernelDied
from grader_tests.helpers.channel import (
    LIMITS,
    LINGERING,
    Channel,
    channel,  # noqa: F401 (fixtures, used by name)
)


def test_the_answer_with_the_requests_sequence_number_is_taken(channel):
    channel.send(
        {"op": "done", "seq": 7, "outputs": ["forged"]},
        {"op": "done", "outputs": ["no seq"]},
        ["not a dict"],
        {"op": "recorded", "seq": 1},
        {"op": "done", "seq": 1, "status": "ok", "outputs": []},
    )
    assert channel.kernel.run("x = 1") == {"op": "done", "seq": 1, "status": "ok", "outputs": []}
    [request] = channel.requests()
    assert (request["op"], request["code"], request["seq"]) == ("run", "x = 1", 1)
    assert request["timeout"] == pytest.approx(LIMITS.cell_timeout, abs=0.01)


def test_each_request_gets_a_new_sequence_number(channel):
    channel.send({"op": "done", "seq": 1}, {"op": "recorded", "seq": 2}, {"op": "probe", "seq": 3})
    channel.kernel.run("a")
    channel.kernel.record("f")
    channel.kernel.probe("p")
    assert [(r["op"], r["seq"]) for r in channel.requests()] == [("run", 1), ("record", 2), ("probe", 3)]


def test_a_silent_kernel_is_declared_dead_after_the_cell_timeout_and_grace(channel):
    started = time.monotonic()
    with pytest.raises(KernelDied, match=r"did not stop within 0.3 s \(\+0.1 s grace\)"):
        channel.kernel.run("while True: pass")
    assert LIMITS.cell_timeout + LIMITS.grace <= time.monotonic() - started < 2
    assert channel.process.poll() is not None  # killed
    with pytest.raises(KernelDied):  # and stays dead, without waiting again
        channel.kernel.run("1")


def test_a_kernel_that_stops_reading_is_declared_dead_by_the_writes_deadline(channel):
    started = time.monotonic()
    with pytest.raises(KernelDied, match="stopped reading its requests"):
        channel.kernel.run("x = '" + "a" * (1 << 20) + "'")  # far more than a pipe holds
    assert time.monotonic() - started < 2
    assert channel.process.poll() is not None


@pytest.mark.parametrize(
    "raw, reason",
    [
        (struct.pack(">I", 2 * 1024 * 1024) + b"{}", "over the limit"),
        (struct.pack(">I", 5) + b"{nope", "garbled"),
        (struct.pack(">I", 4) + b"\xff\xfe\xfd\xfc", "garbled"),
        (struct.pack(">I", 30_000) + b"[" * 30_000, "garbled"),
    ],
)
def test_a_malformed_frame_kills_the_kernel(channel, raw, reason):
    channel.send(raw=raw)
    with pytest.raises(KernelDied, match=reason):
        channel.kernel.run("x")
    assert channel.process.poll() is not None


@pytest.mark.parametrize("closed", ["answers", "requests"])
def test_a_closed_channel_is_a_dead_kernel_at_once(closed):
    channel = Channel(lives=LINGERING)
    try:
        os.close(channel.resp_w if closed == "answers" else channel.req_r)
        started = time.monotonic()
        with pytest.raises(KernelDied, match="while running a cell"):
            channel.kernel.run("x")
        assert time.monotonic() - started < LINGERING / 2, "waited for the process to exit by itself"
    finally:
        channel.close()


def test_calls_are_answered_during_a_probe(channel):
    calls = []

    def on_call(message):
        calls.append(message["name"])
        return {"op": "return", "value": 42}

    channel.send(
        {"op": "call", "seq": 1, "name": "g", "args": {"__tuple__": []}, "kwargs": {"__dict__": []}},
        {"op": "call", "seq": 99, "name": "forged"},
        {"op": "probe", "seq": 1, "result": []},
    )
    assert channel.kernel.probe("code", on_call=on_call)["result"] == []
    assert calls == ["g"]
    assert [r["op"] for r in channel.requests()] == ["probe", "return"]


def test_calls_without_an_answerer_are_refused(channel):
    channel.send({"op": "call", "seq": 1, "name": "g"}, {"op": "probe", "seq": 1, "result": []})
    channel.kernel.probe("code")
    refusal = channel.requests()[1]
    assert refusal["op"] == "raise" and "no more calls" in refusal["error"]


@pytest.mark.parametrize("request_op", ["run", "record"])
def test_calls_are_not_answered_outside_probes(channel, request_op):
    answer_op = {"run": "done", "record": "recorded"}[request_op]
    channel.send({"op": "call", "seq": 1, "name": "g"}, {"op": answer_op, "seq": 1})
    if request_op == "run":
        channel.kernel.run("x")
    else:
        channel.kernel.record("f")
    assert [r["op"] for r in channel.requests()] == [request_op]


def test_the_notebook_deadline_bounds_every_request(channel):
    channel.kernel.deadline = time.monotonic() + 0.2
    started = time.monotonic()
    with pytest.raises(KernelDied, match="total time limit"):
        channel.kernel.run("x")
    assert time.monotonic() - started < 1


def test_close_is_idempotent_and_kills_the_process(channel):
    channel.kernel.close()
    channel.kernel.close()
    assert channel.process.poll() is not None


def test_real_sequence_numbers_are_random_so_a_forgery_cannot_guess_them():
    from grader.sandbox.kernel import _random_seq

    numbers = {_random_seq() for _ in range(1000)}
    assert len(numbers) == 1000 and min(numbers) > 2**40


def test_frames_written_meanwhile_do_not_extend_a_requests_deadline(channel):
    """Junk and foreign frames keep arriving; the request still ends at timeout + grace."""
    import threading

    stop = threading.Event()

    def junk():
        while not stop.is_set():
            try:
                channel.send({"op": "done", "seq": 12345})
            except OSError:
                return
            time.sleep(0.05)

    writer = threading.Thread(target=junk, daemon=True)
    writer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KernelDied, match="did not stop"):
            channel.kernel.run("while True: pass")
    finally:
        stop.set()
    assert time.monotonic() - started < LIMITS.cell_timeout + LIMITS.grace + 1.0
