"""A warm kernel (grader.sandbox.zygote) seen from inside, against a cold one (grader.sandbox.kernel).

What a fork inherits that a fresh process would not is the risk of a zygote: each test
here looks at one such thing from inside the kernel, where student code would, and
compares it with a cold kernel's view (uid and gid, groups, capabilities, no_new_privs,
seccomp, namespaces, mounts, rlimits, open descriptors, environment, signal
dispositions, threads, random states), or checks that nothing one warm kernel leaves
(files in ``/tmp`` and ``/dev/shm``, SysV IPC, an abstract socket, a daemon) reaches
the next one.  Warm kernels are used wherever bubblewrap isolates (``launch.warm_supported``):
as root, and as a normal user with user namespaces, with and without subordinate ids
(``grader.sandbox.subids``), whose views (taken by a normal uid of this machine,
``grader_tests.helpers.modes``, ``grader_tests.helpers.warm_views``) every comparison is made
on too.
"""

import json
import os
import shutil
import socket
import sys

import pytest

from grader import ROOT
from grader import messages as msg
from grader.sandbox import launch as sandbox
from grader.sandbox import zygote
from grader.sandbox.kernel import KernelDied
from grader_tests.helpers import modes
from grader_tests.helpers import warm_views as views_helper

LIMITS = views_helper.LIMITS


@pytest.fixture(scope="module")
def helpers():
    return views_helper.helpers()


@pytest.fixture(scope="module")
def the_zygote(helpers):
    z = zygote.Zygote(helpers, LIMITS)
    z.wait_ready()
    yield z
    z.close()


def _workdir(tmp_path_factory, helpers):
    folder = tmp_path_factory.mktemp("kernel")
    for name, data in helpers.items():
        (folder / name).write_bytes(data)
    return str(folder)


_text = views_helper.text


@pytest.fixture(scope="module")
def root_views(tmp_path_factory, helpers, the_zygote):
    """A cold kernel's view and two warm kernels' views (the two warm ones alive at once), each
    taken after the notebook's import cell (the random states before it), as root."""
    cold, warm, _ = views_helper.views(the_zygote, helpers, str(tmp_path_factory.mktemp("views")))
    return cold, warm


def _views_of_a_normal_user(subordinate):
    """The views taken by a normal user with user namespaces (``grader_tests.helpers.modes``), with
    the user's uid and the grading process's namespaces; ``subordinate``: the user has a range
    of subordinate ids (``modes.subordinate_ids``)."""
    assert os.geteuid() == 0, "producing a normal user's mode needs root (as the integration tier runs)"
    # Not under /tmp, which the mode covers.
    home = os.path.join(ROOT, "build", f"warm-user-{os.getpid()}-{int(subordinate)}")
    out = os.path.join(home, "views.json")
    # The normal user: a uid no other test run on the machine uses meanwhile.
    with modes.spare_uid() as uid:
        try:
            argv = [sys.executable, "-m", "grader_tests.helpers.warm_views", out]
            run = modes.run_as(uid, argv, home, subordinate=subordinate)
            assert run.returncode == 0, run.stdout + run.stderr
            with open(out) as f:
                return dict(json.load(f), expected_uid=uid)
        finally:
            shutil.rmtree(home, ignore_errors=True)  # the user's copy of the course


@pytest.fixture(scope="module")
def user_views():
    """A normal user without subordinate ids: its kernels keep its uid."""
    return _views_of_a_normal_user(subordinate=False)


@pytest.fixture(scope="module")
def subordinate_views():
    """A normal user with a range of subordinate ids, which the grader maps (``newuidmap``)."""
    return _views_of_a_normal_user(subordinate=True)


@pytest.fixture(scope="module", params=["root", "normal user", "normal user, subordinate ids"])
def views(request):
    """``(cold view, [warm views])`` in each mode warm kernels are used in."""
    if request.param == "root":
        return request.getfixturevalue("root_views")
    found = request.getfixturevalue("user_views" if request.param == "normal user" else "subordinate_views")
    return found["cold"], found["warm"]


def test_warm_kernels_are_used_where_bubblewrap_isolates_as_root_and_as_a_normal_user(
    user_views, subordinate_views
):
    assert sandbox.warm_supported() == (os.geteuid() == 0 and sandbox.bwrap_works())
    assert sandbox.warm_kernels({}) == sandbox.warm_supported()
    assert not sandbox.warm_kernels({sandbox.WARM: "0"})
    for found in (user_views, subordinate_views):
        assert found["warm_supported"] and msg.KERNELS_WARM in found["protections_line"]
    # Without subordinate ids the line says why the kernels share the user's uid, and what would help.
    shared = msg.SHARED_UID.split("{reason}")[0]
    assert f"{sandbox.UID_OF_ITS_OWN}: OFF" in user_views["protections_line"]
    assert shared in user_views["protections_line"] and "subuid" in user_views["protections_line"]
    assert f"{sandbox.UID_OF_ITS_OWN}: on" in subordinate_views["protections_line"]
    assert shared not in subordinate_views["protections_line"]


@pytest.mark.parametrize(
    "field",
    ["pid", "mounts", "rlimits", "fds", "env", "cwd", "files", "hostname", "writable", "sys_path", "id_maps"],
)
def test_a_warm_kernel_sees_what_a_cold_one_sees(views, field):
    cold, warm = views
    if field == "rlimits":  # a normal user's process limit depends on what the user runs now (below)
        cold, warm = _without_nproc(cold), [_without_nproc(v) for v in warm]
    assert warm[0][field] == cold[field]
    assert warm[1][field] == cold[field]


def _without_nproc(view):
    return dict(view, rlimits={k: v for k, v in view["rlimits"].items() if k != "RLIMIT_NPROC"})


def test_the_process_limit_is_a_cold_kernels(views):
    """Root: ``limits.processes`` (a uid of its own).  A normal user: what the user ran when the
    kernel started plus ``limits.processes`` (``launch.process_limit``): a handful here."""
    cold, warm = views
    for view in [cold, *warm]:
        soft, hard = view["rlimits"]["RLIMIT_NPROC"]
        assert soft == hard
        if view["ids"][0][0] in modes.SPARE_UIDS:  # the normal user's own uid: a shared budget
            assert LIMITS.processes < soft < LIMITS.processes + 30, soft
        else:  # a uid of its own (root's kernel uids, or a subordinate id)
            assert soft == LIMITS.processes


@pytest.mark.parametrize(
    "name",
    ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "SigBlk", "SigIgn", "SigCgt"],
)
def test_capabilities_no_new_privs_seccomp_and_signals_are_a_cold_kernels(views, name):
    cold, warm = views
    assert warm[0]["status"][name] == warm[1]["status"][name] == cold["status"][name]


def test_no_capability_at_all_and_no_new_privileges(views):
    _, warm = views
    for view in warm:
        for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(view["status"][name][0], 16) == 0, name
        assert view["status"]["NoNewPrivs"] == ["1"]
        assert view["status"]["Seccomp"] == ["2"]  # the filter bubblewrap installed on the zygote


def test_each_warm_kernel_has_a_uid_and_gid_of_its_own_and_no_groups(root_views):
    cold, warm = root_views
    for view in [cold, *warm]:
        (uids, gids, groups) = view["ids"]
        assert len(set(uids)) == 1 and len(set(gids)) == 1 and uids[0] == gids[0]
        assert uids[0] in range(sandbox.UID_BASE, sandbox.UID_BASE + sandbox.UID_COUNT)
        assert groups == []
    assert warm[0]["ids"][0] != warm[1]["ids"][0]


def test_with_subordinate_ids_each_kernel_of_a_normal_user_has_one_of_them(subordinate_views):
    cold, warm, user = subordinate_views["cold"], subordinate_views["warm"], subordinate_views["uid"]
    start, count = modes.subordinate_ids(user)
    assert user == subordinate_views["expected_uid"]
    for view in [cold, *warm]:
        (uids, gids, groups) = view["ids"]
        # Seen from the grader's namespace (where the user is uid 0), ids 1 to count are the range.
        assert len(set(uids)) == 1 and len(set(gids)) == 1 and uids[0] == gids[0]
        assert 1 <= uids[0] <= count and groups == []
        # The user onto 0, the range onto 1..count: no other id of the machine.
        assert view["id_maps"][0] == view["id_maps"][1] == ["0", str(user), "1", "1", str(start), str(count)]
        assert view["id_maps"][2] == ["allow"]  # as root's kernels: setgroups is the kernel's to refuse
    assert len({v["ids"][0][0] for v in [cold, *warm]}) == 3  # the two warm ones live at once, too


def test_with_subordinate_ids_a_normal_users_kernels_share_only_the_graders_user_namespace(
    subordinate_views,
):
    warm, grader = subordinate_views["warm"], subordinate_views["grader_ns"]
    for name in grader:
        first, second = warm[0]["ns"][name], warm[1]["ns"][name]
        if name == "user":  # the grader's namespace of subordinate ids, as root's kernels share root's
            assert first == second != grader[name]
        else:
            assert first != second and grader[name] not in (first, second), name


def test_a_warm_kernel_has_one_thread_and_its_own_pid_namespace(views):
    cold, warm = views
    for view in warm:
        assert view["status"]["Threads"] == ["1"] == cold["status"]["Threads"]
        assert view["processes"] == [1, view["pid"]]  # its pid 1 and itself: no zygote, no neighbour


def test_a_normal_users_warm_kernel_keeps_the_users_uid_as_a_cold_one_does(user_views):
    cold, warm, uid = user_views["cold"], user_views["warm"], user_views["uid"]
    assert uid == user_views["expected_uid"]
    for view in [cold, *warm]:
        assert view["ids"] == [[uid] * 3, [uid] * 3, []]
        # In a user namespace of its own that maps only the user's uid (onto bubblewrap's uid 0).
        assert view["id_maps"] == [[str(uid), "0", "1"], [str(uid), "0", "1"], ["deny"]]


def test_every_namespace_is_a_kernels_own(root_views, the_zygote):
    _, warm = root_views
    names = [n for n in warm[0]["ns"] if n != "user"]  # as root, every kernel is in the machine's
    own = {n: os.readlink(f"/proc/self/ns/{n}") for n in names}
    zygote_pid = _zygote_pid(the_zygote)
    zygote_ns = {n: os.readlink(f"/proc/{zygote_pid}/ns/{n}") for n in names}
    for name in names:
        first, second = warm[0]["ns"][name], warm[1]["ns"][name]
        assert first != second and not {first, second} & {own[name], zygote_ns[name]}, name
    assert warm[0]["ns"]["user"] == warm[1]["ns"]["user"] == os.readlink("/proc/self/ns/user")


def test_a_normal_users_warm_kernel_has_every_namespace_of_its_own_the_user_one_included(user_views):
    warm, grader = user_views["warm"], user_views["grader_ns"]
    for name in grader:
        first, second = warm[0]["ns"][name], warm[1]["ns"][name]
        assert first != second and grader[name] not in (first, second), name


def test_a_warm_kernel_is_in_its_submissions_cgroup(views):
    cold, warm = views
    assert warm[0]["cgroup"] == warm[1]["cgroup"] == cold["cgroup"]


def test_random_states_differ_between_warm_kernels(views):
    _, warm = views
    assert warm[0]["numpy_state"] != warm[1]["numpy_state"]
    assert warm[0]["random_state"] != warm[1]["random_state"]


LEAVE_BEHIND = r"""
import ctypes, os, socket, time
libc = ctypes.CDLL(None, use_errno=True)
for folder in ('/tmp', '/dev/shm', '.'):
    with open(os.path.join(folder, 'grader-marker'), 'w') as f:
        f.write('left behind')
assert libc.shmget(0x6772, 4096, 0o1666) >= 0
assert libc.msgget(0x6772, 0o1666) >= 0
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind('\0grader-marker')
s.listen(1)
if os.fork() == 0:
    os.setsid()
    time.sleep(3600)
print('left')
"""

FIND = r"""
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
found = [p for p in ('/tmp/grader-marker', '/dev/shm/grader-marker', 'grader-marker') if os.path.exists(p)]
if libc.shmget(0x6772, 0, 0) >= 0:
    found.append('SysV segment')
if libc.msgget(0x6772, 0) >= 0:
    found.append('SysV queue')
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect('\0grader-marker')
    found.append('abstract socket')
except OSError:
    pass
print('found', found)
"""


def _uid_processes(uid):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                found.append(int(pid))
        except OSError:
            pass
    return found


def test_nothing_one_warm_kernel_leaves_reaches_the_next(tmp_path_factory, helpers, the_zygote):
    writer = zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote)
    try:
        assert "left" in _text(writer.run(LEAVE_BEHIND))
        uid = writer.uid.uid
    finally:
        writer.close()
    assert not _uid_processes(uid), "the daemon outlived its kernel"
    with zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote) as reader:
        assert _text(reader.run(FIND)).strip() == "found []"


def test_a_killed_warm_kernel_is_reported_as_a_cold_one_is(tmp_path_factory, helpers, the_zygote):
    kernel = zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote)
    try:
        with pytest.raises(KernelDied, match="SIGKILL"):
            kernel.run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    finally:
        kernel.close()
    assert kernel.returncode == -9
    assert kernel.peak_rss_mb() > 0


def test_a_dead_zygote_gives_a_cold_kernel_with_a_note(tmp_path_factory, helpers):
    dead = zygote.Zygote(helpers, LIMITS)
    dead.close()
    zygote.install(dead)
    notes = []
    try:
        kernel = zygote.start_kernel(_workdir(tmp_path_factory, helpers), LIMITS, notes)
    finally:
        zygote.install(None)
    with kernel:
        assert not kernel.warm
        assert _text(kernel.run("print(6 * 7)")) == "42\n"
    assert len(notes) == 1 and "warm kernel" in notes[0]


def _zygote_pid(z):
    """The zygote's pid: the descendant of its bubblewrap that runs ``_grader_kernel.py --zygote``."""
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(pid))
    todo = [z.proc.pid]
    while todo:
        pid = todo.pop()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if f.read().endswith(b"_grader_kernel.py\0--zygote\0"):
                return pid
        todo += children.get(pid, [])
    raise AssertionError("no zygote process found")


def test_a_warm_kernels_processes_are_all_in_its_cgroup(tmp_path_factory, helpers, the_zygote):
    with zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote) as kernel:
        assert kernel.cgroup is not None, "no per-submission cgroup here"
        kernel.run("import os, time\nif os.fork() == 0:\n    time.sleep(3600)")
        members = set(kernel.cgroup.pids())
        assert kernel.child.pid in members  # its pid 1, killed with the group
        assert set(_uid_processes(kernel.uid.uid)) <= members and len(_uid_processes(kernel.uid.uid)) == 2


def test_a_warm_kernel_ends_with_the_grading_process(tmp_path_factory, helpers, the_zygote):
    """A grading process that dies closes its end of the control socket: pid 1 exits and takes
    the namespace along (as --die-with-parent does for a cold kernel's bubblewrap)."""
    import time

    kernel = zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote)
    kernel.run("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(3600)")
    uid = kernel.uid.uid
    assert len(_uid_processes(uid)) == 2
    kernel.child.sock.shutdown(socket.SHUT_RDWR)  # as the grading process's death would, killing nothing
    deadline = time.monotonic() + 10
    while _uid_processes(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _uid_processes(uid)
    kernel.close()


def test_a_zygote_primes_the_release_cells_for_every_kernel(tmp_path_factory, helpers):
    # Many cells, in several priming messages, before the first request: none is answered, and a
    # kernel finds them transformed already (kernel_child.PrimedTransforms).
    cells = [f"value_{i} = {i}\n" + "# padding\n" * 200 for i in range(40)]
    primed = zygote.Zygote(helpers, LIMITS, cells)
    try:
        primed.wait_ready()
        for _ in range(2):
            with zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, primed) as kernel:
                check = "print(len(get_ipython().input_transformer_manager.transform_cell.done))"
                assert _text(kernel.run(check)).strip() == "40"
                assert kernel.run(cells[7])["status"] == "ok"
                assert _text(kernel.run("print(value_7)")).strip() == "7"
    finally:
        primed.close()


PRIMED_PROBE = "def __probe__(user_ns, recorded, call):\n    return [case * 2 for case in __cases__]\n"
OTHER_PROBE = "def __probe__(user_ns, recorded, call):\n    return [case + 1 for case in __cases__]\n"
COUNT_COMPILES = """
import builtins
compiled = []
_compile = builtins.compile
def counting(source, *args, **kwargs):
    compiled.append(source)
    return _compile(source, *args, **kwargs)
builtins.compile = counting
"""


@pytest.mark.parametrize("when", ["started", "afterwards"])
def test_a_zygote_compiles_the_probes_once_for_every_kernel(tmp_path_factory, helpers, when):
    # A probe whose text the zygote was primed with runs its code object, compiled once; any
    # other text is compiled as it comes, and both answer as an unprimed kernel's would.  A
    # run's zygote is primed after it started (runner.early_zygote): the same holds.
    if when == "started":
        primed = zygote.Zygote(helpers, LIMITS, probes=[PRIMED_PROBE])
    else:
        primed = zygote.Zygote(helpers, LIMITS)
        primed.prime(probes=[PRIMED_PROBE])
    try:
        primed.wait_ready()
        for _ in range(2):
            with zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, primed) as kernel:
                assert kernel.run(COUNT_COMPILES)["status"] == "ok"
                assert kernel.probe(PRIMED_PROBE, cases=[1, 2])["result"] == [2, 4]
                assert kernel.probe(OTHER_PROBE, cases=[1, 2])["result"] == [2, 3]
                # IPython compiles the cell that asks (and its AST): only the probes are counted.
                asked = "print(repr([s for s in compiled if isinstance(s, str) and s.startswith('def __probe__')]))"
                assert _text(kernel.run(asked)).strip() == repr([OTHER_PROBE])
    finally:
        primed.close()


LAZY_MATPLOTLIB = [
    # (cell, what it prints): the import cell runs no matplotlib code; whatever needs it loads it.
    (
        "import matplotlib.pyplot as plt\n%matplotlib inline\nimport sys\n"
        "print(type(sys.modules['matplotlib']).__name__, 'matplotlib.rcsetup' in sys.modules)",
        "_LazyPackageModule False",
    ),
    ("import matplotlib\nprint(type(matplotlib.rcParams).__name__)", "RcParams"),
    ("from matplotlib import pyplot as plt\nprint(plt.get_backend())", "inline"),
    ("import matplotlib as mpl\nprint(mpl.__version__ == __import__('matplotlib').__version__)", "True"),
]


@pytest.mark.parametrize(
    "cell, printed", LAZY_MATPLOTLIB, ids=["import cell", "rcParams", "from-import", "version"]
)
def test_a_warm_kernel_runs_matplotlib_only_when_a_cell_uses_it(
    tmp_path_factory, helpers, the_zygote, cell, printed
):
    with zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote) as kernel:
        answer = kernel.run("%matplotlib inline\n" + cell if "%matplotlib" not in cell else cell)
        assert answer["status"] == "ok", answer
        assert printed in _text(answer)
        plotted = kernel.run("import matplotlib.pyplot as plt\nplt.plot([1, 2])")
        assert any("image/png" in o.get("data", {}) for o in plotted["outputs"]), plotted
        # matplotlib's configuration folder is the kernel's own to make: no warning about it.
        assert not [o for o in answer["outputs"] + plotted["outputs"] if o.get("name") == "stderr"], plotted


@pytest.mark.parametrize("pause", [0.0, 0.3])
def test_a_warm_kernel_closed_before_its_hello_was_read_closes_cleanly(
    tmp_path_factory, helpers, the_zygote, pause
):
    """An unreadable notebook closes its kernel at once: its pid 1 may be done before the grader opens its pidfd."""
    import time

    kernel = zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote, wait=False)
    uid = kernel.uid.uid if kernel.uid is not None else None
    for fd in (kernel._req_w, kernel._resp_r):  # as close() does first: the kernel reads its end and stops
        os.close(fd)
    kernel._req_w, kernel._resp_r = os.open(os.devnull, os.O_WRONLY), os.open(os.devnull, os.O_RDONLY)
    time.sleep(pause)  # pid 1 and its kernel may end meanwhile
    kernel.close()
    assert kernel.returncode is not None
    assert uid is None or not _uid_processes(uid)
