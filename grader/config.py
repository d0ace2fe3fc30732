"""The course's nbgrader settings, read from nbgrader_config.py (their one place)."""

import functools
import os

from traitlets.config import Config

from grader import ROOT

CONFIG_FILE = os.path.join(ROOT, "nbgrader_config.py")


@functools.lru_cache(maxsize=None)
def load(path=CONFIG_FILE):
    """Execute nbgrader_config.py (or the file at ``path``) as nbgrader does and return its ``Config``.

    The file sees ``GRADER_SETTINGS_ONLY``: the grader reads settings, it releases
    nothing, so the release's preprocessor list (which imports nbgrader's converters) is
    left out.
    """
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": path, "GRADER_SETTINGS_ONLY": True}
    with open(path, encoding="utf-8") as f:
        exec(compile(f.read(), path, "exec"), namespace)
    return config


def db_url():
    """The gradebook URL (SQLite at the course root unless NBGRADER_DB_URL is set)."""
    return load().CourseDirectory.db_url
