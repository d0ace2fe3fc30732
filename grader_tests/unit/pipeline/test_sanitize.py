"""The sanitizer of student content (grader.pipeline.sanitize) and the autograded notebook it cleans.

Every payload of the shared catalog (grader_tests/helpers/payloads.py) must come out
inert; harmless content must stay.  The browser test of formgrader
(grader_tests/long/test_browser_jupyter.py) proves the same in a real page.
"""

import json

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from grader import messages as msg
from grader.pipeline import sanitize
from grader.pipeline.notebook import normalize, render
from grader_tests.helpers import payloads
from grader_tests.helpers.fakes import master, release_notebook

BEACON = "http://127.0.0.1:9"
HTML = payloads.html_payloads(BEACON)


@pytest.mark.parametrize("name", sorted(HTML))
def test_clean_html_leaves_no_payload_active(name):
    cleaned = sanitize.clean_html(HTML[name])
    assert payloads.findings(cleaned, BEACON) == [], cleaned
    assert "<img" not in cleaned or 'src="' not in cleaned  # no image from anywhere but inline data


def test_the_findings_check_sees_every_payload_of_the_catalog():
    # The check the tests rely on is not blind: each raw payload is found but two, which the
    # browser test covers (markup that breaks out of its cell; a tag split so that a parser
    # other than the browser's misreads it).
    blind = {name for name, page in HTML.items() if not payloads.findings(page, BEACON)}
    assert blind == {"unbalanced", "split_tag"}


def test_clean_html_keeps_harmless_content():
    page = (
        '<h2>Result</h2><p><b>bold</b> <i>it</i> <a href="https://example.org">link</a> <a href="#x">anchor</a>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="plot" width="10"></p>'
        '<table border="1"><tr><th colspan="2">h</th></tr><tr><td>1 &lt; 2</td></tr></table><pre>a\n\nb</pre>'
    )
    cleaned = sanitize.clean_html(page)
    soup = BeautifulSoup(cleaned, "html.parser")
    assert soup.img["src"].startswith("data:image/png") and soup.img["width"] == "10"
    assert [a.get("href") for a in soup.find_all("a")] == ["https://example.org", "#x"]
    assert soup.th["colspan"] == "2" and soup.td.get_text() == "1 < 2" and soup.pre.get_text() == "a\n\nb"
    assert soup.h2.get_text() == "Result" and soup.b and soup.i


def test_clean_html_drops_ids_classes_and_styles_that_would_reach_the_page_around():
    cleaned = sanitize.clean_html(
        '<div id="notebook" class="navbar-fixed-top" style="position:fixed">x</div>'
    )
    assert cleaned == "<div>x</div>"


def test_clean_html_closes_what_it_opens_and_ignores_stray_end_tags():
    assert sanitize.clean_html("</div></div><div><p>x") == "<div><p>x</p></div>"
    assert sanitize.clean_html("<b><i>x</b>y</i>") == "<b><i>x</i></b>y"


def test_clean_html_bounds_the_depth_of_what_it_writes():
    cleaned = sanitize.clean_html("<div>" * 5000 + "deep")
    assert cleaned.count("<div>") == 100 and cleaned.count("</div>") == 100 and "deep" in cleaned


def test_clean_svg_leaves_no_script_or_foreign_reference():
    cleaned = sanitize.clean_svg(payloads.svg_payload(BEACON))
    assert cleaned is not None
    assert payloads.findings(cleaned, BEACON) == [], cleaned
    assert "<rect" in cleaned and BEACON not in cleaned


def test_clean_svg_keeps_a_drawing_with_local_references():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
        '<defs><clipPath id="c"><rect width="5" height="5"/></clipPath><path id="p" d="M0 0L9 9"/></defs>'
        '<g clip-path="url(#c)" transform="translate(1,1)"><use xlink:href="#p" style="stroke:#000;fill:none"/>'
        "<text x='1' y='2'>1 &lt; 2</text></g></svg>"
    )
    cleaned = sanitize.clean_svg(svg)
    root = __import__("xml.etree.ElementTree", fromlist=["x"]).fromstring(cleaned)  # still well-formed XML
    assert root.get("viewBox") == "0 0 10 10"
    assert 'clip-path="url(#c)"' in cleaned and 'xlink:href="#p"' in cleaned and "1 &lt; 2" in cleaned


@pytest.mark.parametrize("svg", ["<svg", "<html/>", '<!DOCTYPE svg [<!ENTITY a "b">]><svg/>'])
def test_clean_svg_refuses_what_is_no_plain_svg(svg):
    assert sanitize.clean_svg(svg) is None


@pytest.mark.parametrize("index", range(len(payloads.outputs(BEACON))))
def test_clean_display_leaves_only_inert_formats(index):
    output = payloads.outputs(BEACON)[index]
    clean = sanitize.clean_display(output)
    assert set(clean["data"]) <= {
        "text/plain",
        "text/html",
        "text/markdown",
        "text/latex",
        "image/png",
        "image/svg+xml",
    }
    for mime in ("text/html", "image/svg+xml"):
        if mime in clean["data"]:
            assert payloads.findings(clean["data"][mime], BEACON) == []
    if "text/markdown" in clean["data"]:
        assert "<" not in clean["data"]["text/markdown"]
    # Only numeric image sizes: the templates print them unquoted; nothing names a file or isolates.
    for mime, meta in clean["metadata"].items():
        assert set(meta) <= {"width", "height"} and all(isinstance(v, int) for v in meta.values())
    assert clean["data"], "an output never vanishes without a word"


def test_a_script_output_is_replaced_by_a_note():
    clean = sanitize.clean_display(
        {"output_type": "display_data", "data": {"application/javascript": "alert(1)"}, "metadata": {}}
    )
    assert clean["data"] == {"text/plain": msg.OUTPUT_NOT_SHOWN.format(formats="application/javascript")}


def _stock_markdown(source):
    """Markdown rendered as nbconvert's stock templates render it (formgrader's included)."""
    return MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render(source)


def test_neutralized_markdown_is_inert_under_stock_rendering():
    source = payloads.markdown_source(BEACON)
    assert payloads.findings(_stock_markdown(source.replace("![attached](attachment:evil.png)", "")), BEACON)
    rendered = _stock_markdown(sanitize.neutralize_markdown(source))
    assert payloads.findings(rendered, BEACON) == []
    assert "<img" not in rendered


def test_neutralized_markdown_keeps_markdown():
    rendered = _stock_markdown(
        sanitize.neutralize_markdown("# Title\n\n**bold** and [a link](https://example.org) $x^2$")
    )
    soup = BeautifulSoup(rendered, "html.parser")
    assert soup.h1 and soup.strong and soup.p.a["href"] == "https://example.org" and "$x^2$" in rendered


def test_render_writes_an_autograded_notebook_with_nothing_active():
    m = master()
    nb = nbformat.reads(json.dumps(json.loads(nbformat.writes(release_notebook()))), as_version=4)
    cells, _ = normalize(nb, m)
    cells.append(dict(payloads.markdown_cell(BEACON)))
    code = dict(payloads.code_cell(BEACON, with_outputs=True))
    cells.append(code)
    locked_markdown = [c["source"] for c in cells if c["cell_type"] == "markdown"][0]
    out = nbformat.reads(render(cells, {}, m), as_version=4)
    student_markdown = out.cells[-2]
    assert "<" not in student_markdown.source and "attachments" not in student_markdown
    assert out.cells[0].source == locked_markdown or locked_markdown in [c.source for c in out.cells]
    for output in out.cells[-1].outputs:
        data = output.get("data", {})
        assert not set(data) & {
            "application/javascript",
            "application/vnd.jupyter.widget-view+json",
            "text/vnd.mermaid",
        }
        for mime in ("text/html", "image/svg+xml"):
            if mime in data:
                assert payloads.findings(data[mime], BEACON) == []
        assert "filenames" not in output.get("metadata", {}) and "text/html" not in output.get("metadata", {})
