"""What the tests of unit/sandbox/test_channel.py, integration/test_channel_stall.py share (constants, helpers, fixtures)."""

import itertools
import json
import os
import struct
import subprocess
import time

import pytest

from grader.limits import Limits
from grader.sandbox.kernel import Kernel

LIMITS = Limits(cell_timeout=0.3, grace=0.1, notebook_timeout=30, max_message_mb=1)


class Channel:
    """A ``Kernel`` on test-held pipes: ``send`` plays the kernel's answers, ``requests`` reads its inbox."""

    def __init__(self, lives=60):
        self._resp_r, self.resp_w = os.pipe()
        self.req_r, req_w = os.pipe()
        os.set_blocking(req_w, False)
        os.set_blocking(self.req_r, False)
        self.process = subprocess.Popen(["sleep", str(lives)], start_new_session=True)
        kernel = Kernel.__new__(Kernel)  # everything __init__ sets, except starting a sandbox
        kernel.limits, kernel.deadline = LIMITS, time.monotonic() + LIMITS.notebook_timeout
        kernel._resp_r, kernel._req_w = self._resp_r, req_w
        kernel._seq, kernel.dead, kernel.returncode, kernel.rusage = (
            itertools.count(1).__next__,
            None,
            None,
            None,
        )
        kernel.stalled = False
        kernel.proc, kernel.cgroup, kernel.uid, kernel.peak_cgroup_mb = self.process, None, None, 0.0
        kernel.peak_tree_mb = 0.0
        self.kernel = kernel

    def send(self, *messages, raw=b""):
        for message in messages:
            data = json.dumps(message).encode()
            os.write(self.resp_w, struct.pack(">I", len(data)) + data)
        if raw:
            os.write(self.resp_w, raw)

    def requests(self):
        data = b""
        while True:
            try:
                chunk = os.read(self.req_r, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        frames = []
        while data:
            (n,) = struct.unpack(">I", data[:4])
            frames.append(json.loads(data[4 : 4 + n]))
            data = data[4 + n :]
        return frames

    def close(self):
        self.kernel.close()
        for fd in (self.resp_w, self.req_r):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def channel():
    made = Channel()
    yield made
    made.close()


# A kernel process that lives on after closing its end of a pipe (student code can close any
# descriptor, ignore SIGALRM and sleep without using CPU) must not hold the grader.
LINGERING = 4  # seconds the stand-in process lives: what the grader must not wait for
