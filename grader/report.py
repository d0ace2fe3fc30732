"""``make report``: the class report, ``reports/L1W3.html`` with PNG figures.

Scores come from the gradebook (so manual overrides count); reasons, notes
and timings from the grading reports written beside each autograded
submission.  Shows the score histogram, the pass rate per exercise, the
most common failure reasons per exercise, the submissions that could not be
graded and why, and the grading time.
"""
import collections
import csv
import glob
import html
import json
import os
import re

from grader.students import csv_cell


TOP_REASONS = 3


def load_reports(autograded, assignment):
    reports = {}
    for path in sorted(glob.glob(os.path.join(autograded, "*", f"grading_report_{assignment}.json"))):
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        reports[report["student"]] = report
    return reports


def reason_of(message):
    """A short, countable reason from a verdict message (its first failing case)."""
    lines = message.splitlines()
    if not lines or lines[0].startswith("✔"):
        return None
    if "not graded" in lines[0]:
        text = lines[0].split("not graded", 1)[1]
        return "not graded" + re.sub(r"\d+(\.\d+)?", "N", text.split(":", 1)[-1])[:90]
    detail = lines[1] if len(lines) > 1 else lines[0]
    english = detail.split(" / ", 1)[-1] if " / " in detail else detail
    english = re.sub(r"^\s*\[[^\]]*\]\s*", "", english)
    if "raised" in english:
        return "raised " + english.split("raised", 1)[1].strip().split(":")[0]
    var = re.match(r"\s*([\w\[\]'(), ]+?)(\[[\d, ]+\])?:", english)
    name = var.group(1).strip() if var else "result"
    if "should have shape" in english:
        return f"{name}: wrong shape"
    if "expected" in english and "got" in english:
        return f"{name}: wrong values"
    if "should be" in english:
        return f"{name}: wrong type"
    return re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "N", english)[:90]


def summarize(scores, reports, max_points, assignment=None):
    exercises = [e for e in assignment.exercises if f"{e}_values" in max_points]
    students = sorted(set(scores) | set(reports))
    totals = {s: sum(scores.get(s, {}).values()) for s in students}
    passed = {e: sum(1 for s in students if scores.get(s, {}).get(f"{e}_values", 0) >= max_points[f"{e}_values"])
              for e in exercises}
    reasons = {e: collections.Counter() for e in exercises}
    for report in reports.values():
        for verdict in report["verdicts"].values():
            reason = reason_of(verdict["message"])
            if reason and verdict["exercise"] in reasons:
                reasons[verdict["exercise"]][reason] += 1
    ungradable = {s: r["notes"] for s, r in reports.items() if not r.get("gradable", True)}
    seconds = [r["seconds"] for r in reports.values() if r.get("seconds")]
    return {"students": students, "totals": totals, "passed": passed, "reasons": reasons,
            "ungradable": ungradable, "seconds": seconds, "exercises": exercises,
            "max_total": sum(max_points[f"{e}_values"] for e in exercises)}


def _figures(summary, folder, assignment):
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
    ax.set_xlabel("total score")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Score histogram")
    files["histogram"] = _save(fig, folder, f"{assignment}_scores.png")

    fig, ax = plt.subplots(figsize=(6, 3.2))
    names = [e[len("func_"):] for e in summary["exercises"]]
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
    fig.tight_layout()
    fig.savefig(os.path.join(folder, name), dpi=90)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return name


def write(db_url, autograded, out_dir, assignment):
    """Write ``<out_dir>/<assignment>.html`` and its figures; return the page's path."""
    from grader import table
    _, scores, max_points = table.scores(db_url, assignment)
    spec, assignment = assignment, assignment.id
    reports = load_reports(autograded, assignment)
    summary = summarize(scores, reports, max_points, spec)
    files = _figures(summary, out_dir, assignment)
    run_file = os.path.join(autograded, f"grading_run_{assignment}.json")
    run = {}
    if os.path.exists(run_file):
        with open(run_file, encoding="utf-8") as f:
            run = json.load(f)
    esc = html.escape
    reason_rows = "".join(
        f"<tr><td><code>{esc(e)}</code></td><td>{summary['passed'][e]}/{len(summary['students'])}</td><td>"
        + ("<br>".join(f"{esc(r)} ({c})" for r, c in summary["reasons"][e].most_common(TOP_REASONS)) or "—")
        + "</td></tr>" for e in summary["exercises"])
    ungradable = "".join(f"<li><b>{esc(s)}</b>: {esc('; '.join(notes))}</li>"
                         for s, notes in sorted(summary["ungradable"].items())) or "<li>none / 无</li>"
    secs = summary["seconds"]
    timing = (f"{len(secs)} submissions, {sum(secs):.1f} s of worker time, mean {sum(secs) / len(secs):.2f} s, "
              f"max {max(secs):.2f} s" if secs else "no timing")
    if run:
        timing += (f"; last run: {run['submissions']} submissions in {run['wall_seconds']:.1f} s wall time with "
                   f"{run.get('workers') or run.get('scheduler')} workers")
    totals = list(summary["totals"].values())
    mean = sum(totals) / len(totals) if totals else 0
    page = f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{esc(assignment)} class report</title>
<style>body {{ font-family: sans-serif; max-width: 1000px; margin: 2em auto }}
table {{ border-collapse: collapse }} td, th {{ border: 1px solid #999; padding: 4px 8px; vertical-align: top }}
img {{ max-width: 49%; }}</style></head><body>
<h1>班级报告 / Class report: {esc(assignment)}</h1>
<p>{len(summary['students'])} 名学生 / students; 平均分 / mean score {mean:.2f} / {summary['max_total']:g}</p>
<h2>分数分布与各练习通过率 / Scores and pass rate per exercise</h2>
<img src="{files['histogram']}" alt="score histogram"> <img src="{files['pass_rate']}" alt="pass rate per exercise">
<h2>各练习最常见的失败原因 / Most common failure reasons per exercise</h2>
<table><tr><th>exercise</th><th>full marks</th><th>most common reasons (count)</th></tr>{reason_rows}</table>
<h2>无法评分的提交 / Submissions that could not be graded</h2><ul>{ungradable}</ul>
<h2>评分时间 / Grading time</h2><p>{esc(timing)}</p>
<img src="{files['time']}" alt="grading time">
</body></html>"""
    path = os.path.join(out_dir, f"{assignment}.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def write_exercise_csv(db_url, path, assignment):
    """``grades_by_exercise.csv``: one row per student, one column per exercise, and the total."""
    from grader import table
    grade_ids, scores, max_points = table.scores(db_url, assignment)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student"] + [g[: -len("_values")] for g in grade_ids] + ["total", "max"])
        for student in sorted(scores):
            row = [scores[student].get(g, 0) for g in grade_ids]
            writer.writerow([csv_cell(student)] + [f"{v:g}" for v in row] + [f"{sum(row):g}",
                                                                  f"{sum(max_points[g] for g in grade_ids):g}"])
    return path
