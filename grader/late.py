"""The course's late-work policy, one plugin for ``nbgrader autograde`` and ``make grade``.

nbgrader keeps the due date in the gradebook (``nbgrader db assignment add
L1W3 --duedate="2026-12-01 23:59:00 UTC"`` or formgrader's Manage
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
from traitlets.utils.importstring import import_item

DAY = 24 * 60 * 60


class PercentPerDayLate(LateSubmissionPlugin):
    """Take ``percent_per_period`` % of the score per started period late.

    With the defaults, a notebook scored 20 and handed in 1 second or
    23 hours late loses 2 points, 25 hours late loses 4, and ten or more
    days late loses everything.  Submissions within ``grace_seconds`` of
    the due date lose nothing (clock skew, a slow upload).

    Configure it in ``nbgrader_config.py``::

        c.AssignLatePenalties.plugin_class = "grader.late.PercentPerDayLate"
        c.PercentPerDayLate.percent_per_period = 10.0
        c.PercentPerDayLate.period_seconds = 86400
        c.PercentPerDayLate.grace_seconds = 0

    nbgrader's own ``LateSubmissionPlugin.penalty_method`` is not used by
    this class.
    """

    percent_per_period = Float(
        10.0, help="Percent of the notebook's score taken per started period late (0-100)."
    ).tag(config=True)
    period_seconds = Float(float(DAY), help="Length of one period in seconds (default: one day).").tag(config=True)
    grace_seconds = Float(0.0, help="Lateness up to this many seconds costs nothing.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
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
