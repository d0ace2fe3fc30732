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
import re
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


def _reference_lines():
    lines = []
    for source in load(ASSIGNMENT).solution_sources.values():
        inside = False
        for line in source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            elif inside and line.strip() and not line.strip().startswith("#"):
                lines.append(line.strip())
    return lines


def test_cli_writes_every_page_and_exits_0(course):
    assert course.cli.returncode == 0, course.cli.stderr[-3000:]
    assert sorted(course.first) == sorted(list(submissions.demo_students(load(ASSIGNMENT))) + list(HOSTILE))
    for student, page in course.first.items():
        assert _summary_text(page).startswith(f"评分摘要 / Grading summary: {student}"), student


def test_summary_scores_and_reasons(course):
    solution = _summary_text(course.first["demo_solution"])
    assert "Grading summary: demo_solution — 20 / 20" in solution
    assert "your model's training accuracy: 91.25 % (参考 / reference: 91.25 %)" in solution
    buggy = _summary_text(course.first["demo_wrong_tanh_derivative"])
    assert "— 15 / 20" in buggy and "graded by hand" not in buggy
    # The failing cases and why, from the report's typed failures.
    assert "lesson test case grads['dW1'] 的数值不对 / grads['dW1'] has wrong values" in buggy
    untouched = _summary_text(course.first["demo_untouched"])
    assert "— 0 / 20" in untouched and "调用出错 / raised NotImplementedError" in untouched
    assert "the model raised NotImplementedError" in untouched


def test_a_broken_notebook_still_gets_its_page(course):
    lang = course.first["bad_language_info"]
    text = _summary_text(lang)
    assert "— 20 / 20" in text and "language_info" in text
    assert "func_layer_sizes" in BeautifulSoup(lang, "html.parser").find(id="notebook").get_text()
    dies = _summary_text(course.first["kernel_dies"])
    assert "— 20 / 20" in dies and "模型无法运行 / the model did not run" in dies
    deep = _summary_text(course.first["deep_tree"])
    assert "your model's training accuracy: 91.25 %" in deep
    assert course.leftover == [], "working directories left behind"


def test_feedback_page_falls_back_to_the_summary_when_the_export_fails(monkeypatch, course):
    from nbconvert.exporters import HTMLExporter

    from grader.nbgrader_ext.feedback import FeedbackPage

    def broken(self, nb, resources=None, **kw):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(HTMLExporter, "from_notebook_node", broken)
    nb = nbformat.read(
        os.path.join(course.autograded, "demo_solution", ASSIGNMENT, NOTEBOOK_ID + ".ipynb"), 4
    )
    resources = {
        "nbgrader": {
            "student": "demo_solution",
            "assignment": ASSIGNMENT,
            "notebook": NOTEBOOK_ID,
            "db_url": course.db,
        },
        "metadata": {"path": os.path.join(course.autograded, "demo_solution", ASSIGNMENT)},
    }
    page, _ = FeedbackPage().from_notebook_node(nb, resources)
    text = BeautifulSoup(page, "html.parser").get_text(" ", strip=True)
    assert "Grading summary: demo_solution — 20 / 20" in text
    assert "your notebook could not be shown, only the grading summary (RuntimeError)" in text


def test_hostile_html_is_inert_in_the_static_page(course):
    page = course.first["hostile_html"]
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find_all(["script", "iframe", "object", "embed", "frame", "form", "base"]) == []
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), (tag.name, attr)
            if attr in ("href", "src", "xlink:href", "action", "data", "srcdoc"):
                assert not re.match(r"\s*(javascript|vbscript|data:text)", str(value), re.I), (
                    tag.name,
                    value,
                )
    assert not soup.find_all("meta", attrs={"http-equiv": re.compile("refresh", re.I)})
    assert "example.invalid" not in page
    assert soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"}) is soup.head.find("meta")
    assert "bold" in soup.get_text()  # harmless HTML is kept


@pytest.mark.parametrize("student", ["demo_untouched", "demo_wrong_tanh_derivative", "demo_solution"])
def test_feedback_holds_no_hidden_test(course, student):
    page = course.first[student]
    for marker in HIDDEN_MARKERS:
        assert marker not in page, marker
    if student == "demo_untouched":  # this student wrote no code: no solution line may appear
        with open(load(ASSIGNMENT).release_notebook, encoding="utf-8") as f:
            public = f.read()  # a line that the release also holds (e.g. "n_h = 4" in a title) is no leak
        assert [line for line in _reference_lines() if line in page and line not in public] == []


def test_math_is_mathml_and_no_tex_is_left(course):
    soup = BeautifulSoup(course.first["demo_solution"], "html.parser")
    assert len(soup.find_all("math")) >= 10
    assert soup.find_all("code", class_="tex-raw") == []
    for tag in soup.find_all(["math", "pre", "code", "style"]):
        tag.decompose()
    text = soup.get_text()
    assert not re.search(r"\\(frac|sum|tanh|partial|sigma)\b|\$\$", text), re.findall(
        r".{30}\\frac.{30}", text
    )


def test_class_report(course):
    # The exact reason words are unit-tested (test_report.py); here: every lost point is explained
    # once per student, and a full mark (also a manual one) has no reason.
    soup = BeautifulSoup(_read(course.class_report), "html.parser")
    rows = {
        tr.find("code").get_text(): [td.get_text(" ") for td in tr.find_all("td")]
        for tr in soup.find_all("tr")
        if tr.find("code")
    }
    counts = {e: [int(n) for n in re.findall(r"\((\d+)\)", row[2])] for e, row in rows.items()}
    assert rows["func_backward_propagation"][1] == "5/7"  # untouched, wrong tanh' (manual grade comes later)
    assert sum(counts["func_backward_propagation"]) >= 2 and max(counts["func_backward_propagation"]) <= 2
    assert rows["func_layer_sizes"][1] == "6/7" and set(counts["func_layer_sizes"]) == {1}
    assert "7 名学生 / students" in soup.get_text()
