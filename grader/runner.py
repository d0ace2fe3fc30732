"""``python -m grader grade``: every submission, in parallel, into the gradebook.

Workers (a local process pool by default, or a Dask cluster) grade
submissions with :func:`grader.grade.grade_submission`, which touches no
shared state; this process alone writes the autograded notebooks and the
gradebook, one transaction per submission, as results arrive.  Scores do
not depend on the number of workers or the order of completion.
"""
import concurrent.futures
import glob
import json
import os
import sys
import time

from grader import ASSIGNMENT, NOTEBOOK, release, sandbox
from grader.gradebook import open_gradebook, record
from grader.progress import Progress

class RecordError(RuntimeError):
    """Some students were graded but their grades could not be recorded."""

    def __init__(self, students):
        super().__init__("could not record the grades of: " + ", ".join(students))
        self.students = students


_MASTER = None
_LIMITS = None
_HIDDEN = ()


def discover(submitted, assignment=ASSIGNMENT):
    """Yield ``(student, notebook path or None, notes, timestamp)`` for each student folder."""
    if not os.path.isdir(submitted):
        return
    for student in sorted(os.listdir(submitted)):
        folder = os.path.join(submitted, student, assignment)
        if student.startswith(".") or not os.path.isdir(os.path.join(submitted, student)):
            continue
        notes, path = [], None
        if not os.path.isdir(folder):
            notes.append(f"没有 {assignment} 文件夹 / no {assignment} folder in the submission")
            yield student, None, notes, None
            continue
        if _escapes(folder, os.path.join(submitted, student)):
            notes.append(f"{assignment} 文件夹是指向提交之外的链接 / the {assignment} folder links outside the submission")
            yield student, None, notes, None
            continue
        expected = os.path.join(folder, NOTEBOOK)
        notebooks = sorted(p for p in glob.glob(os.path.join(folder, "*.ipynb")))
        if os.path.isfile(expected):
            path = expected
        elif len(notebooks) == 1:
            path = notebooks[0]
            notes.append(f"笔记本被改名为 {os.path.basename(path)}，按 {NOTEBOOK} 评分 / notebook renamed to "
                         f"{os.path.basename(path)}; graded as {NOTEBOOK}")
        elif notebooks:
            notes.append(f"没有 {NOTEBOOK}，且有多个笔记本 / no {NOTEBOOK} and several other notebooks: "
                         + ", ".join(os.path.basename(p) for p in notebooks))
        else:
            notes.append(f"缺少笔记本 {NOTEBOOK} / the notebook {NOTEBOOK} is missing")
        candidate = path
        if path is not None and _escapes(path, folder):
            notes.insert(0, "笔记本是指向提交之外的链接，不予评分 / the notebook links outside the submission "
                            "and is not graded")
            path = None
        extra = sorted(n for n in os.listdir(folder)
                       if os.path.join(folder, n) != candidate and n != "timestamp.txt")
        if extra:
            notes.append("其他文件被忽略 / other files ignored: " + ", ".join(extra[:10]))
        yield student, path, notes, _timestamp(folder, notes)


def _escapes(path, folder):
    """Whether ``path`` is a symlink or resolves outside ``folder`` (a student's own tree)."""
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return os.path.islink(path) or not (real == base or real.startswith(base + os.sep))


def _timestamp(folder, notes):
    """The submission time from nbgrader's ``timestamp.txt``, or ``None`` (with a note if unreadable)."""
    from nbgrader.utils import parse_utc
    stamp = os.path.join(folder, "timestamp.txt")
    if not os.path.isfile(stamp) or _escapes(stamp, folder):
        return None
    try:
        with open(stamp, encoding="utf-8", errors="replace") as f:
            return parse_utc(f.read(200).strip())
    except (ValueError, OverflowError, TypeError) as exc:
        notes.append(f"timestamp.txt 无法识别，已忽略 / timestamp.txt is unreadable and was ignored ({type(exc).__name__})")
        return None


def _init(master, limits, hidden):
    global _MASTER, _LIMITS, _HIDDEN
    _MASTER, _LIMITS, _HIDDEN = master, limits, hidden


def _grade(student, path, notes):
    from grader.grade import Result, _zero_all, grade_submission
    if path is None:  # discover() put the reason first
        reason = notes[0] if notes else "no notebook"
        return Result(student, _zero_all(_MASTER, reason), list(notes), gradable=False)
    return grade_submission(student, path, _MASTER, _LIMITS, _HIDDEN, notes)


def grade_remote(student, path_notes, master, limits, hidden):
    """The task a Dask worker runs (the submission travels as its bytes)."""
    import tempfile
    _init(master, limits, hidden)
    data, notes = path_notes
    if data is None:
        return _grade(student, None, notes)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, NOTEBOOK)
        with open(path, "wb") as f:
            f.write(data)
        return _grade(student, path, notes)


def _write_atomic(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def report_path(autograded, student, assignment=ASSIGNMENT):
    """Where the grading report of a student's submission is kept."""
    return os.path.join(autograded, student, f"grading_report_{assignment}.json")


def save(result, autograded, gb, timestamp, assignment=ASSIGNMENT):
    """Write a result's autograded notebook and report, then its gradebook rows."""
    folder = os.path.join(autograded, result.student, assignment)
    if result.notebook:
        _write_atomic(os.path.join(folder, NOTEBOOK), result.notebook)
    report = {"student": result.student, "score": result.score, "gradable": result.gradable,
              "notes": result.notes, "seconds": round(result.seconds, 3),
              "peak_rss_mb": round(result.peak_rss_mb, 1),
              "worker_rss_mb": round(result.worker_rss_mb, 1),
              "verdicts": result.verdicts}
    # Beside, not inside, the assignment folder: nbgrader copies that folder into the feedback.
    _write_atomic(report_path(autograded, result.student, assignment),
                  json.dumps(report, ensure_ascii=False, indent=1))
    record(gb, result, assignment, timestamp)


def run(submitted, autograded, db_url, workers=None, scheduler=None, limits=None,
        assignment=ASSIGNMENT, quiet=False, master=None):
    """Grade every submission; return the list of results (in student order)."""
    from grader import master as master_mod
    from grader.limits import Limits

    from grader import cgroups

    started = time.monotonic()
    cgroups.sweep()
    limits = limits or Limits()
    master = master or master_mod.load()
    release.register(db_url)
    hidden = tuple(os.path.abspath(p) for p in (submitted, autograded))
    if db_url.startswith("sqlite:///"):
        hidden += (os.path.dirname(os.path.abspath(db_url[len("sqlite:///"):])),)
    jobs = list(discover(submitted, assignment))
    out = sys.stderr
    if not quiet:
        active = sandbox.protections()
        print("protections: " + "; ".join(f"{k}: {'on' if v else 'OFF'}" for k, v in active.items()),
              file=out)
    gb = open_gradebook(db_url)
    results, failures = {}, []
    progress = Progress(len(jobs), out if not quiet else None)
    stamps = {student: stamp for student, _, _, stamp in jobs}
    try:
        if scheduler:
            futures = _submit_dask(scheduler, jobs, master, limits, hidden)
            completed = _as_completed_dask(futures)
        else:
            workers = workers or os.cpu_count() or 1
            pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, initializer=_init, initargs=(master, limits, hidden))
            futures = {pool.submit(_grade, s, p, n): s for s, p, n, _ in jobs}
            completed = ((futures[f], f) for f in concurrent.futures.as_completed(futures))
        for student, future in completed:
            try:
                result = future.result()
            except Exception as exc:  # a worker crash costs that student, not the batch
                from grader.grade import Result, _zero_all
                result = Result(student, _zero_all(master, f"grader error: {exc!r}"),
                                [f"评分程序出错 / grader error: {exc!r}"], gradable=False)
            try:
                save(result, autograded, gb, stamps.get(student), assignment)
            except Exception as exc:  # one unrecordable result must not cost the rest of the batch
                failures.append(student)
                print(f"\n{student}: 成绩无法写入 / could not record the grades: {exc!r}", file=out)
            results[student] = result
            progress.step(student)
        if not scheduler:
            pool.shutdown()
    finally:
        progress.close()
        gb.close()
    summary = {"assignment": assignment, "submissions": len(results),
               "wall_seconds": round(time.monotonic() - started, 2),
               "workers": None if scheduler else workers, "scheduler": scheduler,
               "limits": limits.as_dict(), "protections": sandbox.protections()}
    _write_atomic(os.path.join(autograded, f"grading_run_{assignment}.json"),
                  json.dumps(summary, ensure_ascii=False, indent=1))
    if failures:
        raise RecordError(failures)
    return [results[s] for s in sorted(results)]


def _submit_dask(scheduler, jobs, master, limits, hidden):
    from distributed import Client
    client = Client(scheduler)
    shared = client.scatter([master, limits, hidden], broadcast=True)
    futures = {}
    for student, path, notes, _ in jobs:
        data = None
        if path is not None:
            with open(path, "rb") as f:
                data = f.read()
        futures[client.submit(grade_remote, student, (data, notes), *shared, key=f"grade-{student}",
                              pure=False)] = student
    return client, futures


def _as_completed_dask(client_futures):
    from distributed import as_completed
    client, futures = client_futures
    try:
        for future in as_completed(list(futures)):
            yield futures[future], future
    finally:
        client.close()
