"""Formgrader's exporter as nbgrader_config.py configures it: the hostile catalog rendered inert.

Formgrader builds its ``HTMLExporter`` from nbgrader's configuration and renders
the autograded notebook with its ``formgrade`` template; here the same exporter
renders the raw hostile notebook (payloads stored in its outputs, as if written
by anything but the course's grader), with and without the course's settings.
"""

import copy
import os

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader import handlers
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grader import ROOT
from grader.nbgrader_ext.feedback import FeedbackPage
from grader_tests.helpers import payloads

BEACON = "http://127.0.0.1:9"
RELEASE = os.path.join(ROOT, "notebooks", "L1W3", "planar_classification.ipynb")


@pytest.fixture(scope="module")
def course_config():
    return PyFileConfigLoader("nbgrader_config.py", path=ROOT).load_config()


def _page(config):
    config = copy.deepcopy(config) if config else Config()
    # What formgrader itself adds to nbgrader's configuration (FormgradeExtension.build_extra_config).
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    nb = payloads.hostile_notebook(nbformat.read(RELEASE, as_version=4), BEACON, with_outputs=True)
    resources = {
        "assignment_id": "L1W3",
        "notebook_id": "planar_classification",
        "submission_id": "0",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": "hostile",
        "first_name": payloads.name(BEACON),
        "last_name": payloads.name(BEACON),
        "notebook_path": "x",
    }
    page, _ = HTMLExporter(config=config).from_notebook_node(nb, resources=resources)
    return page


def test_stock_formgrader_runs_the_payloads():
    # The reproducer, without the course's settings: the check below can fail.
    assert len(payloads.findings(_page(None), BEACON, "#notebook-container")) > 20
    assert payloads.findings(_page(None), BEACON, "nav .name-shown")


def test_the_course_configuration_renders_the_catalog_inert(course_config):
    page = _page(course_config)
    assert payloads.findings(page, BEACON, "#notebook-container") == []
    nav = BeautifulSoup(page, "html.parser").select_one("nav .name-shown")
    assert payloads.findings(str(nav), BEACON) == [] and "<img" in nav.get_text()


def test_the_release_keeps_its_formatting_and_grading_boxes(course_config):
    soup = BeautifulSoup(_page(course_config), "html.parser")
    container = soup.select_one("#notebook-container")
    assert container.find("h1") and container.find("code") and container.find("strong")
    release = nbformat.read(RELEASE, as_version=4)
    graded = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(container.select("input.score")) == len(graded)
    assert "$" in container.get_text()  # formulas stay TeX for the page's MathJax


def test_the_feedback_page_keeps_its_own_pipeline(course_config):
    # The formgrader settings are the plain HTMLExporter's; the feedback exporter (a subclass)
    # opts out of them explicitly, so its page is what it was.
    assert FeedbackPage(config=course_config).preprocessors == []
    assert FeedbackPage(config=course_config).filters == {}
    assert HTMLExporter(config=course_config).preprocessors == [
        "grader.nbgrader_ext.formgrade.SanitizeSubmission"
    ]
