"""Warm kernels without starting one: the limits a forked kernel gets, the switch, the runner's slots."""

import resource
from types import SimpleNamespace

import pytest

from grader import messages as msg
from grader.batch import runner
from grader.limits import Limits
from grader.sandbox import launch as sandbox
from grader.sandbox import zygote


class _Uid:
    uid = 234_567


def _warm_request(limits, uid=True):
    kernel = zygote.WarmKernel.__new__(zygote.WarmKernel)
    kernel.limits, kernel.uid = limits, _Uid() if uid else None
    return kernel._fork_request("/tmp/work")


def _as_normal_user(monkeypatch, tasks=7, hard=None):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(zygote.os, "getuid", lambda: 1000)
    monkeypatch.setattr(zygote.os, "getgid", lambda: 1001)
    monkeypatch.setattr(sandbox, "user_tasks", lambda uid: tasks)
    if hard is not None:
        monkeypatch.setattr(sandbox.resource, "getrlimit", lambda which: (hard, hard))


def test_a_warm_kernel_gets_exactly_the_rlimits_a_cold_one_gets(monkeypatch):
    limits = Limits(memory_mb=777, cpu_seconds=33, file_size_mb=9, open_files=55, processes=44)
    applied = {}
    monkeypatch.setattr(resource, "setrlimit", lambda which, value: applied.__setitem__(which, tuple(value)))
    monkeypatch.setattr(sandbox.os, "setsid", lambda: None)
    sandbox.preexec(limits, None, nproc=True)()
    request = _warm_request(limits)
    assert {getattr(resource, name): tuple(value) for name, value in request["rlimits"].items()} == applied


def test_as_root_without_a_uid_of_its_own_no_process_limit_as_with_a_cold_kernel(monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    assert "RLIMIT_NPROC" not in _warm_request(Limits(), uid=False)["rlimits"]


def test_a_normal_users_warm_kernel_gets_the_rlimits_of_a_cold_one(monkeypatch):
    """The same list as the cold path's preexec: the process limit at what the user runs plus the
    submission's (``launch.process_limit``)."""
    limits = Limits(memory_mb=777, cpu_seconds=33, file_size_mb=9, open_files=55, processes=44)
    _as_normal_user(monkeypatch, tasks=7)
    applied = {}
    monkeypatch.setattr(resource, "setrlimit", lambda which, value: applied.__setitem__(which, tuple(value)))
    monkeypatch.setattr(sandbox.os, "setsid", lambda: None)
    sandbox.preexec(limits, None, nproc=sandbox.process_limit(limits, False))()
    request = _warm_request(limits, uid=False)
    assert {getattr(resource, name): tuple(value) for name, value in request["rlimits"].items()} == applied
    assert request["rlimits"]["RLIMIT_NPROC"] == (7 + 44, 7 + 44)


def test_a_normal_users_process_limit_stays_under_the_hard_limit(monkeypatch):
    _as_normal_user(monkeypatch, tasks=70, hard=100)
    assert _warm_request(Limits(processes=64), uid=False)["rlimits"]["RLIMIT_NPROC"] == (100, 100)


def test_a_normal_users_warm_kernel_keeps_the_users_uid_in_a_user_namespace_of_its_own(monkeypatch):
    _as_normal_user(monkeypatch)
    request = _warm_request(Limits(), uid=False)
    assert (request["uid"], request["gid"], request["userns"]) == (None, None, [1000, 1001])


def test_as_root_a_warm_kernel_takes_its_uid_and_no_user_namespace(monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    assert _warm_request(Limits())["userns"] is None


def test_a_zygote_keeps_no_uid_changing_capability_as_a_normal_user():
    assert "CAP_SETUID" in zygote.CAPS and "CAP_SETGID" in zygote.CAPS
    assert not {"CAP_SETUID", "CAP_SETGID"} & set(zygote.USER_CAPS)
    assert set(zygote.USER_CAPS) == {"CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETFCAP"}


def test_without_a_uid_of_its_own_only_a_normal_users_zygote_forks_a_kernel(tmp_path):
    kernel = zygote.WarmKernel.__new__(zygote.WarmKernel)
    kernel.uid, kernel.cgroup = None, None
    kernel.zygote = SimpleNamespace(key=zygote._key(zygote.files_of(str(tmp_path))), userns=False)
    with pytest.raises(zygote.ZygoteError, match="no uid of its own"):
        kernel._spawn(str(tmp_path), -1, -1)


def test_a_warm_kernel_takes_its_uid_as_gid_and_the_tmpfs_bounds_of_the_limits():
    limits = Limits(disk_mb=12, shm_mb=3, tmp_inodes=999)
    request = _warm_request(limits)
    assert (request["uid"], request["gid"]) == (_Uid.uid, _Uid.uid)
    assert (request["tmp_bytes"], request["shm_bytes"], request["inodes"]) == (12 << 20, 3 << 20, 999)
    assert request["work"] == request["env"]["PWD"] == request["env"]["HOME"] == "/tmp/work"


def test_the_switch_forces_cold_kernels(monkeypatch):
    monkeypatch.setattr(sandbox, "warm_supported", lambda: True)
    assert sandbox.warm_kernels({})
    assert sandbox.warm_kernels({sandbox.WARM: "1"})
    assert not sandbox.warm_kernels({sandbox.WARM: "0"})
    monkeypatch.setattr(sandbox, "warm_supported", lambda: False)
    assert not sandbox.warm_kernels({sandbox.WARM: "1"})


def test_the_protections_line_says_which_kernels_are_used(monkeypatch):
    monkeypatch.setattr(sandbox, "protections", lambda: {"a protection": True})
    monkeypatch.setattr(sandbox, "warm_kernels", lambda: True)
    assert sandbox.protections_line().endswith(msg.KERNELS_WARM)
    monkeypatch.setattr(sandbox, "warm_kernels", lambda: False)
    assert sandbox.protections_line() == f"protections: a protection: on. {msg.KERNELS_COLD}"


def test_a_zygotes_key_is_its_files_and_the_kernel_program(tmp_path):
    (tmp_path / "helper.py").write_bytes(b"x = 1\n")
    files = zygote.files_of(str(tmp_path))
    assert files == {"helper.py": b"x = 1\n"}
    key = zygote._key(zygote._with_kernel(files))
    assert key == zygote._key(zygote._with_kernel({"helper.py": b"x = 1\n"}))
    assert key != zygote._key(zygote._with_kernel({"helper.py": b"x = 2\n"}))
    assert key != zygote._key(files)


class _FakeZygote:
    started = []

    def __init__(self, files, limits, cells=(), probes=()):
        self.kernels, self.closed, self.dead, self.socket_closed = 0, False, False, False
        self.files, self.cells, self.probes = dict(files), list(cells), list(probes)
        _FakeZygote.started.append(self)

    def serves(self, files):
        return files == self.files

    def prime(self, cells=(), probes=()):
        self.cells += cells
        self.probes += probes

    def alive(self):
        return not self.dead

    def close(self):
        self.closed = True

    def close_socket(self):
        self.socket_closed = True


class _Master:
    helpers = {"helper.py": "x = 1\n"}

    def code_sources(self):
        return ["%matplotlib inline\n"]

    def probe_sources(self):
        return ["def __probe__(user_ns, recorded, call):\n    return []\n"]


class _FakeWorker:
    def __init__(self, zygote):
        self.zygote, self.graded, self.retired = zygote, 1, False
        self.process = type("P", (), {"is_alive": lambda self: True})()

    def retire(self):
        self.retired = True

    def reap(self):
        pass

    def connections(self):
        return ()


def test_the_slots_share_one_zygote_until_its_quota_or_its_death(monkeypatch):
    monkeypatch.setattr(zygote, "Zygote", _FakeZygote)
    monkeypatch.setattr(zygote, "KERNELS_PER_ZYGOTE", 3)
    monkeypatch.setattr(
        runner, "Worker", lambda context, first, a, m, limits, mine, others: _FakeWorker(mine)
    )
    _FakeZygote.started = []
    slots = runner.Slots(2, _Master(), Limits())
    assert len(_FakeZygote.started) == 1  # one zygote for both slots
    first, second = (slots.start(i, None, None, None, None, None) for i in range(2))
    assert first.zygote is second.zygote is _FakeZygote.started[0]
    slots.sent(0)  # a third kernel of it: due
    # Due: neither worker takes another job, and the next worker gets a fresh zygote.
    assert slots.worker(0) is None and slots.worker(1) is None and first.retired and second.retired
    third = slots.start(0, None, None, None, None, None)
    assert third.zygote is _FakeZygote.started[1] and not _FakeZygote.started[1].closed
    assert (
        _FakeZygote.started[0].socket_closed and not _FakeZygote.started[0].closed
    )  # let go, stopped at the end
    _FakeZygote.started[1].dead = True  # died: its worker is retired, the next gets a new one
    assert slots.worker(0) is None
    assert slots.start(1, None, None, None, None, None).zygote is _FakeZygote.started[2]
    slots.close()
    assert all(z.closed for z in _FakeZygote.started)
    assert all(z.cells == ["%matplotlib inline\n"] for z in _FakeZygote.started)  # each primed
    assert all(z.probes == _Master().probe_sources() for z in _FakeZygote.started)


def test_the_next_zygote_boots_while_the_current_one_makes_its_last_kernels(monkeypatch):
    monkeypatch.setattr(zygote, "Zygote", _FakeZygote)
    monkeypatch.setattr(zygote, "KERNELS_PER_ZYGOTE", 4)
    monkeypatch.setattr(runner, "SUCCESSOR_LEAD", 2)
    monkeypatch.setattr(
        runner, "Worker", lambda context, first, a, m, limits, mine, others: _FakeWorker(mine)
    )
    _FakeZygote.started = []
    slots = runner.Slots(2, _Master(), Limits())
    first = slots.start(0, None, None, None, None, None)
    assert not slots.successor_due(10)  # 1 of 4 made: too early
    slots.start(1, None, None, None, None, None)
    assert not slots.successor_due(2)  # 2 made, 2 left to hand out: the current one serves them
    assert slots.successor_due(3)
    slots.start_successor()
    assert len(_FakeZygote.started) == 2 and not slots.successor_due(3)  # one successor at a time
    successor = _FakeZygote.started[1]
    assert successor.cells == _Master().code_sources()  # primed as it starts
    slots.sent(0)
    slots.sent(1)  # 4 made: due
    assert slots.worker(0) is None and first.retired
    assert slots.start(0, None, None, None, None, None).zygote is successor
    assert len(_FakeZygote.started) == 2 and slots.successor is None  # no third boot
    # A successor that died before it was needed is replaced by a fresh one, and stopped.
    for _ in range(3):
        slots.sent(0)
    slots.start_successor()
    dead = _FakeZygote.started[2]
    dead.dead = True
    assert slots.worker(0) is None
    assert slots.start(0, None, None, None, None, None).zygote is _FakeZygote.started[3]
    slots.start_successor()  # started, then never needed: stopped at the end all the same
    slots.close()
    assert all(z.closed for z in _FakeZygote.started) and len(_FakeZygote.started) == 5


@pytest.mark.parametrize(
    "helpers, warm, adopted",
    [
        ({"helper.py": b"x = 1\n"}, True, True),  # the run's helpers: primed and used
        ({"helper.py": b"x = 2\n"}, True, False),  # the release changed meanwhile: a fresh one
        ({"helper.py": b"x = 1\n"}, False, False),  # nothing to grade, or cold: stopped
    ],
)
def test_the_zygote_started_first_is_the_slots_when_it_serves_their_helpers(
    monkeypatch, helpers, warm, adopted
):
    monkeypatch.setattr(zygote, "Zygote", _FakeZygote)
    _FakeZygote.started = []
    early = _FakeZygote(helpers, Limits())  # as runner.early_zygote starts it: no cells, no probes
    slots = runner.Slots(2, _Master(), Limits(), warm=warm, started=early)
    assert (slots.zygote is early) == adopted
    assert early.closed != adopted
    if adopted:
        assert early.cells == _Master().code_sources() and early.probes == _Master().probe_sources()
        assert len(_FakeZygote.started) == 1
    elif warm:
        assert slots.zygote is _FakeZygote.started[1] and slots.zygote.files == {"helper.py": b"x = 1\n"}
    else:
        assert slots.zygote is None and len(_FakeZygote.started) == 1
    slots.close()
    assert early.closed


def test_cold_slots_start_no_zygote(monkeypatch):
    monkeypatch.setattr(zygote, "Zygote", _FakeZygote)
    _FakeZygote.started = []
    slots = runner.Slots(2, _Master(), Limits(), warm=False)
    assert slots.fresh_zygote() is None
    assert _FakeZygote.started == []


def test_a_dead_zygote_is_not_used_and_the_kernel_is_cold_with_a_note(monkeypatch):
    broken = _FakeZygote({}, Limits())
    broken.broken = "the zygote is gone"
    made = []
    monkeypatch.setattr(zygote, "_current", broken)
    kernel = zygote.start_kernel("/nowhere", Limits(), [], cold=lambda w, l: made.append((w, l)) or "cold")
    assert kernel == "cold" and made[0][0] == "/nowhere"


def test_a_failing_warm_start_gives_a_cold_kernel_and_one_note(monkeypatch):
    class Failing:
        broken = None

    def fail(workdir, limits, z, wait=True):  # noqa: ARG001 (WarmKernel's signature)
        raise zygote.ZygoteError("set-up failed")

    monkeypatch.setattr(zygote, "_current", Failing())
    monkeypatch.setattr(zygote, "WarmKernel", fail)
    notes = []
    for _ in range(2):
        assert zygote.start_kernel("/w", Limits(), notes, cold=lambda w, l: "cold") == "cold"
    assert notes == [msg.WARM_KERNEL_FALLBACK.format(reason="set-up failed")]
    assert zygote._current.broken == "set-up failed"


@pytest.mark.parametrize("entries, early", [([], False), (["student0001"], True)])
def test_a_warm_run_starts_its_zygote_first_only_with_something_to_grade(
    monkeypatch, tmp_path, entries, early
):
    from grader_tests.helpers.limits_course import _quiet_run

    run = _quiet_run(monkeypatch)
    started, handed = [], []
    monkeypatch.setattr(sandbox, "warm_kernels", lambda: True)
    monkeypatch.setattr(
        run,
        "early_zygote",
        lambda assignment_id, limits: started.append(assignment_id) or _FakeZygote({}, limits),
    )
    monkeypatch.setattr(run, "forked", lambda *a, started=None, **kw: handed.append(started) or iter(()))
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    for name in entries:
        (submitted / name).mkdir()
    run.run(
        str(submitted),
        str(tmp_path / "autograded"),
        "sqlite://",
        "L1W3",
        limits=Limits(),
        quiet=True,
        secret=b"s" * 32,
    )
    assert started == (["L1W3"] if early else [])
    assert (handed[0] is not None) == early
    assert all(z.closed for z in handed if z is not None)  # the run closes it, whoever took it


def test_a_killed_pid_1s_end_is_seen_as_it_happens():
    """``Child.wait_gone``: the pidfd of a process turns readable when it ends, not before."""
    import os
    import signal
    import socket

    pid = os.fork()
    if pid == 0:
        signal.pause()
        os._exit(0)
    mine, theirs = socket.socketpair()
    child = zygote.Child(mine, pid, SimpleNamespace(released=lambda: None))
    try:
        assert not child.wait_gone(0.05)  # alive
        child.kill()
        assert child.wait_gone(5.0)
    finally:
        os.waitpid(pid, 0)
        child.close()
        theirs.close()
