"""Shared fixtures of the grader and material tests, and the tiers given by the folders.

A test's tier is the folder it lives in, never a marker written in the file:

- ``unit/``: fast, no kernel, no notebook execution, no server (``make check``);
- ``integration/``: real sandboxed kernels and grading runs on a few notebooks;
- ``material/``: the course material itself (notebooks, helpers, self-checks, catalogs);
- ``long/``: adversarial, mutation, real servers and browser, exchange, robustness.

``make test`` runs the first three, ``make test-long`` the last.  Every test outside
``unit/`` is marked ``slow`` and every test in ``long/`` ``long`` here, so ``-m`` selections
keep working; a file that marks its own tests ``slow`` or ``long`` is refused.
"""

import os
import pathlib
import sys

import pytest

from grader import ROOT, environment

# Importing grader changes no global state: the test processes make the entry points' set-up.
environment.prepare()

TIERS = {"unit": (), "integration": ("slow",), "material": ("slow",), "long": ("slow", "long")}
HERE = pathlib.Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        path = pathlib.Path(str(item.path))
        try:
            tier = path.relative_to(HERE).parts[0]
        except ValueError:  # nbval's notebooks, outside grader_tests/
            continue
        if tier not in TIERS:
            raise pytest.UsageError(f"{path}: a test belongs in one of {', '.join(TIERS)}/ (its tier)")
        own = {m.name for m in item.iter_markers() if m.name in ("slow", "long")}
        if own:
            raise pytest.UsageError(
                f"{item.nodeid}: marks itself {', '.join(sorted(own))}; its folder ({tier}/) gives its tier"
            )
        for name in TIERS[tier]:
            item.add_marker(name)


@pytest.fixture(scope="session", autouse=True)
def private_course():
    """This checkout's course made private, as the make targets that grade make it.

    The grader refuses to grade while other users can read the course's private
    files (grader/course/privacy.py), and a fresh clone has them 0755/0644: the
    suite grades the checkout's own sources and specs, so it secures them first,
    as `make test` does.  Course copies under pytest's basetemp (0700) are
    private already.
    """
    from grader.course import privacy

    privacy.secure(ROOT)


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def reference():
    """The reference implementations, from the source notebook's solution cells."""
    from grader.course.assignment import load

    return load("L1W3").reference


@pytest.fixture(scope="session")
def l1w3():
    """The course's first assignment (``grader.course.assignment.Assignment``)."""
    from grader.course.assignment import load

    return load("L1W3")


@pytest.fixture(scope="session")
def lesson():
    """What the lesson prints, as kept by the public checks."""
    from grader_tests.helpers.course import checks

    return checks.LESSON


@pytest.fixture
def notebook_folder(monkeypatch):
    """Run cells in-process as a kernel started in a notebook's folder runs them.

    ``notebook_folder(path)`` makes ``path`` the working directory and first on
    ``sys.path`` (as Jupyter does for a kernel), so the cells' ``from planar_utils
    import *`` finds the folder's helpers; afterwards both, and the helper modules
    the cells imported, are as they were.
    """
    before, folders = set(sys.modules), []

    def enter(path):
        folders.append(os.path.abspath(path))
        monkeypatch.chdir(path)
        monkeypatch.syspath_prepend(str(path))

    yield enter
    for name in set(sys.modules) - before:
        where = os.path.dirname(os.path.abspath(getattr(sys.modules[name], "__file__", None) or "/"))
        if where in folders:
            del sys.modules[name]


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for this test session (Debian's postgresql package).

    Started from scratch in a temporary folder, listening on a Unix socket
    only, and stopped at the end; ``scripts/system-deps.sh`` installs the
    package when it is missing.  Yields a function that creates a new,
    empty database and returns its URL.
    """
    import glob
    import pwd
    import shutil
    import subprocess

    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert bins, "PostgreSQL is not installed: run scripts/system-deps.sh (make test does)"
    bindir = os.path.dirname(bins[-1])
    import pathlib
    import tempfile

    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    base = pathlib.Path(tempfile.mkdtemp(prefix="grader-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    run_as = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = pwd.getpwnam("postgres")
        for path in (base, sock):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(base, 0o755)
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        run_as + [f"{bindir}/initdb", "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    port = "54329"
    subprocess.run(
        run_as
        + [
            f"{bindir}/pg_ctl",
            "-D",
            str(data),
            "-w",
            "-l",
            str(base / "log"),
            "-o",
            f"-k {sock} -p {port} -c listen_addresses=''",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    counter = iter(range(10_000))

    def new_database():
        name = f"gradebook{next(counter)}"
        subprocess.run(
            run_as + [f"{bindir}/createdb", "-h", str(sock), "-p", port, "-U", "grader", name],
            check=True,
            capture_output=True,
        )
        return f"postgresql+psycopg2://grader@/{name}?host={sock}&port={port}"

    try:
        yield new_database
    finally:
        subprocess.run(
            run_as + [f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty PostgreSQL database on the session's server."""
    return postgres_server()
