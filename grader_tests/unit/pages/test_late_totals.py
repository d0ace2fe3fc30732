"""Every total shown says whether it is before or after the late penalty, and they agree.

One real gradebook (nbgrader's API, SQLite) with an on-time and a late student; the score
table, grades_by_exercise.csv, the class report and the feedback summary read it as they read
the course's, and are held to ``nbgrader export``'s figures (grades.csv) and to what
formgrader shows (nbgrader's own totals, before the penalty).
"""

import csv
import shutil
import types

import pytest
from nbgrader.api import Gradebook

from grader import messages as msg
from grader.nbgrader_ext import export
from grader.pages import feedback, report, table

ASSIGNMENT, NOTEBOOK = "T0", "nb"
POINTS = {"add_values": 2.0, "twice_values": 3.0}
# bob scored everything but handed in late: 5 before the penalty, 1 off, 4 after.
SCORES = {"ann": {"add_values": 2.0, "twice_values": 0.0}, "bob": {"add_values": 2.0, "twice_values": 3.0}}
PENALTY = {"bob": 1.0}


def _assignment():
    return types.SimpleNamespace(
        id=ASSIGNMENT,
        notebook_id=NOTEBOOK,
        notebook=NOTEBOOK + ".ipynb",
        test_cells={"add": "add_values", "twice": "twice_values"},
        exercises=("add", "twice"),
        spec=types.SimpleNamespace(short_names={}),
    )


@pytest.fixture(scope="module")
def gradebook_file(tmp_path_factory):
    """The gradebook, made once (nbgrader creates one with a slow alembic subprocess)."""
    path = tmp_path_factory.mktemp("late") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(NOTEBOOK, ASSIGNMENT)
        for name, points in POINTS.items():
            gb.add_grade_cell(name, NOTEBOOK, ASSIGNMENT, max_score=points, cell_type="code")
        for student, scores in SCORES.items():
            gb.add_student(student)
            gb.add_submission(ASSIGNMENT, student)
            for name, score in scores.items():
                gb.find_grade(name, NOTEBOOK, ASSIGNMENT, student).auto_score = score
            gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).late_submission_penalty = PENALTY.get(
                student
            )
        gb.db.commit()
    return path


@pytest.fixture
def db(tmp_path, gradebook_file):
    shutil.copy(gradebook_file, tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path}/gradebook.db"


def test_penalties_come_from_the_gradebook(db):
    assert table.penalties(db, _assignment()) == {"ann": 0.0, "bob": 1.0}


def test_the_score_table_shows_before_penalty_and_final_and_says_which(db):
    lines = table.render(db, _assignment()).splitlines()
    bob = next(line for line in lines if line.startswith("bob"))
    ann = next(line for line in lines if line.startswith("ann"))
    assert bob.endswith("| 4/5 = 5 − 1") and ann.endswith("| 2/5")
    assert lines[-1] == msg.TABLE_TOTAL_AFTER_PENALTY


def test_the_score_table_of_an_on_time_class_has_no_penalty_line(db, monkeypatch):
    monkeypatch.setattr(table, "penalties", lambda db_url, assignment: {"ann": 0.0, "bob": 0.0})
    assert msg.TABLE_TOTAL_AFTER_PENALTY not in table.render(db, _assignment())


def test_exercise_csv_has_grades_csvs_totals(db, tmp_path):
    path = report.write_exercise_csv(db, str(tmp_path / "by_exercise.csv"), _assignment())
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "student",
        "add",
        "twice",
        "raw_score",
        "late_submission_penalty",
        "score",
        "max_score",
    ]
    by_student = {r["student"]: r for r in rows}
    assert by_student["bob"] == {
        "student": "bob",
        "add": "2",
        "twice": "3",
        "raw_score": "5",
        "late_submission_penalty": "1",
        "score": "4",
        "max_score": "5",
    }
    # The same figures as grades.csv (nbgrader export through the course's plugin).
    with Gradebook(db) as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        for student in gb.students:
            row = dict(zip(export.COLUMNS, export._row(gb, assignment, student)))
            mine = by_student[student.id]
            for column in ("raw_score", "late_submission_penalty", "score", "max_score"):
                assert float(mine[column]) == float(row[column] or 0), (student.id, column)


def test_formgrader_totals_are_before_the_penalty(db):
    """What the docs say of formgrader: nbgrader's own totals never subtract the penalty."""
    with Gradebook(db) as gb:
        shown = {s["student"]: s["score"] for s in gb.submission_dicts(ASSIGNMENT)}
        students = {s["id"]: s["score"] for s in gb.student_dicts()}
    assert shown["bob"] == 5.0 and students["bob"] == 5.0


def test_the_class_report_counts_totals_after_the_penalty_and_says_so(db):
    _, scores, max_points = table.scores(db, _assignment())
    summary = report.summarize(
        scores, {}, max_points, _assignment().test_cells, table.penalties(db, _assignment())
    )
    assert summary["totals"] == {"ann": 2.0, "bob": 4.0}
    assert summary["raw_totals"] == {"ann": 2.0, "bob": 5.0}
    assert summary["penalties"] == {"bob": 1.0}
    files = {"histogram": "h.png", "pass_rate": "p.png", "time": "t.png"}
    page = report.render(summary, files, ASSIGNMENT, "no timing")
    assert f"{msg.MEAN_SCORE} 3.00 / 5" in page
    assert msg.MEAN_AFTER_PENALTY.format(late=1, raw_mean=3.5) in page
    assert msg.LATE_BREAKDOWN.format(raw=5, penalty=1, final=4) in page


def test_the_class_report_of_an_on_time_class_names_no_penalty():
    summary = report.summarize(SCORES, {}, POINTS, _assignment().test_cells)
    page = report.render(summary, {"histogram": "h", "pass_rate": "p", "time": "t"}, ASSIGNMENT, "")
    assert summary["totals"] == summary["raw_totals"] and summary["penalties"] == {}
    assert msg.MEAN_AFTER_PENALTY.split("{")[0] not in page


def test_the_feedback_summary_gives_before_penalty_and_final(db, tmp_path, monkeypatch):
    monkeypatch.setattr(feedback, "load_assignment", lambda assignment_id: _assignment())
    monkeypatch.setattr(feedback, "extra_html", lambda nb_path, assignment, limits=None: "")
    # As nbgrader's GetGrades fills them in: the score after the penalty, and the penalty.
    resources = {
        "nbgrader": {
            "student": "bob",
            "assignment": ASSIGNMENT,
            "notebook": NOTEBOOK,
            "db_url": db,
            "score": 4.0,
            "late_penalty": 1.0,
        },
        "metadata": {"path": str(tmp_path / "bob" / ASSIGNMENT)},
    }
    page = feedback.summary_html(resources)
    assert "bob — 4 / 5" in page
    assert msg.LATE_BREAKDOWN.format(raw=5, penalty=1, final=4) in page
    del resources["nbgrader"]["score"], resources["nbgrader"]["late_penalty"]
    page = feedback.summary_html(resources)  # without GetGrades: from the gradebook's rows
    assert "bob — 4 / 5" in page and msg.LATE_BREAKDOWN.format(raw=5, penalty=1, final=4) in page
