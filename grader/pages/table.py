"""Score tables read back from the gradebook.

The gradebook keeps each exercise's score and, apart, the notebook's late penalty
(``SubmittedNotebook.late_submission_penalty``): nbgrader's own totals (formgrader's) are
before it, ``nbgrader export``'s ``score`` after it.  Every total shown here says which it is.
"""

from nbgrader.api import Gradebook

from grader import messages as msg
from grader.ids import terminal


def scores(db_url, assignment):
    """Return ``(grade_ids, {student: {grade_id: score}}, max_points)`` for the test cells.

    ``assignment`` is a ``grader.course.assignment.Assignment``; scores include manual grades.
    """
    notebook_id, assignment = assignment.notebook_id, assignment.id
    with Gradebook(db_url) as gb:
        nb = gb.find_notebook(notebook_id, assignment)
        grade_ids = [c.name for c in nb.grade_cells if c.cell_type == "code"]
        max_points = {c.name: c.max_score for c in nb.grade_cells}
        table = {}
        for sub in gb.assignment_submissions(assignment):
            snb = gb.find_submission_notebook(notebook_id, assignment, sub.student.id)
            table[sub.student.id] = {g.name: g.score for g in snb.grades}
    return grade_ids, table, max_points


def penalties(db_url, assignment):
    """Return ``{student: late penalty}`` (0 when on time) for every submission of ``assignment``.

    ``assignment`` is a ``grader.course.assignment.Assignment``.
    """
    notebook_id, assignment = assignment.notebook_id, assignment.id
    with Gradebook(db_url) as gb:
        return {
            sub.student.id: float(
                gb.find_submission_notebook(notebook_id, assignment, sub.student.id).late_submission_penalty
                or 0.0
            )
            for sub in gb.assignment_submissions(assignment)
        }


def after_penalty(raw, penalty):
    """The score a late penalty leaves of ``raw`` (never below 0, as ``nbgrader export``)."""
    return max(0.0, raw - penalty)


def render(db_url, assignment):
    """A per-student, per-exercise text table of the scores."""
    grade_ids, table, max_points = scores(db_url, assignment)
    late = {s: p for s, p in penalties(db_url, assignment).items() if p}
    exercise_of = {gid: exercise for exercise, gid in assignment.test_cells.items()}
    short = assignment.spec.short_names
    names = [short.get(exercise_of.get(g, g), exercise_of.get(g, g)) for g in grade_ids]
    total_max = sum(max_points[g] for g in grade_ids)
    # Ids come from students (folder names, LMS files): never let a terminal obey one.
    shown = {s: terminal(s) for s in table}
    width = max([len("student")] + [len(s) for s in shown.values()])
    head = "student".ljust(width) + " | " + " | ".join(names) + " | total"
    lines = [head, "-" * len(head)]
    points = (
        "max".ljust(width)
        + " | "
        + " | ".join(f"{max_points[g]:g}".rjust(len(n)) for g, n in zip(grade_ids, names))
        + f" | {total_max:g}"
    )
    lines.append(points)
    for student in sorted(table):
        row = table[student]
        cells = [f"{row.get(g, 0):g}".rjust(len(n)) for g, n in zip(grade_ids, names)]
        raw = sum(row.get(g, 0) for g in grade_ids)
        total = f"{after_penalty(raw, late.get(student, 0.0)):g}/{total_max:g}"
        if student in late:
            total += f" = {raw:g} − {late[student]:g}"
        lines.append(shown[student].ljust(width) + " | " + " | ".join(cells) + f" | {total}")
    if late:
        lines.append(msg.TABLE_TOTAL_AFTER_PENALTY)
    return "\n".join(lines)
