"""Kernel processes left behind after grading, in every mode (root with kernel uids, or a normal user).

As root every kernel runs under a uid of its own (``grader.sandbox.launch.UID_BASE`` ...), and so
does a normal user's, in its subordinate ids (``grader.sandbox.subids``), where they are mapped;
else a normal user's kernels run as that user, so a process of this user counts as a kernel's when it is
in another PID namespace than this process (bubblewrap's) or carries the kernel's environment
(``GRADER_STREAM_CAP``, set for every kernel).  In both, so does a process of this user whose
command line has ``marker``.
Only processes that did not exist before (``before``, from :func:`process_ids`) count, so the
user's other work is not taken for a leftover, and with ``run_id`` (the ``GRADER_RUN_ID`` the
harness gave its grading run, which every kernel's environment carries: :func:`labelled_run`)
neither is a kernel of another grading run on the machine.  A process that wiped its
environment still counts: the check errs on the side of a leftover.
"""

import contextlib
import os
import secrets
import time

from grader.sandbox import launch as sandbox
from grader.sandbox import subids

KERNEL_UIDS = range(sandbox.UID_BASE, sandbox.UID_BASE + sandbox.UID_COUNT)
KERNEL_ENV = b"GRADER_STREAM_CAP="
RUN_ENV = "GRADER_RUN_ID"


@contextlib.contextmanager
def labelled_run():
    """Give the grading runs inside the block a fresh ``GRADER_RUN_ID``; yields it."""
    run_id, old = secrets.token_hex(8), os.environ.get(RUN_ENV)
    os.environ[RUN_ENV] = run_id
    try:
        yield run_id
    finally:
        if old is None:
            os.environ.pop(RUN_ENV, None)
        else:
            os.environ[RUN_ENV] = old


def _other_run(pid, run_id):
    """Whether the process carries another grading run's label."""
    if run_id is None:
        return False
    for entry in _read(f"/proc/{pid}/environ").split(b"\0"):
        if entry.startswith(RUN_ENV.encode() + b"="):
            return entry != f"{RUN_ENV}={run_id}".encode()
    return False


def process_ids():
    """The pids alive now."""
    return {int(p) for p in os.listdir("/proc") if p.isdigit()}


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _pid_namespace(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _kernel_uids():
    """Root's kernel uids, and this user's subordinate uids where it has a range."""
    ranges = [KERNEL_UIDS]
    granted = subids.granted() if os.getuid() != 0 else None
    if granted:
        ranges.append(range(granted[0], granted[0] + granted[2]))
    return ranges


def kernel_processes(before=(), marker=None, run_id=None):
    """``[(pid, command)]`` of live kernel processes (see the module's docstring), zombies aside."""
    own_ns, me, found = _pid_namespace("self"), os.getuid(), []
    kernel_uids = _kernel_uids()
    for pid in process_ids() - set(before) - {os.getpid()}:
        status = _read(f"/proc/{pid}/status").decode(errors="replace")
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        try:
            uid = int(fields["Uid"].split()[0])
        except (KeyError, ValueError, IndexError):
            continue
        if fields.get("State", "").split()[:1] == ["Z"]:
            continue
        cmd = _read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode(errors="replace").strip()
        if _other_run(pid, run_id):
            continue
        if any(uid in ids for ids in kernel_uids):
            found.append((pid, cmd[:120]))
        elif uid == me and (
            (marker and marker in cmd)
            # As root a kernel runs as a kernel uid: root's own sandboxed processes (bubblewrap's
            # pid 1) may be another grading run's, on a shared machine.
            or (me != 0 and _pid_namespace(pid) not in (own_ns, None))
            or (me != 0 and KERNEL_ENV in _read(f"/proc/{pid}/environ"))
        ):
            found.append((pid, cmd[:120]))
    return sorted(found)


def leftover_processes(before=(), marker=None, wait=10.0, run_id=None):
    """Kernel processes still alive after a batch, given ``wait`` seconds to go away."""
    deadline = time.monotonic() + wait
    left = kernel_processes(before, marker, run_id)
    while left and time.monotonic() < deadline:
        time.sleep(0.25)
        left = kernel_processes(before, marker, run_id)
    return left
