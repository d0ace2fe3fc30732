"""Recording results in nbgrader's gradebook: one transaction per submission.

Each submission's grades, comments and submission rows are written in a
single transaction, so the gradebook never holds half a submission, even
if the grader is killed; re-grading overwrites the same rows (nbgrader's
unique constraints make duplicates impossible), so a killed run, run again,
ends with the same gradebook as an uninterrupted one.  Concurrent writers
(several grading processes, SQLite or PostgreSQL) retry on lock conflicts
and on the integrity errors of a simultaneous first insert.

The rows are the very ones nbgrader's ORM makes, on nbgrader's own tables
(``grader_tests/unit/batch/test_gradebook.py`` compares them, value by value,
with what nbgrader's API writes), by one of two writers with the same
statements: a SQLite file with Python's ``sqlite3``
(:mod:`grader.batch.gradebook_sqlite`: no SQLAlchemy and no ``nbgrader.api``
to import, about 0.2 s of CPU per run), any other database with SQLAlchemy
Core (:mod:`grader.batch.gradebook_sqlalchemy`, PostgreSQL).

The late penalty is recorded here too, by the plugin ``nbgrader_config.py``
names for ``AssignLatePenalties`` (:func:`penalty_for`; the course's policy is
:class:`grader.nbgrader_ext.late.PercentPerDayLate`), so ``make grade`` and
``nbgrader autograde`` record the same penalty.
"""

import random
import time

from grader.config import load as load_config

RETRIES = 60
_GRADED = ("GradeCell", "TaskCell")  # BaseCell.type of the cells that get a Grade row
_COMMENTED = ("SolutionCell", "TaskCell")  # ... and of those that get a Comment row


def course_id():
    """The course id of nbgrader_config.py."""
    return load_config().CourseDirectory.course_id


def open_gradebook(db_url):
    """The gradebook at ``db_url``, open for :func:`record` (and ``close()``).

    A SQLite file (``sqlite:///path``) is written with ``sqlite3``; a file nbgrader has not
    made yet is made by nbgrader first (its tables, its schema version).  Any other URL is
    nbgrader's ``Gradebook`` (SQLAlchemy), with a busy timeout on SQLite for concurrent writers.
    """
    from grader.batch import gradebook_sqlite

    path = gradebook_sqlite.path_of(db_url)
    if path is not None:
        if not gradebook_sqlite.has_tables(path):
            from nbgrader.api import Gradebook

            Gradebook(db_url, course_id()).close()
        if gradebook_sqlite.has_tables(path):
            return gradebook_sqlite.SQLiteGradebook(path)
    from grader.batch.gradebook_sqlalchemy import SQLAlchemyGradebook

    return SQLAlchemyGradebook(db_url, course_id())


def register(assignment, db_url, master):
    """``grader.course.release.register``, asked of a SQLite file without nbgrader first.

    Every grading run asks whether the gradebook holds the assignment's graded cells; on a
    SQLite file the answer costs no ``nbgrader.api`` import (0.2 s of CPU, beside the
    workers).  Returns whether the gradebook was written.
    """
    from grader.batch import gradebook_sqlite
    from grader.course import release

    path = gradebook_sqlite.path_of(db_url)
    if path is not None:
        cells = gradebook_sqlite.registered_cells(path, assignment.notebook_id, assignment.id)
        if cells == release.graded_cells(master):
            return False
    return release.register(assignment, db_url, master)


def _write(db, result, assignment_id, timestamp):
    found = db.rows("find_assignment", {"name": assignment_id})
    if not found:
        raise LookupError(f"the gradebook has no assignment {assignment_id!r}")
    assignment, duedate = found[0]
    student = result.student
    if not db.rows("find_student", {"student": student}):
        db.execute("add_student", {"student": student})
    found = db.rows("find_submission", {"assignment": assignment, "student": student})
    verdicts = result.verdicts
    by_exercise = {v.exercise: v for v in verdicts.values()}

    def auto_score(cell):
        verdict = verdicts.get(cell)
        return verdict.score if verdict else 0.0

    def auto_comment(cell):
        verdict = by_exercise.get(cell)
        return verdict.message if verdict else None

    if not found:
        _add_submission(db, assignment, duedate, student, timestamp, auto_score, auto_comment)
        return
    submission, extension = found[0]
    db.execute("stamp_submission", {"row": submission, "stamp": timestamp})
    scores = {notebook: 0.0 for (notebook,) in db.rows("notebooks", {"submission": submission})}
    grades = []
    for row, notebook, manual, cell in db.rows("grades", {"submission": submission}):
        auto = auto_score(cell)
        # As the ORM writer always did: a grade an instructor scored by hand is flagged for review.
        grades.append({"row": row, "auto": auto, "manual_needed": manual is not None})
        scores[notebook] += manual if manual is not None else auto
    if grades:
        db.execute("score_grade", grades)
    comments = [
        {"row": row, "text": auto_comment(cell)}
        for row, cell in db.rows("comments", {"submission": submission})
    ]
    if comments:
        db.execute("comment_on", comments)
    late = _seconds_late(timestamp, duedate, extension)
    if scores:
        db.execute(
            "penalize",
            [
                {"row": notebook, "penalty": _penalty(student, score, late)}
                for notebook, score in scores.items()
            ],
        )


def _add_submission(db, assignment, duedate, student, timestamp, auto_score, auto_comment):
    """A first submission's rows, as nbgrader's ``Gradebook`` makes them, with their values."""
    submission = db.new_id()
    db.execute(
        "add_submission",
        {"id": submission, "assignment_id": assignment, "student_id": student, "timestamp": timestamp},
    )
    notebooks, grades, comments = {}, [], []  # notebook id -> [its submitted notebook's id, score]
    for notebook, cell, kind, name in db.rows("cells", {"assignment": assignment}):
        mine = notebooks.setdefault(notebook, [db.new_id(), 0.0])
        if kind in _GRADED:
            auto = auto_score(name)
            grades.append(
                {
                    "id": db.new_id(),
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
                    "id": db.new_id(),
                    "notebook_id": mine[0],
                    "cell_id": cell,
                    "auto_comment": auto_comment(name),
                }
            )
    late = _seconds_late(timestamp, duedate, None)
    if notebooks:
        db.execute(
            "add_notebook",
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
        db.execute("add_grade", grades)
    if comments:
        db.execute("add_comment", comments)


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
    """Write ``result`` (a ``grader.pipeline.result.Result``) in one transaction, retrying conflicts.

    ``gb`` is what :func:`open_gradebook` opened.
    """
    for attempt in range(RETRIES):
        try:
            _write(gb, result, assignment_id, timestamp)
            gb.commit()
            return
        except gb.errors as exc:
            gb.rollback()
            if not gb.transient(exc) or attempt == RETRIES - 1:
                raise
            time.sleep(min(2.0, 0.05 * 2 ** min(attempt, 5)) * (0.5 + random.random()))
        except BaseException:
            gb.rollback()
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
    from traitlets.utils.importstring import import_item

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
