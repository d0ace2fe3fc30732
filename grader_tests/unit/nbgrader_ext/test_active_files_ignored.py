"""A submission's files that a browser would run as a page never reach autograded/ (formgrader serves it raw)."""

import pathlib

import pytest
from nbgrader.utils import find_all_files

from grader import config

ACTIVE = ["evil.html", "E.HTM", "page.XHTML", "x.svg", "y.SvG", "z.xml", "t.xsl", "a.mhtml", "sub/deep.html"]
PLAIN = ["helper.py", "data.csv", "notes.txt", "image.png", "html_notes.md", "svg.py"]


@pytest.fixture(scope="module")
def ignore():
    return list(config.load().CourseDirectory.ignore)


def test_nbgrader_copies_no_active_file_of_a_submission(tmp_path, ignore):
    for name in ACTIVE + PLAIN:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("<script>top.pwned = 1</script>")
    # What nbgrader autograde copies into autograded/: every file but the ignored and the notebooks.
    copied = {
        str(p.relative_to(tmp_path))
        for p in map(pathlib.Path, find_all_files(str(tmp_path), ignore + ["*.ipynb"]))
    }
    assert copied == set(PLAIN)


def test_nbgrader_still_ignores_its_own_defaults(ignore):
    assert {".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"} <= set(ignore)
