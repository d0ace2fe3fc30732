"""Removing a student's working directory, however deep or strange its tree.

``shutil.rmtree`` and ``os.walk`` recurse once per directory level on Python
3.11, so a 3,000-level tree made by a student raises ``RecursionError``, and
paths that deep pass ``PATH_MAX``.  :func:`remove_tree` walks with an explicit
stack of directory file descriptors (every call relative to its parent's fd),
so neither the depth nor the path length matters.
"""
import os
import stat


def remove_tree(path):
    """Remove ``path`` and everything below it; never raise.

    Symbolic links are removed, never followed.  Directories the student
    made unreadable are made readable first (we own them or are root).

    Parameters
    ----------
    path : str
        The directory (or file) to remove.

    Returns
    -------
    bool
        Whether ``path`` is gone.
    """
    try:
        _remove(path)
    except OSError:
        pass
    return not os.path.lexists(path)


def _open_dir(name, dir_fd):
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except PermissionError:
        os.chmod(name, stat.S_IRWXU, dir_fd=dir_fd, follow_symlinks=False)
        return os.open(name, flags, dir_fd=dir_fd)


def _remove(path):
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return
    parent = os.open(os.path.dirname(os.path.abspath(path)) or "/", os.O_RDONLY | os.O_DIRECTORY)
    # Each entry: (fd of the directory, its name in the parent, the parent's fd).
    stack = [(_open_dir(os.path.basename(os.path.abspath(path)), parent),
              os.path.basename(os.path.abspath(path)), parent)]
    try:
        while stack:
            fd, name, parent_fd = stack[-1]
            descended = False
            for entry in os.scandir(fd):
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if is_dir:
                    try:
                        child = _open_dir(entry.name, fd)
                    except OSError:
                        continue
                    stack.append((child, entry.name, fd))
                    descended = True
                    break
                try:
                    os.unlink(entry.name, dir_fd=fd)
                except PermissionError:
                    os.chmod(fd, stat.S_IRWXU)
                    os.unlink(entry.name, dir_fd=fd)
            if descended:
                continue
            stack.pop()
            os.close(fd)
            try:
                os.rmdir(name, dir_fd=parent_fd)
            except PermissionError:
                os.chmod(parent_fd, stat.S_IRWXU)
                os.rmdir(name, dir_fd=parent_fd)
    finally:
        for fd, _, _ in stack:
            os.close(fd)
        os.close(parent)
