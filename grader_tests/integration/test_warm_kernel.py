"""A warm kernel (grader.sandbox.zygote) seen from inside, against a cold one (grader.sandbox.kernel).

What a fork inherits that a fresh process would not is the risk of a zygote: each test
here looks at one such thing from inside the kernel, where student code would, and
compares it with a cold kernel's view (uid and gid, groups, capabilities, no_new_privs,
seccomp, namespaces, mounts, rlimits, open descriptors, environment, signal
dispositions, threads, random states), or checks that nothing one warm kernel leaves
(files in ``/tmp`` and ``/dev/shm``, SysV IPC, an abstract socket, a daemon) reaches
the next one.  Warm kernels are used as root with bubblewrap (``launch.warm_supported``).
"""

import json
import os
import socket

import pytest

from grader import ROOT
from grader.course.assignment import load
from grader.limits import Limits
from grader.pipeline.grade import prepared_master
from grader.sandbox import launch as sandbox
from grader.sandbox import zygote
from grader.sandbox.kernel import Kernel, KernelDied

LIMITS = Limits(cell_timeout=30, grace=0.5, notebook_timeout=300)

# What the kernel sees of itself, as a student's cell can see it (printed as one JSON line).
VIEW = r"""
import json as _j, os as _o, resource as _res, socket as _s, sys as _sys

def _status():
    keep = ('Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs',
            'Seccomp', 'SigBlk', 'SigIgn', 'SigCgt', 'Threads')
    out = {}
    for line in open('/proc/self/status'):
        name, _, value = line.partition(':')
        if name in keep:
            out[name] = value.split()
    return out

def _mounts():
    # The mount on top at each mount point (a warm kernel's are stacked over the zygote's).
    top = {}
    for line in open('/proc/self/mountinfo'):
        fields = line.split()
        sep = fields.index('-')
        top[fields[4]] = [fields[5], fields[sep + 1], fields[sep + 3]]
    return top

def _fds():
    out = {}
    for fd in _o.listdir('/proc/self/fd'):
        try:
            target = _o.readlink('/proc/self/fd/' + fd)
        except OSError:
            continue
        out[fd] = target.split(':')[0] if ':[' in target else target
    return out

def _writable(path):
    try:
        with open(_o.path.join(path, '.probe'), 'w'):
            pass
        _o.unlink(_o.path.join(path, '.probe'))
        return True
    except OSError:
        return False

_view = {
    'status': _status(),
    'ids': [_o.getresuid(), _o.getresgid(), _o.getgroups()],
    'pid': _o.getpid(),
    'ns': {n: _o.readlink('/proc/self/ns/' + n) for n in ('cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts')},
    'mounts': _mounts(),
    'rlimits': {n: _res.getrlimit(getattr(_res, n)) for n in sorted(dir(_res)) if n.startswith('RLIMIT_')},
    'fds': _fds(),
    'env': dict(_o.environ),
    'cwd': _o.getcwd(),
    'files': sorted(_o.listdir('.')),
    'processes': sorted(int(p) for p in _o.listdir('/proc') if p.isdigit()),
    'hostname': _s.gethostname(),
    'writable': {p: _writable(p) for p in ('/', '/usr', '/etc', '/opt', '/dev', '/tmp', '/dev/shm', '.')},
    'sys_path': _sys.path,
    'cgroup': open('/proc/self/cgroup').read(),
}
print(_j.dumps(_view))
"""


@pytest.fixture(scope="module")
def helpers():
    return {name: content.encode("utf-8") for name, content in prepared_master(load("L1W3")).helpers.items()}


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


# The global random states before any cell seeds them (the import cell sets the course's seed).
STATES = r"""
import hashlib as _h, json as _j, random as _r
import numpy as _np
print(_j.dumps({'numpy_state': _h.sha256(_np.random.get_state()[1].tobytes()).hexdigest(),
                'random_state': _h.sha256(repr(_r.getstate()).encode()).hexdigest()}))
"""


def _import_cell():
    """The notebook's locked import cell (numpy, pyplot, the helpers)."""
    import nbformat

    nb = nbformat.read(os.path.join(ROOT, "notebooks", "L1W3", load("L1W3").notebook), as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code" and "import numpy" in c.source)


def _view(kernel):
    states = json.loads(_text(kernel.run(STATES)))
    assert kernel.run(_import_cell())["status"] == "ok"
    answer = kernel.run(VIEW)
    assert answer["status"] == "ok", answer
    return dict(json.loads(_text(answer)), **states)


@pytest.fixture(scope="module")
def views(tmp_path_factory, helpers, the_zygote):
    """A cold kernel's view and two warm kernels' views (the two warm ones alive at once), each
    taken after the notebook's import cell (the random states before it)."""
    with Kernel(_workdir(tmp_path_factory, helpers), LIMITS) as cold:
        cold_view = _view(cold)
    first = zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote)
    second = zygote.WarmKernel(_workdir(tmp_path_factory, helpers), LIMITS, the_zygote)
    try:
        warm = [_view(first), _view(second)]
    finally:
        first.close()
        second.close()
    return cold_view, warm


def test_warm_kernels_are_used_as_root_with_bubblewrap():
    assert sandbox.warm_supported() == (os.geteuid() == 0 and sandbox.bwrap_works())
    assert sandbox.warm_kernels({}) == sandbox.warm_supported()
    assert not sandbox.warm_kernels({sandbox.WARM: "0"})


@pytest.mark.parametrize(
    "field", ["pid", "mounts", "rlimits", "fds", "env", "cwd", "files", "hostname", "writable", "sys_path"]
)
def test_a_warm_kernel_sees_what_a_cold_one_sees(views, field):
    cold, warm = views
    assert warm[0][field] == cold[field]
    assert warm[1][field] == cold[field]


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


def test_each_warm_kernel_has_a_uid_and_gid_of_its_own_and_no_groups(views):
    cold, warm = views
    for view in [cold, *warm]:
        (uids, gids, groups) = view["ids"]
        assert len(set(uids)) == 1 and len(set(gids)) == 1 and uids[0] == gids[0]
        assert uids[0] in range(sandbox.UID_BASE, sandbox.UID_BASE + sandbox.UID_COUNT)
        assert groups == []
    assert warm[0]["ids"][0] != warm[1]["ids"][0]


def test_a_warm_kernel_has_one_thread_and_its_own_pid_namespace(views):
    cold, warm = views
    for view in warm:
        assert view["status"]["Threads"] == ["1"] == cold["status"]["Threads"]
        assert view["processes"] == [1, view["pid"]]  # its pid 1 and itself: no zygote, no neighbour


def test_every_namespace_is_a_kernels_own(views, the_zygote):
    _, warm = views
    own = {n: os.readlink(f"/proc/self/ns/{n}") for n in warm[0]["ns"]}
    zygote_pid = _zygote_pid(the_zygote)
    zygote_ns = {n: os.readlink(f"/proc/{zygote_pid}/ns/{n}") for n in warm[0]["ns"]}
    for name in warm[0]["ns"]:
        first, second = warm[0]["ns"][name], warm[1]["ns"][name]
        assert first != second and not {first, second} & {own[name], zygote_ns[name]}, name


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


def _text(answer):
    return "".join(o.get("text", "") for o in answer["outputs"] if o.get("output_type") == "stream")


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
