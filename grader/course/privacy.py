"""A course root that other users of the machine cannot read: the check the grader makes, the fix it offers.

The course root holds what no student may see: the source notebook (the
reference solutions), the grading specs (the hidden cases), the gradebook,
every student's submission, autograded notebook and feedback, and the course
secret (``.grader/``).  A clone made under the usual umask 022 has them 0755
and 0644, so on a shared machine every student could read them all.

:func:`exposed` lists those of them that someone other than their owner can
reach: a path is hidden when one of its ancestors lets neither group nor
others search it (a course under a 0700 home, or under pytest's 0700 temporary
folder), and otherwise when the path itself gives group and others nothing.
Every grading path refuses to run while the list is not empty
(:func:`refusal`; ``python -m grader grade``, and through it nbgrader's
autograde and formgrader's button), and :func:`secure` (``python -m grader
secure``, run by the make targets that grade) makes them private: folders
0700, files 0600.  What is inside a private folder keeps its modes: nothing
in it can be reached.
"""

import os
import stat

from grader import messages as msg
from grader.course import secret

# Relative to the course root.  ``.grader/`` holds the course secret
# (``grader.course.secret.path``); the grade exports and the class report hold every grade.
PRIVATE = (
    "source",
    "grading",
    "gradebook.db",
    "submitted",
    "autograded",
    "feedback",
    secret.FOLDER,
    "grades.csv",
    "grades_by_exercise.csv",
    "reports",
)
# SQLite's companions of the gradebook: each holds pages of it.
GRADEBOOK_COMPANIONS = ("-journal", "-wal", "-shm")
_OUTSIDERS = stat.S_IRWXG | stat.S_IRWXO


def searchable(folder):
    """Whether group or others may search (enter) ``folder``; an unreadable one counts as closed."""
    try:
        return bool(os.stat(folder).st_mode & (stat.S_IXGRP | stat.S_IXOTH))
    except OSError:
        return False


def _hidden_by_an_ancestor(path):
    """Whether some folder above ``path`` lets neither group nor others search it."""
    parent = os.path.dirname(os.path.realpath(path))
    while True:
        if not searchable(parent):
            return True
        up = os.path.dirname(parent)
        if up == parent:
            return False
        parent = up


def paths(root, submitted=None, autograded=None, gradebook=None):
    """The course's private paths that exist, ``root``'s own and the ones given instead.

    Parameters
    ----------
    root : str
        The course root.
    submitted, autograded : str, optional
        Where the submissions and the autograded notebooks are, when not
        ``root``'s own folders (``grade --submitted/--autograded``).
    gradebook : str, optional
        The SQLite gradebook's file, when not ``root/gradebook.db``.

    Returns
    -------
    list of str
    """
    found = [os.path.join(root, name) for name in PRIVATE]
    found += [os.path.join(root, "gradebook.db" + end) for end in GRADEBOOK_COMPANIONS]
    for given in (submitted, autograded, gradebook):
        if given:
            found.append(os.path.abspath(given))
    if gradebook:
        found += [os.path.abspath(gradebook) + end for end in GRADEBOOK_COMPANIONS]
    out = []
    for path in found:
        if os.path.exists(path) and path not in out:
            out.append(path)
    return out


def exposed(root, **given):
    """``[(path, mode)]`` of the private paths (:func:`paths`) that others can reach.

    Parameters
    ----------
    root : str
        The course root.
    **given
        ``submitted``, ``autograded``, ``gradebook``, as for :func:`paths`.

    Returns
    -------
    list of (str, int)
        Each path with its permission bits, in :data:`PRIVATE`'s order.
    """
    out = []
    for path in paths(root, **given):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & _OUTSIDERS and not _hidden_by_an_ancestor(path):
            out.append((path, mode))
    return out


def refusal(root, **given):
    """The bilingual refusal naming what to make private, or ``None`` when nothing is exposed."""
    found = exposed(root, **given)
    if not found:
        return None
    listed = ", ".join(f"{path} ({mode:04o})" for path, mode in found)
    return msg.COURSE_READABLE.format(paths=listed, chmod=" ".join(path for path, _ in found))


def secure(root, **given):
    """Make the private paths private (folders 0700, files 0600); return the ones changed.

    Paths hidden by an ancestor are made private too: the course may be moved
    or its parent opened later.
    """
    changed = []
    for path in paths(root, **given):
        st = os.stat(path)
        want = stat.S_IMODE(st.st_mode) & ~_OUTSIDERS
        if stat.S_ISDIR(st.st_mode):
            want |= stat.S_IRWXU
        if want != stat.S_IMODE(st.st_mode):
            os.chmod(path, want)
            changed.append(path)
    return changed
