"""The feedback extra of an assignment, run on a student's autograded notebook in the sandbox.

An assignment's spec may name an extra (``Spec.feedback``, a
:class:`grader.spec.FeedbackExtra`): kernel code run after the student's
cells (e.g. their model trained end to end) whose answer becomes a section of
the feedback summary (e.g. the student's decision boundary beside the
reference one).  The spec is the one place an extra comes from.  The answer is
cached beside the grading report, keyed by the autograded notebook's bytes and
the extra's probe, so rewriting a page is cheap.
"""

import functools
import glob
import hashlib
import html
import json
import os
import shutil
import tempfile

from grader import messages as msg
from grader.pipeline.report_file import write_atomic
from grader.sandbox.workspace import remove_tree


def feedback_extra(assignment):
    """The assignment's feedback extra (``assignment.spec.feedback``), or ``None``."""
    return assignment.spec.feedback


def _cache_path(nb_path, assignment_id):
    return os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(nb_path))), f"feedback_extra_{assignment_id}.json"
    )


@functools.lru_cache(maxsize=None)
def _master(assignment):
    from grader.course import cells as master

    return master.load(assignment)


def cells_to_run(nb, assignment):
    """The code cells the extra needs: the ones grading runs (``Master.needs_running``).

    Skipped, as in grading: test cells, exploratory cells and the lesson's
    demonstration cells left as released.
    """
    from grader.course.cells import grade_id

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
    assignment : grader.course.assignment.Assignment
    limits : grader.limits.Limits, optional
        Sandbox limits (default: ``Limits.load()``, the limits grading has: defaults,
        nbgrader_config.py's ``c.Limits``, ``GRADER_LIMITS``).
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
            write_atomic(cache, json.dumps({"key": key, "kind": result[0], "value": result[1]}))
        except (OSError, TypeError, ValueError):
            pass
    return result


def _run_extra(data, extra, assignment, limits):
    import nbformat

    from grader.limits import Limits
    from grader.sandbox.kernel import Kernel, KernelDied

    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:
        return ("note", msg.CANNOT_READ_NOTEBOOK.format(error=type(exc).__name__))
    workdir = tempfile.mkdtemp(prefix="feedback-")
    try:
        for helper in glob.glob(os.path.join(assignment.release_dir, "*.py")):
            shutil.copy(helper, workdir)
        with Kernel(workdir, limits or Limits.load()) as kernel:
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
        return heading + (
            '<p class="grader-extra-missing">'
            f"{msg.PART_NOT_SHOWN.format(reason=html.escape(str(reason)))}</p>"
        )
