"""Grade one submission: normalize its notebook, run it in a sandboxed kernel, judge.

:func:`grade_submission` is a pure function of its inputs (no gradebook, no
shared state), so any number of them can run in parallel, on this machine
or on a Dask cluster; the caller records the result.
"""
import copy
import json
import os
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass, field

import nbformat

from grader import judge, probe
from grader.cases import CALLEES
from grader.kernel import Kernel, KernelDied


@dataclass
class Result:
    student: str
    verdicts: dict                      # test grade id -> Verdict as dict
    notes: list = field(default_factory=list)   # what was wrong with the notebook, bilingual
    notebook: str = ""                  # the autograded notebook (JSON), "" if none
    seconds: float = 0.0
    peak_rss_mb: float = 0.0            # peak memory of the submission's processes (cgroup, else kernel RSS)
    worker_rss_mb: float = 0.0          # the grading worker's own peak, when it finished
    gradable: bool = True               # False when no cell could be run at all

    @property
    def score(self):
        return sum(v["score"] for v in self.verdicts.values())


def _zero_all(master, reason, already=None):
    verdicts = dict(already or {})
    for gid, (exercise, points) in master.tests.items():
        if gid not in verdicts:
            verdicts[gid] = judge.failed(exercise, gid, points, reason).as_dict()
    return verdicts


def read_notebook(path):
    """Read a submission; raise ``ValueError`` with a bilingual reason if it is unusable."""
    if os.path.getsize(path) == 0:
        raise ValueError("笔记本文件为空 / the notebook file is empty")
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except UnicodeDecodeError:
        raise ValueError("笔记本不是 UTF-8 文本 / the notebook is not UTF-8 text")
    except json.JSONDecodeError as exc:
        raise ValueError(f"笔记本不是有效的 JSON / the notebook is not valid JSON ({exc.msg}, line {exc.lineno})")
    except RecursionError:
        raise ValueError("笔记本的 JSON 嵌套过深 / the notebook's JSON is nested too deeply")
    if not isinstance(raw, dict):
        raise ValueError("笔记本不是 JSON 对象 / the notebook is not a JSON object")
    major = raw.get("nbformat")
    if major != 4:
        raise ValueError(f"不支持的笔记本格式 nbformat={major!r}，需要 4 / unsupported nbformat {major!r}, 4 is needed")
    if not isinstance(raw.get("cells"), list):
        raise ValueError("笔记本没有单元格列表 / the notebook has no list of cells")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:
        raise ValueError(f"笔记本结构无效 / the notebook's structure is invalid ({type(exc).__name__})")
    for cell in nb.cells:
        if not isinstance(cell.get("source", ""), str) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError("笔记本含有无效的单元格 / the notebook has a malformed cell")
    return nb


def _grade_id(cell):
    meta = cell.get("metadata", {})
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    gid = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return gid if isinstance(gid, str) else None


def normalize(nb, master):
    """Restore the assignment's structure in a student's notebook.

    Locked cells (instructions, imports, self-checks, tests) get the release's
    content and metadata back, whatever the student did to them; deleted
    ones are put back after the cell that precedes them in the release;
    duplicates of a locked cell are dropped; of duplicated solution cells the
    last one counts.  Cells of the student's own have any nbgrader metadata
    removed, so they cannot pose as graded cells.  Returns the cells and
    bilingual notes on what was changed.
    """
    notes, cells, position = [], [], {}
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in master.locked:
            if gid in position:
                notes.append(f"重复的只读单元格 {gid} 已删除 / duplicate locked cell {gid} removed")
                continue
            restored = master.cell(gid)
            if restored["source"] != cell.get("source", "") or restored["cell_type"] != cell.get("cell_type"):
                notes.append(f"只读单元格 {gid} 被修改，已还原 / locked cell {gid} was edited and has been restored")
            position[gid] = len(cells)
            cells.append(restored)
        elif gid in master.solutions:
            restored = master.cell(gid)
            restored["source"] = cell.get("source", "")
            if gid in position:
                notes.append(f"解答单元格 {gid} 有多个副本，以最后一个为准 / "
                             f"solution cell {gid} is duplicated; the last copy counts")
                cells[position[gid]] = None
            position[gid] = len(cells)
            cells.append(restored)
        else:
            own = copy.deepcopy(dict(cell))
            meta = dict(own.get("metadata", {}) if isinstance(own.get("metadata"), dict) else {})
            if "nbgrader" in meta:
                meta.pop("nbgrader")
                if gid:
                    notes.append(f"未知的评分单元格 {gid} 按普通单元格处理 / "
                                 f"unknown graded cell {gid} treated as an ordinary cell")
            own["metadata"] = meta
            cells.append(own)
    cells = [c for c in cells if c is not None]
    present = {_grade_id(c) for c in cells}
    for i, gid in enumerate(master.order):
        if gid in present:
            continue
        restored = master.cell(gid)
        kind = "测试" if gid in master.tests else "单元格"
        notes.append(f"被删除的{kind} {gid} 已恢复 / deleted cell {gid} has been restored")
        at = 0
        for previous in reversed(master.order[:i]):
            ids = [_grade_id(c) for c in cells]
            if previous in ids:
                at = ids.index(previous) + 1
                break
        cells.insert(at, restored)
        present.add(gid)
    return cells, notes


def _autograded_notebook(nb, cells):
    out = nbformat.v4.new_notebook()
    out.metadata = nb.metadata
    out.cells = [nbformat.from_dict(c) for c in cells]
    for i, cell in enumerate(out.cells):
        cell["id"] = f"cell-{i}"  # restored and student cells may share ids
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return nbformat.writes(out)


def _feedback_outputs(verdict):
    outputs = [{"output_type": "stream", "name": "stdout", "text": verdict["message"] + "\n"}]
    if verdict["score"] < verdict["points"]:
        outputs.append({"output_type": "error", "ename": "HiddenTestsFailed",
                        "evalue": f"{verdict['exercise']}: {verdict['score']:g}/{verdict['points']:g}",
                        "traceback": []})
    return outputs


def _judge_cell(kernel, master, cell, gid, verdicts):
    exercise, points = master.tests[gid]
    answer = kernel.probe(master.probes[exercise], f"testing {exercise}")
    if answer.get("op") == "probe" and "error" not in answer:
        verdict = judge.judge(exercise, gid, points, answer.get("result"))
    elif answer.get("op") == "probe":
        verdict = judge.failed(exercise, gid, points, f"隐藏测试无法运行 / the hidden tests could not run: "
                                                      f"{str(answer['error'])[:200]}")
    else:
        verdict = judge.failed(exercise, gid, points,
                               "隐藏测试超时或被中断 / the hidden tests timed out or were interrupted")
    verdicts[gid] = verdict.as_dict()
    cell["outputs"] = _feedback_outputs(verdicts[gid])


def grade_submission(student, path, master, limits, hidden=(), extra_notes=()):
    """Grade the notebook at ``path`` for ``student``; return a :class:`Result`."""
    started = time.monotonic()
    notes = list(extra_notes)
    try:
        nb = read_notebook(path)
    except (OSError, ValueError) as exc:
        reason = str(exc)
        return Result(student, _zero_all(master, reason), notes + [reason],
                      seconds=time.monotonic() - started, gradable=False)
    cells, more = normalize(nb, master)
    notes += more
    verdicts = {}
    workdir = tempfile.mkdtemp(prefix="grade-")
    kernel = None
    peak = 0.0
    try:
        for name, content in master.helpers.items():
            with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
                f.write(content)
        try:
            kernel = Kernel(workdir, limits, hidden)
            deferred = []
            last_test = max((i for i, c in enumerate(cells) if _grade_id(c) in master.tests), default=-1)
            for index, cell in enumerate(cells):
                gid = _grade_id(cell)
                if cell.get("cell_type") != "code":
                    continue
                cell["outputs"], cell["execution_count"] = [], None
                if gid in master.tests:
                    # A composite function's probe hands reference implementations to the
                    # kernel: it runs once every other exercise is judged, so that nothing can
                    # reuse them, on the function as it was here.
                    exercise = master.tests[gid][0]
                    if exercise in CALLEES:
                        kernel.probe(probe.capture(exercise), f"recording {exercise}")
                        deferred.append(cell)
                    else:
                        _judge_cell(kernel, master, cell, gid, verdicts)
                    if index == last_test:
                        for waiting in deferred:
                            _judge_cell(kernel, master, waiting, _grade_id(waiting), verdicts)
                        deferred = []
                    continue
                if not master.needs_running(cell):
                    continue
                answer = kernel.run(cell.get("source", ""))
                cell["outputs"] = answer.get("outputs", []) if isinstance(answer.get("outputs"), list) else []
                cell["execution_count"] = answer.get("execution_count") if isinstance(
                    answer.get("execution_count"), int) else None
        except KernelDied as exc:
            reason = f"内核终止 / kernel stopped: {exc}"
            notes.append(reason)
            verdicts = _zero_all(master, reason, verdicts)
            for cell in cells:
                gid = _grade_id(cell)
                if gid in master.tests and not cell.get("outputs"):
                    cell["outputs"] = _feedback_outputs(verdicts[gid])
    finally:
        if kernel is not None:
            kernel.close()
            peak = kernel.peak_rss_mb()
        shutil.rmtree(workdir, ignore_errors=True)
    verdicts = _zero_all(master, "未运行 / not run", verdicts)
    return Result(student, verdicts, notes, _autograded_notebook(nb, cells),
                  seconds=time.monotonic() - started, peak_rss_mb=peak,
                  worker_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
