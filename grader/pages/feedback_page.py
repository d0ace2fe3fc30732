"""The feedback page's exporter: nbgrader's HTML, made safe, offline and readable on a phone.

``GenerateFeedback.exporter_class`` is set to :class:`FeedbackPage` in
``nbgrader_config.py``, so ``nbgrader generate_feedback`` (with or without
``--force``), formgrader's button and ``python -m grader feedback`` all write
the same page.  Around nbconvert's HTML export it

1. neutralizes notebook metadata that the templates print without quoting or
   that makes the export fail (image ``width``/``height``, ``language_info``,
   cell tags), noting what it dropped;
2. never fails for one notebook: when the export raises, the page still gets
   the course summary and a bilingual note saying what could not be shown;
3. removes everything active from the page (scripts, event handlers,
   ``javascript:`` links, frames, objects, forms, SVG scripts, remote
   resources) and adds a Content-Security-Policy that allows no script and no
   network, behind the ``SanitizeHTML`` preprocessor that already cleaned the
   student's HTML;
4. typesets TeX as MathML (:mod:`grader.pages.texmath`), so no MathJax is needed;
5. adds a viewport and CSS that make the page fit 400 to 1280 px without
   sideways scrolling;
6. inserts the course summary (:class:`grader.nbgrader_ext.feedback.CourseSummary`) at the
   top of the body.
"""

import html
import numbers
import re

from bs4 import BeautifulSoup

from grader import messages as msg
from grader.pages import texmath

SUMMARY_KEY = "grader_summary"  # resources key: the summary's HTML


CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


# Elements that can run code, load something or navigate; none belongs in a feedback page.
_ACTIVE = (
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "form",
    "portal",
    "link",
    "noscript",
    "template",
    "foreignobject",
    "animate",
    "set",
    "animatemotion",
    "animatetransform",
    "handler",
    "listener",
    "input",
    "button",
    "textarea",
    "select",
    "dialog",
    "audio",
    "video",
    "source",
    "track",
)


_URL_ATTRS = (
    "href",
    "src",
    "xlink:href",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "srcset",
    "ping",
    "codebase",
    "cite",
    "longdesc",
    "dynsrc",
    "lowsrc",
    "manifest",
)


_SAFE_DATA_URI = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$", re.I)


_TAG = re.compile(r"^[\w-]{1,100}$")


_EXTERNAL_URL = re.compile(r"url\(\s*(?!['\"]?data:)[^)]*\)", re.I)


RESPONSIVE_CSS = """
html, body { max-width: 100%; overflow-x: hidden; }
body { overflow-wrap: anywhere; }
pre, code, samp { white-space: pre-wrap !important; word-break: break-word; overflow-wrap: anywhere; }
img, svg, math, video { max-width: 100%; height: auto; }
math[display="block"] { overflow-x: auto; max-width: 100%; }
table { max-width: 100%; }
.rendered_html table, .output_html table { display: block; overflow-x: auto; }
div.container, #notebook-container { width: auto !important; max-width: 1170px; }
@media (max-width: 700px) {
  div.prompt, div.input_prompt, div.output_prompt { display: none !important; }
  div.container { padding-left: 4px; padding-right: 4px; }
  div.input, div.output_area { display: block !important; }
}
code.tex-raw { color: #a00; }
"""


_NOTE_STYLE = (
    "margin: 1em auto; padding: 0.8em; max-width: 1000px; border: 2px solid #c60; "
    "border-radius: 8px; background: #fff6ec; font-family: sans-serif"
)


def neutralize(nb):
    """Drop notebook metadata that the templates print unquoted or choke on.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Changed in place.

    Returns
    -------
    list of str
        Bilingual notes on what was dropped.
    """
    notes = []
    meta = nb.get("metadata")
    if not isinstance(meta, dict):
        nb["metadata"] = meta = {}
    info = meta.get("language_info")
    if info is not None and not (
        isinstance(info, dict) and all(isinstance(info.get(k, ""), str) for k in ("name", "pygments_lexer"))
    ):
        meta["language_info"] = {"name": "python"}
        notes.append(msg.LANGUAGE_INFO_INVALID)
    dropped_sizes = dropped_tags = 0
    for cell in nb.get("cells", []):
        cmeta = cell.get("metadata")
        if isinstance(cmeta, dict) and "tags" in cmeta:
            tags = cmeta["tags"]
            good = [t for t in tags if isinstance(t, str) and _TAG.match(t)] if isinstance(tags, list) else []
            if not isinstance(tags, list) or len(good) != len(tags):
                dropped_tags += 1
                cmeta["tags"] = good
        for output in cell.get("outputs", []) or []:
            ometa = output.get("metadata") if isinstance(output, dict) else None
            if not isinstance(ometa, dict):
                continue
            for mime, value in list(ometa.items()):
                if not isinstance(value, dict):
                    continue
                for key in ("width", "height"):
                    if key in value and not _is_size(value[key]):
                        del value[key]
                        dropped_sizes += 1
    if dropped_sizes:
        notes.append(msg.IMAGE_SIZES_IGNORED.format(count=dropped_sizes))
    if dropped_tags:
        notes.append(msg.CELL_TAGS_IGNORED.format(count=dropped_tags))
    return notes


def _is_size(value):
    return (isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value < 100_000) or (
        isinstance(value, str) and re.fullmatch(r"\d{1,5}(\.\d{1,3})?", value) is not None
    )


def _safe_url(value, tag, attr):
    url = re.sub(r"[\x00-\x20]", "", html.unescape(value or "")).lower()
    if url.startswith("#") or url == "":
        return True
    if tag == "img" and attr == "src":
        return bool(_SAFE_DATA_URI.match(value.strip()))
    if tag == "a" and attr == "href":
        return url.startswith(("http:", "https:", "mailto:"))
    return False


def clean(soup):
    """Remove every active element, event handler and unsafe URL from ``soup``, in place.

    Returns
    -------
    int
        How many elements and attributes were removed.
    """
    removed = 0
    for element in soup.find_all(lambda t: t.name and t.name.lower() in _ACTIVE):
        if element.decomposed:
            continue
        element.decompose()
        removed += 1
    for element in soup.find_all(True):
        if element.name == "meta" and element.get("http-equiv", "").lower() != "content-security-policy":
            if element.get("http-equiv") or element.get("content", "").lower().startswith("0;"):
                element.decompose()
                removed += 1
                continue
        for attr in list(element.attrs):
            name = attr.lower()
            if name.startswith("on") or name in ("formaction", "srcdoc"):
                del element[attr]
                removed += 1
            elif name in _URL_ATTRS and not _safe_url(str(element.get(attr)), element.name.lower(), name):
                del element[attr]
                removed += 1
            elif name == "style" and re.search(
                r"url\s*\(|expression\s*\(|@import|behavior", str(element.get(attr)), re.I
            ):
                del element[attr]
                removed += 1
    for style in soup.find_all("style"):
        text = style.string or ""
        # Stylesheets load nothing: no @import, and url() only for inline data (the template's
        # bootstrap names glyphicon fonts beside the page, which do not exist).
        cleaned = _EXTERNAL_URL.sub("none", re.sub(r"@import[^;]*;?", "", text, flags=re.I))
        if cleaned != text:
            style.string = cleaned
            removed += 1
    return removed


def finish_page(page, summary_html, notes=()):
    """Make an exported page safe, offline and responsive, and put the summary on top.

    Parameters
    ----------
    page : str
        The HTML nbconvert wrote (or a minimal page).
    summary_html : str
        The course summary (trusted HTML made by the course).
    notes : sequence of str
        Bilingual notes on what the page could not show.

    Returns
    -------
    str
        The finished page.
    """
    soup = BeautifulSoup(page, "html.parser")
    clean(soup)
    if soup.html is None:
        soup = BeautifulSoup(f"<!DOCTYPE html><html><head></head><body>{soup}</body></html>", "html.parser")
    head = soup.head
    if head is None:
        head = soup.new_tag("head")
        soup.html.insert(0, head)
    body = soup.body
    if body is None:
        body = soup.new_tag("body")
        soup.html.append(body)
    roots = soup.select(".text_cell_render, .output_latex, .jp-RenderedMarkdown, .jp-RenderedLatex")
    texmath.typeset(soup, roots)
    for tag in head.find_all("meta"):
        if tag.get("name") == "viewport" or tag.get("http-equiv", "").lower() == "content-security-policy":
            tag.decompose()
    csp = soup.new_tag("meta", attrs={"http-equiv": "Content-Security-Policy", "content": CSP})
    viewport = soup.new_tag(
        "meta", attrs={"name": "viewport", "content": "width=device-width, initial-scale=1"}
    )
    style = soup.new_tag("style")
    style.string = RESPONSIVE_CSS
    head.insert(0, viewport)
    head.insert(0, csp)  # first, before anything the page holds
    head.append(style)
    block = BeautifulSoup(
        summary_html
        + "".join(
            f'<div class="grader-page-note" style="{_NOTE_STYLE}">{html.escape(n)}</div>' for n in notes
        ),
        "html.parser",
    )
    for element in reversed(list(block.contents)):
        body.insert(0, element)
    text = str(soup)
    return text if text.lstrip().lower().startswith("<!doctype") else "<!DOCTYPE html>\n" + text


def minimal_page(title):
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "</head><body></body></html>"
    )
