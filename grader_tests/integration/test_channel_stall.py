"""A kernel that sends a frame's header and then nothing stalls the grader no longer than the notebook's deadline."""

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
