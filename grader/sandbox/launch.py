"""Isolation of the grading kernel: bubblewrap where available, resource limits always.

With bubblewrap (Debian's ``bubblewrap``) the kernel sees only the system
folders (``/usr``, ``/etc``, ...) and the Python environment, read-only (the
environment at a neutral path): no course root, submissions, gradebook,
home, host ``/tmp`` or any other folder of the machine (such as another
checkout of the course).  It writes only a size-limited tmpfs of its own
(``/tmp``, its working directory, and ``/dev/shm``), which vanishes with it;
it has no network, and its own PID, IPC and UTS namespaces; a seccomp
filter refuses the kernel-keyring system calls (see ``grader.sandbox.seccomp``);
its arguments reach bubblewrap by descriptor, so ``/proc/1/cmdline`` shows
no host path.  Run as root, each submission's kernel gets a uid of its own,
unique on the machine while it lives (:class:`KernelUid`), which makes the
process limit effective (root is exempt from RLIMIT_NPROC) and shares
nothing owned by a uid with another submission.  Without bubblewrap only
the resource limits apply; :func:`protections` says which protections are
active, and the grader prints it.
"""

import fcntl
import functools
import os
import resource
import secrets
import shutil
import subprocess
import sys

from grader.sandbox import cgroups, seccomp

UID_BASE = 200_000  # kernel uids: one per live submission, machine-wide
UID_COUNT = 100_000
UID_LOCKS = "/run/grader-uids"  # one lock file per uid in use, shared by every grading run
INSIDE = "/tmp/work"  # the kernel's working directory, as it sees it
ENV_INSIDE = "/opt/grader-python"  # where the Python environment appears inside the sandbox


def _bwrap():
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def bwrap_works():
    """Whether bubblewrap can create the namespaces the sandbox uses here."""
    path = _bwrap()
    if not path:
        return False
    cmd = [
        path,
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
    if os.geteuid() != 0:
        cmd.append("--unshare-user")
    try:
        return subprocess.run(cmd + ["true"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def separate_uid():
    """Whether kernels run under a uid of their own (needs root and bubblewrap)."""
    return os.geteuid() == 0 and bwrap_works() and shutil.which("setpriv") is not None


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
        "no kernel keyrings, BPF, perf or io_uring (seccomp)": bw and seccomp.supported(),
        "a uid of its own per submission, process limit (root + bubblewrap)": uid,
        "one CPU, total memory and process count per submission (cgroups)": cgroups.available(),
    }


class KernelUid:
    """A uid no other live kernel on this machine has, held until :meth:`release`.

    The lock files live in one machine-wide folder, so two grading runs (two
    checkouts, two courses) never give two kernels the same uid: the process
    limit (per uid) and anything else the kernel owns stay its own.
    """

    def __init__(self):
        os.makedirs(UID_LOCKS, mode=0o700, exist_ok=True)
        start = secrets.randbelow(UID_COUNT)
        for i in range(UID_COUNT):
            uid = UID_BASE + (start + i) % UID_COUNT
            fd = os.open(os.path.join(UID_LOCKS, str(uid)), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise RuntimeError("no free kernel uid")

    def release(self):
        """Give the uid back (its processes must be gone)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


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
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def command(argv, workdir, limits, uid=None):
    """How to run ``argv`` in the sandbox, with the files of ``workdir`` in its working directory.

    Parameters
    ----------
    argv : list of str
        The program to run, as seen inside (see :func:`python_inside`).
    workdir : str
        A host folder of files the grader wrote (the kernel, the helpers):
        they are copied, read-only, into the kernel's working directory, a
        size-limited tmpfs (``limits.disk_mb``) that vanishes with the kernel.
    limits : grader.limits.Limits
    uid : int, optional
        The kernel's own uid (:class:`KernelUid`), when running as root.

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
    if uid is not None:
        program = [
            shutil.which("setpriv"),
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ] + program
    elif os.geteuid() != 0:
        args.insert(0, "--unshare-user")
    # The options (which name host paths) travel by descriptor: /proc/1/cmdline inside shows
    # only bubblewrap and the program, whose paths are the neutral ones.
    fds.append(_data_fd(b"\0".join(a.encode() for a in args) + b"\0"))
    return Launch([_bwrap(), "--args", str(fds[-1]), "--"] + program, workdir, INSIDE, fds)


def preexec(limits, cgroup=None, nproc=False):
    """A ``preexec_fn`` that applies ``limits`` (and joins ``cgroup``) in the child before it execs.

    ``nproc``: apply the process limit (only meaningful for a uid of the kernel's own).
    """

    def apply():
        os.setsid()
        if cgroup is not None:
            cgroup.enter()
        mb = 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mb,) * 2)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes,) * 2)

    return apply
