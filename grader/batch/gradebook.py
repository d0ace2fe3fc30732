"""Recording results in nbgrader's gradebook: one transaction per submission.

Each submission's grades, comments and submission rows are written in a
single transaction, so the gradebook never holds half a submission, even
if the grader is killed; re-grading overwrites the same rows (nbgrader's
unique constraints make duplicates impossible), so a killed run, run again,
ends with the same gradebook as an uninterrupted one.  Concurrent writers
(several grading processes, SQLite or PostgreSQL) retry on lock conflicts
and on the integrity errors of a simultaneous first insert.

The late penalty is recorded here too, by the plugin ``nbgrader_config.py``
names for ``AssignLatePenalties`` (:func:`penalty_for`; the course's policy is
:class:`grader.nbgrader_ext.late.PercentPerDayLate`), so ``make grade`` and
``nbgrader autograde`` record the same penalty.
"""

import random
import time

from nbgrader.api import (
    Assignment,
    Comment,
    Grade,
    Gradebook,
    Student,
    SubmittedAssignment,
    SubmittedNotebook,
)
from sqlalchemy import event
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


def _write(session, result, assignment_id, timestamp):
    assignment = session.query(Assignment).filter_by(name=assignment_id).one()
    student = session.query(Student).filter_by(id=result.student).one_or_none()
    if student is None:
        student = Student(id=result.student)
        session.add(student)
    submission = (
        session.query(SubmittedAssignment)
        .filter_by(assignment_id=assignment.id, student_id=student.id)
        .one_or_none()
    )
    if submission is None:
        submission = SubmittedAssignment(assignment=assignment, student=student)
        session.add(submission)
        for notebook in assignment.notebooks:
            nb = SubmittedNotebook(notebook=notebook, assignment=submission)
            for cell in notebook.grade_cells:
                Grade(cell=cell, notebook=nb)
            for cell in notebook.solution_cells:
                Comment(cell=cell, notebook=nb)
            for cell in notebook.task_cells:
                Comment(cell=cell, notebook=nb)
                Grade(cell=cell, notebook=nb)
        session.add(submission)
    submission.timestamp = timestamp
    by_exercise = {v.exercise: v for v in result.verdicts.values()}
    for nb in submission.notebooks:
        for grade in nb.grades:
            verdict = result.verdicts.get(grade.cell.name)
            grade.auto_score = verdict.score if verdict else 0.0
            grade.needs_manual_grade = grade.manual_score is not None
        for comment in nb.comments:
            verdict = by_exercise.get(comment.cell.name)
            comment.auto_comment = verdict.message if verdict else None
        # The course's late policy (nbgrader's plugin, configured in nbgrader_config.py), applied
        # here so that make grade and nbgrader autograde record the same penalty.
        score = sum(
            g.manual_score if g.manual_score is not None else (g.auto_score or 0.0) for g in nb.grades
        )
        late = submission.total_seconds_late
        # On time: no penalty at all (None, as nbgrader records it), not a penalty of 0.
        nb.late_submission_penalty = penalty_for(student.id, score, late) if late > 0 else None


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
