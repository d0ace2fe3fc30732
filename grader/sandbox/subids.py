"""A uid per submission for a normal user: the user's subordinate ids, mapped by ``newuidmap``.

As root every kernel takes a uid of its own (``launch.KernelUid``).  A normal user has one
uid, so its kernels share it (and their process count, and what a uid owns) unless the
administrator granted it a range of subordinate ids (``/etc/subuid`` and ``/etc/subgid``,
``usermod --add-subuids``; Debian's and Ubuntu's ``adduser`` grant 65,536 to every new
user) and the setuid helpers ``newuidmap``/``newgidmap`` (Debian's ``uidmap``) are installed:
then the grader makes one user namespace per grading process (:class:`Mapped`), in which

- uid and gid 0 are the user's own: there the grader is root, and starts bubblewrap as root
  does (``launch.command``), holding capabilities over that namespace only;
- uids and gids 1 to ``count`` are the user's subordinate ids: each kernel takes one of
  them (``launch.KernelUid``, locked per user so two grading runs of the same user never give
  two kernels the same id), as a kernel of root takes one of ``launch.UID_BASE``.

The namespace is held by a descriptor only (its first process exits at once), which every
bubblewrap the grader starts enters before it execs (:meth:`Mapped.enter`, in the child).
Nothing here is used as root, nor where the helpers, the ranges or user namespaces are
missing: kernels then share the user's uid, as before, and the protections line says so.
"""

import ctypes
import functools
import os
import pwd
import shutil
import subprocess
import sys

CLONE_NEWUSER = 0x10000000
SUBUID, SUBGID = "/etc/subuid", "/etc/subgid"
# The fewest subordinate ids worth a namespace: one per kernel that may live at once, and more.
MIN_COUNT = 64
# What the namespace's first process runs: make the namespace, say so, wait for its maps.
_HOLDER = (
    "import ctypes, os, sys\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    f"ok = libc.unshare({CLONE_NEWUSER}) == 0\n"
    "os.write(1, b'u' if ok else b'e' + os.strerror(ctypes.get_errno()).encode())\n"
    "os.read(0, 1)\n"
)


def ranges(path, user, uid):
    """``[(start, count)]`` that ``path`` (``/etc/subuid`` or ``/etc/subgid``) grants ``user`` or ``uid``.

    Lines are ``owner:start:count``; the owner is a name or a number (as shadow's tools
    read it).  Malformed lines are skipped; a missing file grants nothing.
    """
    found = []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return found
    for line in lines:
        parts = line.strip().split(":")
        if len(parts) != 3 or parts[0] not in (user, str(uid)):
            continue
        try:
            start, count = int(parts[1]), int(parts[2])
        except ValueError:
            continue
        if start > 0 and count > 0:
            found.append((start, count))
    return found


def _largest(found):
    return max(found, key=lambda r: r[1]) if found else None


def granted(uid=None):
    """``(uid start, gid start, count)``: the subordinate ids this user may map, or ``None``.

    The largest range of each file is used, and as many ids of both as the smaller holds;
    ``None`` when the user has no passwd entry (``newuidmap`` needs one), or either file
    grants fewer than :data:`MIN_COUNT`.
    """
    uid = os.getuid() if uid is None else uid
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        return None
    uids, gids = _largest(ranges(SUBUID, user, uid)), _largest(ranges(SUBGID, user, uid))
    if not uids or not gids or min(uids[1], gids[1]) < MIN_COUNT:
        return None
    return uids[0], gids[0], min(uids[1], gids[1])


class MappingFailed(RuntimeError):
    """The namespace could not be made or mapped; the message says what failed."""


class Mapped:
    """A user namespace where the user is uid 0 and its subordinate ids are uids 1 to ``count``.

    Attributes
    ----------
    uid_start, gid_start : int
        The first subordinate uid and gid (inner id 1).
    count : int
        How many of each are mapped (inner ids 1 to ``count``).
    fd : int
        The namespace (``/proc/<pid>/ns/user``, close-on-exec): it lives while the descriptor
        does, in this process and the workers it forks.
    """

    def __init__(self, uid_start, gid_start, count):
        self.uid_start, self.gid_start, self.count = uid_start, gid_start, count
        holder = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _HOLDER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            said = holder.stdout.read(1)
            if said != b"u":
                raise MappingFailed(f"unshare(CLONE_NEWUSER): {(said + holder.stdout.read()).decode()[1:]}")
            me = os.getuid(), os.getgid()
            for tool, own, start in (("newuidmap", me[0], uid_start), ("newgidmap", me[1], gid_start)):
                argv = [
                    shutil.which(tool) or tool,
                    str(holder.pid),
                    "0",
                    str(own),
                    "1",
                    "1",
                    str(start),
                    str(count),
                ]
                run = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                if run.returncode != 0:
                    raise MappingFailed(f"{tool}: {(run.stderr or run.stdout).strip()[:300]}")
            self.fd = os.open(f"/proc/{holder.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        except (OSError, subprocess.SubprocessError) as exc:
            raise MappingFailed(str(exc)) from exc
        finally:
            holder.stdin.close()  # its end: the namespace now lives by self.fd alone
            holder.stdout.close()
            holder.wait()

    def outer_uid(self, inner):
        """The uid the machine sees for ``inner`` (1 to :attr:`count`)."""
        return self.uid_start + inner - 1

    def enter(self):
        """In a forked child, before it execs: move into the namespace, as its uid and gid 0.

        The grader owns the namespace, so it may enter it; there the child holds every
        capability, over the namespace's own objects only.  Async-signal-safe enough for a
        ``preexec_fn``: two system calls and nothing allocated but ctypes' arguments.
        """
        if _libc().setns(self.fd, CLONE_NEWUSER) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), "setns(CLONE_NEWUSER)")
        os.setgroups([])  # the user's other groups are not mapped: they would show as "nogroup"
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)


@functools.lru_cache(maxsize=None)
def _libc():
    return ctypes.CDLL(None, use_errno=True)


_made = {}  # {"made": Mapped or MappingFailed}: one namespace per process (a forked worker keeps its parent's)


def namespace():
    """This process's :class:`Mapped` namespace, made on first use; ``None`` where there is none.

    ``None`` as root, without ``newuidmap``/``newgidmap``, without a range of at least
    :data:`MIN_COUNT` ids, or when making it failed (:func:`why_not` says why).  A forked
    worker uses its parent's (the descriptor is inherited); a Dask worker makes its own.
    """
    if os.geteuid() == 0:
        return None
    key = "made"
    if key not in _made:
        _made[key] = _make()
    made = _made[key]
    return None if isinstance(made, MappingFailed) else made


def _make():
    if not (shutil.which("newuidmap") and shutil.which("newgidmap")):
        return MappingFailed("newuidmap and newgidmap are not installed (Debian, Ubuntu: the uidmap package)")
    ids = granted()
    if ids is None:
        return MappingFailed(
            f"{SUBUID} and {SUBGID} grant this user fewer than {MIN_COUNT} subordinate ids "
            f"(an administrator: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER)"
        )
    try:
        return Mapped(*ids)
    except MappingFailed as exc:
        return exc


def why_not():
    """Why a normal user's kernels share its uid here (text), or ``None`` when they do not."""
    if os.geteuid() == 0 or namespace() is not None:
        return None
    return str(_made["made"])
