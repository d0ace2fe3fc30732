"""``make bench``: stock ``nbgrader autograde`` against ``make grade``, measured in one run.

On 20 and on 40 generated submissions (correct, buggy and blank mixed) it
runs stock ``nbgrader autograde L1W3`` (nbgrader's own preprocessors: one
submission at a time, full notebook execution; the course's configuration
otherwise) and this course's grader (``python -m grader grade``, one worker
per CPU, including its check that the assignment is registered), each on a
copy of the same registered gradebook (see :func:`gradebook`), then this grader alone on
1,000 submissions (``BENCH_LARGE``, 0 to skip).  It prints both times, the ratio, submissions per second and
peak memory per worker, and writes ``bench/results.md`` with the machine's
description.  Nothing here is asserted by the tests: times vary by machine.
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
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "20,40").split(","))
LARGE = int(os.environ.get("BENCH_LARGE", "1000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))


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


def timed(cmd, cwd=ROOT, **kwargs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, **kwargs)
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return (
        seconds,
        after.ru_maxrss / 1024,
        after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    )


STOCK_CONFIG = """
# The course's configuration with nbgrader's own autograde preprocessors (for the benchmark).
import os
_course = {config!r}
exec(compile(open(_course).read(), _course, "exec"), {{"get_config": get_config, "__file__": _course}})
c = get_config()
c.Autograde.pop("sanitize_preprocessors", None)
c.Autograde.pop("autograde_preprocessors", None)
c.Execute.timeout = 120
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
    folder = os.path.join(tmp, "stock_config")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "nbgrader_config.py"), "w") as f:
        f.write(STOCK_CONFIG.format(config=os.path.join(ROOT, "nbgrader_config.py")))
    return timed(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "autograde",
            ASSIGNMENT,
            "--force",
            f"--CourseDirectory.submitted_directory={submitted}",
            f"--CourseDirectory.autograded_directory={os.path.join(tmp, name + '_autograded')}",
            f"--CourseDirectory.db_url={db}",
            "--log-level=WARN",
        ],
        cwd=folder,
    ), db


def ours(tmp, submitted, name):
    autograded = os.path.join(tmp, f"{name}_autograded")
    db = gradebook(tmp, name)
    seconds, _, cpu = timed(
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
            "--workers",
            str(WORKERS),
        ]
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
    return seconds, worker, kernel, cpu, db


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


def main():
    tmp = tempfile.mkdtemp(prefix="bench-")
    try:
        validation = validate_times(tmp)
        print(
            "validate a filled notebook: nbgrader validate %.1f s, make validate %.1f s; Run All %.1f s"
            % validation,
            flush=True,
        )
        rows = []
        for n in SIZES:
            submitted = os.path.join(tmp, f"submitted_{n}")
            kinds = make_submissions(submitted, n)
            print(f"{n} submissions: {kinds}; grader workers: {WORKERS}", flush=True)
            (s_sec, s_rss, s_cpu), s_db = stock(tmp, submitted, f"stock_{n}")
            print(
                f"  stock nbgrader autograde: {s_sec:.1f} s ({n / s_sec:.3f} submissions/s), "
                f"peak memory {s_rss:.0f} MB",
                flush=True,
            )
            o_sec, o_worker, o_kernel, o_cpu, o_db = ours(tmp, submitted, f"ours_{n}")
            ratio = s_sec / o_sec
            print(
                f"  make grade ({WORKERS} workers): {o_sec:.1f} s ({n / o_sec:.2f} submissions/s), "
                f"peak memory per worker {o_worker + o_kernel:.0f} MB "
                f"(grading process {o_worker:.0f} MB + kernel {o_kernel:.0f} MB)",
                flush=True,
            )
            print(f"  throughput ratio: {ratio:.1f}x", flush=True)
            stock_totals, our_totals = totals(s_db), totals(o_db)
            agree = sum(stock_totals[s] == our_totals[s] for s in our_totals)
            rows.append((n, kinds, s_sec, s_rss, o_sec, o_worker, o_kernel, ratio, agree))
        large = None
        if LARGE:
            big = os.path.join(tmp, "submitted_large")
            make_submissions(big, LARGE)
            l_sec, l_worker, l_kernel, _, _ = ours(tmp, big, "large")
            large = (l_sec, l_worker + l_kernel)
            print(
                f"make grade on {LARGE} submissions: {l_sec:.1f} s ({l_sec / 60:.1f} min, "
                f"{LARGE / l_sec:.2f} submissions/s), peak memory per worker {large[1]:.0f} MB",
                flush=True,
            )
        write_results(rows, large, validation)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_results(rows, large, validation):
    protections = sandbox.protections()
    lines = [
        "# Benchmark: stock nbgrader against this grader",
        "",
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}, in one run, on: {machine()}.",
        f"Sandbox: {', '.join(k for k, v in protections.items() if v)}.",
        "",
        "| submissions | stock `nbgrader autograde` (sequential, full execution) | `make grade` "
        f"({WORKERS} workers, registration check included; both on a registered gradebook) | ratio | peak memory |",
        "|---|---|---|---|---|",
    ]
    for n, kinds, s_sec, s_rss, o_sec, o_worker, o_kernel, ratio, agree in rows:
        lines.append(
            f"| {n} ({kinds['correct']} correct, {kinds['buggy']} buggy, {kinds['blank']} blank) | "
            f"{s_sec:.1f} s | {o_sec:.1f} s | **{ratio:.1f}x** | stock {s_rss:.0f} MB; ours "
            f"{o_worker + o_kernel:.0f} MB per worker ({o_worker:.0f} MB grading + {o_kernel:.0f} MB kernel) |"
        )
    if large:
        lines.append(
            f"| {LARGE} | — | {large[0]:.1f} s ({large[0] / 60:.1f} min) | — | {large[1]:.0f} MB per worker |"
        )
    lines += [
        "",
        "Validating a correct notebook (the release with the solutions filled in; the exploratory cells, "
        "tagged `skip-execution`, are skipped): stock `nbgrader validate` in the released folder "
        "%.1f s, `make validate` (in the sandbox) %.1f s; Run All (a full execution, nothing skipped) "
        "%.1f s. Target: validation under 10 s on 2 idle cores." % validation,
        "",
        "Target: at least 20x on 20 and on 40 submissions. Total scores agree for "
        + ", ".join(f"{agree} of {n}" for n, *_, agree in rows)
        + " submissions (both run the same hidden cases; stock nbgrader judges them inside the student's "
        "kernel, this grader in its own process; where they differ, stock nbgrader was fooled or "
        "cascaded a bug).",
        "",
        "Regenerate with `make bench` (`BENCH_SIZES=20,40`, `BENCH_LARGE=0` skips the 1,000-submission "
        "run; `BENCH_WORKERS=n`).",
    ]
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote bench/results.md")


if __name__ == "__main__":
    main()
