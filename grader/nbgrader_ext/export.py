"""``nbgrader export`` (``make export``) with every cell safe for a spreadsheet.

nbgrader's ``CsvExportPlugin`` joins the values with commas as they are: a
student id or name like ``=HYPERLINK("http://x","y")`` becomes a live
formula when the instructor opens ``grades.csv``, and a comma in a name
shifts the columns.  ``SafeCsvExportPlugin`` writes the same columns and
rows, through ``csv.writer`` (quoting) and ``grader.ids.csv_cell``
(formula cells start with ``'``).  ``nbgrader_config.py`` selects it with
``c.ExportApp.plugin_class``.
"""

import csv

from nbgrader.api import MissingEntry
from nbgrader.plugins.export import CsvExportPlugin

from grader.ids import csv_cell

COLUMNS = (
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)


class SafeCsvExportPlugin(CsvExportPlugin):
    """nbgrader's CSV export, one row per assignment and student, with escaped cells."""

    def export(self, gradebook):
        """Write ``self.to`` (default ``grades.csv``) from ``gradebook``.

        Parameters
        ----------
        gradebook : nbgrader.api.Gradebook
            The open gradebook nbgrader's ``ExportApp`` passes in.
        """
        dest = self.to or "grades.csv"
        students = [str(s) for s in self.student]
        assignments = [str(a) for a in self.assignment]
        self.log.info("Exporting grades to %s", dest)
        with open(dest, "w", encoding="utf-8", newline="") as fh:
            # "\n" as nbgrader's own exporter ends its lines.
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            for assignment in gradebook.assignments:
                if assignments and assignment.name not in assignments:
                    continue
                for student in gradebook.students:
                    if students and student.id not in students:
                        continue
                    writer.writerow([_text(csv_cell(v)) for v in _row(gradebook, assignment, student)])


def _row(gradebook, assignment, student):
    """The values of one row, in ``COLUMNS`` order, as nbgrader's exporter computes them."""
    try:
        sub = gradebook.find_submission(assignment.name, student.id)
    except MissingEntry:  # no submission: zero, as nbgrader exports it
        timestamp, raw, penalty, score = None, 0.0, 0.0, 0.0
    else:
        timestamp, raw, penalty = sub.timestamp, sub.score, sub.late_submission_penalty
        score = max(0.0, raw - penalty)
    return (
        assignment.name,
        assignment.duedate,
        timestamp,
        student.id,
        student.last_name,
        student.first_name,
        student.email,
        raw,
        penalty,
        score,
        assignment.max_score,
    )


def _text(value):
    """A cell's text: empty for a missing value, ``str`` otherwise (as nbgrader writes it)."""
    return "" if value is None else str(value)
