"""The grader's side of the kernel channel (grader.sandbox.kernel.Kernel) on plain pipes, without a kernel.

A ``Kernel`` is wired to two pipes the test holds (what the kernel would
write, what it would read) and to a harmless ``sleep`` process standing in
for the kernel's process, so framing, sequence numbers and deadlines are
checked in milliseconds.
"""

import struct
import time

import pytest

from grader.sandbox.kernel import KernelDied
from grader_tests.helpers.channel import channel  # noqa: F401 (fixtures, used by name)


def test_a_frame_cut_short_stalls_no_longer_than_the_notebook_deadline(channel):
    channel.kernel.deadline = time.monotonic() + 1
    channel.send(raw=struct.pack(">I", 100) + b'{"op": ')  # a header, then nothing
    started = time.monotonic()
    with pytest.raises(KernelDied, match="stalled"):
        channel.kernel.run("x")
    assert time.monotonic() - started < 3, "the body's deadline ignores the notebook's"
