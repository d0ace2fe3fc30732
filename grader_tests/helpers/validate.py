"""What the tests of integration/test_validate.py, long/test_validate_loaded.py share (constants, helpers, fixtures)."""

import subprocess
import sys


def _validate(root, path):
    return subprocess.run(
        [sys.executable, "-m", "grader", "validate", path], cwd=root, capture_output=True, text=True
    )
