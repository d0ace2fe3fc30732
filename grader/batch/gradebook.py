"""Recording results in nbgrader's gradebook: one transaction per submission.

Each submission's grades, comments and submission rows are written in a
single transaction, so the gradebook never holds half a submission, even
if the grader is killed; re-grading overwrites the same rows (nbgrader's
unique constraints make duplicates impossible), so a killed run, run again,
ends with the same gradebook as an uninterrupted one.  Concurrent writers
(several grading processes, SQLite or PostgreSQL) retry on lock conflicts
and on the integrity errors of a simultaneous first insert.

The rows are written with SQLAlchemy Core on nbgrader's own tables: the very
rows nbgrader's ORM makes (``grader_tests/unit/batch/test_gradebook.py``
compares them, value by value, with what nbgrader's API writes), in about a
fifth of the ORM's CPU time.

The late penalty is recorded here too, by the plugin ``nbgrader_config.py``
names for ``AssignLatePenalties`` (:func:`penalty_for`; the course's policy is
:class:`grader.nbgrader_ext.late.PercentPerDayLate`), so ``make grade`` and
``nbgrader autograde`` record the same penalty.
"""

import random
import time

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
from traitlets.utils.importstring import import_item

from grader.config import load as load_config

RETRIES = 60


def course_id():
    """The course id of nbgrader_config.py."""
    return load_config().CourseDirectory.course_id


def open_gradebook(db_url):
    """A ``Gradebook`` with a SQLite busy timeout, for concurrent writers."""
    gb = Gradebook(db_url, course_id())
    if gb.engine.dialect.name == "sqlite":

        @event.listens_for(gb.engine, "connect")
        def _busy(dbapi_connection, _connection_record):
            dbapi_connection.execute("PRAGMA busy_timeout = 30000")

        gb.engine.dispose()
    return gb


# nbgrader's tables, written with SQLAlchemy Core: its ORM spent about 17 ms of CPU per
# submission (objects, unit of work, and reloading the score column properties of every row it
# touched) on a dozen statements.  The rows are exactly the ones nbgrader's ORM writes, through
# the same Table objects (types, defaults and ids: nbgrader's own ``new_uuid``).
_ASSIGNMENT, _NOTEBOOK, _CELL = Assignment.__table__, Notebook.__table__, BaseCell.__table__
_STUDENT, _SUBMISSION, _SUBMITTED_NB = (
    Student.__table__,
    SubmittedAssignment.__table__,
    SubmittedNotebook.__table__,
)
_GRADE, _COMMENT = Grade.__table__, Comment.__table__
_GRADED = ("GradeCell", "TaskCell")  # BaseCell.type of the cells that get a Grade row
_COMMENTED = ("SolutionCell", "TaskCell")  # ... and of those that get a Comment row

# Built once: making a statement costs more than running it on SQLite.
_FIND_ASSIGNMENT = select(_ASSIGNMENT.c.id, _ASSIGNMENT.c.duedate).where(
    _ASSIGNMENT.c.name == bindparam("name")
)
_FIND_STUDENT = select(_STUDENT.c.id).where(_STUDENT.c.id == bindparam("student"))
_ADD_STUDENT = insert(_STUDENT).values(id=bindparam("student"))
_FIND_SUBMISSION = select(_SUBMISSION.c.id, _SUBMISSION.c.extension).where(
    _SUBMISSION.c.assignment_id == bindparam("assignment"),
    _SUBMISSION.c.student_id == bindparam("student"),
)
_ADD_SUBMISSION = insert(_SUBMISSION)
_STAMP_SUBMISSION = (
    update(_SUBMISSION).where(_SUBMISSION.c.id == bindparam("row")).values(timestamp=bindparam("stamp"))
)
_CELLS = (
    select(_NOTEBOOK.c.id, _CELL.c.id, _CELL.c.type, _CELL.c.name)
    .select_from(_NOTEBOOK.outerjoin(_CELL, _CELL.c.notebook_id == _NOTEBOOK.c.id))
    .where(_NOTEBOOK.c.assignment_id == bindparam("assignment"))
)
_ADD_NOTEBOOK, _ADD_GRADE, _ADD_COMMENT = insert(_SUBMITTED_NB), insert(_GRADE), insert(_COMMENT)
_NOTEBOOKS = select(_SUBMITTED_NB.c.id).where(_SUBMITTED_NB.c.assignment_id == bindparam("submission"))
_GRADES = (
    select(_GRADE.c.id, _GRADE.c.notebook_id, _GRADE.c.manual_score, _CELL.c.name)
    .join(_CELL, _GRADE.c.cell_id == _CELL.c.id)
    .join(_SUBMITTED_NB, _GRADE.c.notebook_id == _SUBMITTED_NB.c.id)
    .where(_SUBMITTED_NB.c.assignment_id == bindparam("submission"))
)
_COMMENTS = (
    select(_COMMENT.c.id, _CELL.c.name)
    .join(_CELL, _COMMENT.c.cell_id == _CELL.c.id)
    .join(_SUBMITTED_NB, _COMMENT.c.notebook_id == _SUBMITTED_NB.c.id)
    .where(_SUBMITTED_NB.c.assignment_id == bindparam("submission"))
)
_SCORE_GRADE = (
    update(_GRADE)
    .where(_GRADE.c.id == bindparam("row"))
    .values(auto_score=bindparam("auto"), needs_manual_grade=bindparam("manual_needed"))
)
_COMMENT_ON = update(_COMMENT).where(_COMMENT.c.id == bindparam("row")).values(auto_comment=bindparam("text"))
_PENALIZE = (
    update(_SUBMITTED_NB)
    .where(_SUBMITTED_NB.c.id == bindparam("row"))
    .values(late_submission_penalty=bindparam("penalty"))
)


def _write(session, result, assignment_id, timestamp):
    run = session.connection().execute  # the session's transaction, without its ORM layer
    assignment, duedate = run(_FIND_ASSIGNMENT, {"name": assignment_id}).one()
    student = result.student
    if run(_FIND_STUDENT, {"student": student}).first() is None:
        run(_ADD_STUDENT, {"student": student})
    found = run(_FIND_SUBMISSION, {"assignment": assignment, "student": student}).first()
    verdicts = result.verdicts
    by_exercise = {v.exercise: v for v in verdicts.values()}

    def auto_score(cell):
        verdict = verdicts.get(cell)
        return verdict.score if verdict else 0.0

    def auto_comment(cell):
        verdict = by_exercise.get(cell)
        return verdict.message if verdict else None

    if found is None:
        _add_submission(run, assignment, duedate, student, timestamp, auto_score, auto_comment)
        return
    submission, extension = found
    run(_STAMP_SUBMISSION, {"row": submission, "stamp": timestamp})
    scores = {notebook: 0.0 for (notebook,) in run(_NOTEBOOKS, {"submission": submission})}
    grades = []
    for row, notebook, manual, cell in run(_GRADES, {"submission": submission}):
        auto = auto_score(cell)
        # As the ORM writer always did: a grade an instructor scored by hand is flagged for review.
        grades.append({"row": row, "auto": auto, "manual_needed": manual is not None})
        scores[notebook] += manual if manual is not None else auto
    if grades:
        run(_SCORE_GRADE, grades)
    comments = [
        {"row": row, "text": auto_comment(cell)} for row, cell in run(_COMMENTS, {"submission": submission})
    ]
    if comments:
        run(_COMMENT_ON, comments)
    late = _seconds_late(timestamp, duedate, extension)
    if scores:
        run(
            _PENALIZE,
            [
                {"row": notebook, "penalty": _penalty(student, score, late)}
                for notebook, score in scores.items()
            ],
        )


def _add_submission(run, assignment, duedate, student, timestamp, auto_score, auto_comment):
    """A first submission's rows, as nbgrader's ``Gradebook`` makes them, with their values."""
    submission = new_uuid()
    run(
        _ADD_SUBMISSION,
        {"id": submission, "assignment_id": assignment, "student_id": student, "timestamp": timestamp},
    )
    notebooks, grades, comments = {}, [], []  # notebook id -> [its submitted notebook's id, score]
    for notebook, cell, kind, name in run(_CELLS, {"assignment": assignment}):
        mine = notebooks.setdefault(notebook, [new_uuid(), 0.0])
        if kind in _GRADED:
            auto = auto_score(name)
            grades.append(
                {
                    "id": new_uuid(),
                    "notebook_id": mine[0],
                    "cell_id": cell,
                    "auto_score": auto,
                    "needs_manual_grade": False,
                }
            )
            mine[1] += auto
        if kind in _COMMENTED:
            comments.append(
                {
                    "id": new_uuid(),
                    "notebook_id": mine[0],
                    "cell_id": cell,
                    "auto_comment": auto_comment(name),
                }
            )
    late = _seconds_late(timestamp, duedate, None)
    if notebooks:
        run(
            _ADD_NOTEBOOK,
            [
                {
                    "id": mine,
                    "assignment_id": submission,
                    "notebook_id": notebook,
                    "late_submission_penalty": _penalty(student, score, late),
                }
                for notebook, (mine, score) in notebooks.items()
            ],
        )
    if grades:
        run(_ADD_GRADE, grades)
    if comments:
        run(_ADD_COMMENT, comments)


def _penalty(student, score, seconds_late):
    # The course's late policy (nbgrader's plugin, configured in nbgrader_config.py), applied here
    # so that make grade and nbgrader autograde record the same penalty.  On time: no penalty at
    # all (None, as nbgrader records it), not a penalty of 0.
    return penalty_for(student, score, seconds_late) if seconds_late > 0 else None


def _seconds_late(timestamp, duedate, extension):
    """``SubmittedAssignment.total_seconds_late``, from the row's values."""
    if timestamp is None or duedate is None:
        return 0
    if extension is not None:
        duedate = duedate + extension
    return max(0, (timestamp - duedate).total_seconds())


def record(gb, result, assignment_id, timestamp=None):
    """Write ``result`` (a ``grader.pipeline.result.Result``) in one transaction, retrying conflicts."""
    session = gb.db
    for attempt in range(RETRIES):
        try:
            with session.no_autoflush:
                _write(session, result, assignment_id, timestamp)
            session.commit()
            return
        except (OperationalError, IntegrityError, DBAPIError) as exc:
            session.rollback()
            transient = (
                isinstance(exc, IntegrityError)
                or "lock" in str(exc).lower()
                or "could not serialize" in str(exc).lower()
                or "deadlock" in str(exc).lower()
            )
            if not transient or attempt == RETRIES - 1:
                raise
            time.sleep(min(2.0, 0.05 * 2 ** min(attempt, 5)) * (0.5 + random.random()))
        except BaseException:
            session.rollback()
            raise


def configured_plugin(config=None):
    """Instantiate the ``AssignLatePenalties.plugin_class`` of the course configuration.

    Parameters
    ----------
    config : traitlets.config.Config, optional
        Default: ``grader.config.load()`` (nbgrader_config.py).

    Returns
    -------
    nbgrader.plugins.BasePlugin
        The plugin, configured like nbgrader configures it; nbgrader's stock
        ``LateSubmissionPlugin`` (no penalty) when the configuration names none.
    """
    # Imported here, for late submissions only: nbgrader.plugins imports its zip-collect and
    # export plugins, and with them nbconvert's preprocessors (0.13 s of every run's start).
    from nbgrader.plugins import LateSubmissionPlugin

    if config is None:
        from grader.config import load

        config = load()
    cls = LateSubmissionPlugin
    section = config.get("AssignLatePenalties", {})
    if "plugin_class" in section:
        cls = section["plugin_class"]
        if isinstance(cls, str):
            cls = import_item(cls)
    return cls(config=config)


def penalty_for(student_id, score, seconds_late, config=None):
    """The late penalty nbgrader would record for this notebook.

    Same rules as nbgrader's ``AssignLatePenalties``: nothing when the
    submission is not late, and the plugin's answer clipped to
    ``[0, score]`` (``None`` counts as 0).

    Parameters
    ----------
    student_id : str
        The student's id, handed to the plugin.
    score : float
        The notebook's score before the penalty.
    seconds_late : float
        ``SubmittedAssignment.total_seconds_late`` (0 when on time or no due date).
    config : traitlets.config.Config, optional
        Default: the course's nbgrader_config.py.

    Returns
    -------
    float
        The penalty, for ``SubmittedNotebook.late_submission_penalty``.
    """
    if not seconds_late or seconds_late <= 0:
        return 0.0
    penalty = configured_plugin(config).late_submission_penalty(student_id, score, seconds_late)
    if penalty is None:
        return 0.0
    return float(min(max(penalty, 0.0), score))
