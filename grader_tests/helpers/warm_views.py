"""A cold kernel's and two warm kernels' views of themselves, as JSON, in whatever mode this runs.

``python -m grader_tests.helpers.warm_views OUT``: what ``grader_tests/integration/test_warm_kernel.py``
compares, taken by a normal user (``grader_tests.helpers.modes``) as it is by root in-process.
Each view is taken after the notebook's locked import cell (the random states before it).
"""

import json
import os
import sys
import tempfile

from grader import ROOT
from grader.course.assignment import load
from grader.limits import Limits
from grader.pipeline.grade import prepared_master
from grader.sandbox import launch as sandbox
from grader.sandbox import zygote
from grader.sandbox.kernel import Kernel

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
    'id_maps': [open('/proc/self/' + _n).read().split() for _n in ('uid_map', 'gid_map', 'setgroups')],
    'pid': _o.getpid(),
    'ns': {n: _o.readlink('/proc/self/ns/' + n) for n in ('cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts')},
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

# The global random states before any cell seeds them (the import cell sets the course's seed).
STATES = r"""
import hashlib as _h, json as _j, random as _r
import numpy as _np
print(_j.dumps({'numpy_state': _h.sha256(_np.random.get_state()[1].tobytes()).hexdigest(),
                'random_state': _h.sha256(repr(_r.getstate()).encode()).hexdigest()}))
"""


def helpers():
    """The assignment's helper files, as every kernel of it gets them."""
    return {name: content.encode("utf-8") for name, content in prepared_master(load("L1W3")).helpers.items()}


def workdir(files, base=None):
    """A kernel's host folder holding ``files``."""
    folder = tempfile.mkdtemp(prefix="kernel-", dir=base)
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    return folder


def text(answer):
    """The stream output of a cell's answer."""
    return "".join(o.get("text", "") for o in answer["outputs"] if o.get("output_type") == "stream")


def import_cell():
    """The notebook's locked import cell (numpy, pyplot, the helpers)."""
    import nbformat

    nb = nbformat.read(os.path.join(ROOT, "notebooks", "L1W3", load("L1W3").notebook), as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code" and "import numpy" in c.source)


def view(kernel):
    """What ``kernel`` sees of itself (:data:`VIEW`), after the import cell, and its random states before it."""
    states = json.loads(text(kernel.run(STATES)))
    answer = kernel.run(import_cell())
    assert answer["status"] == "ok", answer
    answer = kernel.run(VIEW)
    assert answer["status"] == "ok", answer
    return dict(json.loads(text(answer)), **states)


def views(the_zygote, files, base=None):
    """``(cold view, [two warm views])``, the two warm kernels alive at once."""
    with Kernel(workdir(files, base), LIMITS) as cold:
        cold_view = view(cold)
    first = zygote.WarmKernel(workdir(files, base), LIMITS, the_zygote)
    second = zygote.WarmKernel(workdir(files, base), LIMITS, the_zygote)
    try:
        warm = [view(first), view(second)]
    finally:
        first.close()
        second.close()
    peaks = [first.peak_rss_mb(), second.peak_rss_mb()]
    return cold_view, warm, peaks


def main(out):
    files = helpers()
    the_zygote = zygote.Zygote(files, LIMITS)
    try:
        the_zygote.wait_ready()
        cold, warm, peaks = views(the_zygote, files)
    finally:
        the_zygote.close()
    own = {n: os.readlink(f"/proc/self/ns/{n}") for n in cold["ns"]}
    found = {
        "cold": cold,
        "warm": warm,
        "grader_ns": own,
        "uid": os.getuid(),
        "peaks": peaks,
        "warm_supported": sandbox.warm_supported(),
        "protections_line": sandbox.protections_line(),
    }
    with open(out, "w") as f:
        json.dump(found, f)


if __name__ == "__main__":
    from grader import environment

    environment.prepare()
    main(sys.argv[1])
