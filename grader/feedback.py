"""``make feedback``: nbgrader's feedback pages, with a bilingual summary on top.

Each page is ``nbgrader generate_feedback``'s HTML of the autograded
notebook (the test cells show only the verdicts: the hidden tests are in
neither the notebook nor the page), with a summary inserted above it: the
score per exercise, what failed and why in the student's terms, notes on
the submission, and the student's decision boundary on the flower data
beside the reference one, when their model runs.
"""
import concurrent.futures
import html
import json
import os
import subprocess
import sys
import tempfile

import nbformat

from grader import ROOT, boundary, tool_env
from grader.kernel import Kernel, KernelDied
from grader.runner import report_path

SUMMARY_ID = "grader-summary"


def student_boundary(nb_path, master, limits):
    """The student's ``(grid, accuracy)``, or a bilingual reason why there is none."""
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception as exc:
        return f"无法读取笔记本 / cannot read the notebook ({type(exc).__name__})"
    with tempfile.TemporaryDirectory(prefix="feedback-") as workdir:
        for name, content in master.helpers.items():
            with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
                f.write(content)
        try:
            with Kernel(workdir, limits) as kernel:
                for cell in nb.cells:
                    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                    if cell.cell_type == "code" and gid not in master.tests and master.needs_running(cell):
                        kernel.run(cell.source)
                answer = kernel.probe(boundary.PROBE, "training the student's model")
        except KernelDied as exc:
            return f"模型无法运行 / the model did not run: {exc}"
    if answer.get("op") != "probe":
        return "模型运行超时 / the model timed out"
    if "error" in answer:
        return f"模型出错 / the model raised {str(answer['error'])[:200]}"
    try:
        return boundary.decode(answer.get("result"))
    except ValueError as exc:
        return f"模型无法运行 / the model did not run ({exc})"


def _summary(report, scores, figure_uri, model_line):
    rows = []
    for gid, verdict in sorted(report["verdicts"].items(), key=lambda kv: kv[0]):
        score = scores.get(gid, verdict["score"]) if scores else verdict["score"]
        ok = score >= verdict["points"]
        rows.append(
            f"<tr class='{'ok' if ok else 'fail'}'><td><code>{html.escape(verdict['exercise'])}</code></td>"
            f"<td>{score:g} / {verdict['points']:g}</td>"
            f"<td><pre>{html.escape(verdict['message'])}</pre></td></tr>")
    total = sum(scores.values()) if scores else report["score"]
    maximum = sum(v["points"] for v in report["verdicts"].values())
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.get("notes", []))
    notes_html = f"<h3>说明 / Notes on your submission</h3><ul>{notes}</ul>" if notes else ""
    return f"""
<section id="{SUMMARY_ID}" style="font-family: sans-serif; max-width: 1000px; margin: 1em auto;
  padding: 1em; border: 2px solid #888; border-radius: 8px; background: #fafafa">
<h2>评分摘要 / Grading summary: {html.escape(report['student'])} — {total:g} / {maximum:g}</h2>
<p>每个练习单独评分（所调用的其他函数用正确版本代替）；全部隐藏测试通过才得分。<br>
Each exercise is graded on its own (the functions it calls are replaced by correct ones) and earns its points
when all of its hidden tests pass.</p>
<table style="border-collapse: collapse" border="1" cellpadding="4">
<tr><th>练习 / exercise</th><th>得分 / score</th><th>结果 / result</th></tr>
{''.join(rows)}
</table>
{notes_html}
<h3>决策边界（flower 数据）/ Decision boundary on the flower data</h3>
<p>左：你的 <code>func_nn_model</code> 与 <code>func_predict</code>（n_h=4，{boundary.EPOCHS} 次迭代）；右：参考实现。<br>
Left: your <code>func_nn_model</code> and <code>func_predict</code> (n_h=4, {boundary.EPOCHS} epochs); right: the reference.</p>
<p class="model">{html.escape(model_line)}</p>
<img alt="decision boundary: your model and the reference" src="{figure_uri}" style="max-width: 100%">
</section>
"""


def _order(exercise, exercises=()):
    return exercises.index(exercise) if exercise in exercises else 99


def _insert(page, block):
    at = page.find("<body")
    at = page.find(">", at) + 1 if at >= 0 else 0
    return page[:at] + block + page[at:]


def _boundary_task(args):
    student, nb_path, master, limits = args
    return student, student_boundary(nb_path, master, limits)


def generate(autograded, feedback_dir, db_url, workers=None, limits=None, assignment=None):
    """Write ``feedback/<student>/L1W3/planar_classification.html`` for every graded student."""
    from grader import master as master_mod
    from grader import table
    from grader.limits import Limits

    limits = limits or Limits()
    spec = assignment
    assignment = spec.id
    NOTEBOOK = spec.notebook
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", assignment, "--force",
                    "--log-level=WARN",
                    f"--CourseDirectory.autograded_directory={os.path.abspath(autograded)}",
                    f"--CourseDirectory.feedback_directory={os.path.abspath(feedback_dir)}",
                    f"--CourseDirectory.db_url={db_url}"], cwd=ROOT, check=True, env=tool_env())
    master = master_mod.load(spec)
    _, scores, _ = table.scores(db_url, spec)
    ref_grid, ref_acc = boundary.reference(spec)
    students = sorted(s for s in os.listdir(feedback_dir)
                      if os.path.isfile(os.path.join(feedback_dir, s, assignment,
                                                     NOTEBOOK.replace(".ipynb", ".html"))))
    tasks = [(s, os.path.join(autograded, s, assignment, NOTEBOOK), master, limits) for s in students]
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        boundaries = dict(pool.map(_boundary_task, tasks))
    pages = []
    for student in students:
        with open(report_path(autograded, student, assignment), encoding="utf-8") as f:
            report = json.load(f)
        mine = boundaries[student]
        if isinstance(mine, str):
            title, grid = "your model: did not run", mine
            model_line = mine
        else:
            grid, acc = mine
            title = f"your model: accuracy {acc:.2f} %"
            model_line = (f"你的模型在训练集上的正确率 / your model's training accuracy: {acc:.2f} % "
                          f"(参考 / reference: {ref_acc:.2f} %)")
        figure = boundary.data_uri(boundary.png(grid, ref_grid, (title, f"reference: accuracy {ref_acc:.2f} %")))
        page_path = os.path.join(feedback_dir, student, assignment, NOTEBOOK.replace(".ipynb", ".html"))
        with open(page_path, encoding="utf-8") as f:
            page = f.read()
        if SUMMARY_ID not in page:
            page = _insert(page, _summary(report, scores.get(student), figure, model_line))
            with open(page_path, "w", encoding="utf-8") as f:
                f.write(page)
        pages.append(page_path)
    return pages
