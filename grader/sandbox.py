"""Isolation of the grading kernel: bubblewrap where available, resource limits always.

With bubblewrap (Debian's ``bubblewrap``) the kernel sees the machine's
files read-only, with the course root, the submissions, the gradebook,
``/tmp`` and the home directory hidden; it writes only its own throwaway
working directory; it has no network (its own empty network namespace) and
no view of other processes (its own PID namespace).  Run as root, the
grader also drops the kernel to a uid of its own per worker, which makes
the process limit effective (root is exempt from RLIMIT_NPROC) and keeps
it from touching files of other users.  Without bubblewrap only the
resource limits apply; :func:`protections` says which protections are
active, and the grader prints it.
"""
import functools
import os
import resource
import shutil
import subprocess
import sys

from grader import ROOT, cgroups

UID_BASE = 62000  # uids 62000-62999: one per concurrent worker


def _bwrap():
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def bwrap_works():
    """Whether bubblewrap can create the namespaces the sandbox uses here."""
    path = _bwrap()
    if not path:
        return False
    cmd = [path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
           "--unshare-net", "--unshare-pid", "--unshare-ipc"]
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
        "per-cell and whole-notebook time limits": True,
        "output size cap": True,
        "read-only filesystem, course root and other submissions hidden (bubblewrap)": bw,
        "no network (bubblewrap)": bw,
        "own process namespace (bubblewrap)": bw,
        "separate uid per worker, process limit (root + bubblewrap)": uid,
        "one CPU, total memory and process count per submission (cgroups)": cgroups.available(),
    }


def worker_uid():
    """The uid of this worker's kernels: one per worker process."""
    return UID_BASE + os.getpid() % 1000


def prepare_workdir(workdir):
    """Make ``workdir`` writable by the kernel's uid."""
    if separate_uid():
        uid = worker_uid()
        os.chown(workdir, uid, uid)
        for dirpath, dirnames, filenames in os.walk(workdir):
            for name in dirnames + filenames:
                os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)


def command(argv, workdir, hidden=()):
    """The command line that runs ``argv`` in the sandbox, with ``workdir`` as its cwd.

    Parameters
    ----------
    argv : list of str
        The program to run (an interpreter and its arguments).
    workdir : str
        The throwaway working directory, the only writable place.
    hidden : iterable of str
        Further folders to hide (the submissions, the gradebook's folder).
    """
    if not bwrap_works():
        return list(argv), workdir
    inside = "/tmp/work"
    cmd = [_bwrap(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    home = os.path.expanduser("~")
    hide = {ROOT, "/tmp", "/var/tmp", "/dev/shm", home} | {os.path.abspath(h) for h in hidden}
    for path in sorted(p for p in hide if os.path.isdir(p)):
        cmd += ["--tmpfs", path]
    # The interpreter lives in the venv (often inside the course root) and its base.
    for path in sorted({sys.prefix, sys.base_prefix, os.path.realpath(sys.base_prefix)}):
        if any(path == h or path.startswith(h.rstrip("/") + "/") for h in hide):
            cmd += ["--ro-bind", path, path]
    cmd += ["--bind", workdir, inside, "--chdir", inside,
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent",
            "--setenv", "HOME", inside, "--setenv", "TMPDIR", inside,
            "--setenv", "MPLCONFIGDIR", os.path.join(inside, ".matplotlib")]
    if separate_uid():
        uid = str(worker_uid())
        cmd += [shutil.which("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    elif os.geteuid() != 0:
        cmd.insert(1, "--unshare-user")
    return cmd + list(argv), inside


def preexec(limits, cgroup=None):
    """A ``preexec_fn`` that applies ``limits`` (and joins ``cgroup``) in the child before it execs."""
    nproc = separate_uid()  # decided here, in the parent, not after fork

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
