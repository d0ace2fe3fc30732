"""``make validate``'s parts without a kernel: which helpers go into the sandbox, and that every
cell reaches the sandboxed kernel (a fake one here) and never nbgrader's own Execute."""

import pathlib

import nbformat
import pytest
from nbgrader.preprocessors import Execute

from grader.course import validate
from grader.limits import Limits


def test_helpers_are_the_py_files_of_the_folders_the_later_winning(tmp_path):
    release, beside = tmp_path / "release", tmp_path / "beside"
    for folder in (release, beside):
        folder.mkdir()
    (release / "checks.py").write_text("release checks")
    (release / "testCases.py").write_text("release cases")
    (beside / "checks.py").write_text("student checks")
    (beside / "notes.txt").write_text("not a module")
    (beside / "pkg.py").mkdir()  # a folder, whatever its name
    assert validate._helpers([str(release), str(beside)]) == {
        "checks.py": "student checks",
        "testCases.py": "release cases",
    }


class FakeKernel:
    """Answers each cell as the sandboxed kernel does; records what it was given."""

    made = []

    def __init__(self, workdir, limits):
        self.files = {p.name: p.read_text() for p in pathlib.Path(workdir).iterdir()}
        self.limits, self.code = limits, []
        FakeKernel.made.append(self)

    def run(self, code):
        self.code.append(code)
        if "fail" in code:
            error = {"output_type": "error", "ename": "AssertionError", "evalue": "no", "traceback": ["no"]}
            return {"status": "error", "outputs": [error], "execution_count": len(self.code)}
        return {"status": "ok", "outputs": [], "execution_count": len(self.code)}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def _graded(source, grade_id):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": grade_id,
        "locked": True,
        "points": 2,
        "schema_version": 3,
        "solution": False,
    }
    return cell


@pytest.fixture
def fake_kernel(monkeypatch):
    FakeKernel.made = []
    monkeypatch.setattr(validate, "Kernel", FakeKernel)

    def refuse(*args, **kwargs):
        raise AssertionError("nbgrader's Execute ran a cell outside the sandbox")

    monkeypatch.setattr(Execute, "preprocess", refuse)
    return FakeKernel


def test_every_code_cell_runs_in_the_sandboxed_kernel_and_its_verdicts_are_read(tmp_path, fake_kernel):
    (tmp_path / "helper.py").write_text("X = 1\n")
    cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("x = 1"),
        _graded("assert True", "passes"),
        _graded("fail()", "fails"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    limits = Limits(cell_timeout=7)
    results, problems = validate.validate(str(path), limits)
    assert [(gid, points, error) for gid, points, error in results] == [
        ("passes", 2, None),
        ("fails", 2, "no"),
    ]
    assert problems == []
    (kernel,) = fake_kernel.made
    assert kernel.code == ["x = 1", "assert True", "fail()"]
    assert kernel.files == {"helper.py": "X = 1\n"} and kernel.limits is limits


def test_cells_tagged_skip_execution_are_skipped_as_nbgrader_skips_them(tmp_path, fake_kernel):
    """One rule for every validate path: nbclient's ``skip-execution`` tag (the exploratory cells)."""
    skipped = nbformat.v4.new_code_cell("slow_demo()")
    skipped.metadata["tags"] = ["exploratory", "skip-execution"]
    exploratory_only = nbformat.v4.new_code_cell("other_demo()")
    exploratory_only.metadata["tags"] = ["exploratory"]
    cells = [nbformat.v4.new_code_cell("x = 1"), skipped, exploratory_only, _graded("assert True", "passes")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    results, problems = validate.validate(str(path), Limits())
    assert results == [("passes", 2, None)] and problems == []
    (kernel,) = fake_kernel.made
    assert kernel.code == ["x = 1", "other_demo()", "assert True"]
    assert (
        validate.SandboxedExecute().skip_cells_with_tag == Execute().skip_cells_with_tag == "skip-execution"
    )
