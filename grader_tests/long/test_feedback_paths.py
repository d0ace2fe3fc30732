"""Feedback pages and the class report, by every path, in a real browser.

One graded course (the three demo submissions, graded by the real pipeline)
plus hand-made students built from the correct submission's autograded
notebook: hostile HTML of every kind, broken ``language_info`` metadata, a
model run that builds a 3,000-level directory tree, and a kernel that dies.
Pages are written by ``python -m grader feedback``, by ``nbgrader
generate_feedback`` with and without ``--force`` after a manual grade, and by
formgrader's API call; all must be the course's page, the same bytes.
"""

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

from grader import ROOT, tool_env
from grader.batch import runner
from grader.course import submissions
from grader.course.assignment import load
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


def _nbgrader_feedback(c, *extra, student=None):
    argv = [
        sys.executable,
        "-m",
        "nbgrader",
        "generate_feedback",
        ASSIGNMENT,
        *extra,
        "--log-level=WARN",
        f"--CourseDirectory.autograded_directory={c.autograded}",
        f"--CourseDirectory.feedback_directory={c.feedback}",
        f"--CourseDirectory.db_url={c.db}",
    ]
    if student:
        argv.append(f"--student={student}")
    return subprocess.run(argv, cwd=ROOT, env=tool_env(), capture_output=True, text=True, timeout=900)


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


@pytest.fixture(scope="module")
def manual(course):
    """A manual grade after the pages exist, then every path writes the page again."""
    from nbgrader.api import Gradebook

    c = course
    with Gradebook(c.db) as gb:
        gb.find_grade(
            "func_backward_propagation_values", NOTEBOOK_ID, ASSIGNMENT, "demo_wrong_tanh_derivative"
        ).manual_score = 3.0
        gb.db.commit()
    student = "demo_wrong_tanh_derivative"
    pages = {}
    plain = _nbgrader_feedback(c, student=student)
    assert plain.returncode == 0, plain.stderr[-3000:]
    pages["nbgrader generate_feedback"] = _read(_page(c, student))
    forced = _nbgrader_feedback(c, "--force", student=student)
    assert forced.returncode == 0, forced.stderr[-3000:]
    pages["nbgrader generate_feedback --force"] = _read(_page(c, student))
    env = {k: v for k, v in tool_env().items() if k != "PYTHONPATH"}
    button = subprocess.run(
        [sys.executable, "-c", FORMGRADER, ROOT, c.autograded, c.feedback, c.db, student],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert button.returncode == 0, button.stderr[-3000:]
    assert json.loads(button.stdout.strip().splitlines()[-1])["success"], button.stdout[-3000:]
    pages["formgrader"] = _read(_page(c, student))
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
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    pages["python -m grader feedback"] = _read(_page(c, student))
    return pages


def _summary_text(page):
    soup = BeautifulSoup(page, "html.parser")
    return soup.find(id=feedback.SUMMARY_ID).get_text(" ", strip=True)


def test_manual_grade_is_shown_by_every_path_and_no_stale_page_survives(course, manual):
    for path, page in manual.items():
        text = _summary_text(page)
        assert "— 18 / 20" in text, path
        assert "3 / 5 人工评分 / graded by hand 自动评分 / autograded: 0" in text, path
    assert len(set(manual.values())) == 1, "the paths wrote different pages"


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def _open(driver, path, width, shot):
    driver.set_window_size(width, 1000)
    driver.get("file://" + os.path.abspath(path))
    driver.execute_script("return document.readyState")
    state = driver.execute_script("""
        const imgs = Array.from(document.images).filter(i => i.hasAttribute('src'))
                          .map(i => [i.alt || i.src.slice(0, 40), i.complete, i.naturalWidth]);
        const maths = Array.from(document.querySelectorAll('math'));
        return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth, images: imgs,
                requests: performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:')),
                math: maths.length, mathWidth: maths.filter(m => m.getBoundingClientRect().width > 0).length,
                mathml: maths.length ? getComputedStyle(maths[0]).display : null,
                title: document.title, pwned: window.__pwned === undefined ? null : String(window.__pwned),
                text: document.body.innerText};""")
    driver.save_screenshot(shot)
    return state


@pytest.mark.parametrize("width", [1280, 400])
@pytest.mark.parametrize("student", ["demo_wrong_tanh_derivative", "demo_untouched", "hostile_html"])
def test_feedback_page_in_a_browser(course, browser, student, width, tmp_path):
    shot = str(tmp_path / f"{student}-{width}.png")
    state = _open(browser, _page(course, student), width, shot)
    assert os.path.getsize(shot) > 10_000
    assert state["scroll"] <= state["inner"], f"scrolls sideways at {width} px: {state['scroll']}"
    assert state["images"] and all(ok and w > 0 for _, ok, w in state["images"]), state["images"]
    assert state["requests"] == []
    assert state["math"] >= 10 and state["mathWidth"] == state["math"]
    assert not state["title"].startswith("pwned") and state["pwned"] is None, (state["title"], state["pwned"])
    assert "Grading summary" in state["text"] and "评分摘要" in state["text"]
    for marker in HIDDEN_MARKERS:
        assert marker not in state["text"]


@pytest.mark.parametrize("width", [1280, 400])
def test_class_report_in_a_browser(course, browser, width, tmp_path):
    shot = str(tmp_path / f"report-{width}.png")
    state = _open(browser, course.class_report, width, shot)
    assert os.path.getsize(shot) > 10_000
    assert state["scroll"] <= state["inner"], f"scrolls sideways at {width} px: {state['scroll']}"
    assert len(state["images"]) == 3 and all(ok and w > 0 for _, ok, w in state["images"]), state["images"]
    assert state["requests"] == []
    assert "Class report: L1W3" in state["text"] and "7 名学生 / students" in state["text"]
