"""What the tests of material/test_utils.py, material/test_utils_training.py share (constants, helpers, fixtures)."""

from grader_tests.helpers.course import checks

NN_MODEL_TEST_CASE_OUTPUT, PRINTED_ATOL, compare = (
    checks.NN_MODEL_TEST_CASE_OUTPUT,
    checks.PRINTED_ATOL,
    checks.compare,
)
