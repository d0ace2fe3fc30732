"""``make report``: the class report, ``reports/<id>.html`` with PNG figures.

Scores come from the gradebook (so manual overrides count); reasons, notes
and timings from the grading reports written beside each autograded
submission.  The reasons are built from the verdicts' typed failures
(``kind``, ``variable``), never from their messages, so rewording a message
changes no count.  Shows the score histogram, the pass rate per exercise,
the most common failure reasons per exercise, the submissions that could
not be graded and why, and the grading time.  Totals are after the late penalty (as
``grades.csv``'s ``score``), and the page says so with the figures before it.  The page is self-contained
(no script, no network) and fits screens from 400 to 1280 px.
"""

import collections
import csv
import html
import os

from grader import messages as msg
from grader.ids import csv_cell
from grader.pipeline.report_file import GradingReport, RunSummary

TOP_REASONS = 3

# Failure kinds of a wrong result, as the reason's words.
WRONG = {
    "type": "wrong type",
    "shape": "wrong shape",
    "keys": "wrong keys",
    "length": "wrong length",
    "values": "wrong values",
    "dtype": "wrong dtype",
}

CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
STYLE = """body { font-family: sans-serif; max-width: 1000px; margin: 1em auto; padding: 0 8px;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
td, th { border: 1px solid #999; padding: 4px 8px; vertical-align: top; word-break: break-word; }
th:nth-child(1) { width: 34%; } th:nth-child(2) { width: 16%; }
.figures { display: flex; flex-wrap: wrap; gap: 8px; }
.figures img { flex: 1 1 300px; max-width: 100%; min-width: 0; height: auto; }
img { max-width: 100%; height: auto; }
@media (max-width: 600px) { td, th { padding: 2px 4px; font-size: 13px; } }"""


def failure_reason(failure):
    """A short, countable English reason for one typed failure.

    Parameters
    ----------
    failure : grader.pipeline.judge.Failure
        For ``kind == "raised"`` the ``variable`` holds the exception's type
        name, for ``"not_graded"`` the short reason (e.g. ``kernel died``).

    Returns
    -------
    str
        E.g. ``grads['dW1']: wrong values``, ``raised ValueError``,
        ``not graded: kernel died``.
    """
    kind, variable = failure.kind, failure.variable
    if kind in WRONG:
        return f"{variable or 'result'}: {WRONG[kind]}"
    if kind == "raised":
        return f"raised {variable or 'an exception'}"
    if kind == "unusable":
        return "unusable return value"
    if kind == "no_result":
        return "no result"
    if kind == "not_graded":
        return f"not graded: {variable or 'unknown reason'}"
    return kind or "failed"


def reasons_of(verdict):
    """The distinct reasons why a verdict (``grader.pipeline.judge.Verdict``) lost points.

    Empty when it has full marks.  A verdict that lost points without a typed
    failure counts as ``failed`` (``not graded`` when its status says so).
    """
    if verdict.status != "not_graded" and verdict.score >= verdict.points:
        return []
    if not verdict.failures:
        return ["not graded" if verdict.status == "not_graded" else "failed"]
    reasons = []
    for failure in verdict.failures:
        reason = failure_reason(failure)
        if reason not in reasons:
            reasons.append(reason)
    return reasons


def summarize(scores, reports, max_points, test_cells, penalties=None):
    """The class's numbers, from the gradebook's scores and the grading reports.

    Parameters
    ----------
    scores : dict
        ``{student: {grade_id: score}}`` from the gradebook.
    reports : dict
        ``{student: grader.pipeline.report_file.GradingReport}``
        (see ``GradingReport.load_all``).
    max_points : dict
        ``{grade_id: points}``.
    test_cells : dict
        ``{exercise: test grade id}``, in the assignment's order.
    penalties : dict, optional
        ``{student: late penalty}`` from the gradebook (``grader.pages.table.penalties``).

    Returns
    -------
    dict
        ``students``, ``totals`` (after the late penalty), ``raw_totals`` (before it),
        ``penalties`` (the late students' only), ``passed`` (per exercise), ``reasons``
        (per exercise, a Counter of students per reason), ``ungradable``
        (student -> notes), ``seconds``, ``exercises``, ``max_total``.
    """
    exercises = [e for e, gid in test_cells.items() if gid in max_points]
    students = sorted(set(scores) | set(reports))
    from grader.pages.table import after_penalty

    raw_totals = {s: sum(scores.get(s, {}).get(test_cells[e], 0) or 0 for e in exercises) for s in students}
    late = {s: p for s, p in (penalties or {}).items() if p and s in raw_totals}
    totals = {s: after_penalty(raw, late.get(s, 0.0)) for s, raw in raw_totals.items()}
    passed = {
        e: sum(
            1 for s in students if (scores.get(s, {}).get(test_cells[e]) or 0) >= max_points[test_cells[e]]
        )
        for e in exercises
    }
    reasons = {e: collections.Counter() for e in exercises}
    for student, report in reports.items():
        for verdict in report.verdicts.values():
            if verdict.exercise not in reasons:
                continue
            given = scores.get(student, {}).get(test_cells[verdict.exercise])
            if given is not None and given >= max_points[test_cells[verdict.exercise]]:
                continue  # full marks in the gradebook (a manual grade): nothing to explain
            reasons[verdict.exercise].update(reasons_of(verdict))
    ungradable = {s: list(r.notes) for s, r in reports.items() if not r.gradable}
    seconds = [r.seconds for r in reports.values() if r.seconds is not None]
    return {
        "students": students,
        "totals": totals,
        "raw_totals": raw_totals,
        "penalties": late,
        "passed": passed,
        "reasons": reasons,
        "ungradable": ungradable,
        "seconds": seconds,
        "exercises": exercises,
        "max_total": sum(max_points[test_cells[e]] for e in exercises),
    }


def _figures(summary, folder, assignment):
    """Draw the score histogram, the pass rates and the grading times; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    os.makedirs(folder, exist_ok=True)
    files = {}
    n = max(len(summary["students"]), 1)

    fig, ax = plt.subplots(figsize=(6, 3.2))
    bins = [x - 0.5 for x in range(int(summary["max_total"]) + 2)]
    ax.hist(list(summary["totals"].values()), bins=bins, color="#4c72b0", edgecolor="white")
    ax.set_xlabel("total score (after the late penalty)" if summary.get("penalties") else "total score")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Score histogram")
    files["histogram"] = _save(fig, folder, f"{assignment}_scores.png")

    fig, ax = plt.subplots(figsize=(6, 3.2))
    names = list(summary["exercises"])
    rates = [100 * summary["passed"][e] / n for e in summary["exercises"]]
    ax.barh(names[::-1], rates[::-1], color="#55a868")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of students with full marks")
    ax.set_title("Pass rate per exercise")
    files["pass_rate"] = _save(fig, folder, f"{assignment}_pass_rate.png")

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(summary["seconds"] or [0], bins=20, color="#c44e52", edgecolor="white")
    ax.set_xlabel("seconds per submission")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Grading time")
    files["time"] = _save(fig, folder, f"{assignment}_grading_time.png")
    return files


def _save(fig, folder, name):
    """Save and close a figure; return its file name."""
    fig.tight_layout()
    fig.savefig(os.path.join(folder, name), dpi=90)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return name


def render(summary, files, assignment, timing):
    """The class report's HTML from :func:`summarize`'s numbers (every text escaped).

    Parameters
    ----------
    summary : dict
        :func:`summarize`'s result.
    files : dict
        Figure file names: ``histogram``, ``pass_rate``, ``time`` (relative to the page).
    assignment : str
    timing : str
        The grading-time sentence.
    """
    esc = html.escape
    n = len(summary["students"])
    reason_rows = "".join(
        f"<tr><td><code>{esc(e)}</code></td><td>{summary['passed'][e]}/{n}</td><td>"
        + ("<br>".join(f"{esc(r)} ({c})" for r, c in summary["reasons"][e].most_common(TOP_REASONS)) or "—")
        + "</td></tr>"
        for e in summary["exercises"]
    )
    ungradable = (
        "".join(
            f"<li><b>{esc(s)}</b>: {esc('; '.join(map(str, notes)))}</li>"
            for s, notes in sorted(summary["ungradable"].items())
        )
        or f"<li>{msg.NONE}</li>"
    )
    totals = list(summary["totals"].values())
    mean = sum(totals) / len(totals) if totals else 0
    late = summary.get("penalties") or {}
    penalty_note = ""
    if late:
        raw = list(summary["raw_totals"].values())
        penalty_note = "<p>" + msg.MEAN_AFTER_PENALTY.format(late=len(late), raw_mean=sum(raw) / len(raw))
        penalty_note += "</p><ul>" + "".join(
            f"<li><b>{esc(s)}</b>: {msg.LATE_BREAKDOWN.format(raw=summary['raw_totals'][s], penalty=p, final=summary['totals'][s])}</li>"
            for s, p in sorted(late.items())
        )
        penalty_note += "</ul>"
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(assignment)} class report</title>
<style>{STYLE}</style></head><body>
<h1>{msg.CLASS_REPORT}: {esc(assignment)}</h1>
<p>{n} {msg.STUDENTS}; {msg.MEAN_SCORE} {mean:.2f} / {summary["max_total"]:g}</p>
{penalty_note}
<h2>{msg.SCORES_AND_PASS_RATES}</h2>
<div class="figures"><img src="{esc(files["histogram"])}" alt="score histogram">
<img src="{esc(files["pass_rate"])}" alt="pass rate per exercise"></div>
<h2>{msg.COMMON_FAILURES}</h2>
<table><tr><th>{msg.EXERCISE}</th><th>{msg.FULL_MARKS}</th><th>{msg.COMMON_REASONS}</th></tr>
{reason_rows}</table>
<h2>{msg.UNGRADABLE_SUBMISSIONS}</h2><ul>{ungradable}</ul>
<h2>{msg.GRADING_TIME}</h2><p>{esc(timing)}</p>
<div class="figures"><img src="{esc(files["time"])}" alt="grading time"></div>
</body></html>"""


def _timing(seconds, run):
    """The grading-time sentence; ``run``: the last run's ``RunSummary``, or None."""
    timing = (
        f"{len(seconds)} submissions, {sum(seconds):.1f} s of worker time, mean "
        f"{sum(seconds) / len(seconds):.2f} s, max {max(seconds):.2f} s"
        if seconds
        else "no timing"
    )
    if run is not None:
        timing += (
            f"; last run: {run.submissions} submissions in {run.wall_seconds:.1f} s "
            f"wall time with {run.workers or run.scheduler} workers"
        )
    return timing


def write(db_url, autograded, out_dir, assignment):
    """Write ``<out_dir>/<id>.html`` and its figures; return the page's path.

    ``assignment`` is a ``grader.course.assignment.Assignment`` (or its id).
    """
    from grader.pages import table
    from grader.pages.feedback import load_assignment

    assignment = load_assignment(assignment) if isinstance(assignment, str) else assignment
    _, scores, max_points = table.scores(db_url, assignment)
    reports = GradingReport.load_all(autograded, assignment.id)
    summary = summarize(
        scores, reports, max_points, dict(assignment.test_cells), table.penalties(db_url, assignment)
    )
    files = _figures(summary, out_dir, assignment.id)
    run = RunSummary.load(autograded, assignment.id)
    path = os.path.join(out_dir, f"{assignment.id}.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(summary, files, assignment.id, _timing(summary["seconds"], run)))
    return path


# The totals' columns, named as ``nbgrader export`` names them in grades.csv: the score before
# the late penalty, the penalty, the score after it, the maximum.
TOTAL_COLUMNS = ["raw_score", "late_submission_penalty", "score", "max_score"]


def write_exercise_csv(db_url, path, assignment):
    """``grades_by_exercise.csv``: one row per student, one column per exercise, and the totals.

    The totals are :data:`TOTAL_COLUMNS`: ``raw_score`` (the exercises' sum, before the late
    penalty), ``late_submission_penalty``, ``score`` (after it) and ``max_score``, as in
    ``grades.csv``.
    """
    from grader.pages import table

    grade_ids, scores, max_points = table.scores(db_url, assignment)
    late = table.penalties(db_url, assignment)
    exercise_of = {gid: exercise for exercise, gid in assignment.test_cells.items()}
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student"] + [exercise_of.get(g, g) for g in grade_ids] + TOTAL_COLUMNS)
        for student in sorted(scores):
            row = [scores[student].get(g, 0) for g in grade_ids]
            raw, penalty = sum(row), late.get(student, 0.0)
            writer.writerow(
                [csv_cell(student)]
                + [f"{v:g}" for v in row]
                + [
                    f"{raw:g}",
                    f"{penalty:g}",
                    f"{table.after_penalty(raw, penalty):g}",
                    f"{sum(max_points[g] for g in grade_ids):g}",
                ]
            )
    return path
