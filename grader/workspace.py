"""Throwaway folders that are always removed, however deep what a submission left in them."""
import os
import stat


def remove_tree(path):
    """Remove ``path`` and everything below it, iteratively.

    ``shutil.rmtree`` recurses once per level and fails on a tree thousands
    of levels deep (which a submission can build); this walks with an
    explicit stack, makes folders writable first, and never follows symlinks.
    """
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path) or os.path.islink(path):
        os.unlink(path)
        return
    stack = [path]
    while stack:
        folder = stack[-1]
        try:
            os.chmod(folder, stat.S_IRWXU)
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            stack.pop()
            continue
        pushed = False
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
                pushed = True
            else:
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass
        if not pushed:
            os.rmdir(folder)
            stack.pop()
