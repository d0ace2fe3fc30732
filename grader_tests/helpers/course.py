"""The course's first assignment as the tests use it: its helper modules and sample classes.

The helper modules (``checks``, ``planar_utils``, ``testCases``, and
``selfcheck_core``, which every assignment's checks share) are the ones the
grader loads, by path and for this assignment alone
(``grader.course.assignment.load_helpers``): no test puts ``utils/`` on ``sys.path``.
"""

import os

from sqlalchemy import create_engine, text

from grader.course import submissions
from grader.course.assignment import load

L1W3 = load("L1W3")
checks = L1W3.helpers["checks"]
selfcheck_core = L1W3.helpers["selfcheck_core"]
planar_utils = L1W3.helpers["planar_utils"]
testCases = L1W3.helpers["testCases"]


def star(module):
    """What ``from module import *`` binds: ``__all__``, else the public names."""
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    return {name: getattr(module, name) for name in names}


def paragraphs(message):
    """A self-check's message with each wrapped line joined again (``checks.fit`` continues with two spaces).

    Returns
    -------
    list of str
        One entry per line as it was before wrapping: the Chinese header, the English one, ...
    """
    out = []
    for line in message.splitlines():
        indent = out[-1][: len(out[-1]) - len(out[-1].lstrip(" "))] if out else ""
        if out and line.startswith(indent + "  ") and not line.startswith(indent + "   "):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return out


# Single bugs on different exercises: (exercise, text in the reference, replacement).
BUGS = {
    "bug_predict": ("func_predict", "np.round(A2)", "np.round(A2 + 0.1)"),
    "bug_cost": ("func_compute_cost", "cost = -1 / m", "cost = 1 / m"),
    "bug_layer_sizes": ("func_layer_sizes", "n_y = Y.shape[0]", "n_y = 1"),
}


def six_submissions(root):
    """Write ``root/submitted``: the demo's three students and one per bug of :data:`BUGS`; return it."""
    submitted = os.path.join(root, "submitted")
    submissions.demo(L1W3, submitted)
    sources = L1W3.solution_sources
    for student, (exercise, old, new) in BUGS.items():
        submissions.write(
            submissions.fill(L1W3, dict(sources, **{exercise: sources[exercise].replace(old, new)})),
            student,
            submitted,
            L1W3,
        )
    return submitted


ROWS = text("""
    SELECT st.id, bc.name, g.auto_score, g.needs_manual_grade
    FROM grade g
    JOIN submitted_notebook sn ON g.notebook_id = sn.id
    JOIN submitted_assignment sa ON sn.assignment_id = sa.id
    JOIN student st ON sa.student_id = st.id
    JOIN base_cell bc ON g.cell_id = bc.id
    ORDER BY st.id, bc.name""")
COUNTS = ("student", "submitted_assignment", "submitted_notebook", "grade", "comment")


def dump(db_url):
    """``(grade rows, row counts per table)`` of a gradebook, for comparing two gradebooks."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(ROWS)]
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in COUNTS}
    engine.dispose()
    return rows, counts
