"""Warm kernels: a run's zygote forks each submission's fully confined kernel.

A cold kernel (:class:`grader.sandbox.kernel.Kernel`) costs bubblewrap, a fresh
interpreter, IPython and the locked import cell's numpy and helpers, about 0.8 s of CPU
per submission.  A :class:`Zygote` pays that once per run: bubblewrap starts
``zygote_child.py`` with today's mounts, namespaces and seccomp filter, keeping only the
capabilities it needs to confine each child (:data:`CAPS` as root; as a normal user
:data:`USER_CAPS`, in a user namespace of bubblewrap's that maps only the user's uid); it prepares IPython and
imports numpy and the assignment's helpers, never runs student
code and never holds reference code or hidden inputs.  Per submission,
:class:`WarmKernel` hands it the kernel's pipes, a control socket and the submission's
cgroup files; the fork is pid 1 of a fresh PID namespace, with its own mount, network,
IPC, UTS and cgroup namespaces, ``/proc``, bounded ``/tmp`` and ``/dev/shm``, and its
kernel (pid 2) takes the submission's uid (as a normal user: keeps the user's, in a user
namespace of its own, as a cold kernel does), drops every capability and applies the
rlimits (see ``zygote_child.py``).  The host learns pid 1's pid from the credentials the
kernel attaches to its hello (``SO_PASSCRED``, translated across PID namespaces), holds
it as a pidfd, and kills the namespace by killing it.

Forked children share the zygote's hash secret and address layout, so a zygote serves at
most :data:`KERNELS_PER_ZYGOTE` kernels and a new one is started per run.  A zygote that
died or fails to start costs nothing but time: that submission gets a cold kernel, with
a note.  :func:`grader.sandbox.launch.warm_kernels` says where warm kernels are used.
"""

import array
import hashlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from types import SimpleNamespace

from grader import messages as msg
from grader.sandbox import launch as sandbox
from grader.sandbox import seccomp
from grader.sandbox.kernel import CHILD, Kernel, KernelDied, kernel_env
from grader.sandbox.workspace import remove_tree

ZYGOTE_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zygote_child.py")
# What the zygote keeps, as root: to unshare and mount (SYS_ADMIN), to take each kernel's uid and
# gid (SETUID, SETGID), and to empty each kernel's bounding set (SETPCAP).
CAPS = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")
# As a normal user, inside bubblewrap's user namespace only (which maps the user's uid alone, onto
# its uid 0): SYS_ADMIN and SETPCAP as above, and SETFCAP, without which a kernel's own user
# namespace could not map the user's uid back onto that uid 0 (Linux 5.12 and later).  No SETUID
# or SETGID: there is one uid only, and every kernel keeps it, as a cold kernel of a normal user does.
USER_CAPS = ("CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETFCAP")
# Its children share its hash secret and address-space layout: a fresh zygote after this many.
# What that gives a student is only another kernel's layout, which no input of theirs reaches (the
# kernels are confined from one another); a zygote costs about 0.26 s of CPU to start (measured),
# under 3 ms per submission at 100.
KERNELS_PER_ZYGOTE = 100
START_TIMEOUT = 60.0  # seconds for a zygote to be ready (imports, on a loaded machine)
FORK_TIMEOUT = 20.0  # seconds for a zygote to fork a kernel and for its pid 1 to say hello
GONE_TIMEOUT = 2.0  # seconds a killed kernel's namespace is given to end before its cgroup is swept
# Bytes of cell sources per priming message: JSON escaping at most doubles them (six times for
# control characters, which cells rarely hold), and the zygote reads messages of up to 64 KiB.
PRIME_BYTES = 8_000


class ZygoteError(RuntimeError):
    """The zygote could not make a kernel (it died, or the child's set-up failed)."""


def files_of(folder):
    """``{name: bytes}`` of the files the grader wrote to a kernel's working directory."""
    found = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as f:
                found[name] = f.read()
    return found


def _with_kernel(files):
    """``files`` and the kernel program, as a kernel's working directory holds them."""
    with open(CHILD, "rb") as f:
        return dict(files, **{"_grader_kernel.py": f.read()})


def _key(files):
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _recv_json(sock, timeout, what, fds=None):
    """The next message on ``sock`` (a SEQPACKET socket) within ``timeout``; ``None`` at its end."""
    ready, _, _ = select.select([sock], [], [], timeout)
    if not ready:
        raise ZygoteError(f"no answer within {timeout:g} s while {what}")
    try:
        data, ancdata, _, _ = sock.recvmsg(1 << 16, socket.CMSG_SPACE(12))
    except ConnectionResetError:
        return None  # its end, before it read what this process sent it (pid 1's "held")
    except OSError as exc:
        raise ZygoteError(f"{exc} while {what}") from exc
    if not data:
        return None
    try:
        message = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise ZygoteError(f"a garbled message while {what}") from exc
    if fds is not None:
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                fds.append(array.array("i", payload[:12])[0])  # struct ucred: pid, uid, gid
    return message if isinstance(message, dict) else {}


class Zygote:
    """One pre-started, never-used kernel in its sandbox, that forks confined kernels on request.

    Parameters
    ----------
    files : dict of str to bytes
        The files every kernel of the assignment gets in its working directory (the helpers;
        the kernel program is added).  They are the zygote's only input, and it imports the
        helpers among them.
    limits : grader.limits.Limits
        The sandbox's limits (the tmpfs sizes and inode count; each kernel gets its own
        limits with its request).
    cells : sequence of str, optional
        The release's code cells (public text): the zygote makes IPython's static input
        transforms of them once, for every kernel (``kernel_child.PrimedTransforms``); it
        never runs them.
    probes : sequence of str, optional
        The probes' code (the grader's text, the same for every submission): the zygote
        compiles it once, for every kernel (``kernel_child.Session.prime_probes``).

    Notes
    -----
    Starting returns at once; the first :meth:`spawn` in a process (or :meth:`wait_ready`)
    waits for the zygote's imports, so a grading run starts its zygote while it does the rest
    of its own start-up.  Any number of forked grading workers may use the zygote their parent
    started (the socket is inherited): the zygote answers each request on the sockets sent
    with it, never on the shared one; within a process, one thread at a time asks it.
    """

    def __init__(self, files, limits, cells=(), probes=()):
        files = _with_kernel(files)
        self.key = _key(files)
        # As a normal user without subordinate ids (launch.mapped) each kernel keeps the user's
        # uid, in a user namespace of its own.
        self.userns = not sandbox.rooted()
        self.kernels = 0  # kernels asked for in the process that started it
        self.live = 0
        self.retired = False
        self.broken = None  # why it cannot be used (set on its first failure)
        self._ready = False
        self._lock = threading.Lock()
        self._workdir = tempfile.mkdtemp(prefix="zygote-")
        try:
            for name, data in files.items():
                with open(os.path.join(self._workdir, name), "wb") as f:
                    f.write(data)
            shutil.copy(ZYGOTE_CHILD, os.path.join(self._workdir, "_grader_zygote.py"))
            launch = sandbox.command(
                [sandbox.python_inside(), "-I", "_grader_kernel.py", "--zygote"],
                self._workdir,
                limits,
                keep_caps=USER_CAPS if self.userns else CAPS,
                zygote=True,
            )
        except BaseException:
            remove_tree(self._workdir)
            raise
        self.inside = launch.inside
        self._sock, inner = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        inner_fd = inner.fileno()

        def setup():
            os.setsid()
            sandbox.enter_mapped()
            os.dup2(inner_fd, 3)

        try:
            self.proc = subprocess.Popen(
                launch.argv,
                cwd=launch.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=kernel_env(launch.inside, limits),
                pass_fds=(3, inner_fd, *launch.fds),
                preexec_fn=setup,
                close_fds=True,
            )
        except BaseException:
            self._sock.close()
            raise
        finally:
            inner.close()
            launch.close()
            remove_tree(self._workdir)  # bubblewrap has the files (by descriptor): nothing else reads them
        self.prime(cells, probes)

    def prime(self, cells=(), probes=()):
        """Have the zygote prepare more ``cells`` and ``probes`` (as the constructor's), at any time.

        A run starts its zygote before it has read the release's cells and built its
        probes: they follow when it has them, before the first kernel is asked for.
        """
        self._prime("cells", list(cells))
        self._prime("probes", list(probes))

    def _prime(self, kind, texts):
        """Queue ``texts`` (``kind``: "cells" or "probes") for the zygote, in messages its reads take whole."""
        batch, size = [], 0
        for text in texts:
            length = len(text.encode("utf-8"))
            if length > PRIME_BYTES:
                continue  # a text that large is transformed or compiled when it runs, as any other
            if batch and size + length > PRIME_BYTES:
                self._send_prime(kind, batch)
                batch, size = [], 0
            batch.append(text)
            size += length
        if batch:
            self._send_prime(kind, batch)

    def _send_prime(self, kind, texts):
        try:
            self._sock.send(json.dumps({"op": "prime", kind: texts}).encode("utf-8"))
        except OSError:
            pass  # a zygote that is gone is found out by its first request

    def serves(self, files):
        """Whether it was started for these ``files`` (as the constructor's: without the kernel program)."""
        return self.key == _key(_with_kernel(files))

    def alive(self):
        """Whether its process still runs and it has not failed (in the process that started it)."""
        return self.broken is None and self.proc.poll() is None

    def wait_ready(self):
        """Wait until the zygote has made its imports; raise :class:`ZygoteError` if it never does."""
        with self._lock:
            if self.broken:
                raise ZygoteError(self.broken)
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                fds = array.array("i", [theirs.fileno()])
                self._sock.sendmsg([b'{"op": "ping"}'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
                theirs.close()
                answer = _recv_json(mine, START_TIMEOUT, "starting the zygote")
            except OSError as exc:
                answer = None
                self.broken = f"the zygote is gone ({exc})"
            except ZygoteError as exc:
                self.broken = str(exc)
                raise
            finally:
                theirs.close()
                mine.close()
            if not answer or answer.get("op") != "pong":
                self.broken = self.broken or "the zygote ended while starting"
                raise ZygoteError(self.broken)
            self._ready = True

    def spawn(self, req_r, resp_w, request, cgroup_fds=()):
        """Fork a kernel on ``req_r`` / ``resp_w``; return its :class:`Child` handle.

        ``request`` holds the kernel's uid and gid, rlimits, environment and tmpfs sizes
        (see :meth:`WarmKernel._fork_request`); ``cgroup_fds`` are the submission's
        ``cgroup.procs`` files, written by the kernel's pid 1 to join the group.
        """
        return self.begin(req_r, resp_w, request, cgroup_fds).finish()

    def begin(self, req_r, resp_w, request, cgroup_fds=()):
        """Have the zygote fork a kernel as :meth:`spawn` does; return once the request is sent.

        The zygote forks and the kernel's pid 1 confines itself meanwhile (joining a cgroup
        waits for the kernel's RCU grace period, about 10 ms): :meth:`Starting.finish` waits
        for its hello and returns the :class:`Child`.  Nothing is read from the zygote's own
        socket: a failed fork is said on the kernel's control socket, so the grading
        processes that share a zygote never read one another's answers.
        """
        with self._lock:
            if self.broken:
                raise ZygoteError(self.broken)
            # A request waits in the socket while the zygote still imports: the first one of a
            # process gets the zygote's start-up time too (no process waits for "ready" first).
            timeout = FORK_TIMEOUT if self._ready else START_TIMEOUT
            host, inner = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                host.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
                fds = array.array("i", [req_r, resp_w, inner.fileno(), *cgroup_fds])
                try:
                    self._sock.sendmsg(
                        [json.dumps(request).encode("utf-8")], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)]
                    )
                except OSError as exc:
                    self.broken = f"the zygote is gone ({exc})"
                    raise ZygoteError(self.broken) from exc
                return Starting(host, self, timeout)
            except BaseException:
                host.close()
                raise
            finally:
                inner.close()  # the zygote has its own copy, and pid 1 its

    def released(self):
        """A kernel of it was closed: a retired zygote goes with its last kernel."""
        self.live -= 1
        if self.retired and self.live <= 0:
            self.close()

    def close_socket(self):
        """Forget the zygote in a process that did not start it (a forked worker of another slot)."""
        try:
            self._sock.close()
        except OSError:
            pass

    def close(self):
        """Stop the zygote (its sandbox, and any kernel it still has) and forget it (idempotent)."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        self.close_socket()  # the zygote's end of file: it exits
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
        remove_tree(self._workdir)


class Starting:
    """A kernel asked of the zygote whose pid 1 has not said hello yet (:meth:`Zygote.begin`)."""

    def __init__(self, host, zygote, timeout=FORK_TIMEOUT):
        self.host, self.zygote, self.timeout = host, zygote, timeout

    def finish(self):
        """Wait for pid 1's hello; its :class:`Child` (``ZygoteError`` if the fork or its set-up failed).

        A zygote that does not answer in time (a first request also waits for its start-up)
        is not used again: the next submissions get cold kernels, with a note.
        """
        zygote = self.zygote
        try:
            pids = []
            try:
                hello = _recv_json(self.host, self.timeout, "forking and confining a kernel", pids)
            except ZygoteError as exc:
                zygote.broken = zygote.broken or str(exc)
                raise
            if not hello or hello.get("op") != "hello" or not pids:
                error = (hello or {}).get("error", "its pid 1 ended before the kernel started")
                raise ZygoteError(f"a kernel's set-up failed: {str(error)[:300]}")
        except BaseException:
            self.host.close()  # pid 1 ends with the host's end of its control socket
            raise
        zygote._ready = True
        zygote.kernels += 1
        zygote.live += 1
        return Child(self.host, pids[0], zygote)


class Child:
    """A forked kernel's pid 1, seen from the host: its pidfd and its control socket."""

    def __init__(self, sock, pid, zygote):
        self.sock, self.pid, self.zygote = sock, pid, zygote
        self.status = None  # pid 1's report: {"status": wait status, "maxrss_kb": ...}
        self.ended = False
        try:
            self.pidfd = os.pidfd_open(pid)
        except ProcessLookupError:  # killed meanwhile (its cgroup's memory limit, say): nothing to hold
            self.pidfd = None
            return
        try:
            self.sock.send(b"held")  # pid 1 may end now: its pid is held by the pidfd
        except OSError:
            pass  # it ended already (killed), and its end is read as any other

    def poll(self, timeout):
        """Read pid 1's report or its end, waiting up to ``timeout``; whether it has ended."""
        if self.ended:
            return True
        end = time.monotonic() + timeout
        while True:
            try:
                message = _recv_json(self.sock, max(0.0, end - time.monotonic()), "waiting for a kernel")
            except ZygoteError:
                return False
            if message is None:
                self.ended = True
                return True
            if message.get("op") == "exit":
                self.status = message

    def kill(self):
        """SIGKILL pid 1, which ends every process of the kernel's PID namespace."""
        if self.pidfd is None:
            return
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except (ProcessLookupError, OSError):
            pass

    def wait_gone(self, timeout):
        """Wait up to ``timeout`` seconds for pid 1's end; whether it ended.

        Linux ends pid 1 of a PID namespace only once every other process of it is gone
        (``zap_pid_ns_processes``), and its pidfd is readable from then on: the moment the
        kernel's processes have all left, without polling for it.
        """
        if self.pidfd is None:
            return True  # it was gone before it could be held
        try:
            ready, _, _ = select.select([self.pidfd], [], [], timeout)
        except (OSError, ValueError):
            return False
        return bool(ready)

    def close(self):
        """Close the handle (after :meth:`kill`)."""
        for close in (self.sock.close, lambda: self.pidfd is not None and os.close(self.pidfd)):
            try:
                close()
            except OSError:
                pass
        self.zygote.released()


class WarmKernel(Kernel):
    """A :class:`~grader.sandbox.kernel.Kernel` forked from a :class:`Zygote`: same interface, same limits.

    Raises :class:`ZygoteError` when the zygote cannot make it (the caller then starts a
    cold kernel, see :func:`start_kernel`); nothing of it is left then.
    """

    warm = True

    def __init__(self, workdir, limits, zygote, wait=True):
        self.zygote = zygote
        self.child = None
        self._starting = None  # the zygote forked it; its pid 1's hello is still to come
        try:
            super().__init__(workdir, limits, wait)
        except KernelDied as exc:  # before any student code: the zygote's failure, not the student's
            raise ZygoteError(str(exc)) from exc

    def wait_started(self):
        try:
            super().wait_started()
        except KernelDied as exc:  # still before any student code
            raise ZygoteError(str(exc)) from exc

    def _finish_spawn(self):
        if self._starting is not None:
            starting, self._starting = self._starting, None
            self.child = starting.finish()

    def _fork_request(self, inside):
        limits, mb = self.limits, 1024 * 1024
        # As a cold kernel's (launch.process_limit): limits.processes with a uid of its own, else
        # (a normal user) what the user runs now plus that; never above a hard limit it cannot raise.
        nproc = sandbox.capped_nproc(sandbox.process_limit(limits, self.uid is not None), can_raise=False)
        uid = self.uid.uid if self.uid is not None else None
        return {
            "uid": uid,
            "gid": uid,
            # Without a uid of its own: the user's uid and gid (as the host sees them), which the
            # kernel maps onto the zygote's uid 0 in a user namespace of its own.
            "userns": [os.getuid(), os.getgid()] if uid is None else None,
            "rlimits": sandbox.rlimits(limits, nproc),
            "env": dict(kernel_env(inside, limits), PWD=inside),  # bubblewrap's --chdir sets PWD
            "work": inside,
            "tmp_bytes": limits.disk_mb * mb,
            "shm_bytes": limits.shm_mb * mb,
            "inodes": limits.tmp_inodes,
            "seccomp": seccomp.kernel_program().hex(),
        }

    def _spawn(self, workdir, req_r, resp_w):
        if _key(files_of(workdir)) != self.zygote.key:
            raise ZygoteError("this kernel's files are not the zygote's")
        if self.uid is None and not self.zygote.userns:
            raise ZygoteError("no uid of its own for the kernel")
        fds = self.cgroup.open_procs() if self.cgroup is not None else []
        try:
            self._starting = self.zygote.begin(req_r, resp_w, self._fork_request(self.zygote.inside), fds)
        finally:
            for fd in fds:
                os.close(fd)

    def _host_pid(self):
        """Pid 1 of the kernel's namespace, as the grading process sees it."""
        return self.child.pid if self.child is not None else None

    def _memory_tree(self):
        """The kernel and its processes: pid 1's descendants.

        Pid 1 itself, a fork of the zygote that only waits, is the grader's: its resident
        pages (the zygote's, shared) are not the submission's.
        """
        pid = self._host_pid()
        return sandbox.descendants(pid) if pid is not None else []

    def _reap(self, block=True):
        """Pid 1's report of the kernel's end (once); its wait status as a cold kernel's."""
        if self.returncode is None and self.child is not None:
            if not self.child.poll(5.0 if block else 0.0):
                return None
            report = self.child.status
            if report is None:  # pid 1 itself was killed (by the grader, or with the cgroup)
                self.returncode = -signal.SIGKILL
            else:
                status = report.get("status", 0)
                self.returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                self.rusage = SimpleNamespace(ru_maxrss=report.get("maxrss_kb", 0))
        return self.returncode

    def _kill(self):
        if self._starting is not None:  # given up before it started: its hello first, so it has a pid
            try:
                self._finish_spawn()
            except ZygoteError:
                pass  # its pid 1 ended
        if self.child is None:
            return
        self._sample_memory()  # without a cgroup, the last look at its processes (as a cold kernel's)
        self.child.kill()
        # Its end, as it happens: the cgroup's sweep below then finds it empty, instead of
        # polling it with growing pauses (3 ms of every submission's close).  The sweep stays
        # the authority on what is left.
        self.child.wait_gone(GONE_TIMEOUT)
        if self.cgroup is not None:
            self.cgroup.kill_all()
        self._reap()

    def close(self):
        """Kill the kernel's namespace, free its cgroup and uid (idempotent)."""
        if getattr(self, "_closed", False):
            return
        super().close()
        if self.child is not None:
            self.child.close()


_current = None  # the zygote this process's kernels are forked from (see install)


def install(zygote):
    """Make ``zygote`` the one this process's kernels come from (``None``: cold kernels)."""
    global _current
    _current = zygote


_shared_lock = threading.Lock()


def shared(files, limits, cells=(), probes=()):
    """This process's zygote for ``files``, started on first use (a Dask worker's; thread-safe).

    After :data:`KERNELS_PER_ZYGOTE` kernels, or when it died, a new one is started; the old
    one goes when its last kernel is closed.
    """
    global _current
    with _shared_lock:
        zygote = _current
        if zygote is not None and (
            zygote.key != _key(_with_kernel(files))
            or not zygote.alive()
            or zygote.kernels >= KERNELS_PER_ZYGOTE
        ):
            retire(zygote)
            zygote = None
        if zygote is None:
            zygote = _current = Zygote(files, limits, cells, probes)
        return zygote


def retire(zygote):
    """Stop ``zygote`` now if no kernel of it lives, else when its last one is closed."""
    zygote.retired = True
    if zygote.live <= 0:
        zygote.close()


def start_kernel(workdir, limits, notes=None, cold=Kernel, wait=True):
    """A kernel for the files in ``workdir``: warm from this process's zygote where one is installed.

    A zygote that cannot make it costs only time: the kernel is started cold (``cold``,
    called as ``Kernel`` is), and ``notes`` (a list) gets
    :data:`grader.messages.WARM_KERNEL_FALLBACK` once.  ``wait=False``: a warm kernel is
    returned before it is ready; :func:`started` then waits (with the same fallback).
    """
    zygote = _current
    if zygote is not None and zygote.broken is None:
        try:
            return WarmKernel(workdir, limits, zygote, wait=wait)
        except ZygoteError as exc:
            _fell_back(zygote, exc, notes)
    return cold(workdir, limits)  # a cold kernel's own start is waited for here


def started(kernel, workdir, limits, notes=None, cold=Kernel):
    """``kernel`` (from ``start_kernel(..., wait=False)``) once ready, or a cold one if its zygote failed."""
    try:
        kernel.wait_started()  # a cold kernel has started already
        return kernel
    except ZygoteError as exc:  # only a warm kernel raises it, before any student code ran; closed
        _fell_back(kernel.zygote, exc, notes)
    return cold(workdir, limits)


def _fell_back(zygote, exc, notes):
    if zygote.broken is None:
        zygote.broken = str(exc)  # one failed set-up is enough: the rest of it goes cold
    note = msg.WARM_KERNEL_FALLBACK.format(reason=exc)
    if notes is not None and note not in notes:
        notes.append(note)
