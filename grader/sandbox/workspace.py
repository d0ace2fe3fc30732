"""Throwaway folders that are always removed, however deep what a submission left in them."""

import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def remove_tree(path):
    """Remove ``path`` and everything below it.

    ``shutil.rmtree`` recurses once per level and fails on a tree thousands
    of levels deep (which a submission can build); a path-based walk fails
    past ``PATH_MAX``.  This walks with one open directory at a time,
    relative to it (``openat``), makes folders writable before entering
    them, and never follows a symlink.
    """
    if not os.path.lexists(path):
        return
    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)
        return
    os.chmod(path, stat.S_IRWXU)
    fd = os.open(path, _DIR_FLAGS)
    names = []  # the folders entered below ``path``, outermost first
    try:
        while True:
            entered = False
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        os.chmod(entry.name, stat.S_IRWXU, dir_fd=fd)
                        child = os.open(entry.name, _DIR_FLAGS, dir_fd=fd)
                        os.close(fd)
                        fd, entered = child, True
                        names.append(entry.name)
                        break
                    try:
                        os.unlink(entry.name, dir_fd=fd)
                    except FileNotFoundError:
                        pass
            if entered:
                continue
            if not names:
                break
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(path)
