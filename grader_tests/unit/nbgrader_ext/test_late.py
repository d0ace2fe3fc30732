"""The late-work policy: the plugin's arithmetic, its configuration, and nbgrader applying it."""

import pytest
from traitlets.config import Config

from grader.batch.gradebook import configured_plugin, penalty_for
from grader.nbgrader_ext.late import PercentPerDayLate
from grader_tests.helpers.late import HOUR


@pytest.mark.parametrize(
    "seconds_late, penalty",
    [
        (0, 0.0),
        (1, 2.0),
        (23 * HOUR, 2.0),
        (24 * HOUR, 2.0),
        (24 * HOUR + 1, 4.0),
        (25 * HOUR, 4.0),
        (95 * HOUR, 8.0),
        (10 * 24 * HOUR, 20.0),
        (30 * 24 * HOUR, 20.0),
    ],
)
def test_ten_percent_per_started_day(seconds_late, penalty):
    assert PercentPerDayLate().late_submission_penalty("s", 20.0, seconds_late) == penalty


def test_penalty_never_exceeds_the_score_nor_goes_below_zero():
    plugin = PercentPerDayLate()
    assert plugin.late_submission_penalty("s", 0.0, 5 * 24 * HOUR) == 0.0
    assert plugin.late_submission_penalty("s", 7.0, 100 * 24 * HOUR) == 7.0
    assert plugin.late_submission_penalty("s", 15.0, 3 * 24 * HOUR) == pytest.approx(4.5)


def test_policy_is_configurable():
    config = Config()
    config.AssignLatePenalties.plugin_class = "grader.nbgrader_ext.late.PercentPerDayLate"
    config.PercentPerDayLate.percent_per_period = 50.0
    config.PercentPerDayLate.period_seconds = HOUR
    config.PercentPerDayLate.grace_seconds = 600
    assert penalty_for("s", 20.0, 600, config) == 0.0
    assert penalty_for("s", 20.0, 601, config) == 10.0
    assert penalty_for("s", 20.0, HOUR + 1, config) == 20.0


def test_penalty_for_reads_the_course_configuration():
    plugin = configured_plugin()
    assert isinstance(plugin, PercentPerDayLate)
    assert plugin.percent_per_period == 10.0 and plugin.period_seconds == 24 * HOUR
    assert penalty_for("s", 20.0, 25 * HOUR) == 4.0
    assert penalty_for("s", 20.0, 0) == 0.0
    assert penalty_for("s", 20.0, -5) == 0.0


def test_stock_plugin_and_out_of_range_answers_are_clipped_as_nbgrader_does():
    assert penalty_for("s", 20.0, 99 * 24 * HOUR, Config()) == 0.0  # stock: no penalty
    config = Config()
    config.AssignLatePenalties.plugin_class = "nbgrader.plugins.LateSubmissionPlugin"
    config.LateSubmissionPlugin.penalty_method = "zero"
    assert penalty_for("s", 17.0, 1, config) == 17.0

    class Greedy(PercentPerDayLate):
        def late_submission_penalty(self, student_id, score, total_seconds_late):
            return score + 5 if total_seconds_late < 100 else -3

    config = Config()
    config.AssignLatePenalties.plugin_class = Greedy
    assert penalty_for("s", 12.0, 50, config) == 12.0
    assert penalty_for("s", 12.0, 500, config) == 0.0
