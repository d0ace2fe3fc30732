"""What the tests of unit/test_limits_source.py, integration/test_kernel_limits.py share (constants, helpers, fixtures)."""

import logging
import re
import subprocess

import nbformat
import pytest
from traitlets.config import Config

from grader import config as course_config
from grader.limits import (
    COMMAND_LINE,
    CONFIG_SOURCE,
    ENVIRONMENT,
    Limits,
)

CONFIG_TEXT = """c = get_config()
c.Limits.memory_mb = 3000
c.Limits.cell_timeout = 7
c.Limits.processes = 30
"""


ENV = "memory_mb=3500,processes=31"


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "nbgrader_config.py"
    path.write_text(CONFIG_TEXT, encoding="utf-8")
    return str(path)


@pytest.fixture
def config(config_file):
    """A course configuration with three limits, read as nbgrader_config.py is."""
    return course_config.load(config_file)


@pytest.fixture
def course(monkeypatch, config):
    """The temporary configuration as the course's, and GRADER_LIMITS set: what every path must see."""
    monkeypatch.setattr(course_config, "load", lambda path=None: config)
    monkeypatch.setenv(ENVIRONMENT, ENV)
    return Limits.load(config=config, environ={ENVIRONMENT: ENV})


def _load_from(source, name, value):
    """``Limits.load`` with ``name`` = ``value`` given in ``source`` only."""
    if source == CONFIG_SOURCE:
        config = Config()
        # A capitalized name is a section to traitlets: `c.Limits.MEMORY_MB.x = 1`.
        config.Limits[name] = Config(x=value) if name[:1].isupper() else value
        return Limits.load(config=config, environ={})
    item = f"{name}={value}"
    if source == ENVIRONMENT:
        return Limits.load(config=Config(), environ={ENVIRONMENT: item})
    return Limits.load([item], config=Config(), environ={})


SOURCES = [CONFIG_SOURCE, ENVIRONMENT, COMMAND_LINE]


TEXT_BAD = [
    ("memory_mb", "lots"),
    ("memory_mb", "1.5"),
    ("memory_mb", "0"),
    ("memory_mb", "-4"),
    ("memory_mb", ""),
    ("cell_timeout", "soon"),
    ("cell_timeout", "inf"),
    ("cell_timeout", "nan"),
    ("grace", "-0.1"),
    ("grace", "0"),
]


CONFIG_BAD = [
    ("memory_mb", 1.5),
    ("memory_mb", 0),
    ("memory_mb", True),
    ("memory_mb", None),
    ("memory_mb", [4096]),
    ("memory_mb", "lots"),
    ("cell_timeout", float("inf")),
    ("cell_timeout", -1.0),
    ("grace", False),
]


BAD = [(s, n, v) for s in (ENVIRONMENT, COMMAND_LINE) for n, v in TEXT_BAD] + [
    (CONFIG_SOURCE, n, v) for n, v in CONFIG_BAD + TEXT_BAD
]


class _Gradebook:
    def close(self):
        pass


def _quiet_run(monkeypatch):
    """Let ``runner.run`` go no further than handing its limits on (no gradebook, no kernel)."""
    from grader.batch import gradebook, runner
    from grader.course import release

    monkeypatch.setattr(release, "register", lambda *a, **kw: None)
    monkeypatch.setattr(gradebook, "open_gradebook", lambda url: _Gradebook())
    return runner


class _Future:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def result(self):
        raise RuntimeError("not graded here")


class _Stop(Exception):
    pass


def _autograde_command(monkeypatch, config, tmp_path, caplog=None):
    """The command CourseAutograde runs for one submission (it is not run)."""
    from grader.nbgrader_ext import autograde

    commands = []

    def fake_run(cmd, **kw):
        commands.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, "", "not run in this test")

    monkeypatch.setattr(autograde.subprocess, "run", fake_run)
    config.CourseDirectory.root = str(tmp_path)
    log = logging.getLogger("test_limits_source")
    preprocessor = autograde.CourseAutograde(config=config, log=log)
    resources = {"nbgrader": {"student": "ann", "assignment": "L1W3", "db_url": "sqlite://"}}
    with pytest.raises(RuntimeError, match="not run in this test"):
        preprocessor.preprocess(nbformat.v4.new_notebook(), resources)
    (cmd,) = commands
    assert cmd[1:4] == ["-m", "grader", "grade"]
    return [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--limit"]


README_TABLE = re.compile(r"<!-- limits table:[^\n]*-->\n(.*?)\n<!-- end of limits table -->", re.S)


def _rows(table):
    rows = [line.split(" | ") for line in table.splitlines()[2:]]
    return [(name.strip("| `"), float(default), meaning.rstrip(" |")) for name, default, meaning in rows]
