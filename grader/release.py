"""Generate the student release (``notebooks/L1W3``) from ``source/L1W3``.

``nbgrader generate_assignment`` strips the solutions and hidden tests and
copies the helper modules (``source/L1W3/*.py`` are symlinks into
``utils/``); this module then marks each copied helper as generated in its
first lines.  ``--check`` builds the release in a temporary folder and fails
when it differs from the committed one.
"""
import filecmp
import os
import subprocess
import sys
import tempfile

from grader import ASSIGNMENT, RELEASE_DIR, ROOT, SOURCE_DIR, tool_env


def _header(name):
    return (f"# GENERATED FILE: do not edit. `make release` copied it from utils/{name};\n"
            f"# edit utils/{name} and run `make release` instead.\n")


def generate(release_root=None, db_url=None):
    """Run nbgrader generate_assignment into ``release_root`` (default ``notebooks``)."""
    cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
           "--force", "--log-level=WARN"]
    if release_root:
        cmd.append(f"--CourseDirectory.release_directory={release_root}")
    if db_url:
        cmd.append(f"--CourseDirectory.db_url={db_url}")
    subprocess.run(cmd, cwd=ROOT, check=True, env=tool_env())
    target = os.path.join(release_root or os.path.join(ROOT, "notebooks"), ASSIGNMENT)
    for name in sorted(os.listdir(SOURCE_DIR)):
        if name.endswith(".py"):
            path = os.path.join(target, name)
            with open(path, encoding="utf-8") as f:
                body = f.read()
            with open(path, "w", encoding="utf-8") as f:
                f.write(_header(name) + body)
    return target


def release():
    """Regenerate ``notebooks/`` (a throwaway gradebook: releasing never touches grades)."""
    with tempfile.TemporaryDirectory() as tmp:
        return generate(os.path.join(ROOT, "notebooks"), "sqlite:///" + os.path.join(tmp, "gb.db"))


def register(db_url):
    """Record the assignment and its graded cells in the gradebook at ``db_url``.

    This is ``nbgrader generate_assignment`` into a throwaway folder; nbgrader
    refuses (and this raises) if graded submissions exist and the source
    notebook's graded cells have since been added or removed.
    """
    with tempfile.TemporaryDirectory() as tmp:
        generate(os.path.join(tmp, "release"), db_url)


def check():
    """Return a list of files that differ between a fresh release and ``notebooks/``."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(os.path.join(tmp, "release"), "sqlite:///" + os.path.join(tmp, "gb.db"))
        return _diff(fresh, RELEASE_DIR)


def _diff(a, b, prefix=""):
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__", ".ipynb_checkpoints"])
    stale = [prefix + n for n in cmp.left_only + cmp.right_only + cmp.funny_files]
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    stale += [prefix + n for n in mismatch + errors]
    for sub in cmp.common_dirs:
        stale += _diff(os.path.join(a, sub), os.path.join(b, sub), prefix + sub + "/")
    return stale
