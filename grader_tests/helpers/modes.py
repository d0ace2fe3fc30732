"""Run a command as a normal user, with or without unprivileged user namespaces (needs root).

The modes the grader meets on other machines, produced on this one for real:

- **a normal user with user namespaces** (Debian's default): the command runs under a uid of
  its own (no passwd entry is needed), without capabilities;
- **a normal user with user namespaces and subordinate ids** (what Debian's ``adduser`` grants a
  new user, with the ``uidmap`` package installed): the same, with a passwd entry and a range
  of :func:`subordinate_ids` in ``/etc/subuid`` and ``/etc/subgid``, which bind mounts of
  the mode's own show in place of the machine's files (nothing machine-wide changes);
- **a normal user without them** (Ubuntu 24.04's restriction, ``kernel.unprivileged_userns_clone=0``):
  the same, inside a user namespace that maps every uid onto itself and whose
  ``user.max_user_namespaces`` is 0, so that bubblewrap cannot create one.  The sysctl is the
  private namespace's own: nothing machine-wide changes, and tests beside it are not disturbed.

Both run in a mount namespace of their own, where ``/tmp`` and ``/dev/shm`` are small tmpfs
(an unisolated kernel fills those, not the machine's), and where the interpreter's home is
reachable: this machine's Python lives under ``/root`` (mode 0700), so a tmpfs covers ``/root``
and only the interpreter's folder is bound back into it.  The user grades a copy of the course
of its own (:func:`course_copy`), as an instructor grading as a normal user owns the course:
the checkout's private folders (``python -m grader secure``) are root's.
``python -m grader_tests.helpers.modes UID USERNS(0|1) SUBIDS(0|1) HOME COURSE -- COMMAND...`` is the
launcher itself (run as root; see :func:`run_as`).
"""

import contextlib
import ctypes
import fcntl
import os
import shutil
import stat
import subprocess
import sys
import tempfile

from grader import ROOT

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
TMPFS_MB = 256  # /tmp and /dev/shm of the user's run

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), what)


def _mount(source, target, fstype, flags, data=None):
    _check(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _interpreter_home():
    """The folder under ``/root`` that holds this interpreter (``None`` when it is elsewhere)."""
    real = os.path.realpath(sys.executable)
    parts = real.split("/")
    return "/".join(parts[:3]) if real.startswith("/root/") else None


def _covered(paths, tops=("/tmp", "/dev/shm")):
    """The outermost of ``paths`` that lie under one of ``tops`` (which the mode covers with its own)."""
    under = sorted(
        {os.path.realpath(p) for p in paths if any(os.path.realpath(p).startswith(t + "/") for t in tops)}
    )
    return [p for p in under if not any(p.startswith(q + "/") for q in under if q != p)]


def _kept(scratch):
    """What of the checkout under /tmp the mode binds back: the checkout, or only what the user needs.

    The user needs its scratch folder (its home and course copy) and the environment.  A
    checkout others may not enter (``git clone`` into ``mktemp -d`` makes it 0700) would keep
    both out of the user's reach if bound whole: then only those two are bound, each at its
    own path, under folders of the small /tmp that anyone may enter.
    """
    needed = (scratch, sys.prefix)
    kept = []
    for path in _covered((ROOT, *needed)):
        if os.stat(path).st_mode & stat.S_IXOTH:
            kept.append(path)
        else:
            kept += [p for p in _covered(needed) if p == path or p.startswith(path + "/")]
    return kept


def _makedirs_open(path):
    """``os.makedirs(path)`` with every folder it makes open to others (whatever the umask)."""
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for folder in reversed(missing):
        os.mkdir(folder)
        os.chmod(folder, 0o755)


def _private_mounts(scratch):
    """A mount namespace of its own: small /tmp and /dev/shm, the interpreter reachable under /root.

    A checkout, its environment or the scratch folder under /tmp, as a newcomer's ``git clone`` into ``mktemp -d``
    makes it, is bound back at its own path over the small /tmp (:func:`_kept`): the
    environment and the course copy live there.
    """
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    kept = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in _kept(scratch)}
    home = _interpreter_home()
    if home:
        keep = os.path.join(scratch, "interpreter")
        os.makedirs(keep, exist_ok=True)
        _mount(home, keep, None, MS_BIND | MS_REC)
        _mount("tmpfs", "/root", "tmpfs", 0, "mode=0755,size=1m")
        os.makedirs(home)
        _mount(keep, home, None, MS_BIND | MS_REC)
    for target in ("/tmp", "/dev/shm"):
        _mount("tmpfs", target, "tmpfs", 0, f"mode=1777,size={TMPFS_MB}m")
    for path, fd in kept.items():
        _makedirs_open(path)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)


def _without_user_namespaces():
    """Move into a user namespace mapping every uid onto itself, where no user namespace can be made."""
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid:  # the parent, still root of the machine's namespace, writes the child's maps
        os.close(ready_w)
        os.close(mapped_r)
        os.read(ready_r, 1)
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write("0 0 4294967295\n")
        os.write(mapped_w, b"1")
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status))
    os.close(ready_r)
    os.close(mapped_w)
    _check(_libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
    os.write(ready_w, b"1")
    os.read(mapped_r, 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0\n")  # this namespace's own limit: bubblewrap's --unshare-user fails with ENOSPC


# What the copy leaves out: the environment (root's, readable), what tests and grading write,
# and the checkout's own secret (the copy gets one of its own when it first grades).
_NOT_COPIED = (".venv", "build", "node_modules", ".git", ".grader", "autograded", "submitted", "feedback")


SPARE_UIDS = range(150_100, 150_200)  # of no account, below the kernel uids (launch.UID_BASE)
USER_NAME = "grader-field"  # the spare uid's name in a mode with a passwd entry
SUBORDINATE_BASE, SUBORDINATE_COUNT = 2_000_000, 65_536  # above the kernel uids, one block per spare uid


def subordinate_ids(uid):
    """``(start, count)``: the subordinate uids and gids a spare ``uid`` is granted in its mode.

    One block per spare uid, so two test runs' users (each holding its own spare uid) never
    share an id, and none is a kernel uid of root's (``launch.UID_BASE``).
    """
    return SUBORDINATE_BASE + (uid - SPARE_UIDS.start) * SUBORDINATE_COUNT, SUBORDINATE_COUNT


def _grant_subordinate_ids(uid, home):
    """Show ``/etc/passwd``, ``/etc/group``, ``/etc/subuid`` and ``/etc/subgid`` with ``uid``'s entries (bind mounts)."""
    start, count = subordinate_ids(uid)
    folder = os.path.join(home, ".etc")
    os.makedirs(folder, exist_ok=True)
    entries = {
        "passwd": f"{USER_NAME}:x:{uid}:{uid}::{home}:/bin/sh\n",
        "group": f"{USER_NAME}:x:{uid}:\n",
        "subuid": f"{USER_NAME}:{start}:{count}\n",
        "subgid": f"{USER_NAME}:{start}:{count}\n",
    }
    for name, entry in entries.items():
        path, machine = os.path.join(folder, name), f"/etc/{name}"
        kept = ""
        if os.path.exists(machine):
            with open(machine) as f:
                kept = "".join(line for line in f if not line.startswith(USER_NAME + ":"))
        with open(path, "w") as f:
            f.write(kept + ("" if not kept or kept.endswith("\n") else "\n") + entry)
        os.chmod(path, 0o644)
        if not os.path.exists(machine):  # a bind mount needs a file to cover: the machine's is not made
            raise FileNotFoundError(f"{machine} is missing: install uidmap (scripts/system-deps.sh)")
        _mount(path, machine, None, MS_BIND)


@contextlib.contextmanager
def spare_uid():
    """A uid of :data:`SPARE_UIDS` that no other process on this machine holds, while in the block.

    The normal user of a produced mode: a test of another checkout running at the same time
    takes another (an exclusive ``flock`` per uid in the temporary folder), so processes of
    one run's user are never another run's leftovers.
    """
    for uid in SPARE_UIDS:
        fd = os.open(
            os.path.join(tempfile.gettempdir(), f"grader-test-uid-{uid}"), os.O_RDWR | os.O_CREAT, 0o600
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)
        return
    raise RuntimeError(f"every uid of {SPARE_UIDS} is held by another process")


def course_copy(uid, home):
    """A private copy of the course (the checkout without its outputs) owned by ``uid``; its path."""
    course = os.path.join(home, "course")
    shutil.rmtree(course, ignore_errors=True)
    # Relative symlinks (source/<id>/*.py -> utils/) stay links, resolving inside the copy.
    shutil.copytree(ROOT, course, symlinks=True, ignore=shutil.ignore_patterns(*_NOT_COPIED, "gradebook.db*"))
    os.makedirs(os.path.join(course, "autograded"), exist_ok=True)
    for folder, dirs, files in os.walk(course):
        for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
            os.lchown(name, uid, uid)
    os.chmod(course, 0o700)
    return course


def launch(uid, user_namespaces, home, argv, course=ROOT, subordinate=False):
    """The launcher's body: set the mode up, become ``uid`` (no groups, no capabilities), exec ``argv``."""
    _private_mounts(home)
    if subordinate:
        _grant_subordinate_ids(uid, home)
    if not user_namespaces:
        _without_user_namespaces()
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "HOME": home,
        "USER": USER_NAME,
        "LOGNAME": USER_NAME,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": course,
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("GRADER_")})
    os.chdir(home)
    os.execvpe(argv[0], argv, env)


def run_as(uid, argv, home, user_namespaces=True, env=None, timeout=1800, cwd=None, subordinate=False):
    """Run ``argv`` as ``uid`` in the given mode; return the ``subprocess.CompletedProcess`` (text).

    ``subordinate``: ``uid`` has a passwd entry and the range :func:`subordinate_ids` (the
    grader maps it where ``newuidmap`` is installed).

    ``home`` (made and given to ``uid``) is its home and working directory; it must not be under
    ``/tmp``, which the mode covers.  ``env``: ``GRADER_*`` variables to pass on.
    """
    os.makedirs(home, exist_ok=True)
    os.chown(home, uid, uid)
    command = [
        sys.executable,
        "-m",
        "grader_tests.helpers.modes",
        str(uid),
        "1" if user_namespaces else "0",
        "1" if subordinate else "0",
        home,
        course_copy(uid, home),
    ]
    return subprocess.run(
        command + ["--"] + list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        env=dict(os.environ, **(env or {})),
    )


if __name__ == "__main__":
    uid, userns, subordinate, home, course, sep, *command = sys.argv[1:]
    assert sep == "--" and command, __doc__
    launch(int(uid), userns == "1", home, command, course, subordinate == "1")
