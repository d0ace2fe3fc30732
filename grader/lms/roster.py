"""Importing a class roster (``make roster CSV=...``): students' names and emails into the gradebook.

Every id and name is checked where it enters (:mod:`grader.ids`).
"""

import csv

from grader import messages as msg
from grader.ids import check_id, check_name, terminal

_ROSTER_FIELDS = ("id", "first_name", "last_name", "email")


def name_fields(first, last):
    """The gradebook's ``first_name`` and ``last_name`` of a student whose name is known in part.

    Formgrader shows a student as ``last_name, first_name`` and prints a
    missing one as ``None`` ("Zhang Wei, None"): once either part is known, the other
    is stored empty, never missing.  A student with no name keeps both missing.

    Parameters
    ----------
    first, last : str or None
        The parts known (``None`` or empty: not known).

    Returns
    -------
    tuple of (str or None, str or None)
        ``(first_name, last_name)`` to store.
    """
    if not first and not last:
        return None, None
    return first or "", last or ""


def import_roster(csv_path, db_url):
    """Add or update the students of a roster CSV in the gradebook.

    The CSV has the columns nbgrader's ``db student import`` reads:
    ``id,first_name,last_name,email`` (only ``id`` is required).  Every id
    goes through ``check_id`` and every name through ``check_name``; a
    rejected row is reported and skipped, the others are stored.

    Parameters
    ----------
    csv_path : str
        The roster file (UTF-8, a byte-order mark as Excel writes it is allowed).
    db_url : str
        The gradebook URL.

    Returns
    -------
    tuple of (list of str, list of str)
        The ids stored and the bilingual problems (already escaped for a
        terminal), one per rejected row.
    """
    from nbgrader.api import Gradebook

    stored, problems, rows = [], [], []
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "id" not in reader.fieldnames:
            return [], [f"{terminal(csv_path)}: " + msg.ROSTER_NO_ID.format(fields=",".join(_ROSTER_FIELDS))]
        for line, row in enumerate(reader, start=2):
            student_id = (row.get("id") or "").strip()
            reason = check_id(student_id)
            fields = {k: (row.get(k) or "").strip() or None for k in _ROSTER_FIELDS[1:]}
            if reason is None:
                reason = next(
                    (check_name(v) for v in fields.values() if v is not None and check_name(v)), None
                )
            if reason:
                problems.append(f"{terminal(csv_path)}:{line}: {reason}")
            else:
                rows.append((student_id, fields))
    with Gradebook(db_url) as gb:
        for student_id, fields in rows:
            fields["first_name"], fields["last_name"] = name_fields(fields["first_name"], fields["last_name"])
            gb.update_or_create_student(student_id, **fields)
            stored.append(student_id)
    return stored, problems


def roster_main(args):
    """``python -m grader roster CSV [--db URL]``: print what was imported; 1 if a row was rejected."""
    import sys

    from grader.config import db_url

    stored, problems = import_roster(args.csv, args.db or db_url())
    for problem in problems:
        print(problem, file=sys.stderr)
    print(msg.ROSTER_IMPORTED.format(count=len(stored)))
    return 1 if problems else 0
