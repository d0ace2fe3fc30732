"""The course secret, and the per-submission seed of the hidden inputs derived from it.

Every submission is graded on hidden inputs of its own, drawn from
:func:`submission_seed`: an HMAC-SHA256 of the assignment's id and the
student's id under a 32-byte random secret of the course.  A regrade of the
same student draws the same inputs; without the secret nobody can compute
anyone's inputs, so what one student learns of their own hidden cases (or
of the reference results on them) is of no use to another.

The secret lives in ``<course root>/.grader/course_secret`` (folder 0700,
file 0600), is created on first need and is never released (``.grader/`` is
in ``.gitignore``).  Deleting it changes every student's hidden inputs at the
next grading run; nothing else depends on it.
"""

import hashlib
import hmac
import os

SECRET_BYTES = 32
FOLDER = ".grader"
NAME = "course_secret"


def path(root):
    """The path of the course secret of the course at ``root`` (whether or not it exists yet)."""
    return os.path.join(root, FOLDER, NAME)


def load(root):
    """The course secret of the course at ``root`` (32 bytes), created on first need.

    Creation is atomic (written to a private temporary file, then linked into
    place without replacing anything), so two grading runs starting at once
    agree on one secret.  Raises ``ValueError`` for a secret file of another
    size (a truncated or foreign file must not silently become everyone's
    seed).
    """
    target = path(root)
    try:
        return _read(target)
    except FileNotFoundError:
        pass
    folder = os.path.dirname(target)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    temporary = f"{target}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, os.urandom(SECRET_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, target)  # fails if another process made it first: theirs is kept
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return _read(target)


def _read(target):
    with open(target, "rb") as f:
        data = f.read(SECRET_BYTES + 1)
    if len(data) != SECRET_BYTES:
        raise ValueError(f"{target}: a course secret is {SECRET_BYTES} bytes, this file has {len(data)}")
    return data


def submission_seed(secret, assignment_id, student_id):
    """The seed of one submission's hidden inputs: HMAC-SHA256(secret, assignment id, student id).

    Parameters
    ----------
    secret : bytes
        The course secret (:func:`load`).
    assignment_id, student_id : str

    Returns
    -------
    int
        A non-negative integer below 2**128, the same for every regrade of
        that student's submission of that assignment.
    """
    # Length-prefixed, so that ("ab", "c") and ("a", "bc") never share a message.
    message = b"".join(
        len(part).to_bytes(4, "big") + part
        for part in (assignment_id.encode("utf-8"), student_id.encode("utf-8"))
    )
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:16], "big")
