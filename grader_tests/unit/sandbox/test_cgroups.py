"""Per-submission cgroups on fixture hierarchies: v2 (as root and in a delegated subtree) and v1.

The fixture (``grader_tests.helpers.cgroupfs``) behaves as the kernel documents cgroup v2; the
tests check which files are written, with what, and in which order.
"""

import os
import subprocess

import pytest

from grader.sandbox import cgroups
from grader_tests.helpers.cgroupfs import FixtureV1, FixtureV2

SCOPE = "user.slice/user-1000.slice/user@1000.service/app.slice/run-grader.scope"
MB = 1024 * 1024


def _group(fs, name="grader-4242-0", memory_mb=100, processes=8):
    return cgroups.Cgroup(name, cpus=1, memory_mb=memory_mb, processes=processes, fs=fs)


@pytest.fixture
def sleeper():
    """A process to put in a group (killed and reaped at the end whatever happened)."""
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


def test_v2_in_a_delegated_scope_moves_its_processes_into_a_leaf_before_enabling_controllers(
    tmp_path, sleeper
):
    make = sleeper.pid  # the process that started the grader, in the scope beside it
    fs = FixtureV2(tmp_path, "/" + SCOPE, others=[make])
    group = _group(fs)
    leaf = f"{SCOPE}/grader-main"
    assert fs.log == [
        ("mkdir", leaf),
        ("write", f"{leaf}/cgroup.procs", str(os.getpid())),
        ("write", f"{leaf}/cgroup.procs", str(make)),
        ("write", f"{SCOPE}/cgroup.subtree_control", "+cpu +memory +pids"),
        ("mkdir", f"{SCOPE}/grader-4242-0"),
        ("write", f"{SCOPE}/grader-4242-0/cpu.max", "100000 100000"),
        ("write", f"{SCOPE}/grader-4242-0/memory.max", str(100 * MB)),
        ("write", f"{SCOPE}/grader-4242-0/memory.swap.max", "0"),
        ("write", f"{SCOPE}/grader-4242-0/pids.max", "8"),
    ]
    assert group.version == "v2" and fs.group_of(os.getpid()) == leaf
    assert cgroups.hierarchy(fs) == "v2"


def test_v2_a_second_group_and_a_forked_worker_reuse_the_enabled_parent(tmp_path):
    fs = FixtureV2(tmp_path, "/" + SCOPE)
    _group(fs, "grader-4242-0")
    fs.log.clear()
    _group(fs, "grader-4242-1")  # the grader, now in grader-main, finds its scope as the parent
    assert [entry[:2] for entry in fs.log][:1] == [("mkdir", f"{SCOPE}/grader-4242-1")]
    assert not any(entry[1].endswith("subtree_control") for entry in fs.log)


def test_v2_in_the_root_group_nothing_moves(tmp_path):
    fs = FixtureV2(tmp_path, "/")
    _group(fs)
    assert fs.log[:2] == [
        ("write", "cgroup.subtree_control", "+cpu +memory +pids"),
        ("mkdir", "grader-4242-0"),
    ]
    assert fs.group_of(os.getpid()) == "."


def test_v2_as_root_in_a_service_group_uses_a_child_of_it(tmp_path):
    fs = FixtureV2(tmp_path, "/system.slice/grader.service")
    group = _group(fs)
    assert group.paths == {"": os.path.join(fs.root, "system.slice/grader.service/grader-4242-0")}
    assert fs.group_of(os.getpid()) == "system.slice/grader.service/grader-main"


def test_v2_without_swap_accounting_no_swap_limit_is_written(tmp_path):
    fs = FixtureV2(tmp_path, "/" + SCOPE, swap=False)
    _group(fs)
    assert not any(entry[1].endswith("memory.swap.max") for entry in fs.log)


@pytest.mark.parametrize("offered", [("memory", "pids"), ("cpu", "memory"), ()])
def test_v2_without_every_controller_no_group_is_made_and_nothing_is_left(tmp_path, offered):
    fs = FixtureV2(tmp_path, "/" + SCOPE, offered=offered)
    with pytest.raises(OSError):
        _group(fs)
    assert fs.log == [] and not cgroups.probe(fs) and cgroups.hierarchy(fs) is None


def test_v2_refused_controllers_leave_no_group(tmp_path, monkeypatch):
    """A scope systemd did not delegate: the subtree_control write fails, no group is left."""
    fs = FixtureV2(tmp_path, "/" + SCOPE)
    real = fs.write

    def refuse(path, value):
        if path.endswith("cgroup.subtree_control"):
            raise PermissionError(13, "not delegated", path)
        real(path, value)

    monkeypatch.setattr(fs, "write", refuse)
    assert not cgroups.probe(fs)
    assert not os.path.exists(os.path.join(fs.root, SCOPE, "grader-4242-0"))


def test_v2_enter_joins_the_one_group_and_open_procs_gives_one_descriptor_on_it(tmp_path):
    fs = FixtureV2(tmp_path, "/" + SCOPE)
    group = _group(fs)
    fs.log.clear()
    group.enter()
    assert fs.log == [("write", f"{SCOPE}/grader-4242-0/cgroup.procs", str(os.getpid()))]
    assert fs.group_of(os.getpid()) == f"{SCOPE}/grader-4242-0" and group.pids() == [os.getpid()]
    fds = group.open_procs()
    try:
        assert [os.readlink(f"/proc/self/fd/{fd}") for fd in fds] == [
            os.path.join(fs.root, SCOPE, "grader-4242-0", "cgroup.procs")
        ]
        assert all(os.get_inheritable(fd) is False for fd in fds)
    finally:
        for fd in fds:
            os.close(fd)
    fs.write(os.path.join(fs.root, SCOPE, "grader-main", "cgroup.procs"), "0")  # back, for remove


def test_v2_kill_all_uses_cgroup_kill(tmp_path, sleeper):
    fs = FixtureV2(tmp_path, "/" + SCOPE)
    group = _group(fs)
    fs.write(os.path.join(group.paths[""], "cgroup.procs"), sleeper.pid)
    fs.log.clear()
    group.kill_all()
    assert sleeper.wait(timeout=5) == -9
    assert fs.log == [("write", f"{SCOPE}/grader-4242-0/cgroup.kill", "1")]
    assert group.pids() == []


def test_v2_before_linux_5_14_kill_all_freezes_kills_and_thaws(tmp_path, sleeper):
    fs = FixtureV2(tmp_path, "/" + SCOPE, kill=False)
    group = _group(fs)
    fs.write(os.path.join(group.paths[""], "cgroup.procs"), sleeper.pid)
    fs.log.clear()
    group.kill_all()
    assert sleeper.wait(timeout=5) == -9
    assert fs.log == [
        ("write", f"{SCOPE}/grader-4242-0/cgroup.freeze", "1"),
        ("write", f"{SCOPE}/grader-4242-0/cgroup.freeze", "0"),
    ]


def test_v2_peak_memory_is_the_groups_memory_peak(tmp_path):
    fs = FixtureV2(tmp_path, "/" + SCOPE)
    group = _group(fs)
    with open(os.path.join(group.paths[""], "memory.peak"), "w") as f:
        f.write(f"{3 * 1024 * MB}\n")
    assert group.peak_memory_mb() == 3 * 1024


def test_v2_remove_removes_the_group(tmp_path):
    fs = FixtureV2(tmp_path, "/" + SCOPE)
    group = _group(fs)
    folder = group.paths[""]
    group.remove()
    assert not os.path.exists(folder) and fs.log[-1] == ("rmdir", f"{SCOPE}/grader-4242-0")
    assert os.path.isdir(os.path.join(fs.root, SCOPE, "grader-main"))  # the grader's leaf stays


def _dead_pid():
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_v2_sweep_kills_and_removes_orphans_only(tmp_path, sleeper):
    fs = FixtureV2(tmp_path, "/" + SCOPE)
    dead = _dead_pid()
    orphan = _group(fs, f"grader-{dead}-3")
    live = _group(fs, f"grader-{os.getpid()}-0")
    fs.write(os.path.join(orphan.paths[""], "cgroup.procs"), sleeper.pid)  # a survivor of a killed run
    cgroups.sweep(fs)
    assert sleeper.wait(timeout=5) == -9
    assert not os.path.exists(orphan.paths[""])
    assert os.path.isdir(live.paths[""]) and os.path.isdir(os.path.join(fs.root, SCOPE, "grader-main"))


def test_v1_writes_each_controllers_limit_in_its_own_group(tmp_path):
    fs = FixtureV1(tmp_path, "/process_api/abc")
    group = _group(fs)
    base = "process_api/abc/grader-4242-0"
    assert fs.log == [
        ("mkdir", f"cpu/{base}"),
        ("mkdir", f"memory/{base}"),
        ("mkdir", f"pids/{base}"),
        ("write", f"cpu/{base}/cpu.cfs_period_us", "100000"),
        ("write", f"cpu/{base}/cpu.cfs_quota_us", "100000"),
        ("write", f"memory/{base}/memory.limit_in_bytes", str(100 * MB)),
        ("write", f"pids/{base}/pids.max", "8"),
    ]
    assert group.version == "v1" and cgroups.hierarchy(fs) == "v1"
    fds = group.open_procs()
    try:
        assert len(fds) == 3
    finally:
        for fd in fds:
            os.close(fd)
    fs.log.clear()
    group.enter()
    assert [entry[1] for entry in fs.log] == [f"{c}/{base}/cgroup.procs" for c in cgroups.CONTROLLERS]


def test_a_hybrid_machine_uses_v1(tmp_path):
    """Like this project's machines: v1 controllers, and a v2 mount without them."""
    fs = FixtureV1(tmp_path)
    os.makedirs(os.path.join(fs.root, "unified"))
    with open(os.path.join(fs.root, "unified", "cgroup.controllers"), "w") as f:
        f.write("hugetlb\n")
    assert cgroups.hierarchy(fs) == "v1" and cgroups.probe(fs)
