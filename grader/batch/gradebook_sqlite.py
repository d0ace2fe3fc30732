"""nbgrader's gradebook in a SQLite file, written with Python's own ``sqlite3``.

The same statements as :mod:`grader.batch.gradebook_sqlalchemy` on the same
tables, and the values stored as SQLAlchemy stores them in SQLite (dates as
``YYYY-MM-DD HH:MM:SS.ffffff`` text, intervals as dates after the epoch,
booleans as 0 and 1, nbgrader's column defaults written out):
``grader_tests/unit/batch/test_gradebook.py`` compares the stored rows, value
by value, with what nbgrader's own API writes.  A grading run needs no
SQLAlchemy and no ``nbgrader.api`` then: importing them cost about 0.2 s of
CPU per run, beside the workers that grade meanwhile.

Only a plain file URL (``sqlite:///path``, no query) is handled here, and
only once the file holds nbgrader's tables (:func:`has_tables`); anything
else goes through SQLAlchemy as before.
"""

import datetime
import sqlite3
import uuid

# The tables a grading run reads or writes: a file without them is created by nbgrader first.
TABLES = (
    "assignment",
    "notebook",
    "base_cell",
    "grade_cells",
    "student",
    "submitted_assignment",
    "submitted_notebook",
    "grade",
    "comment",
)
BUSY_MS = 30000  # as the SQLAlchemy path's busy_timeout: concurrent writers wait their turn
EPOCH = datetime.datetime(1970, 1, 1)  # SQLAlchemy's Interval on SQLite: a date this long after it

STATEMENTS = {
    "find_assignment": "SELECT assignment.id, assignment.duedate FROM assignment WHERE assignment.name = :name",
    "find_student": "SELECT student.id FROM student WHERE student.id = :student",
    "add_student": "INSERT INTO student (id) VALUES (:student)",
    "find_submission": (
        "SELECT submitted_assignment.id, submitted_assignment.extension FROM submitted_assignment"
        " WHERE submitted_assignment.assignment_id = :assignment"
        " AND submitted_assignment.student_id = :student"
    ),
    "add_submission": (
        "INSERT INTO submitted_assignment (id, assignment_id, student_id, timestamp)"
        " VALUES (:id, :assignment_id, :student_id, :timestamp)"
    ),
    "stamp_submission": "UPDATE submitted_assignment SET timestamp = :stamp WHERE submitted_assignment.id = :row",
    "cells": (
        "SELECT notebook.id, base_cell.id, base_cell.type, base_cell.name"
        " FROM notebook LEFT OUTER JOIN base_cell ON base_cell.notebook_id = notebook.id"
        " WHERE notebook.assignment_id = :assignment"
    ),
    # flagged: nbgrader's column default (False), which SQLAlchemy writes on every insert.
    "add_notebook": (
        "INSERT INTO submitted_notebook (id, assignment_id, notebook_id, flagged, late_submission_penalty)"
        " VALUES (:id, :assignment_id, :notebook_id, 0, :late_submission_penalty)"
    ),
    "add_grade": (
        "INSERT INTO grade (id, notebook_id, cell_id, auto_score, needs_manual_grade)"
        " VALUES (:id, :notebook_id, :cell_id, :auto_score, :needs_manual_grade)"
    ),
    "add_comment": (
        "INSERT INTO comment (id, notebook_id, cell_id, auto_comment)"
        " VALUES (:id, :notebook_id, :cell_id, :auto_comment)"
    ),
    "notebooks": "SELECT submitted_notebook.id FROM submitted_notebook WHERE submitted_notebook.assignment_id = :submission",
    "grades": (
        "SELECT grade.id, grade.notebook_id, grade.manual_score, base_cell.name FROM grade"
        " JOIN base_cell ON grade.cell_id = base_cell.id"
        " JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id"
        " WHERE submitted_notebook.assignment_id = :submission"
    ),
    "comments": (
        "SELECT comment.id, base_cell.name FROM comment"
        " JOIN base_cell ON comment.cell_id = base_cell.id"
        " JOIN submitted_notebook ON comment.notebook_id = submitted_notebook.id"
        " WHERE submitted_notebook.assignment_id = :submission"
    ),
    "score_grade": "UPDATE grade SET auto_score = :auto, needs_manual_grade = :manual_needed WHERE grade.id = :row",
    "comment_on": "UPDATE comment SET auto_comment = :text WHERE comment.id = :row",
    "penalize": (
        "UPDATE submitted_notebook SET late_submission_penalty = :penalty WHERE submitted_notebook.id = :row"
    ),
}

REGISTERED_CELLS = (
    "SELECT base_cell.name, grade_cells.max_score FROM notebook"
    " JOIN assignment ON notebook.assignment_id = assignment.id"
    " JOIN base_cell ON base_cell.notebook_id = notebook.id"
    " JOIN grade_cells ON grade_cells.id = base_cell.id"
    " WHERE notebook.name = ? AND assignment.name = ?"
)


def path_of(db_url):
    """The file of a ``sqlite:///path`` URL, or ``None`` for any other URL.

    As SQLAlchemy reads it: ``sqlite:///name.db`` is relative, ``sqlite:////abs/name.db``
    absolute.  URLs with a query, an in-memory database or an escaped character are
    left to SQLAlchemy.
    """
    prefix = "sqlite:///"
    if not isinstance(db_url, str) or not db_url.startswith(prefix):
        return None
    path = db_url[len(prefix) :]
    if not path or path == ":memory:" or any(c in path for c in "?%#"):
        return None
    return path


def _connect(path):
    # mode=rw: a missing file is an error here, never an empty database made by connecting.
    uri = "file:" + _quoted(path) + "?mode=rw"
    # Used by one thread at a time, not always the one that opened it: a grading run opens its
    # gradebook in a background thread while the workers start, then writes from the main one.
    # timeout: sqlite3's busy timeout (sqlite3_busy_timeout), as the SQLAlchemy path's PRAGMA.
    return sqlite3.connect(uri, uri=True, timeout=BUSY_MS / 1000, check_same_thread=False)


def _quoted(path):
    """``path`` in a ``file:`` URI: its ``%``, ``?`` and ``#`` escaped."""
    return path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")


def has_tables(path):
    """Whether the file at ``path`` exists and holds every table of :data:`TABLES`."""
    try:
        connection = _connect(path)
    except sqlite3.Error:
        return False
    try:
        found = {
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return set(TABLES) <= found


def registered_cells(path, notebook, assignment):
    """``{grade cell name: max score}`` of ``notebook`` of ``assignment``, ``None`` when not there."""
    if not has_tables(path):
        return None
    connection = _connect(path)
    try:
        found = connection.execute(
            "SELECT notebook.id FROM notebook JOIN assignment ON notebook.assignment_id = assignment.id"
            " WHERE notebook.name = ? AND assignment.name = ?",
            (notebook, assignment),
        ).fetchone()
        if found is None:
            return None
        return dict(connection.execute(REGISTERED_CELLS, (notebook, assignment)).fetchall())
    finally:
        connection.close()


def _stored(value):
    """A parameter as SQLAlchemy binds it on SQLite."""
    if isinstance(value, datetime.datetime):
        # SQLAlchemy's SQLite DATETIME storage format (its time zone, if any, is not stored).
        return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
        )
    if isinstance(value, bool):
        return int(value)
    return value


def _date(text):
    return None if text is None else datetime.datetime.fromisoformat(text)


def _interval(text):
    return None if text is None else _date(text) - EPOCH


# The columns read back as what SQLAlchemy's types return: statement -> {column index: reader}.
_READERS = {"find_assignment": {1: _date}, "find_submission": {1: _interval}}


class SQLiteGradebook:
    """An open gradebook file, for :func:`grader.batch.gradebook.record`.

    One connection; a transaction opens with the first write, as with SQLAlchemy's SQLite
    driver (the same ``sqlite3`` underneath), and ends with :meth:`commit` or :meth:`rollback`.
    """

    errors = (sqlite3.DatabaseError,)

    def __init__(self, path):
        self.path = path
        self.connection = _connect(path)

    def rows(self, name, params):
        """The rows of the query ``name`` (a list of tuples)."""
        found = self.connection.execute(
            STATEMENTS[name], {k: _stored(v) for k, v in params.items()}
        ).fetchall()
        readers = _READERS.get(name)
        if not readers:
            return found
        return [tuple(readers[i](v) if i in readers else v for i, v in enumerate(row)) for row in found]

    def execute(self, name, params):
        """Run the write ``name`` for ``params`` (a dict, or a list of them)."""
        if isinstance(params, list):
            self.connection.executemany(
                STATEMENTS[name], [{k: _stored(v) for k, v in p.items()} for p in params]
            )
        else:
            self.connection.execute(STATEMENTS[name], {k: _stored(v) for k, v in params.items()})

    @staticmethod
    def new_id():
        """A row id as nbgrader makes them (``nbgrader.api.new_uuid``)."""
        return uuid.uuid4().hex

    def transient(self, exc):
        """Whether ``exc`` is a conflict with another writer, which a retry resolves."""
        return isinstance(exc, sqlite3.IntegrityError) or "lock" in str(exc).lower()

    def commit(self):
        self.connection.commit()

    def rollback(self):
        self.connection.rollback()

    def close(self):
        self.connection.close()
