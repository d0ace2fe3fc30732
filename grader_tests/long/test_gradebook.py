"""The gradebook is never half-written: killed runs and concurrent writers lose nothing."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from grader.batch.gradebook import open_gradebook, record
from grader.course import cells as master_mod
from grader.course import release
from grader.pipeline.judge import Failure, Verdict
from grader.pipeline.result import Result
from grader_tests.helpers.course import dump, six_submissions


def _grade_cmd(submitted, autograded, db):
    return [
        sys.executable,
        "-m",
        "grader",
        "grade",
        "L1W3",
        "--submitted",
        submitted,
        "--autograded",
        autograded,
        "--db",
        db,
        "--workers",
        "2",
    ]


@pytest.fixture(scope="module")
def course(tmp_path_factory, root):
    tmp = tmp_path_factory.mktemp("killrerun")
    submitted = six_submissions(str(tmp))
    reference_db = f"sqlite:///{tmp / 'reference.db'}"
    subprocess.run(
        _grade_cmd(submitted, str(tmp / "ag_reference"), reference_db),
        cwd=root,
        check=True,
        capture_output=True,
    )
    return tmp, submitted, dump(reference_db)


@pytest.mark.parametrize("kill_after", [0, 1, 4])
def test_killed_run_then_rerun_equals_uninterrupted_run(course, root, kill_after):
    tmp, submitted, reference = course
    db = f"sqlite:///{tmp / f'killed{kill_after}.db'}"
    autograded = str(tmp / f"ag_killed{kill_after}")
    proc = subprocess.Popen(
        _grade_cmd(submitted, autograded, db),
        cwd=root,
        text=True,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    steps = 0
    deadline = time.monotonic() + 300
    while steps < kill_after and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        steps += line.startswith("[")
    if kill_after == 0:
        # Somewhere inside registering or the first submissions: just after the run's first line
        # (its protections), printed before any worker starts.  (A fixed pause of seconds
        # outlasted the whole run once kernels were warm.)
        while time.monotonic() < deadline and not proc.stderr.readline().startswith("protections:"):
            pass
        time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    if "grade" in _tables(db[len("sqlite:///") :]):  # else killed before nbgrader made its tables
        rows, counts = dump(db)
        # Whatever was recorded is whole: every recorded submission has all its grades.
        per_student = {}
        for student, *_ in rows:
            per_student[student] = per_student.get(student, 0) + 1
        assert set(per_student.values()) <= {8}
        assert counts["grade"] == 8 * counts["submitted_assignment"]
    subprocess.run(_grade_cmd(submitted, autograded, db), cwd=root, check=True, capture_output=True)
    assert dump(db) == reference


def _tables(path):
    """The tables of the SQLite file at ``path`` (none when there is no such file)."""
    import sqlite3

    if not os.path.exists(path):
        return set()
    with sqlite3.connect(path) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _writer(db_url, index, results, barrier, errors):
    try:
        gb = open_gradebook(db_url)
        barrier.wait()
        for result in results:
            record(gb, result, "L1W3")
        gb.close()
    except Exception as exc:  # reported to the parent, which fails the test
        errors.put(f"writer {index}: {exc!r}")


def _results(master, students, score_of):
    out = []
    for student in students:
        verdicts = {
            gid: Verdict(
                ex,
                gid,
                pts,
                score_of(student, gid, pts),
                0,
                0,
                failures=[Failure("", "values", "", f"{student} {gid}")],
            )
            for gid, (ex, pts) in master.tests.items()
        }
        out.append(Result(student, verdicts))
    return out


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_forty_concurrent_writers_lose_and_duplicate_nothing(tmp_path, backend, request):
    db = (
        f"sqlite:///{tmp_path / 'concurrent.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    from grader.course.assignment import load

    master = master_mod.load(load("L1W3"))
    release.register(load("L1W3"), db)
    ctx = multiprocessing.get_context("fork")
    writers = 40
    barrier, errors = ctx.Barrier(writers), ctx.Queue()
    score_of = lambda student, gid, pts: pts if hash((student, gid)) % 2 else 0.0  # noqa: E731
    jobs = []
    for i in range(writers):
        # Each writer grades three students of its own and one everybody grades.
        own = [f"{backend}_s{i:02d}_{k}" for k in range(3)] + [f"{backend}_shared"]
        jobs.append(
            ctx.Process(target=_writer, args=(db, i, _results(master, own, score_of), barrier, errors))
        )
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(300)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []
    assert all(job.exitcode == 0 for job in jobs)
    rows, counts = dump(db)
    students = {r[0] for r in rows if r[0].startswith(backend)}
    assert len(students) == writers * 3 + 1
    assert counts["submitted_assignment"] == len(students) == counts["student"]
    assert counts["grade"] == 8 * len(students)
    for student, name, score, manual in rows:
        points = master.tests[name][1]
        assert score == score_of(student, name, points) and not manual


def test_record_writes_nbgraders_rows_on_postgresql(postgres_server):
    """The unit suite's comparison (``grader_tests/unit/batch/test_gradebook.py``), on PostgreSQL:
    a first grading as nbgrader's API makes it, then a regrading that keeps the instructor's score."""
    import datetime

    from nbgrader.api import Gradebook

    from grader.batch.gradebook import penalty_for
    from grader_tests.helpers import gradebook_rows as rows

    ours, theirs = postgres_server(), postgres_server()
    late = rows.DUE + datetime.timedelta(hours=25)
    graded = rows.result("ann", {"add_values": 2.0, "twice_values": 0.0, "extra_values": 1.0})
    for db in (ours, theirs):
        rows.make(db)
    gb = open_gradebook(ours)
    try:
        record(gb, graded, rows.ASSIGNMENT, late)
    finally:
        gb.close()
    rows.nbgrader_way(theirs, graded, late, lambda score, seconds: penalty_for("ann", score, seconds))
    assert rows.values(ours) == rows.values(theirs)
    with Gradebook(ours, "course101") as nbgb:
        nbgb.find_grade("written", "nb", rows.ASSIGNMENT, "ann").manual_score = 3.5
        nbgb.db.commit()
    gb = open_gradebook(ours)
    try:
        record(gb, rows.result("ann", {"add_values": 2.0, "twice_values": 3.0}), rows.ASSIGNMENT, late)
    finally:
        gb.close()
    found, counts = rows.values(ours)
    assert counts == rows.values(theirs)[1]
    nb = found["ann"]["notebooks"]["nb"]
    assert {g[0]: g[2:] for g in nb["grades"]}["written"] == (0.0, 3.5, None, True)
    assert nb["score"] == 8.5 and nb["penalty"] == pytest.approx(1.7)  # 20 % of 8.5: two days late
