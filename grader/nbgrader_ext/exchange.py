"""``nbgrader release_feedback`` (formgrader's Release Feedback) for a class filed by several paths.

nbgrader's exchange names a released page after the student's
``submission_secret.txt``, which ``nbgrader submit`` writes beside the
submission and in the student's own cache; ``fetch_feedback`` finds the page
by the copy in that cache.  A student filed by ``make collect`` (an LMS
download) or ``make demo`` never submitted through the exchange: there is no
secret, and no cache that could ever fetch a page, so stock nbgrader stops
the whole release with ``FileNotFoundError`` at the first such student.

:class:`ReleaseFeedback` releases, exactly as nbgrader does, the feedback of
every student who has the secret, and skips each one who has not with a
bilingual warning that names their page (to be returned through the LMS).
``nbgrader_config.py`` selects it with ``c.ExchangeFactory.release_feedback``.
"""

import glob
import os
import re

from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

from grader import messages as msg

SECRET = "submission_secret.txt"  # nbgrader submit's file, kept by collect, autograde and generate_feedback


class ReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's default feedback release, without the students who never used the exchange."""

    def unreachable(self):
        """The students whose feedback pages have no ``submission_secret.txt`` beside them.

        Returns
        -------
        dict
            Student id -> one of their pages, in id order.
        """
        coursedir = self.coursedir
        folder = coursedir.format_path(
            coursedir.feedback_directory, "(?P<student_id>.*)", coursedir.assignment_id, escape=True
        )
        # The very pattern nbgrader's copy_files matches each page with.
        pattern = re.escape(os.path.sep).join([folder, "(?P<notebook_id>.*).html"])
        found = {}
        for page in sorted(glob.glob(os.path.join(self.src_path, "*.html"))):
            match = re.match(pattern, page)
            if match and not os.path.isfile(os.path.join(os.path.dirname(page), SECRET)):
                found.setdefault(match.group("student_id"), page)
        return dict(sorted(found.items()))

    def copy_files(self):
        """Release every page nbgrader can deliver; warn about each student it cannot."""
        skipped = self.unreachable()
        for student, page in skipped.items():
            self.log.warning("%s", msg.FEEDBACK_NOT_THROUGH_EXCHANGE.format(student=student, page=page))
        excluded = self.coursedir.student_id_exclude
        if skipped:
            self.coursedir.student_id_exclude = ",".join(
                [s for s in excluded.split(",") if s] + list(skipped)
            )
        try:
            super().copy_files()
        finally:
            self.coursedir.student_id_exclude = excluded
