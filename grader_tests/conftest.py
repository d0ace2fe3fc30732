"""Shared fixtures of the grader and material tests."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, "utils", "L1W3"), os.path.dirname(os.path.abspath(__file__))):
    if path not in sys.path:
        sys.path.insert(0, path)


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
    import checks
    return checks.LESSON


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
    subprocess.run(run_as + [f"{bindir}/initdb", "-D", str(data), "-U", "grader", "--auth=trust",
                             "-E", "UTF8"], check=True, capture_output=True)
    port = "54329"
    subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", str(data), "-w", "-l", str(base / "log"),
                             "-o", f"-k {sock} -p {port} -c listen_addresses=''", "start"],
                   check=True, capture_output=True)
    counter = iter(range(10_000))

    def new_database():
        name = f"gradebook{next(counter)}"
        subprocess.run(run_as + [f"{bindir}/createdb", "-h", str(sock), "-p", port, "-U", "grader",
                                 name], check=True, capture_output=True)
        return f"postgresql+psycopg2://grader@/{name}?host={sock}&port={port}"

    try:
        yield new_database
    finally:
        subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty PostgreSQL database on the session's server."""
    return postgres_server()
