"""``make bench``: stock ``nbgrader autograde`` against ``make grade``, measured in one run.

On 20 and on 200 generated submissions (correct, buggy and blank mixed;
``BENCH_SIZES``) it runs stock ``nbgrader autograde L1W3`` (nbgrader's own
preprocessors: one submission at a time, full notebook execution; the course's
configuration otherwise) and this course's grader (``python -m grader grade``, one
worker per CPU, including its check that the assignment is registered) twice: with
warm kernels (forked from the run's zygote, ``grader.sandbox.zygote``) and with
cold ones (``GRADER_WARM_KERNELS=0``), each on a copy of the same registered
gradebook (see :func:`gradebook`), and with warm kernels on a local Dask cluster of as
many worker processes (``--scheduler``, the cluster path; ``BENCH_DASK=0`` to skip); then
the warm grader alone on 1,000 submissions (``BENCH_LARGE``, 0 to skip).  CPU is measured with a ``cpuacct`` cgroup around each
command where one can be made (``RUSAGE_CHILDREN`` misses the kernels the grader
SIGKILLs), else from ``RUSAGE_CHILDREN`` (and says so).  A per-submission breakdown
(fork and isolation, student cells, probes, judging, rendering, closing the kernel,
writing) is measured in this process on the first 20 submissions, warm and cold.
It prints everything, with the load average before and after, and writes
``bench/results.md`` with the machine's description.  Nothing here is asserted by
the tests: times vary by machine.
"""

import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, os.path.join(ROOT, "grader_tests")]

from grader import environment  # noqa: E402

environment.prepare()  # before the first nbformat import (grader.course.release)
import nbformat  # noqa: E402

from grader.course import release, submissions
from grader.course.assignment import load  # noqa: E402
from grader.environment import tool_env  # noqa: E402
from grader.sandbox import launch as sandbox
from grader_tests.helpers.mutants import MUTANTS  # noqa: E402
from grader_tests.helpers.mutation import mutate  # noqa: E402

ASSIGNMENT = "L1W3"
L1W3 = load(ASSIGNMENT)
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "20,200").split(","))
LARGE = int(os.environ.get("BENCH_LARGE", "1000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
DASK = os.environ.get("BENCH_DASK", "1") != "0"


def make_submissions(folder, n, seed=2030):
    """``n`` submissions: 40 % correct, 40 % with one catalogued bug, 20 % blank."""
    rng = random.Random(seed)
    sources = L1W3.solution_sources
    bugs = [m for m in MUTANTS if not m.equivalent]
    correct = submissions.fill(L1W3, sources)
    blank = submissions.fill(L1W3, {})
    kinds = {"correct": 0, "buggy": 0, "blank": 0}
    for i in range(n):
        kind = ("correct", "correct", "buggy", "buggy", "blank")[i % 5]
        nb = (
            correct
            if kind == "correct"
            else blank
            if kind == "blank"
            else submissions.fill(L1W3, mutate(rng.choice(bugs), sources))
        )
        submissions.write(nb, f"student{i:04d}", folder, L1W3)
        kinds[kind] += 1
    return kinds


CPUACCT = "/sys/fs/cgroup/cpuacct"
_GROUPS = iter(range(1 << 30))


def _cpu_group():
    """A fresh cpuacct cgroup (its folder), or ``None`` where none can be made."""
    base = None
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, names, path = line.rstrip("\n").split(":", 2)
                if "cpuacct" in names.split(","):
                    base = os.path.join(CPUACCT, path.lstrip("/"))
        if base is None:
            return None
        folder = os.path.join(base, f"bench-{os.getpid()}-{next(_GROUPS)}")
        os.makedirs(folder)
        return folder
    except OSError:
        return None


def timed(cmd, cwd=ROOT, env=None, **kwargs):
    """``(seconds, peak RSS MB of the children, CPU seconds, how CPU was measured)`` of ``cmd``."""
    group = _cpu_group()

    def enter():
        if group:
            with open(os.path.join(group, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=cwd, env=env or tool_env(), capture_output=True, text=True, preexec_fn=enter, **kwargs
    )
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cpu, how = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, "RUSAGE_CHILDREN"
    if group:
        with open(os.path.join(group, "cpuacct.usage")) as f:
            cpu, how = int(f.read()) / 1e9, "cpuacct cgroup"
        for _ in range(100):
            try:
                os.rmdir(group)
                break
            except OSError:
                time.sleep(0.05)
    return seconds, after.ru_maxrss / 1024, cpu, how


STOCK_CONFIG = """
# The course's configuration with nbgrader's own autograde preprocessors (for the benchmark).
import os
_course = {config!r}
exec(compile(open(_course).read(), _course, "exec"), {{"get_config": get_config, "__file__": _course}})
c = get_config()
c.Autograde.pop("sanitize_preprocessors", None)
c.Autograde.pop("autograde_preprocessors", None)
c.Execute.timeout = 120
# This folder is the course root: nbgrader reads the root's nbgrader_config.py last, and the
# course's own would put the course's grader back in place of nbgrader's preprocessors.
c.CourseDirectory.root = {folder!r}
"""


def gradebook(tmp, name):
    """A copy of a gradebook where the assignment is registered, as after the release.

    Both graders start from the same registered gradebook, as an instructor's
    does after ``make release`` (or formgrader's Generate): creating a new
    SQLite gradebook costs nbgrader an alembic subprocess (about 3 s here), a
    one-off cost that neither grader pays on a course's second batch.
    """
    template = os.path.join(tmp, "registered.db")
    if not os.path.exists(template):
        release.register(L1W3, f"sqlite:///{template}")
    path = os.path.join(tmp, name + ".db")
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def stock(tmp, submitted, name):
    """Stock nbgrader autograde, started where only the stock configuration is found."""
    db = gradebook(tmp, name)
    return timed(
        stock_command(submitted, os.path.join(tmp, name + "_autograded"), db),
        cwd=stock_course(tmp),
        env=stock_env(),
    ), db


def stock_course(tmp):
    """A course root (a folder of ``tmp``) whose nbgrader_config.py is :data:`STOCK_CONFIG`.

    nbgrader reads the configuration of the folder it starts in, then that of the course
    root, last: were the root the course's own, its configuration would put the course's
    grader (``CourseAutograde``) back in place of nbgrader's preprocessors, and "stock"
    would grade with this grader.  The course's source and release are linked in.
    """
    folder = os.path.join(tmp, "stock_config")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "nbgrader_config.py"), "w") as f:
        f.write(STOCK_CONFIG.format(config=os.path.join(ROOT, "nbgrader_config.py"), folder=folder))
    for course_folder in ("source", "notebooks"):
        if not os.path.lexists(os.path.join(folder, course_folder)):
            os.symlink(os.path.join(ROOT, course_folder), os.path.join(folder, course_folder))
    return folder


def stock_command(submitted, autograded, db):
    """``nbgrader autograde`` of every submission in ``submitted``, started in :func:`stock_course`."""
    return [
        sys.executable,
        "-m",
        "nbgrader",
        "autograde",
        ASSIGNMENT,
        "--force",
        f"--CourseDirectory.submitted_directory={submitted}",
        f"--CourseDirectory.autograded_directory={autograded}",
        f"--CourseDirectory.db_url={db}",
        "--log-level=WARN",
    ]


def stock_env():
    """The stock run's environment: the hidden tests judge in the student's kernel
    (``grader.hidden``), which imports the course's grader package from the course root."""
    return tool_env(PYTHONPATH=ROOT)


def ours(tmp, submitted, name, warm=True, scheduler=None):
    """``(seconds, worker MB, kernel MB, CPU s, how, db)`` of ``make grade`` with warm or cold kernels.

    ``scheduler``: the address of a Dask scheduler to grade on (``--scheduler``) instead of the
    forked workers; the CPU figure is then the grading command's alone (the Dask workers are
    processes of their own).
    """
    autograded = os.path.join(tmp, f"{name}_autograded")
    db = gradebook(tmp, name)
    env = dict(tool_env(), GRADER_WARM_KERNELS="1" if warm else "0")
    where = ["--scheduler", scheduler] if scheduler else ["--workers", str(WORKERS)]
    seconds, _, cpu, how = timed(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            ASSIGNMENT,
            "--submitted",
            submitted,
            "--autograded",
            autograded,
            "--db",
            db,
            *where,
        ],
        env=env,
    )
    peaks = []
    for student in os.listdir(autograded):
        path = os.path.join(autograded, student, f"grading_report_{ASSIGNMENT}.json")
        if os.path.exists(path):
            with open(path) as f:
                r = json.load(f)
            peaks.append((r["worker_rss_mb"], r["peak_rss_mb"]))
    worker = max(w for w, _ in peaks)
    kernel = max(k for _, k in peaks)
    return seconds, worker, kernel, cpu, how, db


STEPS = ("fork and isolation", "student cells", "probes", "judging", "rendering", "closing", "writing")


def breakdown(tmp, submitted, warm, n=20):
    """Mean seconds per submission of each of :data:`STEPS`, graded here one after another.

    Returns ``(means, total per submission, zygote RSS MB or None)``.
    """
    from grader.batch import runner
    from grader.batch.gradebook import open_gradebook
    from grader.limits import Limits
    from grader.pipeline import grade
    from grader.sandbox import kernel, zygote

    limits = Limits.load()
    master = grade.prepared_master(L1W3)
    spent = dict.fromkeys(STEPS, 0.0)
    saved = []

    def timing(step, fn):
        def wrapped(*args, **kwargs):
            start = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[step] += time.monotonic() - start

        return wrapped

    patches = [
        (zygote, "start_kernel", "fork and isolation"),
        (zygote, "started", "fork and isolation"),  # the wait for a kernel started early
        (grade, "run_cells", "student cells"),
        (kernel.Kernel, "probe", "probes"),
        (grade, "verdict_of", "judging"),
        (grade, "render", "rendering"),
        (grade.Run, "stop", "closing"),
    ]
    for owner, name, step in patches:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, timing(step, getattr(owner, name)))
    z = None
    rss = None
    if warm:
        files = {name: content.encode("utf-8") for name, content in master.helpers.items()}
        z = zygote.Zygote(files, limits, master.code_sources(), master.probe_sources())
        z.wait_ready()
        zygote.install(z)
    db = gradebook(tmp, f"breakdown_{'warm' if warm else 'cold'}")
    gb = open_gradebook(db)
    autograded = os.path.join(tmp, f"breakdown_{'warm' if warm else 'cold'}")
    students = sorted(os.listdir(submitted))[:n]
    # One submission first, untimed: the modules grading imports on first use are not a step's.
    first = students[0]
    grade.grade_submission(
        first, os.path.join(submitted, first, ASSIGNMENT, L1W3.notebook), L1W3, master, limits
    )
    for step in STEPS:
        spent[step] = 0.0
    start = time.monotonic()
    try:
        for student in students:
            path = os.path.join(submitted, student, ASSIGNMENT, L1W3.notebook)
            result = grade.grade_submission(student, path, L1W3, master, limits)
            t = time.monotonic()
            runner.save(result, autograded, gb, None, L1W3)
            spent["writing"] += time.monotonic() - t
        total = (time.monotonic() - start) / len(students)
        if z is not None:
            rss = _zygote_rss()
    finally:
        gb.close()
        for owner, name, fn in saved:
            setattr(owner, name, fn)
        if z is not None:
            zygote.install(None)
            z.close()
    return {step: spent[step] / len(students) for step in STEPS}, total, rss


def _zygote_rss():
    """The zygote process's resident memory (MB): the descendant of its bubblewrap running ``--zygote``."""
    best = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if not f.read().endswith(b"--zygote\0"):
                    continue
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        best = max(best, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return best


def on_dask(tmp, submitted, n):
    """``(seconds, db)`` of grading on a local Dask cluster of :data:`WORKERS` worker processes.

    The cluster is started first and warmed with one run on the first submission (each Dask
    worker process starts its zygote on its first task, as on a real cluster that grades
    batch after batch), so the figure is the cluster path's per-submission cost, not its
    start-up.  Warm kernels, as ``make grade``'s.
    """
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        first = os.path.join(tmp, f"dask_first_{n}")
        student = sorted(os.listdir(submitted))[0]
        shutil.copytree(os.path.join(submitted, student), os.path.join(first, student))
        for _ in range(WORKERS):  # one task per worker, most likely: each starts its zygote
            ours(tmp, first, f"dask_warmup_{n}", True, cluster.scheduler_address)
        seconds, _, _, _, _, db = ours(tmp, submitted, f"dask_{n}", True, cluster.scheduler_address)
    return seconds, db


def totals(db):
    from grader.pages import table

    _, scores, _ = table.scores(db, L1W3)
    return {s: sum(v.values()) for s, v in scores.items()}


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        mem = 0
    import numpy

    return (
        f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, numpy {numpy.__version__}, nbgrader 0.9.6"
    )


def validate_times(tmp):
    """Seconds of a filled release's validation (stock ``nbgrader validate``, ``make validate``) and Run All.

    Validation skips the cells tagged ``skip-execution`` (the exploratory ones);
    Run All is a full execution (``nbconvert --execute`` with no cell skipped), the
    cost validation used to have.
    """
    folder = os.path.join(os.path.abspath(tmp), "validate", ASSIGNMENT)
    shutil.copytree(L1W3.release_dir, folder)
    notebook = os.path.join(folder, L1W3.notebook)
    nbformat.write(submissions.fill(L1W3), notebook)
    stock_sec = timed(
        [os.path.join(os.path.dirname(sys.executable), "nbgrader"), "validate", notebook], cwd=folder
    )[0]
    ours_sec = timed([sys.executable, "-m", "grader", "validate", notebook])[0]
    full_sec = timed(
        [
            os.path.join(os.path.dirname(sys.executable), "jupyter"),
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=600",
            "--ExecutePreprocessor.skip_cells_with_tag=",
            "--output",
            "run_all",  # beside the notebook
            notebook,
        ],
        cwd=folder,
    )[0]
    return stock_sec, ours_sec, full_sec


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    tmp = tempfile.mkdtemp(prefix="bench-")
    loads = [load()]
    print(f"load average: {loads[0]}", flush=True)
    try:
        validation = validate_times(tmp)
        print(
            "validate a filled notebook: nbgrader validate %.1f s, make validate %.1f s; Run All %.1f s"
            % validation,
            flush=True,
        )
        rows = []
        steps = {}
        for n in SIZES:
            submitted = os.path.join(tmp, f"submitted_{n}")
            kinds = make_submissions(submitted, n)
            print(f"{n} submissions: {kinds}; grader workers: {WORKERS}", flush=True)
            if not steps:
                for warm in (True, False):
                    steps[warm] = breakdown(tmp, submitted, warm)
                    means, total, rss = steps[warm]
                    print(
                        f"  per submission, one at a time, {'warm' if warm else 'cold'}: {total:.3f} s = "
                        + ", ".join(f"{k} {v:.3f}" for k, v in means.items())
                        + (f"; zygote RSS {rss:.0f} MB" if rss else ""),
                        flush=True,
                    )
            (s_sec, s_rss, s_cpu, how), s_db = stock(tmp, submitted, f"stock_{n}")
            print(
                f"  stock nbgrader autograde: {s_sec:.1f} s ({n / s_sec:.3f} submissions/s), "
                f"CPU {s_cpu:.1f} s ({how}), peak memory {s_rss:.0f} MB",
                flush=True,
            )
            row = {"n": n, "kinds": kinds, "stock": (s_sec, s_rss, s_cpu)}
            for warm in (True, False):
                o_sec, o_worker, o_kernel, o_cpu, how, o_db = ours(
                    tmp, submitted, f"ours_{n}_{'warm' if warm else 'cold'}", warm
                )
                stock_totals, our_totals = totals(s_db), totals(o_db)
                agree = sum(stock_totals[s] == our_totals[s] for s in our_totals)
                row["warm" if warm else "cold"] = (o_sec, o_worker, o_kernel, o_cpu, agree, our_totals)
                print(
                    f"  make grade, {'warm' if warm else 'cold'} kernels ({WORKERS} workers): {o_sec:.1f} s "
                    f"({n / o_sec:.2f} submissions/s, {s_sec / o_sec:.1f}x stock), CPU {o_cpu:.1f} s ({how}; "
                    f"{s_cpu / o_cpu:.1f}x), peak memory per worker {o_worker + o_kernel:.0f} MB "
                    f"(grading process {o_worker:.0f} MB + kernel {o_kernel:.0f} MB)",
                    flush=True,
                )
            row["same_scores"] = row["warm"][5] == row["cold"][5]
            if DASK:
                d_sec, d_db = on_dask(tmp, submitted, n)
                row["dask"] = (d_sec, totals(d_db) == row["warm"][5])
                print(
                    f"  on a local Dask cluster ({WORKERS} worker processes, warm kernels): {d_sec:.1f} s "
                    f"({d_sec / n * 1000:.0f} ms per submission, {s_sec / d_sec:.1f}x stock)",
                    flush=True,
                )
            rows.append(row)
        large = None
        if LARGE:
            big = os.path.join(tmp, "submitted_large")
            make_submissions(big, LARGE)
            l_sec, l_worker, l_kernel, l_cpu, _, _ = ours(tmp, big, "large", True)
            large = (l_sec, l_worker + l_kernel, l_cpu)
            print(
                f"make grade (warm) on {LARGE} submissions: {l_sec:.1f} s ({l_sec / 60:.1f} min, "
                f"{LARGE / l_sec:.2f} submissions/s), CPU {l_cpu:.1f} s, peak memory per worker "
                f"{large[1]:.0f} MB",
                flush=True,
            )
        loads.append(load())
        print(f"load average: {loads[1]}", flush=True)
        write_results(rows, large, steps, loads, how, validation)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_results(rows, large, steps, loads, how, validation):
    protections = sandbox.protections()
    lines = [
        "# Benchmark: stock nbgrader against this grader",
        "",
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}, in one run, on: {machine()}.",
        f"Load average (1, 5, 15 min) before: {loads[0]}; after: {loads[-1]} (the machine is shared).",
        f"Sandbox: {', '.join(k for k, v in protections.items() if v)}.",
        f"CPU measured with a {how}.",
        "",
        "| submissions | stock `nbgrader autograde` (sequential, full execution) | `make grade`, warm kernels "
        f"({WORKERS} workers) | ratio (wall, CPU) | `make grade`, cold kernels | ratio (wall, CPU) | "
        "peak memory per worker (warm) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        n, kinds, (s_sec, s_rss, s_cpu) = row["n"], row["kinds"], row["stock"]
        w, c = row["warm"], row["cold"]
        lines.append(
            f"| {n} ({kinds['correct']} correct, {kinds['buggy']} buggy, {kinds['blank']} blank) | "
            f"{s_sec:.1f} s (CPU {s_cpu:.1f} s) | {w[0]:.1f} s (CPU {w[3]:.1f} s) | "
            f"**{s_sec / w[0]:.1f}x**, {s_cpu / w[3]:.1f}x | {c[0]:.1f} s (CPU {c[3]:.1f} s) | "
            f"{s_sec / c[0]:.1f}x, {s_cpu / c[3]:.1f}x | {w[1] + w[2]:.0f} MB ({w[1]:.0f} MB grading + "
            f"{w[2]:.0f} MB kernel; stock {s_rss:.0f} MB) |"
        )
    if large:
        lines.append(
            f"| {LARGE} | — | {large[0]:.1f} s ({large[0] / 60:.1f} min; CPU {large[2]:.1f} s) | — | — | — | "
            f"{large[1]:.0f} MB |"
        )
    dask = [r for r in rows if "dask" in r]
    if dask:
        lines += [
            "",
            f"On a local Dask cluster ({WORKERS} worker processes, one thread each, warm kernels; "
            "`--scheduler`; the cluster started and each worker's zygote warmed before the timing): "
            + "; ".join(
                f"{r['n']} submissions {r['dask'][0]:.1f} s ({r['dask'][0] / r['n'] * 1000:.0f} ms per "
                f"submission, {r['stock'][0] / r['dask'][0]:.1f}x stock; "
                f"{'the same scores as' if r['dask'][1] else 'scores DIFFERENT from'} the forked workers')"
                for r in dask
            )
            + ".",
            "",
        ]
    lines += [
        "",
        "Validating a correct notebook (the release with the solutions filled in; the exploratory cells, "
        "tagged `skip-execution`, are skipped): stock `nbgrader validate` in the released folder "
        "%.1f s, `make validate` (in the sandbox) %.1f s; Run All (a full execution, nothing skipped) "
        "%.1f s. Target: validation under 10 s on 2 idle cores." % validation,
        "",
        "Targets on 2 cores: 20x on 20 submissions, 40x on 200, 1,000 under 90 s, under 400 MB per worker. "
        "Total scores: warm and cold kernels give "
        + ", ".join(f"{'the same' if r['same_scores'] else 'DIFFERENT'} scores on {r['n']}" for r in rows)
        + "; they agree with stock nbgrader's for "
        + ", ".join(f"{r['warm'][4]} of {r['n']}" for r in rows)
        + " submissions (stock nbgrader judges in the student's kernel, this grader in its own process; "
        "where they differ, stock nbgrader was fooled or cascaded a bug).",
        "",
    ]
    if steps:
        lines += [
            "Per submission, graded one at a time in one process (the first 20 submissions; seconds):",
            "",
            "| kernels | total | " + " | ".join(STEPS) + " |",
            "|---|---|" + "---|" * len(STEPS),
        ]
        for warm, (means, total, rss) in steps.items():
            lines.append(
                f"| {'warm' if warm else 'cold'} | {total:.3f} | "
                + " | ".join(f"{means[k]:.3f}" for k in STEPS)
                + " |"
            )
        rss = steps.get(True, (None, None, None))[2]
        if rss:
            lines += [
                "",
                f"The zygote's resident memory: {rss:.0f} MB, one per run (its pages shared with its kernels).",
            ]
        lines.append("")
    lines += [
        "Regenerate with `make bench` (`BENCH_SIZES=20,200`, `BENCH_LARGE=0` skips the 1,000-submission "
        "run; `BENCH_DASK=0` the Dask cluster; `BENCH_WORKERS=n`).",
    ]
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote bench/results.md")


if __name__ == "__main__":
    main()
