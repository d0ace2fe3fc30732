"""What the tests of unit/nbgrader_ext/test_late.py, long/test_late_autograde.py share (constants, helpers, fixtures)."""

from grader.course.assignment import load

ASSIGNMENT = "L1W3"


L1W3 = load(ASSIGNMENT)


NOTEBOOK = L1W3.notebook


HOUR = 3600
