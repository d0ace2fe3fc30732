"""The grading process's side of a sandboxed kernel (see ``kernel_child.py``)."""

import itertools
import json
import os
import secrets
import select
import shutil
import signal
import struct
import subprocess
import time

from grader.sandbox import cgroups
from grader.sandbox import launch as sandbox

_SERIAL = itertools.count()


def _random_seq():
    """A request's sequence number: random, so that a forged answer cannot guess it."""
    return secrets.randbits(62)


MEMORY_SAMPLE_SECONDS = 0.25  # without a cgroup: how often a busy kernel's processes are measured

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_child.py")


def kernel_env(inside, limits):
    """The kernel's whole environment (``inside``: its working directory as it sees it)."""
    env = {
        "PATH": os.path.dirname(sandbox.python_inside()) + ":/usr/bin:/bin",
        "HOME": inside,
        "TMPDIR": inside,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": os.path.join(inside, ".matplotlib"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "NBGRADER_EXECUTION": "autograde",
        "GRADER_STREAM_CAP": str(limits.output_kb * 1024),
        "GRADER_DISPLAY_CAP": str(limits.display_kb * 1024),
        "GRADER_NOTEBOOK_CAP": str(limits.notebook_output_mb * 1024 * 1024),
        # bubblewrap gives the kernel a PID namespace of its own (see kernel_child's probes).
        "GRADER_OWN_PID_NAMESPACE": "1" if sandbox.bwrap_works() else "0",
    }
    # GRADER_RUN_ID: a label a test harness gives its grading run, so that its check for kernel
    # processes left behind can tell its own kernels from those of another run on the machine.
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "GRADER_RUN_ID"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


class KernelDied(Exception):
    """The kernel process ended or had to be killed; the message says why."""


class Kernel:
    """One submission's kernel, in its own sandbox, run cell by cell.

    Parameters
    ----------
    workdir : str
        A throwaway host folder holding the files the kernel needs (the
        helpers); the grader's kernel program is copied in.  With bubblewrap
        they appear read-only in the kernel's own bounded working directory.
    limits : grader.limits.Limits
    """

    warm = False  # forked from a zygote (grader.sandbox.zygote.WarmKernel), not started cold
    started = True  # said it is ready (False from __init__ until wait_started)

    def __init__(self, workdir, limits, wait=True):
        # Every path that runs students' code starts here: none runs it unisolated unasked.
        sandbox.require_isolation()
        self.limits = limits
        self.peak_cgroup_mb = 0.0
        self.peak_tree_mb = 0.0
        self.deadline = time.monotonic() + limits.notebook_timeout
        shutil.copy(CHILD, os.path.join(workdir, "_grader_kernel.py"))
        self.uid = sandbox.KernelUid() if sandbox.separate_uid() else None
        self.cgroup = None
        self.stalled = False
        self.dead = None
        self.returncode = None
        self.rusage = None
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        try:
            if cgroups.available():
                self.cgroup = cgroups.Cgroup(
                    f"grader-{os.getpid()}-{next(_SERIAL)}",
                    cpus=1,
                    memory_mb=limits.memory_mb + limits.disk_mb + limits.shm_mb,
                    processes=limits.processes,
                )
            self._spawn(workdir, req_r, resp_w)
        except BaseException:
            for fd in (self._req_w, self._resp_r):
                os.close(fd)
            if self.cgroup is not None:
                self.cgroup.remove()
            if self.uid is not None:
                self.uid.release()
            raise
        finally:
            os.close(req_r)
            os.close(resp_w)
        # Writes must never block for ever: a kernel that stops reading fills the pipe.
        os.set_blocking(self._req_w, False)
        self._seq = _random_seq
        self.started = False
        if wait:
            self.wait_started()

    def wait_started(self):
        """Wait until the kernel says it is ready (idempotent; the first request waits too).

        Made with ``wait=False``, a kernel starts while its caller does other work (a
        submission is read while its kernel joins its cgroup and mounts its ``/tmp``).
        Raises ``KernelDied`` when it does not start; nothing of it is left then.
        """
        if self.started:
            return
        try:
            self._finish_spawn()
            self._read(min(60.0, self.limits.notebook_timeout), "starting the kernel")
        except BaseException:
            self.close()  # no process or cgroup may outlive a kernel that failed to start
            raise
        self.started = True

    def _finish_spawn(self):
        """The part of the start that :meth:`_spawn` leaves for later (nothing, for a cold kernel)."""

    def _spawn(self, workdir, req_r, resp_w):
        """Start the kernel's process: bubblewrap, then ``python -I _grader_kernel.py`` (cold)."""
        limits = self.limits
        nproc = sandbox.process_limit(limits, self.uid is not None)
        # With a uid of its own the limit is set as that uid's, by bubblewrap's first step:
        # bubblewrap itself runs as root (of the machine, exempt from it, or of a normal user's
        # namespace of subordinate ids, where it would count every sandbox's processes).
        launch = sandbox.command(
            [sandbox.python_inside(), "-I", "_grader_kernel.py"],
            workdir,
            limits,
            self.uid.uid if self.uid else None,
            nproc=sandbox.capped_nproc(nproc) if self.uid else None,
        )
        limit_fn = sandbox.preexec(limits, self.cgroup, nproc=None if self.uid else nproc)

        def child_setup():
            limit_fn()
            sandbox.enter_mapped()
            os.dup2(resp_w, 3)

        try:
            self.proc = sandbox.retry_fork(
                lambda: subprocess.Popen(
                    launch.argv,
                    cwd=launch.cwd,
                    stdin=req_r,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=kernel_env(launch.inside, limits),
                    # resp_w itself is not passed: dup2 makes it fd 3 before close_fds runs, and a
                    # second descriptor of the answer pipe has no use in the kernel.
                    pass_fds=(3, *launch.fds),
                    preexec_fn=child_setup,
                    close_fds=True,
                )
            )
        finally:
            launch.close()

    def _reap(self, block=True):
        """Wait for the kernel's process (once); keep its status and resource usage."""
        if self.returncode is None:
            try:
                pid, status, rusage = os.wait4(self.proc.pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return self.returncode
            if pid:
                self.returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                self.proc.returncode = self.returncode
                self.rusage = rusage
        return self.returncode

    def _host_pid(self):
        """The host pid of the kernel's first process (bubblewrap's, cold), for memory sampling."""
        proc = getattr(self, "proc", None)
        return proc.pid if proc is not None else None

    def _memory_tree(self):
        """The host pids of the submission's processes: the first one's and its descendants."""
        pid = self._host_pid()
        return [pid, *sandbox.descendants(pid)] if pid is not None else []

    def _sample_memory(self):
        """Without a cgroup: the submission's memory now (all its live processes), kept if a new peak."""
        if self.cgroup is None and self.returncode is None:
            tree = self._memory_tree()
            now = max(sandbox.memory_mb(tree), sandbox.memory_mb(tree[:1], "VmHWM"))
            self.peak_tree_mb = max(self.peak_tree_mb, now)

    def _kill(self):
        self._sample_memory()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.cgroup is not None:
            self.cgroup.kill_all()
        self._reap()

    def peak_rss_mb(self):
        """Peak memory of the submission's processes, in MB: its cgroup's, else the sum over its live processes."""
        if self.peak_cgroup_mb:
            return self.peak_cgroup_mb
        return max(self.peak_tree_mb, self.rusage.ru_maxrss / 1024 if self.rusage else 0.0)

    def _die(self, reason):
        self.dead = reason
        self._kill()
        raise KernelDied(reason)

    def _exit_reason(self):
        code = self._reap(block=False)
        if code is None:
            return None
        if code > 128 and code - 128 in signal.valid_signals():
            code = 128 - code  # bubblewrap reports its child's death by signal n as 128 + n
        if code < 0:
            sig = signal.Signals(-code).name
            hint = {
                "SIGKILL": " (killed: memory or process limit?)",
                "SIGSEGV": " (segmentation fault)",
                "SIGXCPU": " (CPU time limit)",
            }
            return f"the kernel died with {sig}{hint.get(sig, '')}"
        return f"the kernel exited with status {code}"

    def _read_exact(self, n, deadline, what):
        chunks = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            # Without a cgroup the peak memory is sampled while the kernel works (children included).
            wait = left if self.cgroup is not None else min(left, MEMORY_SAMPLE_SECONDS)
            ready, _, _ = select.select([self._resp_r], [], [], wait)
            if not ready:
                self._sample_memory()
                continue
            chunk = os.read(self._resp_r, min(n, 1 << 20))
            if not chunk:
                self._die((self._wait_exit() or "the kernel closed its channel") + f" while {what}")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _wait_exit(self):
        """Why the kernel ended, waiting at most the grace period (a closed channel need not mean
        an exited process: a kernel that closes its descriptors and sleeps is killed by ``_die``)."""
        end = time.monotonic() + min(self.limits.grace, 1.0)
        attempt = 0
        while self._reap(block=False) is None and time.monotonic() < end:
            time.sleep(cgroups.backoff(attempt))
            attempt += 1
        return self._exit_reason()

    def _write(self, data, deadline, what):
        """Write all of ``data`` to the request pipe before ``deadline``, or declare the kernel dead."""
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stalled = True  # the previous request is still running, whatever it answered
                self._die(f"the kernel stopped reading its requests while {what}")
            try:
                _, ready, _ = select.select([], [self._req_w], [], left)
                if ready:
                    view = view[os.write(self._req_w, view) :]
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                self._die((self._wait_exit() or "the kernel is gone") + f" while {what}")

    def _read(self, timeout, what, deadline=None, max_bytes=None):
        """The next frame, before ``deadline`` (default: ``timeout`` + grace from now).

        A request passes its own deadline, fixed when it was sent, so frames the
        kernel writes meanwhile (junk, forged, other sequence numbers) never
        extend it.
        """
        if self.dead:
            raise KernelDied(self.dead)
        if deadline is None:
            deadline = time.monotonic() + timeout + self.limits.grace
        deadline = min(deadline, self.deadline)
        head = self._read_exact(4, deadline, what)
        if head is None:
            if time.monotonic() >= self.deadline:
                self._die(
                    f"the notebook exceeded its total time limit "
                    f"({self.limits.notebook_timeout:g} s) while {what}"
                )
            self._die(
                f"a cell did not stop within {timeout:g} s (+{self.limits.grace:g} s grace) while {what}"
            )
        (n,) = struct.unpack(">I", head)
        if n > (max_bytes or self.limits.max_message_mb * 1024 * 1024):
            self._die(f"the kernel sent {n} bytes while {what}, over the limit")
        # The body of an announced frame gets a short allowance, never past the notebook's end.
        body = self._read_exact(n, min(deadline + 10, self.deadline), what)
        if body is None:
            self._die(f"the kernel stalled while {what}")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            self._die(f"the kernel sent a garbled message while {what}")
        except MemoryError:
            body = None
            self._die(f"the kernel sent a message too large to read while {what}")

    def _request(self, message, what, answer_op, on_call=None, max_bytes=None, max_calls=None):
        if self.dead:
            raise KernelDied(self.dead)
        self.wait_started()
        timeout = min(self.limits.cell_timeout, max(0.0, self.deadline - time.monotonic()))
        seq = self._seq()
        data = json.dumps(dict(message, timeout=timeout, seq=seq)).encode("utf-8")
        deadline = min(time.monotonic() + timeout + self.limits.grace, self.deadline)
        self._write(struct.pack(">I", len(data)) + data, deadline, what)
        calls = 0
        max_calls = (
            self.limits.callee_calls if max_calls is None else min(max_calls, self.limits.callee_calls)
        )
        while True:
            answer = self._read(timeout, what, deadline, max_bytes)
            if not isinstance(answer, dict) or answer.get("seq") != seq:
                continue  # written by student code, or left over from an earlier request: ignore
            if answer.get("op") == answer_op:
                return answer
            if answer.get("op") == "call" and answer_op == "probe":
                calls += 1
                reply = (
                    on_call(answer)
                    if on_call is not None and calls <= max_calls
                    else {
                        "op": "raise",
                        "error": f"no more calls to the functions it uses are answered (at most {max_calls})",
                    }
                )
                body = json.dumps(reply).encode("utf-8")
                self._write(struct.pack(">I", len(body)) + body, deadline, what)

    def run(self, code, what="running a cell"):
        """Run a cell; return ``{"status", "outputs", "execution_count"}``."""
        return self._request({"op": "run", "code": code}, what, "done")

    def record(self, name, what="recording a function"):
        """Keep the kernel's function ``name`` as it is now, for a later probe."""
        return self._request({"op": "record", "name": name}, what, "recorded")

    def probe(self, code, what="running hidden tests", on_call=None, cases=None, max_calls=None):
        """Exec grader code defining ``__probe__(user_ns, recorded, call)``; return the kernel's answer.

        ``on_call(message) -> reply`` answers the probe's ``call`` requests
        (a composite exercise's callee stubs), at most ``max_calls`` of them (never more
        than ``Limits.callee_calls``); without it they get no answer.
        ``cases`` (JSON data) travel in the request and are the global
        ``__cases__`` of the probe's code, so the code itself can be the same
        for every submission.
        """
        request = {"op": "probe", "code": code}
        if cases is not None:
            request["cases"] = cases
        # A probe's answer is a few results: it gets a small size limit of its own, which bounds
        # what parsing a forged answer can cost the grading process.
        return self._request(
            request, what, "probe", on_call, max_bytes=self.limits.answer_kb * 1024, max_calls=max_calls
        )

    def close(self):
        """Kill every process of the kernel, free its cgroup and uid (idempotent)."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        for fd in (self._req_w, self._resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._kill()
        if self.cgroup is not None:
            self.peak_cgroup_mb = self.cgroup.peak_memory_mb()
            self.cgroup.remove()
            self.cgroup = None
        if self.uid is not None:
            self.uid.release()
            self.uid = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
