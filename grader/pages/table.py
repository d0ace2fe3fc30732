"""Score tables read back from the gradebook."""

from nbgrader.api import Gradebook

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


def render(db_url, assignment):
    """A per-student, per-exercise text table of the scores."""
    grade_ids, table, max_points = scores(db_url, assignment)
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
        total = sum(row.get(g, 0) for g in grade_ids)
        lines.append(shown[student].ljust(width) + " | " + " | ".join(cells) + f" | {total:g}/{total_max:g}")
    return "\n".join(lines)
