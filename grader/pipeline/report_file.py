"""The files grading leaves beside the autograded submissions, and their one owner each.

- :class:`GradingReport`: ``autograded/<student>/grading_report_<id>.json``, one per
  submission: its typed verdicts, notes and timings.  The runner writes it; the
  class report and the feedback page read it.
- :class:`RunSummary`: ``autograded/.grading_run_<id>.json``, one per grading run:
  how many submissions, how long, how many workers, which limits and protections.

No other module builds these file names or reads these files as raw JSON.
Reading is tolerant: ``autograded/`` is a folder an instructor (or a tool) may
put anything into, and one odd file must not cost the class report or a
student's feedback page.  A file that is no report at all (unreadable,
truncated, not a JSON object, no student) loads as ``None``; in a report, a
verdict or a failure that is malformed is left out and every other field falls
back to its default, so what is loaded is always well-typed.
"""

import glob
import json
import os
from dataclasses import dataclass, field

from grader.pipeline.judge import Verdict, finite_number

# Larger than any file the runner writes (a verdict is clipped to ``Limits.verdict_chars``): a
# larger file is not one of ours and is not read.
MAX_BYTES = 64 * 1024 * 1024


def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees half of it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _read_json(path):
    """The JSON object in ``path``, or ``None`` when there is none (never raises).

    Only a regular file of at most :data:`MAX_BYTES` is read (a folder or a FIFO
    at that name is none; opening a FIFO would wait for a writer forever).
    """
    try:
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return None
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return None
    return data if isinstance(data, dict) else None


def _number(value, default):
    """``value`` as a float if it is a finite JSON number (not a bool), else ``default``."""
    return float(value) if finite_number(value) else default


def _integer(value, default):
    """``value`` if it is a JSON integer (not a bool), else ``default``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _flag(value, default):
    return value if isinstance(value, bool) else default


def _text(value, default):
    return value if isinstance(value, str) else default


@dataclass
class GradingReport:
    """The grading report of one submission, as written beside its autograded notebook.

    Attributes
    ----------
    student : str
    assignment : str
        The assignment's id.
    score : float
        The automatic score (the gradebook's may differ after manual grading).
    max_score : float
    gradable : bool
        False when no cell could be run at all.
    grader_error : bool
        True when the grader itself failed on this submission.
    notes : list of str
        What was wrong with the submission, bilingual.
    seconds : float or None
        Grading time; None when a loaded report has none.
    peak_rss_mb : float
        Peak memory of the submission's processes.
    worker_rss_mb : float
        The grading worker's own peak.
    verdicts : dict of str to grader.pipeline.judge.Verdict
        ``{test grade id: verdict}``.
    """

    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    gradable: bool = True
    grader_error: bool = False
    notes: list[str] = field(default_factory=list)
    seconds: float | None = None
    peak_rss_mb: float = 0.0
    worker_rss_mb: float = 0.0
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    @staticmethod
    def file_name(assignment_id):
        """The report's file name, kept in ``autograded/<student>/``."""
        return f"grading_report_{assignment_id}.json"

    @classmethod
    def path(cls, autograded, student, assignment_id):
        """Where the report of ``student``'s submission of ``assignment_id`` is kept."""
        return os.path.join(autograded, student, cls.file_name(assignment_id))

    @classmethod
    def of(cls, result, assignment):
        """The report of a grading result.

        Parameters
        ----------
        result : grader.pipeline.result.Result
        assignment : grader.course.assignment.Assignment

        Returns
        -------
        GradingReport
            Timings rounded as they are stored, so the report equals its loaded copy.
        """
        return cls(
            result.student,
            assignment.id,
            result.score,
            sum(v.points for v in result.verdicts.values()),
            result.gradable,
            result.grader_error,
            list(result.notes),
            round(result.seconds, 3),
            round(result.peak_rss_mb, 1),
            round(result.worker_rss_mb, 1),
            dict(result.verdicts),
        )

    def as_dict(self):
        """JSON-ready form (the keys the report's file has always had)."""
        return {
            "student": self.student,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "gradable": self.gradable,
            "grader_error": self.grader_error,
            "notes": list(self.notes),
            "seconds": self.seconds,
            "peak_rss_mb": self.peak_rss_mb,
            "worker_rss_mb": self.worker_rss_mb,
            "verdicts": {gid: v.as_dict() for gid, v in self.verdicts.items()},
        }

    def write(self, autograded):
        """Write the report into ``autograded/<student>/`` atomically; return its path."""
        path = self.path(autograded, self.student, self.assignment)
        write_atomic(path, json.dumps(self.as_dict(), ensure_ascii=False, indent=1))
        return path

    @classmethod
    def from_dict(cls, data):
        """The report in ``data`` (as :meth:`as_dict` makes it), or ``None`` if it is none.

        Never raises.  ``data`` must be a dict naming a student; a malformed
        verdict is left out (see :meth:`grader.pipeline.judge.Verdict.from_dict`)
        and any other mistyped field takes its default.
        """
        if not isinstance(data, dict) or not isinstance(data.get("student"), str):
            return None
        notes = data.get("notes")
        notes = (
            [str(n) for n in notes if isinstance(n, (str, int, float)) and not isinstance(n, bool)]
            if isinstance(notes, list)
            else []
        )
        verdicts = data.get("verdicts")
        verdicts = verdicts if isinstance(verdicts, dict) else {}
        typed = {gid: Verdict.from_dict(v) for gid, v in verdicts.items() if isinstance(gid, str)}
        return cls(
            data["student"],
            _text(data.get("assignment"), ""),
            _number(data.get("score"), 0.0),
            _number(data.get("max_score"), 0.0),
            _flag(data.get("gradable"), True),
            _flag(data.get("grader_error"), False),
            notes,
            _number(data.get("seconds"), None),
            _number(data.get("peak_rss_mb"), 0.0),
            _number(data.get("worker_rss_mb"), 0.0),
            {gid: v for gid, v in typed.items() if v is not None},
        )

    @classmethod
    def load(cls, path):
        """The report in the file ``path``, or ``None`` if it holds none (never raises)."""
        return cls.from_dict(_read_json(path))

    @classmethod
    def find(cls, autograded, student, assignment_id):
        """``student``'s report of ``assignment_id``, or ``None`` (never raises).

        None also when the file at that place names another student or
        assignment: a copied or foreign file is not this submission's report.
        """
        report = cls.load(cls.path(autograded, student, assignment_id))
        if report is None or report.student != student or report.assignment != assignment_id:
            return None
        return report

    @classmethod
    def load_all(cls, autograded, assignment_id):
        """``{student: report}`` of every readable report of ``assignment_id`` in ``autograded``.

        Files that :meth:`find` refuses are skipped, so each report is filed
        under the student whose folder holds it and who it names.
        """
        reports = {}
        pattern = cls.path(glob.escape(autograded), "*", glob.escape(assignment_id))
        for path in sorted(glob.glob(pattern)):
            student = os.path.basename(os.path.dirname(path))
            report = cls.find(autograded, student, assignment_id)
            if report is not None:
                reports[student] = report
        return reports


@dataclass
class RunSummary:
    """What one grading run did, for the class report's timing line.

    Attributes
    ----------
    assignment : str
    submissions : int
        How many submissions the run graded.
    wall_seconds : float
    workers : int or None
        Forked workers (None when a Dask scheduler graded).
    scheduler : str or None
        The Dask scheduler's address, if one was used.
    limits : dict
        ``grader.limits.Limits.as_dict()`` of the run.
    protections : dict
        ``{protection: active}`` (``grader.sandbox.launch.protections()``).
    """

    assignment: str
    submissions: int
    wall_seconds: float
    workers: int | None = None
    scheduler: str | None = None
    limits: dict = field(default_factory=dict)
    protections: dict = field(default_factory=dict)

    @staticmethod
    def file_name(assignment_id):
        """The summary's file name, kept in ``autograded/`` (hidden, so it is no student folder)."""
        return f".grading_run_{assignment_id}.json"

    @classmethod
    def path(cls, autograded, assignment_id):
        """Where the summary of the last run of ``assignment_id`` is kept."""
        return os.path.join(autograded, cls.file_name(assignment_id))

    def as_dict(self):
        """JSON-ready form."""
        return {
            "assignment": self.assignment,
            "submissions": self.submissions,
            "wall_seconds": self.wall_seconds,
            "workers": self.workers,
            "scheduler": self.scheduler,
            "limits": dict(self.limits),
            "protections": dict(self.protections),
        }

    def write(self, autograded):
        """Write the summary into ``autograded/`` atomically; return its path."""
        path = self.path(autograded, self.assignment)
        write_atomic(path, json.dumps(self.as_dict(), ensure_ascii=False, indent=1))
        return path

    @classmethod
    def from_dict(cls, data):
        """The summary in ``data``, or ``None`` without a count of submissions and a wall time.

        Never raises; a mistyped optional field takes its default.
        """
        if not isinstance(data, dict):
            return None
        submissions, wall = _integer(data.get("submissions"), None), _number(data.get("wall_seconds"), None)
        if submissions is None or wall is None:
            return None
        workers = _integer(data.get("workers"), None)
        limits, protections = data.get("limits"), data.get("protections")
        return cls(
            _text(data.get("assignment"), ""),
            submissions,
            wall,
            workers,
            _text(data.get("scheduler"), None),
            limits if isinstance(limits, dict) else {},
            protections if isinstance(protections, dict) else {},
        )

    @classmethod
    def load(cls, autograded, assignment_id):
        """The summary of the last run of ``assignment_id``, or ``None`` (never raises).

        None also when the file names another assignment.
        """
        summary = cls.from_dict(_read_json(cls.path(autograded, assignment_id)))
        return summary if summary is not None and summary.assignment in ("", assignment_id) else None
