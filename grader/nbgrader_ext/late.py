"""The course's late-work policy, one plugin for ``nbgrader autograde`` and ``make grade``.

nbgrader keeps the due date in the gradebook (``nbgrader db assignment add
<id> --duedate="2026-12-01 23:59:00 UTC"`` or formgrader's Manage
Assignments) and the submission time in ``timestamp.txt`` (written by
``nbgrader submit``, kept by ``collect`` and ``zip_collect``).  Its
``AssignLatePenalties`` preprocessor asks the configured
``LateSubmissionPlugin`` for a penalty whenever a submission is late;
``nbgrader export`` and formgrader then show the score minus that penalty.

``PercentPerDayLate`` is the policy set in ``nbgrader_config.py``: a share
of the notebook's score per started period (a day by default) after an
optional grace time, never more than the score.  ``penalty_for`` loads
whichever plugin the configuration names, so the course's own gradebook
writer (``make grade``) applies exactly the policy nbgrader applies.
"""

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

DAY = 24 * 60 * 60


class PercentPerDayLate(LateSubmissionPlugin):
    """Take ``percent_per_period`` % of the score per started period late.

    With the defaults, a notebook scored 20 and handed in 1 second or
    23 hours late loses 2 points, 25 hours late loses 4, and ten or more
    days late loses everything.  Submissions within ``grace_seconds`` of
    the due date lose nothing (clock skew, a slow upload).

    Configure it in ``nbgrader_config.py``::

        c.AssignLatePenalties.plugin_class = "grader.nbgrader_ext.late.PercentPerDayLate"
        c.PercentPerDayLate.percent_per_period = 10.0
        c.PercentPerDayLate.period_seconds = 86400
        c.PercentPerDayLate.grace_seconds = 0

    nbgrader's own ``LateSubmissionPlugin.penalty_method`` is not used by
    this class.
    """

    percent_per_period = Float(
        10.0, help="Percent of the notebook's score taken per started period late (0-100)."
    ).tag(config=True)
    period_seconds = Float(float(DAY), help="Length of one period in seconds (default: one day).").tag(
        config=True
    )
    grace_seconds = Float(0.0, help="Lateness up to this many seconds costs nothing.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):  # noqa: ARG002 (nbgrader's signature)
        """Return the points to take off ``score`` for ``total_seconds_late`` seconds late.

        Parameters
        ----------
        student_id : str
            The student (unused: the policy is the same for everyone).
        score : float
            The notebook's score before the penalty.
        total_seconds_late : float
            Seconds between the due date and the submission's timestamp.

        Returns
        -------
        float
            A penalty between 0 and ``score``.
        """
        if total_seconds_late is None or total_seconds_late <= self.grace_seconds or score <= 0:
            return 0.0
        periods = math.ceil(total_seconds_late / self.period_seconds)
        return min(float(score), float(score) * self.percent_per_period / 100.0 * periods)
