"""Feedback pages through nbgrader's own ``generate_feedback``, with the course's summary on top.

``nbgrader_config.py`` adds :class:`CourseSummary` to
``GenerateFeedback.preprocessors`` (after nbgrader's ``GetGrades`` and
nbconvert's ``SanitizeHTML``) and sets the exporter to
:class:`grader.nbgrader_ext.feedback.FeedbackPage`.  So every path writes the same
page: ``nbgrader generate_feedback <id>`` with or without ``--force``,
formgrader's "Generate Feedback" button, and ``python -m grader feedback``
(which runs ``nbgrader generate_feedback <id> --force`` after computing the
feedback extras in parallel).

The summary shows, per exercise, the score **from the gradebook** (so a
manual grade counts, and is labelled ``messages.GRADED_BY_HAND``, with a link to its cell),
the instructor's comments entered in formgrader's Manual Grading (each with a link to
its cell further down the page), what failed
and why (from the grading report beside the autograded submission), the notes
on the submission, and the assignment's feedback extra, if its spec has one
(a plot of the student's model beside the reference one, say).

Stale pages: ``GenerateFeedback.force`` is on in ``nbgrader_config.py``, so
``generate_feedback`` always rewrites a page from the current gradebook (stock
nbgrader skips a page whose autograded folder is unchanged, which kept a page
written before a manual grade).  Rewriting is cheap: the extra, which runs the
student's model, is cached beside the grading report and keyed by the
autograded notebook's bytes and the extra's probe.
"""

import concurrent.futures
import glob
import html
import os
import subprocess
import sys

from grader import ROOT
from grader import messages as msg
from grader.environment import tool_env
from grader.limits import ENVIRONMENT, Limits
from grader.pages.extras import extra_answer, extra_html, feedback_extra
from grader.pipeline.report_file import GradingReport

SUMMARY_ID = "grader-summary"


SUMMARY_CSS = """
#grader-summary { font-family: sans-serif; max-width: 1000px; margin: 1em auto; padding: 1em;
  border: 2px solid #888; border-radius: 8px; background: #fafafa; box-sizing: border-box; }
#grader-summary table { border-collapse: collapse; width: 100%; table-layout: fixed; display: table; }
#grader-summary th, #grader-summary td { border: 1px solid #999; padding: 4px 6px; vertical-align: top;
  overflow-wrap: anywhere; word-break: break-word; }
#grader-summary th:nth-child(1) { width: 28%; } #grader-summary th:nth-child(2) { width: 16%; }
#grader-summary pre { white-space: pre-wrap; margin: 0; font-size: 12px; background: none; border: 0; padding: 0; }
#grader-summary tr.ok td:nth-child(2) { background: #e8f5e9; }
#grader-summary tr.fail td:nth-child(2) { background: #fdecea; }
#grader-summary .by-hand { display: inline-block; background: #fff3cd; border: 1px solid #d4a200;
  border-radius: 4px; padding: 0 4px; font-size: 12px; }
#grader-summary .manual-comment { background: #fff8e1; border-left: 4px solid #d4a200; padding: 4px 6px;
  margin-bottom: 6px; }
#grader-summary .manual-comment pre { font-size: 14px; margin-top: 2px; }
#grader-summary img { max-width: 100%; height: auto; }
#grader-summary h2 { font-size: 1.6em; }
@media (max-width: 600px) {
  #grader-summary { padding: 0.4em; }
  #grader-summary h2 { font-size: 1.25em; }
  #grader-summary table, #grader-summary tbody, #grader-summary tr, #grader-summary td { display: block; width: auto; }
  #grader-summary tr:first-child { display: none; }
  #grader-summary tr { border: 1px solid #999; margin-bottom: 6px; }
  #grader-summary td { border: 0; }
}
"""


def load_assignment(assignment_id):
    """The assignment of that id (``grader.course.assignment.load``, loaded once per process)."""
    from grader.course.assignment import load

    return load(assignment_id)


def gradebook_rows(db_url, notebook_id, assignment_id, student):
    """The student's grades, late penalty and the instructor's comments, from the gradebook.

    Returns
    -------
    tuple
        ``({grade_id: (score, max_score, auto_score, manual_score)}, late_penalty,
        {cell name: manual comment})``; the comments are those entered in formgrader's Manual
        Grading (on a solution or task cell), empty ones left out.
    """
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        nb = gb.find_submission_notebook(notebook_id, assignment_id, student)
        rows = {g.name: (g.score, g.max_score, g.auto_score, g.manual_score) for g in nb.grades}
        comments = {c.name: c.manual_comment for c in nb.comments if (c.manual_comment or "").strip()}
        return rows, nb.late_submission_penalty or 0.0, comments


def _comment_html(name, comment):
    """The instructor's comment on cell ``name``, with a link to it in the notebook below.

    nbgrader's feedback template anchors a solution or task cell as ``comment-<grade id>``.
    """
    return (
        f'<div class="manual-comment"><b>{msg.INSTRUCTOR_COMMENT}</b> '
        f'<a href="#comment-{html.escape(name)}">{msg.SEE_THE_CELL}</a>'
        f"<pre>{html.escape(comment.strip())}</pre></div>"
    )


def _result_html(verdict):
    """The result cell of one exercise's row: a ``grader.pipeline.judge.Verdict``, or None."""
    if verdict is None:
        return "<pre>—</pre>"
    if verdict.failures:
        items = "".join(
            f"<li><b>{html.escape(f.case)}</b> {html.escape(f.message)}</li>" for f in verdict.failures
        )
        head = verdict.message.splitlines()[:1]
        return f"<pre>{html.escape(head[0] if head else '')}</pre><ul>{items}</ul>"
    return f"<pre>{html.escape(verdict.message)}</pre>"


def summary_html(resources, extra_notes=(), log=None, limits=None):
    """The summary's HTML for the student named in ``resources["nbgrader"]``; never raises.

    ``resources`` are nbgrader's (``GetGrades`` filled them in); ``log``: where to report
    an assignment that cannot be loaded; ``limits``: the feedback extra's sandbox limits
    (default: :meth:`grader.limits.Limits.load`).
    """
    info = resources.get("nbgrader") or {}
    student, assignment_id = str(info.get("student", "?")), str(info.get("assignment", ""))
    notes = list(extra_notes)
    try:
        assignment = load_assignment(assignment_id)
    except Exception as exc:
        if log is not None:
            log.error("feedback: cannot load assignment %s: %r", assignment_id, exc)
        assignment = None
    folder = (resources.get("metadata") or {}).get("path") or ""
    nb_path = os.path.join(folder, f"{info.get('notebook', '')}.ipynb")
    # ``folder`` is autograded/<student>/<assignment>: the report is kept in autograded/<student>/.
    report = GradingReport.find(
        os.path.dirname(os.path.dirname(os.path.abspath(folder))), student, assignment_id
    )
    if report is None:
        notes.append(msg.NO_GRADING_REPORT)
    rows, penalty, comments = {}, 0.0, {}
    try:
        rows, penalty, comments = gradebook_rows(info["db_url"], info["notebook"], assignment_id, student)
    except Exception as exc:
        notes.append(msg.NO_GRADES_IN_GRADEBOOK.format(error=type(exc).__name__))
    notes += report.notes if report is not None else []
    verdicts = report.verdicts if report is not None else {}
    order = list(assignment.exercises) if assignment else []
    test_cells = dict(assignment.test_cells) if assignment else {}
    exercise_of = {gid: ex for ex, gid in test_cells.items()}
    grade_ids = [test_cells[e] for e in order if e in test_cells]
    grade_ids += sorted(g for g in rows if g not in grade_ids)
    table, total, maximum = [], 0.0, 0.0
    for gid in grade_ids:
        verdict = verdicts.get(gid)
        if gid in rows:
            score, points, auto, manual = rows[gid]
        elif verdict is not None:
            score = points = None
            auto, manual = verdict.score, None
        else:
            continue
        score = float(score or 0.0) if score is not None else 0.0
        points = float(points if points is not None else (verdict.points if verdict is not None else 0.0))
        total += score
        maximum += points
        by_hand = ""
        if manual is not None:
            by_hand = (
                f'<br><span class="by-hand">{msg.GRADED_BY_HAND}</span>'
                f"<br><small>{msg.AUTOGRADED}: {float(auto or 0):g}</small>"
                f'<br><small><a href="#{html.escape(gid)}">{msg.SEE_THE_CELL}</a></small>'
            )
        name = exercise_of.get(gid, gid)
        # The comment on the exercise's solution cell (named as the exercise), or on the cell itself.
        said = "".join(_comment_html(c, comments.pop(c)) for c in dict.fromkeys((name, gid)) if c in comments)
        table.append(
            f'<tr class="{"ok" if score >= points else "fail"}">'
            f"<td><code>{html.escape(name)}</code></td>"
            f"<td>{score:g} / {points:g}{by_hand}</td><td>{said}{_result_html(verdict)}</td></tr>"
        )
    if "score" in info and info.get("score") is not None:
        total = float(info["score"])
        penalty = float(info.get("late_penalty") or 0.0)
    else:
        total -= penalty
    # The heading's total is after the penalty (as grades.csv's score); this line says so.
    late = (
        f'<p class="late">{msg.LATE_BREAKDOWN.format(raw=total + penalty, penalty=penalty, final=total)}</p>'
        if penalty
        else ""
    )
    # Comments on cells of no exercise (a task, a cell the assignment added), after the table.
    other_comments = "".join(_comment_html(name, comment) for name, comment in sorted(comments.items()))
    notes_html = (
        f"<h3>{msg.NOTES_ON_SUBMISSION}</h3><ul>"
        + "".join(f"<li>{html.escape(n)}</li>" for n in notes if n)
        + "</ul>"
        if any(notes)
        else ""
    )
    extra = extra_html(nb_path, assignment, limits) if assignment else ""
    return f"""<style>{SUMMARY_CSS}</style>
<section id="{SUMMARY_ID}" lang="zh">
<h2>{msg.GRADING_SUMMARY}: {html.escape(student)} — {total:g} / {maximum:g}</h2>
<p>{msg.SUMMARY_INTRO.zh}<br>
{msg.SUMMARY_INTRO.en}</p>
{late}
<table>
<tr><th>{msg.EXERCISE}</th><th>{msg.SCORE}</th><th>{msg.RESULT}</th></tr>
{"".join(table)}
</table>
{other_comments}
{notes_html}
{extra}
</section>
"""


# --- python -m grader feedback ----------------------------------------------------------------


def _warm(args):
    nb_path, assignment_id, limits = args
    try:
        return extra_answer(nb_path, load_assignment(assignment_id), limits)[0]
    except Exception as exc:  # the page will say what is missing
        return f"error {type(exc).__name__}"


def generate(autograded, feedback_dir, db_url, workers=None, limits=None, assignment=None):
    """Write ``feedback/<student>/<id>/<notebook>.html`` for every autograded student.

    ``assignment`` is a ``grader.course.assignment.Assignment`` or its id.  Computes
    the feedback extras in parallel (they are cached), then runs
    ``nbgrader generate_feedback <id> --force``: the same command an
    instructor or formgrader runs, so the pages are the same.  The extras run
    with ``limits`` (default: :meth:`grader.limits.Limits.load`), here and in
    nbgrader's run alike.

    Returns
    -------
    list of str
        The pages written.

    Raises
    ------
    subprocess.CalledProcessError
        When nbgrader itself fails (a broken grader, not a broken notebook).
    """
    spec = load_assignment(assignment) if isinstance(assignment, str) else assignment
    assignment = spec.id
    notebooks = sorted(glob.glob(os.path.join(autograded, "*", assignment, spec.notebook)))
    # One set of limits for the extras computed here and any that nbgrader's run computes:
    # all of them in GRADER_LIMITS, which wins over the config that run reads.
    limits = limits or Limits.load()
    env = {ENVIRONMENT: ",".join(limits.as_items())}
    if notebooks and feedback_extra(spec) is not None:
        tasks = [(p, assignment, limits) for p in notebooks]
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            list(pool.map(_warm, tasks))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "generate_feedback",
            assignment,
            "--force",
            "--log-level=WARN",
            f"--CourseDirectory.autograded_directory={os.path.abspath(autograded)}",
            f"--CourseDirectory.feedback_directory={os.path.abspath(feedback_dir)}",
            f"--CourseDirectory.db_url={db_url}",
        ],
        cwd=ROOT,
        check=True,
        env=tool_env(**env),
    )
    page_name = spec.notebook[: -len(".ipynb")] + ".html"
    return sorted(p for p in glob.glob(os.path.join(feedback_dir, "*", assignment, page_name)))
