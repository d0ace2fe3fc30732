"""A real kernel, cold and warm, cannot make a user namespace, mount or ``setns`` (the kernel's seccomp filter).

In a user namespace of its own a kernel would hold every capability over a mount namespace of
its own and could mount a tmpfs with no size or file limit: memory that nothing bounds on a
machine without a memory cgroup.  Seen from inside, as student code would try it: ``unshare``
and ``clone`` with ``CLONE_NEWUSER`` fail with ``EPERM``, ``clone3`` with ``ENOSYS``, the
``unshare`` and ``mount`` programs cannot mount a tmpfs, and ``fork``, threads (``threading``,
numpy), ``subprocess`` and ``multiprocessing`` still work.
"""

import json

import pytest

from grader.limits import Limits
from grader.sandbox import zygote
from grader.sandbox.kernel import Kernel

LIMITS = Limits(cell_timeout=60, grace=0.5, notebook_timeout=300)

TRIES = r"""
import ctypes, json, os, platform, shutil, subprocess, threading
import numpy as np
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
CLONE_NEWUSER, CLONE_NEWNS, SIGCHLD = 0x10000000, 0x00020000, 17
out = {}

def errno_of(result):
    return 'ok' if result >= 0 else os.strerror(ctypes.get_errno())

def in_child(call):
    # Whatever the call gains (a namespace, a mount) ends with this child.
    pid = os.fork()
    if pid == 0:
        try:
            result = call()
            os.write(w, errno_of(result).encode())
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return os.read(r, 100).decode()

r, w = os.pipe()
out['unshare_user'] = in_child(lambda: libc.unshare(CLONE_NEWUSER))
out['unshare_user_mount'] = in_child(lambda: libc.unshare(CLONE_NEWUSER | CLONE_NEWNS))
clone = {'x86_64': 56, 'aarch64': 220}[platform.machine()]
child = libc.syscall(clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)
if child == 0:
    os._exit(0)
if child > 0:
    os.waitpid(child, 0)
out['clone_user'] = errno_of(child)
args = (ctypes.c_uint64 * 11)(0, 0, 0, 0, SIGCHLD)  # clone3 {flags: 0, exit_signal: SIGCHLD}
child = libc.syscall(435, ctypes.byref(args), ctypes.sizeof(args))
if child == 0:
    os._exit(0)
if child > 0:
    os.waitpid(child, 0)
out['clone3'] = errno_of(child)
out['mount'] = errno_of(libc.mount(b'none', b'/tmp', b'tmpfs', 0, b'size=1M'))
fd = os.open('/proc/self/ns/uts', os.O_RDONLY)
out['setns'] = errno_of(libc.setns(fd, 0))
os.close(fd)
tool = subprocess.run(['unshare', '-Urm', 'sh', '-c', 'mount -t tmpfs none /tmp && echo mounted'],
                      capture_output=True, text=True)
out['unshare_tool'] = [tool.returncode, 'mounted' in tool.stdout, shutil.which('unshare') is not None]
pid = os.fork()
if pid == 0:
    os._exit(7)
out['fork'] = os.WEXITSTATUS(os.waitpid(pid, 0)[1])
seen = []
threads = [threading.Thread(target=seen.append, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
out['threads'] = sorted(seen)
out['numpy'] = float((np.ones((300, 300)) @ np.ones((300, 300))).sum())
out['subprocess'] = subprocess.run(['echo', 'hi'], capture_output=True, text=True).stdout
import multiprocessing
with multiprocessing.get_context('fork').Pool(2) as pool:
    out['pool'] = pool.map(abs, [-1, -2, -3])
status = dict(line.split(':', 1) for line in open('/proc/self/status') if ':' in line)
out['seccomp'] = [status['Seccomp'].strip(), status.get('Seccomp_filters', '?').strip()]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def the_zygote():
    z = zygote.Zygote({}, LIMITS)
    z.wait_ready()
    yield z
    z.close()


def _tries(kernel):
    answer = kernel.run(TRIES)
    assert answer["status"] == "ok", answer
    text = "".join(o.get("text", "") for o in answer["outputs"] if o.get("output_type") == "stream")
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="module", params=["cold", "warm"])
def seen(request, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp(request.param))
    if request.param == "cold":
        with Kernel(workdir, LIMITS) as kernel:
            return _tries(kernel)
    kernel = zygote.WarmKernel(workdir, LIMITS, request.getfixturevalue("the_zygote"))
    try:
        return _tries(kernel)
    finally:
        kernel.close()


@pytest.mark.parametrize("call", ["unshare_user", "unshare_user_mount", "clone_user", "mount", "setns"])
def test_a_user_namespace_a_mount_and_setns_are_refused(seen, call):
    assert seen[call] == "Operation not permitted"


def test_clone3_looks_absent(seen):
    assert seen["clone3"] == "Function not implemented"


def test_the_unshare_program_cannot_mount_a_tmpfs(seen):
    returncode, mounted, present = seen["unshare_tool"]
    assert present, "util-linux's unshare is missing in the sandbox: this test would prove nothing"
    assert returncode != 0 and not mounted


def test_fork_threads_numpy_and_subprocesses_still_work(seen):
    assert seen["fork"] == 7
    assert seen["threads"] == [0, 1, 2, 3]
    assert seen["numpy"] == 300.0 * 300 * 300
    assert seen["subprocess"] == "hi\n"
    assert seen["pool"] == [1, 2, 3]


def test_the_kernel_runs_under_bubblewraps_filter_and_its_own(seen):
    assert seen["seccomp"] == ["2", "2"]
