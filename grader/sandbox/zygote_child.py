"""The zygote: a prepared kernel that forks one fully confined kernel per submission.

Copied into the zygote's sandbox as ``_grader_zygote.py`` beside ``_grader_kernel.py``
(``kernel_child.py``) and run as ``python -I _grader_kernel.py --zygote``: the kernel
program runs :func:`kernel_child.prepare` (IPython's shell, the lazy pyplot), then
:func:`main` here imports numpy and the assignment's helpers (the files the
grader put in the working directory), and waits on its control socket (fd 3).  It never
runs student code and never sees reference code or hidden inputs: those reach each
kernel on its own channel, as with a cold kernel.

A request is a JSON frame with the kernel's descriptors attached (``SCM_RIGHTS``): its
request pipe, its answer pipe, its control socket, and the ``cgroup.procs`` files of
the submission's cgroup.  For each, the zygote unshares a PID namespace and forks; the
child is pid 1 there (:func:`_init`): it joins the cgroup, unshares the mount, network,
IPC, UTS and cgroup namespaces, mounts its own ``/proc``, and its own ``/tmp`` and
``/dev/shm`` bounded in bytes and files, copies the working directory's files read-only,
says hello on the control socket (the host learns its pid from the credentials the
kernel attaches), forks the kernel (pid 2, :func:`_kernel`), gives up its own
capabilities and waits.  When the kernel ends, pid 1 reports the status and peak
memory once the grader holds its pidfd (it says so on the control socket: pid 1 is reaped
at once, and its pid must not be free before), and its death ends every process left in
the namespace.  The zygote itself
answers only on a request's own socket (a failed fork on the kernel's control socket,
``ping``'s ``pong`` on the one socket sent with it), never on fd 3: every grading process
of a run can share one zygote, each reading only its own answers.  The kernel takes the
submission's uid and gid (as a normal user: a user namespace of its own, in which it is the
user's uid and gid, as a cold kernel of that user is), drops every capability, keeps ``no_new_privs`` and the
seccomp filter the zygote inherited from bubblewrap, applies the rlimits, keeps only
its channel, resets the environment and signal dispositions to a fresh interpreter's,
reseeds numpy's and ``random``'s global generators, installs the kernel's seccomp filter
over bubblewrap's (``request["seccomp"]``: no user namespace, mount or ``setns``, which the
zygote and pid 1 need and the kernel does not), and serves.

Like ``kernel_child.py`` this file imports nothing from the ``grader`` package.
"""

import array
import ctypes
import gc
import json
import os
import random
import resource
import select
import signal
import socket
import sys
import threading

CONTROL_FD = 3
SKIP = ("_grader_zygote.py",)  # the files of the working directory a kernel does not get

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
LINUX_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]


def _check(failed, what):
    if failed:
        error = ctypes.get_errno()
        raise OSError(error, "%s: %s" % (what, os.strerror(error)))


def _unshare(flags, what):
    _check(_libc.unshare(flags) != 0, what)


def _mount(source, target, fstype, flags, options, what):
    data = options.encode() if options is not None else None
    _check(_libc.mount(source, target, fstype, flags, data) != 0, what)


def _drop_bounding_and_ambient():
    """Empty the bounding and ambient sets (dropping from the bounding set needs CAP_SETPCAP)."""
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1  # until the first number past the last capability this Linux knows
    _check(cap == 0, "bounding set")
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0, "ambient set")


def _own_user_namespace(uid, gid):
    """As a normal user's kernel: a user namespace of its own, where it is the user's ``uid`` and ``gid``.

    The zygote is uid 0 of bubblewrap's user namespace, which maps only the user's uid: this
    maps that uid 0 back to the user's, so the kernel sees itself as a cold kernel of the
    user does (the same nesting as ``launch._mount_bounded_tmpfs``).  It owns no other
    namespace, so the full capability set it gets here is over nothing of the sandbox, and it
    is emptied next (the bounding set included, which a new user namespace refills).
    """
    _unshare(CLONE_NEWUSER, "unshare(CLONE_NEWUSER)")
    for name, text in (("uid_map", "%d 0 1" % uid), ("setgroups", "deny"), ("gid_map", "%d 0 1" % gid)):
        with open("/proc/self/" + name, "w") as f:
            f.write(text)


def _clear_capability_sets():
    """Empty the effective, permitted and inheritable sets (a uid change keeps the inheritable one)."""
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable}: all empty
    _check(_libc.capset(header, data) != 0, "capset")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _install_filter(data):
    """Install the classic-BPF program ``data`` as a seccomp filter (needs no_new_privs, set before)."""
    code = ctypes.create_string_buffer(data, len(data))
    fprog = _SockFprog(len(data) // 8, ctypes.cast(code, ctypes.c_void_p))
    zero = ctypes.c_ulong(0)
    mode = ctypes.c_ulong(SECCOMP_MODE_FILTER)
    _check(_libc.prctl(PR_SET_SECCOMP, mode, ctypes.byref(fprog), zero, zero) != 0, "seccomp")


def _fresh_dispositions():
    """Each signal's disposition now, in a fresh interpreter (Python ignores SIGPIPE and SIGXFSZ)."""
    found = {}
    for sig in signal.valid_signals():
        try:
            handler = signal.getsignal(sig)
        except (OSError, ValueError):
            continue
        if handler is not None and sig not in (signal.SIGKILL, signal.SIGSTOP):
            found[sig] = handler
    return found


def _reseed():
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _send(sock, obj):
    sock.send(json.dumps(obj).encode("utf-8"))


def _answer(fds, obj):
    """Send ``obj`` on the first of ``fds`` (a request's own socket), if there is one; never raise."""
    if not fds:
        return
    try:
        os.write(fds[0], json.dumps(obj).encode("utf-8"))  # one SEQPACKET message
    except OSError:
        pass  # its grading process is gone


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def _init(request, fds, files, made, session, serve, fresh):
    """Pid 1 of the kernel's PID namespace: the confinement, then the kernel, then its status."""
    req_r, resp_w, control = fds[:3]
    ctl = socket.socket(fileno=control)
    try:
        for fd in fds[3:]:
            os.write(fd, b"0")  # joins the submission's cgroup (cgroup.procs, opened by the grader)
            os.close(fd)
        _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP, "unshare")
        _mount(None, b"/", None, MS_REC | MS_PRIVATE, None, "private /")
        _mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None, "/proc")
        for target, size in ((b"/tmp", request["tmp_bytes"]), (b"/dev/shm", request["shm_bytes"])):
            options = "size=%d,nr_inodes=%d,mode=1777" % (size, request["inodes"])
            _mount(b"tmpfs", target, b"tmpfs", MS_NOSUID | MS_NODEV, options, target.decode())
        work = request["work"]
        os.makedirs(work)
        os.chmod(work, 0o1777)
        for name, data in files.items():
            path = os.path.join(work, name)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o444)
        os.chdir(work)
        _send(ctl, {"op": "hello"})  # the grader reads this process's pid from its credentials
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        kernel = os.fork()
    except BaseException as exc:
        try:
            _send(ctl, {"op": "failed", "error": "%s: %s" % (type(exc).__name__, exc)})
        finally:
            os._exit(70)
    if kernel == 0:
        try:
            _kernel(request, req_r, resp_w, made, session, serve, fresh)
        finally:
            os._exit(70)
    os.close(req_r)
    os.close(resp_w)
    try:  # this process only waits, and needs no capability for it
        _drop_bounding_and_ambient()
        _clear_capability_sets()
    except OSError:
        pass
    # Woken by a child's end or by the grader's end of the control socket: a grading process
    # that died (as a cold kernel's bubblewrap does with --die-with-parent) takes its kernel along.
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    held = False  # whether the grader holds this process's pidfd (it says so on the control socket)
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            os._exit(70)
        if pid == kernel:
            break
        if pid:
            continue  # an orphan the kernel left, reaped
        ready, _, _ = select.select([ctl, wake_r], [], [])
        if ctl in ready:
            if not ctl.recv(16):
                os._exit(0)
            held = True
        if wake_r in ready:
            os.read(wake_r, 512)
    # Not gone before the grader holds a pidfd of this process: the zygote reaps it at once, and
    # its pid, freed, could be another process's by the time the grader opens it (a kernel whose
    # channel the grader closed at once, for a notebook it could not read, ends that fast).
    while not held:
        if not ctl.recv(16):
            os._exit(0)  # the grader is gone
        held = True
    _send(ctl, {"op": "exit", "status": status, "maxrss_kb": usage.ru_maxrss})
    os._exit(0)  # and with pid 1, whatever the kernel left in the namespace


def _kernel(request, req_r, resp_w, made, session, serve, fresh):
    """Pid 2: the submission's kernel, confined as a cold one is, then serving."""
    os.setsid()
    os.dup2(req_r, 0)
    os.dup2(resp_w, 3)
    os.closerange(4, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    limits = request["rlimits"]
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), tuple(value))
    if request.get("userns"):
        _own_user_namespace(*request["userns"])
    _drop_bounding_and_ambient()
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0, "no_new_privs")
    uid, gid = request["uid"], request["gid"]
    if uid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    _clear_capability_sets()
    _recreate(made)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv[:] = ["_grader_kernel.py"]
    for sig, handler in fresh.items():
        try:
            signal.signal(sig, handler)
        except (OSError, ValueError):
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    _reseed()
    if threading.active_count() != 1 or len(os.listdir("/proc/self/task")) != 1:
        raise RuntimeError("the zygote has threads")
    _install_filter(bytes.fromhex(request["seccomp"]))  # last: every step above may need what it refuses
    sys.modules.pop("_grader_zygote", None)
    try:
        serve(session)
    except SystemExit as exc:
        os._exit(exc.code if isinstance(exc.code, int) else 1)
    os._exit(0)


def _made_by_preparing(files):
    """``[(path, mode, bytes or None for a folder)]``: what preparing added to the working directory.

    IPython's profile folder, matplotlib's configuration folder, the helpers' byte code: a
    cold kernel makes them as its own uid while it starts and runs the import cell, so each
    warm kernel gets a copy made as its uid (:func:`_recreate`).
    """
    made = []
    for folder, dirs, names in os.walk("."):
        dirs.sort()
        for name in dirs:
            path = os.path.join(folder, name)[2:]
            made.append((path, os.stat(path).st_mode & 0o7777, None))
        for name in sorted(names):
            path = os.path.join(folder, name)[2:]
            if path in files or path in SKIP or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                made.append((path, os.stat(path).st_mode & 0o7777, f.read()))
    return made


def _recreate(made):
    for path, mode, data in made:
        if data is None:
            os.mkdir(path, mode)
        else:
            with open(path, "wb") as f:
                f.write(data)
        os.chmod(path, mode)


def _preimport(files):
    """Import numpy and the helpers, once (not matplotlib: the kernel's LazyPyplot defers it)."""
    import numpy  # noqa: F401 (imported for its children)

    for name in sorted(files):
        if name.endswith(".py") and not name.startswith("_grader"):
            try:
                __import__(name[:-3])
            except BaseException:
                pass  # a helper that fails to import fails in the kernel's cell, as when cold


def main(session, serve):
    """Prepare, then fork a kernel per request on the control socket until it closes."""
    fresh = _fresh_dispositions()
    files = {}
    for name in sorted(os.listdir(".")):
        if name not in SKIP and os.path.isfile(name):
            with open(name, "rb") as f:
                files[name] = f.read()
    _preimport(files)
    made = _made_by_preparing(files)
    _reseed()  # the first reseed imports what it needs (OpenSSL's hashes): here, not in each kernel
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # its children (each kernel's pid 1) reap themselves
    # What the zygote made lives as long as it does: out of the collector's sight, so that no
    # kernel's collection writes to (and so copies) every page of it after the fork.
    gc.collect()
    gc.freeze()
    own_pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    ctl = socket.socket(fileno=CONTROL_FD)
    while True:
        fds = array.array("i")
        try:
            data, ancdata, _, _ = ctl.recvmsg(1 << 16, socket.CMSG_SPACE(16 * fds.itemsize))
        except InterruptedError:
            continue
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        if not data:
            os._exit(0)  # the grader is done with this zygote
        # Every answer goes on the socket that came with its request, never on this one: any
        # number of grading processes share the zygote, each reading only its own answers.
        try:
            request = json.loads(data.decode("utf-8"))
            if request.get("op") == "ping" and len(fds) == 1:
                _answer(fds, {"op": "pong"})
                _close(fds[0])
                continue
            if request.get("op") == "prime" and not fds:  # the release's cells, the probes: no answer
                session.transforms.prime(request.get("cells") or [])
                session.prime_probes(request.get("probes") or [])
                continue
            if len(fds) < 3:
                raise ValueError("a kernel needs its two pipes and its control socket")
            _unshare(CLONE_NEWPID, "unshare(CLONE_NEWPID)")
            pid = os.fork()
        except BaseException as exc:
            # On the kernel's control socket, where its pid 1 would have said hello.
            _answer(fds[2:3], {"op": "failed", "error": "%s: %s" % (type(exc).__name__, exc)})
            for fd in fds:
                _close(fd)
            continue
        if pid == 0:
            try:
                ctl.close()
                os.close(own_pid_namespace)
                _init(request, list(fds), files, made, session, serve, fresh)
            finally:
                os._exit(70)
        # Back to the zygote's own PID namespace for its next child.  The grader hears from pid 1.
        _check(_libc.setns(own_pid_namespace, CLONE_NEWPID) != 0, "setns")
        for fd in fds:
            os.close(fd)
