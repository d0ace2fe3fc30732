"""nbgrader configuration of the L1W3 course (the repository root is the course root)."""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "deeplearning-L1W3"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# SQLite by default; set NBGRADER_DB_URL (e.g. postgresql://...) for a shared gradebook.
c.CourseDirectory.db_url = os.environ.get(
    "NBGRADER_DB_URL", "sqlite:///" + os.path.join(HERE, "gradebook.db"))
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*",
]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.enforce_metadata = True

# A student who deletes a test cell still gets it run (stock default: False).
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 120

# --- Feedback pages (grader/feedback.py, grader/feedback_page.py) -----------------------------
# nbgrader generate_feedback (with or without --force), formgrader's "Generate Feedback"
# button and `python -m grader feedback` all write the course's page: nbgrader's GetGrades
# reads the gradebook (manual grades included), nbconvert's SanitizeHTML cleans the
# student's HTML, CourseSummary builds the summary (scores, reasons, notes, the decision
# boundary), and the FeedbackPage exporter removes anything active, typesets TeX as MathML
# (no CDN), makes the page fit a phone and puts the summary on top.
# force: a page is always rewritten from the current gradebook, so no page written before
# a manual grade survives (stock nbgrader skips pages whose autograded folder is unchanged).
import sys as _sys  # noqa: E402
if HERE not in _sys.path:  # formgrader may start anywhere: the course's classes live here
    _sys.path.insert(0, HERE)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbconvert.preprocessors.sanitize import SanitizeHTML  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402
from grader.feedback import CourseSummary  # noqa: E402
from grader.feedback_page import FeedbackPage  # noqa: E402

c.GenerateFeedback.force = True
c.GenerateFeedback.preprocessors = [GetGrades, SanitizeHTML, CourseSummary, CSSHTMLHeaderPreprocessor]
c.GenerateFeedback.exporter_class = FeedbackPage
c.SanitizeHTML.tags = ["a", "abbr", "b", "blockquote", "br", "caption", "code", "del", "div", "em",
                       "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p",
                       "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
                       "tfoot", "th", "thead", "tr", "u", "ul"]
c.SanitizeHTML.attributes = {"a": ["href", "title"], "img": ["src", "alt", "width", "height"],
                             "td": ["colspan", "rowspan", "align"], "th": ["colspan", "rowspan", "align"],
                             "*": ["class", "title"]}
