"""The grading report: one typed class writes, names and reads it, from the runner to the pages.

Fast: files in a temporary folder, the small stand-in assignment of ``unit_fixtures``.
"""

import html
import json
import os
import pathlib

import pytest

from grader import ROOT
from grader.batch import runner
from grader.pages import feedback, report
from grader.pipeline import report_file as gr
from grader.pipeline.judge import Failure, Verdict, not_graded
from grader.pipeline.report_file import GradingReport, RunSummary
from grader.pipeline.result import Result
from grader_tests.helpers.fakes import two_exercises

ASSIGNMENT = "T0"
GRADER = pathlib.Path(ROOT) / "grader"


def _result(student="ann"):
    assignment = two_exercises()
    verdicts = {
        "add_values": Verdict(
            "add",
            "add_values",
            2.0,
            0.0,
            0,
            2,
            failures=[
                Failure("1+2", "values", "total", "数值不对 / total has wrong values"),
                Failure("3+4", "raised", "ValueError", "调用出错 / raised ValueError"),
            ],
        ),
        "twice_values": not_graded(assignment, "twice", 3.0, "内核终止 / kernel stopped"),
    }
    return Result(
        student, verdicts, notes=["笔记 / a note"], seconds=1.23456, peak_rss_mb=12.345, worker_rss_mb=67.891
    )


def _legacy_report_of(result, assignment):
    """The report as ``runner.report_of`` built it before the class existed (the files on disk)."""
    return {
        "student": result.student,
        "assignment": assignment.id,
        "score": result.score,
        "max_score": sum(v.points for v in result.verdicts.values()),
        "gradable": result.gradable,
        "grader_error": result.grader_error,
        "notes": result.notes,
        "seconds": round(result.seconds, 3),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "worker_rss_mb": round(result.worker_rss_mb, 1),
        "verdicts": {gid: v.as_dict() for gid, v in result.verdicts.items()},
    }


def _good():
    return _legacy_report_of(_result(), two_exercises())


def _write(tmp_path, data, student="ann"):
    path = tmp_path / student / f"grading_report_{ASSIGNMENT}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode())
    return path


# --- round trip and the file's name ----------------------------------------------------------------


def test_round_trip_through_the_file(tmp_path):
    result = _result()
    written = GradingReport.of(result, two_exercises())
    path = written.write(str(tmp_path))
    assert path == str(tmp_path / "ann" / "grading_report_T0.json")
    assert not os.path.exists(path + ".tmp")
    loaded = GradingReport.load(path)
    assert loaded == written
    assert loaded.verdicts == result.verdicts
    assert all(isinstance(f, Failure) for v in loaded.verdicts.values() for f in v.failures)
    assert (loaded.score, loaded.max_score) == (result.score, 5.0)
    assert (loaded.seconds, loaded.peak_rss_mb, loaded.worker_rss_mb) == (1.235, 12.3, 67.9)
    assert GradingReport.load_all(str(tmp_path), ASSIGNMENT) == {"ann": written}


def test_the_file_holds_the_keys_and_values_every_report_so_far_holds(tmp_path):
    result = _result()
    path = GradingReport.of(result, two_exercises()).write(str(tmp_path))
    with open(path, encoding="utf-8") as f:
        text = f.read()
    legacy = _legacy_report_of(result, two_exercises())
    assert json.loads(text) == legacy
    assert list(json.loads(text)) == list(legacy)
    assert text == json.dumps(legacy, ensure_ascii=False, indent=1)


def test_a_report_written_before_the_class_loads_as_the_same_report(tmp_path):
    result = _result()
    path = _write(tmp_path, _legacy_report_of(result, two_exercises()))
    assert GradingReport.load(str(path)) == GradingReport.of(result, two_exercises())


def test_the_runner_saves_through_the_class(tmp_path, monkeypatch):
    from grader.batch import gradebook

    recorded = []
    monkeypatch.setattr(
        gradebook,
        "record",
        lambda gb, result, assignment_id, timestamp: recorded.append((result.student, assignment_id)),
    )
    assignment = two_exercises()
    assignment.notebook = "nb.ipynb"
    result = _result("bob")
    result.notebook = "{}"
    runner.save(result, str(tmp_path), None, None, assignment)
    assert recorded == [("bob", ASSIGNMENT)]
    assert (tmp_path / "bob" / ASSIGNMENT / "nb.ipynb").read_text() == "{}"
    assert GradingReport.find(str(tmp_path), "bob", ASSIGNMENT) == GradingReport.of(result, assignment)


@pytest.mark.parametrize("name", ["grading_report_", "grading_run_"])
def test_only_the_owner_names_the_files(name):
    owner = GRADER / "pipeline" / "report_file.py"
    holders = sorted(
        str(p.relative_to(GRADER)) for p in GRADER.rglob("*.py") if name in p.read_text(encoding="utf-8")
    )
    assert holders == [str(owner.relative_to(GRADER))]


def test_the_name_is_the_assignments_and_the_students():
    assert GradingReport.file_name("L1W3") == "grading_report_L1W3.json"
    assert GradingReport.path("/a", "ann", "L1W3") == os.path.join("/a", "ann", "grading_report_L1W3.json")
    assert RunSummary.path("/a", "L1W3") == os.path.join("/a", ".grading_run_L1W3.json")


# --- tolerant reading: a catalog of broken files ---------------------------------------------------


def _with(change):
    data = _good()
    change(data)
    return data


def _verdict(change, gid="add_values"):
    return _with(lambda d: change(d["verdicts"][gid]))


def _failures(value):
    return _verdict(lambda v: v.__setitem__("failures", value))


def _set(key, value, gid="add_values"):
    return _verdict(lambda v: v.__setitem__(key, value), gid)


NONE = None  # the file is no report: None, skipped by load_all
GOOD_FAILURE = _good()["verdicts"]["add_values"]["failures"][0]

# name -> (file contents: bytes or a JSON value, what load gives)
#   what load gives: NONE, or a function of the loaded report that holds.
BROKEN = {
    "empty file": (b"", NONE),
    "truncated": (json.dumps(_good()).encode()[:300], NONE),
    "not utf-8": (b'{"student": "\xff\xfe"}', NONE),
    "not json": (b"{not json", NONE),
    "a list": ([_good()], NONE),
    "a string": ("grading report", NONE),
    "a number": (3, NONE),
    "null": (None, NONE),
    "deeply nested": (b"[" * 200_000 + b"]" * 200_000, NONE),
    "a 5000-digit number": (b'{"student": "ann", "assignment": "T0", "seconds": ' + b"9" * 5000 + b"}", NONE),
    "no student": (_with(lambda d: d.pop("student")), NONE),
    "student not a string": (_with(lambda d: d.__setitem__("student", ["ann"])), NONE),
    "empty student": (_with(lambda d: d.__setitem__("student", "")), NONE),
    "no assignment": (_with(lambda d: d.pop("assignment")), NONE),
    "another student's report": (_with(lambda d: d.__setitem__("student", "bob")), NONE),
    "another assignment's report": (_with(lambda d: d.__setitem__("assignment", "L1W2")), NONE),
    "verdicts a list": (
        _with(lambda d: d.__setitem__("verdicts", list(d["verdicts"].values()))),
        lambda r: r.verdicts == {},
    ),
    "a verdict not a dict": (
        _with(lambda d: d["verdicts"].__setitem__("add_values", "✔")),
        lambda r: list(r.verdicts) == ["twice_values"],
    ),
    "score a string": (_set("score", "2"), lambda r: list(r.verdicts) == ["twice_values"]),
    "points a bool": (_set("points", True), lambda r: list(r.verdicts) == ["twice_values"]),
    "points NaN": (_set("points", float("nan")), lambda r: list(r.verdicts) == ["twice_values"]),
    "points infinite": (_set("points", float("inf")), lambda r: list(r.verdicts) == ["twice_values"]),
    "points too large for a float": (_set("points", 10**400), lambda r: list(r.verdicts) == ["twice_values"]),
    "passed above total": (_set("passed", 5), lambda r: list(r.verdicts) == ["twice_values"]),
    "passed negative": (_set("passed", -1), lambda r: list(r.verdicts) == ["twice_values"]),
    "total a float": (_set("total", 2.5), lambda r: list(r.verdicts) == ["twice_values"]),
    "unknown status": (_set("status", "graded"), lambda r: list(r.verdicts) == ["twice_values"]),
    "status a list": (_set("status", ["judged"]), lambda r: list(r.verdicts) == ["twice_values"]),
    "empty exercise": (_set("exercise", ""), lambda r: list(r.verdicts) == ["twice_values"]),
    "no grade id": (_verdict(lambda v: v.pop("grade_id")), lambda r: list(r.verdicts) == ["twice_values"]),
    "failures a dict": (_failures({"case": "1+2"}), lambda r: r.verdicts["add_values"].failures == []),
    "failures a string": (_failures("wrong"), lambda r: r.verdicts["add_values"].failures == []),
    "failures not dicts": (
        _failures(["wrong", None, 3, ["values"], GOOD_FAILURE]),
        lambda r: r.verdicts["add_values"].failures == [Failure(**GOOD_FAILURE)],
    ),
    "a failure of unknown kind": (
        _failures([dict(GOOD_FAILURE, kind="exploded"), GOOD_FAILURE]),
        lambda r: r.verdicts["add_values"].failures == [Failure(**GOOD_FAILURE)],
    ),
    "a failure whose kind is a list": (
        _failures([dict(GOOD_FAILURE, kind=["values"])]),
        lambda r: r.verdicts["add_values"].failures == [],
    ),
    "a failure whose message is a number": (
        _failures([dict(GOOD_FAILURE, message=3)]),
        lambda r: r.verdicts["add_values"].failures == [],
    ),
    "a failure without a case, with an unknown key": (
        _failures([{"kind": "shape", "variable": "W1", "message": "形状 / shape", "extra": 1}]),
        lambda r: r.verdicts["add_values"].failures == [Failure("", "shape", "W1", "形状 / shape")],
    ),
    "a stored message that differs": (
        _set("message", "✔ add: all passed (2/2)"),
        lambda r: r.verdicts["add_values"].message.startswith("✘ add"),
    ),
    "notes not a list": (_with(lambda d: d.__setitem__("notes", "a note")), lambda r: r.notes == []),
    "notes not strings": (
        _with(lambda d: d.__setitem__("notes", ["kept", 3, None, True, {"a": 1}])),
        lambda r: r.notes == ["kept", "3"],
    ),
    "flags not bools": (
        _with(lambda d: d.update(gradable="no", grader_error=1)),
        lambda r: (r.gradable, r.grader_error) == (True, False),
    ),
    "times not numbers": (
        _with(lambda d: d.update(seconds="fast", peak_rss_mb=None, worker_rss_mb=[1])),
        lambda r: (r.seconds, r.peak_rss_mb, r.worker_rss_mb) == (None, 0.0, 0.0),
    ),
    "nothing but the names": (
        {"student": "ann", "assignment": "T0"},
        lambda r: (r.verdicts, r.notes, r.gradable, r.seconds) == ({}, [], True, None),
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_file_is_skipped_or_keeps_its_well_formed_parts(tmp_path, name):
    contents, expect = BROKEN[name]
    _write(tmp_path, contents)
    _write(tmp_path, _legacy_report_of(_result("zed"), two_exercises()), student="zed")
    reports = GradingReport.load_all(str(tmp_path), ASSIGNMENT)
    assert "zed" in reports, "one broken file cost another student's report"
    found = GradingReport.find(str(tmp_path), "ann", ASSIGNMENT)
    if expect is NONE:
        assert found is None and "ann" not in reports
    else:
        assert found is not None and reports["ann"] == found and expect(found), found
    # Whatever was kept, the pages built from it do not fail.
    summary = report.summarize(
        {}, reports, {"add_values": 2.0, "twice_values": 3.0}, dict(two_exercises().test_cells)
    )
    assert sorted(summary["students"]) == sorted(reports)
    for loaded in reports.values():
        for verdict in loaded.verdicts.values():
            assert feedback._result_html(verdict).startswith("<pre>")


@pytest.mark.parametrize(
    "make",
    [
        lambda path: path.mkdir(parents=True),
        lambda path: (path.parent.mkdir(parents=True), os.mkfifo(path)),
        lambda path: (path.parent.mkdir(parents=True), path.symlink_to(path.parent / "nowhere")),
    ],
    ids=["a folder", "a fifo", "a dangling link"],
)
def test_what_is_no_regular_file_is_no_report(tmp_path, make):
    make(tmp_path / "ann" / "grading_report_T0.json")
    assert GradingReport.find(str(tmp_path), "ann", ASSIGNMENT) is None
    assert GradingReport.load_all(str(tmp_path), ASSIGNMENT) == {}


def test_a_file_larger_than_any_report_is_not_read(tmp_path, monkeypatch):
    path = _write(tmp_path, _good())
    monkeypatch.setattr(gr, "MAX_BYTES", path.stat().st_size - 1)
    assert GradingReport.load(str(path)) is None
    monkeypatch.setattr(gr, "MAX_BYTES", path.stat().st_size)
    assert GradingReport.load(str(path)) is not None


def test_missing_files_and_folders_are_no_reports(tmp_path):
    assert GradingReport.load(str(tmp_path / "nothing.json")) is None
    assert GradingReport.load_all(str(tmp_path / "no such folder"), ASSIGNMENT) == {}


def test_glob_characters_in_the_course_path_are_no_pattern(tmp_path):
    course = tmp_path / "course [1]*"
    GradingReport.of(_result(), two_exercises()).write(str(course))
    assert list(GradingReport.load_all(str(course), ASSIGNMENT)) == ["ann"]


@pytest.mark.parametrize("data", [None, [], {}, {"exercise": "add"}, {"kind": "values"}, "values"])
def test_from_dict_never_raises(data):
    assert Verdict.from_dict(data) is None
    assert GradingReport.from_dict(data) is None
    assert RunSummary.from_dict(data) is None
    assert Failure.from_dict(data) == (Failure("", "values", "", "") if data == {"kind": "values"} else None)


def test_a_verdict_keyed_by_no_string_is_left_out():
    data = _good()
    data["verdicts"][3] = data["verdicts"].pop("add_values")
    assert list(GradingReport.from_dict(data).verdicts) == ["twice_values"]


# --- the run summary ---------------------------------------------------------------------------


def _summary():
    return RunSummary(ASSIGNMENT, 40, 12.34, 4, None, {"cell_timeout": 60.0}, {"bubblewrap": True})


def test_run_summary_round_trip_and_legacy_form(tmp_path):
    path = _summary().write(str(tmp_path))
    assert path == str(tmp_path / ".grading_run_T0.json")
    legacy = {
        "assignment": "T0",
        "submissions": 40,
        "wall_seconds": 12.34,
        "workers": 4,
        "scheduler": None,
        "limits": {"cell_timeout": 60.0},
        "protections": {"bubblewrap": True},
    }
    with open(path, encoding="utf-8") as f:
        assert f.read() == json.dumps(legacy, ensure_ascii=False, indent=1)
    assert RunSummary.load(str(tmp_path), ASSIGNMENT) == _summary()


@pytest.mark.parametrize(
    "contents",
    [
        b"",
        b"{truncated",
        b"[]",
        b"null",
        json.dumps({"assignment": "L1W2", "submissions": 4, "wall_seconds": 1.0}).encode(),
        json.dumps({"assignment": "T0", "submissions": "4", "wall_seconds": 1.0}).encode(),
        json.dumps({"assignment": "T0", "submissions": 4, "wall_seconds": "slow"}).encode(),
        json.dumps({"assignment": "T0", "submissions": True, "wall_seconds": 1.0}).encode(),
    ],
)
def test_a_broken_run_summary_is_none(tmp_path, contents):
    (tmp_path / ".grading_run_T0.json").write_bytes(contents)
    assert RunSummary.load(str(tmp_path), ASSIGNMENT) is None


def test_run_summary_keeps_its_well_formed_parts(tmp_path):
    (tmp_path / ".grading_run_T0.json").write_text(
        json.dumps(
            {
                "assignment": "T0",
                "submissions": 4,
                "wall_seconds": 2,
                "workers": "many",
                "scheduler": 5,
                "limits": [],
                "protections": "all",
            }
        )
    )
    assert RunSummary.load(str(tmp_path), ASSIGNMENT) == RunSummary("T0", 4, 2.0)


def test_the_class_reports_timing_sentence_is_unchanged():
    assert report._timing([1.0, 2.0], _summary()) == (
        "2 submissions, 3.0 s of worker time, mean 1.50 s, max 2.00 s; last run: 40 submissions in "
        "12.3 s wall time with 4 workers"
    )
    dask = RunSummary(ASSIGNMENT, 3, 1.0, None, "tcp://scheduler:8786")
    assert (
        report._timing([], dask) == "no timing; last run: 3 submissions in 1.0 s wall time with "
        "tcp://scheduler:8786 workers"
    )
    assert report._timing([], None) == "no timing"


# --- the pages: the same output for the same data -----------------------------------------------------


def _legacy_result_html(verdict):
    """``feedback._result_html`` as it read the report's dicts before the class existed."""
    if verdict is None:
        return "<pre>—</pre>"
    failures = verdict.get("failures")
    if isinstance(failures, list) and failures:
        items = "".join(
            f"<li><b>{html.escape(str(f.get('case', '')))}</b> {html.escape(str(f.get('message', '')))}</li>"
            for f in failures
            if isinstance(f, dict)
        )
        head = str(verdict.get("message", "")).splitlines()[:1]
        return f"<pre>{html.escape(head[0] if head else '')}</pre><ul>{items}</ul>"
    return f"<pre>{html.escape(str(verdict.get('message', '')))}</pre>"


@pytest.mark.parametrize(
    "verdict",
    list(_result().verdicts.values())
    + [
        Verdict("add", "add_values", 2.0, 2.0, 2, 2),
        Verdict(
            "add",
            "add_values",
            2.0,
            0.0,
            0,
            5,
            failures=[Failure(f"<c{i}>", "values", "v", f"<m{i}>") for i in range(5)],
        ),
    ],
)
def test_feedback_result_cell_is_what_it_was_for_the_same_file(verdict):
    stored = json.loads(json.dumps(verdict.as_dict(), ensure_ascii=False))
    assert feedback._result_html(Verdict.from_dict(stored)) == _legacy_result_html(stored)


def _resources(tmp_path, student="ann"):
    return {
        "nbgrader": {"student": student, "assignment": ASSIGNMENT, "notebook": "nb", "db_url": "x"},
        "metadata": {"path": str(tmp_path / student / ASSIGNMENT)},
    }


@pytest.fixture
def pages(monkeypatch):
    """The feedback summary with the stand-in assignment and gradebook rows of 2/2 and 0/3."""
    monkeypatch.setattr(feedback, "load_assignment", lambda assignment_id: two_exercises())
    monkeypatch.setattr(feedback, "extra_html", lambda nb_path, assignment, limits=None: "")
    monkeypatch.setattr(
        feedback,
        "gradebook_rows",
        lambda *args: ({"add_values": (2.0, 2.0, 0.0, 2.0), "twice_values": (0.0, 3.0, 0.0, None)}, 0.0, {}),
    )


def test_feedback_summary_shows_the_reports_verdicts_and_notes(tmp_path, pages):
    result = _result()
    GradingReport.of(result, two_exercises()).write(str(tmp_path))
    page = feedback.summary_html(_resources(tmp_path))
    assert "ann — 2 / 5" in page
    for verdict in result.verdicts.values():
        assert _legacy_result_html(verdict.as_dict()) in page
    assert "笔记 / a note" in page and "graded by hand" in page
    assert "no grading report" not in page.lower()


@pytest.mark.parametrize("name", ["not json", "a list", "another student's report", "deeply nested"])
def test_feedback_summary_of_a_broken_report_says_so(tmp_path, pages, name):
    _write(tmp_path, BROKEN[name][0])
    page = feedback.summary_html(_resources(tmp_path))
    assert "ann — 2 / 5" in page and html.escape(str(feedback.msg.NO_GRADING_REPORT)) in page
    assert page.count("<pre>—</pre>") == 2


def test_feedback_summary_keeps_the_well_formed_verdicts(tmp_path, pages):
    _write(tmp_path, BROKEN["a verdict not a dict"][0])
    page = feedback.summary_html(_resources(tmp_path))
    assert page.count("<pre>—</pre>") == 1 and "kernel stopped" in page


# --- grades_by_exercise.csv: columns named by the assignment's mapping ----------------------------


def test_exercise_csv_names_each_column_by_the_assignments_exercise(tmp_path, monkeypatch):
    from grader.pages import table

    assignment = two_exercises()
    # Grade ids that do not end in "_values": a name cut from the id would be wrong here.
    assignment.test_cells = {"add": "test_of_add", "twice": "check-twice"}
    grade_ids = ["test_of_add", "check-twice", "manual_cell"]
    monkeypatch.setattr(
        table,
        "scores",
        lambda db_url, a: (
            grade_ids,
            {"bob": {"test_of_add": 2.0, "check-twice": 0.0, "manual_cell": 1.0}},
            {"test_of_add": 2.0, "check-twice": 3.0, "manual_cell": 1.0},
        ),
    )
    monkeypatch.setattr(table, "penalties", lambda db_url, a: {"bob": 0.0})
    path = report.write_exercise_csv("sqlite://", str(tmp_path / "by_exercise.csv"), assignment)
    with open(path, encoding="utf-8") as f:
        assert f.read().splitlines() == [
            "student,add,twice,manual_cell,raw_score,late_submission_penalty,score,max_score",
            "bob,2,0,1,3,0,3,6",
        ]
