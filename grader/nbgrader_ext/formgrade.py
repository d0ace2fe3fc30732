"""Formgrader's notebook views, sanitized: no student HTML or script runs in the instructor's session.

Formgrader's Manual Grading view (``/formgrader/submissions/<id>``) renders the
autograded notebook with an nbconvert ``HTMLExporter`` that it builds from
nbgrader's configuration, with its own ``formgrade`` template, on the
instructor's authenticated Jupyter origin.  Stock, that template prints
HTML, SVG, JavaScript and markdown outputs, the markdown of every cell and
the student's name as they are.  ``nbgrader_config.py`` gives that exporter

- :class:`SanitizeSubmission` as its preprocessor: every output, cell and
  metadata field of the notebook cleaned as :mod:`grader.pipeline.sanitize`
  cleans the autograded notebook (so a notebook graded before this class
  existed, or written by anything else, is shown as safely), and the
  student's name HTML-escaped;
- :func:`markdown2html` as its markdown filter: markdown rendered as nbconvert
  renders it, then the HTML cleaned (:func:`grader.pipeline.sanitize.clean_html`),
  so the release's own formatting stays and a student's raw HTML is inert.

Either layer holds without the other; the autograded notebook is cleaned
when it is written, too (:func:`grader.pipeline.notebook.render`).
"""

import html
import re

from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import InvalidNotebook, IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor

from grader.pipeline import sanitize

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_GRADE_ID = re.compile(r"[A-Za-z0-9_.-]{1,200}\Z")
_TAG = re.compile(r"[\w-]{1,100}\Z")
_RASTER = ("image/png", "image/jpeg", "image/gif")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")
_META_VALUE = re.compile(r"[^<>&\"'\x00-\x1f]{1,100}\Z")
# What formgrader's template prints of the student into HTML without escaping.
_PRINTED_RAW = ("first_name", "last_name")


def _attachments(value):
    """Only inline raster images of a markdown cell's attachments.

    An attachment of another kind becomes an empty image: a reference to a
    missing attachment makes nbconvert's renderer raise, which would fail the page.
    """
    kept = {}
    for name, bundle in (value or {}).items() if isinstance(value, dict) else ():
        if isinstance(name, str) and len(name) <= 200:
            images = {
                m: v
                for m, v in (bundle.items() if isinstance(bundle, dict) else ())
                if m in _RASTER and isinstance(v, str) and _BASE64.match(v)
            }
            kept[name] = images or {"image/png": ""}
    return kept


def _clean_cell(cell, index):
    if not _ID.match(str(cell.get("id", ""))):
        cell["id"] = f"cell-{index}"
    meta = cell.get("metadata")
    if not isinstance(meta, dict):
        cell["metadata"] = meta = {}
    tags = meta.get("tags")
    if tags is not None:
        meta["tags"] = (
            [t for t in tags if isinstance(t, str) and _TAG.match(t)] if isinstance(tags, list) else []
        )
    grading = meta.get("nbgrader")
    # The template prints grade_id into markup and points through a float filter.
    if grading is not None and not (
        isinstance(grading, dict)
        and _GRADE_ID.match(str(grading.get("grade_id", "x")))
        and isinstance(grading.get("points", 0), (int, float))
    ):
        del meta["nbgrader"]
    for key in list(meta):
        if key not in ("tags", "nbgrader", "deletable", "editable"):
            del meta[key]
    if cell.get("cell_type") == "markdown":
        cell["attachments"] = _attachments(cell.get("attachments"))
        if not cell["attachments"]:
            cell.pop("attachments")
    if cell.get("cell_type") == "code":
        count = cell.get("execution_count")
        cell["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
        outputs = []
        for output in cell.get("outputs") or []:
            kind = output.get("output_type") if isinstance(output, dict) else None
            if kind in ("display_data", "execute_result"):
                output = sanitize.clean_display(output)
                if kind == "execute_result":
                    output["execution_count"] = cell["execution_count"]
            elif kind == "stream":
                output = {
                    "output_type": "stream",
                    "name": "stderr" if output.get("name") == "stderr" else "stdout",
                    "text": "".join(output.get("text"))
                    if isinstance(output.get("text"), list)
                    else str(output.get("text", "")),
                }
            elif kind == "error":
                traceback = output.get("traceback")
                output = {
                    "output_type": "error",
                    "ename": str(output.get("ename", "")),
                    "evalue": str(output.get("evalue", "")),
                    "traceback": [str(line) for line in traceback] if isinstance(traceback, list) else [],
                }
            else:
                continue
            outputs.append(output)
        cell["outputs"] = outputs


class SanitizeSubmission(Preprocessor):
    """Cleans a notebook before formgrader's exporter renders it (``c.HTMLExporter.preprocessors``).

    Display outputs keep only inert formats, cleaned
    (:func:`grader.pipeline.sanitize.clean_display`: HTML through an
    allow-list, SVG without script or foreign references, no JavaScript,
    widgets or mermaid); cell ids, tags, nbgrader metadata, execution counts
    and attachments keep only values the template can print safely; the
    notebook metadata keeps only the kernel and language; the student's
    name in ``resources`` is HTML-escaped (formgrader's template prints it
    raw).
    """

    def preprocess(self, nb, resources):
        """Clean ``nb`` in place; return it and ``resources`` (the student's name escaped)."""
        meta = nb.get("metadata")
        nb["metadata"] = {
            key: {k: v for k, v in meta[key].items() if isinstance(v, str) and _META_VALUE.match(v)}
            for key in ("kernelspec", "language_info")
            if isinstance(meta, dict) and isinstance(meta.get(key), dict)
        }
        for index, cell in enumerate(nb.get("cells") or []):
            _clean_cell(cell, index)
        for key in _PRINTED_RAW:
            if isinstance(resources.get(key), str):
                resources[key] = html.escape(resources[key], quote=True)
        return nb, resources


class _Renderer(IPythonRenderer):
    """nbconvert's renderer, showing a reference to a missing attachment as an empty image.

    nbconvert raises instead, and formgrader then answers the whole page with an error.
    """

    def _embed_image_or_attachment(self, src):
        try:
            return super()._embed_image_or_attachment(src)
        except InvalidNotebook:
            return ""


@pass_context
def markdown2html(context, source):
    """Markdown as nbconvert's ``HTMLExporter`` renders it, then cleaned (``c.HTMLExporter.filters``).

    The cell's attachments are used only as inline raster images; the HTML
    goes through :func:`grader.pipeline.sanitize.clean_html`, which keeps the
    formulas' TeX as text for the page's MathJax.
    """
    cell = context.get("cell", {}) or {}
    renderer = _Renderer(escape=False, attachments=_attachments(cell.get("attachments")))
    return sanitize.clean_html(MarkdownWithMath(renderer=renderer).render(str(source)))
