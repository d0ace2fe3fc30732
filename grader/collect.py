"""``make collect ZIP=downloads.zip``: submissions from an LMS download, via ``nbgrader zip_collect``.

Two download layouts are recognised (the file name inside the zip is
matched, relative to the archive's root):

- Canvas: ``<login>_<userid>_<submissionid>_<file>``, with ``_late`` after
  the login for late work, e.g. ``doejane_late_1234_5678_planar_classification-1.ipynb``;
  the student id is ``<login>``.
- Moodle: ``<Full Name>_<participantid>_assignsubmission_file_/<file>``
  (one folder per student), e.g. ``Jane Doe_1234_assignsubmission_file_/planar_classification.ipynb``;
  the student id is ``<participantid>``.

LMSs rename a re-uploaded file (``planar_classification-1.ipynb``,
``planar_classification (2).ipynb``); any single notebook of a student is
filed as the assignment's notebook.  The submissions land in
``submitted/<student>/L1W3/``.
"""
import os
import re
import shutil
import subprocess
import sys

from nbgrader.plugins import FileNameCollectorPlugin

from grader import ROOT, tool_env

NOTEBOOK = "planar_classification.ipynb"

CANVAS = re.compile(r"^(?P<student_id>[^_/]+)_(?:late_)?\d+_\d+_(?P<file_id>[^/]+)$", re.I)
MOODLE = re.compile(r"^(?:.*/)?(?P<name>[^/]*?)_(?P<student_id>\d+)_assignsubmission_(?:file|onlinetext)_/(?P<file_id>[^/]+)$")


def match(relative_path):
    """``{"student_id", "file_id"}`` for a path inside the download, or ``None``.

    Only the file's name (Canvas) or its folder and name (Moodle) count: the
    zip may be extracted into a folder of its own.
    """
    parts = relative_path.replace(os.sep, "/").split("/")
    for pattern, tail in ((CANVAS, parts[-1:]), (MOODLE, parts[-2:])):
        found = pattern.match("/".join(tail))
        if found:
            file_id = found.group("file_id")
            if file_id.endswith(".ipynb"):
                file_id = NOTEBOOK  # e.g. "planar_classification-1.ipynb" from a re-upload
            return {"student_id": found.group("student_id"), "file_id": file_id}
    return None


class LmsCollector(FileNameCollectorPlugin):
    """nbgrader collector plugin for Canvas and Moodle downloads (see the module's doc)."""

    def collect(self, submitted_file):
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        root = self.parent.coursedir.format_path(self.parent.extracted_directory, ".",
                                                 self.parent.coursedir.assignment_id)
        info = match(os.path.relpath(submitted_file, root))
        if info is None:
            self.log.warning("not a Canvas or Moodle submission file name: %s", submitted_file)
        return info


def collect(zip_path, assignment, submitted=None, downloaded=None):
    """Put ``zip_path`` where nbgrader expects it and run ``nbgrader zip_collect``.

    ``downloaded`` is nbgrader's work folder for the download (default
    ``downloaded/``); ``submitted`` where the submissions go (default ``submitted/``).
    """
    assignment = assignment.id
    downloaded = os.path.abspath(downloaded or os.path.join(ROOT, "downloaded"))
    archive = os.path.join(downloaded, assignment, "archive")
    shutil.rmtree(os.path.join(downloaded, assignment), ignore_errors=True)
    os.makedirs(archive)
    shutil.copy(zip_path, archive)
    cmd = [sys.executable, "-m", "nbgrader", "zip_collect", assignment, "--force",
           "--collector=grader.collect.LmsCollector", "--log-level=WARN",
           # nbgrader joins this to the course root as text: give it relative to the root.
           f"--ZipCollectApp.downloaded_directory={os.path.relpath(downloaded, ROOT)}"]
    if submitted:
        cmd.append(f"--CourseDirectory.submitted_directory={os.path.abspath(submitted)}")
    subprocess.run(cmd, cwd=ROOT, check=True, env=tool_env())
