"""One source of truth for versions: the requirements files, constraints.txt and environment.yml.

environment.yml asks conda only for Python and pip and hands the rest to pip
(``-r requirements.txt -c constraints.txt``), so it installs whatever
conda-forge carries; every pin lives in the requirements files and agrees
with constraints.txt.
"""

import ast
import os
import re
import sys
from importlib.metadata import packages_distributions, version

import nbformat
import yaml

from grader_tests.helpers.pins import norm as _norm
from grader_tests.helpers.pins import read as _read

STUDENT = "requirements.txt"
INSTRUCTOR = "requirements-instructor.txt"
INSTRUCTOR_ONLY = {
    "dask",
    "distributed",
    "psycopg2-binary",
    "selenium",
    "latex2mathml",
    "pytest-xdist",
    "ruff",
}


def test_environment_yml_asks_conda_only_for_python_and_pip(root):
    with open(os.path.join(root, "environment.yml")) as f:
        env = yaml.safe_load(f)
    deps = env["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    pip = [d for d in deps if isinstance(d, dict)]
    # The Python version asked for is held to pyproject.toml's range by test_python_range.py.
    assert [re.match(r"[\w-]+", d).group() for d in conda] == ["python", "pip"]
    assert pip == [{"pip": ["-r requirements.txt", "-c constraints.txt"]}]
    # pip resolves these relative to environment.yml's folder: they must be there.
    for line in pip[0]["pip"]:
        assert os.path.isfile(os.path.join(root, line.split()[1])), line


def test_instructor_requirements_extend_the_students(root):
    student, student_includes = _read(root, STUDENT)
    instructor, includes = _read(root, INSTRUCTOR)
    assert student_includes == [] and includes == [STUDENT]
    assert set(instructor) == INSTRUCTOR_ONLY
    assert not INSTRUCTOR_ONLY & set(student)


def test_constraints_pin_every_requirement_at_the_same_version(root):
    constraints, _ = _read(root, "constraints.txt")
    for name in (STUDENT, INSTRUCTOR):
        pins, _ = _read(root, name)
        assert pins, name
        assert {n: constraints.get(n) for n in pins} == pins, name


def test_installed_versions_are_the_pinned_ones(root):
    constraints, _ = _read(root, "constraints.txt")
    wrong = {name: (pinned, version(name)) for name, pinned in constraints.items() if version(name) != pinned}
    assert wrong == {}


def _imports(source):
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_students_requirements_provide_every_import_of_the_release(root):
    release = os.path.join(root, "notebooks", "L1W3")
    modules = set()
    for name in os.listdir(release):
        path = os.path.join(release, name)
        if name.endswith(".py"):
            with open(path, encoding="utf-8") as f:
                modules |= _imports(f.read())
        elif name.endswith(".ipynb"):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type == "code":
                    # IPython magics are not Python; they import nothing.
                    code = "\n".join(l for l in cell.source.splitlines() if not l.startswith(("%", "!")))
                    modules |= _imports(code)
    local = {n[:-3] for n in os.listdir(release) if n.endswith(".py")}
    third_party = modules - local - set(sys.stdlib_module_names)
    assert {"numpy", "matplotlib", "sklearn"} <= third_party
    providers = packages_distributions()
    student, _ = _read(root, STUDENT)
    constraints, _ = _read(root, "constraints.txt")
    missing = [m for m in sorted(third_party) if not {_norm(d) for d in providers.get(m, [])} & set(student)]
    # A module may come from a dependency of a direct requirement (e.g. IPython
    # from ipykernel): still pinned, but named here so nothing is unpinned.
    unpinned = [m for m in missing if not {_norm(d) for d in providers.get(m, [])} & set(constraints)]
    assert unpinned == []
    assert set(missing) <= {"IPython"}, missing
