"""Student-side validation: run a notebook's public self-checks, report, exit non-zero on failure.

Stock ``nbgrader validate`` exits 0 even when tests fail; this runs the
notebook (without its ``exploratory`` cells) next to fresh copies of the
released helpers and reports each autograded cell's public checks.
"""
import os
import shutil
import tempfile

import nbformat
from nbclient import NotebookClient

from grader import EXPLORATORY, RELEASE_DIR, SELFCHECK_SUFFIX



def _error_text(cell):
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return f"{out.ename}: {out.evalue}"
    return None


def validate(path, timeout=120):
    """Execute ``path``; return ``[(exercise, points, error or None)]`` from its self-check cells."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if EXPLORATORY not in c.metadata.get("tags", [])]
    with tempfile.TemporaryDirectory() as tmp:
        for name in os.listdir(RELEASE_DIR):
            if name.endswith(".py"):
                shutil.copy(os.path.join(RELEASE_DIR, name), tmp)
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": tmp}})
        client.execute()
    points = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            points[meta["grade_id"][: -len("_values")]] = meta.get("points", 0)
    results = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith(SELFCHECK_SUFFIX) and cell.cell_type == "code":
            exercise = gid[: -len(SELFCHECK_SUFFIX)]
            results.append((exercise, points.get(exercise, 0), _error_text(cell)))
    return results


def main(path):
    if not os.path.exists(path):
        print(f"{path}: 文件不存在 / no such file")
        return 2
    try:
        results = validate(path)
    except Exception as exc:  # a notebook that cannot even be read or run
        print(f"{path}: 无法运行 / cannot be run: {exc}")
        return 2
    failed = [r for r in results if r[2]]
    for grade_id, points, error in results:
        status = "FAIL" if error else "ok"
        print(f"{status:4} {grade_id} ({points:g} pt)" + (f"\n     {error}" if error else ""))
    if not results:
        print(f"{path}: 没有找到自检单元格 / no self-check cells found")
        return 1
    print(f"{len(results) - len(failed)}/{len(results)} 个自检通过 / self-checks passed"
          " (隐藏测试在评分时运行 / hidden tests run at grading time)")
    return 1 if failed else 0
