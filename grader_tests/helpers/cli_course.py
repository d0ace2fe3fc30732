"""What the tests of unit/test_cli.py, integration/test_single_student.py share (constants, helpers, fixtures)."""

import ast
import json
import logging
import os
import pathlib
import subprocess
import sys
import textwrap

import nbformat
import pytest

from grader import cli
from grader.nbgrader_ext import autograde

GRADER = pathlib.Path(cli.__file__).resolve().parent


SHARED_OPTIONS = {
    "--db": cli.db_option,
    "--autograded": cli.autograded_option,
    "--workers": cli.workers_option,
    "--assignment": cli.assignment_option,
}


def _subparsers(parser):
    (action,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return action.choices


def _calls(name):
    """``(path, call node)`` of every call of ``name`` (a function or a method) in grader/."""
    found = []
    for path in sorted(GRADER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                )
                if called == name:
                    found.append((path, node))
    return found


IMPORT_ALL = textwrap.dedent("""
    import importlib, importlib.abc, importlib.machinery, json, os, pkgutil, sys, types

    class FastRfc3987(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        # jsonschema's import of rfc3987_syntax, answered without its 3-10 s grammar build.
        # A finder, not a sys.modules entry: an entry made on import (the stub) still shows.
        def find_spec(self, name, path=None, target=None):
            if name == "rfc3987_syntax":
                return importlib.machinery.ModuleSpec(name, self)
        def create_module(self, spec):
            return None
        def exec_module(self, module):
            module.is_valid_syntax = lambda rule, text: True

    sys.meta_path.insert(0, FastRfc3987())

    def state():
        return {"environ": dict(os.environ), "stub": sys.modules.get("rfc3987_syntax", "absent") is None}

    before = state()
    import grader
    names = sorted(m.name for m in pkgutil.walk_packages(grader.__path__, "grader."))
    for name in names:
        importlib.import_module(name)
    imported = state()
    del sys.modules["rfc3987_syntax"]   # as before nbformat's first import, for prepare's check
    grader.environment.prepare()
    prepared = state()
    print(json.dumps({"names": names, "before": before, "imported": imported, "prepared": prepared,
                      "nbformat": "nbformat" in sys.modules}))
""")


@pytest.fixture(scope="module")
def fresh_imports(root):
    """What a fresh interpreter saw before and after importing every grader module, then after prepare()."""
    env = {k: v for k, v in os.environ.items() if k not in ("PATH", "PYTHONPATH")}
    # Without the interpreter's bin on PATH, so that a PATH edit on import would show.
    env.update(PATH="/usr/bin:/bin", PYTHONPATH=root)
    assert os.path.dirname(sys.executable) not in env["PATH"].split(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


class _Assignment:
    id, notebook = "A1", "nb.ipynb"


def _submit(submitted, student, folder="A1"):
    base = submitted / student / folder
    base.mkdir(parents=True)
    (base / "nb.ipynb").write_text("{}")
    return base


def _bad_neighbours(submitted, outside):
    """An invalid id's folder and a student whose assignment folder links outside."""
    _submit(submitted, "=bad")
    outside.mkdir()
    (submitted / "eve").mkdir()
    (submitted / "eve" / "A1").symlink_to(outside, target_is_directory=True)


def _course_autograde(tmp_path, monkeypatch, completed):
    """A CourseAutograde on a course at ``tmp_path`` whose grader command returns ``completed``."""
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    logger = logging.getLogger("test_course_autograde")
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, completed[0], stdout=completed[1], stderr=completed[2])

    monkeypatch.setattr(autograde.subprocess, "run", fake_run)
    step = autograde.CourseAutograde(config=config, log=logger)
    # The notebook a grader error leaves behind: present, so only the exit status tells.
    from grader.course.assignment import load

    assignment = load("L1W3")
    graded = tmp_path / "autograded" / "alice" / "L1W3" / assignment.notebook
    graded.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("graded")]), str(graded))
    resources = {"nbgrader": {"student": "alice", "assignment": "L1W3", "db_url": "sqlite:///x.db"}}
    return step, resources, calls
