"""The catalog of hostile page content: what a student tries to run in a page an instructor opens.

Issue 17's reproducer put ``display(HTML("<script>…"))`` and a markdown
``<img onerror>`` into a submission; formgrader rendered them live on the
instructor's Jupyter origin.  Every payload here tries one way of running
script or reaching out of the page, and leaves a trace if it works:

- script that runs sets ``top.pwned`` (a list of payload names), changes
  ``top.document.title`` to :data:`TITLE` and requests ``<beacon>/<name>``;
- markup that loads or navigates (images, CSS ``url()``, ``<base>``,
  a refresh, objects, forms) requests ``<beacon>/<name>`` itself.

``beacon`` is the address of a listener the test runs (``http://127.0.0.1:<port>``).
The same catalog feeds the unit tests of the sanitizer, the feedback page and the
class report, and the browser test of formgrader (grader_tests/long/test_browser_jupyter.py).
"""

import base64
import json

import nbformat

TITLE = "pwned"
# The text of the one cell that displays every output payload (a student's own cell).
MARKER = "# hostile page content (grader_tests/helpers/payloads.py)"
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082"
    )
).decode()


def js(beacon, name):
    """Script that records ``name`` in the top window and requests the beacon (no quotes of its own)."""
    return (
        f"top.pwned=(top.pwned||[]).concat([`{name}`]);top.document.title=`{TITLE}`;"
        f"new Image().src=`{beacon}/{name}`"
    )


def compact_js(name):
    """Script without spaces or quotes (for attributes printed unquoted)."""
    return f"top.pwned=[/{name}/.source];top.document.title=/{TITLE}/.source"


def html_payloads(beacon):
    """``{name: html}``: each a ``text/html`` output (and the markdown cell's raw HTML)."""
    s = lambda name: js(beacon, name)  # noqa: E731
    return {
        "script": f"<script>{s('script')}</script>",
        "img_onerror": f'<img src="x" onerror="{s("img_onerror")}">',
        "svg_onload": f'<svg onload="{s("svg_onload")}"><rect width="1" height="1"/></svg>',
        "body_onload": f'<body onload="{s("body_onload")}"><details open ontoggle="{s("ontoggle")}">x</details>',
        "iframe_srcdoc": f'<iframe srcdoc="<script>{s("iframe_srcdoc")}</script>"></iframe>',
        "iframe_javascript": f'<iframe src="javascript:{s("iframe_javascript")}"></iframe>',
        "iframe_foreign": f'<iframe src="{beacon}/iframe_foreign"></iframe>',
        "meta_refresh": f'<meta http-equiv="refresh" content="0;url={beacon}/meta_refresh">',
        "base_href": f'<base href="{beacon}/base_href/"><img src="base-relative.png">',
        "javascript_link": f'<a id="pwn-link" href="javascript:{s("javascript_link")}">click me</a>',
        "entity_link": f'<a href="jav&#x09;ascript:{s("entity_link")}">click me too</a>',
        "css_url": f'<div style="background-image:url({beacon}/css_url)">styled</div>',
        "style_import": f"<style>@import url({beacon}/style_import); body{{background:url({beacon}/style_url)}}</style>",
        "link_stylesheet": f'<link rel="stylesheet" href="{beacon}/link_stylesheet">',
        "foreign_img": f'<img src="{beacon}/foreign_img">',
        "object_embed": f'<object data="{beacon}/object"></object><embed src="{beacon}/embed">',
        "form": f'<form action="{beacon}/form"><input name="q" autofocus onfocus="{s("onfocus")}"><button>go</button></form>',
        "template_script": f'<template><script>{s("template")}</script></template><noscript><p title="</noscript><img src=x onerror={compact_js("noscript")}>"></p></noscript>',
        "unbalanced": "</div></div></div></div></div><div class='navbar navbar-fixed-top' id='notebook'>over the page</div>",
        "math_href": f'<math><mtext><a href="javascript:{s("math_href")}">m</a></mtext></math>',
        "split_tag": f"<scr<script>ipt>{s('split_tag')}</script>",
    }


def svg_payload(beacon):
    """An SVG output with script, an event handler, foreignObject, foreign references and animation."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="10" height="10" onload="{js(beacon, "svg_output_onload")}">'
        f"<script>{js(beacon, 'svg_output_script')}</script>"
        '<foreignObject width="10" height="10"><body xmlns="http://www.w3.org/1999/xhtml">'
        f'<img src="x" onerror="{js(beacon, "svg_foreign_object")}"/></body></foreignObject>'
        f'<image href="{beacon}/svg_image" width="1" height="1"/>'
        f'<a xlink:href="javascript:{js(beacon, "svg_link")}"><rect width="5" height="5"/></a>'
        f'<animate attributeName="href" to="javascript:{js(beacon, "svg_animate")}"/>'
        f'<rect width="10" height="10" style="fill:url({beacon}/svg_css)"/>'
        "</svg>"
    )


def outputs(beacon):
    """The hostile outputs, as a kernel would send them (``display_data`` dicts)."""
    out = [
        {"data": {"text/html": html, "text/plain": name}, "metadata": {}}
        for name, html in html_payloads(beacon).items()
    ]
    out += [
        {"data": {"image/svg+xml": svg_payload(beacon)}, "metadata": {}},
        {"data": {"application/javascript": js(beacon, "javascript_output")}, "metadata": {}},
        {
            "data": {
                "text/markdown": f'<img src="x" onerror="{js(beacon, "markdown_output")}"> [md](javascript:{js(beacon, "markdown_output_link")})'
            },
            "metadata": {},
        },
        {
            "data": {
                "application/vnd.jupyter.widget-view+json": {
                    "model_id": f"</script><script>{js(beacon, 'widget')}</script>",
                    "version_major": 2,
                    "version_minor": 0,
                },
                "text/plain": "widget",
            },
            "metadata": {},
        },
        {"data": {"text/vnd.mermaid": "graph TD; A-->B"}, "metadata": {}},
        {
            "data": {"text/html": f"<script>{js(beacon, 'isolated')}</script>"},
            "metadata": {"text/html": {"isolated": True}},
        },
        {
            "data": {"image/png": PNG},
            "metadata": {"image/png": {"width": f"1 onerror={compact_js('png_width')}", "height": 1}},
        },
        {
            "data": {"image/png": PNG},
            "metadata": {"filenames": {"image/png": f"{beacon}/png_filename"}},
        },
        {"data": {"text/latex": f"$x$</div><script>{js(beacon, 'latex')}</script>"}, "metadata": {}},
    ]
    return [dict(o, output_type="display_data") for o in out]


def output_code(beacon):
    """A student's code cell that displays every output of :func:`outputs` (run by the grader's kernel)."""
    shown = [(o["data"], o["metadata"]) for o in outputs(beacon)]
    return (
        f"{MARKER}\n"
        "import json as _json\n"
        "from IPython.display import publish_display_data as _publish\n"
        f"for _data, _meta in _json.loads({json.dumps(json.dumps(shown))}):\n"
        "    _publish(_data, _meta)\n"
        f"print('<script>{js(beacon, 'stream')}</script>')\n"
    )


def markdown_source(beacon):
    """A student's markdown cell: raw HTML of every payload, markdown links and images."""
    parts = list(html_payloads(beacon).values())
    parts += [
        f"[markdown link](javascript:{js(beacon, 'markdown_link')})",
        f"![foreign image]({beacon}/markdown_image)",
        "![attached](attachment:evil.png)",
        f"<{beacon}/autolink>",
    ]
    return "\n\n".join(parts)


def markdown_cell(beacon):
    """The student's hostile markdown cell, with an attachment that is not an image and a hostile tag."""
    cell = nbformat.v4.new_markdown_cell(markdown_source(beacon))
    cell.attachments = {"evil.png": {"text/html": f"<script>{js(beacon, 'attachment')}</script>"}}
    cell.metadata["tags"] = ['x" onmouseover="' + compact_js("tag") + '" y']
    return cell


def code_cell(beacon, with_outputs):
    """The student's code cell of :func:`output_code`, with :func:`outputs` stored when ``with_outputs``."""
    cell = nbformat.v4.new_code_cell(output_code(beacon))
    if with_outputs:
        cell.outputs = [nbformat.from_dict(o) for o in outputs(beacon)]
        cell.outputs.append(
            nbformat.from_dict(
                {
                    "output_type": "error",
                    "ename": "<img src=x onerror=" + compact_js("ename") + ">",
                    "evalue": "<img src=x onerror=" + compact_js("evalue") + ">",
                    "traceback": ["<img src=x onerror=" + compact_js("traceback") + ">"],
                }
            )
        )
        cell.execution_count = 1
    return cell


def hostile_notebook(nb, beacon, with_outputs=False):
    """``nb`` (a submission) with the hostile markdown and code cells appended (a copy)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.cells.append(markdown_cell(beacon))
    nb.cells.append(code_cell(beacon, with_outputs))
    return nb


# What a student may put into the names the gradebook stores and formgrader prints.
def name(beacon):
    return f'<img src="x" onerror="{js(beacon, "student_name")}">'


ACTIVE_ATTRIBUTE_PREFIXES = ("on",)
ACTIVE_URL_SCHEMES = ("javascript:", "vbscript:", "data:text/html")


def findings(page, beacon, scope=None):
    """What in ``page`` (HTML) could run script or reach the beacon; empty when nothing can.

    Parameters
    ----------
    page : str
    beacon : str
        The listener's address: no attribute or style may name it, but a link's ``href``.
    scope : str, optional
        A CSS selector: only what is inside the elements it selects is looked at
        (formgrader's own page has scripts of its own outside ``#notebook-container``).

    Returns
    -------
    list of str
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    roots = soup.select(scope) if scope else [soup]
    found = []
    for root in roots:
        for element in root.find_all(True):
            name = element.name.lower()
            if name in (
                "script",
                "iframe",
                "frame",
                "object",
                "embed",
                "applet",
                "base",
                "form",
                "link",
                "meta",
                "style",
                "foreignobject",
                "animate",
                "set",
                "template",
            ):
                found.append(f"<{name}> element")
            for attr, value in element.attrs.items():
                value = " ".join(value) if isinstance(value, list) else str(value)
                low = value.replace("\t", "").replace("\n", "").strip().lower()
                if attr.lower().startswith(ACTIVE_ATTRIBUTE_PREFIXES):
                    found.append(f"{name}[{attr}]")
                # A link to a web page is content (it loads nothing until clicked); anything
                # else naming the listener would load it by itself.
                link = name == "a" and attr.lower() == "href" and low.startswith(("http:", "https:"))
                if low.startswith(ACTIVE_URL_SCHEMES) or (beacon in value and not link):
                    found.append(f"{name}[{attr}={value[:80]}]")
                if attr.lower() == "style" and "url(" in low:
                    found.append(f"{name}[style url()]")
    return found


class Beacon:
    """A local HTTP listener that records every request a payload makes (a context manager).

    ``url`` is its address for :func:`outputs` and the other builders; ``hits``
    the paths requested so far.  It answers 204, so a navigation to it (a
    refresh) leaves the page where it was.
    """

    def __init__(self):
        import http.server
        import threading

        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def payload_hits(self):
        """The requests made by payloads (not the test's own ``/sentinel-…`` requests)."""
        return [h for h in self.hits if not h.startswith("/sentinel")]
