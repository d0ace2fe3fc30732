"""Finding submissions (grader.batch.runner.discover) and the forked worker pool (grader.batch.runner.forked)."""

import datetime
import faulthandler
import os
import signal
import types

import pytest

from grader import messages as msg
from grader.batch import runner
from grader.pipeline.result import Result
from grader_tests.helpers.fakes import master, two_exercises

ASSIGNMENT = types.SimpleNamespace(id="A1", notebook="nb.ipynb")


def _submit(submitted, student, files=None, folder="A1"):
    base = submitted / student / folder
    base.mkdir(parents=True)
    for name, content in ({"nb.ipynb": "{}"} if files is None else files).items():
        (base / name).write_text(content)
    return base


def _discover(submitted):
    return {
        student: (path, notes, stamp)
        for student, path, notes, stamp in runner.discover(str(submitted), ASSIGNMENT)
    }


def test_discover_finds_each_students_notebook_in_order(tmp_path):
    for student in ("bob", "alice", "carol"):
        _submit(tmp_path, student)
    found = list(runner.discover(str(tmp_path), ASSIGNMENT))
    assert [f[0] for f in found] == ["alice", "bob", "carol"]
    assert all(
        path == str(tmp_path / s / "A1" / "nb.ipynb") and notes == [] and stamp is None
        for s, path, notes, stamp in found
    )


def test_discover_grades_a_renamed_notebook_with_a_note(tmp_path):
    _submit(tmp_path, "ann", {"nb (1).ipynb": "{}"})
    path, notes, _ = _discover(tmp_path)["ann"]
    assert path == str(tmp_path / "ann" / "A1" / "nb (1).ipynb")
    assert len(notes) == 1 and "renamed to nb (1).ipynb; graded as nb.ipynb" in notes[0]


def test_discover_prefers_the_expected_name_among_several_notebooks(tmp_path):
    _submit(tmp_path, "ann", {"nb.ipynb": "{}", "draft.ipynb": "{}"})
    path, notes, _ = _discover(tmp_path)["ann"]
    assert path.endswith("/nb.ipynb")
    assert notes == ["其他文件被忽略 / other files ignored: draft.ipynb"]


def test_discover_does_not_guess_among_several_other_notebooks(tmp_path):
    _submit(tmp_path, "ann", {"a.ipynb": "{}", "b.ipynb": "{}"})
    path, notes, _ = _discover(tmp_path)["ann"]
    assert path is None and "several other notebooks: a.ipynb, b.ipynb" in notes[0]


def test_discover_reports_a_missing_notebook_and_a_missing_folder(tmp_path):
    _submit(tmp_path, "empty", {})
    _submit(tmp_path, "wrong", folder="B2")
    found = _discover(tmp_path)
    assert found["empty"][0] is None and "the notebook nb.ipynb is missing" in found["empty"][1][0]
    assert found["wrong"] == (None, ["没有 A1 文件夹 / no A1 folder in the submission"], None)


def test_discover_of_a_missing_submitted_folder_is_empty(tmp_path):
    assert list(runner.discover(str(tmp_path / "nowhere"), ASSIGNMENT)) == []


def test_discover_skips_hidden_folders_and_stray_files(tmp_path):
    _submit(tmp_path, ".ipynb_checkpoints")
    (tmp_path / "README.txt").write_text("x")
    _submit(tmp_path, "ann")
    assert list(_discover(tmp_path)) == ["ann"]


def test_discover_refuses_an_assignment_folder_linking_outside(tmp_path):
    submitted, outside = tmp_path / "submitted", tmp_path / "outside"
    (outside).mkdir()
    (outside / "nb.ipynb").write_text("{}")
    (submitted / "eve").mkdir(parents=True)
    (submitted / "eve" / "A1").symlink_to(outside)
    path, notes, _ = _discover(submitted)["eve"]
    assert path is None and "links outside the submission" in notes[0]


@pytest.mark.parametrize("target", ["outside", "other_student"])
def test_discover_refuses_a_notebook_linking_outside(tmp_path, target):
    submitted = tmp_path / "submitted"
    _submit(submitted, "other_student")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "nb.ipynb").write_text("{}")
    base = _submit(submitted, "eve", {})
    source = (
        tmp_path / "outside" / "nb.ipynb"
        if target == "outside"
        else submitted / "other_student" / "A1" / "nb.ipynb"
    )
    (base / "nb.ipynb").symlink_to(source)
    path, notes, _ = _discover(submitted)["eve"]
    assert path is None and "links outside the submission and is not graded" in notes[0]


def test_discover_refuses_a_renamed_notebook_linking_outside(tmp_path):
    submitted = tmp_path / "submitted"
    (tmp_path / "secret.ipynb").write_text("{}")
    base = _submit(submitted, "eve", {})
    (base / "mine.ipynb").symlink_to(tmp_path / "secret.ipynb")
    path, notes, _ = _discover(submitted)["eve"]
    assert path is None and "links outside" in notes[0]


def test_discover_reads_nbgraders_timestamp(tmp_path):
    _submit(tmp_path, "ann", {"nb.ipynb": "{}", "timestamp.txt": "2026-11-20 08:30:00.000000 UTC\n"})
    path, notes, stamp = _discover(tmp_path)["ann"]
    assert notes == []  # timestamp.txt is not an "other file"
    assert stamp.replace(tzinfo=None) == datetime.datetime(2026, 11, 20, 8, 30)


@pytest.mark.parametrize("content", ["garbage", "2026-13-45 99:00", "\x00\xff" * 50, "9" * 400])
def test_discover_ignores_a_garbled_timestamp_with_a_note(tmp_path, content):
    _submit(tmp_path, "ann", {"nb.ipynb": "{}", "timestamp.txt": content})
    path, notes, stamp = _discover(tmp_path)["ann"]
    assert path is not None and stamp is None
    assert len(notes) == 1 and "timestamp.txt is unreadable and was ignored" in notes[0]


def test_discover_ignores_a_timestamp_linking_outside(tmp_path):
    (tmp_path / "stamp").write_text("2026-11-20 08:30:00 UTC")
    base = _submit(tmp_path / "submitted", "ann")
    (base / "timestamp.txt").symlink_to(tmp_path / "stamp")
    assert _discover(tmp_path / "submitted")["ann"][2] is None


# --- forked ---------------------------------------------------------------------------------


def _fake_grade_one(student, path, notes, assignment, master, limits, seed=None):  # noqa: ARG001
    if student == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if student == "exits":
        os._exit(3)
    if student == "segfault":
        faulthandler.disable()  # pytest's handler would print the test process's stack
        os.kill(os.getpid(), signal.SIGSEGV)
    return Result(student, {}, notes=[f"graded {path}"])


def test_forked_hands_each_worker_its_students_seed(monkeypatch):
    def grade_one(student, path, notes, assignment, master, limits, seed=None):  # noqa: ARG001
        return Result(student, {}, notes=[f"seed {seed}"])

    monkeypatch.setattr(runner, "grade_one", grade_one)
    jobs = [(s, f"/{s}.ipynb", [], None) for s in ("alice", "bob")]
    results = dict(runner.forked(jobs, 2, two_exercises(), master(), None, {"alice": 11, "bob": 2**127}))
    assert results["alice"].notes == ["seed 11"] and results["bob"].notes == [f"seed {2**127}"]


def test_forked_reports_a_dead_worker_for_that_student_only(monkeypatch):
    monkeypatch.setattr(runner, "grade_one", _fake_grade_one)
    students = ["alice", "sigkill", "bob", "exits", "carol", "segfault", "dave"]
    jobs = [(s, f"/{s}.ipynb", [], None) for s in students]
    results = dict(runner.forked(jobs, 2, two_exercises(), master(), None))
    assert sorted(results) == sorted(students)
    for student in ("alice", "bob", "carol", "dave"):
        assert not results[student].grader_error
        assert results[student].notes == [f"graded /{student}.ipynb"]
    for student, how in (
        ("sigkill", "killed by SIGKILL"),
        ("exits", "exit status 3"),
        ("segfault", "killed by SIGSEGV"),
    ):
        result = results[student]
        assert result.grader_error and not result.gradable and result.score == 0
        assert how in result.notes[0] and "the grading worker died" in result.notes[0]
        assert [v.status for v in result.verdicts.values()] == ["not_graded"]


def test_forked_with_one_worker_grades_in_order(monkeypatch):
    monkeypatch.setattr(runner, "grade_one", _fake_grade_one)
    jobs = [(s, None, [], None) for s in ("c", "sigkill", "a")]
    assert [s for s, _ in runner.forked(jobs, 1, two_exercises(), master(), None)] == ["c", "sigkill", "a"]


@pytest.fixture
def failing_forks(monkeypatch):
    """``fail["forks"] = n``: the next ``n`` worker forks fail with EAGAIN (every one once
    ``fail["most"]`` workers started); ``fail["started"]`` lists each started worker's first student."""
    import multiprocessing.context

    fail, start = {"forks": 0, "most": None, "started": []}, multiprocessing.context.ForkProcess.start

    def flaky(process):
        if fail["most"] is not None and len(fail["started"]) >= fail["most"]:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        if fail["forks"] > 0:
            fail["forks"] -= 1
            raise BlockingIOError(11, "Resource temporarily unavailable")
        first = process._args[2][0][0]  # _serve's first job, ((student, ...), seed); start() drops _args
        start(process)
        fail["started"].append(first)

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", flaky)
    monkeypatch.setattr(runner, "grade_one", _fake_grade_one)
    monkeypatch.setattr(runner, "FORK_BACKOFF", 0.001)
    return fail


def test_a_failed_fork_is_tried_again_and_costs_nobody_anything(failing_forks):
    failing_forks["forks"] = runner.FORK_ATTEMPTS - 1
    jobs = [(s, f"/{s}.ipynb", [], None) for s in ("alice", "bob", "carol")]
    results = dict(runner.forked(jobs, 2, two_exercises(), master(), None))
    assert {s: r.notes for s, r in results.items()} == {
        s: [f"graded /{s}.ipynb"] for s in ("alice", "bob", "carol")
    }
    assert failing_forks["forks"] == 0


def test_forks_that_keep_failing_beside_a_running_worker_cost_nobody_anything(failing_forks):
    # The first worker starts; every later fork fails (a fork bomb beside the run): that one
    # worker grades every submission.
    failing_forks["most"] = 1
    jobs = [(s, f"/{s}.ipynb", [], None) for s in ("alice", "bob", "carol", "dave")]
    results = dict(runner.forked(jobs, 2, two_exercises(), master(), None))
    assert {s: r.notes for s, r in results.items()} == {
        s: [f"graded /{s}.ipynb"] for s in ("alice", "bob", "carol", "dave")
    }
    assert failing_forks["started"] == ["alice"]


def test_a_fork_that_keeps_failing_costs_only_its_own_submission(failing_forks):
    # No worker runs and none can be forked: the submission waiting for one is reported not
    # graded after FORK_ATTEMPTS tries; once forks work again, the rest is graded.
    failing_forks["forks"] = runner.FORK_ATTEMPTS
    jobs = [(s, f"/{s}.ipynb", [], None) for s in ("alice", "bob", "carol")]
    results = dict(runner.forked(jobs, 1, two_exercises(), master(), None))
    assert sorted(results) == ["alice", "bob", "carol"]
    assert not results["bob"].grader_error and not results["carol"].grader_error
    alice = results["alice"]
    assert alice.grader_error and alice.score == 0
    assert alice.notes[0] == msg.FORK_FAILED.format(
        error="BlockingIOError: [Errno 11] Resource temporarily unavailable"
    )
    assert failing_forks["forks"] == 0 and failing_forks["started"] == ["bob"]


def test_one_worker_grades_many_submissions_and_a_dead_one_is_replaced(monkeypatch):
    def grade_one(student, path, notes, assignment, master, limits, seed=None):  # noqa: ARG001
        if student == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        return Result(student, {}, notes=[f"pid {os.getpid()}"])

    monkeypatch.setattr(runner, "grade_one", grade_one)
    monkeypatch.setattr(runner, "WORKER_JOBS", 3)
    students = ["a", "b", "c", "d", "sigkill", "e", "f"]
    jobs = [(s, None, [], None) for s in students]
    results = dict(runner.forked(jobs, 1, two_exercises(), master(), None))
    pid = {s: results[s].notes[0] for s in students if s != "sigkill"}
    # Three per worker (WORKER_JOBS), then a fresh one; the one that died is replaced at once.
    assert pid["a"] == pid["b"] == pid["c"] != pid["d"]
    assert len({pid["d"], pid["e"], pid["f"]}) == 2 and pid["e"] == pid["f"] != pid["d"]
    assert results["sigkill"].grader_error


def test_a_retired_worker_ends(monkeypatch):
    """A worker that keeps a copy of its own pipe's writing end never sees that end: each
    retired worker must have exited by the time the pool is closed, not been killed."""
    monkeypatch.setattr(runner, "WORKER_JOBS", 1)
    monkeypatch.setattr(runner, "grade_one", _fake_grade_one)
    ended = []
    reap = runner.Worker.reap

    def watched(self, timeout=5.0):
        reap(self, timeout=timeout)
        ended.append(self.process.exitcode)

    monkeypatch.setattr(runner.Worker, "reap", watched)
    jobs = [(s, None, [], None) for s in ("a", "b", "c")]
    assert sorted(s for s, _ in runner.forked(jobs, 2, two_exercises(), master(), None)) == ["a", "b", "c"]
    assert ended == [0, 0, 0]


def test_forked_of_no_jobs_yields_nothing():
    assert list(runner.forked([], 4, two_exercises(), master(), None)) == []


def test_grade_one_turns_a_grader_exception_into_a_grader_error(monkeypatch):
    import grader.pipeline.grade

    def broken(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(grader.pipeline.grade, "grade_submission", broken)
    result = runner.grade_one("ann", "/nb.ipynb", ["a note"], two_exercises(), master(), None)
    assert result.grader_error and result.notes[0] == "a note"
    assert "grader error: KeyError" in result.notes[1]


def test_grade_one_without_a_notebook_gives_the_first_note_as_reason():
    result = runner.grade_one("ann", None, ["缺少 / missing", "more"], two_exercises(), master(), None)
    assert not result.gradable and not result.grader_error
    assert result.verdicts["add_values"].failures[0].message == "缺少 / missing"


def test_discover_does_not_note_the_exchanges_own_files(tmp_path):
    stamp = "2026-11-20 08:30:16.000000 UTC"
    _submit(tmp_path, "ann", {"nb.ipynb": "{}", "timestamp.txt": stamp, "submission_secret.txt": "s"})
    assert _discover(tmp_path)["ann"][1] == []


def test_the_exchanges_files_go_beside_the_autograded_notebook(tmp_path):
    """As nbgrader's autograde copies them: generate_feedback then puts them beside the page."""
    submitted, autograded = tmp_path / "submitted", tmp_path / "autograded"
    stamp = "2026-11-20 08:30:16.000000 UTC"
    _submit(submitted, "ann", {"nb.ipynb": "{}", "timestamp.txt": stamp, "submission_secret.txt": "s" * 128})
    runner.copy_exchange_files(str(submitted), str(autograded), "ann", "A1")
    dest = autograded / "ann" / "A1"
    assert sorted(os.listdir(dest)) == ["submission_secret.txt", "timestamp.txt"]
    assert (dest / "submission_secret.txt").read_text() == "s" * 128
    assert (dest / "timestamp.txt").read_text() == stamp
    # Re-collected from the LMS: no secret any more, so the old one does not outlive it.
    (submitted / "ann" / "A1" / "submission_secret.txt").unlink()
    runner.copy_exchange_files(str(submitted), str(autograded), "ann", "A1")
    assert sorted(os.listdir(dest)) == ["timestamp.txt"]


def test_only_small_regular_files_of_the_students_folder_are_copied(tmp_path):
    submitted, autograded = tmp_path / "submitted", tmp_path / "autograded"
    (tmp_path / "elsewhere").write_text("not the student's")
    base = _submit(submitted, "ann", {"timestamp.txt": "x" * (runner.EXCHANGE_FILE_BYTES + 1)})
    (base / "submission_secret.txt").symlink_to(tmp_path / "elsewhere")
    runner.copy_exchange_files(str(submitted), str(autograded), "ann", "A1")
    assert not (autograded / "ann" / "A1").exists()


# --- no fixed cost before the first submission is graded ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-01 10:00:00.000000 UTC",
        "2024-03-01 10:00:00.123456 Asia/Shanghai",
        "2024-03-01 10:00:00 -0800",
        "2024-03-01T10:00:00+02:00",
        "2024-03-01 10:00:00",
    ],
)
def test_timestamps_are_read_as_nbgrader_reads_them(text):
    from nbgrader.utils import parse_utc

    assert runner.parse_utc(text) == parse_utc(text)


def test_the_gradebook_is_opened_while_the_first_workers_grade(monkeypatch):
    monkeypatch.setattr(runner, "grade_one", _fake_grade_one)
    seen = []
    jobs = [(s, f"/{s}.ipynb", [], None) for s in ("a", "b", "c")]
    for student, _ in runner.forked(
        jobs, 2, two_exercises(), master(), None, while_starting=lambda: seen.append("opened")
    ):
        seen.append(student)
    assert seen[0] == "opened" and sorted(seen[1:]) == ["a", "b", "c"]
    seen.clear()
    assert (
        list(
            runner.forked(
                [], 2, two_exercises(), master(), None, while_starting=lambda: seen.append("opened")
            )
        )
        == []
    )
    assert seen == ["opened"]  # no submission: the assignment is registered all the same


def test_the_workers_get_job_after_job_while_the_gradebook_opens(monkeypatch, tmp_path):
    """Opening the gradebook (0.25 s) no longer keeps each first worker waiting for its second job."""
    import time

    def grade_one(student, *args, **kwargs):
        (tmp_path / student).touch()
        return Result(student, {})

    monkeypatch.setattr(runner, "grade_one", grade_one)
    jobs = [(s, None, [], None) for s in "abcdef"]
    seen = []

    def open_the_gradebook():  # returns once four submissions were graded meanwhile
        end = time.monotonic() + 30
        while len(os.listdir(tmp_path)) < 4 and time.monotonic() < end:
            time.sleep(0.01)
        seen.append(("opened", len(os.listdir(tmp_path))))

    for student, _ in runner.forked(
        jobs, 2, two_exercises(), master(), None, while_starting=open_the_gradebook
    ):
        seen.append(student)
    assert seen[0][0] == "opened" and seen[0][1] >= 4  # and no result before it
    assert sorted(seen[1:]) == list("abcdef")


def test_no_worker_is_forked_while_the_gradebook_opens(monkeypatch):
    """A fork beside a thread in the middle of an import would leave the child a held import lock."""
    import threading
    import time

    monkeypatch.setattr(runner, "grade_one", _fake_grade_one)
    threads_at_fork = []
    start = runner.Slots.start

    def start_alone(self, *args):
        threads_at_fork.append(threading.active_count())
        return start(self, *args)

    monkeypatch.setattr(runner.Slots, "start", start_alone)
    jobs = [
        (s, None, [], None) for s in ("sigkill", "exits", "a", "b")
    ]  # two workers die: one fork more at least
    results = dict(
        runner.forked(jobs, 2, two_exercises(), master(), None, while_starting=lambda: time.sleep(0.5))
    )
    assert results["sigkill"].grader_error and not results["a"].grader_error
    assert len(threads_at_fork) >= 3 and set(threads_at_fork) == {threading.active_count()}


def test_workers_still_running_when_the_caller_stops_are_killed(monkeypatch):
    import time

    def slow(student, *args):
        time.sleep(60)

    monkeypatch.setattr(runner, "grade_one", slow)
    jobs = [(s, f"/{s}.ipynb", [], None) for s in ("a", "b")]

    def broken():
        raise RuntimeError("the gradebook cannot be opened")

    started = time.monotonic()
    with pytest.raises(RuntimeError):
        list(runner.forked(jobs, 2, two_exercises(), master(), None, while_starting=broken))
    assert time.monotonic() - started < 30  # not left to grade for a minute
    import multiprocessing

    assert multiprocessing.active_children() == []
