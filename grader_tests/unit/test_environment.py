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
import pytest
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


FIRST_FORK = """
import os, sys
from grader.batch import runner
def child(*args):
    with open(sys.argv[1], "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
    os._exit(0)
runner._serve = child
from grader.cli import main
main(["grade", "L1W3", "--submitted", sys.argv[2], "--autograded", sys.argv[3], "--db", sys.argv[4], "--quiet"])
"""


def test_a_grading_run_forks_its_first_worker_before_importing_nbgrader(tmp_path):
    """The gradebook's imports (nbgrader, sqlalchemy) and nbgrader's server extensions, nbconvert's
    exporters and tornado cost every run about a second before any submission was graded."""
    import subprocess
    import sys

    from grader import ROOT
    from grader.course import submissions
    from grader.course.assignment import load

    assignment = load("L1W3")
    submissions.write(submissions.fill(assignment), "alice", str(tmp_path / "s"), assignment)
    out = tmp_path / "modules"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            FIRST_FORK,
            str(out),
            str(tmp_path / "s"),
            str(tmp_path / "a"),
            f"sqlite:///{tmp_path}/gb.db",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = set(out.read_text().split())
    assert "grader.pipeline.grade" in modules, run.stderr
    heavy = {
        "nbgrader.api",
        "nbgrader.server_extensions",
        "nbgrader.converters",
        "nbconvert",
        "sqlalchemy",
        "tornado",
    }
    assert not heavy & modules, sorted(heavy & modules)
    assert (tmp_path / "gb.db").exists()  # the gradebook was opened all the same, meanwhile


def test_nbgrader_imports_without_its_server_extensions_in_the_command_line():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from grader import environment\n"
        "assert environment.nbgrader_without_server_extensions()\n"
        "assert not environment.nbgrader_without_server_extensions()  # once only\n"
        "import nbgrader.api, nbgrader.preprocessors\n"
        "from nbgrader._version import __version__\n"
        "assert nbgrader.__version__ == __version__\n"
        "print(sorted(m for m in sys.modules if m.startswith('nbgrader.server_extensions')))\n"
    )
    from grader import ROOT

    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_the_gradebook_imports_without_setuptools_and_requests_until_they_are_used(tmp_path):
    import subprocess
    import sys
    import zipfile

    archive = tmp_path / "a.zip"
    (tmp_path / "out").mkdir()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("inside.txt", "unpacked")
    code = (
        "import sys\n"
        "from grader import environment\n"
        "assert environment.defer_unused_gradebook_imports() == ['setuptools.archive_util', 'requests']\n"
        "assert environment.defer_unused_gradebook_imports() == []  # once only\n"
        "import nbgrader.api\n"
        "print(sorted(m for m in ('setuptools', 'pkg_resources', 'requests.api') if m in sys.modules))\n"
        "from nbgrader.utils import unzip\n"
        f"unzip({str(archive)!r}, {str(tmp_path / 'out')!r})\n"  # nbgrader's own use, for real
        "import nbgrader.auth.jupyterhub as hub\n"
        "assert hub.requests.request is sys.modules['requests'].request  # the real one, once used\n"
        "print(sorted(m for m in ('setuptools', 'requests.api') if m in sys.modules))\n"
    )
    from grader import ROOT

    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == ["[]", "['requests.api', 'setuptools']"]
    assert (tmp_path / "out" / "inside.txt").read_text() == "unpacked"


def test_the_command_line_imports_no_format_checker_nbformat_does_not_use():
    import subprocess
    import sys

    from grader import ROOT

    code = (
        "import sys\n"
        "from grader import environment\n"
        "skip = sys.argv[1] == 'skip'\n"
        "if skip:\n"
        "    assert environment.skip_unused_format_checkers() == list(environment.FORMAT_CHECKER_MODULES)\n"
        "    assert environment.skip_unused_format_checkers() == []  # once only\n"
        "import nbformat\n"
        "print(sorted(m for m in environment.FORMAT_CHECKER_MODULES if sys.modules.get(m) is not None))\n"
        "nb = nbformat.read('notebooks/L1W3/planar_classification.ipynb', 4)\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['cell_type'] = 'nonsense'\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('still validated')\n"
    )
    found = {}
    for mode in ("full", "skip"):
        run = subprocess.run(
            [sys.executable, "-c", code, mode], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr
        found[mode] = run.stdout.split("\n")[:2]
    from grader import environment

    # Without the skip, jsonschema imports each of them: the skip saves real imports.
    assert found["full"] == [str(sorted(environment.FORMAT_CHECKER_MODULES)), "still validated"]
    assert found["skip"] == ["[]", "still validated"]


BLAS_THREADS = (
    "import os, sys\n"
    "from grader import environment\n"
    "print(environment.single_threaded_blas())\n"
    "import numpy\n"
    "numpy.ones((400, 400)) @ numpy.ones((400, 400))\n"
    "assert environment.single_threaded_blas() == []  # numpy imported: too late, nothing set\n"
    "print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'])\n"
)


def test_the_command_line_runs_numpy_with_one_blas_thread_unless_told_otherwise():
    """A second OpenBLAS thread spins after every small product (0.1 s of CPU per grading run)."""
    import subprocess
    import sys

    from grader import ROOT
    from grader.environment import BLAS_THREAD_VARIABLES

    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}
    run = subprocess.run(
        [sys.executable, "-c", BLAS_THREADS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == [str(list(BLAS_THREAD_VARIABLES)), "1 1"]
    run = subprocess.run(
        [sys.executable, "-c", BLAS_THREADS],
        cwd=ROOT,
        env=dict(env, OPENBLAS_NUM_THREADS="2"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == [str(list(BLAS_THREAD_VARIABLES[1:])), "2 2"]  # the caller's


EXIT_AT_ONCE = (
    "import atexit, sys\n"
    "from grader import environment\n"
    "class Torn:\n"
    "    def __del__(self):\n"
    "        sys.stdout.write(' torn down')\n"
    "left = Torn()\n"
    "atexit.register(lambda: sys.stdout.write(' atexit'))\n"
    "sys.stdout.write('unflushed')\n"
    "environment.exit_at_once(eval(sys.argv[1]))\n"
    "sys.stdout.write(' after')\n"
)


@pytest.mark.parametrize(
    "code, status, stderr",
    [("3", 3, ""), ("None", 0, ""), ("0", 0, ""), ("'refused'", 1, "refused\n")],
)
def test_a_grading_command_ends_at_once_after_its_atexit_handlers_and_its_output(code, status, stderr):
    """``python -m grader grade`` skips the interpreter's teardown (0.1 s), and loses nothing it wrote."""
    import subprocess
    import sys

    from grader import ROOT

    run = subprocess.run(
        [sys.executable, "-c", EXIT_AT_ONCE, code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert (run.returncode, run.stdout, run.stderr) == (status, "unflushed atexit", stderr)


def test_only_the_grade_command_of_the_program_ends_at_once(monkeypatch):
    from grader import cli, environment

    ended = []
    monkeypatch.setattr(environment, "exit_at_once", ended.append)
    import dataclasses

    for name, status in (("grade", 7), ("validate", 5)):
        stand_in = dataclasses.replace(cli.COMMANDS[name], run=lambda args, status=status: status)
        monkeypatch.setitem(cli.COMMANDS, name, stand_in)
    assert cli.main(["grade", "L1W3"]) == 7 and ended == []  # called in-process: returns
    assert cli.main(["validate", "x.ipynb"], program=True) == 5 and ended == []
    cli.main(["grade", "L1W3"], program=True)
    assert ended == [7]


def test_only_the_grade_command_asks_for_one_blas_thread(monkeypatch):
    from grader import cli, environment

    asked = []
    monkeypatch.setattr(environment, "single_threaded_blas", lambda: asked.append(True))
    import dataclasses

    for name in ("grade", "validate"):
        monkeypatch.setitem(cli.COMMANDS, name, dataclasses.replace(cli.COMMANDS[name], run=lambda args: 0))
    cli.main(["validate", "x.ipynb"])
    assert asked == []
    cli.main(["grade", "L1W3"])
    assert asked == [True]


EARLY_ZYGOTE = """
import sys
from grader.sandbox import zygote
seen = []
start = zygote.Zygote.__init__
def init(self, *args, **kwargs):
    seen.append("numpy" in sys.modules)
    start(self, *args, **kwargs)
zygote.Zygote.__init__ = init
from grader.cli import main
main(["grade", "L1W3", "--submitted", sys.argv[1], "--autograded", sys.argv[2], "--db", sys.argv[3], "--quiet"])
print(seen)
"""


def test_a_grading_run_starts_its_zygote_before_importing_numpy(tmp_path):
    """The zygote boots (0.2 s) beside the run's own start-up: nothing the run imports first holds it up."""
    import subprocess
    import sys

    from grader import ROOT
    from grader.course import submissions
    from grader.course.assignment import load
    from grader.sandbox import launch

    assignment = load("L1W3")
    submissions.write(submissions.fill(assignment), "alice", str(tmp_path / "s"), assignment)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            EARLY_ZYGOTE,
            str(tmp_path / "s"),
            str(tmp_path / "a"),
            f"sqlite:///{tmp_path}/gb.db",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    seen = run.stdout.strip().splitlines()[-1]
    assert seen == ("[False]" if launch.warm_kernels() else "[]")
