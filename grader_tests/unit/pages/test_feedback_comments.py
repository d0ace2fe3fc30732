"""The instructor's manual-grading comments and scores are in the feedback summary, at the top.

A comment entered in formgrader's Manual Grading sits on the exercise's solution cell, far
down the page; the summary shows it in the exercise's row, escaped, with a link to that cell
(nbgrader's feedback template anchors it as ``comment-<grade id>``), and a manual score with
a link to its test cell.
"""

import html

import pytest
from bs4 import BeautifulSoup

from grader import messages as msg
from grader.pages import feedback
from grader_tests.helpers.fakes import two_exercises

ROWS = {"add_values": (2.0, 2.0, 0.0, 2.0), "twice_values": (0.0, 3.0, 0.0, None)}
COMMENTS = {
    "add": "Good: but why np.sum?\n<script>alert(1)</script>",
    "twice_values": "a comment on the test cell itself",
    "extra_task": "see me after class",
}


@pytest.fixture
def summary(tmp_path, monkeypatch):
    def make(comments):
        monkeypatch.setattr(feedback, "load_assignment", lambda assignment_id: two_exercises())
        monkeypatch.setattr(feedback, "extra_html", lambda nb_path, assignment, limits=None: "")
        monkeypatch.setattr(feedback, "gradebook_rows", lambda *args: (ROWS, 0.0, dict(comments)))
        resources = {
            "nbgrader": {"student": "ann", "assignment": "T0", "notebook": "nb", "db_url": "x"},
            "metadata": {"path": str(tmp_path / "ann" / "T0")},
        }
        return BeautifulSoup(feedback.summary_html(resources), "html.parser")

    return make


def _row(soup, exercise):
    return next(tr for tr in soup.find_all("tr") if tr.find("code", string=exercise))


def test_the_comment_is_in_its_exercises_row_with_a_link_to_its_cell(summary):
    soup = summary(COMMENTS)
    row = _row(soup, "add")
    box = row.find(class_="manual-comment")
    assert msg.INSTRUCTOR_COMMENT in box.get_text()
    assert box.find("pre").get_text() == COMMENTS["add"].strip()
    assert box.find("a")["href"] == "#comment-add"
    assert soup.find("script") is None, "a comment is text, never markup"


def test_a_comment_on_a_test_cell_goes_to_its_row(summary):
    box = _row(summary(COMMENTS), "twice").find(class_="manual-comment")
    assert box.find("pre").get_text() == COMMENTS["twice_values"]
    assert box.find("a")["href"] == "#comment-twice_values"


def test_a_comment_on_no_exercise_is_shown_after_the_table(summary):
    soup = summary(COMMENTS)
    boxes = soup.find_all(class_="manual-comment")
    assert len(boxes) == 3
    last = boxes[-1]
    assert last.find_parent("table") is None and last.find("pre").get_text() == "see me after class"
    assert last.find("a")["href"] == "#comment-extra_task"


def test_a_manual_score_links_to_its_cell(summary):
    cell = _row(summary({}), "add").find_all("td")[1]
    assert msg.GRADED_BY_HAND in cell.get_text() and cell.find("a")["href"] == "#add_values"
    assert _row(summary({}), "twice").find_all("td")[1].find("a") is None


def test_no_comment_no_box(summary):
    assert summary({}).find(class_="manual-comment") is None


def test_the_comments_come_before_anything_of_the_notebook(summary):
    # The summary is the top of the page: the comment is within its first screen of rows.
    text = str(summary(COMMENTS))
    assert text.index(html.escape(COMMENTS["add"].splitlines()[0])) < text.index("</table>")


def test_gradebook_rows_reads_the_manual_comments(tmp_path):
    """On a real gradebook: formgrader's comment (Comment.manual_comment), empty ones left out."""
    from nbgrader.api import Gradebook

    db = f"sqlite:///{tmp_path}/gradebook.db"
    with Gradebook(db) as gb:
        gb.add_assignment("T0")
        gb.add_notebook("nb", "T0")
        gb.add_grade_cell("add_values", "nb", "T0", max_score=2, cell_type="code")
        for name in ("add", "twice"):
            gb.add_solution_cell(name, "nb", "T0")
        gb.add_student("ann")
        gb.add_submission("T0", "ann")
        gb.find_comment("add", "nb", "T0", "ann").manual_comment = "well done"
        gb.find_comment("twice", "nb", "T0", "ann").manual_comment = "  "
        gb.find_grade("add_values", "nb", "T0", "ann").manual_score = 1.5
        gb.db.commit()
    rows, penalty, comments = feedback.gradebook_rows(db, "nb", "T0", "ann")
    assert rows["add_values"][0] == 1.5 and rows["add_values"][3] == 1.5
    assert penalty == 0.0 and comments == {"add": "well done"}
