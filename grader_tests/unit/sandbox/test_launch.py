"""The sandbox's pieces without starting it: kernel uids, bubblewrap's options (the seccomp programs: test_seccomp)."""

import os

import pytest

from grader import ROOT
from grader import messages as msg
from grader.limits import Limits
from grader.sandbox import launch as sandbox
from grader.sandbox import seccomp

# --- kernel uids ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_mapped_namespace(monkeypatch):
    """No namespace of subordinate ids unless a test gives one (these tests fake other users)."""
    monkeypatch.setattr(sandbox, "mapped", lambda: None)


@pytest.fixture
def uid_locks(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "UID_LOCKS", str(tmp_path / "uids"))
    return tmp_path / "uids"


def test_two_holders_get_distinct_uids(uid_locks):
    first, second = sandbox.KernelUid(), sandbox.KernelUid()
    try:
        assert first.uid != second.uid
        for holder in (first, second):
            assert sandbox.UID_BASE <= holder.uid < sandbox.UID_BASE + sandbox.UID_COUNT
        assert {p.name for p in uid_locks.iterdir()} >= {str(first.uid), str(second.uid)}
    finally:
        first.release()
        second.release()


def test_a_released_uid_is_given_again(uid_locks, monkeypatch):
    monkeypatch.setattr(sandbox, "UID_COUNT", 2)
    first, second = sandbox.KernelUid(), sandbox.KernelUid()
    assert {first.uid, second.uid} == {sandbox.UID_BASE, sandbox.UID_BASE + 1}
    with pytest.raises(RuntimeError, match="no free kernel uid"):
        sandbox.KernelUid()
    first.release()
    third = sandbox.KernelUid()
    assert third.uid == first.uid
    second.release()
    third.release()
    third.release()  # idempotent


def test_a_uid_held_by_another_process_is_not_given(uid_locks, monkeypatch):
    monkeypatch.setattr(sandbox, "UID_COUNT", 1)
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # another grading run on the same machine, holding the only uid
        try:
            os.close(ready_r)
            os.close(done_w)
            holder = sandbox.KernelUid()
            os.write(ready_w, b"1")
            os.read(done_r, 1)
            holder.release()
        finally:
            os._exit(0)
    os.close(ready_w)
    os.close(done_r)
    try:
        assert os.read(ready_r, 1) == b"1"
        with pytest.raises(RuntimeError):
            sandbox.KernelUid()
    finally:
        os.write(done_w, b"1")
        os.waitpid(pid, 0)
        os.close(ready_r)
        os.close(done_w)
    sandbox.KernelUid().release()  # free again once the other run let it go


# --- bubblewrap's options ------------------------------------------------------------------


@pytest.fixture
def launch(tmp_path, monkeypatch):
    """A ``Launch`` as the kernel builds it, bubblewrap assumed to work."""
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: True)
    monkeypatch.setattr(sandbox, "_bwrap", lambda: "/usr/bin/bwrap")
    workdir = tmp_path / "work"
    workdir.mkdir()
    for name in ("_grader_kernel.py", "testCases.py"):
        (workdir / name).write_text("")
    made = []

    def make(uid=None, **options):
        result = sandbox.command(
            [sandbox.python_inside(), "-I", "_grader_kernel.py"], str(workdir), Limits(), uid, **options
        )
        made.append(result)
        return result

    yield make
    for result in made:
        result.close()


def _options(launch):
    index = launch.argv.index("--args")
    fd = int(launch.argv[index + 1])
    assert fd in launch.fds
    data = os.pread(fd, os.fstat(fd).st_size, 0)
    assert data.endswith(b"\0")
    return [a.decode() for a in data[:-1].split(b"\0")]


def _binds(options):
    return [(options[i + 1], options[i + 2]) for i, a in enumerate(options) if a == "--ro-bind"]


def _under(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _setup(result):
    """``(setup arguments, program)`` of the mount step that runs first in the sandbox."""
    program = result.argv[result.argv.index("--") + 1 :]
    assert program[:5] == [sandbox.python_inside(), "-I", "-S", "-c", sandbox._setup_program()]
    end = program.index("--", 5)
    return program[5:end], program[end + 1 :]


def test_no_host_path_of_the_course_is_on_the_command_line(launch):
    result = launch()
    assert not any(ROOT in arg or sandbox.sys.prefix in arg for arg in result.argv)
    assert _setup(result)[1] == [sandbox.python_inside(), "-I", "_grader_kernel.py"]


def test_the_mount_step_gets_the_sizes_and_the_inode_limit(launch, monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    limits, mb = Limits(), 1024 * 1024
    arguments, _ = _setup(launch())
    assert arguments == [
        sandbox.INSIDE,
        str(limits.disk_mb * mb),
        str(limits.shm_mb * mb),
        "10000",
        "-",
        "-",
        seccomp.kernel_program().hex(),
        "-",  # no RLIMIT_NPROC set by the mount step without a uid of its own
    ]
    assert str(limits.tmp_inodes) == "10000"


def test_a_kernel_gets_the_kernels_filter_and_a_zygote_only_bubblewraps(launch, monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    options = _options(launch())
    fd = int(options[options.index("--seccomp") + 1])
    assert os.pread(fd, 1 << 16, 0) == seccomp.program()
    zygote = launch(keep_caps=("CAP_SYS_ADMIN",), zygote=True)
    arguments, _ = _setup(zygote)
    assert arguments[-2:] == ["-", "-"]
    options = _options(zygote)
    fd = int(options[options.index("--seccomp") + 1])
    assert os.pread(fd, 1 << 16, 0) == seccomp.program()


def test_not_as_root_the_mount_step_alone_gets_capabilities_and_then_the_real_uid(launch, monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sandbox.os, "getuid", lambda: 1000)
    monkeypatch.setattr(sandbox.os, "getgid", lambda: 1001)
    result = launch()
    options = _options(result)
    assert options[:9] == [
        "--unshare-user",
        "--uid",
        "0",
        "--gid",
        "0",
        "--cap-add",
        "CAP_SYS_ADMIN",
        "--cap-add",
        "CAP_SETFCAP",
    ]
    arguments, program = _setup(result)
    assert arguments[-4:] == ["1000", "1001", seccomp.kernel_program().hex(), "-"]
    assert program == [sandbox.python_inside(), "-I", "_grader_kernel.py"]


def test_the_mount_step_is_standalone_code():
    source = sandbox._setup_program()
    compile(source, "<setup>", "exec")
    assert "grader" not in source.replace("_mount_bounded_tmpfs", "")
    assert source.rstrip().endswith("_mount_bounded_tmpfs(__import__('sys').argv[1:])")


def test_the_root_and_dev_are_read_only(launch):
    options = _options(launch())
    pairs = [options[i + 1] for i, a in enumerate(options) if a == "--remount-ro"]
    assert pairs == ["/", "/dev"]
    # After every mount bubblewrap makes below them, or a later one would be refused.
    assert options.index("--remount-ro") > max(i for i, a in enumerate(options) if a in ("--file", "--dir"))


def test_the_descriptors_bubblewrap_reads_are_never_the_kernels_channel(launch):
    assert all(fd >= 10 for fd in launch().fds)


def test_the_course_root_is_only_ever_a_bind_source(launch):
    options = _options(launch())
    binds = _binds(options)
    sources = {i + 1 for i, a in enumerate(options) if a == "--ro-bind"}
    for i, arg in enumerate(options):
        if ROOT in arg:
            assert i in sources, f"course path in {options[i - 1]} {arg}"
    for source, destination in binds:
        assert not _under(destination, ROOT), (source, destination)
        assert not destination.startswith(os.path.realpath(sandbox.sys.prefix))


def test_the_environment_appears_at_the_neutral_path(launch):
    binds = dict(_binds(_options(launch())))
    if sandbox.sys.prefix != sandbox.sys.base_prefix:
        assert binds[sandbox.sys.prefix] == sandbox.ENV_INSIDE
        assert sandbox.python_inside().startswith(sandbox.ENV_INSIDE + "/")


def test_only_the_workdir_files_and_system_folders_are_visible(launch, tmp_path):
    binds = _binds(_options(launch()))
    workdir = str(tmp_path / "work")
    allowed = set(sandbox.SYSTEM_PATHS) | {
        sandbox.ENV_INSIDE,
        sandbox.INSIDE,
        os.path.realpath(sandbox.sys.base_prefix),
        sandbox.sys.base_prefix,
        os.path.dirname(os.path.realpath(sandbox.sys.executable)),
    }
    for source, destination in binds:
        if _under(source, workdir):
            assert destination == os.path.join(sandbox.INSIDE, os.path.basename(source))
        else:
            assert any(_under(destination, folder) for folder in allowed), destination
    # The workdir's files are copied in (``--file``), never bind-mounted: no mount names the
    # host's temporary folder.
    options = _options(launch())
    copied = {options[i + 2] for i, a in enumerate(options) if a == "--file"}
    assert copied == {f"{sandbox.INSIDE}/_grader_kernel.py", f"{sandbox.INSIDE}/testCases.py"}
    assert not [s for s, _ in binds if _under(s, workdir)]


def test_the_sandbox_unshares_what_it_says(launch):
    options = _options(launch())
    for flag in (
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
    ):
        assert flag in options
    tmpfs = [options[i - 2 : i + 2] for i, a in enumerate(options) if a == "--tmpfs"]
    assert ["--size", str(Limits().disk_mb * 1024 * 1024), "--tmpfs", "/tmp"] in tmpfs
    assert ["--size", str(Limits().shm_mb * 1024 * 1024), "--tmpfs", "/dev/shm"] in tmpfs


def test_the_seccomp_program_travels_by_descriptor(launch):
    if not seccomp.supported():
        pytest.fail(f"no seccomp table for {seccomp.platform.machine()}")
    result = launch()
    options = _options(result)
    fd = int(options[options.index("--seccomp") + 1])
    assert fd in result.fds
    assert os.pread(fd, 1 << 16, 0) == seccomp.program()


def test_a_kernel_uid_runs_the_program_through_setpriv(launch):
    result = launch(uid=234_567)
    _, program = _setup(result)
    assert program[0].endswith("setpriv")
    assert {"--reuid=234567", "--regid=234567", "--clear-groups", "--no-new-privs"} <= set(program)
    assert program[-3:] == [sandbox.python_inside(), "-I", "_grader_kernel.py"]
    assert "--unshare-user" not in _options(result)


def _zygote_command(tmp_path, caps):
    workdir = tmp_path / "zygote"
    workdir.mkdir()
    (workdir / "_grader_kernel.py").write_text("")
    return sandbox.command(
        [sandbox.python_inside(), "-I", "_grader_kernel.py", "--zygote"],
        str(workdir),
        Limits(),
        keep_caps=caps,
        zygote=True,  # as grader.sandbox.zygote starts one
    )


def test_as_root_a_zygote_keeps_only_its_capabilities_in_the_machines_user_namespace(
    launch, tmp_path, monkeypatch
):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    result = _zygote_command(tmp_path, ("CAP_SYS_ADMIN", "CAP_SETUID"))
    try:
        options = _options(result)
        assert "--unshare-user" not in options and "--uid" not in options
        tail = options[options.index("--cap-drop") :]
        assert tail[:6] == ["--cap-drop", "ALL", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETUID"]
        arguments, program = _setup(result)
        assert arguments[-2:] == ["-", "-"]  # the mount step stays: no user namespace of its own
        assert program == [sandbox.python_inside(), "-I", "_grader_kernel.py", "--zygote"]
    finally:
        result.close()


def test_a_normal_users_zygote_is_root_of_a_user_namespace_holding_only_its_capabilities(
    launch, tmp_path, monkeypatch
):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sandbox.os, "getuid", lambda: 1000)
    result = _zygote_command(tmp_path, ("CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETFCAP"))
    try:
        options = _options(result)
        assert options[:5] == ["--unshare-user", "--uid", "0", "--gid", "0"]
        assert options.count("--unshare-user") == 1
        tail = options[options.index("--cap-drop") :]
        assert tail[:8] == ["--cap-drop", "ALL"] + [
            a for cap in ("CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETFCAP") for a in ("--cap-add", cap)
        ]
        assert options.count("--cap-add") == 3  # not the cold kernel's mount step's as well
        arguments, program = _setup(result)
        # The bounded /tmp and /dev/shm, then the zygote itself, still root of that namespace: the
        # mount step makes no user namespace of its own for it (each kernel makes its own).
        assert arguments[-2:] == ["-", "-"]
        assert program == [sandbox.python_inside(), "-I", "_grader_kernel.py", "--zygote"]
    finally:
        result.close()


@pytest.mark.parametrize(
    "euid, uid_per_kernel, bubblewrap, expected",
    [
        (0, True, True, True),  # root: a uid of its own per kernel
        (0, False, True, False),  # root without setpriv: no uid per kernel, so cold
        (1000, False, True, True),  # a normal user with user namespaces: the user's uid, as cold
        (1000, False, False, False),  # no user namespaces (the instructor opted in): cold
        (0, False, False, False),
    ],
)
def test_where_warm_kernels_are_supported(monkeypatch, euid, uid_per_kernel, bubblewrap, expected):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: euid)
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: bubblewrap)
    monkeypatch.setattr(sandbox, "separate_uid", lambda: uid_per_kernel and bubblewrap and euid == 0)
    monkeypatch.setattr(seccomp, "supported", lambda: True)
    assert sandbox.warm_supported() == expected
    assert sandbox.warm_kernels({}) == expected
    assert not sandbox.warm_kernels({sandbox.WARM: "0"})


def test_without_seccomp_or_pidfds_kernels_stay_cold(monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: True)
    monkeypatch.setattr(seccomp, "supported", lambda: False)
    assert not sandbox.warm_supported()
    monkeypatch.setattr(seccomp, "supported", lambda: True)
    monkeypatch.delattr(sandbox.os, "pidfd_open")
    assert not sandbox.warm_supported()


def test_close_closes_the_descriptors(launch):
    result = launch()
    fds = list(result.fds)
    result.close()
    assert result.fds == []
    for fd in fds:
        with pytest.raises(OSError):
            os.fstat(fd)


def test_without_bubblewrap_the_program_runs_as_given(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: False)
    result = sandbox.command(["python", "k.py"], str(tmp_path), Limits())
    assert (result.argv, result.cwd, result.inside, result.fds) == (
        ["python", "k.py"],
        str(tmp_path),
        str(tmp_path),
        [],
    )


# --- the process limit in every mode ------------------------------------------------------------


def _fake_proc(folder, processes, children_files=False):
    """A /proc with ``{pid: (real uid, threads, parent pid, state)}``.

    ``children_files``: each process also has ``task/<pid>/children`` (Linux with
    ``CONFIG_PROC_CHILDREN``), listing its children.
    """
    for pid, (uid, threads, ppid, state) in processes.items():
        (folder / str(pid)).mkdir(parents=True)
        (folder / str(pid) / "status").write_text(
            f"Name:\tx\nState:\t{state} (x)\nPPid:\t{ppid}\n"
            f"Uid:\t{uid}\t0\t0\t0\nThreads:\t{threads}\nVmHWM:\t   2048 kB\n"
        )
        # A name with a space and a parenthesis, as a process may give itself.
        (folder / str(pid) / "stat").write_text(f"{pid} (a) b) {state} {ppid} {pid} {pid} 0 -1 4194560\n")
        task = folder / str(pid) / "task" / str(pid)
        task.mkdir(parents=True)
        if children_files:
            kids = [str(child) for child, fields in processes.items() if fields[2] == pid]
            (task / "children").write_text("".join(kid + " " for kid in kids))
    (folder / "self").mkdir()
    return str(folder)


def test_user_tasks_counts_the_threads_of_the_users_processes_by_real_uid(tmp_path):
    proc = _fake_proc(
        tmp_path, {1: (0, 1, 0, "S"), 10: (1000, 4, 1, "S"), 11: (1000, 1, 10, "R"), 12: (1001, 9, 1, "S")}
    )
    assert sandbox.user_tasks(1000, proc) == 5 and sandbox.user_tasks(1002, proc) == 0
    assert sandbox.user_tasks(os.getuid()) >= 1  # the real /proc: this process at least


@pytest.mark.parametrize("children_files", [True, False], ids=["children-files", "parent-links"])
def test_descendants_leave_out_zombies_but_not_their_children(tmp_path, children_files):
    processes = {
        1: (0, 1, 0, "S"),
        10: (0, 1, 1, "S"),
        11: (0, 1, 10, "Z"),
        12: (0, 1, 11, "S"),
        13: (0, 1, 1, "S"),
        14: (0, 1, 12, "R"),
        15: (0, 1, 13, "S"),
    }
    proc = _fake_proc(tmp_path, processes, children_files)
    assert sorted(sandbox.descendants(10, proc)) == [12, 14]
    assert sorted(sandbox.descendants(1, proc)) == [10, 12, 13, 14, 15]
    assert sandbox.descendants(14, proc) == [] and sandbox.descendants(99, proc) == []


def test_descendants_read_every_threads_children(tmp_path):
    """``children`` is per thread: a child forked by a second thread is found too."""
    proc = _fake_proc(tmp_path, {10: (0, 2, 1, "S"), 11: (0, 1, 10, "S"), 12: (0, 1, 10, "S")}, True)
    (tmp_path / "10" / "task" / "10" / "children").write_text("11 ")
    (tmp_path / "10" / "task" / "20").mkdir()
    (tmp_path / "10" / "task" / "20" / "children").write_text("12 ")
    assert sorted(sandbox.descendants(10, proc)) == [11, 12]


@pytest.mark.parametrize(
    "euid, own_uid, expected",
    [
        (0, True, 64),  # root, a uid per kernel: the submission's own count
        (0, False, None),  # root without: exempt from RLIMIT_NPROC, the cgroup's pids.max alone
        (1000, False, 500 + 64),  # a normal user: what it runs now, plus the submission's
    ],
)
def test_the_process_limit_of_each_mode(monkeypatch, euid, own_uid, expected):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: euid)
    monkeypatch.setattr(sandbox, "user_tasks", lambda uid: 500)
    assert sandbox.process_limit(Limits(processes=64), own_uid) == expected


def test_the_process_limit_is_active_for_a_normal_user_without_cgroups(monkeypatch):
    from grader.sandbox import cgroups

    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(cgroups, "available", lambda: False)
    assert sandbox.process_limit_active()
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "separate_uid", lambda: False)
    assert not sandbox.process_limit_active()


@pytest.mark.parametrize("nproc, expected", [(None, "unlimited"), (True, "64"), (4321, "4321")])
def test_preexec_sets_the_process_limit_it_is_given(nproc, expected):
    import resource
    import subprocess
    import sys

    code = "import resource; print(resource.getrlimit(resource.RLIMIT_NPROC)[0])"
    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    out = subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=sandbox.preexec(Limits(processes=64), nproc=nproc),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if expected == "unlimited":
        assert int(out) in (resource.getrlimit(resource.RLIMIT_NPROC)[0], hard, resource.RLIM_INFINITY)
    else:
        assert out == expected


@pytest.mark.parametrize(
    "euid, can_raise, nproc, hard, expected",
    [
        (1000, None, 600, 500, 500),  # a normal user cannot raise its hard limit
        (1000, None, 400, 500, 400),
        (0, None, 600, 500, 600),  # root can
        (0, False, 600, 500, 500),  # a warm kernel cannot, even as root (no CAP_SYS_RESOURCE)
        (1000, False, 600, "unlimited", 600),
        (1000, False, None, 500, None),
    ],
)
def test_the_process_limit_never_asks_for_more_than_can_be_set(
    monkeypatch, euid, can_raise, nproc, hard, expected
):
    import resource

    hard = resource.RLIM_INFINITY if hard == "unlimited" else hard
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: euid)
    monkeypatch.setattr(sandbox.resource, "getrlimit", lambda which: (100, hard))
    assert sandbox.capped_nproc(nproc, can_raise) == expected


def test_a_fork_that_fails_for_want_of_processes_is_tried_again(monkeypatch):
    monkeypatch.setattr(sandbox.time, "sleep", lambda seconds: pauses.append(seconds))
    pauses, failures = [], [BlockingIOError(11, "again")] * 2

    def start():
        if failures:
            raise failures.pop()
        return "started"

    assert sandbox.retry_fork(start, attempts=3, pause=0.1) == "started" and pauses == [0.1, 0.2]
    failures[:] = [BlockingIOError(11, "again")] * 3
    with pytest.raises(BlockingIOError):
        sandbox.retry_fork(start, attempts=3, pause=0.1)


# --- a submission's processes without a cgroup: peak memory and what is left --------------------


def test_descendants_and_their_peak_memory_cover_the_whole_tree():
    import subprocess

    shell = subprocess.Popen(["sh", "-c", "sleep 30 & sleep 30 & wait"])
    try:
        for _ in range(100):
            found = sandbox.descendants(shell.pid)
            if len(found) == 2:
                break
            import time

            time.sleep(0.02)
        assert len(found) == 2 and shell.pid not in found
        alone = sandbox.memory_mb([shell.pid])
        assert sandbox.memory_mb([shell.pid, *found]) > alone > 0
        assert sandbox.memory_mb([shell.pid], "VmHWM") >= alone
    finally:
        sandbox.kill_descendants(shell.pid)
        assert sandbox.descendants(shell.pid) == []
        shell.kill()
        shell.wait()


def test_a_subreaper_worker_kills_the_processes_a_kernel_detached(tmp_path):
    """Without bubblewrap's PID namespace a double fork escapes its parent: not a subreaper's tree."""
    import subprocess
    import time

    marker = tmp_path / "pid"
    pid = os.fork()
    if pid == 0:
        try:
            sandbox.become_subreaper()
            subprocess.run(["sh", "-c", f"setsid sleep 60 & echo $! > {marker}"], check=True)
            survivor = int(marker.read_text())
            for _ in range(100):  # adopted once its shell exited
                if survivor in sandbox.descendants(os.getpid()):
                    break
                time.sleep(0.02)
            else:
                os._exit(3)
            sandbox.kill_descendants()
            os._exit(0 if not sandbox.descendants(os.getpid()) else 2)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    survivor = int(marker.read_text())
    assert not os.path.exists(f"/proc/{survivor}") or "Z" in open(f"/proc/{survivor}/stat").read().split()[2]


@pytest.mark.parametrize("bwrap", [True, False])
@pytest.mark.parametrize("machine", ["x86_64", "aarch64", "riscv64"])
def test_the_protections_name_the_kernels_filter_where_it_holds(monkeypatch, bwrap, machine):
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: bwrap)
    monkeypatch.setattr(sandbox, "separate_uid", lambda: False)
    monkeypatch.setattr(seccomp.platform, "machine", lambda: machine)
    active = sandbox.protections()[msg.PROTECTION_NO_USERNS]
    assert active == (bwrap and machine != "riscv64")
    assert "/" in msg.PROTECTION_NO_USERNS and "user namespace" in msg.PROTECTION_NO_USERNS
    assert f"{msg.PROTECTION_NO_USERNS}: {'on' if active else 'OFF'}" in sandbox.protections_line()
