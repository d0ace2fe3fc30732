"""Per-submission control groups: one CPU, total memory and a process count for all its processes.

Resource limits (``setrlimit``) apply per process: a kernel that forks
busy children, each in a session of its own, could take the CPU from the
other workers' submissions, and six children of 512 MB each would pass a
1 GB address-space limit.  A cgroup bounds the submission as a whole, gives
the submission's peak memory (not one process's) and lets the grader kill
every process in it, wherever they went.

Two hierarchies are understood, whichever this machine mounts at
``/sys/fs/cgroup``:

- **cgroup v1**: a group per submission in each of the ``cpu``, ``memory``
  and ``pids`` controllers, under the grader's own group of each (root on
  this project's machines).
- **cgroup v2** (the unified hierarchy of current distributions): a group per
  submission beside the grader, under the grader's own group, as root or as
  a normal user inside a subtree systemd delegates (``systemd-run --user
  --scope -p Delegate=yes make grade``, or the user's ``user@.service``).  v2
  lets a group with processes enable no controllers for its children, so
  the grader first moves the processes of its own group into a leaf,
  ``<own>/grader-main`` (:data:`LEAF`), then enables ``cpu memory pids`` in
  ``<own>/cgroup.subtree_control``; each submission's group
  ``<own>/grader-<pid>-<n>`` gets ``cpu.max``, ``memory.max``,
  ``memory.swap.max`` 0 (where present) and ``pids.max``, reports
  ``memory.peak`` and is emptied with ``cgroup.kill`` (Linux 5.14 and later;
  else frozen and killed until empty).

Elsewhere :func:`available` is false, the grader says so (the protections
line), and only the per-process limits apply.  Every file this module
touches goes through a :class:`Fs` (its root and ``/proc/self/cgroup``
injectable), so the tests drive it on a fixture hierarchy.
"""

import errno
import functools
import os
import signal
import time

ROOT = "/sys/fs/cgroup"
SELF = "/proc/self/cgroup"
CONTROLLERS = ("cpu", "memory", "pids")
PERIOD_US = 100_000
LEAF = "grader-main"  # v2: where the grader's own processes go, so that its group may have children
PREFIX = "grader"  # a submission's group is grader-<grading process's pid>-<n> (see sweep)


class Fs:
    """The cgroup file system as this module uses it (the tests substitute a fixture hierarchy).

    Parameters
    ----------
    root : str
        Where the hierarchy is mounted (``/sys/fs/cgroup``).
    self_cgroup : str
        The calling process's ``/proc/self/cgroup``.
    """

    def __init__(self, root=ROOT, self_cgroup=SELF):
        self.root, self.self_cgroup = root, self_cgroup

    def read(self, path):
        with open(path) as f:
            return f.read()

    def write(self, path, value):
        with open(path, "w") as f:
            f.write(str(value))

    def exists(self, path):
        return os.path.exists(path)

    def isdir(self, path):
        return os.path.isdir(path)

    def listdir(self, path):
        return os.listdir(path)

    def mkdir(self, path):
        os.makedirs(path, exist_ok=True)

    def rmdir(self, path):
        os.rmdir(path)

    def open_write(self, path):
        return os.open(path, os.O_WRONLY | os.O_CLOEXEC)


FS = Fs()


def backoff(attempt, first=0.0005, longest=0.02):
    """Seconds to wait before looking again, the ``attempt``-th time (0, 1, ...).

    A killed process usually leaves its group within a millisecond; a fixed 20 ms pause
    after every kill was a fifth of a warm submission's whole grading time.
    """
    return min(longest, first * 2**attempt)


def _own_paths(fs):
    """``{controller: path}`` of the calling process (``""``: the v2 hierarchy), from /proc/self/cgroup."""
    own = {}
    try:
        for line in fs.read(fs.self_cgroup).splitlines():
            _, names, path = line.split(":", 2)
            for name in names.split(",") if names else [""]:
                own[name] = path
    except (OSError, ValueError):
        pass
    return own


def _v1_bases(fs):
    """``{controller: the grader's own v1 group}``, or ``None`` where v1 does not have all three."""
    own, bases = _own_paths(fs), {}
    for controller in CONTROLLERS:
        if controller not in own:
            return None
        base = os.path.join(fs.root, controller, own[controller].lstrip("/"))
        if not fs.isdir(base):
            return None
        bases[controller] = base
    return bases


def _v2_base(fs):
    """The v2 group the submissions' groups go into (the grader's own), or ``None`` without v2."""
    own = _own_paths(fs).get("")
    if own is None or not fs.exists(os.path.join(fs.root, "cgroup.controllers")):
        return None
    base = os.path.join(fs.root, own.lstrip("/")).rstrip("/") or fs.root
    if os.path.basename(base) == LEAF:  # moved there by this run or an earlier one (forked workers)
        base = os.path.dirname(base)
    try:
        offered = fs.read(os.path.join(base, "cgroup.controllers")).split()
    except OSError:
        return None
    return base if all(c in offered for c in CONTROLLERS) else None


def _enable_v2(fs, base):
    """Enable the controllers for ``base``'s children, first moving its processes into :data:`LEAF`.

    v2's "no internal processes" rule: a group (other than the root) with
    processes of its own cannot pass controllers to its children.  Every process
    of ``base`` moves (in a delegated scope they are the grader and whatever
    started it, e.g. ``make``); the limits above ``base`` still hold for them.
    """
    enabled = fs.read(os.path.join(base, "cgroup.subtree_control")).split()
    missing = [c for c in CONTROLLERS if c not in enabled]
    if not missing:
        return
    if fs.exists(os.path.join(base, "cgroup.type")):  # only the root group has none
        leaf = os.path.join(base, LEAF)
        fs.mkdir(leaf)
        for pid in fs.read(os.path.join(base, "cgroup.procs")).split():
            try:
                fs.write(os.path.join(leaf, "cgroup.procs"), pid)
            except OSError as exc:
                if exc.errno != errno.ESRCH:  # a process that ended meanwhile needs no move
                    raise
    fs.write(os.path.join(base, "cgroup.subtree_control"), " ".join("+" + c for c in missing))


def hierarchy(fs=None):
    """``"v1"``, ``"v2"`` or ``None``: which hierarchy per-submission groups would use here."""
    fs = fs or FS
    if _v1_bases(fs):
        return "v1"
    return "v2" if _v2_base(fs) else None


def probe(fs=None):
    """Whether per-submission cgroups can be made here (makes and removes one; uncached)."""
    try:
        group = Cgroup(f"{PREFIX}-probe-{os.getpid()}", cpus=1, memory_mb=64, processes=8, fs=fs)
    except OSError:
        return False
    group.remove()
    return True


@functools.lru_cache(maxsize=None)
def available():
    """Whether per-submission cgroups can be made on this machine, as this user (cached)."""
    return probe()


class Cgroup:
    """A cgroup per submission: v1 (cpu, memory and pids controllers) or v2 (one group).

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
    fs : Fs, optional
        The hierarchy (default: the machine's, :data:`FS`).

    Raises
    ------
    OSError
        Where no hierarchy has the three controllers writable (nothing is left behind).
    """

    def __init__(self, name, cpus, memory_mb, processes, fs=None):
        self.fs = fs or FS
        self.paths = {}  # v1: {controller: folder}; v2: {"": folder}
        self.version = None
        try:
            bases = _v1_bases(self.fs)
            if bases:
                self.version = "v1"
                for controller in CONTROLLERS:
                    path = os.path.join(bases[controller], name)
                    self.fs.mkdir(path)
                    self.paths[controller] = path
                self._write("cpu", "cpu.cfs_period_us", PERIOD_US)
                self._write("cpu", "cpu.cfs_quota_us", int(cpus * PERIOD_US))
                self._write("memory", "memory.limit_in_bytes", memory_mb * 1024 * 1024)
                self._write("pids", "pids.max", processes)
                return
            base = _v2_base(self.fs)
            if base is None:
                raise OSError(errno.ENOENT, "no cgroup hierarchy with the cpu, memory and pids controllers")
            _enable_v2(self.fs, base)
            self.version = "v2"
            path = os.path.join(base, name)
            self.fs.mkdir(path)
            self.paths[""] = path
            self._write("", "cpu.max", f"{int(cpus * PERIOD_US)} {PERIOD_US}")
            self._write("", "memory.max", memory_mb * 1024 * 1024)
            if self.fs.exists(os.path.join(path, "memory.swap.max")):  # absent without swap accounting
                self._write("", "memory.swap.max", 0)
            self._write("", "pids.max", processes)
        except OSError:
            self.remove()
            raise

    @classmethod
    def _existing(cls, paths, version, fs):
        """The group whose folders are ``paths`` (an orphan found by :func:`sweep`)."""
        group = cls.__new__(cls)
        group.fs, group.paths, group.version = fs, dict(paths), version
        return group

    def _file(self, key, name):
        return os.path.join(self.paths[key], name)

    def _write(self, key, name, value):
        self.fs.write(self._file(key, name), value)

    @property
    def _procs_key(self):
        return "pids" if self.version == "v1" else ""

    def enter(self):
        """Move the calling process into the group (from a ``preexec_fn``)."""
        for key in list(self.paths):
            self._write(key, "cgroup.procs", os.getpid())

    def open_procs(self):
        """Open write descriptors on the group's ``cgroup.procs`` (one per v1 controller, one on v2).

        A forked child that writes ``0`` to each joins the group.  v2 checks a
        migration's permission with the credentials of the descriptor's opener,
        so descriptors opened here let a child that has since given up its uid
        or capabilities join.  The caller closes them.
        """
        fds = []
        try:
            for key in self.paths:
                fds.append(self.fs.open_write(self._file(key, "cgroup.procs")))
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        return fds

    def pids(self):
        """The processes in the group (none when it cannot be read)."""
        try:
            text = self.fs.read(self._file(self._procs_key, "cgroup.procs"))
            return [int(line) for line in text.split()]
        except (OSError, KeyError, ValueError):
            return []

    def peak_memory_mb(self):
        """The group's peak memory use (all its processes, tmpfs pages included), in MB (0 when unknown)."""
        key, name = ("memory", "memory.max_usage_in_bytes") if self.version == "v1" else ("", "memory.peak")
        try:
            return int(self.fs.read(self._file(key, name)).split()[0]) / 1024 / 1024
        except (OSError, KeyError, ValueError, IndexError):
            return 0.0

    def kill_all(self):
        """SIGKILL every process still in the group, however it detached itself."""
        if self.version == "v2" and self._try_write("cgroup.kill", 1):
            self._wait_empty()
            return
        frozen = self.version == "v2" and self._try_write("cgroup.freeze", 1)  # no fork between kills
        try:
            for attempt in range(200):
                pids = self.pids()
                if not pids:
                    return
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                time.sleep(backoff(attempt))
        finally:
            if frozen:
                self._try_write("cgroup.freeze", 0)

    def _try_write(self, name, value):
        """Write a v2 interface file of the group if the kernel has it; whether it was written."""
        path = self._file("", name)
        if not self.fs.exists(path):
            return False
        try:
            self.fs.write(path, value)
        except OSError:
            return False
        return True

    def _wait_empty(self, seconds=2.0):
        end = time.monotonic() + seconds
        attempt = 0
        while self.pids() and time.monotonic() < end:
            time.sleep(backoff(attempt))
            attempt += 1

    def remove(self):
        """Remove the group's folders (waiting briefly for the kernel to let them go)."""
        for path in self.paths.values():
            for attempt in range(80):
                try:
                    self.fs.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(backoff(attempt))
        self.paths = {}


def _orphans(base, fs):
    """Names of submission groups in ``base`` whose grading process is gone."""
    try:
        names = fs.listdir(base)
    except OSError:
        return []
    found = []
    for name in names:
        parts = name.split("-")
        if parts[0] != PREFIX or len(parts) < 3 or not parts[1].isdigit():
            continue  # not a submission's group (the v2 leaf grader-main among them)
        if os.path.exists(f"/proc/{parts[1]}"):
            continue  # its grading process still runs
        found.append(name)
    return found


def sweep(fs=None):
    """Kill what is left in, and remove, the cgroups of grading processes that were killed (e.g. by SIGKILL).

    A detached process of a submission whose grader died stays in its group:
    it is killed here, at the next run's start, and the group removed.
    """
    fs = fs or FS
    bases = _v1_bases(fs)
    if bases:
        groups = {}
        for controller, base in bases.items():
            for name in _orphans(base, fs):
                groups.setdefault(name, {})[controller] = os.path.join(base, name)
        version = "v1"
    else:
        base = _v2_base(fs)
        if base is None:
            return
        groups = {name: {"": os.path.join(base, name)} for name in _orphans(base, fs)}
        version = "v2"
    for paths in groups.values():
        group = Cgroup._existing(paths, version, fs)
        if "pids" in paths or version == "v2":
            group.kill_all()
        group.remove()
