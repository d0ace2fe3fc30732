"""A fixture cgroup hierarchy: a temporary folder tree that behaves like ``/sys/fs/cgroup``.

This project's machines mount cgroup v1, so the v2 code of ``grader.sandbox.cgroups`` is
driven here against the kernel's documented v2 interface (Documentation/admin-guide/cgroup-v2.rst):

- ``mkdir`` makes a group with ``cgroup.controllers`` (what its parent's
  ``cgroup.subtree_control`` enables), an empty ``cgroup.subtree_control`` and ``cgroup.procs``,
  ``cgroup.type`` (every group but the root), ``cgroup.freeze``, ``cgroup.kill`` (5.14+, unless
  ``kill=False``) and the interface files of each controller it is given;
- a write to ``cgroup.procs`` moves a process (out of every other group), and
  ``/proc/self/cgroup`` follows the calling process;
- ``cgroup.subtree_control`` refuses a controller its group is not offered (ENOENT) and, outside
  the root, any change while the group has processes of its own (EBUSY: no internal processes);
- a write to a file the group does not have fails (ENOENT), as in cgroupfs, where no file can be
  created: a limit written before its controller is enabled fails;
- ``cgroup.kill`` SIGKILLs the group's processes; ``rmdir`` refuses a group with processes or
  children (EBUSY); reading ``cgroup.procs`` lists only live processes.

Every write, ``mkdir`` and ``rmdir`` is logged in order (``log``), relative to the root.
"""

import errno
import os
import shutil
import signal

from grader.sandbox import cgroups

CONTROLLER_FILES = {
    "cpu": {"cpu.max": "max 100000\n", "cpu.stat": ""},
    "memory": {
        "memory.max": "max\n",
        "memory.swap.max": "max\n",
        "memory.peak": "0\n",
        "memory.current": "0\n",
    },
    "pids": {"pids.max": "max\n", "pids.current": "0\n"},
}


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class FixtureV2(cgroups.Fs):
    """A v2 hierarchy in ``folder`` with the grader in ``own`` (beside the processes ``others``).

    Parameters
    ----------
    folder : pathlib.Path
        Becomes the mount point (``root``) and holds ``self_cgroup``.
    own : str
        The calling process's group, as ``/proc/self/cgroup`` names it (``/`` for the root).
    offered : iterable of str
        Controllers the root offers (``cgroup.controllers``) and the groups on the way to ``own``
        enable (a delegated subtree gets what systemd delegates).
    others : iterable of int
        Other processes in ``own`` (say, the ``make`` that started the grader).
    kill : bool
        Whether groups have ``cgroup.kill`` (Linux 5.14 and later).
    swap : bool
        Whether groups have ``memory.swap.max`` (swap accounting).
    """

    def __init__(self, folder, own, offered=cgroups.CONTROLLERS, others=(), kill=True, swap=True):
        super().__init__(root=str(folder / "cgroup"), self_cgroup=str(folder / "self_cgroup"))
        self.kill, self.swap, self.log = kill, swap, []
        os.makedirs(self.root)
        self._make(self.root, " ".join(offered), root=True)
        path = self.root
        for part in [p for p in own.split("/") if p]:
            self._enable(path, offered)
            path = os.path.join(path, part)
            self._make(path, " ".join(offered))
        self._set(os.path.join(path, "cgroup.procs"), [os.getpid(), *others])
        self._follow()

    # -- the emulated kernel ------------------------------------------------------------------

    def _make(self, path, controllers, root=False):
        os.makedirs(path, exist_ok=True)
        files = {"cgroup.controllers": controllers + "\n", "cgroup.subtree_control": "\n", "cgroup.procs": ""}
        if not root:
            files.update(
                {"cgroup.type": "domain\n", "cgroup.freeze": "0\n", "cgroup.events": "populated 0\n"}
            )
            if self.kill:
                files["cgroup.kill"] = ""
            for controller in controllers.split():
                files.update(CONTROLLER_FILES.get(controller, {}))
            if not self.swap:
                files.pop("memory.swap.max", None)
        for name, text in files.items():
            with open(os.path.join(path, name), "w") as f:
                f.write(text)

    def _enable(self, path, controllers):
        with open(os.path.join(path, "cgroup.subtree_control"), "w") as f:
            f.write(" ".join(controllers) + "\n")

    def _groups(self):
        for dirpath, _, filenames in os.walk(self.root):
            if "cgroup.procs" in filenames:
                yield dirpath

    def _procs(self, path):
        with open(os.path.join(path, "cgroup.procs")) as f:
            return [int(p) for p in f.read().split()]

    def _set(self, procs_file, pids):
        with open(procs_file, "w") as f:
            f.write("".join(f"{p}\n" for p in pids))

    def _follow(self):
        """Rewrite /proc/self/cgroup for the group that holds this process."""
        for path in self._groups():
            if os.getpid() in self._procs(path):
                inside = "/" + os.path.relpath(path, self.root).strip(".")
                with open(self.self_cgroup, "w") as f:
                    f.write(f"0::{inside.rstrip('/') or '/'}\n")

    def group_of(self, pid):
        """The group (relative to the root) that holds ``pid``, or ``None``."""
        for path in self._groups():
            if pid in self._procs(path):
                return os.path.relpath(path, self.root)
        return None

    # -- the file system interface ------------------------------------------------------------

    def read(self, path):
        if os.path.basename(path) == "cgroup.procs":
            return "".join(f"{p}\n" for p in self._procs(os.path.dirname(path)) if _alive(p))
        return super().read(path)

    def write(self, path, value):
        rel, text = os.path.relpath(path, self.root), str(value)
        self.log.append(("write", rel, text))
        if not os.path.isfile(path):
            raise FileNotFoundError(errno.ENOENT, "no such interface file", path)
        folder, name = os.path.split(path)
        if name == "cgroup.procs":
            pid = os.getpid() if text.strip() == "0" else int(text)
            for group in self._groups():
                self._set(os.path.join(group, "cgroup.procs"), [p for p in self._procs(group) if p != pid])
            self._set(path, self._procs(folder) + [pid])
            self._follow()
        elif name == "cgroup.subtree_control":
            offered = super().read(os.path.join(folder, "cgroup.controllers")).split()
            enabled = super().read(path).split()
            for token in text.split():
                if token[1:] not in offered:
                    raise FileNotFoundError(errno.ENOENT, "controller not offered", token)
            if folder != self.root and any(_alive(p) for p in self._procs(folder)):
                raise OSError(errno.EBUSY, "the group has processes of its own", path)
            for token in text.split():
                if token[0] == "+" and token[1:] not in enabled:
                    enabled.append(token[1:])
                elif token[0] == "-" and token[1:] in enabled:
                    enabled.remove(token[1:])
            self._enable(folder, enabled)
        elif name == "cgroup.kill":
            for pid in self._procs(folder):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        else:
            super().write(path, text)

    def mkdir(self, path):
        self.log.append(("mkdir", os.path.relpath(path, self.root)))
        if not os.path.isdir(path):
            parent = os.path.dirname(path)
            self._make(path, super().read(os.path.join(parent, "cgroup.subtree_control")).strip())

    def rmdir(self, path):
        self.log.append(("rmdir", os.path.relpath(path, self.root)))
        if not os.path.isdir(path):
            raise FileNotFoundError(errno.ENOENT, "no such group", path)
        if any(_alive(p) for p in self._procs(path)) or any(
            os.path.isdir(os.path.join(path, n)) for n in os.listdir(path)
        ):
            raise OSError(errno.EBUSY, "group busy", path)
        shutil.rmtree(path)

    def listdir(self, path):
        return [n for n in os.listdir(path) if os.path.isdir(os.path.join(path, n))]


class FixtureV1(cgroups.Fs):
    """A v1 hierarchy (``cpu``, ``memory``, ``pids`` mounted separately) with the grader at ``own``.

    Groups get the v1 interface files of their controller; writes, ``mkdir`` and ``rmdir``
    are logged as in :class:`FixtureV2`.
    """

    FILES = {
        "cpu": ("cpu.cfs_period_us", "cpu.cfs_quota_us"),
        "memory": ("memory.limit_in_bytes", "memory.max_usage_in_bytes"),
        "pids": ("pids.max",),
    }

    def __init__(self, folder, own="/"):
        super().__init__(root=str(folder / "cgroup"), self_cgroup=str(folder / "self_cgroup"))
        self.log = []
        lines = []
        for i, controller in enumerate(cgroups.CONTROLLERS):
            os.makedirs(os.path.join(self.root, controller, own.lstrip("/")))
            lines.append(f"{i + 1}:{controller}:{own}")
        lines.append("0::/")
        with open(self.self_cgroup, "w") as f:
            f.write("\n".join(lines) + "\n")

    def write(self, path, value):
        self.log.append(("write", os.path.relpath(path, self.root), str(value)))
        if not os.path.isfile(path):
            raise FileNotFoundError(errno.ENOENT, "no such interface file", path)
        super().write(path, value)

    def mkdir(self, path):
        self.log.append(("mkdir", os.path.relpath(path, self.root)))
        controller = os.path.relpath(path, self.root).split("/")[0]
        os.makedirs(path, exist_ok=True)
        for name in self.FILES[controller] + ("cgroup.procs",):
            with open(os.path.join(path, name), "w") as f:
                f.write("0\n" if name != "cgroup.procs" else "")

    def rmdir(self, path):
        self.log.append(("rmdir", os.path.relpath(path, self.root)))
        shutil.rmtree(path)
