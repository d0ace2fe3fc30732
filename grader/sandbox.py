"""Isolation of the grading kernel: bubblewrap where available, resource limits always.

With bubblewrap (Debian's ``bubblewrap``) the kernel sees only the system
folders (``/usr``, ``/etc``, ...) and the Python environment, read-only:
no course root, submissions, gradebook, home, ``/tmp`` or any other folder
of the machine (such as another checkout of the course); it writes only its
own throwaway working directory; it has no network (its own empty network namespace) and
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
        "only the system and Python visible, read-only; course, submissions, home hidden (bubblewrap)": bw,
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


# What the kernel sees of the machine, read-only: the system and the interpreter, nothing else
# (no course root, no home, no /tmp, no other checkouts of the course on the same machine).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def visible_paths():
    """The host paths the sandbox shows (read-only): the system and the Python environment."""
    paths = [p for p in SYSTEM_PATHS if os.path.lexists(p)]
    for prefix in (sys.prefix, sys.base_prefix, os.path.realpath(sys.base_prefix),
                   os.path.dirname(os.path.realpath(sys.executable))):
        if not any(prefix == p or prefix.startswith(p + "/") for p in paths):
            paths.append(prefix)
    return paths


def command(argv, workdir, hidden=()):
    """The command line that runs ``argv`` in the sandbox, with ``workdir`` as its cwd.

    Parameters
    ----------
    argv : list of str
        The program to run (an interpreter and its arguments).
    workdir : str
        The throwaway working directory, the only writable place.
    hidden : iterable of str
        Folders never to show, even inside a visible path (the submissions,
        the gradebook's folder, wherever they are).
    """
    if not bwrap_works():
        return list(argv), workdir
    inside = "/tmp/work"
    # /tmp first: the Python environment or the course may live below it, and binds made
    # before a tmpfs on a parent would vanish under it.
    cmd = [_bwrap(), "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    made = {"/tmp", "/dev", "/proc"}
    for path in visible_paths():
        # bubblewrap makes missing parents private (0700): make them traversable first.
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/" + "/".join(parts[:i])
            if parent not in made:
                made.add(parent)
                cmd += ["--perms", "0755", "--dir", parent]
        if os.path.islink(path):  # e.g. /bin -> usr/bin on merged-/usr systems
            cmd += ["--symlink", os.readlink(path), path]
        else:
            cmd += ["--ro-bind", path, path]
    for path in sorted({ROOT, *map(os.path.abspath, hidden)}):
        if os.path.isdir(path) and any(path.startswith(p + "/") for p in visible_paths()):
            cmd += ["--tmpfs", path]
    for path in sorted({sys.prefix, os.path.realpath(sys.base_prefix)}):
        if any(path.startswith(h + "/") for h in {ROOT, *map(os.path.abspath, hidden)}):
            cmd += ["--ro-bind", path, path]  # the interpreter, if it lives inside a hidden folder
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
