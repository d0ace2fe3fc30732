"""``make collect ZIP=downloads.zip [LMS=canvas|moodle]``: file an LMS download into ``submitted/``.

The download is read with ``zipfile`` and filed by this module, not by
``nbgrader zip_collect``, which unpacks archives inside archives (a student's
own zip would then name other students) and trusts the sizes in the headers.

Layouts (the member's name in the download):

- Canvas: ``<login>_<userid>_<submissionid>_<file>`` or
  ``<login>_late_<userid>_<submissionid>_<file>`` at the archive's root;
  the student id is ``<login>``.
- Moodle: ``<Full Name>_<participantid>_assignsubmission_file_/<file>``
  (one folder per participant); the student id is ``<participantid>`` and the
  full name is recorded in the gradebook (split at its last space).

The LMS is the one the instructor names (``--lms``) or, without it, the one
whose pattern every file of the archive matches; a download that fits neither
(or both) is refused with a request for ``--lms``.  The decision is made for
the whole archive, never per file, so a Moodle upload named like a Canvas file
(``4321_1_1_<notebook>.ipynb``) is still participant 77's.

Per student (ids pass ``grader.ids.check_id``):

- exactly one notebook (any ``*.ipynb``; LMSs rename re-uploads such as
  ``<notebook>-1.ipynb``) is filed as
  ``submitted/<student>/<assignment>/<the assignment's notebook>``, with
  nbgrader's ``timestamp.txt`` beside it;
- two or more notebooks: nothing is filed for that student and the message
  names the files (we do not guess which one counts; the other students are
  filed);
- other files, archives included, are reported and never extracted.

Every student named in the download has their previous
``submitted/<student>/<assignment>`` removed first, so a re-collect is exact
(a student not filed this time is not graded on an older file).  Students
absent from the download are left as they are, and so is an id that two
accounts claim (whose earlier submission it holds cannot be told).

Timestamps: an LMS stamps each file in its download with the submission's
time.  That time is written to ``timestamp.txt`` (nbgrader's format
``%Y-%m-%d %H:%M:%S.%f %Z``, in UTC); the zip format stores it without a
zone, so it is read as UTC unless ``--timezone`` names the LMS's zone
(``Asia/Shanghai``).

Safety: member names never become paths (only checked ids do); nothing but
notebooks is extracted; no symbolic links, file modes are not copied (files
0644, folders 0755); extraction streams with its own decompressor, checking
each member's size, its compression ratio (as declared and while inflating:
a header that lies cannot pass) and the total, within ``ArchiveLimits``.  The
files are extracted into a staging folder first: a download refused half-way
changes nothing in ``submitted/``.
"""

import dataclasses
import datetime
import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile

from grader import ROOT
from grader import messages as msg
from grader.ids import check_id, check_name, terminal
from grader.lms.roster import name_fields
from grader.lms.unzip import MB, ArchiveLimits, MemberError, declared_problem, extract, write_new

CANVAS = re.compile(r"(?P<id>[^_/]+)_(?:late_)?(?P<account>\d+)_\d+_(?P<file>[^/]+)", re.I)
MOODLE = re.compile(r"(?P<name>[^/]+)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_/(?P<file>.+)")
PATTERNS = {"canvas": CANVAS, "moodle": MOODLE}
ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's Exchange.timestamp_format


class CollectError(Exception):
    """The whole download is refused (bilingual message); ``submitted/`` is unchanged."""


@dataclasses.dataclass
class Problem:
    """Something in the download that was not filed as it is.

    Attributes
    ----------
    reason : str
        Bilingual explanation (untrusted parts already escaped).
    member : str or None
        The archive member concerned, as named in the download.
    student : str or None
        The (valid) student id concerned.
    filed : bool
        True when the student's notebook was filed all the same (an extra
        file that was ignored, a name that was not recorded).
    """

    reason: str
    member: str = None
    student: str = None
    filed: bool = False

    def __str__(self):
        where = self.member if self.member is not None else self.student
        return f"{terminal(where)}: {self.reason}" if where is not None else self.reason


@dataclasses.dataclass
class Report:
    """What ``collect`` did.

    Attributes
    ----------
    lms : str
        ``"canvas"`` or ``"moodle"``.
    filed : dict
        Student id -> path of the notebook filed for them.
    problems : list of Problem
        Everything not filed as it is, in archive order then per student.
    names : dict
        Student id -> ``(first_name, last_name)`` found in the download (both
        strings: :func:`grader.lms.roster.name_fields`).
    """

    lms: str
    filed: dict = dataclasses.field(default_factory=dict)
    problems: list = dataclasses.field(default_factory=list)
    names: dict = dataclasses.field(default_factory=dict)
    contested: set = dataclasses.field(default_factory=set)  # ids claimed by several accounts

    @property
    def unfiled(self):
        """The problems that left a submission (or a file nobody owns) unfiled."""
        return [p for p in self.problems if not p.filed]


def detect(names):
    """The LMS whose pattern every name in ``names`` matches (and the other's not all), or ``None``."""
    names = list(names)
    fits = [lms for lms, pattern in PATTERNS.items() if names and all(pattern.fullmatch(n) for n in names)]
    return fits[0] if len(fits) == 1 else None


def collect(
    zip_path, assignment, submitted=None, lms=None, *, limits=ArchiveLimits(), timezone=None, db_url=None
):
    """File the LMS download ``zip_path`` into ``submitted/<student>/<assignment>/``.

    Parameters
    ----------
    zip_path : str
        The download (a zip file).
    assignment : grader.course.assignment.Assignment
        The assignment: its ``id`` names the folder under each student, its
        ``notebook`` the file name a student's notebook is filed as.
    submitted : str, optional
        The submitted folder (default: ``submitted/`` at the course root).
    lms : {"canvas", "moodle"}, optional
        The LMS that made the download; detected from the whole archive when
        omitted.
    limits : ArchiveLimits
        Size, ratio and count limits.
    timezone : str, optional
        Zone of the zip's member times (default UTC), e.g. ``"Asia/Shanghai"``.
    db_url : str, optional
        Gradebook in which to record the students' names (Moodle); not
        touched when omitted.

    Returns
    -------
    Report
        The students filed and the problems.

    Raises
    ------
    CollectError
        The download as a whole is refused (not a zip, LMS unknown or not
        detected, too many members, too large); nothing was changed.
    """
    submitted = os.path.abspath(submitted or os.path.join(ROOT, "submitted"))
    zone = _zone(timezone)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CollectError(msg.ZIP_UNREADABLE.format(error=terminal(exc))) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.members:
            raise CollectError(msg.TOO_MANY_MEMBERS.format(members=len(infos), limit=limits.members))
        files = [i for i in infos if not i.is_dir()]  # a folder entry carries no data and names no one
        lms = _choose_lms(lms, [i.filename for i in files])
        report = Report(lms=lms)
        students = _group(files, PATTERNS[lms], report)
        chosen, extras = _choose_notebooks(students, report, limits)
        if not os.path.isdir(submitted):
            # Private from the start (grader/course/privacy.py), not left to the umask.
            os.makedirs(submitted, mode=0o700)
            os.chmod(submitted, 0o700)
        # A sibling of submitted/ (same file system, so moving in is a rename), never inside it.
        staging = tempfile.mkdtemp(prefix=".collect-", dir=os.path.dirname(submitted))
        try:
            _extract_all(archive, chosen, staging, assignment, zone, limits, report)
            _commit(staging, submitted, assignment.id, list(students), report)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    for student in report.filed:
        report.filed[student] = os.path.join(submitted, student, assignment.id, assignment.notebook)
    for problem in extras:  # an ignored extra file does not stop its owner's notebook being filed
        problem.filed = problem.student in report.filed
    _names(students, report)
    if db_url and report.names:
        _record_names(db_url, report.names)
    return report


def _choose_lms(lms, names):
    if not names:
        raise CollectError(msg.DOWNLOAD_EMPTY)
    if lms is not None:
        if lms not in PATTERNS:
            raise CollectError(msg.UNKNOWN_LMS.format(lms=terminal(lms)))
        return lms
    found = detect(names)
    if found is None:
        raise CollectError(msg.LMS_NOT_DETECTED)
    return found


def _group(files, pattern, report):
    """``{student: {"infos": [...], "owners": {...}, "names": {...}}}``; unmatched or bad ids reported."""
    students = {}
    for info in files:
        found = pattern.fullmatch(info.filename)
        if found is None:
            report.problems.append(Problem(msg.NOT_LMS_NAMING.format(lms=report.lms), member=info.filename))
            continue
        student = found.group("id")
        reason = check_id(student)
        if reason:
            report.problems.append(Problem(msg.NOT_FILED.format(reason=reason), member=info.filename))
            continue
        entry = students.setdefault(student, {"infos": [], "owners": set(), "names": set()})
        entry["infos"].append((info, found.group("file")))
        # Canvas: the numeric user id; Moodle: the full name.  Two owners of one id is ambiguous.
        entry["owners"].add(
            found.group("account") if "account" in pattern.groupindex else found.group("name")
        )
        if "name" in pattern.groupindex:
            entry["names"].add(found.group("name"))
    return students


def _choose_notebooks(students, report, limits):
    """``({student: ZipInfo}, extras)``: the one notebook to file per student, the files ignored.

    Everything not chosen is reported in ``report``; ``extras`` are the
    problems about other files of a student (their ``filed`` is settled
    once the student's notebook is).
    """
    chosen, extras = {}, []
    for student, entry in students.items():
        notebooks = []
        for info, file_name in entry["infos"]:
            base = file_name.rsplit("/", 1)[-1]
            if stat.S_ISLNK(info.external_attr >> 16):
                reason = msg.SYMLINK_NOT_EXTRACTED
            elif base.lower().endswith(ARCHIVES):
                reason = msg.ARCHIVE_NOT_EXTRACTED
            elif not base.endswith(".ipynb"):
                reason = msg.NOT_A_NOTEBOOK
            else:
                notebooks.append(info)
                continue
            extras.append(Problem(reason, member=info.filename, student=student))
            report.problems.append(extras[-1])
        if len(entry["owners"]) > 1:
            # Whose earlier submission sits in submitted/<id> cannot be told: it is kept as it is
            # (one account renaming itself after a classmate must not erase the classmate's work).
            report.contested.add(student)
            report.problems.append(
                Problem(msg.SHARED_STUDENT_ID.format(accounts=len(entry["owners"])), student=student)
            )
        elif not notebooks:
            report.problems.append(Problem(msg.NO_NOTEBOOK_FROM_STUDENT, student=student))
        elif len(notebooks) > 1:
            listed = ", ".join(terminal(i.filename) for i in notebooks)
            report.problems.append(
                Problem(
                    msg.SEVERAL_NOTEBOOKS_FROM_STUDENT.format(count=len(notebooks), listed=listed),
                    student=student,
                )
            )
        else:
            reason = declared_problem(notebooks[0], limits)
            if reason:
                report.problems.append(Problem(reason, member=notebooks[0].filename, student=student))
            else:
                chosen[student] = notebooks[0]
    declared = sum(i.file_size for i in chosen.values())
    if declared > limits.total_bytes:
        raise CollectError(msg.DOWNLOAD_TOO_LARGE.format(declared=declared, limit=limits.total_bytes))
    return chosen, extras


def _extract_all(archive, chosen, staging, assignment, zone, limits, report):
    """Extract each chosen notebook and its timestamp into ``staging/<student>/<assignment>/``.

    The total needs no check while streaming: ``extract`` never writes more
    than a member's declared size, and the declared sizes were summed.
    """
    with open(archive.filename, "rb") as raw:
        for student, info in chosen.items():
            folder = os.path.join(staging, student, assignment.id)
            os.makedirs(folder)
            for made in (os.path.dirname(folder), folder):
                os.chmod(made, 0o755)  # whatever the umask
            try:
                extract(raw, info, os.path.join(folder, assignment.notebook), limits)
            except MemberError as exc:
                shutil.rmtree(os.path.join(staging, student))
                report.problems.append(
                    Problem(msg.NOT_FILED.format(reason=exc), member=info.filename, student=student)
                )
                continue
            stamp = _timestamp(info, zone)
            if stamp is None:
                report.problems.append(
                    Problem(msg.FILE_DATE_INVALID, member=info.filename, student=student, filed=True)
                )
            else:
                write_new(os.path.join(folder, "timestamp.txt"), stamp.encode())
            report.filed[student] = info


def _zone(name):
    """The tzinfo of ``name`` (``None``: UTC), read as nbgrader reads zones (dateutil)."""
    from dateutil.tz import gettz

    if name is None:
        return datetime.timezone.utc
    zone = gettz(name)
    if zone is None:
        raise CollectError(msg.UNKNOWN_TIME_ZONE.format(zone=terminal(name)))
    return zone


def _timestamp(info, zone):
    """nbgrader's ``timestamp.txt`` text (UTC) for the member's date, or ``None`` if the date is invalid."""
    try:
        local = datetime.datetime(*info.date_time, tzinfo=zone)
    except ValueError:
        return None
    return local.astimezone(datetime.timezone.utc).strftime(TIMESTAMP_FORMAT)


def _commit(staging, submitted, assignment, students, report):
    """Replace each named student's ``submitted/<student>/<assignment>`` by what was staged (or nothing)."""
    for student in students:
        if student in report.contested:
            continue
        target = os.path.join(submitted, student, assignment)
        if os.path.islink(os.path.join(submitted, student)):  # would lead outside submitted/
            os.unlink(os.path.join(submitted, student))
        elif os.path.islink(target):
            os.unlink(target)
        elif os.path.exists(target):
            shutil.rmtree(target)
        staged = os.path.join(staging, student, assignment)
        if student in report.filed:
            folder = os.path.join(submitted, student)
            if not os.path.isdir(folder):
                os.mkdir(folder)
                os.chmod(folder, 0o755)
            os.replace(staged, target)


def _names(students, report):
    """``report.names`` from the download (Moodle's full names), for the students filed."""
    for student in report.filed:
        names = students[student]["names"]
        if len(names) != 1:
            continue
        name = " ".join(next(iter(names)).split())
        reason = check_name(name)
        if reason:
            report.problems.append(
                Problem(msg.NAME_NOT_RECORDED.format(reason=reason), student=student, filed=True)
            )
            continue
        # Moodle gives the full name in one field: its last word is taken as the last name; a
        # name of one word (a Chinese name, written without a space) is kept whole there, with
        # an empty (not a missing) first name.
        first, _, last = name.rpartition(" ")
        report.names[student] = name_fields(first, last)


def _record_names(db_url, names):
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        for student, (first, last) in names.items():
            gb.update_or_create_student(student, first_name=first, last_name=last)


def add_arguments(parser):
    """The ``collect`` subcommand's own arguments (``python -m grader collect``).

    ``--assignment`` and ``--db`` (for the names) are the command line's shared
    options, added by ``grader.cli``.
    """
    parser.add_argument("zip", help="the LMS download")
    parser.add_argument(
        "--lms",
        choices=sorted(PATTERNS),
        default=None,
        help="the LMS that made the download (default: detected from the whole archive)",
    )
    parser.add_argument("--submitted", default=None, help="default: submitted/")
    parser.add_argument(
        "--timezone", default=None, help="zone of the times in the zip, e.g. Asia/Shanghai (default: UTC)"
    )
    defaults = ArchiveLimits()
    parser.add_argument("--max-total-mb", type=float, default=defaults.total_bytes / MB)
    parser.add_argument("--max-member-mb", type=float, default=defaults.member_bytes / MB)
    parser.add_argument("--max-ratio", type=int, default=defaults.ratio)
    parser.add_argument("--max-members", type=int, default=defaults.members)


def main(args, assignment):
    """Run ``collect`` for parsed ``args`` and ``assignment``; print the problems (escaped).

    Returns
    -------
    int
        0 when every student was filed, 1 when a file or a student could not
        be (or the download was refused), 2 when the zip does not exist.
    """
    if not os.path.isfile(args.zip):
        print(f"{terminal(args.zip)}: {msg.NO_SUCH_FILE}", file=sys.stderr)
        return 2
    from grader.config import db_url

    limits = ArchiveLimits(
        total_bytes=int(args.max_total_mb * MB),
        member_bytes=int(args.max_member_mb * MB),
        ratio=args.max_ratio,
        members=args.max_members,
    )
    try:
        report = collect(
            args.zip,
            assignment,
            submitted=args.submitted,
            lms=args.lms,
            limits=limits,
            timezone=args.timezone,
            db_url=args.db or db_url(),
        )
    except CollectError as exc:
        print(msg.ERROR.format(error=exc), file=sys.stderr)
        return 1
    for problem in report.problems:
        print(problem, file=sys.stderr)
    print(
        f"{report.lms}: "
        + msg.FILED_STUDENTS.format(count=len(report.filed), folder=terminal(args.submitted or "submitted/"))
    )
    return 1 if report.unfiled else 0
