"""Reading one submission folder of the exchange's inbound folder without trusting anything in it.

The inbound folder is writable by every student (nbgrader's 0733), and a
submission folder is made world-writable by ``nbgrader submit`` (0777), so
whatever is in it may have been put there by anyone, at any time, in any
form: a symlink to the course's hidden cases, a fifo, a hard link, a file of
another student, a folder swapped for a symlink between two looks at it.
:func:`read_folder` walks one folder by file descriptors (``openat``, never a
path twice), opens each candidate with ``O_NOFOLLOW | O_NONBLOCK`` and
decides on the ``fstat`` of the descriptor it actually reads, so what is
checked is what is copied.  It accepts only

- folders and regular files owned by ``uid`` (the student the folder names),
- regular files with a single link (a hard link is refused whoever owns it),
- within nbgrader's ignore/include patterns and size limits, and a bounded
  number of entries and depth;

everything else is refused by name with the reason, and the rest is kept.

The submission's time is when its files arrived: the latest ``st_ctime`` of
the files kept.  The kernel sets a file's ctime to the current time on every
change of its content or metadata (a write, a chmod, a rename, a new link),
and no call lets the file's owner set it: ``utime`` (``touch -d``) sets the
mtime and atime only.  So a file kept was last changed no later than its
ctime, and a student cannot make it earlier; ``timestamp.txt`` and the
folder's name, which she writes herself, are not read for the time.
"""

import fnmatch
import os
import re
import stat
from dataclasses import dataclass, field

from grader import messages as msg
from grader.ids import terminal

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a fifo for reading would otherwise wait for a writer; O_NOCTTY: a
# terminal device never becomes the collector's controlling terminal.
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
MAX_DEPTH = 16
MAX_ENTRIES = 10_000
CHUNK = 1 << 20

# What nbgrader writes beside the student's files; the collector writes its own timestamp.txt.
TIMESTAMP = "timestamp.txt"
SECRET = "submission_secret.txt"
_SECRET_TEXT = re.compile(r"[0-9a-f]{16,256}")


@dataclass
class Folder:
    """What :func:`read_folder` found in one submission folder.

    Attributes
    ----------
    files : dict of str to bytes
        Relative path (``/``-separated) -> content of every file kept.
    arrived : float or None
        The latest ``st_ctime`` of the files kept (of the folder itself when
        none is kept): when the submission arrived.  ``None`` when the folder
        itself is refused.
    refused : list of (str, str)
        ``(relative path, bilingual reason)`` of every entry not kept; the
        path is shown escaped (:func:`grader.ids.terminal`).
    fatal : str or None
        Why the whole folder is refused (not a folder, wrong owner, over the
        limits), or ``None``.
    """

    files: dict = field(default_factory=dict)
    arrived: float = None
    refused: list = field(default_factory=list)
    fatal: str = None


def kind(mode):
    """A bilingual name of what a ``st_mode`` that is no regular file or folder is."""
    if stat.S_ISLNK(mode):
        return msg.KIND_SYMLINK
    if stat.S_ISFIFO(mode):
        return msg.KIND_FIFO
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return msg.KIND_DEVICE
    if stat.S_ISSOCK(mode):
        return msg.KIND_SOCKET
    return msg.KIND_OTHER


def owner_name(uid):
    """The login name of ``uid`` (or the number), escaped for a terminal."""
    import pwd

    try:
        return terminal(pwd.getpwuid(uid).pw_name)
    except KeyError:
        return str(uid)


def _wanted(name, ignore, include):
    """Whether nbgrader's patterns keep the file ``name`` (``CourseDirectory.ignore``/``include``)."""
    if any(fnmatch.fnmatch(name, p) for p in ignore):
        return False
    return any(fnmatch.fnmatch(name, p) for p in include)


def _own(st, uid):
    return uid is None or st.st_uid == uid


def read_folder(parent_fd, name, uid, *, ignore=(), include=("*",), max_file_bytes, max_total_bytes):
    """Read the submission folder ``name`` of the folder open as ``parent_fd``.

    Parameters
    ----------
    parent_fd : int
        An open descriptor of the inbound folder.
    name : str
        The submission folder's name in it.
    uid : int or None
        The uid that must own the folder and everything kept (``None``: no
        owner check, nbgrader's ``check_owner = False``).
    ignore, include : sequence of str
        nbgrader's ``CourseDirectory.ignore`` and ``include`` patterns: an
        ignored name (file or folder) is skipped silently, as nbgrader does.
    max_file_bytes, max_total_bytes : int
        A larger file is refused; a folder whose kept files add up to more is
        refused whole.

    Returns
    -------
    Folder
    """
    out = Folder()
    try:
        top = os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except FileNotFoundError:
        out.fatal = msg.EXCHANGE_ENTRY_CHANGED
        return out
    except OSError:
        # ELOOP or ENOTDIR: a symlink (to a folder or not), a file, a fifo, a device.
        try:
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
            out.fatal = msg.EXCHANGE_NOT_A_FOLDER.format(kind=kind(st.st_mode))
        except OSError:
            out.fatal = msg.EXCHANGE_ENTRY_CHANGED
        return out
    st = os.fstat(top)
    if not _own(st, uid):
        os.close(top)
        out.fatal = msg.EXCHANGE_FOLDER_OWNER.format(owner=owner_name(st.st_uid))
        return out
    out.arrived = st.st_ctime
    stack = [(top, "", 0)]
    try:
        latest = _walk(stack, out, uid, ignore, include, max_file_bytes, max_total_bytes)
    finally:
        for fd, _, _ in stack:
            os.close(fd)
    if out.fatal:
        out.files = {}
    elif latest is not None:
        out.arrived = latest
    return out


def _walk(stack, out, uid, ignore, include, max_file_bytes, max_total_bytes):
    """Fill ``out`` from the folders on ``stack`` (each popped one is closed); the latest ctime kept."""
    latest = None
    total = 0
    entries = 0
    while stack:
        fd, prefix, depth = stack.pop()
        try:
            with os.scandir(fd) as it:
                names = sorted(e.name for e in it)
            for child in names:
                entries += 1
                if entries > MAX_ENTRIES:
                    out.fatal = msg.EXCHANGE_TOO_MANY_ENTRIES.format(limit=MAX_ENTRIES)
                    return latest
                rel = prefix + child
                shown = terminal(rel)
                if any(fnmatch.fnmatch(child, p) for p in ignore):
                    continue
                try:
                    lst = os.stat(child, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue  # gone since listed
                if not _own(lst, uid):
                    out.refused.append((shown, msg.EXCHANGE_ENTRY_OWNER.format(owner=owner_name(lst.st_uid))))
                    continue
                if stat.S_ISDIR(lst.st_mode):
                    if depth + 1 >= MAX_DEPTH:
                        out.fatal = msg.EXCHANGE_TOO_DEEP.format(limit=MAX_DEPTH)
                        return latest
                    try:
                        sub = os.open(child, DIR_FLAGS, dir_fd=fd)
                    except OSError:
                        out.refused.append((shown, msg.EXCHANGE_ENTRY_CHANGED))
                        continue
                    sst = os.fstat(sub)
                    if (sst.st_dev, sst.st_ino) != (lst.st_dev, lst.st_ino) or not _own(sst, uid):
                        os.close(sub)
                        out.refused.append((shown, msg.EXCHANGE_ENTRY_CHANGED))
                        continue
                    stack.append((sub, rel + "/", depth + 1))
                    continue
                if not stat.S_ISREG(lst.st_mode):
                    out.refused.append((shown, msg.EXCHANGE_ENTRY_KIND.format(kind=kind(lst.st_mode))))
                    continue
                if not prefix and child == TIMESTAMP:
                    continue  # the collector writes the time it measured
                if not _wanted(child, (), include):
                    continue
                problem, data, ctime = _read_file(fd, child, lst, uid, max_file_bytes)
                if problem:
                    out.refused.append((shown, problem))
                    continue
                if not prefix and child == SECRET and not _SECRET_TEXT.fullmatch(data.decode("latin-1")):
                    out.refused.append((shown, msg.EXCHANGE_BAD_SECRET))
                    continue
                total += len(data)
                if total > max_total_bytes:
                    out.fatal = msg.EXCHANGE_TOO_LARGE.format(mb=max_total_bytes / 1e6)
                    return latest
                out.files[rel] = data
                latest = ctime if latest is None else max(latest, ctime)
        finally:
            os.close(fd)
    return latest


def _read_file(dir_fd, name, lst, uid, limit):
    """``(problem, content, ctime)`` of the regular file ``name``, decided on the opened descriptor."""
    if lst.st_nlink != 1:
        return msg.EXCHANGE_ENTRY_HARD_LINK.format(links=lst.st_nlink), None, None
    if lst.st_size > limit:
        return msg.EXCHANGE_ENTRY_TOO_LARGE.format(mb=limit / 1e6), None, None
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        # ELOOP: swapped for a symlink since it was looked at; ENOENT: removed.
        return msg.EXCHANGE_ENTRY_CHANGED, None, None
    try:
        st = os.fstat(fd)
        # The descriptor is what is read: it must still be the regular, single-link file of the
        # right owner that was looked at (not something swapped in between look and open).
        same = (st.st_dev, st.st_ino) == (lst.st_dev, lst.st_ino)
        if not (same and stat.S_ISREG(st.st_mode) and _own(st, uid) and st.st_nlink == 1):
            return msg.EXCHANGE_ENTRY_CHANGED, None, None
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                return msg.EXCHANGE_ENTRY_TOO_LARGE.format(mb=limit / 1e6), None, None
            chunks.append(chunk)
        # Read after reading: a write during the read moved the ctime on, and it counts.
        return None, b"".join(chunks), os.fstat(fd).st_ctime
    finally:
        os.close(fd)
