"""nbgrader's own buttons, clicked in real JupyterLab and formgrader servers by headless Chromium.

Each server is started as a new user would start it: a plain environment
(no PYTHONPATH), a HOME of its own, and for the student only the released
folder (or only the exchange).  One server per role per module; every
server is stopped by its fixture.  On failure, a screenshot of the page is
left in the test's tmp folder.
"""

import contextlib
import filecmp
import os
import pwd
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from grader import ROOT
from grader.course import submissions
from grader.course.assignment import load
from grader.environment import tool_env
from grader_tests.helpers import payloads
from grader_tests.helpers.jupyter_servers import (
    COURSE_ID,
    JupyterServer,
    chromium,
    copy_course,
    nbgrader,
    plain_env,
    student_config,
)

ASSIGNMENT = "L1W3"
L1W3 = load(ASSIGNMENT)
NOTEBOOK = L1W3.notebook


# The whole notebook runs on each Validate; the machine may be busy.
VALIDATE_TIMEOUT = 600
UI_TIMEOUT = 120
SUCCESS = "Success! Your notebook passes all the tests."


def _variants():
    """The three notebooks a student might validate: untouched, wrong tanh derivative, solved."""
    sources = L1W3.solution_sources
    wrong = submissions.demo_sources(L1W3, "demo_wrong_tanh_derivative")
    return {
        "untouched": None,
        "wrong_tanh": submissions.fill(L1W3, wrong),
        "solution": submissions.fill(L1W3, sources),
    }


# What each variant's validation must say: (passes, texts that must appear).
EXPECTED = {
    "untouched": (
        False,
        ["公开自检", "Public self-check", "check_layer_sizes(func_layer_sizes)", "NotImplementedError"],
    ),
    "wrong_tanh": (
        False,
        [
            "公开自检",
            "Public self-check",
            "check_backward_propagation(func_backward_propagation)",
            "func_backward_propagation 未通过公开自检",
            "grads['dW1']",
            "期望",
            "expected",
            "1 - np.power(A1, 2)",
        ],
    ),
    "solution": (True, [SUCCESS]),
}


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@contextlib.contextmanager
def screenshot_on_failure(driver, path):
    """Save what the browser shows when the block raises (the test's own tmp folder)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(WebDriverException):
            driver.save_screenshot(str(path))
        raise


def _wait(driver, timeout=UI_TIMEOUT):
    return WebDriverWait(driver, timeout, poll_frequency=0.25)


def _server(tmp, name, root, env):
    server = JupyterServer(root, env, tmp / f"{name}.log")
    server.start()
    return server


# --- a. Validate, from the released folder alone ---------------------------------------------


@pytest.fixture(scope="module")
def released_folder(tmp_path_factory):
    """A tmp folder holding nothing but a copy of notebooks/L1W3 and the student's notebooks."""
    tmp = tmp_path_factory.mktemp("student-folder")
    folder = tmp / "root" / ASSIGNMENT
    shutil.copytree(os.path.join(ROOT, "notebooks", ASSIGNMENT), folder)
    names = {}
    for variant, nb in _variants().items():
        names[variant] = NOTEBOOK if nb is None else f"{variant}.ipynb"
        if nb is not None:
            nbformat.write(nb, str(folder / names[variant]))
    return tmp, folder, names


def _student_env(tmp):
    """The student's environment; their only setting is a longer cell time limit.

    Validate runs every cell, the hidden-layer sweep too (seconds on an idle
    machine); nbgrader's default of 30 s per cell fails it as a fatal error
    when the test machine is busy.
    """
    return plain_env(tmp / "home", config="c = get_config()\nc.Execute.timeout = 600\n")


@pytest.fixture(scope="module")
def student_lab(released_folder):
    tmp, folder, _ = released_folder
    server = _server(tmp, "student-lab", folder.parent, _student_env(tmp))
    yield server
    server.stop()


@pytest.mark.parametrize("variant", ["untouched", "wrong_tanh", "solution"])
def test_validate_button_tells_the_truth(released_folder, student_lab, browser, variant, tmp_path):
    _, _, names = released_folder
    passes, texts = EXPECTED[variant]
    with screenshot_on_failure(browser, tmp_path / "validate.png"):
        browser.get(student_lab.page(f"lab/workspaces/{variant}/tree/{ASSIGNMENT}/{names[variant]}?reset"))
        button = _wait(browser).until(
            EC.element_to_be_clickable(
                (By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) jp-button.validate-button")
            )
        )
        button.click()
        dialog = _wait(browser, VALIDATE_TIMEOUT).until(
            EC.visibility_of_element_located(
                (
                    By.XPATH,
                    "//dialog[contains(@class, 'jp-Dialog')]"
                    "[.//div[contains(@class, 'jp-Dialog-header')][contains(., 'Validation Results')]]",
                )
            )
        )
        text = dialog.text
        body = dialog.find_element(By.ID, "validation-message")
        # The messages' lines fit: nothing in the dialog scrolls sideways.
        sideways = browser.execute_script(
            "return Array.from(arguments[0].querySelectorAll('*')).concat([arguments[0]])"
            ".filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)"
            ".map(e => [e.tagName, e.scrollWidth, e.clientWidth]);",
            dialog,
        )
        assert sideways == [], sideways
        assert ("validation-failed" in body.get_attribute("class")) is (not passes), text[:2000]
        for expected in texts:
            assert expected in text, (expected, text[:3000])
        if passes:
            assert "failed" not in text.lower()


# The CLI shortens lines of over 87 characters of its report; the self-checks' lines stay shorter.
EXPECTED_CLI = {
    "untouched": (
        False,
        ["公开自检", "Public self-check", "check_layer_sizes(func_layer_sizes)", "NotImplementedError"],
    ),
    "wrong_tanh": (
        False,
        [
            "公开自检",
            "Public self-check",
            "check_backward_propagation(func_backward_propagation)",
            "grads['dW1'][0, 0]：期望 -0.00687442",
            "1 - np.power(A1, 2)",
        ],
    ),
    "solution": (True, [SUCCESS]),
}


@pytest.mark.parametrize("variant", ["untouched", "wrong_tanh", "solution"])
def test_nbgrader_validate_cli_tells_the_truth(released_folder, variant):
    tmp, folder, names = released_folder
    # Exits 0 whatever the result: the text is the verdict.
    out = nbgrader(["validate", names[variant]], folder, _student_env(tmp)).stdout
    passes, texts = EXPECTED_CLI[variant]
    assert ("VALIDATION FAILED" in out) is (not passes), out[-3000:]
    # nbgrader cuts a line over its width (90) to 87 characters and "...": no line it prints is
    # cut, neither a self-check's message nor the failing test cell's source (its comment lines
    # carry the Chinese and the English on lines of their own).
    errors = [part.split("=" * 90)[0] for part in out.split("The error was:")[1:]]
    cut = [line for line in out.splitlines() if len(line) == 90 and line.endswith("...")]
    assert errors or passes, out[-3000:]
    assert cut == [], cut
    for expected in texts:
        assert expected in out, (expected, out[-3000:])
    if variant == "wrong_tanh":
        assert "check_layer_sizes" not in out  # only the wrong function (and what calls it) fails


# --- b. The Assignments tab with the exchange ------------------------------------------------


@pytest.fixture(scope="module")
def exchange_course(tmp_path_factory):
    """A course copy whose instructor has released L1W3 to an exchange beside it (outside the course)."""
    tmp = tmp_path_factory.mktemp("exchange-course")
    course = copy_course(tmp / "course")
    teacher = {**plain_env(tmp / "instructor"), "NBGRADER_EXCHANGE": str(tmp / "exchange")}
    nbgrader(["release_assignment", ASSIGNMENT], course, teacher)
    return tmp, course, teacher


@pytest.fixture(scope="module")
def student_exchange_lab(exchange_course):
    tmp, course, _ = exchange_course
    root = tmp / "student-root"
    root.mkdir()
    env = plain_env(tmp / "student-home", config=student_config(tmp / "exchange"))
    server = _server(tmp, "student-exchange-lab", root, env)
    yield server, root
    server.stop()


def _menu(driver, top, item):
    """Click ``top`` in Lab's menu bar, then ``item`` in its menu."""
    _wait(driver).until(
        EC.element_to_be_clickable(
            (By.XPATH, f"//li[contains(@class, 'lm-MenuBar-item')][normalize-space(.)='{top}']")
        )
    ).click()
    _wait(driver).until(
        EC.element_to_be_clickable(
            (
                By.XPATH,
                f"//li[contains(@class, 'lm-Menu-item')][.//div[contains(@class, 'lm-Menu-itemLabel')]"
                f"[normalize-space(.)='{item}']]",
            )
        )
    ).click()


def test_assignments_tab_fetches_and_submits(exchange_course, student_exchange_lab, browser, tmp_path):
    _, course, teacher = exchange_course
    server, root = student_exchange_lab
    with screenshot_on_failure(browser, tmp_path / "assignments.png"):
        browser.get(server.page("lab/workspaces/assignments?reset"))
        _menu(browser, "Nbgrader", "Assignment List")
        fetch = _wait(browser).until(
            EC.element_to_be_clickable(
                (
                    By.XPATH,
                    f"//div[@id='released_assignments_list']/div[contains(@class, 'list_item')]"
                    f"[.//span[contains(@class, 'item_name')][normalize-space(.)='{ASSIGNMENT}']]//button",
                )
            )
        )
        assert fetch.text == "Fetch"
        fetch.click()
        submit = _wait(browser).until(
            EC.element_to_be_clickable(
                (
                    By.XPATH,
                    "//div[@id='fetched_assignments_list']//div[contains(@class, 'list_item')]"
                    "//button[normalize-space(.)='Submit']",
                )
            )
        )
        fetched = root / COURSE_ID / ASSIGNMENT / NOTEBOOK  # path_includes_course = True
        assert fetched.is_file()
        nbformat.write(submissions.fill(L1W3, release=str(fetched)), str(fetched))
        submit.click()
        _wait(browser).until(
            EC.visibility_of_element_located(
                (By.XPATH, "//div[@id='submitted_assignments_list']/div[contains(@class, 'list_item')]")
            )
        )
    nbgrader(["collect", ASSIGNMENT], course, teacher)
    student = pwd.getpwuid(os.getuid()).pw_name  # nbgrader's student id: the OS user
    collected = os.path.join(course, "submitted", student, ASSIGNMENT, NOTEBOOK)
    assert os.path.isfile(collected)
    assert nbformat.read(collected, as_version=4) == nbformat.read(str(fetched), as_version=4)


# --- c. The instructor in formgrader ---------------------------------------------------------

WRONG = "fg_wrong_tanh"
MANUAL_CELL = "func_backward_propagation_values"


@pytest.fixture(scope="module")
def instructor(tmp_path_factory):
    """Formgrader in JupyterLab, started in a copy of the course root, plain environment."""
    tmp = tmp_path_factory.mktemp("instructor")
    course = copy_course(tmp / "course")
    wrong = _variants()["wrong_tanh"]
    submissions.write(wrong, WRONG, os.path.join(course, "submitted"), L1W3)
    server = _server(tmp, "instructor-lab", course, plain_env(tmp / "home"))
    yield tmp, course, server
    server.stop()


def _modal(driver):
    """The formgrader's answer to a button: its success or error modal, with its text."""
    modal = _wait(driver, VALIDATE_TIMEOUT).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#success-modal, #error-modal"))
    )
    return modal.get_attribute("id"), modal.text


def _dircmp(a, b, prefix=""):
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__", ".ipynb_checkpoints"])
    differ = [prefix + n for n in cmp.left_only + cmp.right_only + cmp.funny_files]
    differ += [prefix + n for n in filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)[1]]
    for sub in cmp.common_dirs:
        differ += _dircmp(os.path.join(a, sub), os.path.join(b, sub), prefix + sub + "/")
    return differ


def test_formgrader_generate_reproduces_the_release(instructor, browser, tmp_path):
    _, course, server = instructor
    release = os.path.join(course, "notebooks", ASSIGNMENT)
    shutil.rmtree(release)  # what is compared below is Generate's own output
    with screenshot_on_failure(browser, tmp_path / "generate.png"):
        browser.get(server.page("formgrader/manage_assignments"))
        _wait(browser).until(
            EC.element_to_be_clickable(
                (
                    By.XPATH,
                    f"//tr[td[contains(@class, 'name')][normalize-space(.)='{ASSIGNMENT}']]"
                    "/td[contains(@class, 'assign')]/a",
                )
            )
        ).click()
        kind, text = _modal(browser)
        assert kind == "success-modal", text[-3000:]
    assert _dircmp(release, os.path.join(ROOT, "notebooks", ASSIGNMENT)) == []


def _rows(db_url, student):
    """A submission's gradebook rows: every grade, the notebook score and late penalty."""
    with Gradebook(db_url) as gb:
        nb = gb.find_submission_notebook(NOTEBOOK[: -len(".ipynb")], ASSIGNMENT, student)
        grades = {
            g.name: (g.auto_score, g.manual_score, g.extra_credit, g.max_score, g.needs_manual_grade)
            for g in nb.grades
        }
        return {
            "grades": grades,
            "score": nb.score,
            "max_score": nb.max_score,
            "late_submission_penalty": nb.late_submission_penalty,
        }


def _make_grade_rows(tmp, nb, student):
    """What ``python -m grader grade`` writes for the same submission, in a gradebook of its own."""
    submitted, autograded = tmp / "ref-submitted", tmp / "ref-autograded"
    submissions.write(nb, student, str(submitted), L1W3)
    db = f"sqlite:///{tmp / 'ref-gradebook.db'}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            ASSIGNMENT,
            "--submitted",
            str(submitted),
            "--autograded",
            str(autograded),
            "--db",
            db,
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=tool_env(),
        check=True,
        capture_output=True,
        timeout=900,
    )
    return _rows(db, student)


def _submission_row_link(driver, server, student, column):
    driver.get(server.page(f"formgrader/manage_submissions/{ASSIGNMENT}"))
    return _wait(driver).until(
        EC.element_to_be_clickable(
            (
                By.XPATH,
                f"//tr[td[contains(@class, 'student-id')][normalize-space(.)='{student}']]"
                f"/td[contains(@class, '{column}')]/a",
            )
        )
    )


def test_formgrader_autograde_writes_what_make_grade_writes(instructor, browser, tmp_path):
    tmp, course, server = instructor
    with screenshot_on_failure(browser, tmp_path / "autograde.png"):
        _submission_row_link(browser, server, WRONG, "autograde").click()
        kind, text = _modal(browser)
        assert kind == "success-modal", text[-3000:]
    formgrader = _rows("sqlite:///" + os.path.join(course, "gradebook.db"), WRONG)
    assert formgrader == _make_grade_rows(tmp, _variants()["wrong_tanh"], WRONG)
    assert formgrader["score"] == 15 and formgrader["max_score"] == 20


def test_manual_grade_reaches_the_feedback_page(instructor, browser, tmp_path):
    _, course, server = instructor
    db = "sqlite:///" + os.path.join(course, "gradebook.db")
    with Gradebook(db) as gb:
        submission_id = gb.find_submission_notebook(NOTEBOOK[: -len(".ipynb")], ASSIGNMENT, WRONG).id
        auto = gb.find_submission_notebook(NOTEBOOK[: -len(".ipynb")], ASSIGNMENT, WRONG).score
    with screenshot_on_failure(browser, tmp_path / "manual.png"):
        browser.get(server.page(f"formgrader/submissions/{submission_id}/"))
        score = _wait(browser).until(
            EC.element_to_be_clickable((By.CSS_SELECTOR, f"input.score#{MANUAL_CELL}"))
        )
        score.clear()
        score.send_keys("3", Keys.TAB)

        def saved(_):
            with Gradebook(db) as gb:
                grade = gb.find_grade(MANUAL_CELL, NOTEBOOK[: -len(".ipynb")], ASSIGNMENT, WRONG)
                return grade.manual_score == 3

        _wait(browser, 30).until(saved)

        _submission_row_link(browser, server, WRONG, "generate-feedback").click()
        kind, text = _modal(browser)
        assert kind == "success-modal", text[-3000:]
        page = os.path.join(course, "feedback", WRONG, ASSIGNMENT, NOTEBOOK.replace(".ipynb", ".html"))
        assert os.path.isfile(page)
        browser.get("file://" + page)
        text = browser.find_element(By.TAG_NAME, "body").text
    assert "Grading summary" in text and "评分摘要" in text, text[:2000]
    with Gradebook(db) as gb:
        total = gb.find_submission_notebook(NOTEBOOK[: -len(".ipynb")], ASSIGNMENT, WRONG).score
    assert total == 18 and auto == 15  # the autograder's 15 plus 3 points given by hand
    assert f"{WRONG} — 18 / 20" in text, text[:2000]


# --- d. No student script in formgrader's views (issue 17, must-have 2) ---------------------

HOSTILE = "fg_hostile"  # graded by the course's pipeline: both layers of sanitizing
HOSTILE_RAW = "fg_hostile_raw"  # autograded notebook replaced by the raw one: formgrader's layer alone


@pytest.fixture(scope="module")
def beacon():
    with payloads.Beacon() as listener:
        yield listener


@pytest.fixture(scope="module")
def hostile_graded(instructor, beacon):
    """Two hostile submissions in the instructor's course, graded, with hostile names; their ids."""
    tmp, course, _ = instructor
    solved = submissions.fill(L1W3, L1W3.solution_sources)
    hostile = payloads.hostile_notebook(solved, beacon.url)
    for student in (HOSTILE, HOSTILE_RAW):
        submissions.write(hostile, student, os.path.join(course, "submitted"), L1W3)
    db = "sqlite:///" + os.path.join(course, "gradebook.db")
    subprocess.run(
        [sys.executable, "-m", "grader", "grade", ASSIGNMENT, "--student", HOSTILE, "--student", HOSTILE_RAW]
        + [
            "--submitted",
            os.path.join(course, "submitted"),
            "--autograded",
            os.path.join(course, "autograded"),
        ]
        + ["--db", db, "--workers", "1", "--quiet"],
        cwd=course,
        env=tool_env(),
        check=True,
        capture_output=True,
        timeout=900,
    )
    # As if written by anything but the course's grader: the payloads stored unsanitized.
    raw = payloads.hostile_notebook(solved, beacon.url, with_outputs=True)
    nbformat.write(raw, os.path.join(course, "autograded", HOSTILE_RAW, ASSIGNMENT, NOTEBOOK))
    ids = {}
    with Gradebook(db) as gb:
        for student in (HOSTILE, HOSTILE_RAW):
            gb.update_or_create_student(
                student, first_name=payloads.name(beacon.url), last_name=payloads.name(beacon.url)
            )
            ids[student] = gb.find_submission_notebook(NOTEBOOK[: -len(".ipynb")], ASSIGNMENT, student).id
    return ids


def _settle(driver, beacon, name):
    """Wait until the page has loaded and a request of the test's own has reached the beacon.

    Every payload runs while the page parses or loads (no timers), so once the
    load is complete and a later request has arrived, whatever a payload did is seen.
    """
    _wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
    driver.execute_script(f"new Image().src = '{beacon.url}/sentinel-{name}';")
    _wait(driver, 30).until(lambda _: f"/sentinel-{name}" in beacon.hits)


def _ran(driver):
    """What the payloads' script left in the page: ``window.pwned`` and the title."""
    return driver.execute_script("return [window.pwned || null, document.title]")


@pytest.mark.parametrize("student", [HOSTILE, HOSTILE_RAW])
def test_manual_grading_view_runs_no_student_script(
    instructor, hostile_graded, beacon, browser, student, tmp_path
):
    _, _, server = instructor
    del beacon.hits[:]
    with screenshot_on_failure(browser, tmp_path / "hostile.png"):
        # Logged in as an instructor is: by the cookie a first page with the token sets (its path is
        # the folder of that page, so the first page is formgrader's own list, not the submission).
        browser.get(server.page("formgrader/gradebook"))
        browser.get(f"{server.url}/formgrader/submissions/{hostile_graded[student]}/")
        # The page works: formgrader's own script filled every score box from its API.
        _wait(browser).until(
            lambda d: d.execute_script(
                "const s = document.querySelectorAll('input.score');"
                "return s.length > 0 && [...s].every(e => e.placeholder !== '');"
            )
        )
        _settle(browser, beacon, student)
        pwned, title = _ran(browser)
        page = browser.page_source
        boxes = len(browser.find_elements(By.CSS_SELECTOR, "input.score"))
        comments = len(browser.find_elements(By.CSS_SELECTOR, "textarea.comment"))
        shown_name = browser.execute_script(
            "return document.querySelector('.name-shown') && document.querySelector('.name-shown').textContent"
        )
        url = browser.current_url
    assert pwned is None and title == NOTEBOOK[: -len(".ipynb")], (pwned, title)
    assert beacon.payload_hits() == []
    assert f"/formgrader/submissions/{hostile_graded[student]}/" in url
    assert payloads.findings(page, beacon.url, "#notebook-container") == []
    assert boxes == _graded_cells() and comments > 0
    assert "<img" in shown_name  # the hostile name is shown as text


def _graded_cells():
    """How many score boxes formgrader shows for a submission: the release's graded cells."""
    release = nbformat.read(os.path.join(ROOT, "notebooks", ASSIGNMENT, NOTEBOOK), as_version=4)
    return sum(1 for c in release.cells if c.metadata.get("nbgrader", {}).get("grade"))


def _stock_formgrade_page(path, tmp_path, name):
    """``path`` exported by formgrader's template with nbconvert's stock settings (no course config)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {
        "assignment_id": ASSIGNMENT,
        "notebook_id": NOTEBOOK[: -len(".ipynb")],
        "submission_id": name,
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": name,
        "notebook_path": name,
    }
    page, _ = HTMLExporter(config=config).from_filename(path, resources=resources)
    out = tmp_path / f"{name}.html"
    out.write_text(page, encoding="utf-8")
    return out


def test_autograded_notebook_is_inert_even_in_stock_formgrader(
    instructor, hostile_graded, beacon, browser, tmp_path
):
    """The autograded notebook the grader writes holds alone: stock formgrader's template runs nothing of it.

    The raw notebook, exported the same way, runs its payloads: the check can fail.
    """
    _, course, _ = instructor
    ran = {}
    for student in (HOSTILE, HOSTILE_RAW):
        del beacon.hits[:]
        page = _stock_formgrade_page(
            os.path.join(course, "autograded", student, ASSIGNMENT, NOTEBOOK), tmp_path, student
        )
        with screenshot_on_failure(browser, tmp_path / f"stock-{student}.png"):
            browser.get(page.as_uri())
            _settle(browser, beacon, f"stock-{student}")
            ran[student] = (_ran(browser), beacon.payload_hits())
    (pwned, title), hits = ran[HOSTILE]
    assert pwned is None and title == NOTEBOOK[: -len(".ipynb")] and hits == [], ran[HOSTILE]
    (pwned, title), hits = ran[HOSTILE_RAW]
    assert pwned and title == payloads.TITLE and hits, ran[HOSTILE_RAW]
