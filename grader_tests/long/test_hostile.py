"""The adversarial catalog (``hostile_cases.py``) graded in one batch, with two controls.

Every case is a student of one ``grader.batch.runner.run`` batch (two workers,
short limits).  Each case's per-exercise scores are checked in the results
and in the gradebook, with its notes; the batch must grade every student,
leave no file outside the sandbox changed (the repository's source,
release, helpers and grader, the submissions, a sentinel file the hostile
code tries to overwrite and delete) and leave no kernel process behind.

One hostile submission needs a batch of its own: a CPU bomb, whose victims
are whichever students the other worker grades at the same time
(``test_cpu_bomb_does_not_cost_other_students_points``).
"""

import hashlib
import json
import os
import time
from dataclasses import dataclass, field

import nbformat
import pytest

from grader import ROOT
from grader.batch import runner
from grader.course import submissions
from grader.limits import Limits
from grader.pages import table
from grader.pipeline.report_file import GradingReport
from grader_tests.helpers import hostile_cases as hc
from grader_tests.helpers import hostile_cases_oracle as oracle
from grader_tests.helpers import hostile_cases_red as red
from grader_tests.helpers.hostile_cases import ASSIGNMENT, L1W3, NOTEBOOK
from grader_tests.helpers.leftovers import labelled_run, leftover_processes, process_ids

# Short, so that timeouts are quick to reach, yet long enough for a busy 2-core machine.
# submission_timeout: twice notebook_timeout, the whole submission's time these cases were written for.
LIMITS = Limits(cell_timeout=8, notebook_timeout=40, submission_timeout=80, memory_mb=1024, grace=2)
WORKERS = 2
REPO_DIRS = ("source", "notebooks", "utils", "grader", "grading")
CONTROLS = {hc.CONTROL_FULL: hc.full(), hc.CONTROL_RELEASE: hc.zero()}


def student_of(index, case):
    return f"h{index:02d}_{case.id}"


# The catalog, the attacks an internal red team found against this design (all fixed), and a
# probe used as an oracle with an accomplice's answers replayed (issue 17.1).
CASES = hc.CASES + red.CASES + oracle.CASES
STUDENTS = {case.id: student_of(i, case) for i, case in enumerate(CASES)}


# --------------------------------------------------------------------------- snapshots


def _digest(path):
    st = os.lstat(path)
    if os.path.islink(path):
        return f"link:{os.readlink(path)}"
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return f"{st.st_mode:o}:{h.hexdigest()}"


def snapshot(*roots):
    """``{path: mode and content hash}`` of every file under ``roots`` (``__pycache__`` aside)."""
    out = {}
    for root in roots:
        if os.path.isfile(root) or os.path.islink(root):
            out[root] = _digest(root)
            continue
        if not os.path.isdir(root):
            out[root] = "absent"
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            out[dirpath] = f"dir:{os.lstat(dirpath).st_mode:o}"
            for name in filenames:
                path = os.path.join(dirpath, name)
                out[path] = _digest(path)
    return out


def site_packages_listing():
    return sorted(os.listdir(hc.SITE_PACKAGES))


def _leftover_processes(before, run_id, wait=10.0):
    """Kernel processes of this batch's run still alive after it (given ``wait`` seconds to go away), in
    every mode: kernel uids as root, the grading user's sandboxed or kernel-environment processes otherwise."""
    return leftover_processes(before, wait=wait, run_id=run_id)


# --------------------------------------------------------------------------- the batch


@dataclass
class Batch:
    paths: dict
    autograded: str  # where the verdicts on the catalog were written
    db_url: str
    results: dict  # student -> Result
    scores: dict  # student -> {grade id: score} from the gradebook
    max_points: dict
    students: list  # every student of the batch
    seconds: float = 0.0
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    site_before: list = field(default_factory=list)
    site_after: list = field(default_factory=list)
    sentinel_stat: tuple = ()
    leftover_processes: list = field(default_factory=list)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = tmp_path_factory.mktemp("hostile_course")
    submitted = str(course / "submitted")
    paths = hc.course_paths(submitted)
    os.makedirs(submitted)
    with open(paths["sentinel"], "w", encoding="utf-8") as f:
        f.write(hc.SENTINEL_TEXT)
    submissions.write(submissions.fill(L1W3), hc.CONTROL_FULL, submitted, L1W3)
    submissions.write(nbformat.read(L1W3.release_notebook, as_version=4), hc.CONTROL_RELEASE, submitted, L1W3)
    for case in CASES:
        case.build(submitted, STUDENTS[case.id])
    students = sorted(os.listdir(submitted))
    assert len(students) == len(CASES) + len(CONTROLS)

    watched = [os.path.join(ROOT, d) for d in REPO_DIRS] + [submitted, paths["sentinel"]]
    before, site_before = snapshot(*watched), site_packages_listing()
    sentinel_stat = tuple(os.stat(paths["sentinel"])[i] for i in (0, 1, 6, 8))  # mode ino size mtime
    db_url = f"sqlite:///{paths['gradebook']}"
    autograded = paths["autograded"]
    started = time.monotonic()
    running = process_ids()
    with labelled_run() as run_id:
        results = runner.run(
            submitted, autograded, db_url, "L1W3", workers=WORKERS, limits=LIMITS, quiet=True
        )
    seconds = time.monotonic() - started
    _, scores, max_points = table.scores(db_url, L1W3)

    leftovers = _leftover_processes(running, run_id)
    return Batch(
        paths=paths,
        autograded=autograded,
        db_url=db_url,
        results={r.student: r for r in results},
        scores=scores,
        max_points=max_points,
        students=students,
        seconds=seconds,
        before=before,
        after=snapshot(*watched),
        site_before=site_before,
        site_after=site_packages_listing(),
        sentinel_stat=sentinel_stat,
        leftover_processes=leftovers,
    )


# --------------------------------------------------------------------------- checks


def report_path(autograded, student):
    return GradingReport.path(autograded, student, ASSIGNMENT)


def _gid(exercise):
    return exercise + "_values"


def _release_points():
    return {_gid(e): float(p) for e, p in hc.POINTS.items()}


def check_result(batch, student, expected, note_contains=None, gradable=True):
    result = batch.results[student]
    assert sorted(result.verdicts) == sorted(_release_points()), result.verdicts.keys()
    for gid, verdict in result.verdicts.items():
        assert verdict.points == _release_points()[gid], verdict  # points from the release
        assert verdict.score in (0, verdict.points), verdict  # all or nothing
    got = {v.exercise: v.score for v in result.verdicts.values()}
    want = {e: float(s) for e, s in expected.items()}
    messages = "\n".join(list(result.notes) + [v.message for v in result.verdicts.values()])
    assert got == want, f"scores differ\nnotes and messages:\n{messages}"
    # the gradebook holds the same scores
    assert batch.scores[student] == {_gid(e): s for e, s in want.items()}, batch.scores[student]
    # a crash of the grader on a submission is never the right verdict
    assert not any("grader error" in n for n in result.notes), messages
    if note_contains:
        assert note_contains in messages, messages
    assert result.gradable == gradable, messages
    # the report is written, and the autograded notebook's test cells show the verdicts
    folder = os.path.join(batch.autograded, student, ASSIGNMENT)
    with open(report_path(batch.autograded, student), encoding="utf-8") as f:
        report = json.load(f)
    assert report["score"] == sum(want.values())
    if result.notebook:
        nb = nbformat.reads(result.notebook, as_version=4)
        tests = [
            c
            for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") in result.verdicts
        ]
        assert sorted(hc.gid_of(c) for c in tests) == sorted(result.verdicts)
        for cell in tests:
            verdict = result.verdicts[hc.gid_of(cell)]
            assert cell.cell_type == "code"
            assert cell.metadata["nbgrader"]["points"] == verdict.points
            assert cell.outputs and cell.outputs[0]["text"] == verdict.message + "\n", cell.outputs
        with open(os.path.join(folder, NOTEBOOK), encoding="utf-8") as f:
            assert f.read() == result.notebook
    return result


def test_batch_graded_every_student(batch):
    assert sorted(batch.results) == batch.students
    assert sorted(batch.scores) == batch.students
    for student in batch.students:
        assert all(s is not None for s in batch.scores[student].values())
        assert os.path.isfile(report_path(batch.autograded, student))


@pytest.mark.parametrize("student", sorted(CONTROLS))
def test_controls(batch, student):
    check_result(batch, student, CONTROLS[student])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(batch, case):
    check_case(batch, case, STUDENTS[case.id])


def check_case(batch, case, student):
    """``case``'s expected scores, notes and extra checks on ``student``'s result in ``batch``."""
    assert student in batch.results, "the batch did not grade this student"
    result = check_result(batch, student, case.expected, case.note_contains, case.gradable)
    if case.check:
        case.check(result, dict(batch.paths, autograded=batch.autograded))


def test_no_file_outside_the_sandbox_changed(batch):
    changed = sorted(
        p for p in set(batch.before) | set(batch.after) if batch.before.get(p) != batch.after.get(p)
    )
    assert not changed, changed
    assert batch.site_before == batch.site_after
    with open(batch.paths["sentinel"], encoding="utf-8") as f:
        assert f.read() == hc.SENTINEL_TEXT
    st = os.stat(batch.paths["sentinel"])
    assert tuple(st[i] for i in (0, 1, 6, 8)) == batch.sentinel_stat
    assert set(os.listdir(batch.paths["course"])) <= {
        "autograded",
        "gradebook.db",
        "gradebook.db-journal",
        "sentinel.txt",
        "submitted",
    }


def test_no_kernel_process_left(batch):
    assert not batch.leftover_processes, batch.leftover_processes


# --------------------------------------------------------------------------- other students' time

CPU_BOMB = """
import os
for _ in range(200):          # busy processes, each in a session of its own
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            os.setsid()
            while True:
                pass
        finally:
            os._exit(0)
"""
VICTIMS = ("victim_0", "victim_1", "victim_2")


@pytest.fixture(scope="module")
def starvation(tmp_path_factory):
    """A CPU bomb graded beside three full solutions (the only case that needs its own batch:
    its victims are whichever students the other worker grades meanwhile)."""
    course = tmp_path_factory.mktemp("starvation_course")
    submitted = str(course / "submitted")
    nb = hc.insert_after(hc.solved(), "func_predict_values", CPU_BOMB, *["import time\ntime.sleep(3)"] * 3)
    submissions.write(nb, "a_cpu_bomb", submitted, L1W3)  # sorted first: graded first
    for student in VICTIMS:
        submissions.write(hc.solved(), student, submitted, L1W3)
    running = process_ids()
    with labelled_run() as run_id:
        results = runner.run(
            submitted,
            str(course / "autograded"),
            f"sqlite:///{course / 'gradebook.db'}",
            "L1W3",
            workers=WORKERS,
            limits=LIMITS,
            quiet=True,
        )
    return {r.student: r for r in results}, _leftover_processes(running, run_id)


def test_cpu_bomb_does_not_cost_other_students_points(starvation):
    """Busy processes in sessions of their own must not starve the kernels graded beside them.

    Setsid takes them out of their kernel's scheduler autogroup; the submission's cgroup
    (one CPU for all its processes) keeps them from taking the other worker's CPU, and the
    wall-clock limits of the students graded beside them are not hit.
    """
    results, _ = starvation
    assert results["a_cpu_bomb"].score == 20
    scores = {s: results[s].score for s in VICTIMS}
    notes = {s: results[s].notes for s in VICTIMS}
    assert scores == {s: 20 for s in VICTIMS}, notes


def test_cpu_bomb_leaves_no_process(starvation):
    _, leftovers = starvation
    assert not leftovers, leftovers


# --------------------------------------------------------------------------- nothing shared

LEAVE_BEHIND = """
import ctypes, os, platform, socket, subprocess
libc = ctypes.CDLL(None, use_errno=True)
for folder in ('/tmp', '/dev/shm', '.', '/var/tmp'):
    try:
        with open(os.path.join(folder, 'grader-marker'), 'w') as f:
            f.write('left by an earlier submission')
    except OSError:
        pass
libc.shmget(0x6772, 4096, 0o1666)                       # a SysV segment on a fixed key
libc.msgget(0x6772, 0o1666)                             # a SysV queue
nr = {'x86_64': 248, 'aarch64': 217}.get(platform.machine())
if nr:
    libc.syscall(nr, b"user", b"grader-marker", b"x", 1, -4)    # the user keyring
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.bind('\\0grader-marker')                           # an abstract socket, kept by a daemon
    s.listen(1)
    if os.fork() == 0:
        os.setsid()
        import time
        time.sleep(3600)
except OSError:
    pass
"""

FIND_LEFTOVERS = """
import ctypes, os, platform, socket
libc = ctypes.CDLL(None, use_errno=True)
LEAKS = [p for p in ('/tmp/grader-marker', '/dev/shm/grader-marker', 'grader-marker', '/var/tmp/grader-marker')
         if os.path.exists(p)]
if libc.shmget(0x6772, 0, 0) >= 0:
    LEAKS.append('SysV segment')
if libc.msgget(0x6772, 0) >= 0:
    LEAKS.append('SysV queue')
nr = {'x86_64': 250, 'aarch64': 219}.get(platform.machine())
if nr and libc.syscall(nr, 10, -4, b"user", b"grader-marker", 0) >= 0:
    LEAKS.append('keyring')
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect('\\0grader-marker')
    LEAKS.append('abstract socket')
except OSError:
    pass
print('found:', LEAKS)
"""


def test_nothing_passes_from_one_submission_to_the_next(tmp_path):
    """Files, SysV IPC, keyrings and abstract sockets left by one submission are not seen by the
    next one graded by the same worker (one worker, two students graded in a row)."""
    submitted = str(tmp_path / "submitted")
    submissions.write(
        hc.insert_after(hc.solved(), "func_predict_values", LEAVE_BEHIND), "a_writer", submitted, L1W3
    )
    submissions.write(hc._leak_probe(FIND_LEFTOVERS)(hc.course_paths(submitted)), "b_reader", submitted, L1W3)
    running = process_ids()
    with labelled_run() as run_id:
        results = runner.run(
            submitted,
            str(tmp_path / "autograded"),
            f"sqlite:///{tmp_path / 'gb.db'}",
            "L1W3",
            workers=1,
            limits=LIMITS,
            quiet=True,
        )
    by_student = {r.student: r for r in results}
    assert by_student["a_writer"].score == 20
    assert by_student["b_reader"].score == 20, [v.message for v in by_student["b_reader"].verdicts.values()]
    assert not _leftover_processes(running, run_id)


RUN_TWICE = """
from grader.batch import runner
results = runner.run({submitted!r}, {autograded!r}, {db!r}, "L1W3", workers=2, limits=runner_limits, quiet=True)
print({{r.student: r.score for r in results}})
"""


def test_two_grading_runs_on_one_machine_do_not_change_each_others_scores(tmp_path):
    """Two grading runs at once (two courses, say), each with fork bombs and process-hungry
    students: every student gets the score a run alone gives (kernel uids never collide)."""
    import json
    import subprocess
    import sys

    runs = []
    for name in ("one", "two"):
        submitted = str(tmp_path / name / "submitted")
        for case_id in ("fork_bomb", "subprocess_spawn"):
            case = next(c for c in hc.CASES if c.id == case_id)
            case.build(submitted, case_id)
        submissions.write(hc.solved(), "control", submitted, L1W3)
        code = (
            "from grader.limits import Limits\n"
            f"runner_limits = Limits(cell_timeout={LIMITS.cell_timeout}, "
            f"notebook_timeout={LIMITS.notebook_timeout}, "
            f"submission_timeout={LIMITS.submission_timeout}, memory_mb={LIMITS.memory_mb})\n"
            + RUN_TWICE.format(
                submitted=submitted,
                autograded=str(tmp_path / name / "autograded"),
                db=f"sqlite:///{tmp_path / name / 'gb.db'}",
            )
        )
        runs.append(
            subprocess.Popen(
                [sys.executable, "-c", code],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
        )
    outputs = [run.communicate(timeout=900) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, err[-3000:]
        scores = json.loads(out.strip().splitlines()[-1].replace("'", '"'))
        assert scores == {"control": 20, "fork_bomb": 20, "subprocess_spawn": 20}, scores


def test_a_student_id_named_like_the_run_summary_is_graded(tmp_path):
    results = red.summary_name_collision(str(tmp_path))
    assert [(r.student, r.score) for r in results] == [(red.SUMMARY_NAME_ID, 20)]
