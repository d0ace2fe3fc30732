"""The feedback page, as nbgrader's GenerateFeedback makes it, carries the hostile catalog inert.

The same payloads as formgrader's (grader_tests/helpers/payloads.py), stored raw in
the notebook's outputs and markdown, through the preprocessors and exporter that
nbgrader_config.py names for feedback (nbconvert's SanitizeHTML, then
grader.nbgrader_ext.feedback.FeedbackPage); the course summary is a fixed text.
"""

import os

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets.config.loader import PyFileConfigLoader

from grader import ROOT
from grader.nbgrader_ext.feedback import FeedbackPage
from grader.pages.feedback_page import SUMMARY_KEY
from grader_tests.helpers import payloads

BEACON = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def page():
    config = PyFileConfigLoader("nbgrader_config.py", path=ROOT).load_config()
    release = os.path.join(ROOT, "notebooks", "L1W3", "planar_classification.ipynb")
    nb = payloads.hostile_notebook(nbformat.read(release, as_version=4), BEACON, with_outputs=True)
    exporter = FeedbackPage(config=config)
    exporter.register_preprocessor(SanitizeHTML(config=config), enabled=True)
    text, _ = exporter.from_notebook_node(nb, resources={SUMMARY_KEY: "<section>summary</section>"})
    return text


def test_the_feedback_page_runs_and_loads_nothing_of_the_payloads(page):
    assert payloads.findings(page, BEACON, "body") == []
    head = BeautifulSoup(page, "html.parser").head
    assert BEACON not in str(head) and head.find("script") is None


def test_the_feedback_page_still_shows_the_student_work(page):
    text = BeautifulSoup(page, "html.parser").body.get_text()
    assert "summary" in text and payloads.MARKER in text
