"""Per-submission control groups: one CPU, total memory and a process count for all its processes.

Resource limits (``setrlimit``) apply per process: a kernel that forks
busy children, each in a session of its own, could take the CPU from the
other workers' submissions, and six children of 512 MB each would pass a
1 GB address-space limit.  A cgroup bounds the submission as a whole and
lets the grader kill every process in it, wherever they went.  Uses the
cgroup v1 ``cpu``, ``memory`` and ``pids`` controllers when they are
writable (root on this kind of machine); elsewhere :func:`available` is
false, the grader says so, and only the per-process limits apply.
"""

import functools
import os
import signal
import time

ROOT = "/sys/fs/cgroup"
CONTROLLERS = ("cpu", "memory", "pids")
PERIOD_US = 100_000


def _own_path(controller):
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, names, path = line.rstrip("\n").split(":", 2)
                if controller in names.split(","):
                    return path
    except OSError:
        pass
    return None


def _base(controller):
    path = _own_path(controller)
    if path is None:
        return None
    base = os.path.join(ROOT, controller, path.lstrip("/"))
    return base if os.path.isdir(base) else None


@functools.lru_cache(maxsize=None)
def available():
    """Whether per-submission cgroups can be made here."""
    try:
        group = Cgroup(f"grader-probe-{os.getpid()}", cpus=1, memory_mb=64, processes=8)
    except OSError:
        return False
    group.remove()
    return True


class Cgroup:
    """A cgroup (v1) per submission in the cpu, memory and pids controllers.

    Parameters
    ----------
    name : str
        Its folder name (``grader-<pid>-<n>``, so :func:`sweep` can tell orphans).
    cpus : float
        CPU quota, in CPUs.
    memory_mb : int
        Memory limit of all its processes together.
    processes : int
        Process (and thread) count limit.
    """

    def __init__(self, name, cpus, memory_mb, processes):
        self.paths = {}
        try:
            for controller in CONTROLLERS:
                base = _base(controller)
                if base is None:
                    raise OSError(f"no writable {controller} cgroup")
                path = os.path.join(base, name)
                os.makedirs(path, exist_ok=True)
                self.paths[controller] = path
            self._write("cpu", "cpu.cfs_period_us", PERIOD_US)
            self._write("cpu", "cpu.cfs_quota_us", int(cpus * PERIOD_US))
            self._write("memory", "memory.limit_in_bytes", memory_mb * 1024 * 1024)
            self._write("pids", "pids.max", processes)
        except OSError:
            self.remove()
            raise

    def _write(self, controller, name, value):
        with open(os.path.join(self.paths[controller], name), "w") as f:
            f.write(str(value))

    def enter(self):
        """Move the calling process into the group (from a ``preexec_fn``)."""
        for controller in CONTROLLERS:
            self._write(controller, "cgroup.procs", os.getpid())

    def open_procs(self):
        """Descriptors of the group's ``cgroup.procs`` files, one per controller, opened for writing.

        A process that holds them joins the group by writing ``0`` to each (a kernel forked
        in a sandbox, where no cgroup file system is mounted); the caller closes them.
        """
        fds = []
        try:
            for controller in CONTROLLERS:
                fds.append(
                    os.open(os.path.join(self.paths[controller], "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
                )
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        return fds

    def pids(self):
        """The processes in the group (none when it cannot be read)."""
        try:
            with open(os.path.join(self.paths["pids"], "cgroup.procs")) as f:
                return [int(line) for line in f if line.strip()]
        except (OSError, KeyError, ValueError):
            return []

    def peak_memory_mb(self):
        """The group's peak memory use, in MB (0 when unknown)."""
        try:
            with open(os.path.join(self.paths["memory"], "memory.max_usage_in_bytes")) as f:
                return int(f.read()) / 1024 / 1024
        except (OSError, KeyError, ValueError):
            return 0.0

    def kill_all(self):
        """SIGKILL every process still in the group, however it detached itself."""
        for _ in range(100):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self):
        """Remove the group's folders (waiting briefly for the kernel to let them go)."""
        for path in self.paths.values():
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.paths = {}


def sweep():
    """Remove the empty cgroups left by grading processes that were killed (e.g. by SIGKILL)."""
    for controller in CONTROLLERS:
        base = _base(controller)
        if base is None:
            continue
        for name in os.listdir(base):
            parts = name.split("-")
            if parts[0] != "grader" or len(parts) < 3 or not parts[1].isdigit():
                continue
            if os.path.exists(f"/proc/{parts[1]}"):
                continue  # its grading process still runs
            try:
                os.rmdir(os.path.join(base, name))
            except OSError:
                pass  # not empty yet: a later run removes it
