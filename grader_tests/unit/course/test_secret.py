"""The course secret and the per-submission seed of the hidden inputs (grader.course.secret)."""

import os
import stat

import pytest

from grader.course import secret


def test_the_secret_is_made_on_first_need_private_and_then_kept(tmp_path):
    first = secret.load(str(tmp_path))
    assert len(first) == secret.SECRET_BYTES
    path = secret.path(str(tmp_path))
    assert path == os.path.join(str(tmp_path), ".grader", "course_secret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert secret.load(str(tmp_path)) == first
    assert os.listdir(os.path.dirname(path)) == ["course_secret"]  # no temporary file left


def test_two_courses_get_different_secrets(tmp_path):
    assert secret.load(str(tmp_path / "a")) != secret.load(str(tmp_path / "b"))


def test_a_secret_made_meanwhile_by_another_process_is_kept(tmp_path, monkeypatch):
    # The other run wins the race between our look and our link: its secret is everyone's.
    theirs = b"t" * secret.SECRET_BYTES
    real_link = os.link

    def link(source, target):
        with open(target, "wb") as f:
            f.write(theirs)
        return real_link(source, target)

    monkeypatch.setattr(secret.os, "link", link)
    assert secret.load(str(tmp_path)) == theirs


@pytest.mark.parametrize("size", [0, 16, 33])
def test_a_secret_file_of_another_size_is_refused(tmp_path, size):
    path = secret.path(str(tmp_path))
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(b"x" * size)
    with pytest.raises(ValueError, match="32 bytes"):
        secret.load(str(tmp_path))


def test_the_seed_is_stable_and_differs_per_student_assignment_and_secret():
    key = b"k" * 32
    seed = secret.submission_seed(key, "L1W3", "alice")
    assert seed == secret.submission_seed(key, "L1W3", "alice")  # a regrade: the same inputs
    assert isinstance(seed, int) and 0 <= seed < 2**128
    others = {
        secret.submission_seed(key, "L1W3", "bob"),
        secret.submission_seed(key, "L1W2", "alice"),
        secret.submission_seed(b"K" * 32, "L1W3", "alice"),
        # The parts are length-prefixed: no two (assignment, student) pairs share a message.
        secret.submission_seed(key, "L1W3a", "lice"),
    }
    assert seed not in others and len(others) == 4


def test_the_seed_is_an_hmac_sha256_of_the_ids():
    import hashlib
    import hmac

    key = b"\x01" * 32
    message = (4).to_bytes(4, "big") + b"L1W3" + (3).to_bytes(4, "big") + b"ann"
    digest = hmac.new(key, message, hashlib.sha256).digest()
    assert secret.submission_seed(key, "L1W3", "ann") == int.from_bytes(digest[:16], "big")
