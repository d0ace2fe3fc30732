"""Isolation of the grading kernel: bubblewrap where available, resource limits always.

With bubblewrap (Debian's ``bubblewrap``) the kernel sees only the system
folders (``/usr``, ``/etc``, ...) and the Python environment, read-only (the
environment at a neutral path): no course root, submissions, gradebook,
home, host ``/tmp`` or any other folder of the machine (such as another
checkout of the course).  It writes only a size-limited tmpfs of its own
(``/tmp``, its working directory, and ``/dev/shm``), which vanishes with it;
it has no network, and its own PID, IPC and UTS namespaces; a seccomp
filter refuses the kernel-keyring system calls, and the kernel's own filter also a user
namespace, every mount call and ``setns`` (see ``grader.sandbox.seccomp``);
its arguments reach bubblewrap by descriptor, so ``/proc/1/cmdline`` shows
no host path.  Run as root, each submission's kernel gets a uid of its own,
unique on the machine while it lives (:class:`KernelUid`), which makes the
process limit effective (root is exempt from RLIMIT_NPROC) and shares
nothing owned by a uid with another submission.  As a normal user the
kernels share that user's uid, and their process limit is ``RLIMIT_NPROC`` at
what the user already runs plus the submission's (:func:`process_limit`); a
cgroup's ``pids.max``, where one is writable, bounds the submission exactly.
Without bubblewrap only the resource limits apply; :func:`protections` says
which protections are active, and the grader prints it.
"""

import fcntl
import functools
import inspect
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time

from grader import messages as msg
from grader.sandbox import cgroups, seccomp, subids

UID_BASE = 200_000  # kernel uids: one per live submission, machine-wide
UID_COUNT = 100_000
UID_LOCKS = "/run/grader-uids"  # one lock file per uid in use, shared by every grading run
INSIDE = "/tmp/work"  # the kernel's working directory, as it sees it
ENV_INSIDE = "/opt/grader-python"  # where the Python environment appears inside the sandbox


def _bwrap():
    return shutil.which("bwrap")


def _bwrap_runs(enter=None):
    """Whether bubblewrap creates the sandbox's namespaces: as this user, or as root of ``enter``'s namespace."""
    cmd = [
        _bwrap(),
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
    ]
    if os.geteuid() != 0 and enter is None:
        cmd.append("--unshare-user")
    try:
        run = subprocess.run(cmd + ["true"], capture_output=True, timeout=20, preexec_fn=enter)
    except (OSError, subprocess.SubprocessError):
        return False
    return run.returncode == 0


@functools.lru_cache(maxsize=None)
def mapped():
    """A normal user's namespace of subordinate uids (``grader.sandbox.subids``) where bubblewrap runs; else ``None``.

    Where there is one, this process is root of it for bubblewrap, which then confines each
    kernel as root's does: each takes a uid of its own (:class:`KernelUid`).
    """
    if os.geteuid() == 0 or not _bwrap():
        return None
    namespace = subids.namespace()
    return namespace if namespace is not None and _bwrap_runs(namespace.enter) else None


def rooted():
    """Whether bubblewrap is started as root: of the machine, or of the user's :func:`mapped` namespace."""
    return os.geteuid() == 0 or mapped() is not None


def enter_mapped():
    """In a child that is to exec bubblewrap: move into the :func:`mapped` namespace, if there is one."""
    namespace = mapped()
    if namespace is not None:
        namespace.enter()


@functools.lru_cache(maxsize=None)
def bwrap_works():
    """Whether bubblewrap can create the namespaces the sandbox uses here."""
    return bool(_bwrap()) and (mapped() is not None or _bwrap_runs())


def separate_uid():
    """Whether kernels run under a uid of their own: as root, or in a normal user's :func:`mapped` namespace."""
    return rooted() and bwrap_works() and shutil.which("setpriv") is not None


def inode_limits():
    """Whether ``/tmp`` and ``/dev/shm`` get an inode limit (``limits.tmp_inodes``; with bubblewrap).

    bubblewrap's ``--tmpfs`` takes a size but no ``nr_inodes``, and a size bounds only
    bytes: millions of empty files would pin kernel memory past every other limit.  The
    bounded tmpfs are mounted inside the sandbox by a first step that still holds
    ``CAP_SYS_ADMIN`` there (:func:`_mount_bounded_tmpfs`) and gives up every capability
    before the kernel starts.
    """
    return bwrap_works()


# The instructor's explicit opt-in to running students' code without bubblewrap's isolation
# (``python -m grader grade --allow-unisolated`` sets it for the run and its workers).
ALLOW_UNISOLATED = "GRADER_ALLOW_UNISOLATED"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot isolate students' code here, and nobody opted in to running it anyway."""


def isolation_problem():
    """``None`` when bubblewrap isolates here; else the bilingual reason and what to do about it."""
    if bwrap_works():
        return None
    return msg.SANDBOX_NO_BWRAP if not _bwrap() else msg.SANDBOX_NO_USERNS


def require_isolation(environ=None):
    """Refuse to run students' code where it cannot be isolated, unless the instructor opted in.

    Parameters
    ----------
    environ : mapping, optional
        Where the opt-in :data:`ALLOW_UNISOLATED` is looked up (default: ``os.environ``).

    Returns
    -------
    str or None
        ``None`` when bubblewrap isolates; the warning to print (bilingual, naming the
        risk) when it does not and :data:`ALLOW_UNISOLATED` is ``1``.

    Raises
    ------
    SandboxUnavailable
        When it does not isolate and nobody opted in; the message says what to install or
        enable, and how to opt in.
    """
    problem = isolation_problem()
    if problem is None:
        return None
    if (os.environ if environ is None else environ).get(ALLOW_UNISOLATED) == "1":
        return msg.SANDBOX_OPTED_OUT.format(reason=problem)
    raise SandboxUnavailable(f"{problem}\n{msg.SANDBOX_HOW_TO_OPT_IN}")


UID_OF_ITS_OWN = "a uid of its own per submission (root, or a normal user's subordinate ids; bubblewrap)"


def protections_line():
    """The one line every grading path prints: which protections hold, how kernels start, and why a uid is shared."""
    line = "protections: " + "; ".join(f"{k}: {'on' if v else 'OFF'}" for k, v in protections().items())
    line = f"{line}. {msg.KERNELS_WARM if warm_kernels() else msg.KERNELS_COLD}"
    if os.geteuid() != 0 and bwrap_works() and not separate_uid():
        reason = subids.why_not() or "bubblewrap did not start in the namespace of subordinate ids"
        line += " " + msg.SHARED_UID.format(reason=reason)
    return line


# The switch between warm kernels (forked from a zygote, grader.sandbox.zygote) and cold ones
# (bubblewrap and a fresh interpreter each): ``0`` forces cold kernels, ``1`` or unset uses warm
# ones where they hold every protection a cold one has (as root, with bubblewrap).
WARM = "GRADER_WARM_KERNELS"


def warm_supported():
    """Whether a zygote can confine each kernel as :func:`command` does here (bubblewrap isolates).

    As root each kernel takes a uid of its own (:func:`separate_uid`).  As a normal user
    (bubblewrap in a user namespace) each kernel keeps the user's uid, in a user namespace
    of its own, exactly as a cold kernel of a normal user does (``grader.sandbox.zygote``).
    Without bubblewrap (no user namespaces, and the instructor opted in) kernels are cold.
    """
    if not (bwrap_works() and inode_limits() and hasattr(os, "pidfd_open") and seccomp.supported()):
        return False
    return separate_uid() if rooted() else True


def warm_kernels(environ=None):
    """Whether this run's kernels are forked from a zygote (:data:`WARM`, :func:`warm_supported`)."""
    return (os.environ if environ is None else environ).get(WARM, "1") != "0" and warm_supported()


def protections():
    """``{protection: active?}`` for this machine, as the grader reports them."""
    bw = bwrap_works()
    uid = separate_uid()
    return {
        "throwaway working directory": True,
        "memory, CPU time, file size and open-file limits": True,
        "per-cell and whole-notebook time limits, deadlines on the kernel's channel": True,
        "output budgets per cell and per notebook": True,
        "only the system and Python visible, read-only; course, submissions, home hidden (bubblewrap)": bw,
        "bounded /tmp and /dev/shm of its own; no network; own process and IPC namespaces (bubblewrap)": bw,
        "a bounded number of files in /tmp and /dev/shm (bubblewrap)": inode_limits(),
        "no kernel keyrings, BPF, perf or io_uring (seccomp)": bw and seccomp.supported(),
        msg.PROTECTION_NO_USERNS: bw and seccomp.supported(),
        UID_OF_ITS_OWN: uid,
        "a bounded number of processes per submission (cgroup pids.max, else RLIMIT_NPROC)": (
            process_limit_active()
        ),
        "one CPU, total memory and process count per submission (cgroups)": cgroups.available(),
    }


class KernelUid:
    """A uid no other live kernel on this machine has, held until :meth:`release`.

    As root it is one of :data:`UID_BASE` to ``UID_BASE + UID_COUNT``; in a normal user's
    :func:`mapped` namespace one of its subordinate ids (:attr:`uid` the namespace's number
    for it, 1 to its count).  The lock files, one per uid as the machine sees it, live in one
    folder per user (:func:`uid_locks`: root's is machine-wide), so two grading runs (two
    checkouts, two courses) never give two kernels the same uid: the process limit (per uid)
    and anything else the kernel owns stay its own.
    """

    def __init__(self):
        namespace = mapped()
        first, count = (1, namespace.count) if namespace is not None else (UID_BASE, UID_COUNT)
        outer = namespace.outer_uid if namespace is not None else (lambda uid: uid)
        folder = uid_locks()
        start = secrets.randbelow(count)
        for i in range(count):
            uid = first + (start + i) % count
            fd = os.open(os.path.join(folder, str(outer(uid))), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            self.host_uid = outer(uid)  # as the machine (and /proc) sees it
            return
        raise RuntimeError("no free kernel uid")

    def release(self):
        """Give the uid back (its processes must be gone)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def uid_locks():
    """The folder of :class:`KernelUid`'s lock files, made private to this user when new.

    Root's is :data:`UID_LOCKS`; a normal user's is ``grader-uids`` in its
    ``XDG_RUNTIME_DIR``, else ``grader-uids-<uid>`` in ``/tmp``, refused unless it is a
    folder of this user's that nobody else may write (another user could otherwise hold
    every lock, or read which are taken).
    """
    return private_folder(_locks_folder(os.geteuid(), os.environ), os.geteuid())


def _locks_folder(euid, environ):
    if euid == 0:
        return UID_LOCKS
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime) and os.stat(runtime).st_uid == euid:
        return os.path.join(runtime, "grader-uids")
    return os.path.join("/tmp", f"grader-uids-{euid}")


def private_folder(folder, uid):
    """``folder``, made (mode 0700) if missing; ``RuntimeError`` unless it is ``uid``'s own and nobody else may write it."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    info = os.lstat(folder)
    if os.path.islink(folder) or not os.path.isdir(folder) or info.st_uid != uid or info.st_mode & 0o022:
        raise RuntimeError(f"{folder} is not a private folder of this user's: remove it, then grade again")
    return folder


def _hidden_env_paths():
    """``{host path: path inside}`` for the Python environment and the system.

    The environment (a virtualenv inside the course folder, typically) is shown
    at a neutral path, so no host path of the course appears in the sandbox.
    """
    paths = {p: p for p in SYSTEM_PATHS if os.path.lexists(p)}
    base = os.path.realpath(sys.base_prefix)
    for prefix in (sys.base_prefix, base, os.path.dirname(os.path.realpath(sys.executable))):
        if not any(prefix == p or prefix.startswith(p + "/") for p in paths):
            paths[prefix] = prefix
    if sys.prefix != sys.base_prefix:
        paths[sys.prefix] = ENV_INSIDE
    return paths


# What the kernel sees of the machine, read-only: the system and the interpreter, nothing else
# (no course root, no home, no /tmp, no other checkouts of the course on the same machine).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def python_inside():
    """The interpreter's path as the kernel sees it."""
    if bwrap_works() and sys.prefix != sys.base_prefix:
        return os.path.join(ENV_INSIDE, "bin", "python")
    return sys.executable


class Launch:
    """How to start a sandboxed program: its argv, cwd, and file descriptors to pass.

    Attributes
    ----------
    argv : list of str
    cwd : str
        The host folder the process starts in.
    inside : str
        The working directory as the sandboxed program sees it.
    fds : list of int
        Descriptors the program (bubblewrap) reads its arguments and seccomp filter from;
        pass them to the child and close them after it started (:meth:`close`).
    """

    def __init__(self, argv, cwd, inside, fds=()):
        self.argv, self.cwd, self.inside, self.fds = list(argv), cwd, inside, list(fds)

    def close(self):
        """Close the descriptors kept for the child."""
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []


def _data_fd(data):
    """A readable descriptor holding ``data`` (a memfd: nothing touches the disk)."""
    fd = os.memfd_create("grader-sandbox", 0)
    # Never a low number: the kernel's child set-up makes descriptor 3 its answer channel, which
    # would overwrite a descriptor bubblewrap is to read (as happens where fd 3 is free: not root).
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    os.write(high, data)
    os.lseek(high, 0, os.SEEK_SET)
    return high


def _mount_bounded_tmpfs(args):
    """Inside the sandbox, before the kernel: mount ``/tmp`` and ``/dev/shm`` with inode limits.

    Runs standalone (``python -I -S -c``, see :func:`_setup_program`): it imports only the
    standard library, and every value it needs is in ``args``:
    ``[work, tmp bytes, shm bytes, inodes, uid, gid, filter, nproc, "--", program...]``.  The files
    bubblewrap put in ``work`` (on its own, unbounded-inode ``/tmp``) are copied, read-only,
    onto the new ``/tmp``, which then covers bubblewrap's.  Then ``program`` replaces this
    process: as root it is ``setpriv``, which takes the kernel's uid and drops every
    capability.  Not as root (``uid`` given, this process uid 0 of bubblewrap's user
    namespace, holding only ``CAP_SYS_ADMIN`` and ``CAP_SETFCAP``), it first moves into a user
    namespace of its own in which it is ``uid``, so no capability it keeps there is one over
    these mounts, and empties its bounding and ambient sets, so the kernel it execs as a
    uid other than 0 has none at all.  ``nproc`` (or ``-``) is the ``RLIMIT_NPROC`` the
    program gets, set here rather than before bubblewrap: in a normal user's namespace of
    subordinate ids (``subids`` of this package) this process is not exempt from the limit, which
    counts every process of that namespace's uid 0.  Last, ``filter`` (hex, or ``-`` for a zygote, which
    mounts for each kernel and lets each install it) is installed as a seccomp filter over
    bubblewrap's: the kernel's (``seccomp.kernel_program`` of this package), so no user
    namespace, mount or ``setns`` of its own, after this step's own ones.
    """
    import ctypes
    import os

    work, tmp_bytes, shm_bytes, inodes, uid, gid, kernel_filter, nproc = args[:8]
    program = args[9:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]

    def check(failed, what):
        if failed:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), what)

    ms_nosuid, ms_nodev = 2, 4
    given = os.open(work, os.O_RDONLY | os.O_DIRECTORY)  # still readable once /tmp is covered
    for target, size in (("/tmp", tmp_bytes), ("/dev/shm", shm_bytes)):
        options = "size=%s,nr_inodes=%s,mode=1777" % (size, inodes)
        check(libc.mount(b"tmpfs", target.encode(), b"tmpfs", ms_nosuid | ms_nodev, options.encode()), target)
    os.makedirs(work)
    os.chmod(work, 0o1777)
    for name in os.listdir(given):
        source = os.open(name, os.O_RDONLY, dir_fd=given)
        with os.fdopen(source, "rb") as f:
            data = f.read()
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o444)
    os.close(given)
    os.chdir(work)
    if uid != "-":
        clone_newuser, pr_capbset_drop, pr_cap_ambient, pr_cap_ambient_clear_all = 0x10000000, 24, 47, 4
        check(libc.unshare(clone_newuser), "unshare")
        for name, text in (("uid_map", "%s 0 1" % uid), ("setgroups", "deny"), ("gid_map", "%s 0 1" % gid)):
            with open("/proc/self/" + name, "w") as f:
                f.write(text)
        cap = 0
        while libc.prctl(pr_capbset_drop, cap, 0, 0, 0) == 0:
            cap += 1  # until the first number past the last capability this Linux knows
        check(cap == 0, "bounding set")
        check(libc.prctl(pr_cap_ambient, pr_cap_ambient_clear_all, 0, 0, 0), "ambient set")
    if nproc != "-":
        import resource

        resource.setrlimit(resource.RLIMIT_NPROC, (int(nproc), int(nproc)))
    if kernel_filter != "-":
        pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        data = bytes.fromhex(kernel_filter)
        code = ctypes.create_string_buffer(data, len(data))
        fprog = SockFprog(len(data) // 8, ctypes.cast(code, ctypes.c_void_p))
        one, zero = ctypes.c_ulong(1), ctypes.c_ulong(0)
        check(libc.prctl(pr_set_no_new_privs, one, zero, zero, zero), "no_new_privs")
        mode = ctypes.c_ulong(seccomp_mode_filter)
        check(libc.prctl(pr_set_seccomp, mode, ctypes.byref(fprog), zero, zero), "seccomp")
    os.execv(program[0], program)


@functools.lru_cache(maxsize=None)
def _setup_program():
    """The source that ``python -I -S -c`` runs first in the sandbox (:func:`_mount_bounded_tmpfs`)."""
    return inspect.getsource(_mount_bounded_tmpfs) + "\n\n_mount_bounded_tmpfs(__import__('sys').argv[1:])\n"


def command(argv, workdir, limits, uid=None, keep_caps=(), zygote=False, nproc=None):
    """How to run ``argv`` in the sandbox, with the files of ``workdir`` in its working directory.

    Parameters
    ----------
    argv : list of str
        The program to run, as seen inside (see :func:`python_inside`).
    workdir : str
        A host folder of files the grader wrote (the kernel, the helpers):
        they are copied, read-only, into the kernel's working directory, a
        tmpfs bounded in bytes (``limits.disk_mb``) and, where :func:`inode_limits`,
        in files (``limits.tmp_inodes``), that vanishes with the kernel.
    limits : grader.limits.Limits
    uid : int, optional
        The kernel's own uid (:attr:`KernelUid.uid`), where :func:`separate_uid`.
    keep_caps : sequence of str, optional
        Without ``uid``: the only capabilities the program keeps (a zygote's, which confines
        each kernel it forks itself; see ``grader.sandbox.zygote``), as root, or as a normal
        user as root of a user namespace that maps only the user's uid.  Default: as root,
        all of root's, which the inode-limit step gives up before a program runs as ``uid``;
        as a normal user, none for the program.
    zygote : bool, optional
        The program is a zygote (``grader.sandbox.zygote``), which mounts and enters
        namespaces for each kernel it forks: it runs under bubblewrap's seccomp filter only,
        and each kernel installs the kernel's (``seccomp.kernel_program``) itself.  Default:
        the program is a kernel, and gets the kernel's filter before it starts.
    nproc : int, optional
        With ``uid``: the ``RLIMIT_NPROC`` the program gets (as its own uid), set just
        before it runs.

    Returns
    -------
    Launch
    """
    if not bwrap_works():
        return Launch(argv, workdir, workdir)
    mb = 1024 * 1024
    args = [
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--perms",
        "01777",
        "--size",
        str(limits.disk_mb * mb),
        "--tmpfs",
        "/tmp",
        "--perms",
        "01777",
        "--size",
        str(limits.shm_mb * mb),
        "--tmpfs",
        "/dev/shm",
    ]
    made = {"/tmp", "/dev", "/proc"}
    for host, inside in sorted(_hidden_env_paths().items(), key=lambda kv: kv[1]):
        # bubblewrap makes missing parents private (0700): make them traversable first.
        parts = inside.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/" + "/".join(parts[:i])
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", parent]
        if os.path.islink(host) and host == inside:  # e.g. /bin -> usr/bin on merged-/usr systems
            args += ["--symlink", os.readlink(host), inside]
        else:
            args += ["--ro-bind", host, inside]
    args += ["--perms", "01777", "--dir", INSIDE]
    fds = []
    for name in sorted(os.listdir(workdir)):
        # Copied into the kernel's tmpfs (read-only), not bind-mounted: no mount of the
        # host's temporary folder shows in /proc/self/mountinfo.
        with open(os.path.join(workdir, name), "rb") as f:
            fds.append(_data_fd(f.read()))
        args += ["--perms", "0444", "--file", str(fds[-1]), os.path.join(INSIDE, name)]
    # Without these, in a user namespace (not root) the sandbox's root and /dev are tmpfs owned
    # by the kernel's uid, writable without any bound.
    args += ["--remount-ro", "/", "--remount-ro", "/dev"]
    args += [
        "--chdir",
        INSIDE,
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "grader",
        "--setenv",
        "HOME",
        INSIDE,
        "--setenv",
        "TMPDIR",
        INSIDE,
        "--setenv",
        "MPLCONFIGDIR",
        os.path.join(INSIDE, ".matplotlib"),
    ]
    if seccomp.supported():
        fds.append(_data_fd(seccomp.program()))
        args += ["--seccomp", str(fds[-1])]
    program = list(argv)
    user = ("-", "-")
    if keep_caps and uid is None:
        if not rooted():
            # Root of a user namespace of bubblewrap's (the user's uid mapped onto its uid 0, the
            # only one in it): its mount and PID namespaces are that namespace's, so the program
            # keeps the capabilities it needs over them.  The mount step stays in it ("-").
            args[:0] = ["--unshare-user", "--uid", "0", "--gid", "0"]
        args += ["--cap-drop", "ALL"]
        for cap in keep_caps:
            args += ["--cap-add", cap]
    elif uid is not None:
        program = [
            shutil.which("setpriv"),
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ] + program
    elif not rooted():
        args.insert(0, "--unshare-user")
        if inode_limits():
            # Root of bubblewrap's user namespace, with the capabilities the mount step needs:
            # CAP_SYS_ADMIN to mount, CAP_SETFCAP to map the real uid onto this namespace's
            # uid 0 in the namespace of its own it then leaves for (Linux 5.12 and later).
            args[1:1] = ["--uid", "0", "--gid", "0", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETFCAP"]
            user = (str(os.getuid()), str(os.getgid()))
    if inode_limits():
        program = [
            python_inside(),
            "-I",
            "-S",
            "-c",
            _setup_program(),
            INSIDE,
            str(limits.disk_mb * mb),
            str(limits.shm_mb * mb),
            str(limits.tmp_inodes),
            *user,
            "-" if zygote or not seccomp.supported() else seccomp.kernel_program().hex(),
            str(nproc) if nproc and uid is not None else "-",
            "--",
        ] + program
    # The options (which name host paths) travel by descriptor: /proc/1/cmdline inside shows
    # only bubblewrap and the program, whose paths are the neutral ones.
    fds.append(_data_fd(b"\0".join(a.encode() for a in args) + b"\0"))
    return Launch([_bwrap(), "--args", str(fds[-1]), "--"] + program, workdir, INSIDE, fds)


def user_tasks(uid, proc="/proc"):
    """How many tasks (processes and threads) run with real uid ``uid``: what ``RLIMIT_NPROC`` counts."""
    count = 0
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        fields = _status(name, proc)
        try:
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields.get("Threads", "1").split()[0])
        except (KeyError, ValueError, IndexError):
            continue  # ended meanwhile
    return count


def _status(pid, proc="/proc"):
    """``{field: value}`` of ``/proc/<pid>/status`` (empty when the process is gone)."""
    try:
        with open(f"{proc}/{pid}/status") as f:
            return dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
    except (OSError, ValueError):
        return {}


def _stat(pid, proc="/proc"):
    """``(state, parent pid)`` from ``/proc/<pid>/stat`` (``None`` when the process is gone).

    One line, parsed after the last ``)``: a process's name may hold spaces and parentheses.
    """
    try:
        with open(f"{proc}/{pid}/stat", "rb") as f:
            data = f.read()
        state, ppid = data[data.rindex(b")") + 2 :].split(None, 2)[:2]
        return state.decode("ascii", "replace"), int(ppid)
    except (OSError, ValueError):
        return None


def _children(pid, proc="/proc"):
    """``pid``'s children by ``/proc/<pid>/task/<tid>/children`` (every thread's), or ``None``.

    ``None`` where Linux does not keep that file (built without ``CONFIG_PROC_CHILDREN``):
    the caller then reads every process's parent instead.  A process that is gone has none.
    """
    try:
        tasks = os.listdir(f"{proc}/{pid}/task")
    except OSError:
        return []
    found = []
    for tid in tasks:
        try:
            with open(f"{proc}/{pid}/task/{tid}/children", "rb") as f:
                found += [int(child) for child in f.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"{proc}/{pid}/task/{tid}"):
                continue  # that thread ended meanwhile
            return None
        except (OSError, ValueError):
            continue
    return found


def descendants(pid, proc="/proc"):
    """The live descendants of ``pid`` (this PID namespace's view).

    ``pid`` itself and zombies (which hold no memory and run nothing) are left out.  Read
    from each process's ``children`` files where Linux has them, so the cost follows the
    tree, not the machine (a grading worker asks after every submission, on servers that
    run thousands of processes); else from every process's parent link.
    """
    found, todo, seen = [], [pid], {pid}
    while todo:
        children = _children(todo.pop(), proc)
        if children is None:
            return _descendants_by_parent(pid, proc)
        for child in children:
            if child in seen:
                continue  # a pid reused while the walk went on
            seen.add(child)
            status = _stat(child, proc)
            if status is None:
                continue
            if status[0] != "Z":
                found.append(child)
            todo.append(child)
    return found


def _descendants_by_parent(pid, proc="/proc"):
    children, zombies = {}, set()
    for name in os.listdir(proc):
        if name.isdigit():
            status = _stat(name, proc)
            if status is None:
                continue  # ended meanwhile
            children.setdefault(status[1], []).append(int(name))
            if status[0] == "Z":
                zombies.add(int(name))
    found, todo = [], list(children.get(pid, ()))
    while todo:
        child = todo.pop()
        if child not in zombies:
            found.append(child)
        todo.extend(children.get(child, ()))
    return found


def memory_mb(pids, field="VmRSS"):
    """The sum of ``field`` (``VmRSS``: resident now; ``VmHWM``: each one's peak) over ``pids``, in MB.

    Without a cgroup this is a submission's memory: sampled while it runs, the largest
    sum is its peak (pages shared after a fork are counted in each process).
    """
    total = 0
    for pid in pids:
        try:
            total += int(_status(pid)[field].split()[0])
        except (KeyError, ValueError, IndexError):
            continue  # gone, or a zombie
    return total / 1024


def kill_descendants(pid=None):
    """SIGKILL every descendant of ``pid`` (default: this process), repeated until none is left.

    A grading worker that is a child subreaper (``PR_SET_CHILD_SUBREAPER``) inherits the
    processes a kernel detached, even without bubblewrap's PID namespace: killing its
    descendants once the submission is graded leaves none of them running.
    """
    pid = os.getpid() if pid is None else pid
    for attempt in range(100):
        found = descendants(pid)
        if not found:
            return
        for child in found:
            try:
                os.kill(child, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(cgroups.backoff(attempt))


def become_subreaper():
    """Make this process adopt its descendants' orphans (Linux ``PR_SET_CHILD_SUBREAPER``; best effort)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def process_limit(limits, own_uid):
    """The ``RLIMIT_NPROC`` a kernel gets, or ``None`` where it would mean nothing.

    With a uid of its own (``own_uid``: root, or a normal user's subordinate ids, with
    bubblewrap) it is ``limits.processes``.
    As a normal user every kernel shares the user's count, so it is what that user
    runs now plus ``limits.processes``: a fork bomb stops there, and neither the
    grader's next fork nor the user's other work finds the user's own limit used up
    (where a cgroup exists, its ``pids.max`` also bounds the submission exactly).
    Root without a uid per kernel is exempt from the limit (its cgroup's ``pids.max`` alone holds).
    """
    if own_uid:
        return limits.processes
    if os.geteuid() == 0:
        return None
    return user_tasks(os.getuid()) + limits.processes


def process_limit_active():
    """Whether a submission's processes are bounded here (its cgroup's ``pids.max``, or ``RLIMIT_NPROC``)."""
    return separate_uid() or os.geteuid() != 0 or cgroups.available()


FORK_ATTEMPTS = 5  # a kernel's start tried this often while the machine or this user is out of processes
FORK_PAUSE = 0.1  # seconds before the second try, doubled each time


def retry_fork(start, attempts=None, pause=None):
    """``start()``, tried again after a growing pause while a fork fails with EAGAIN (``BlockingIOError``).

    A fork bomb of another submission (or the user's other work) may use up the
    processes for a moment; the last failure is raised (the runner reports it for
    that submission only, ``msg.FORK_FAILED``).
    """
    attempts, pause = attempts or FORK_ATTEMPTS, FORK_PAUSE if pause is None else pause
    for attempt in range(attempts):
        try:
            return start()
        except BlockingIOError:
            if attempt == attempts - 1:
                raise
            time.sleep(pause * 2**attempt)


def rlimits(limits, nproc=None):
    """``{"RLIMIT_...": (soft, hard)}`` a kernel gets: the one list of both paths (cold, warm).

    ``nproc``: the ``RLIMIT_NPROC`` value (:func:`process_limit`), or ``None`` for none.
    """
    mb = 1024 * 1024
    values = {
        "RLIMIT_AS": (limits.memory_mb * mb,) * 2,
        "RLIMIT_CPU": (limits.cpu_seconds, limits.cpu_seconds + 5),
        "RLIMIT_FSIZE": (limits.file_size_mb * mb,) * 2,
        "RLIMIT_NOFILE": (limits.open_files,) * 2,
        "RLIMIT_CORE": (0, 0),
    }
    if nproc:
        values["RLIMIT_NPROC"] = (nproc, nproc)
    return values


def preexec(limits, cgroup=None, nproc=None):
    """A ``preexec_fn`` that applies ``limits`` (and joins ``cgroup``) in the child before it execs.

    ``nproc``: the ``RLIMIT_NPROC`` to set (see :func:`process_limit`; ``True``:
    ``limits.processes``), or ``None`` for none.  A normal user cannot raise its hard
    limit, so the value is capped at it.
    """
    if nproc is True:
        nproc = limits.processes

    def apply():
        os.setsid()
        if cgroup is not None:
            cgroup.enter()
        for name, pair in rlimits(limits, capped_nproc(nproc)).items():
            resource.setrlimit(getattr(resource, name), pair)

    return apply


def capped_nproc(nproc, can_raise=None):
    """``nproc`` (an ``RLIMIT_NPROC``, or ``None``), lowered to the hard limit where it cannot be raised.

    A normal user cannot raise its hard limit, nor can a warm kernel, which holds no
    ``CAP_SYS_RESOURCE`` (``can_raise=False``): a kernel asking for more would fail to start.
    ``can_raise`` defaults to whether this process is root.
    """
    if not nproc:
        return nproc
    _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if hard == resource.RLIM_INFINITY or (os.geteuid() == 0 if can_raise is None else can_raise):
        return nproc
    return min(nproc, hard)
