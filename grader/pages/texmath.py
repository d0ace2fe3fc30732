"""TeX formulas typeset at generation time as MathML, so pages need no network and no script.

nbconvert leaves the formulas of markdown cells (and ``text/latex`` outputs)
as TeX text for MathJax, which its template loads from a CDN; offline, the
student reads raw TeX.  Here every formula in the page's text becomes
MathML (``latex2mathml``), which browsers render natively; a formula that
cannot be converted stays visible as TeX, marked ``tex-raw``.

This runs after the page was sanitized, so what it adds must be safe by
itself: the TeX's text is escaped (latex2mathml's own ``convert`` copies
``\\text{<meta ...>}`` into its output as markup) and the MathML is sanitized
(:func:`safe_mathml`): only MathML elements, a short list of attributes with
plain values, everything else shown as text.
"""

import re

from bs4 import BeautifulSoup, NavigableString

# Display forms first, so that "$$x$$" is not read as two inline "$...$".
_MATH = re.compile(
    r"\$\$(?P<dd>.+?)\$\$"
    r"|\\\[(?P<bracket>.+?)\\\]"
    r"|(?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.+?\\end\{(?P=name)\})"
    r"|\\\((?P<paren>.+?)\\\)"
    r"|(?<![\\$\w])\$(?P<d>[^\s$](?:[^$]|\\\$)*?)(?<![\s\\])\$(?!\w)",
    re.S,
)
_SKIP = {"script", "style", "pre", "code", "math", "textarea", "title"}
# Presentation MathML, as latex2mathml writes it (no annotation-xml, which may hold HTML; no
# maction, semantics or links).
_MATHML_ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace mfrac msqrt mroot mstyle merror mpadded mphantom "
    "mfenced menclose msub msup msubsup munder mover munderover mmultiscripts mprescripts none "
    "mtable mtr mtd mlabeledtr".split()
)
_MATHML_ATTRIBUTES = frozenset(
    "accent accentunder align close columnalign columnlines columnspacing columnspan denomalign "
    "depth display displaystyle fence form frame height largeop linebreak linethickness lspace "
    "mathbackground mathcolor mathsize mathvariant maxsize minsize movablelimits notation "
    "numalign open rowalign rowlines rownumber rowspacing rowspan rspace scriptlevel separator "
    "separators stretchy symmetric width".split()
)
_MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
_CHARACTER_REFERENCE = re.compile(r"&amp;(#x[0-9A-Fa-f]{1,6};|#[0-9]{1,7};)")
# Keywords, lengths and colours: what these attributes take, and nothing a browser runs or loads.
_PLAIN_VALUE = re.compile(r"[#\w.%+\- ]{0,40}\Z", re.A)
_ALIGN_ENVS = {"align", "align*", "eqnarray", "eqnarray*", "gather", "gather*"}


def to_mathml(tex, display):
    """MathML (a string, see :func:`safe_mathml`) for one TeX formula; ``ValueError`` if it cannot be converted."""
    from xml.etree.ElementTree import tostring

    from latex2mathml.converter import convert_to_element

    try:
        element = convert_to_element(tex.strip(), display="block" if display else "inline")
        # Not latex2mathml's ``convert``: it unescapes the whole serialization, so the text of
        # ``\\text{<meta ...>}`` came out as markup.  Only the character references it writes
        # as text (``&#x003C3;``) are to become references again.
        markup = _CHARACTER_REFERENCE.sub(r"&\1", tostring(element, encoding="unicode"))
    except Exception as exc:  # latex2mathml raises many kinds on unknown input
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    return safe_mathml(markup)


def safe_mathml(markup):
    """``markup`` (latex2mathml's output) with only MathML left in it.

    An element that is not MathML (none is expected: :func:`to_mathml` escapes the text) is
    replaced by its markup as text; an
    attribute outside a short list, or with a value that is not a keyword, a length or a
    colour (``href``, ``style``, event handlers), is dropped; ``xmlns`` is kept only as
    the MathML namespace on ``math``.

    Returns
    -------
    str
    """
    fragment = BeautifulSoup(markup, "html.parser")
    for element in list(fragment.find_all(True)):
        if element.decomposed or element.parent is None:
            continue
        if element.name not in _MATHML_ELEMENTS:
            element.replace_with(NavigableString(str(element)))
            continue
        for name, value in list(element.attrs.items()):
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name == "xmlns" and element.name == "math" and value == _MATHML_NAMESPACE:
                continue
            if name not in _MATHML_ATTRIBUTES or not _PLAIN_VALUE.match(value):
                del element[name]
    for node in list(fragment.find_all(string=True)):
        if type(node) is not NavigableString:  # comments, CDATA, declarations: not text to show
            node.extract()
    return str(fragment)


def _env_tex(env):
    # latex2mathml knows "aligned" (inside a formula) but not the top-level align/gather.
    m = re.match(r"\\begin\{([A-Za-z]+\*?)\}(.*)\\end\{\1\}\Z", env, re.S)
    name, body = m.group(1), m.group(2)
    if name in _ALIGN_ENVS:
        return r"\begin{aligned}" + body + r"\end{aligned}"
    if name in ("equation", "equation*", "displaymath"):
        return body
    return env


def _pieces(text):
    """Split ``text`` into ``(is_math, tex_or_text, display)`` pieces."""
    out, at = [], 0
    for m in _MATH.finditer(text):
        if m.start() > at:
            out.append((False, text[at : m.start()], False))
        if m.group("dd") is not None:
            out.append((True, m.group("dd"), True))
        elif m.group("bracket") is not None:
            out.append((True, m.group("bracket"), True))
        elif m.group("env") is not None:
            out.append((True, _env_tex(m.group("env")), True))
        elif m.group("paren") is not None:
            out.append((True, m.group("paren"), False))
        else:
            out.append((True, m.group("d"), False))
        at = m.end()
    if at < len(text):
        out.append((False, text[at:], False))
    return out


def typeset(soup, roots):
    """Replace the TeX in the text below each element of ``roots`` with MathML, in place.

    Parameters
    ----------
    soup : bs4.BeautifulSoup
        The page.
    roots : iterable of bs4.Tag
        The elements whose text may hold formulas (rendered markdown, LaTeX outputs).

    Returns
    -------
    tuple of (int, list of str)
        How many formulas were typeset, and the TeX of those that could not be.
    """
    done, failed = 0, []
    for root in roots:
        for node in list(root.find_all(string=True)):
            if not isinstance(node, NavigableString) or type(node) is not NavigableString:
                continue  # comments, CDATA, doctype
            if any(parent.name in _SKIP for parent in node.parents):
                continue
            pieces = _pieces(str(node))
            if not any(is_math for is_math, _, _ in pieces):
                continue
            new = []
            for is_math, text, display in pieces:
                if not is_math:
                    new.append(NavigableString(text))
                    continue
                try:
                    fragment = BeautifulSoup(to_mathml(text, display), "html.parser")
                    new.extend(list(fragment.contents))
                    done += 1
                except ValueError:
                    failed.append(text)
                    code = soup.new_tag("code", attrs={"class": "tex-raw"})
                    code.string = ("$$%s$$" if display else "$%s$") % text
                    new.append(code)
            for piece in new:
                node.insert_before(piece)
            node.extract()
    return done, failed
