"""What the test suites share: fakes, catalogs of cases, servers, and course data.

Imported as ``grader_tests.helpers.<module>``; fixtures live in ``grader_tests/conftest.py``.
"""
