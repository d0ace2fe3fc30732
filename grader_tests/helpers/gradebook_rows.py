"""A small nbgrader gradebook, and every value of it that formgrader and the exports read.

Used by the tests of ``grader.batch.gradebook.record`` (SQLite in the unit suite,
PostgreSQL in the long one): what ``record`` writes is compared, row by row, with
what nbgrader's own ``Gradebook`` API makes for the same submission.
"""

import datetime

from nbgrader.api import Gradebook, SubmittedAssignment
from sqlalchemy import text

from grader.pipeline.judge import Failure, Verdict
from grader.pipeline.result import Result

ASSIGNMENT = "T0"
DUE = datetime.datetime(2026, 11, 1, 12, 0, 0)
# notebook -> [(cell, kind, points)]: two notebooks, code and markdown grade cells, solution
# cells named as their exercises, a task cell (a grade and a comment of its own).
CELLS = {
    "nb": [
        ("add_values", "grade", 2.0),
        ("twice_values", "grade", 3.0),
        ("written", "markdown", 4.0),
        ("add", "solution", None),
        ("twice", "solution", None),
        ("essay", "task", 1.0),
    ],
    "extra": [("extra_values", "grade", 1.0), ("extra", "solution", None)],
}
# test grade id -> exercise (a comment is the verdict of the exercise its solution cell is named for)
EXERCISES = {"add_values": "add", "twice_values": "twice", "extra_values": "extra"}


def make(db_url):
    """Register the assignment and its cells in a new gradebook at ``db_url``."""
    with Gradebook(db_url, "course101") as gb:
        gb.add_assignment(ASSIGNMENT, duedate=DUE)
        for notebook, cells in CELLS.items():
            gb.add_notebook(notebook, ASSIGNMENT)
            for name, kind, points in cells:
                if kind in ("grade", "markdown"):
                    cell_type = "code" if kind == "grade" else "markdown"
                    gb.add_grade_cell(name, notebook, ASSIGNMENT, max_score=points, cell_type=cell_type)
                elif kind == "solution":
                    gb.add_solution_cell(name, notebook, ASSIGNMENT)
                else:
                    gb.add_task_cell(name, notebook, ASSIGNMENT, max_score=points, cell_type="markdown")
        gb.db.commit()


def result(student, scores):
    """A ``Result`` scoring each test grade id of ``scores`` (the others have no verdict)."""
    points = {name: p for cells in CELLS.values() for name, _, p in cells}
    verdicts = {}
    for gid, score in scores.items():
        failures = [] if score == points[gid] else [Failure("case 1", "values", "A", "wrong values")]
        verdicts[gid] = Verdict(
            EXERCISES[gid], gid, points[gid], score, 1 - len(failures), 1, failures=failures
        )
    return Result(student, verdicts)


def nbgrader_way(db_url, graded, timestamp, penalty_of):
    """What nbgrader's own API makes of ``graded`` (a ``Result``), with the values ``record`` documents.

    ``penalty_of(score, seconds_late)`` gives a notebook's late penalty.
    """
    with Gradebook(db_url, "course101") as gb:
        if not any(s.id == graded.student for s in gb.students):
            gb.add_student(graded.student)
        with gb.db.no_autoflush:  # nbgrader's add_submission warns otherwise (its own objects)
            submission = gb.add_submission(ASSIGNMENT, graded.student, timestamp=timestamp)
        by_exercise = {v.exercise: v for v in graded.verdicts.values()}
        for nb in submission.notebooks:
            for grade in nb.grades:
                verdict = graded.verdicts.get(grade.cell.name)
                grade.auto_score = verdict.score if verdict else 0.0
                grade.needs_manual_grade = False
            for comment in nb.comments:
                verdict = by_exercise.get(comment.cell.name)
                comment.auto_comment = verdict.message if verdict else None
            late = submission.total_seconds_late
            score = sum(g.auto_score for g in nb.grades)
            nb.late_submission_penalty = penalty_of(score, late) if late > 0 else None
        gb.db.commit()


def values(db_url):
    """Everything of each submission by name: rows, columns and nbgrader's computed totals."""
    out = {}
    with Gradebook(db_url, "course101") as gb:
        counts = {
            table: gb.db.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608 (our names)
            for table in ("student", "submitted_assignment", "submitted_notebook", "grade", "comment")
        }
        for submission in gb.db.query(SubmittedAssignment).all():
            student = submission.student
            mine = out[student.id] = {
                "student": (student.first_name, student.last_name, student.email, student.lms_user_id),
                "timestamp": submission.timestamp,
                "extension": submission.extension,
                "score": submission.score,
                "max_score": submission.max_score,
                "needs_manual_grade": submission.needs_manual_grade,
                "id_length": len(submission.id),
                "notebooks": {},
            }
            for nb in submission.notebooks:
                mine["notebooks"][nb.name] = {
                    "flagged": nb.flagged,
                    "penalty": nb.late_submission_penalty,
                    "score": nb.score,
                    "needs_manual_grade": nb.needs_manual_grade,
                    "grades": sorted(
                        (
                            g.cell.name,
                            g.cell.type,
                            g.auto_score,
                            g.manual_score,
                            g.extra_credit,
                            g.needs_manual_grade,
                        )
                        for g in nb.grades
                    ),
                    "comments": sorted(
                        (c.cell.name, c.cell.type, c.auto_comment, c.manual_comment) for c in nb.comments
                    ),
                    "ids": sorted(
                        {len(nb.id)} | {len(g.id) for g in nb.grades} | {len(c.id) for c in nb.comments}
                    ),
                }
    return out, counts


WRITTEN = ("student", "submitted_assignment", "submitted_notebook", "grade", "comment")


def stored(path, before=()):
    """``{table: sorted rows}`` of a SQLite gradebook's written tables, as the file stores them.

    Every value is the one SQLite holds (dates as text, booleans as integers), read with
    ``sqlite3``, not through a library that would parse them back.  The ids made by the
    writing (uuid4 hex strings, random in each gradebook, absent from the tables ``before``,
    a set of values) read as ``"<new id>"``.
    """
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        out = {}
        for table in WRITTEN:
            rows = connection.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 (our names)
            out[table] = sorted(
                (
                    tuple(
                        "<new id>"
                        if isinstance(v, str) and len(v) == 32 and v not in before and _hex(v)
                        else v
                        for v in row
                    )
                    for row in rows
                ),
                key=repr,
            )
        return out
    finally:
        connection.close()


def known_ids(path):
    """Every value of a SQLite gradebook before a test writes to it (its registered rows' ids)."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        names = [n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {v for n in names for row in connection.execute(f"SELECT * FROM {n}") for v in row}  # noqa: S608
    finally:
        connection.close()


def _hex(value):
    try:
        int(value, 16)
    except ValueError:
        return False
    return True
