"""Shared fixtures of the grader and material tests."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, "utils")):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def reference():
    """The reference implementations, from the source notebook's solution cells."""
    from grader.reference import load
    return load()


@pytest.fixture(scope="session")
def lesson():
    """What the lesson prints, as kept by the public checks."""
    import checks
    return checks.LESSON
