"""Reading one inbound submission folder: only the named uid's single-link regular files, by descriptor.

The owner check is exercised without other users: a folder of this process's
files read for another uid is a folder of foreign files.
"""

import os

import pytest

from grader import messages as msg
from grader.nbgrader_ext import inbound

ME = os.getuid()
LIMITS = dict(
    ignore=[".*", "feedback", "__pycache__"], include=["*"], max_file_bytes=10_000, max_total_bytes=50_000
)
SECRET_TEXT = "ab" * 64


@pytest.fixture
def box(tmp_path):
    """An inbound folder holding one honest submission folder ``alice+L1W3+t+r``."""
    sub = tmp_path / "inbound" / "alice+L1W3+t+r"
    sub.mkdir(parents=True)
    (sub / "nb.ipynb").write_text("{}")
    (sub / "timestamp.txt").write_text("2000-01-01 00:00:00.000000 UTC")
    (sub / "submission_secret.txt").write_text(SECRET_TEXT)
    (sub / "data").mkdir()
    (sub / "data" / "x.csv").write_text("1,2")
    return tmp_path / "inbound", sub


def read(inbox, name="alice+L1W3+t+r", uid=ME, **limits):
    fd = os.open(inbox, inbound.DIR_FLAGS)
    try:
        return inbound.read_folder(fd, name, uid, **{**LIMITS, **limits})
    finally:
        os.close(fd)


def test_an_honest_folder_is_read_whole_except_its_timestamp(box):
    inbox, sub = box
    folder = read(inbox)
    assert folder.fatal is None and folder.refused == []
    assert folder.files == {
        "nb.ipynb": b"{}",
        "submission_secret.txt": SECRET_TEXT.encode(),
        "data/x.csv": b"1,2",
    }


def test_the_time_is_the_latest_ctime_of_the_files_not_what_the_student_wrote(box):
    inbox, sub = box
    os.utime(sub / "nb.ipynb", (0, 0))  # the owner may set the mtime back: it is not read
    folder = read(inbox)
    ctimes = [os.stat(sub / p).st_ctime for p in ("nb.ipynb", "submission_secret.txt", "data/x.csv")]
    assert folder.arrived == max(ctimes)
    assert folder.arrived > 946684800  # not 2000-01-01 from timestamp.txt


@pytest.mark.parametrize("make", ["symlink", "symlink_dir", "fifo", "hard_link", "socket"])
def test_what_is_no_single_link_regular_file_is_refused_by_name(box, tmp_path, make, monkeypatch):
    inbox, sub = box
    target = tmp_path / "course-spec.py"
    target.write_text("HIDDEN")
    entry = sub / "planar.ipynb"
    if make == "symlink":
        entry.symlink_to(target)
        kind = msg.EXCHANGE_ENTRY_KIND.format(kind=msg.KIND_SYMLINK)
    elif make == "symlink_dir":
        entry.symlink_to(tmp_path)
        kind = msg.EXCHANGE_ENTRY_KIND.format(kind=msg.KIND_SYMLINK)
    elif make == "fifo":
        os.mkfifo(entry)
        kind = msg.EXCHANGE_ENTRY_KIND.format(kind=msg.KIND_FIFO)
    elif make == "hard_link":
        os.link(target, entry)
        kind = msg.EXCHANGE_ENTRY_HARD_LINK.format(links=2)
    else:
        import socket

        monkeypatch.chdir(sub)  # a socket's path is short (108 bytes): bound relative to its folder
        s = socket.socket(socket.AF_UNIX)
        s.bind(entry.name)
        s.close()
        kind = msg.EXCHANGE_ENTRY_KIND.format(kind=msg.KIND_SOCKET)
    folder = read(inbox)
    assert folder.refused == [("planar.ipynb", kind)]
    assert "planar.ipynb" not in folder.files and b"HIDDEN" not in b"".join(folder.files.values())
    assert "nb.ipynb" in folder.files  # the rest is kept


def test_a_folder_of_another_uid_is_refused_whole(box):
    inbox, _ = box
    folder = read(inbox, uid=ME + 4242)
    assert folder.fatal == msg.EXCHANGE_FOLDER_OWNER.format(owner=inbound.owner_name(ME))
    assert folder.files == {}


def test_a_submission_folder_that_is_a_symlink_or_a_file_is_refused(box, tmp_path):
    inbox, sub = box
    (inbox / "alice+L1W3+u+r").symlink_to(sub)
    (inbox / "alice+L1W3+v+r").write_text("x")
    assert read(inbox, "alice+L1W3+u+r").fatal == msg.EXCHANGE_NOT_A_FOLDER.format(kind=msg.KIND_SYMLINK)
    assert read(inbox, "alice+L1W3+v+r").fatal == msg.EXCHANGE_NOT_A_FOLDER.format(kind=msg.KIND_OTHER)


def test_the_owner_check_is_made_on_every_file(box, monkeypatch):
    inbox, sub = box
    real_stat = os.stat

    def foreign_nb(path, *args, **kwargs):
        st = real_stat(path, *args, **kwargs)
        if path == "nb.ipynb":
            return os.stat_result((st.st_mode, st.st_ino, st.st_dev, 1, ME + 1, 0, *st[6:10]))
        return st

    monkeypatch.setattr(inbound.os, "stat", foreign_nb)
    folder = read(inbox)
    assert folder.refused == [("nb.ipynb", msg.EXCHANGE_ENTRY_OWNER.format(owner=inbound.owner_name(ME + 1)))]


def test_a_file_swapped_for_a_symlink_between_look_and_open_is_not_followed(box, tmp_path, monkeypatch):
    inbox, sub = box
    target = tmp_path / "course-spec.py"
    target.write_text("HIDDEN")
    real_read_file = inbound._read_file

    def swap_then_read(dir_fd, name, lst, uid, limit):
        if name == "nb.ipynb":
            os.unlink(sub / name)
            os.symlink(target, sub / name)
        return real_read_file(dir_fd, name, lst, uid, limit)

    monkeypatch.setattr(inbound, "_read_file", swap_then_read)
    folder = read(inbox)
    assert ("nb.ipynb", msg.EXCHANGE_ENTRY_CHANGED) in folder.refused
    assert b"HIDDEN" not in b"".join(folder.files.values())


def test_a_file_swapped_for_another_file_between_look_and_open_is_refused(box, monkeypatch):
    inbox, sub = box
    real_read_file = inbound._read_file

    def swap_then_read(dir_fd, name, lst, uid, limit):
        if name == "nb.ipynb":
            os.rename(sub / name, sub / ".old")
            (sub / name).write_text("other")
        return real_read_file(dir_fd, name, lst, uid, limit)

    monkeypatch.setattr(inbound, "_read_file", swap_then_read)
    assert ("nb.ipynb", msg.EXCHANGE_ENTRY_CHANGED) in read(inbox).refused


def test_names_with_escapes_and_newlines_are_shown_escaped(box):
    inbox, sub = box
    (sub / "evil\x1b[2J\nname").symlink_to("/etc/passwd")
    folder = read(inbox)
    assert folder.refused == [
        ("evil\\x1b[2J\\x0aname", msg.EXCHANGE_ENTRY_KIND.format(kind=msg.KIND_SYMLINK))
    ]


def test_ignored_names_and_the_limits_of_nbgrader_apply(box):
    inbox, sub = box
    (sub / ".hidden").write_text("x")
    (sub / "big.bin").write_bytes(b"x" * 20_000)
    folder = read(inbox)
    assert ".hidden" not in folder.files
    assert folder.refused == [("big.bin", msg.EXCHANGE_ENTRY_TOO_LARGE.format(mb=0.01))]
    (sub / "big.bin").unlink()
    for i in range(6):
        (sub / f"f{i}").write_bytes(b"y" * 9_000)
    assert read(inbox).fatal == msg.EXCHANGE_TOO_LARGE.format(mb=0.05)


def test_a_deep_tree_and_a_forged_secret_are_refused(box):
    inbox, sub = box
    (sub / "submission_secret.txt").write_text("../../etc")
    assert ("submission_secret.txt", msg.EXCHANGE_BAD_SECRET) in read(inbox).refused
    deep = sub
    for _ in range(inbound.MAX_DEPTH + 1):
        deep = deep / "d"
    deep.mkdir(parents=True)
    assert read(inbox).fatal == msg.EXCHANGE_TOO_DEEP.format(limit=inbound.MAX_DEPTH)
