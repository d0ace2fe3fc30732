"""Students see nbgrader's Assignment List and Validate only; the instructor keeps formgrader.

One real student server (JupyterLab, which also serves Notebook 7's pages) started with the
course's student configuration, ``student-jupyter/``, on its ``JUPYTER_CONFIG_PATH`` as
docs/instructors.md says: its pages' configuration disables nbgrader's formgrader,
create-assignment and course-list plugins, its Nbgrader menu (clicked in headless Chromium)
holds the Assignment List only, and it serves no ``/formgrader``.  The instructor's
configuration (the same environment without that folder) keeps every plugin and server
extension; it is read in-process, as the server reads it.
"""

import json
import os
import re
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from grader import ROOT
from grader_tests.helpers.jupyter_servers import JupyterServer, chromium, plain_env

STUDENT_CONFIG = os.path.join(ROOT, "student-jupyter")
INSTRUCTOR_ONLY = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
STUDENTS_TOO = (
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:validate-assignment",
    "@jupyter/nbgrader:menu",
)
SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")


def _student_env(home):
    env = plain_env(home)
    env["JUPYTER_CONFIG_PATH"] = STUDENT_CONFIG
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("student-menus")
    (tmp / "root").mkdir()
    lab = JupyterServer(tmp / "root", _student_env(tmp / "home"), tmp / "server.log")
    lab.start()
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def _page_config(server, path):
    with urllib.request.urlopen(server.page(path), timeout=30) as response:
        page = response.read().decode("utf-8")
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, f"{path}: no page configuration"
    return json.loads(found.group(1))


def _status(server, path):
    try:
        with urllib.request.urlopen(server.page(path), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("path", ["lab", "tree"])
def test_the_students_pages_disable_the_instructors_plugins(server, path):
    config = _page_config(server, path)
    disabled = config["disabledExtensions"]
    assert set(INSTRUCTOR_ONLY) <= set(disabled), disabled
    assert not set(STUDENTS_TOO) & set(disabled), disabled
    # Locked: JupyterLab's Plugin Manager cannot switch them back on.
    assert set(INSTRUCTOR_ONLY) <= set(config.get("lockedExtensions") or ()), config.get("lockedExtensions")


def test_the_students_server_serves_validate_but_not_formgrader(server):
    assert _status(server, "formgrader") == 404
    assert _status(server, "formgraders") == 404
    assert _status(server, "nbgrader_version?version=0") == 200  # the Validate button's first call


def _menu_items(driver, url):
    """The labels of the Nbgrader menu's visible items, opened from the menu bar."""
    driver.get(url)
    wait = WebDriverWait(driver, 120, poll_frequency=0.25)
    wait.until(
        EC.element_to_be_clickable(
            (By.XPATH, "//li[contains(@class, 'lm-MenuBar-item')][normalize-space(.)='Nbgrader']")
        )
    ).click()
    menu = wait.until(EC.visibility_of_element_located((By.ID, "jp-mainmenu-nbgrader")))
    items = menu.find_elements(By.CSS_SELECTOR, "li.lm-Menu-item")
    return [i.text.strip() for i in items if i.is_displayed() and i.text.strip()]


@pytest.mark.parametrize("path", ["lab/workspaces/student-menus?reset", "tree"])
def test_the_students_nbgrader_menu_has_the_assignment_list_only(server, browser, path):
    assert _menu_items(browser, server.page(path)) == ["Assignment List"]


def _read_config(monkeypatch, home, config_path):
    """The page configuration and server extensions a server started with this environment gets."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager
    from jupyterlab_server.config import get_page_config

    for name, value in plain_env(home).items():
        if name.startswith("JUPYTER_"):
            monkeypatch.setenv(name, value)
    if config_path:
        monkeypatch.setenv("JUPYTER_CONFIG_PATH", config_path)
    else:
        monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    disabled = get_page_config([])["disabledExtensions"]  # a list, or a dict of name -> disabled
    if isinstance(disabled, dict):
        disabled = [name for name, off in disabled.items() if off]
    extensions = ExtensionConfigManager(read_config_path=jupyter_config_path()).get_jpserver_extensions()
    return disabled, extensions


def test_the_instructors_configuration_keeps_formgrader(monkeypatch, tmp_path):
    disabled, extensions = _read_config(monkeypatch, tmp_path / "instructor", None)
    assert not [name for name in disabled if name.startswith("@jupyter/nbgrader")], disabled
    assert all(extensions.get(name) for name in SERVER_EXTENSIONS), extensions
    # The same reading, with the students' folder, is what the server above got.
    disabled, extensions = _read_config(monkeypatch, tmp_path / "student", STUDENT_CONFIG)
    assert set(INSTRUCTOR_ONLY) <= set(disabled), disabled
    assert not any(extensions.get(name) for name in SERVER_EXTENSIONS), extensions
