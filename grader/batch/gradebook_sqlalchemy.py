"""nbgrader's gradebook in any database SQLAlchemy reaches (PostgreSQL), written with SQLAlchemy Core.

nbgrader's ORM spent about 17 ms of CPU per submission (objects, unit of work,
and reloading the score column properties of every row it touched) on a dozen
statements.  The rows here are exactly the ones nbgrader's ORM writes, through
the same Table objects (types, defaults and ids: nbgrader's own ``new_uuid``);
``grader_tests`` compare them value by value on SQLite and PostgreSQL.  The
statements are those of :mod:`grader.batch.gradebook_sqlite`, by name.
"""

from nbgrader.api import (
    Assignment,
    BaseCell,
    Comment,
    Grade,
    Gradebook,
    Notebook,
    Student,
    SubmittedAssignment,
    SubmittedNotebook,
    new_uuid,
)
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

_ASSIGNMENT, _NOTEBOOK, _CELL = Assignment.__table__, Notebook.__table__, BaseCell.__table__
_STUDENT, _SUBMISSION, _SUBMITTED_NB = (
    Student.__table__,
    SubmittedAssignment.__table__,
    SubmittedNotebook.__table__,
)
_GRADE, _COMMENT = Grade.__table__, Comment.__table__

# Built once: making a statement costs more than running it on SQLite.
STATEMENTS = {
    "find_assignment": select(_ASSIGNMENT.c.id, _ASSIGNMENT.c.duedate).where(
        _ASSIGNMENT.c.name == bindparam("name")
    ),
    "find_student": select(_STUDENT.c.id).where(_STUDENT.c.id == bindparam("student")),
    "add_student": insert(_STUDENT).values(id=bindparam("student")),
    "find_submission": select(_SUBMISSION.c.id, _SUBMISSION.c.extension).where(
        _SUBMISSION.c.assignment_id == bindparam("assignment"),
        _SUBMISSION.c.student_id == bindparam("student"),
    ),
    "add_submission": insert(_SUBMISSION),
    "stamp_submission": update(_SUBMISSION)
    .where(_SUBMISSION.c.id == bindparam("row"))
    .values(timestamp=bindparam("stamp")),
    "cells": select(_NOTEBOOK.c.id, _CELL.c.id, _CELL.c.type, _CELL.c.name)
    .select_from(_NOTEBOOK.outerjoin(_CELL, _CELL.c.notebook_id == _NOTEBOOK.c.id))
    .where(_NOTEBOOK.c.assignment_id == bindparam("assignment")),
    "add_notebook": insert(_SUBMITTED_NB),
    "add_grade": insert(_GRADE),
    "add_comment": insert(_COMMENT),
    "notebooks": select(_SUBMITTED_NB.c.id).where(_SUBMITTED_NB.c.assignment_id == bindparam("submission")),
    "grades": select(_GRADE.c.id, _GRADE.c.notebook_id, _GRADE.c.manual_score, _CELL.c.name)
    .join(_CELL, _GRADE.c.cell_id == _CELL.c.id)
    .join(_SUBMITTED_NB, _GRADE.c.notebook_id == _SUBMITTED_NB.c.id)
    .where(_SUBMITTED_NB.c.assignment_id == bindparam("submission")),
    "comments": select(_COMMENT.c.id, _CELL.c.name)
    .join(_CELL, _COMMENT.c.cell_id == _CELL.c.id)
    .join(_SUBMITTED_NB, _COMMENT.c.notebook_id == _SUBMITTED_NB.c.id)
    .where(_SUBMITTED_NB.c.assignment_id == bindparam("submission")),
    "score_grade": update(_GRADE)
    .where(_GRADE.c.id == bindparam("row"))
    .values(auto_score=bindparam("auto"), needs_manual_grade=bindparam("manual_needed")),
    "comment_on": update(_COMMENT)
    .where(_COMMENT.c.id == bindparam("row"))
    .values(auto_comment=bindparam("text")),
    "penalize": update(_SUBMITTED_NB)
    .where(_SUBMITTED_NB.c.id == bindparam("row"))
    .values(late_submission_penalty=bindparam("penalty")),
}


class SQLAlchemyGradebook:
    """nbgrader's ``Gradebook`` at ``db_url``, for :func:`grader.batch.gradebook.record`.

    Its session's transaction, without its ORM layer; a SQLite file opened here (a URL
    :mod:`grader.batch.gradebook_sqlite` leaves alone) waits for other writers as that does.
    """

    errors = (OperationalError, IntegrityError, DBAPIError)

    def __init__(self, db_url, course_id):
        self.gb = Gradebook(db_url, course_id)
        if self.gb.engine.dialect.name == "sqlite":

            @event.listens_for(self.gb.engine, "connect")
            def _busy(dbapi_connection, _connection_record):
                dbapi_connection.execute("PRAGMA busy_timeout = 30000")

            self.gb.engine.dispose()

    def rows(self, name, params):
        """The rows of the query ``name`` (a list of tuples)."""
        return [tuple(row) for row in self.gb.db.connection().execute(STATEMENTS[name], params)]

    def execute(self, name, params):
        """Run the write ``name`` for ``params`` (a dict, or a list of them)."""
        self.gb.db.connection().execute(STATEMENTS[name], params)

    @staticmethod
    def new_id():
        return new_uuid()

    def transient(self, exc):
        """Whether ``exc`` is a conflict with another writer, which a retry resolves."""
        text = str(exc).lower()
        return (
            isinstance(exc, IntegrityError)
            or "lock" in text
            or "could not serialize" in text
            or "deadlock" in text
        )

    def commit(self):
        self.gb.db.commit()

    def rollback(self):
        self.gb.db.rollback()

    def close(self):
        self.gb.close()
