"""The docs name only what exists: every ``grader.…`` name imports, every path of the course is there.

README.md and docs/*.md are read as a newcomer reads them: a dotted name that
starts with ``grader.`` must resolve (a module, or an attribute of one), and a
path of the repository (``grader/…``, ``grader_tests/…``, ``grading/…``,
``source/…``, ``utils/…``, ``scripts/…``, ``bench/…``, ``docs/…``) must exist.
"""

import glob
import importlib
import os
import re

import pytest

from grader import ROOT

DOCS = ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
DOTTED = re.compile(r"(?<![\w./-])grader(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
PATH = re.compile(
    r"(?<![\w./-])((?:grader|grader_tests|grading|source|utils|scripts|bench|docs)/"
    r"[A-Za-z0-9_./<>*-]*[A-Za-z0-9_*>])"
)


def _text(doc):
    with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
        return f.read()


def resolves(dotted):
    """Whether ``dotted`` is an importable module or an attribute (chain) of one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return False
        return True
    return False


def names(doc):
    return sorted({m.group(0).rstrip(".") for m in DOTTED.finditer(_text(doc))})


def paths(doc):
    found = set()
    for m in PATH.finditer(_text(doc)):
        path = m.group(1).rstrip(".")
        if "<" in path or "*" in path:  # a pattern (grading/<id>/spec.py): check its fixed folder
            path = path[: path.rfind("/", 0, re.search(r"[<*]", path).start())]
        if path:
            found.add(path)
    return sorted(found)


@pytest.mark.parametrize("doc", DOCS)
def test_every_grader_name_in_the_docs_imports(doc):
    missing = [n for n in names(doc) if not resolves(n)]
    assert not missing, f"{doc} names what does not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_course_path_in_the_docs_exists(doc):
    missing = [p for p in paths(doc) if not os.path.exists(os.path.join(ROOT, p))]
    assert not missing, f"{doc} names paths that do not exist: {missing}"


def test_the_checks_find_what_is_wrong():
    assert resolves("grader.pipeline.judge.Verdict") and resolves("grader.limits")
    assert not resolves("grader.course.assignment.Helpers") and not resolves("grader.nowhere.Thing")
    assert "grader/pipeline/grade.py" in paths("docs/architecture.md")
    assert all(not p.endswith(".") for doc in DOCS for p in paths(doc))
    assert "grader_tests/material" in paths("docs/adding-an-assignment.md")  # from material/test_<id>.py


def test_the_grading_steps_are_listed_once_and_name_real_functions():
    from grader.pipeline import grade

    steps = re.findall(r"^\d\. :func:`~?([\w.]+)`", grade.__doc__, flags=re.M)
    assert len(steps) == 6
    qualified = [s if "." in s else f"grader.pipeline.grade.{s}" for s in steps]
    assert all(resolves(name) for name in qualified), qualified
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as f:
        architecture = f.read()
    # The architecture page points at the list instead of keeping a copy of it.
    assert "docstring of `grader/pipeline/grade.py`" in architecture
    assert not re.search(r"^\d\. `(read|normalize|run_cells|probe)`", architecture, flags=re.M)
