"""The feedback page's two nbgrader classes, named in ``nbgrader_config.py``.

``GenerateFeedback.preprocessors`` runs :class:`CourseSummary` after nbgrader's
``GetGrades`` and nbconvert's ``SanitizeHTML``; ``GenerateFeedback.exporter_class``
is :class:`FeedbackPage`.  So ``nbgrader generate_feedback`` (with or without
``--force``), formgrader's "Generate Feedback" button and ``python -m grader
feedback`` all write the same page.  What the page holds is made in
:mod:`grader.pages.feedback` (the summary) and :mod:`grader.pages.feedback_page`
(sanitizing, MathML, layout); these classes only plug it into nbgrader.
"""

import traceback

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from grader import messages as msg
from grader.limits import Limits
from grader.pages.feedback import summary_html
from grader.pages.feedback_page import SUMMARY_KEY, finish_page, minimal_page, neutralize


class CourseSummary(Preprocessor):
    """Computes the course summary of a feedback page (:func:`grader.pages.feedback.summary_html`).

    Its HTML goes into ``resources[SUMMARY_KEY]``; :class:`FeedbackPage` puts it at the
    top of the page once the student's part is sanitized.  The feedback extra runs with
    the limits of nbgrader's configuration (``c.Limits``, under ``GRADER_LIMITS``), as
    :class:`grader.nbgrader_ext.autograde.CourseAutograde` grades.
    """

    def preprocess(self, nb, resources):
        """Store the summary's HTML in ``resources``; the notebook is unchanged."""
        limits = Limits.load(config=self.config)
        resources[SUMMARY_KEY] = summary_html(resources, log=self.log, limits=limits)
        return nb, resources


class FeedbackPage(HTMLExporter):
    """nbgrader's feedback exporter, with the course's summary, safe and offline.

    Never fails for one notebook: when nbconvert's export raises, the page still
    gets the course summary and a bilingual note saying what could not be shown.
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        """Export ``nb``; never raise for what is in the notebook."""
        notes = []
        try:
            notes += neutralize(nb)
        except Exception:  # a notebook too strange even to inspect still gets its page
            self.log.error("feedback: metadata check failed\n%s", traceback.format_exc())
        try:
            page, out = super().from_notebook_node(nb, resources, **kw)
            summary = out.get(SUMMARY_KEY)
        except Exception as exc:
            self.log.error("feedback: the notebook could not be exported\n%s", traceback.format_exc())
            out = self._init_resources(resources)
            page = minimal_page(str((out.get("nbgrader") or {}).get("notebook", "feedback")))
            summary = None
            notes.append(msg.NOTEBOOK_NOT_SHOWN.format(error=type(exc).__name__))
        if summary is None:
            summary = summary_html(out, extra_notes=notes, log=self.log)
            notes = []
        return finish_page(page, summary, notes), out
