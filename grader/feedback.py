"""Feedback pages through nbgrader's own ``generate_feedback``, with the course's summary on top.

``nbgrader_config.py`` adds :class:`CourseSummary` to
``GenerateFeedback.preprocessors`` (after nbgrader's ``GetGrades`` and
nbconvert's ``SanitizeHTML``) and sets the exporter to
:class:`grader.feedback_page.FeedbackPage`.  So every path writes the same
page: ``nbgrader generate_feedback <id>`` with or without ``--force``,
formgrader's "Generate Feedback" button, and ``python -m grader feedback``
(which runs ``nbgrader generate_feedback <id> --force`` after computing the
feedback extras in parallel).

The summary shows, per exercise, the score **from the gradebook** (so a
manual grade counts, and is labelled ``messages.GRADED_BY_HAND``), what failed
and why (from the grading report beside the autograded submission), the notes
on the submission, and the assignment's feedback extra (for L1W3, the
student's decision boundary beside the reference one).

Stale pages: ``GenerateFeedback.force`` is on in ``nbgrader_config.py``, so
``generate_feedback`` always rewrites a page from the current gradebook (stock
nbgrader skips a page whose autograded folder is unchanged, which kept a page
written before a manual grade).  Rewriting is cheap: the extra, which runs the
student's model, is cached beside the grading report and keyed by the
autograded notebook's bytes and the extra's probe.
"""
import concurrent.futures
import functools
import glob
import hashlib
import html
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

from nbconvert.preprocessors import Preprocessor

from grader import ROOT, tool_env
from grader import messages as msg
from grader.workspace import remove_tree

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


# --- the assignment ---------------------------------------------------------------------------

def load_assignment(assignment_id):
    """The assignment of that id (``grader.assignment.load``, loaded once per process)."""
    from grader.assignment import load
    return load(assignment_id)


def feedback_extra(assignment):
    """The assignment's feedback extra, or ``None``.

    It is ``assignment.spec.feedback``; while a spec does not name one, the
    conventional ``grading/<id>/feedback_extra.py`` is used when it exists.
    """
    extra = getattr(assignment.spec, "feedback", None)
    if extra is not None:
        return extra
    return _conventional_extra(os.path.join(getattr(assignment, "root", ROOT), "grading", assignment.id,
                                            "feedback_extra.py"), assignment.id)


@functools.lru_cache(maxsize=None)
def _conventional_extra(path, assignment_id):
    if not os.path.isfile(path):
        return None
    spec = importlib.util.spec_from_file_location(f"grading_feedback_extra_{assignment_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cache_path(nb_path, assignment_id):
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(nb_path))),
                        f"feedback_extra_{assignment_id}.json")


# --- the feedback extra, run in the sandbox --------------------------------------------------

@functools.lru_cache(maxsize=None)
def _master(assignment):
    from grader import master
    return master.load(assignment)


def cells_to_run(nb, assignment):
    """The code cells the extra needs: the ones grading runs (``Master.needs_running``).

    Skipped, as in grading: test cells, exploratory cells and the lesson's
    demonstration cells left as released.
    """
    from grader.master import grade_id
    master = _master(assignment)
    sources = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if grade_id(cell) in master.tests or not isinstance(source, str) or not master.needs_running(cell):
            continue
        sources.append(source)
    return sources


def extra_answer(nb_path, assignment, limits=None, use_cache=True):
    """Run the assignment's feedback extra on a student's autograded notebook.

    Parameters
    ----------
    nb_path : str
        ``autograded/<student>/<id>/<notebook>``.
    assignment : grader.assignment.Assignment
    limits : grader.limits.Limits, optional
        Sandbox limits (default: ``Limits.parse()``, i.e. the defaults and ``GRADER_LIMITS``).
    use_cache : bool
        Read and write the cached answer beside the grading report.

    Returns
    -------
    tuple
        ``("answer", raw answer)`` or ``("note", bilingual reason why there is none)``.
        Never raises.
    """
    extra = feedback_extra(assignment)
    if extra is None:
        return ("note", "")
    try:
        with open(nb_path, "rb") as f:
            data = f.read()
    except OSError as exc:
        return ("note", msg.CANNOT_READ_NOTEBOOK.format(error=type(exc).__name__))
    key = hashlib.sha256(data + b"\0" + extra.probe.encode("utf-8")).hexdigest()
    cache = _cache_path(nb_path, assignment.id)
    if use_cache:
        try:
            with open(cache, encoding="utf-8") as f:
                stored = json.load(f)
            if stored.get("key") == key and stored.get("kind") in ("answer", "note"):
                return (stored["kind"], stored["value"])
        except (OSError, ValueError, AttributeError):
            pass
    result = _run_extra(data, extra, assignment, limits)
    if use_cache:
        try:
            tmp = cache + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"key": key, "kind": result[0], "value": result[1]}, f)
            os.replace(tmp, cache)
        except (OSError, TypeError, ValueError):
            pass
    return result


def _run_extra(data, extra, assignment, limits):
    import nbformat
    from grader.kernel import Kernel, KernelDied
    from grader.limits import Limits
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:
        return ("note", msg.CANNOT_READ_NOTEBOOK.format(error=type(exc).__name__))
    workdir = tempfile.mkdtemp(prefix="feedback-")
    try:
        for helper in glob.glob(os.path.join(assignment.release_dir, "*.py")):
            shutil.copy(helper, workdir)
        with Kernel(workdir, limits or Limits.parse()) as kernel:
            for source in cells_to_run(nb, assignment):
                kernel.run(source)
            answer = kernel.probe(extra.probe, "running the feedback extra")
    except KernelDied as exc:
        return ("note", f"{msg.MODEL_DID_NOT_RUN}: {exc}")
    except Exception as exc:  # the extra is a bonus: nothing may stop the page for it
        return ("note", msg.EXTRA_NOT_MADE.format(error=type(exc).__name__))
    finally:
        try:
            remove_tree(workdir)
        except OSError:  # a folder that cannot be removed must not cost the page
            pass
    if not isinstance(answer, dict) or answer.get("op") != "probe":
        return ("note", msg.MODEL_TIMED_OUT)
    if "error" in answer:
        return ("note", msg.MODEL_RAISED.format(error=str(answer["error"])[:200]))
    return ("answer", answer.get("result"))


def extra_html(nb_path, assignment, limits=None):
    """The extra's section of the summary (heading and body), or ``""`` without an extra; never raises."""
    extra = feedback_extra(assignment)
    if extra is None:
        return ""
    heading = f"<h3>{html.escape(extra.title)}</h3>"
    kind, value = extra_answer(nb_path, assignment, limits)
    try:
        decoded = value
        if kind == "answer":
            try:
                decoded = extra.decode(value)
            except ValueError as exc:
                decoded = f"{msg.MODEL_DID_NOT_RUN} ({exc})"
        return heading + extra.render(decoded, extra.reference())
    except Exception as exc:
        reason = value if kind == "note" and value else f"({type(exc).__name__})"
        return heading + ('<p class="grader-extra-missing">'
                          f"{msg.PART_NOT_SHOWN.format(reason=html.escape(str(reason)))}</p>")


# --- the summary ------------------------------------------------------------------------------

def gradebook_rows(db_url, notebook_id, assignment_id, student):
    """``({grade_id: (score, max_score, auto_score, manual_score)}, late_penalty)`` from the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        nb = gb.find_submission_notebook(notebook_id, assignment_id, student)
        rows = {g.name: (g.score, g.max_score, g.auto_score, g.manual_score) for g in nb.grades}
        return rows, nb.late_submission_penalty or 0.0


def _result_html(verdict):
    if verdict is None:
        return "<pre>—</pre>"
    failures = verdict.get("failures")
    if isinstance(failures, list) and failures:
        items = "".join(
            f"<li><b>{html.escape(str(f.get('case', '')))}</b> {html.escape(str(f.get('message', '')))}</li>"
            for f in failures if isinstance(f, dict))
        head = str(verdict.get("message", "")).splitlines()[:1]
        return f"<pre>{html.escape(head[0] if head else '')}</pre><ul>{items}</ul>"
    return f"<pre>{html.escape(str(verdict.get('message', '')))}</pre>"


class CourseSummary(Preprocessor):
    """Computes the course summary of a feedback page (see the module docstring).

    Runs after nbgrader's ``GetGrades``; the summary's HTML goes into
    ``resources["grader_summary"]``, and
    :class:`grader.feedback_page.FeedbackPage` puts it at the top of the page
    once the student's part is sanitized.
    """

    def preprocess(self, nb, resources):
        """Store the summary's HTML in ``resources``; the notebook is unchanged."""
        from grader.feedback_page import SUMMARY_KEY
        resources[SUMMARY_KEY] = self.summary_html(nb, resources)
        return nb, resources

    def summary_html(self, nb, resources, extra_notes=()):
        """The summary's HTML for the student named in ``resources["nbgrader"]``; never raises."""
        info = resources.get("nbgrader") or {}
        student, assignment_id = str(info.get("student", "?")), str(info.get("assignment", ""))
        notes = list(extra_notes)
        try:
            assignment = load_assignment(assignment_id)
        except Exception as exc:
            self.log.error("feedback: cannot load assignment %s: %r", assignment_id, exc)
            assignment = None
        folder = (resources.get("metadata") or {}).get("path") or ""
        nb_path = os.path.join(folder, f"{info.get('notebook', '')}.ipynb")
        report = {}
        try:
            from grader.runner import report_name
            with open(os.path.join(os.path.dirname(os.path.abspath(folder)), report_name(assignment_id)),
                      encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError):
            notes.append(msg.NO_GRADING_REPORT)
        rows, penalty = {}, 0.0
        try:
            rows, penalty = gradebook_rows(info["db_url"], info["notebook"], assignment_id, student)
        except Exception as exc:
            notes.append(msg.NO_GRADES_IN_GRADEBOOK.format(error=type(exc).__name__))
        if not isinstance(report, dict):
            report = {}
        notes += [str(n) for n in report.get("notes", []) if isinstance(n, (str, int, float))]
        verdicts = report.get("verdicts") if isinstance(report.get("verdicts"), dict) else {}
        order = list(assignment.exercises) if assignment else []
        test_cells = dict(assignment.test_cells) if assignment else {}
        exercise_of = {gid: ex for ex, gid in test_cells.items()}
        grade_ids = [test_cells[e] for e in order if e in test_cells]
        grade_ids += sorted(g for g in rows if g not in grade_ids)
        table, total, maximum = [], 0.0, 0.0
        for gid in grade_ids:
            verdict = verdicts.get(gid) if isinstance(verdicts.get(gid), dict) else None
            if gid in rows:
                score, points, auto, manual = rows[gid]
            elif verdict is not None:
                score = points = None
                auto, manual = verdict.get("score"), None
            else:
                continue
            score = float(score or 0.0) if score is not None else 0.0
            points = float(points if points is not None else (verdict or {}).get("points", 0.0))
            total += score
            maximum += points
            by_hand = ""
            if manual is not None:
                by_hand = (f'<br><span class="by-hand">{msg.GRADED_BY_HAND}</span>'
                           f"<br><small>{msg.AUTOGRADED}: {float(auto or 0):g}</small>")
            name = exercise_of.get(gid, gid)
            table.append(f"<tr class=\"{'ok' if score >= points else 'fail'}\">"
                         f"<td><code>{html.escape(name)}</code></td>"
                         f"<td>{score:g} / {points:g}{by_hand}</td><td>{_result_html(verdict)}</td></tr>")
        if "score" in info and info.get("score") is not None:
            total = float(info["score"])
            penalty = float(info.get("late_penalty") or 0.0)
        else:
            total -= penalty
        late = (f"<p class=\"late\">{msg.LATE_PENALTY}: −{penalty:g}</p>" if penalty else "")
        notes_html = (f"<h3>{msg.NOTES_ON_SUBMISSION}</h3><ul>"
                      + "".join(f"<li>{html.escape(n)}</li>" for n in notes if n) + "</ul>"
                      if any(notes) else "")
        extra = extra_html(nb_path, assignment) if assignment else ""
        return f"""<style>{SUMMARY_CSS}</style>
<section id="{SUMMARY_ID}" lang="zh">
<h2>{msg.GRADING_SUMMARY}: {html.escape(student)} — {total:g} / {maximum:g}</h2>
<p>{msg.SUMMARY_INTRO.zh}<br>
{msg.SUMMARY_INTRO.en}</p>
{late}
<table>
<tr><th>{msg.EXERCISE}</th><th>{msg.SCORE}</th><th>{msg.RESULT}</th></tr>
{''.join(table)}
</table>
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

    ``assignment`` is a ``grader.assignment.Assignment`` or its id.  Computes
    the feedback extras in parallel (they are cached), then runs
    ``nbgrader generate_feedback <id> --force``: the same command an
    instructor or formgrader runs, so the pages are the same.

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
    env = {}
    if limits is not None:
        env["GRADER_LIMITS"] = ",".join(f"{k}={v}" for k, v in limits.as_dict().items())
    if notebooks and feedback_extra(spec) is not None:
        tasks = [(p, assignment, limits) for p in notebooks]
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            list(pool.map(_warm, tasks))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", assignment, "--force",
                    "--log-level=WARN",
                    f"--CourseDirectory.autograded_directory={os.path.abspath(autograded)}",
                    f"--CourseDirectory.feedback_directory={os.path.abspath(feedback_dir)}",
                    f"--CourseDirectory.db_url={db_url}"], cwd=ROOT, check=True, env=tool_env(**env))
    page_name = spec.notebook[: -len(".ipynb")] + ".html"
    return sorted(p for p in glob.glob(os.path.join(feedback_dir, "*", assignment, page_name)))
