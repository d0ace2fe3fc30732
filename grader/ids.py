"""Student ids and the text made from them: validated where they enter, escaped where they leave.

A student id becomes a folder name (``submitted/<id>/``), a gradebook key, a
CSV cell and a line on the instructor's terminal.  It comes from places a
student controls in part (LMS file names, folder names, roster files), so

- ``check_id`` accepts only a small, safe character set (every entry point
  calls it: LMS collection, the runner's scan of ``submitted/``, the roster);
- ``csv_cell`` keeps a spreadsheet from reading a cell as a formula;
- ``terminal`` keeps a terminal from obeying escape sequences in a name.
"""

import re
import unicodedata

from grader import messages as msg

MAX_ID_LENGTH = 64


_ID_CHARS = re.compile(r"[A-Za-z0-9_.\-]+")


# Spreadsheets read a cell starting with one of these as a formula (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# Bidirectional controls reorder what a terminal shows ("Trojan Source"); shown escaped too.
_BIDI = (
    set("\u200e\u200f\u061c")
    | {chr(c) for c in range(0x202A, 0x202F)}
    | {chr(c) for c in range(0x2066, 0x206A)}
)


MAX_NAME_LENGTH = 200


def check_id(student_id):
    """Why ``student_id`` is not acceptable as a student id, or ``None`` when it is.

    Accepted: 1 to 64 ASCII letters, digits, ``_``, ``.`` and ``-``, not
    starting with ``.`` or ``-`` (hidden folders, command-line options) and
    without ``..``; ``=``, ``+`` and ``@`` (formula starts), path separators
    and control characters are outside the set.

    Parameters
    ----------
    student_id : str
        The candidate id, e.g. a folder name in ``submitted/`` or a login from
        an LMS file name.

    Returns
    -------
    str or None
        A bilingual reason (Chinese first) naming the problem, with the id
        shown through ``terminal``; ``None`` for an acceptable id.
    """
    if not isinstance(student_id, str):
        return msg.ID_NOT_TEXT.format(shown=terminal(repr(student_id)))
    shown = terminal(student_id)
    if not student_id:
        return msg.ID_EMPTY
    if len(student_id) > MAX_ID_LENGTH:
        return msg.ID_TOO_LONG.format(limit=MAX_ID_LENGTH, shown=shown[:80])
    if any(ch in "/\\" for ch in student_id) or ".." in student_id:
        return msg.ID_HAS_PATH.format(shown=shown)
    if any(unicodedata.category(ch) == "Cc" for ch in student_id):
        return msg.ID_HAS_CONTROL.format(shown=shown)
    if student_id[0] in ".=+-@":
        return msg.ID_BAD_START.format(first=student_id[0], shown=shown)
    if not _ID_CHARS.fullmatch(student_id):
        bad = "".join(sorted({ch for ch in student_id if not _ID_CHARS.fullmatch(ch)}))
        return msg.ID_BAD_CHARACTERS.format(bad=terminal(bad), shown=shown)
    return None


def csv_cell(value):
    """``value`` as it should be written into a CSV cell a spreadsheet may open.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading ``'`` so that spreadsheets show it as text instead of
    evaluating it (OWASP's advice on CSV injection).  Numbers and other
    non-text values are returned unchanged, so a score stays a number.

    Parameters
    ----------
    value : object
        The cell's value.

    Returns
    -------
    object
        The escaped text, or ``value`` itself when it is not text.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def terminal(text):
    """``text`` made safe to print on a terminal.

    Control characters (C0, DEL, C1: ESC and with it every ANSI escape
    sequence), line and paragraph separators, bidirectional controls and lone
    surrogates are shown escaped (``\\x1b``, ``\\u202e``); a backslash is
    doubled so an escape shown cannot be confused with one typed.  Printable
    Unicode, Chinese included, is kept.

    Parameters
    ----------
    text : object
        Untrusted text (a student id, a file name in a download); anything
        else is converted with ``str`` first.

    Returns
    -------
    str
        Text without any character a terminal would act on.
    """
    out = []
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def check_name(name):
    """Why ``name`` (a first or last name, an email) cannot be stored, or ``None``.

    Names are free text (Chinese included) but must be printable and at most
    200 characters: they are shown in formgrader and exported to CSV.

    Parameters
    ----------
    name : str
        The name as found in an LMS download or a roster.

    Returns
    -------
    str or None
        A bilingual reason, or ``None`` when the name can be stored.
    """
    if len(name) > MAX_NAME_LENGTH:
        return msg.NAME_TOO_LONG.format(limit=MAX_NAME_LENGTH)
    if terminal(name) != name.replace("\\", "\\\\"):
        return msg.NAME_HAS_CONTROL.format(shown=terminal(name))
    return None
