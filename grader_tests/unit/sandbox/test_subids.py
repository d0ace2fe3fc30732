"""A normal user's subordinate ids (grader.sandbox.subids) and what the sandbox makes of them, without a namespace.

The namespace itself, made with the real ``newuidmap`` by a normal user of this machine, is in
``grader_tests/integration/test_warm_kernel.py`` and ``grader_tests/long/test_modes.py``.
"""

import os
import pwd

import pytest

from grader import messages as msg
from grader.limits import Limits
from grader.sandbox import launch as sandbox
from grader.sandbox import subids, zygote


@pytest.fixture
def files(tmp_path, monkeypatch):
    """``/etc/subuid`` and ``/etc/subgid`` in ``tmp_path``, written by the test."""
    monkeypatch.setattr(subids, "SUBUID", str(tmp_path / "subuid"))
    monkeypatch.setattr(subids, "SUBGID", str(tmp_path / "subgid"))

    def write(subuid, subgid=None):
        (tmp_path / "subuid").write_text(subuid)
        (tmp_path / "subgid").write_text(subuid if subgid is None else subgid)

    return write


def test_ranges_are_read_by_name_or_number_and_bad_lines_skipped(tmp_path):
    path = tmp_path / "subuid"
    path.write_text(
        "alice:100000:65536\n"
        "bob:165536:65536\n"
        "1001:231072:1000\n"
        "alice:not-a-number:5\n"
        "alice:0:10\n"  # id 0 is root's: never a subordinate id
        "alice:300000\n"
        "# alice:400000:10\n"
        "alice:500000:-4\n"
    )
    assert subids.ranges(str(path), "alice", 1001) == [(100000, 65536), (231072, 1000)]
    assert subids.ranges(str(path), "carol", 1002) == []
    assert subids.ranges(str(tmp_path / "missing"), "alice", 1001) == []


@pytest.mark.parametrize(
    "subuid, subgid, expected",
    [
        ("me:100000:65536\n", None, (100000, 100000, 65536)),
        ("me:100000:1000\nme:500000:65536\n", "me:200000:2000\n", (500000, 200000, 2000)),  # largest each
        ("me:100000:63\n", None, None),  # fewer than MIN_COUNT
        ("someone:100000:65536\n", None, None),
        ("me:100000:65536\n", "", None),  # uids without gids
    ],
)
def test_granted_takes_the_largest_range_of_each_file(files, monkeypatch, subuid, subgid, expected):
    files(subuid, subgid)
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: type("Entry", (), {"pw_name": "me"}))
    assert subids.granted(4321) == expected


def test_without_a_passwd_entry_nothing_is_granted(files, monkeypatch):
    files("4321:100000:65536\n")

    def missing(uid):
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", missing)
    assert subids.granted(4321) is None  # newuidmap needs the user's name


@pytest.fixture
def fresh(monkeypatch):
    """No namespace made yet in this process (the cache is the module's)."""
    monkeypatch.setattr(subids, "_made", {})


def test_root_makes_no_namespace(fresh, monkeypatch):
    monkeypatch.setattr(subids.os, "geteuid", lambda: 0)
    assert subids.namespace() is None and subids.why_not() is None


def test_without_the_helpers_the_reason_names_the_package(fresh, monkeypatch):
    monkeypatch.setattr(subids.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(subids.shutil, "which", lambda name: None)
    assert subids.namespace() is None
    assert "uidmap" in subids.why_not()


def test_without_a_range_the_reason_says_what_an_administrator_does(fresh, files, monkeypatch):
    monkeypatch.setattr(subids.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(subids.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(subids, "granted", lambda uid=None: None)
    assert subids.namespace() is None
    reason = subids.why_not()
    assert subids.SUBUID in reason and "usermod --add-subuids" in reason


def test_a_failed_mapping_is_the_reason(fresh, monkeypatch):
    monkeypatch.setattr(subids.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(subids.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(subids, "granted", lambda uid=None: (100000, 100000, 65536))

    def refused(*ids):
        raise subids.MappingFailed("newuidmap: write to uid_map failed: Operation not permitted")

    monkeypatch.setattr(subids, "Mapped", refused)
    assert subids.namespace() is None
    assert "uid_map failed" in subids.why_not()


class FakeNamespace:
    """What :class:`subids.Mapped` gives the sandbox, without a namespace."""

    def __init__(self, start=2_000_000, count=3):
        self.uid_start, self.gid_start, self.count = start, start, count
        self.entered = 0

    def outer_uid(self, inner):
        return self.uid_start + inner - 1

    def enter(self):
        self.entered += 1


@pytest.fixture
def normal_user_with_ids(tmp_path, monkeypatch):
    """A normal user (uid 1000) whose grader has a namespace of three subordinate ids."""
    namespace = FakeNamespace()
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sandbox.os, "getuid", lambda: 1000)
    monkeypatch.setattr(sandbox, "mapped", lambda: namespace)
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: True)
    monkeypatch.setattr(sandbox, "_bwrap", lambda: "/usr/bin/bwrap")
    monkeypatch.setattr(sandbox, "uid_locks", lambda: str(tmp_path / "locks"))
    (tmp_path / "locks").mkdir()
    return namespace


def test_with_subordinate_ids_each_kernel_takes_one_locked_as_the_machine_sees_it(
    normal_user_with_ids, tmp_path
):
    assert sandbox.rooted() and sandbox.separate_uid()
    held = [sandbox.KernelUid() for _ in range(3)]
    try:
        assert sorted(h.uid for h in held) == [1, 2, 3]  # the namespace's numbers for the range
        assert sorted(h.host_uid for h in held) == [2_000_000, 2_000_001, 2_000_002]
        assert {p.name for p in (tmp_path / "locks").iterdir()} == {"2000000", "2000001", "2000002"}
        with pytest.raises(RuntimeError, match="no free kernel uid"):
            sandbox.KernelUid()
    finally:
        for h in held:
            h.release()


def _setup(result):
    program = result.argv[result.argv.index("--") + 1 :]
    end = program.index("--", 5)
    return program[5:end], program[end + 1 :]


def test_with_subordinate_ids_bubblewrap_runs_as_roots_does(normal_user_with_ids, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "_grader_kernel.py").write_text("")
    argv = [sandbox.python_inside(), "-I", "_grader_kernel.py"]
    result = sandbox.command(argv, str(workdir), Limits(), uid=2, nproc=64)
    try:
        options = os.pread(int(result.argv[2]), 1 << 20, 0).decode().split("\0")
        assert "--unshare-user" not in options and "--cap-add" not in options
        arguments, program = _setup(result)
        assert arguments[-4:-2] == ["-", "-"]  # no user namespace of the mount step's own
        assert arguments[-1] == "64"  # RLIMIT_NPROC set by the mount step, as the kernel's uid will count it
        assert program[0].endswith("setpriv") and "--reuid=2" in program and program[-3:] == argv
    finally:
        result.close()
    result = sandbox.command(argv, str(workdir), Limits(), keep_caps=zygote.CAPS, zygote=True)
    try:
        options = os.pread(int(result.argv[2]), 1 << 20, 0).decode().split("\0")
        assert "--unshare-user" not in options  # a zygote as root's, with root's capabilities
        assert [options[i + 1] for i, o in enumerate(options) if o == "--cap-add"] == list(zygote.CAPS)
    finally:
        result.close()


def test_enter_mapped_enters_the_namespace_only_where_there_is_one(normal_user_with_ids, monkeypatch):
    sandbox.enter_mapped()
    assert normal_user_with_ids.entered == 1
    monkeypatch.setattr(sandbox, "mapped", lambda: None)
    sandbox.enter_mapped()
    assert normal_user_with_ids.entered == 1


def test_the_protections_line_says_why_a_normal_users_kernels_share_its_uid(monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sandbox, "mapped", lambda: None)
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: True)
    monkeypatch.setattr(sandbox, "protections", lambda: {sandbox.UID_OF_ITS_OWN: False})
    monkeypatch.setattr(sandbox, "warm_kernels", lambda: True)
    monkeypatch.setattr(subids, "why_not", lambda: "newuidmap and newgidmap are not installed")
    line = sandbox.protections_line()
    assert f"{sandbox.UID_OF_ITS_OWN}: OFF" in line
    assert line.endswith(msg.SHARED_UID.format(reason="newuidmap and newgidmap are not installed"))
    monkeypatch.setattr(sandbox, "mapped", lambda: FakeNamespace())
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert msg.SHARED_UID.split("{reason}")[0] not in sandbox.protections_line()


def test_a_users_lock_folder_must_be_its_own_and_private(tmp_path):
    me = os.geteuid()
    good = tmp_path / "made"
    assert sandbox.private_folder(str(good), me) == str(good) and good.stat().st_mode & 0o777 == 0o700
    writable = tmp_path / "writable"
    writable.mkdir()
    writable.chmod(0o777)  # another user could take every lock in it
    link = tmp_path / "link"
    link.symlink_to(good)
    for folder, owner in ((writable, me), (link, me), (good, me + 1)):
        with pytest.raises(RuntimeError, match="not a private folder"):
            sandbox.private_folder(str(folder), owner)


def test_a_normal_users_lock_folder_is_in_its_runtime_folder_when_it_has_one(tmp_path):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    if os.geteuid() == 0:  # as root (CI): the runtime folder of a normal user of no account
        os.chown(runtime, 150_099, 150_099)
    owner, environ = os.stat(runtime).st_uid, {"XDG_RUNTIME_DIR": str(runtime)}
    assert sandbox._locks_folder(owner, environ) == str(runtime / "grader-uids")
    # Another user's runtime folder is never used; without one, /tmp.
    assert sandbox._locks_folder(owner + 1, environ) == f"/tmp/grader-uids-{owner + 1}"
    assert sandbox._locks_folder(owner, {}) == f"/tmp/grader-uids-{owner}"
    assert sandbox._locks_folder(0, environ) == sandbox.UID_LOCKS
