"""``make test-field``: the hostile cases that hurt neighbours, graded on this machine, as whoever runs it.

For instructors and CI machines whose kind this project's tests do not cover (cgroup v2, a normal
user, no user namespaces): each case is a batch of two submissions graded at the same time (two
workers), the hostile one and an innocent neighbour (the full solution, with cells that sleep,
start a process, allocate memory and write to ``/tmp`` while the attack goes on).  It prints the
protections table, whether kernels are warm or cold, and, per case, the hostile submission's score and reported peak memory, the
neighbour's score, and the kernel processes left behind; it exits 1 when a neighbour lost a point
or a process was left, 2 when the grader refuses to run students' code here (no isolation, no
opt-in: ``GRADER_ALLOW_UNISOLATED=1`` runs it anyway).

The cases: the catalog's fork bomb, six forked processes of 512 MB each (a 1 GB limit), ``/tmp``
and ``/dev/shm`` filled in bytes, then in files (inodes), a tmpfs of its own mounted in a user
namespace of its own (the catalog's ``userns_unbounded_tmpfs``), and a survivor (a detached process that
outlives its kernel).  ``python -m grader_tests.helpers.field [--base DIR] [--json FILE]``; the
temporary course goes into ``--base`` (default: a new folder in the system's temporary folder).
"""

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time

from grader import messages as msg
from grader.batch import runner
from grader.limits import Limits
from grader.sandbox import cgroups
from grader.sandbox import launch as sandbox
from grader_tests.helpers import hostile_cases as hc
from grader_tests.helpers.leftovers import labelled_run, leftover_processes, process_ids

LIMITS = Limits(cell_timeout=8, notebook_timeout=40, submission_timeout=80, memory_mb=1024, grace=2)
SURVIVOR_SECONDS = "86399"  # the survivor's command line (``sleep 86399``) tells it apart

INODES = """
import os
made = 0
for folder in ('/tmp', '/dev/shm', '.'):
    for i in range(200_000):
        try:
            open(os.path.join(folder, 'empty%d' % i), 'w').close()
            made += 1
        except OSError:
            break
print('files made:', made)
"""

SURVIVOR = f"""
import os
if os.fork() == 0:
    try:
        os.setsid()
        if os.fork() == 0:                 # detached twice: neither the kernel's child nor its session
            os.execvp('sleep', ['sleep', '{SURVIVOR_SECONDS}'])
    finally:
        os._exit(0)
os.wait()
"""

NEIGHBOUR = [
    "import time\ntime.sleep(2)",
    "import subprocess\nsubprocess.run(['true'], check=True)",
    "import numpy as np\nblock = np.ones(32 * 1024 * 1024 // 8)\ndel block",
    "with open('/tmp/neighbour.txt', 'w') as f:\n    f.write('x' * 4096)",
    "import time\ntime.sleep(2)",
]


def _first(source):
    """The solved notebook with ``source`` run before the first exercise's test (early in the run)."""
    return hc.writes(lambda paths: hc.insert_after(hc.solved(), hc.values_id("func_layer_sizes"), source))


def _case(case_id):
    return next(c for c in hc.CASES if c.id == case_id).build


CASES = {
    "fork bomb": _case("fork_bomb"),
    "memory: six processes of 512 MB": _case("memory_hog_forked"),
    "tmpfs: bytes in /tmp, /dev/shm, work folder": _case("tmpfs_disk_deep_tree"),
    "tmpfs: files (inodes)": _first(INODES),
    "tmpfs: one of its own, in a user namespace": _case("userns_unbounded_tmpfs"),
    "survivor: a detached process": _first(SURVIVOR),
}


def neighbour():
    """The innocent submission: full marks, and needs processes, memory and /tmp meanwhile."""
    return hc.insert_after(hc.solved(), hc.values_id("func_layer_sizes"), *NEIGHBOUR)


def grade_case(base, name, build):
    """Grade one hostile case beside the neighbour; return what the table shows."""
    from grader.course import submissions

    course = tempfile.mkdtemp(prefix="field-", dir=base)
    submitted = os.path.join(course, "submitted")
    os.makedirs(submitted)
    build(submitted, "a_hostile")
    submissions.write(neighbour(), "b_neighbour", submitted, hc.L1W3)
    before = process_ids()
    started = time.monotonic()
    printed = io.StringIO()  # the protections line again for each batch: printed once, by main
    with contextlib.redirect_stderr(printed), labelled_run() as run_id:
        results = runner.run(
            submitted,
            os.path.join(course, "autograded"),
            f"sqlite:///{os.path.join(course, 'gradebook.db')}",
            "L1W3",
            workers=2,
            limits=LIMITS,
            quiet=True,
        )
    by = {r.student: r for r in results}
    left = leftover_processes(before, marker=f"sleep {SURVIVOR_SECONDS}", run_id=run_id)
    return {
        "case": name,
        "hostile_score": by["a_hostile"].score,
        "hostile_peak_mb": round(by["a_hostile"].peak_rss_mb, 1),
        "neighbour_score": by["b_neighbour"].score,
        "neighbour_max": 20,
        "neighbour_notes": list(by["b_neighbour"].notes),
        "hostile_notes": list(by["a_hostile"].notes),
        "left_processes": [f"{pid} {cmd}" for pid, cmd in left],
        "seconds": round(time.monotonic() - started, 1),
    }


def mode():
    """Who grades, and which cgroup hierarchy and isolation this machine gives."""
    who = "root" if os.geteuid() == 0 else f"a normal user (uid {os.geteuid()})"
    return {
        "user": who,
        "cgroups": cgroups.hierarchy() if cgroups.available() else "none usable",
        "bubblewrap": "isolates" if sandbox.bwrap_works() else (sandbox.isolation_problem() or ""),
    }


def kernels():
    """``"warm"`` or ``"cold"``: how this run's kernels start (``launch.warm_kernels``)."""
    return "warm" if sandbox.warm_kernels() else "cold"


def protections_table():
    return [(("on " if on else "OFF"), name) for name, on in sandbox.protections().items()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base", help="folder for the temporary courses (default: the system's temporary folder)"
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--case", action="append", choices=sorted(CASES), help="run only this case (repeatable)"
    )
    args = parser.parse_args(argv)
    try:
        warning = sandbox.require_isolation()
    except sandbox.SandboxUnavailable as exc:
        print(exc, file=sys.stderr)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"mode": mode(), "refused": str(exc)}, f)
        return 2
    base = tempfile.mkdtemp(prefix="grader-field-", dir=args.base)
    print("mode: " + "; ".join(f"{k}: {v}" for k, v in mode().items()))
    if warning:
        print(warning)
    print("protections:")
    for state, name in protections_table():
        print(f"  {state}  {name}")
    print(msg.KERNELS_WARM if kernels() == "warm" else msg.KERNELS_COLD)
    rows = []
    for name in args.case or list(CASES):
        rows.append(grade_case(base, name, CASES[name]))
        row = rows[-1]
        kept = "kept its points" if row["neighbour_score"] == row["neighbour_max"] else "LOST POINTS"
        print(
            f"{name:45} hostile {row['hostile_score']:>4g}/20 (peak {row['hostile_peak_mb']:g} MB)  "
            f"neighbour {row['neighbour_score']:g}/20: {kept}; "
            f"processes left: {len(row['left_processes'])}  ({row['seconds']:g} s)",
            flush=True,
        )
        for line in row["left_processes"] + (row["neighbour_notes"] if kept != "kept its points" else []):
            print(f"    {line}")
    if args.json:
        with open(args.json, "w") as f:
            report = {
                "mode": mode(),
                "protections": sandbox.protections(),
                "kernels": kernels(),
                "cases": rows,
            }
            json.dump(report, f, indent=1)
    bad = [r for r in rows if r["neighbour_score"] != r["neighbour_max"] or r["left_processes"]]
    return 1 if bad else 0


if __name__ == "__main__":
    from grader import environment

    environment.prepare()
    sys.exit(main())
