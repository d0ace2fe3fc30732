"""Feedback pages and the class report written by ``python -m grader feedback`` and ``report``.

One graded course (the three demo submissions, graded by the real pipeline)
plus hand-made students built from the correct submission's autograded
notebook: hostile HTML of every kind, broken ``language_info`` metadata, a
notebook whose export fails.  The pages keep their summary, hold no hidden
test, no live markup and no TeX left untypeset; the class report explains
every lost point once."""

import os
import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from grader.course import submissions
from grader.course.assignment import load
from grader_tests.helpers.feedback_course import (
    ASSIGNMENT,
    HIDDEN_MARKERS,
    HOSTILE,
    NOTEBOOK_ID,
    _read,
    _summary_text,
    course,  # noqa: F401 (fixtures, used by name)
)


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
