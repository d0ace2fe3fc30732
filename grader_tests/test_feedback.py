"""Feedback pages and the class report: right content, no hidden tests, and they render in a browser."""
import csv
import glob
import os
import re

import pytest

from grader import feedback, report, runner, submissions
from grader.reference import solution_sources

pytestmark = pytest.mark.slow

# Text that only the hidden tests, the probes or the reference solutions contain.
HIDDEN_MARKERS = ["run_hidden_tests", "BEGIN HIDDEN TESTS", "grader.hidden", "__probe__", "918_273",
                  "918273", "reference = {", "user_ns"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback")
    submitted, autograded = str(tmp / "submitted"), str(tmp / "autograded")
    submissions.demo(submitted)
    db = f"sqlite:///{tmp / 'gradebook.db'}"
    runner.run(submitted, autograded, db, quiet=True)
    pages = feedback.generate(autograded, str(tmp / "feedback"), db)
    class_report = report.write(db, autograded, str(tmp / "reports"))
    per_exercise = report.write_exercise_csv(db, str(tmp / "grades_by_exercise.csv"))
    return tmp, {p.split(os.sep)[-3]: p for p in pages}, class_report, per_exercise


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _reference_lines():
    lines = []
    for source in solution_sources().values():
        inside = False
        for line in source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            elif inside and line.strip() and not line.strip().startswith("#"):
                lines.append(line.strip())
    return lines


def test_feedback_pages_summarize_scores_and_reasons(course):
    _, pages, _, _ = course
    assert sorted(pages) == list(submissions.DEMO_STUDENTS)
    solution = _read(pages["demo_solution"])
    assert "Grading summary: demo_solution — 20 / 20" in solution
    assert "your model&#x27;s training accuracy: 91.25 % (参考 / reference: 91.25 %)" in solution
    buggy = _read(pages["demo_wrong_tanh_derivative"])
    assert "15 / 20" in buggy
    assert re.search(r"func_backward_propagation: 3/3 个隐藏测试未通过 / 3 of 3 hidden tests failed", buggy)
    assert "grads[&#x27;dW1&#x27;]" in buggy and "expected" in buggy and "期望" in buggy
    untouched = _read(pages["demo_untouched"])
    assert "0 / 20" in untouched and "NotImplementedError" in untouched
    assert "the model raised NotImplementedError" in untouched


@pytest.mark.parametrize("student", ["demo_untouched", "demo_wrong_tanh_derivative", "demo_solution"])
def test_feedback_holds_no_hidden_test(course, student):
    _, pages, _, _ = course
    page = _read(pages[student])
    for marker in HIDDEN_MARKERS:
        assert marker not in page, marker
    if student == "demo_untouched":  # this student wrote no code: no solution line may appear
        leaked = [line for line in _reference_lines() if line in page]
        assert leaked == []


def test_autograded_notebooks_hold_no_hidden_test(course):
    tmp, _, _, _ = course
    for path in glob.glob(str(tmp / "autograded" / "*" / "L1W3" / "*.ipynb")):
        text = _read(path)
        for marker in HIDDEN_MARKERS:
            assert marker not in text, (path, marker)


def test_class_report_and_csv(course):
    tmp, _, class_report, per_exercise = course
    page = _read(class_report)
    for name in ("L1W3_scores.png", "L1W3_pass_rate.png", "L1W3_grading_time.png"):
        assert f'src="{name}"' in page and (tmp / "reports" / name).stat().st_size > 1000
    assert "grads[&#x27;dW1&#x27;]: wrong values (1)" in page
    assert "raised NotImplementedError (1)" in page
    with open(per_exercise, newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["demo_wrong_tanh_derivative"]["func_backward_propagation"] == "0"
    assert rows["demo_wrong_tanh_derivative"]["total"] == "15"
    assert rows["demo_solution"]["total"] == rows["demo_solution"]["max"] == "20"


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--allow-file-access-from-files", "--window-size=1200,1400"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def _open(driver, path, shot):
    driver.get("file://" + os.path.abspath(path))
    driver.execute_script("return document.readyState")
    driver.save_screenshot(shot)
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.alt || i.src.slice(0, 40), i.complete, i.naturalWidth]);")
    return images, driver.find_element("tag name", "body").text


@pytest.mark.parametrize("student", ["demo_wrong_tanh_derivative", "demo_untouched"])
def test_feedback_page_in_a_browser(course, browser, student, tmp_path):
    _, pages, _, _ = course
    shot = str(tmp_path / f"{student}.png")
    images, text = _open(browser, pages[student], shot)
    assert os.path.getsize(shot) > 10_000
    assert images and all(complete and width > 0 for _, complete, width in images), images
    assert "Grading summary" in text and "评分摘要" in text
    for marker in HIDDEN_MARKERS:
        assert marker not in text


def test_class_report_in_a_browser(course, browser, tmp_path):
    _, _, class_report, _ = course
    shot = str(tmp_path / "report.png")
    images, text = _open(browser, class_report, shot)
    assert os.path.getsize(shot) > 10_000
    assert len(images) == 3 and all(complete and width > 0 for _, complete, width in images), images
    assert "Class report: L1W3" in text and "3 名学生 / students" in text
    for marker in HIDDEN_MARKERS:
        assert marker not in text
