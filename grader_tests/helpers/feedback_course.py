"""What the tests of integration/test_feedback.py, long/test_feedback_paths.py share (constants, helpers, fixtures)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import types

import nbformat
import pytest
from bs4 import BeautifulSoup

from grader import ROOT
from grader.batch import runner
from grader.course import submissions
from grader.course.assignment import load
from grader.environment import tool_env
from grader.pages import feedback, report

ASSIGNMENT, NOTEBOOK_ID = "L1W3", "planar_classification"


# Text that only the hidden tests, the probes or the reference solutions contain.
HIDDEN_MARKERS = [
    "run_hidden_tests",
    "BEGIN HIDDEN TESTS",
    "grader.hidden",
    "__probe__",
    "918_273",
    "918273",
    "reference = {",
    "user_ns",
]


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


HOSTILE_MARKDOWN = """# 我的笔记 / my notes
<script>document.title='pwned-script'</script>
<img src="x" onerror="document.title='pwned-onerror'">
[click](javascript:document.title='pwned-link')
<a href="javascript:document.title='pwned-a'">a</a>
<svg><script>document.title='pwned-svg'</script><circle r="5"/></svg>
<svg onload="document.title='pwned-svgload'"></svg>
<iframe src="javascript:parent.document.title='pwned-iframe'"></iframe>
<iframe srcdoc="<script>parent.document.title='pwned-srcdoc'</script>"></iframe>
<object data="data:text/html,<script>parent.document.title='pwned-object'</script>"></object>
<meta http-equiv="refresh" content="0;url=javascript:document.title='pwned-meta'">
<style>body { background: url(http://example.invalid/track.png) }</style>
"""


DEEP_TREE = """import os
fd = os.open(".", os.O_RDONLY)
for _ in range(3000):
    os.mkdir("d", dir_fd=fd)
    below = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = below
os.close(fd)
"""


def _hostile_outputs():
    out = nbformat.v4.new_code_cell("show()")
    out.metadata["tags"] = ["ok", "x\" onmouseover=\"document.title='pwned-tag'"]
    out.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": "<script>window.__pwned='html'</script>"
                "<img src=x onerror=\"window.__pwned='html-img'\"><b>bold</b>"
            },
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": PNG},
            metadata={"image/png": {"width": "1 onload=document.title='pwned-onload'", "height": 1}},
        ),
        nbformat.v4.new_output(
            "display_data",
            data={
                "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'><script>document.title='pwned-svgout'"
                "</script></svg>"
            },
        ),
        nbformat.v4.new_output(
            "display_data", data={"application/javascript": "document.title='pwned-js'", "text/plain": "js"}
        ),
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": "<img src=x onerror=\"document.title='pwned-mdout'\">"}
        ),
    ]
    raw = nbformat.v4.new_raw_cell("<script>document.title='pwned-raw'</script>")
    raw.metadata["raw_mimetype"] = "text/html"
    return [nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN), out, raw]


def _make_student(autograded, db, student, change):
    """A copy of demo_solution's autograded submission, report and grades, changed by ``change``."""
    from nbgrader.api import Gradebook

    src = os.path.join(autograded, "demo_solution")
    dst = os.path.join(autograded, student)
    shutil.copytree(os.path.join(src, ASSIGNMENT), os.path.join(dst, ASSIGNMENT))
    nb_path = os.path.join(dst, ASSIGNMENT, NOTEBOOK_ID + ".ipynb")
    nb = nbformat.read(nb_path, as_version=4)
    change(nb)
    with open(nb_path, "w", encoding="utf-8") as f:
        json.dump(nb, f)  # not nbformat.write: it would validate away what the test needs
    with open(os.path.join(src, f"grading_report_{ASSIGNMENT}.json"), encoding="utf-8") as f:
        rep = json.load(f)
    rep["student"] = student
    with open(os.path.join(dst, f"grading_report_{ASSIGNMENT}.json"), "w", encoding="utf-8") as f:
        json.dump(rep, f)
    with Gradebook(db) as gb:
        scores = {
            g.name: g.auto_score
            for g in gb.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT, "demo_solution").grades
        }
        gb.update_or_create_student(student)
        gb.add_submission(ASSIGNMENT, student)
        for name, score in scores.items():
            gb.find_grade(name, NOTEBOOK_ID, ASSIGNMENT, student).auto_score = score
        gb.db.commit()


def _bad_language(nb):
    nb.metadata["language_info"] = {"name": 5}


HOSTILE = {
    "hostile_html": lambda nb: nb.cells.extend(_hostile_outputs()),
    "bad_language_info": _bad_language,
    "deep_tree": lambda nb: nb.cells.append(nbformat.v4.new_code_cell(DEEP_TREE)),
    "kernel_dies": lambda nb: nb.cells.append(nbformat.v4.new_code_cell("import os\nos._exit(3)")),
}


# Formgrader's "Generate Feedback" button: NbGraderAPI.generate_feedback, in a server started
# elsewhere, with no PYTHONPATH.
FORMGRADER = """
import json, os, sys
from nbgrader.apps.baseapp import NbGrader
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
root, autograded, feedback, db, student = sys.argv[1:]
os.chdir(root)
app = NbGrader()
app.load_config_file()
coursedir = CourseDirectory(parent=app)
coursedir.autograded_directory, coursedir.feedback_directory, coursedir.db_url = autograded, feedback, db
os.chdir("/")
result = NbGraderAPI(coursedir, parent=app).generate_feedback("L1W3", student)
print(json.dumps({"success": result["success"], "log": result.get("log", "")[-2000:]}))
"""


def _page(c, student):
    return os.path.join(c.feedback, student, ASSIGNMENT, NOTEBOOK_ID + ".html")


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback")
    c = types.SimpleNamespace(
        tmp=tmp,
        submitted=str(tmp / "submitted"),
        autograded=str(tmp / "autograded"),
        feedback=str(tmp / "feedback"),
        db=f"sqlite:///{tmp / 'gradebook.db'}",
    )
    submissions.demo(load(ASSIGNMENT), c.submitted)
    runner.run(c.submitted, c.autograded, c.db, ASSIGNMENT, quiet=True)
    for student, change in HOSTILE.items():
        _make_student(c.autograded, c.db, student, change)
    # A temporary folder of its own (outside the course, like /tmp): what other test runs on the
    # machine leave in /tmp is not this run's leftover.
    private_tmp = tempfile.mkdtemp(prefix="feedback-test-")
    try:
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "grader",
                "feedback",
                ASSIGNMENT,
                "--autograded",
                c.autograded,
                "--feedback",
                c.feedback,
                "--db",
                c.db,
            ],
            cwd=ROOT,
            env=tool_env(TMPDIR=private_tmp),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        c.leftover = sorted(os.listdir(private_tmp))
    finally:
        shutil.rmtree(private_tmp, ignore_errors=True)
    c.cli = cli
    c.first = {s: _read(_page(c, s)) for s in os.listdir(c.feedback)}
    c.class_report = report.write(c.db, c.autograded, str(tmp / "reports"), load(ASSIGNMENT))
    return c


def _summary_text(page):
    soup = BeautifulSoup(page, "html.parser")
    return soup.find(id=feedback.SUMMARY_ID).get_text(" ", strip=True)
