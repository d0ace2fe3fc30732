"""nbgrader configuration of the course (the repository root is the course root).

nbgrader, formgrader and the JupyterLab extensions read this file wherever
they were started from (with this folder as the course root): it puts the
course root on ``sys.path`` itself, so no PYTHONPATH is needed, and points
nbgrader's own extension points at the course's grading pipeline.
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by nbgrader)

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
# The explicit set-up of the processes that execute this file (nbgrader, formgrader, the
# Jupyter server): importing grader changes nothing, so this call puts this interpreter's
# bin on PATH (nbgrader runs `alembic` beside it when it creates a gradebook).
from grader.environment import prepare  # noqa: E402

prepare()

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "deeplearning-L1W3"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# SQLite by default; set NBGRADER_DB_URL (e.g. postgresql://...) for a shared gradebook.
c.CourseDirectory.db_url = os.environ.get(
    "NBGRADER_DB_URL", "sqlite:///" + os.path.join(HERE, "gradebook.db")
)
# Besides nbgrader's own: files a browser would run as a page of the instructor's logged-in
# Jupyter origin.  nbgrader autograde copies a submission's other files into autograded/, and
# formgrader serves that folder as it is (/formgrader/submissions/<id>/<file>): a student's
# evil.html or script-bearing SVG or XML opened there would run with the instructor's session.
# The globs are case-insensitive by hand (nbgrader matches them with glob, case-sensitive here).
ACTIVE_CONTENT = ["html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "svg", "svgz", "xml", "xsl", "xslt"]
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".*",
] + ["*." + "".join(f"[{ch.lower()}{ch.upper()}]" for ch in ext) for ext in ACTIVE_CONTENT]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.enforce_metadata = True

# One grading path: `nbgrader autograde` and formgrader's Autograde button run the course's
# pipeline (grader/nbgrader_ext/autograde.py), which writes what `make grade` writes.
c.Autograde.sanitize_preprocessors = ["grader.nbgrader_ext.autograde.CourseAutograde"]
c.Autograde.autograde_preprocessors = []
# Where bubblewrap cannot isolate students' code the grader refuses to run it (README, Threat
# model); True grades anyway, with a warning that names the risk.
c.CourseAutograde.allow_unisolated = False
# `nbgrader export` writes grades.csv with formula cells escaped (grader/nbgrader_ext/export.py).
c.ExportApp.plugin_class = "grader.nbgrader_ext.export.SafeCsvExportPlugin"

# --- Resource limits of grading (grader/limits.py; README.md lists them) ---
# Every kernel and grader limit is a field of grader.limits.Limits, the same on every path
# (make grade, nbgrader autograde, formgrader, feedback extras).  Each source overrides the one
# before: the field's default < c.Limits.<name> here < the GRADER_LIMITS environment variable
# (GRADER_LIMITS=memory_mb=4096,cell_timeout=120) < `python -m grader grade --limit NAME=VALUE`.
# An unknown name or a value that is not a positive number is refused.  For example:
# c.Limits.memory_mb = 4096

# --- Exchange and late work (docs/instructors.md) -------------------------
# The exchange lies outside the course root, which is private (`python -m grader secure`, run
# by the make targets that grade: students must not read the source, the hidden cases, the
# gradebook or each other's work).  One machine and JupyterHub alike: /srv/nbgrader/exchange,
# or NBGRADER_EXCHANGE; `nbgrader release_assignment` creates it with nbgrader's modes (the
# root 0777, the course's inbound folder 0733: students can add a submission, not list them).
# Students point their own ~/.jupyter/nbgrader_config.py (or /etc/jupyter/) at the same folder;
# path_includes_course keeps several courses apart there.
EXCHANGE = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.root = EXCHANGE
c.Exchange.path_includes_course = True
c.Exchange.timezone = "UTC"
# Collect (nbgrader collect, formgrader's button) files under a student's id only a folder that
# student's uid owns, and in it only regular files of that uid, with the time the files arrived
# (never timestamp.txt); it refuses the rest by name and exits 1.  `nbgrader list --inbound`
# prints no name that is not a valid id.  Release Feedback (nbgrader release_feedback,
# formgrader's button) releases only the notebooks' pages, regular files, and names each
# student it cannot reach (filed by make collect or make demo, without nbgrader submit's
# submission_secret.txt) instead of stopping at the first one (grader/nbgrader_ext/exchange.py).
# Names, not imports, as for the feedback classes below.
c.ExchangeFactory.collect = "grader.nbgrader_ext.exchange.Collect"
c.ExchangeFactory.list = "grader.nbgrader_ext.exchange.List"
c.ExchangeFactory.release_feedback = "grader.nbgrader_ext.exchange.ReleaseFeedback"

# Due dates live in the gradebook (nbgrader db assignment add L1W3
# --duedate="2026-12-01 23:59:00 UTC", or formgrader's Manage Assignments).
# A late notebook loses 10 % of its score per started day, never below 0.
# nbgrader's own AssignLatePenalties step is not in the autograde list above:
# the course pipeline (make grade, nbgrader autograde, formgrader's button)
# applies this plugin itself through grader.batch.gradebook.penalty_for.
c.AssignLatePenalties.plugin_class = "grader.nbgrader_ext.late.PercentPerDayLate"
c.PercentPerDayLate.percent_per_period = 10.0
c.PercentPerDayLate.period_seconds = 24 * 60 * 60
c.PercentPerDayLate.grace_seconds = 0.0
# ---------------------------------------------------------------------------

# The release shows, after each exercise, what a correct solution prints: the
# source notebook's stored outputs, read before ClearOutput wipes them.
# The grader's own reading of these settings (grader.config.load: limits, the gradebook,
# the late policy) never releases an assignment and skips it: importing nbgrader's
# converters (nbconvert's exporters) cost every grading run, and every submission graded
# through nbgrader autograde, half a second.
if not globals().get("GRADER_SETTINGS_ONLY"):
    from nbgrader.converters.generate_assignment import GenerateAssignment
    from nbgrader.preprocessors import ClearOutput

    # A class, not its dotted name: nbgrader calls class_traits() on each entry.
    from grader.nbgrader_ext.expected_outputs import AddExpectedOutputs

    _stock = list(GenerateAssignment.class_traits()["preprocessors"].default())
    c.GenerateAssignment.preprocessors = (
        _stock[: _stock.index(ClearOutput)] + [AddExpectedOutputs] + _stock[_stock.index(ClearOutput) :]
    )
    # ClearOutput also drops the source run's execution timestamps (cell metadata
    # `execution`, written by nbclient's record_timing): the release carries nothing of that run.
    c.ClearOutput.remove_metadata_fields = {"collapsed", "scrolled", "execution"}

# --- Formgrader's notebook views (grader/nbgrader_ext/formgrade.py) ---------------------------
# Formgrader's Manual Grading view renders the autograded notebook with an nbconvert HTMLExporter
# built from this configuration, on the instructor's logged-in Jupyter origin.  These two
# settings clean what it shows: every output, cell and metadata field (no student HTML, SVG
# script, JavaScript or widget runs; the student's name is escaped), and the markdown's HTML
# after rendering.  The autograded notebook is written cleaned too (grader/pipeline/sanitize.py);
# either holds alone.  The feedback page's exporter (a subclass) keeps its own sanitizing.
c.HTMLExporter.preprocessors = ["grader.nbgrader_ext.formgrade.SanitizeSubmission"]
c.HTMLExporter.filters = {"markdown2html": "grader.nbgrader_ext.formgrade.markdown2html"}
c.FeedbackPage.preprocessors = []
c.FeedbackPage.filters = {}

# --- Feedback pages (grader/pages/feedback.py, grader/pages/feedback_page.py) -----------------------------
# nbgrader generate_feedback (with or without --force), formgrader's "Generate Feedback"
# button and `python -m grader feedback` all write the course's page: nbgrader's GetGrades
# reads the gradebook (manual grades included), nbconvert's SanitizeHTML cleans the
# student's HTML, CourseSummary builds the summary (scores, reasons, notes, the decision
# boundary), and the FeedbackPage exporter removes anything active, typesets TeX as MathML
# (no CDN), makes the page fit a phone and puts the summary on top.
# force: a page is always rewritten from the current gradebook, so no page written before
# a manual grade survives (stock nbgrader skips pages whose autograded folder is unchanged).
# Names, not imports: a class that fails to import stops the command instead of silently
# leaving nbgrader without this file (and writing stock pages).
c.GenerateFeedback.force = True
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.sanitize.SanitizeHTML",
    "grader.nbgrader_ext.feedback.CourseSummary",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "grader.nbgrader_ext.feedback.FeedbackPage"
c.SanitizeHTML.tags = [
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "del",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
]
c.SanitizeHTML.attributes = {
    "a": ["href", "title"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align"],
    "*": ["class", "title"],
}
