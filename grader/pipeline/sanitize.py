"""Student content made inert for every page that shows a notebook: outputs, markdown, metadata.

Formgrader's Manual Grading view renders the autograded notebook with
nbconvert's stock template on the instructor's authenticated Jupyter origin,
printing HTML, SVG, JavaScript and markdown outputs as they are.  The
autograded notebook that :func:`grader.pipeline.notebook.render` writes is
therefore cleaned here, and :mod:`grader.nbgrader_ext.formgrade` cleans every
notebook again when formgrader renders it.  Both use an allow-list: what is
not known to be inert is dropped.

- :func:`clean_html` rebuilds HTML from its tokens: only a short list of
  elements and attributes, text escaped, links only to ``http(s):``,
  ``mailto:`` or a fragment, images only from inline raster data, no
  ``class``, ``id`` or ``style`` (no script, no foreign request, no page
  furniture of the instructor's page borrowed, no element clobbering the page's
  own ids), every element closed.  It is a streaming parser over
  :class:`html.parser.HTMLParser`: linear in the input (an 8 MB notebook
  of HTML costs seconds, where bleach took minutes), and what it writes is
  exactly the markup it constructs, so a browser parses it the same way.
- :func:`clean_svg` keeps an SVG's drawing elements and presentation
  attributes (no script, ``foreignObject``, animation, event handler or
  reference outside the image); viewers show SVG outputs as images anyway.
- :func:`neutralize_markdown` escapes every ``<`` and ``![`` of a student's
  markdown, so it holds no raw HTML and loads no image whatever renders it
  (markdown's links stay; the renderer drops ``javascript:`` URLs).
- :func:`clean_data` keeps only the output formats a notebook page shows
  without running anything, each cleaned; JavaScript, widgets and
  formats loaded by script (mermaid) are replaced by a note.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from grader import messages as msg

# Elements kept (with their content) by clean_html; void ones are written without an end tag.
HTML_ELEMENTS = frozenset(
    "a abbr b blockquote br caption code dd del div dl dt em h1 h2 h3 h4 h5 h6 hr i img kbd li "
    "ol p pre q s samp small span strong sub sup table tbody td tfoot th thead tr u ul var".split()
)
_VOID = frozenset({"br", "hr", "img"})
# Elements dropped with everything inside them (their text is not the reader's: code, styles,
# embedded documents, form controls' values).
_DROP_CONTENT = frozenset(
    "script style template textarea title noscript noembed noframes iframe frame frameset object "
    "embed applet svg math select option head xmp plaintext".split()
)
HTML_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "width", "height", "title"}),
    "td": frozenset({"colspan", "rowspan", "align", "title"}),
    "th": frozenset({"colspan", "rowspan", "align", "title"}),
    "table": frozenset({"border", "title"}),
    "*": frozenset({"title"}),
}
_MAX_DEPTH = 100  # deeper elements keep their text but not their markup
_RASTER_DATA = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z", re.I)
_NUMBER = re.compile(r"\d{1,5}(\.\d{1,3})?%?\Z")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")


def _link_ok(value):
    url = re.sub(r"[\x00-\x20]", "", value).lower()
    return url.startswith(("http:", "https:", "mailto:", "#")) and len(value) <= 2000


def _attribute(tag, name, value):
    """The value to write for an attribute, or None to drop it."""
    if value is None or name not in HTML_ATTRIBUTES.get(tag, ()) and name not in HTML_ATTRIBUTES["*"]:
        return None
    if name == "href":
        return value if _link_ok(value) else None
    if name == "src":
        return value if _RASTER_DATA.match(value.strip()) else None
    if name in ("width", "height", "colspan", "rowspan", "border"):
        return value if _NUMBER.match(value.strip()) else None
    if name == "align":
        return value if value.strip().lower() in ("left", "right", "center") else None
    return value[:1000]


class _Cleaner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.open, self.skip, self.skip_depth = [], [], None, 0

    def handle_starttag(self, tag, attrs):
        if self.skip is not None:
            if tag == self.skip:
                self.skip_depth += 1
            return
        if tag in _DROP_CONTENT:
            self.skip, self.skip_depth = tag, 1
            return
        if tag not in HTML_ELEMENTS or len(self.open) >= _MAX_DEPTH:
            return
        kept = "".join(
            f' {name}="{html.escape(value, quote=True)}"'
            for name, value in ((n, _attribute(tag, n, v)) for n, v in attrs)
            if value is not None
        )
        if tag == "a" and "href=" in kept:
            kept += ' rel="noopener noreferrer"'
        self.out.append(f"<{tag}{kept}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.open and self.open[-1] == tag and self.skip is None:
            self.handle_endtag(tag)
        elif tag == self.skip:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.skip is not None:
            if tag == self.skip:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip = None
            return
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data):
        if self.skip is None:
            self.out.append(html.escape(data, quote=False))

    # Comments, declarations, processing instructions and CDATA sections are not text to show.
    def handle_comment(self, data):
        pass

    def handle_decl(self, decl):
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass

    def result(self):
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def clean_html(text: str) -> str:
    """``text`` (an HTML fragment) with only inert markup left; see the module's docstring.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Well-formed HTML: every element it opens is closed.
    """
    cleaner = _Cleaner()
    cleaner.feed(text)
    return cleaner.result()


# --- SVG ----------------------------------------------------------------------------------------

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
SVG_ELEMENTS = frozenset(
    "svg g defs symbol use path rect circle ellipse line polyline polygon text tspan textPath title "
    "desc clipPath mask pattern marker linearGradient radialGradient stop image".split()
)
SVG_ATTRIBUTES = frozenset(
    "id class width height viewBox preserveAspectRatio version x y x1 y1 x2 y2 cx cy r rx ry d "
    "points transform fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap "
    "stroke-linejoin stroke-dasharray stroke-dashoffset stroke-miterlimit opacity clip-path "
    "clip-rule clipPathUnits mask font-family font-size font-style font-weight text-anchor "
    "dominant-baseline alignment-baseline letter-spacing dx dy rotate lengthAdjust textLength "
    "offset stop-color stop-opacity gradientUnits gradientTransform spreadMethod fx fy "
    "patternUnits patternContentUnits patternTransform markerWidth markerHeight markerUnits refX refY "
    "orient maskUnits maskContentUnits visibility display color href".split()
)
# A reference inside the image only: url(#id); any other url() (a host, javascript:) drops the value.
_SVG_LOCAL_URL = re.compile(r"url\(\s*#[\w.-]{1,200}\s*\)")
_SVG_STYLE = re.compile(r"[\w\s:;#.,%()'\"/+-]*\Z")


def _local(name):
    return name.rsplit("}", 1)[-1]


def _svg_attribute_ok(name, value):
    if name == "href":
        return value.startswith("#") or bool(_RASTER_DATA.match(value.strip()))
    if name == "style" and not _SVG_STYLE.match(value):
        return False
    if name not in SVG_ATTRIBUTES and name != "style":
        return False
    return "url" not in _SVG_LOCAL_URL.sub("", value).lower() and len(value) <= 100_000


def _svg_markup(element, out):
    name = _local(element.tag)
    attrs = "".join(
        f' {"xlink:href" if key == "{" + _XLINK_NS + "}href" else _local(key)}="{html.escape(value, quote=True)}"'
        for key, value in element.attrib.items()
    )
    if name == "svg" and not out:
        attrs = f' xmlns="{_SVG_NS}" xmlns:xlink="{_XLINK_NS}"' + attrs
    out.append(f"<{name}{attrs}>")
    out.append(html.escape(element.text or "", quote=False))
    for child in element:
        _svg_markup(child, out)
        out.append(html.escape(child.tail or "", quote=False))
    out.append(f"</{name}>")


def clean_svg(text: str) -> str | None:
    """``text`` (an SVG document) with only drawing elements and attributes left, or None.

    None when it is no well-formed SVG, or declares a DOCTYPE (entities).  Of
    each kept element only the attributes of a list stay, without ``url()``
    other than ``url(#id)``; links (``href``) only inside the image or to
    inline raster data; ``<style>``, ``<script>``, ``foreignObject``,
    animations and anything unknown are dropped with their content.
    """
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.I):
        return None
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError):
        return None
    if not isinstance(root.tag, str) or _local(root.tag) != "svg":
        return None

    def scrub(element):
        for key in list(element.attrib):
            known_namespace = not key.startswith("{") or key.startswith(
                ("{" + _XLINK_NS + "}", "{" + _SVG_NS + "}")
            )
            if not (known_namespace and _svg_attribute_ok(_local(key), element.attrib[key])):
                del element.attrib[key]
        for child in list(element):
            if isinstance(child.tag, str) and _local(child.tag) in SVG_ELEMENTS:
                scrub(child)
            else:
                element.remove(child)

    scrub(root)
    out = []
    _svg_markup(root, out)
    return "".join(out)


# --- markdown and outputs -----------------------------------------------------------------------


def neutralize_markdown(text: str) -> str:
    """``text`` (a student's markdown) with no raw HTML, image or attachment.

    Every ``<`` is written as ``&lt;`` and every ``![`` as ``!\\[``; the rest
    of markdown's syntax stays (links; the renderer drops ``javascript:``
    URLs).  Inside a code span these then show as written, the price of
    never having to decide what a renderer will read as code.
    """
    # Attachments are not kept (a student's may be anything), and nbconvert's renderer raises on
    # a reference to a missing one, failing the whole page: the reference goes too.
    # Nor images: each would be a request to a host of the student's choosing when the page opens.
    text = text.replace("<", "&lt;").replace("![", "!\\[")
    return re.sub(r"attachment:", "attachment-removed:", text, flags=re.I)


# Formats shown as text, or as an image from inline data; every other one is dropped.
_TEXT_FORMATS = ("text/plain", "text/latex")
_IMAGE_FORMATS = ("image/png", "image/jpeg", "image/gif")


def clean_data(data: dict) -> tuple[dict, list[str]]:
    """An output's ``data`` with only inert formats, cleaned; and the formats it dropped.

    ``text/html`` goes through :func:`clean_html`, ``image/svg+xml`` through
    :func:`clean_svg`, ``text/markdown`` through :func:`neutralize_markdown`;
    text and inline raster images stay.  When nothing displayable is left,
    ``text/plain`` says what was removed.
    """
    kept, dropped = {}, []
    for mime, value in data.items():
        text = "".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value
        if mime in _TEXT_FORMATS and isinstance(text, str):
            kept[mime] = text
        elif mime in _IMAGE_FORMATS and isinstance(text, str) and _BASE64.match(text):
            kept[mime] = text
        elif mime == "text/html" and isinstance(text, str):
            kept[mime] = clean_html(text)
        elif mime == "text/markdown" and isinstance(text, str):
            kept[mime] = neutralize_markdown(text)
        elif mime == "image/svg+xml" and isinstance(text, str) and (svg := clean_svg(text)) is not None:
            kept[mime] = svg
        else:
            dropped.append(mime)
    if dropped and "text/plain" not in kept:
        kept["text/plain"] = msg.OUTPUT_NOT_SHOWN.format(formats=", ".join(sorted(dropped)[:10])[:500])
    return kept, dropped


def clean_output_metadata(metadata: object) -> dict:
    """Only numeric image sizes of an output's metadata (templates print them unquoted)."""
    kept = {}
    if not isinstance(metadata, dict):
        return kept
    for mime in _IMAGE_FORMATS:
        value = metadata.get(mime)
        if isinstance(value, dict):
            sizes = {
                k: value[k]
                for k in ("width", "height")
                if isinstance(value.get(k), int)
                and not isinstance(value.get(k), bool)
                and 0 < value[k] < 100_000
            }
            if sizes:
                kept[mime] = sizes
    return kept


def clean_display(output: dict) -> dict:
    """A ``display_data`` or ``execute_result`` output with its data and metadata cleaned (a new dict)."""
    data, _ = clean_data(output.get("data") if isinstance(output.get("data"), dict) else {})
    clean = dict(output)
    clean["data"] = data
    clean["metadata"] = clean_output_metadata(output.get("metadata"))
    return clean
