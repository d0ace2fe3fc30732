"""Feedback by every path and in a real browser: a manual grade shown by each path (no stale page
survives), the feedback page and the class report opened in headless Chromium."""

import json
import os
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from grader import ROOT
from grader.environment import tool_env
from grader.pages import feedback
from grader_tests.helpers.feedback_course import (
    ASSIGNMENT,
    FORMGRADER,
    HIDDEN_MARKERS,
    NOTEBOOK_ID,
    _page,
    _read,
    _summary_text,
    course,  # noqa: F401 (fixtures, used by name)
)


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


# The instructor's comment in formgrader's Manual Grading, on the exercise's solution cell.
COMMENT = "dZ1 needs (1 - A1**2), not (1 - A1) / 请用 1 - A1**2"


@pytest.fixture(scope="module")
def manual(course):
    """A manual grade after the pages exist, then every path writes the page again."""
    from nbgrader.api import Gradebook

    c = course
    with Gradebook(c.db) as gb:
        gb.find_grade(
            "func_backward_propagation_values", NOTEBOOK_ID, ASSIGNMENT, "demo_wrong_tanh_derivative"
        ).manual_score = 3.0
        gb.find_comment(
            "func_backward_propagation", NOTEBOOK_ID, ASSIGNMENT, "demo_wrong_tanh_derivative"
        ).manual_comment = COMMENT
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


def test_manual_grade_is_shown_by_every_path_and_no_stale_page_survives(course, manual):
    for path, page in manual.items():
        text = _summary_text(page)
        assert "— 18 / 20" in text, path
        assert "3 / 5 人工评分 / graded by hand 自动评分 / autograded: 0" in text, path
        assert COMMENT in text, path
        # Its link leads to the comment's cell further down, which nbgrader's template anchors.
        soup = BeautifulSoup(page, "html.parser")
        link = soup.find(id=feedback.SUMMARY_ID).find("a", href="#comment-func_backward_propagation")
        assert link is not None, path
        assert soup.find(attrs={"name": "comment-func_backward_propagation"}) is not None, path
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
def test_the_instructors_comment_is_on_the_first_screens_and_links_to_its_cell(
    course, manual, browser, width
):
    browser.set_window_size(width, 1000)
    browser.get("file://" + os.path.abspath(_page(course, "demo_wrong_tanh_derivative")))
    where = browser.execute_script("""
        const box = document.querySelector('#grader-summary .manual-comment');
        const anchor = document.getElementsByName('comment-func_backward_propagation')[0];
        const top = el => el.getBoundingClientRect().top + window.scrollY;
        const before = window.scrollY;
        box.querySelector('a').click();
        return {comment: top(box), cell: top(anchor), page: document.documentElement.scrollHeight,
                before: before, after: window.scrollY, text: box.innerText};""")
    assert COMMENT in where["text"]
    # In the summary at the top (the cell itself is thousands of pixels further down) ...
    assert where["comment"] < 3000 < where["cell"], where
    # ... and its link scrolls to the cell.
    assert where["before"] == 0 and abs(where["after"] - min(where["cell"], where["page"] - 1000)) < 5, where


@pytest.mark.parametrize("width", [1280, 400])
def test_class_report_in_a_browser(course, browser, width, tmp_path):
    shot = str(tmp_path / f"report-{width}.png")
    state = _open(browser, course.class_report, width, shot)
    assert os.path.getsize(shot) > 10_000
    assert state["scroll"] <= state["inner"], f"scrolls sideways at {width} px: {state['scroll']}"
    assert len(state["images"]) == 3 and all(ok and w > 0 for _, ok, w in state["images"]), state["images"]
    assert state["requests"] == []
    assert "Class report: L1W3" in state["text"] and "7 名学生 / students" in state["text"]
