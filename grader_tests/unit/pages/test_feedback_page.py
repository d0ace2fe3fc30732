"""Fast checks of the feedback page's parts: math typesetting, sanitizing, metadata."""

import glob
import html
import os
import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from grader import ROOT
from grader.pages import texmath
from grader.pages.feedback_page import CSP, clean, finish_page, neutralize


def _formulas(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return [(tex, display) for is_math, tex, display in texmath._pieces(text) if is_math]


def test_every_formula_of_the_release_typesets_as_mathml():
    formulas = _formulas(os.path.join(ROOT, "notebooks", "L1W3", "planar_classification.ipynb"))
    assert len(formulas) >= 10
    for tex, display in formulas:
        mathml = texmath.to_mathml(tex, display)
        assert mathml.startswith("<math") and "merror" not in mathml, tex


def _tree(markup):
    """``markup`` as comparable data: ``(name, attributes, children)`` or the text."""

    def node(n):
        if getattr(n, "name", None) is None:
            return str(n)
        return (n.name, sorted(n.attrs.items()), [node(c) for c in n.contents])

    return [node(n) for n in BeautifulSoup(markup, "html.parser").contents]


def test_every_formula_of_every_notebook_typesets_as_latex2mathml_does():
    from latex2mathml.converter import convert

    paths = glob.glob(os.path.join(ROOT, "source", "*", "*.ipynb")) + glob.glob(
        os.path.join(ROOT, "notebooks", "*", "*.ipynb")
    )
    formulas = {f for path in paths for f in _formulas(path)}
    assert len(formulas) >= 40  # the two assignments have 41 distinct formulas
    for tex, display in formulas:
        # The sanitized MathML is latex2mathml's own, element for element, for the course's TeX.
        expected = convert(tex.strip(), display="block" if display else "inline")
        assert _tree(texmath.to_mathml(tex, display)) == _tree(expected), tex


MATH_PAYLOADS = [
    r'$\text{<meta http-equiv="refresh" content="0;url=http://x">}$',
    r'$\text{<div style="position:fixed;top:0">20 / 20</div>}$',
    r"$\text{<script>alert(1)</script>}$",
    r"$\href{javascript:alert(1)}{x}$",
    r"$\text{</mtext></math><script>alert(1)</script>}$",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"$\style{position:fixed;top:0}{20 / 20}$",
]


@pytest.mark.parametrize("tex", MATH_PAYLOADS)
def test_typeset_tex_adds_only_mathml_with_plain_attributes(tex):
    # As nbconvert writes a markdown cell's math: its TeX as text, escaped.
    soup = BeautifulSoup(f"<p>{html.escape(tex)}</p>", "html.parser")
    done, _ = texmath.typeset(soup, [soup.p])
    assert done == 1
    math = soup.p.math
    assert [c.name for c in soup.p.contents] == ["math"]
    for element in math.find_all(True):
        assert element.name in texmath._MATHML_ELEMENTS, element.name
        for name, value in element.attrs.items():
            assert name in texmath._MATHML_ATTRIBUTES or (name, element.name) == ("xmlns", "math")
            assert ":" not in value or name == "xmlns", (name, value)
    # The page as a browser reads it again: no element came out of the formula's text.
    again = BeautifulSoup(str(soup), "html.parser")
    assert {e.name for e in again.find_all(True)} <= texmath._MATHML_ELEMENTS | {"p"}


def test_the_text_of_a_formula_stays_visible_as_text():
    tex = r"$\text{<div style='x'>20 / 20</div> &#x3C;b&#x3E;}$"
    soup = BeautifulSoup(f"<p>{html.escape(tex)}</p>", "html.parser")
    texmath.typeset(soup, [soup.p])
    again = BeautifulSoup(str(soup), "html.parser")
    assert again.find("mtext").get_text().replace("\xa0", " ") == "<div style='x'>20 / 20</div> <b>"
    assert again.find("div") is None and again.find("b") is None


def test_finish_page_shows_no_summary_a_formula_draws():
    page = finish_page(
        "<html><head></head><body><div class='jp-RenderedMarkdown'>"
        + html.escape(" ".join(MATH_PAYLOADS))
        + "</div></body></html>",
        "<section id='grader-summary'>summary</section>",
    )
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("script") is None and soup.find("div", style=True) is None
    assert [m["http-equiv"] for m in soup.find_all("meta", attrs={"http-equiv": True})] == [
        "Content-Security-Policy"
    ]
    assert "javascript:" not in "".join(str(e.attrs) for e in soup.find_all(True))


def test_typeset_replaces_tex_in_text_but_not_in_code():
    soup = BeautifulSoup(
        "<div><p>cost $J = -\\frac{1}{m}\\sum y$ and</p>"
        "<p>$$a^{[2]} = \\sigma(z^{[2]})$$</p><p>\\begin{align} x &= 1 \\\\ y &= 2 \\end{align}</p>"
        "<pre>$keep$</pre><code>$keep$</code><p>costs 5$ and 6$</p></div>",
        "html.parser",
    )
    done, failed = texmath.typeset(soup, [soup.div])
    assert (done, failed) == (3, [])
    assert [m["display"] for m in soup.find_all("math")] == ["inline", "block", "block"]
    assert soup.pre.get_text() == "$keep$" and soup.code.get_text() == "$keep$"
    assert "costs 5$ and 6$" in soup.get_text()


def test_untypesettable_tex_stays_visible_and_marked():
    soup = BeautifulSoup("<p>$\\frac{1}{$</p><p>$\\frac{$ x</p>", "html.parser")
    _, failed = texmath.typeset(soup, soup.find_all("p"))
    for tex in failed:
        assert soup.find("code", class_="tex-raw", string=re.compile(re.escape(tex)))


PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>a</a>",
    "<a href=' JaVaScRiPt:alert(1)'>a</a>",
    "<a href='&#106;avascript:alert(1)'>a</a>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)></svg>",
    "<iframe src=x></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<object data=x></object>",
    "<embed src=x>",
    "<form action=x><button formaction=x>b</button></form>",
    "<base href='http://evil/'>",
    "<meta http-equiv='refresh' content='0;url=x'>",
    "<link rel=stylesheet href='http://evil/x.css'>",
    "<svg><a xlink:href='javascript:alert(1)'><text>t</text></a></svg>",
    "<svg><animate attributeName=href to='javascript:alert(1)'/></svg>",
    "<img src='data:text/html;base64,PHNjcmlwdD4='>",
    "<div style='background:url(http://evil/x)'>d</div>",
    "<math><maction actiontype=statusline xlink:href='javascript:alert(1)'>x</maction></math>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_clean_removes_every_active_part(payload):
    soup = BeautifulSoup(f"<html><head></head><body>{payload}</body></html>", "html.parser")
    clean(soup)
    for tag in soup.find_all(True):
        assert tag.name not in (
            "script",
            "iframe",
            "object",
            "embed",
            "form",
            "button",
            "base",
            "link",
            "animate",
        ), payload
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), payload
            assert attr not in ("srcdoc", "formaction"), payload
            assert "javascript" not in str(value).lower() and "evil" not in str(value), payload
        if tag.name == "meta":
            assert "refresh" not in str(tag.get("http-equiv", "")).lower()
    assert "data:text/html" not in str(soup)


def test_clean_keeps_harmless_content():
    html = (
        "<p><b>bold</b> <a href='https://example.org'>link</a> <a href='#x'>anchor</a>"
        "<img src='data:image/png;base64,iVBORw0KGgo=' alt='plot'></p>"
    )
    soup = BeautifulSoup(html, "html.parser")
    assert clean(soup) == 0
    assert soup.img["src"].startswith("data:image/png") and soup.find("a")["href"] == "https://example.org"


def test_finish_page_puts_policy_first_viewport_and_summary_on_top():
    page = finish_page(
        "<!DOCTYPE html><html><head><title>t</title><script src='http://cdn/x.js'></script>"
        "</head><body><p>student</p></body></html>",
        "<section id='grader-summary'>summary</section>",
        ["（说明）/ a note"],
    )
    soup = BeautifulSoup(page, "html.parser")
    first = soup.head.find("meta")
    assert first["http-equiv"] == "Content-Security-Policy" and first["content"] == CSP
    assert soup.head.find("meta", attrs={"name": "viewport"})["content"].startswith("width=device-width")
    assert soup.find("script") is None
    body = [t for t in soup.body.children if getattr(t, "name", None)]
    assert body[0]["id"] == "grader-summary" and "a note" in body[1].get_text()
    assert page.startswith("<!DOCTYPE html>")


def test_neutralize_drops_what_templates_print_unquoted():
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": 5}
    cell = nbformat.v4.new_code_cell("x")
    cell.metadata["tags"] = ["fine-tag", 'x" onmouseover="alert(1)']
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": "AA=="},
            metadata={"image/png": {"width": "1 onload=alert(1)", "height": 20}},
        )
    ]
    nb.cells.append(cell)
    notes = neutralize(nb)
    assert nb.metadata["language_info"] == {"name": "python"}
    assert cell.metadata["tags"] == ["fine-tag"]
    assert cell.outputs[0].metadata["image/png"] == {"height": 20}
    assert len(notes) == 3 and all(" / " in n for n in notes)
    assert neutralize(nb) == []  # nothing left to drop
