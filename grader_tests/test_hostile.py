"""The adversarial catalog (``hostile_cases.py``) graded in one batch, with two controls.

Every case is a student of one ``grader.runner.run`` batch (two workers,
short limits).  Each case's per-exercise scores are checked in the results
and in the gradebook, with its notes; the batch must grade every student,
leave no file outside the sandbox changed (the repository's source,
release, helpers and grader, the submissions, a sentinel file the hostile
code tries to overwrite and delete) and leave no kernel process behind.

Should the grader abort the batch on a case marked ``batch_risk`` (a known
grader bug), the other cases are graded again without those, so that one
batch-level bug does not hide the verdicts on everything else; the aborted
batch still fails ``test_batch_graded_every_student``.
"""
import concurrent.futures
import gc
import hashlib
import json
import os
import shutil
import time
import traceback
from dataclasses import dataclass, field

import nbformat
import pytest

import hostile_cases as hc
from grader import ASSIGNMENT, NOTEBOOK, ROOT, runner, submissions, table
from grader.limits import Limits

LIMITS = Limits(cell_timeout=4, notebook_timeout=25, memory_mb=1024)
WORKERS = 2
KERNEL_UIDS = range(62000, 63000)   # grader.sandbox.UID_BASE, one uid per worker
REPO_DIRS = ("source", "notebooks", "utils", "grader")
REPO_EXTRA = ("gradebook.db", "submitted", "autograded")   # the real course's grading state
CONTROLS = {hc.CONTROL_FULL: hc.full(), hc.CONTROL_RELEASE: hc.zero()}


def student_of(index, case):
    return f"h{index:02d}_{case.id}"


STUDENTS = {case.id: student_of(i, case) for i, case in enumerate(hc.CASES)}


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


def kernel_processes():
    """``[(pid, uid, command)]`` of live processes running as a kernel uid."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
            uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
            state = next(line for line in status.splitlines() if line.startswith("State:"))
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")[:120]
        except (OSError, StopIteration, ValueError):
            continue
        if uid in KERNEL_UIDS:
            found.append((int(pid), uid, state, cmd))
    return found


# --------------------------------------------------------------------------- the batch

@dataclass
class Batch:
    paths: dict
    autograded: str                 # where the verdicts on the catalog were written
    db_url: str
    results: dict                   # student -> Result
    scores: dict                    # student -> {grade id: score} from the gradebook
    max_points: dict
    students: list                  # every student of the batch
    error: str = ""                 # the traceback if the batch aborted
    skipped: set = field(default_factory=set)   # students not graded because of the abort
    seconds: float = 0.0
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    site_before: list = field(default_factory=list)
    site_after: list = field(default_factory=list)
    sentinel_stat: tuple = ()
    leftover_processes: list = field(default_factory=list)


def _stop_abandoned_pools():
    """Shut down the process pool of an aborted ``runner.run`` (it would go on grading)."""
    for obj in gc.get_objects():
        if isinstance(obj, concurrent.futures.ProcessPoolExecutor):
            obj.shutdown(wait=True, cancel_futures=True)


def _run(submitted, autograded, db_url):
    return runner.run(submitted, autograded, db_url, workers=WORKERS, limits=LIMITS, quiet=True)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = tmp_path_factory.mktemp("hostile_course")
    submitted = str(course / "submitted")
    paths = hc.course_paths(submitted)
    os.makedirs(submitted)
    with open(paths["sentinel"], "w", encoding="utf-8") as f:
        f.write(hc.SENTINEL_TEXT)
    submissions.write(submissions.fill(), hc.CONTROL_FULL, submitted)
    submissions.write(nbformat.read(submissions.RELEASE_NOTEBOOK, as_version=4),
                      hc.CONTROL_RELEASE, submitted)
    for case in hc.CASES:
        case.build(submitted, STUDENTS[case.id])
    students = sorted(os.listdir(submitted))
    assert len(students) == len(hc.CASES) + len(CONTROLS)

    watched = [os.path.join(ROOT, d) for d in REPO_DIRS + REPO_EXTRA] + [submitted, paths["sentinel"]]
    before, site_before = snapshot(*watched), site_packages_listing()
    sentinel_stat = tuple(os.stat(paths["sentinel"])[i] for i in (0, 1, 6, 8))  # mode ino size mtime
    db_url = f"sqlite:///{paths['gradebook']}"
    autograded, error, skipped = paths["autograded"], "", set()
    started = time.monotonic()
    try:
        results = _run(submitted, autograded, db_url)
    except Exception:
        # A batch-level grader bug: grade everything else again, in a folder of its own.
        error = traceback.format_exc()
        _stop_abandoned_pools()
        skipped = {STUDENTS[c.id] for c in hc.CASES if c.batch_risk}
        rerun = course / "rerun"
        for student in students:
            if student not in skipped:
                shutil.copytree(os.path.join(submitted, student), str(rerun / "submitted" / student),
                                symlinks=True)
        autograded = str(rerun / "autograded")
        db_url = f"sqlite:///{rerun / 'gradebook.db'}"
        results = _run(str(rerun / "submitted"), autograded, db_url)
    seconds = time.monotonic() - started
    _, scores, max_points = table.scores(db_url)

    leftovers = kernel_processes()
    for _ in range(40):
        if not leftovers:
            break
        time.sleep(0.25)
        leftovers = kernel_processes()
    return Batch(paths=paths, autograded=autograded, db_url=db_url,
                 results={r.student: r for r in results}, scores=scores, max_points=max_points,
                 students=students, error=error, skipped=skipped, seconds=seconds,
                 before=before, after=snapshot(*watched), site_before=site_before,
                 site_after=site_packages_listing(), sentinel_stat=sentinel_stat,
                 leftover_processes=leftovers)


# --------------------------------------------------------------------------- checks

def _gid(exercise):
    return exercise + "_values"


def _release_points():
    return {_gid(e): float(p) for e, p in hc.POINTS.items()}


def check_result(batch, student, expected, note_contains=None, gradable=True):
    result = batch.results[student]
    assert sorted(result.verdicts) == sorted(_release_points()), result.verdicts.keys()
    for gid, verdict in result.verdicts.items():
        assert verdict["points"] == _release_points()[gid], verdict       # points from the release
        assert verdict["score"] in (0, verdict["points"]), verdict        # all or nothing
    got = {v["exercise"]: v["score"] for v in result.verdicts.values()}
    want = {e: float(s) for e, s in expected.items()}
    messages = "\n".join(list(result.notes) + [v["message"] for v in result.verdicts.values()])
    assert got == want, f"scores differ\nnotes and messages:\n{messages}"
    # the gradebook holds the same scores
    assert batch.scores[student] == {_gid(e): s for e, s in want.items()}, batch.scores[student]
    if note_contains:
        assert note_contains in messages, messages
    assert result.gradable == gradable, messages
    # the report is written, and the autograded notebook's test cells show the verdicts
    folder = os.path.join(batch.autograded, student, ASSIGNMENT)
    with open(os.path.join(folder, "grading_report.json"), encoding="utf-8") as f:
        report = json.load(f)
    assert report["score"] == sum(want.values())
    if result.notebook:
        nb = nbformat.reads(result.notebook, as_version=4)
        tests = [c for c in nb.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") in result.verdicts]
        assert sorted(hc.gid_of(c) for c in tests) == sorted(result.verdicts)
        for cell in tests:
            verdict = result.verdicts[hc.gid_of(cell)]
            assert cell.cell_type == "code"
            assert cell.metadata["nbgrader"]["points"] == verdict["points"]
            assert cell.outputs and cell.outputs[0]["text"] == verdict["message"] + "\n", cell.outputs
        with open(os.path.join(folder, NOTEBOOK), encoding="utf-8") as f:
            assert f.read() == result.notebook
    return result


@pytest.mark.slow
def test_batch_graded_every_student(batch):
    assert not batch.error, "the batch aborted:\n" + batch.error
    assert sorted(batch.results) == batch.students
    assert sorted(batch.scores) == batch.students
    for student in batch.students:
        assert all(s is not None for s in batch.scores[student].values())
        assert os.path.isfile(os.path.join(batch.autograded, student, ASSIGNMENT,
                                           "grading_report.json"))
        assert not any("grader error" in n for n in batch.results[student].notes), \
            (student, batch.results[student].notes)


@pytest.mark.slow
def test_batch_time(batch):
    print(f"graded {len(batch.results)} submissions in {batch.seconds:.1f} s")
    assert batch.seconds < 150


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(CONTROLS))
def test_controls(batch, student):
    check_result(batch, student, CONTROLS[student])


@pytest.mark.slow
@pytest.mark.parametrize("case", hc.CASES, ids=[c.id for c in hc.CASES])
def test_case(batch, case):
    student = STUDENTS[case.id]
    if student in batch.skipped:
        pytest.fail(f"not graded: the batch aborted on it ({case.bug or 'grader bug'})\n{batch.error}")
    assert student in batch.results, "the batch did not grade this student"
    result = check_result(batch, student, case.expected, case.note_contains, case.gradable)
    if case.check:
        case.check(result, dict(batch.paths, autograded=batch.autograded))


@pytest.mark.slow
def test_no_file_outside_the_sandbox_changed(batch):
    changed = sorted(p for p in set(batch.before) | set(batch.after)
                     if batch.before.get(p) != batch.after.get(p))
    assert not changed, changed
    assert batch.site_before == batch.site_after
    with open(batch.paths["sentinel"], encoding="utf-8") as f:
        assert f.read() == hc.SENTINEL_TEXT
    st = os.stat(batch.paths["sentinel"])
    assert tuple(st[i] for i in (0, 1, 6, 8)) == batch.sentinel_stat
    assert set(os.listdir(batch.paths["course"])) <= {
        "autograded", "gradebook.db", "gradebook.db-journal", "rerun", "sentinel.txt", "submitted"}


@pytest.mark.slow
def test_no_kernel_process_left(batch):
    assert not batch.leftover_processes, batch.leftover_processes
