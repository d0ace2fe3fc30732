"""The course's nbgrader exchange classes: a Collect students cannot forge, a safe Release Feedback.

nbgrader's folder exchange trusts what is in its inbound folder, which every
student can write into without Submit.  Stock ``nbgrader collect`` follows a
symlink there (to the source notebook, the grading spec: both came back to the
student as her feedback), takes the submission time from ``timestamp.txt`` and
the folder's name (both written by the student), accepts a folder named after
another student (``nbgrader submit --student=victim``, only a logged
"cheating attempt?") and prints folder names as they are (escape sequences
reach the instructor's terminal).  ``nbgrader_config.py`` names the classes
below in ``c.ExchangeFactory``:

- :class:`Collect` files, under a student's id, only a folder that student's
  uid owns, and in it only regular files of that uid with one link, read by
  descriptor (:mod:`grader.nbgrader_ext.inbound`); its time is when the files
  arrived (their ctime), never what the student wrote.  Every refusal names
  the student (escaped) and why; the rest of the class is collected, and the
  command then exits 1.
- :class:`ReleaseFeedback` releases only the pages of the assignment's
  notebooks, regular files read without following a link, and skips with a
  warning the students who never submitted through the exchange (no
  ``submission_secret.txt``): their pages are returned through the LMS.
- :class:`List` (``nbgrader list --inbound``) lists only entries whose name is
  a valid student id and printable text.
"""

import datetime
import glob
import os
import re
import shutil
import stat
import tempfile

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.list import ExchangeList
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash

from grader import messages as msg
from grader.ids import check_id, terminal
from grader.nbgrader_ext import inbound

SECRET = inbound.SECRET  # nbgrader submit's file, kept by collect, autograde and generate_feedback


def _utc(seconds):
    """A POSIX time as the naive UTC ``datetime`` nbgrader compares due dates with."""
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc).replace(tzinfo=None)


def parse_inbound_name(name, assignment_id):
    """The student id a folder name of the inbound folder claims for ``assignment_id``, or ``None``.

    nbgrader submit names a folder ``<student>+<assignment>+<time>+<random>``;
    only the first two parts are read (the time is the student's own text).
    """
    parts = name.split("+")
    if len(parts) < 3 or parts[1] != assignment_id:
        return None
    return parts[0]


class Collect(ExchangeCollect):
    """``nbgrader collect`` (formgrader's Collect) that files only what the named student's uid put there.

    Unlike nbgrader's, every folder claiming the assignment is checked before
    a submission is chosen, so a folder planted under another student's name
    neither replaces nor hides that student's own submission, and the latest
    (or, with ``--before-duedate``, the latest before the due date) is chosen by
    the time the files arrived.
    """

    def _refuse(self, text):
        self.refusals += 1
        self.log.error("%s", text)

    def _uid(self, student, name):
        """The uid that must own ``student``'s folder ``name`` (``None``: not checked), or ``False``."""
        if not self.check_owner:
            return None
        import pwd

        try:
            return pwd.getpwnam(student).pw_uid
        except KeyError:
            self._refuse(msg.EXCHANGE_NO_SUCH_USER.format(student=terminal(student), name=terminal(name)))
            return False

    def init_src(self):
        """Check every inbound folder of the assignment and choose each student's submission."""
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.refusals = 0
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail("Course not found: {}".format(self.inbound_path))
        if not self.check_owner:
            self.log.warning("%s", msg.EXCHANGE_OWNER_UNCHECKED)
        assignment_id = self.coursedir.assignment_id
        only = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        limits = dict(
            ignore=list(self.coursedir.ignore),
            include=list(self.coursedir.include),
            max_file_bytes=1000 * self.coursedir.max_file_size,
            max_total_bytes=1000 * self.coursedir.max_dir_size,
        )
        candidates = {}
        fd = os.open(self.inbound_path, inbound.DIR_FLAGS)
        try:
            with os.scandir(fd) as it:
                names = sorted(e.name for e in it)
            for name in names:
                student = parse_inbound_name(name, assignment_id)
                if student is None:
                    continue
                problem = check_id(student)
                if problem:
                    self._refuse(msg.EXCHANGE_BAD_NAME.format(name=terminal(name), reason=problem))
                    continue
                if only is not None and student != only:
                    continue
                uid = self._uid(student, name)
                if uid is False:
                    continue
                folder = inbound.read_folder(fd, name, uid, **limits)
                if folder.fatal:
                    self._refuse(
                        msg.EXCHANGE_REFUSED.format(student=student, name=terminal(name), reason=folder.fatal)
                    )
                    continue
                for path, reason in folder.refused:
                    self._refuse(msg.EXCHANGE_ENTRY_SKIPPED.format(student=student, path=path, reason=reason))
                candidates.setdefault(student, []).append(folder)
        finally:
            os.close(fd)
        self.src_records = []
        for student, folders in sorted(candidates.items()):
            folders.sort(key=lambda f: f.arrived, reverse=True)
            chosen = folders[0]
            if self.duedate is not None and self.before_duedate:
                early = [f for f in folders if _utc(f.arrived) <= self.duedate]
                chosen = early[0] if early else chosen
            self.src_records.append(
                {"username": student, "timestamp": _utc(chosen.arrived), "folder": chosen}
            )

    def copy_files(self):
        """File each chosen submission atomically, with the time it arrived; then report the refusals."""
        assignment_id = self.coursedir.assignment_id
        if not self.src_records:
            self.log.warning("%s", msg.EXCHANGE_NO_SUBMISSIONS.format(assignment=assignment_id))
        for rec in self.src_records:
            student, arrived = rec["username"], rec["timestamp"]
            dest = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment_id)
            time = arrived.strftime(self.timestamp_format.replace("%Z", "UTC"))
            updating = os.path.isdir(dest)
            if updating:
                existing = self.coursedir.get_existing_timestamp(dest)
                newer = existing is None or arrived > existing
                if not (self.update and newer) and not (self.before_duedate and existing != arrived):
                    text = msg.EXCHANGE_NOTHING_NEWER if self.update else msg.EXCHANGE_ALREADY_COLLECTED
                    self.log.info("%s", text.format(student=student))
                    continue
            text = msg.EXCHANGE_UPDATING if updating else msg.EXCHANGE_COLLECTING
            self.log.info("%s", text.format(student=student, time=time))
            self._write(rec["folder"], dest, time)
        if self.refusals:
            raise ExchangeError(msg.EXCHANGE_SOME_REFUSED.format(count=self.refusals))

    def _write(self, folder, dest, time):
        """Write ``folder``'s files and ``timestamp.txt`` beside ``dest``, then put them in its place."""
        parent = os.path.dirname(dest)
        top = self.coursedir.format_path(self.coursedir.submitted_directory, ".", ".")
        if not os.path.isdir(top):
            # submitted/ is private (grader/course/privacy.py): made so, not left to the umask.
            os.makedirs(top, mode=0o700)
            os.chmod(top, 0o700)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(dir=parent, prefix="." + os.path.basename(dest) + ".collecting-")
        try:
            files = dict(folder.files)
            files[inbound.TIMESTAMP] = time.encode()
            for rel, data in files.items():
                path = os.path.join(staging, *rel.split("/"))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            os.chmod(staging, 0o755)
            if os.path.lexists(dest):
                shutil.rmtree(dest)
            os.rename(staging, dest)
        finally:
            if os.path.isdir(staging):
                shutil.rmtree(staging)


class List(ExchangeList):
    """``nbgrader list``: an inbound entry whose name is no valid id or no printable text is not listed."""

    def init_dest(self):
        """nbgrader's search, without the inbound names it would print as they are."""
        super().init_dest()
        if not self.inbound:
            return
        kept = []
        for path in self.assignments:
            name = os.path.basename(path)
            parts = name.split("+")
            problem = check_id(parts[0]) or (None if terminal(name) == name else msg.ID_HAS_CONTROL)
            if problem or os.path.islink(path) or not os.path.isdir(path):
                self.log.warning(
                    "%s", msg.EXCHANGE_BAD_NAME.format(name=terminal(name), reason=problem or "")
                )
                continue
            kept.append(path)
        self.assignments = kept


def read_regular(path):
    """The bytes of ``path`` if it is a regular file (never following a link), else ``(None, its kind)``."""
    try:
        fd = os.open(path, inbound.FILE_FLAGS)
    except OSError:
        try:
            return None, inbound.kind(os.lstat(path).st_mode)
        except OSError:
            return None, msg.KIND_OTHER
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, inbound.kind(st.st_mode)
        chunks = []
        while chunk := os.read(fd, inbound.CHUNK):
            chunks.append(chunk)
        return b"".join(chunks), None
    finally:
        os.close(fd)


class ReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's feedback release, only of notebook pages that are regular files, without non-exchange students."""

    def notebook_ids(self):
        """The assignment's notebook ids: the source folder's notebooks, the pages there may be."""
        source = self.coursedir.format_path(
            self.coursedir.source_directory, ".", self.coursedir.assignment_id
        )
        return {os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(source, "*.ipynb"))}

    def pages(self):
        """``[(student id, notebook id, page path)]`` nbgrader's pattern finds, in order."""
        coursedir = self.coursedir
        folder = coursedir.format_path(
            coursedir.feedback_directory, "(?P<student_id>.*)", coursedir.assignment_id, escape=True
        )
        # The very pattern nbgrader's copy_files matches each page with.
        pattern = re.escape(os.path.sep).join([folder, "(?P<notebook_id>.*).html"])
        found = []
        for page in sorted(glob.glob(os.path.join(self.src_path, "*.html"))):
            match = re.match(pattern, page)
            if match:
                found.append((match.group("student_id"), match.group("notebook_id"), page))
        return found

    def unreachable(self):
        """The students whose feedback pages have no ``submission_secret.txt`` beside them.

        Returns
        -------
        dict
            Student id -> one of their pages, in id order.
        """
        found = {}
        for student, _, page in self.pages():
            if not os.path.isfile(os.path.join(os.path.dirname(page), SECRET)):
                found.setdefault(student, page)
        return dict(sorted(found.items()))

    def copy_files(self):
        """Release every page nbgrader can deliver; warn about each student or page it cannot."""
        skipped = self.unreachable()
        for student, page in skipped.items():
            self.log.warning(
                "%s", msg.FEEDBACK_NOT_THROUGH_EXCHANGE.format(student=terminal(student), page=terminal(page))
            )
        excluded = set(filter(None, self.coursedir.student_id_exclude.split(","))) | set(skipped)
        notebooks = self.notebook_ids()
        for student, notebook_id, page in self.pages():
            if student in excluded:
                continue
            if notebook_id not in notebooks:
                # What Collect filed beside the notebook (a student's own x.html) is no feedback.
                self.log.warning("%s", msg.FEEDBACK_NOT_A_NOTEBOOK.format(page=terminal(page)))
                continue
            folder = os.path.dirname(page)
            html, why = read_regular(page)
            secret, secret_why = read_regular(os.path.join(folder, SECRET))
            if html is None or secret is None:
                self.log.warning(
                    "%s",
                    msg.FEEDBACK_NOT_A_FILE.format(
                        student=terminal(student), page=terminal(page), kind=why or secret_why
                    ),
                )
                continue
            checksum = notebook_hash(secret=secret.decode("utf-8", "replace"), notebook_id=notebook_id)
            self.log.info(
                "Releasing feedback for student '%s' on assignment '%s/%s/%s'",
                terminal(student),
                self.coursedir.course_id,
                self.coursedir.assignment_id,
                notebook_id,
            )
            # Written beside the page's place and moved there, as nbgrader does, so a student
            # fetching meanwhile gets the old page or the new one, never half of one.
            tmp = os.path.join(self.dest_path, f"{checksum}-tmp.html")
            if os.path.lexists(tmp):
                os.unlink(tmp)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(html)
            os.replace(tmp, os.path.join(self.dest_path, f"{checksum}.html"))
            self.log.info("Feedback released to: %s", os.path.join(self.dest_path, f"{checksum}.html"))
