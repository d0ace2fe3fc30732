"""The kernel-driving steps of grading one submission (run_cells, probe_all, execute, render,
grade_submission) on a scripted stand-in kernel: which cells run, what is recorded and probed,
and what survives a kernel's death."""

import json

import nbformat
import pytest

import grader.pipeline.grade as grade
from grader.course.cells import Master
from grader.limits import Limits
from grader.pipeline.grade import Run, execute, probe_all, run_cells
from grader.pipeline.judge import Failure, Verdict
from grader.pipeline.notebook import OutputBudget, render
from grader.sandbox.kernel import KernelDied
from grader_tests.helpers.fakes import two_exercises


def _meta(gid, solution=False, grade_=False, points=0):
    meta = {
        "grade_id": gid,
        "locked": not solution,
        "solution": solution,
        "grade": grade_,
        "schema_version": 3,
    }
    if grade_:
        meta["points"] = points
    return {"nbgrader": meta}


def _release():
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Intro", metadata=_meta("intro")),
        nbformat.v4.new_code_cell("import math", metadata=_meta("imports")),
        nbformat.v4.new_code_cell("def add(a, b): ...", metadata=_meta("add", solution=True)),
        nbformat.v4.new_code_cell("# tests of add", metadata=_meta("add_values", grade_=True, points=2)),
        nbformat.v4.new_code_cell("def twice(x): ...", metadata=_meta("twice", solution=True)),
        nbformat.v4.new_code_cell("# tests of twice", metadata=_meta("twice_values", grade_=True, points=3)),
        nbformat.v4.new_code_cell("plot()", metadata={"tags": ["exploratory"]}),
        nbformat.v4.new_code_cell("print(add(1, 2))"),
    ]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return nb


def _master():
    return Master(
        release=_release(),
        order=["intro", "imports", "add", "add_values", "twice", "twice_values"],
        locked={"intro", "imports", "add_values", "twice_values"},
        solutions={"add", "twice"},
        tests={"add_values": ("add", 2.0), "twice_values": ("twice", 3.0)},
        demonstration={"print(add(1, 2))"},
        helpers={"tools.py": "TWO = 2\n"},
        probes={"add": "PROBE add", "twice": "PROBE twice"},
    )


def _cells(*extra):
    cells = [dict(c) for c in _release().cells]
    cells[2]["source"] = "def add(a, b): return a + b"
    cells[4]["source"] = "def twice(x): return add(x, x)"
    return cells + [nbformat.v4.new_code_cell(source) for source in extra]


class Script:
    """What the stand-in kernels do: which code or probe kills them, and a shared log."""

    def __init__(self, die_on_run=(), die_on_probe=(), die_at_start=lambda starts: False, results=None):
        self.die_on_run, self.die_on_probe = set(die_on_run), set(die_on_probe)
        self.die_at_start = die_at_start
        self.results = results or {"add": [{"value": 3}, {"value": 7}], "twice": [{"value": 10}]}
        self.log, self.starts, self.budgets = [], 0, {}

    def kernel(self, workdir, limits):
        self.starts += 1
        self.log.append("start")
        if self.die_at_start(self.starts):
            raise KernelDied("could not start")
        return FakeKernel(self)


class FakeKernel:
    def __init__(self, script):
        self.script = script

    def run(self, code):
        self.script.log.append(f"run {code}")
        if code in self.script.die_on_run:
            raise KernelDied(f"died running {code}")
        return {
            "status": "ok",
            "execution_count": 7,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": code}],
        }

    def record(self, name):
        self.script.log.append(f"record {name}")

    def probe(self, code, what, on_call=None, cases=None, max_calls=None):  # noqa: ARG002
        exercise = what.split()[-1]
        assert code == f"PROBE {exercise}"
        self.script.log.append(f"probe {exercise}")
        self.script.budgets[exercise] = max_calls
        if exercise in self.script.die_on_probe:
            raise KernelDied(f"died probing {exercise}")
        return {"op": "probe", "result": self.script.results[exercise]}

    def wait_started(self):
        pass  # started at once

    def close(self):
        self.script.log.append("close")

    def peak_rss_mb(self):
        return 12.0


@pytest.fixture
def script(monkeypatch):
    def use(**kwargs):
        made = Script(**kwargs)
        monkeypatch.setattr(grade, "Kernel", made.kernel)
        return made

    return use


def _run(cells=None, deadline=1e12):
    return Run(cells or _cells(), _master(), Limits(), "/nonexistent", deadline)


def test_run_cells_runs_what_grading_needs_and_records_at_test_cells(script):
    s = script()
    run = _run(_cells("x = 1"))
    run.start()
    run_cells(run, budget=OutputBudget(10_000))
    assert s.log == [
        "start",
        "run import math",
        "run def add(a, b): return a + b",
        "record add",
        "run def twice(x): return add(x, x)",
        "record twice",
        "run x = 1",
    ]
    assert run.recorded == ["add", "twice"] and run.record_index == {"add": 3, "twice": 5}
    assert run.cells[1]["outputs"][0]["text"] == "import math" and run.cells[1]["execution_count"] == 7


def test_run_cells_runs_a_changed_demonstration_cell():
    s = Script()
    run = _run([*_cells()[:7], nbformat.v4.new_code_cell("print(add(1, 2)); steal()")])
    run.kernel = s.kernel(None, None)
    run_cells(run)
    assert s.log[-1] == "run print(add(1, 2)); steal()"


def test_run_cells_tells_which_cell_killed_the_kernel():
    s = Script(die_on_run={"def twice(x): return add(x, x)"})
    run = _run()
    run.kernel = s.kernel(None, None)
    with pytest.raises(KernelDied) as died:
        run_cells(run)
    assert died.value.index == 4 and run.recorded == ["add"]


def test_probe_all_probes_composites_last_and_skips_what_is_answered():
    s = Script()
    run = _run()
    run.kernel = s.kernel(None, None)
    run.recorded, run.record_index = ["twice", "add"], {"twice": 1, "add": 2}
    answers = {}
    probe_all(run, two_exercises(), answers)
    assert [line for line in s.log if line.startswith("probe")] == ["probe add", "probe twice"]
    s.log.clear()
    probe_all(run, two_exercises(), answers)
    assert s.log == []


@pytest.mark.parametrize("ceiling, budget", [(1000, 4 * 7 + 50), (40, 40)])
def test_probe_all_gives_a_composite_a_callee_budget_from_its_references_calls(ceiling, budget):
    s = Script()
    run = Run(_cells(), _master(), Limits(callee_calls=ceiling), "/nonexistent", 1e12)
    run.master.reference_calls = {"twice": 7}  # as prepared_master counts them
    run.kernel = s.kernel(None, None)
    run.recorded, run.record_index = ["add", "twice"], {"add": 3, "twice": 5}
    probe_all(run, two_exercises(), {})
    assert s.budgets["twice"] == budget
    assert s.budgets["add"] == min(ceiling, 50)  # no callees: no call is answered anyway


def test_probe_all_tells_which_exercise_killed_the_kernel():
    s = Script(die_on_probe={"add"})
    run = _run()
    run.kernel = s.kernel(None, None)
    run.recorded, run.record_index = ["add", "twice"], {"add": 3, "twice": 5}
    with pytest.raises(KernelDied) as died:
        probe_all(run, two_exercises(), {})
    assert died.value.exercise == "add"


def test_execute_without_trouble_answers_every_exercise(script):
    s = script()
    run = _run()
    answers = execute(run, two_exercises(), OutputBudget(10_000))
    assert set(answers) == {"add", "twice"} and run.notes == [] and s.starts == 1
    assert s.log[-1] == "close" and run.peak_mb == 12.0


def test_a_death_after_every_test_cell_still_judges_everything(script):
    s = script(die_on_run={"boom()"})
    run = _run(_cells("boom()"))
    answers = execute(run, two_exercises(), OutputBudget(10_000))
    assert set(answers) == {"add", "twice"} and s.starts == 2
    assert s.log.count("run boom()") == 1  # the fatal cell is not run again
    assert run.notes == ["内核终止 / kernel stopped: died running boom()"]


def test_a_death_in_a_cell_costs_the_exercises_recorded_after_it(script):
    s = script(die_on_run={"def twice(x): return add(x, x)"})
    run = _run()
    answers = execute(run, two_exercises(), OutputBudget(10_000))
    assert set(answers) == {"add"}
    assert s.starts == 2 and s.log.count("run def twice(x): return add(x, x)") == 1


def test_a_death_in_the_first_cell_does_not_restart(script):
    s = script(die_on_run={"import math"})
    answers = execute(_run(), two_exercises(), OutputBudget(10_000))
    assert answers == {} and s.starts == 1


def test_a_death_in_a_probe_costs_that_exercise_only(script):
    s = script(die_on_probe={"add"})
    answers = execute(_run(), two_exercises(), OutputBudget(10_000))
    assert answers["add"] == "内核终止 / kernel stopped: died probing add"
    assert answers["twice"].score == answers["twice"].points and not answers["twice"].failures
    assert s.starts == 2


def test_restarts_are_bounded(script):
    s = script(die_on_probe={"add", "twice"}, die_at_start=lambda n: n > 1)
    run = _run()
    answers = execute(run, two_exercises(), OutputBudget(10_000))
    assert s.starts <= grade.RESTARTS + 1
    assert answers["add"].startswith("内核终止") and "twice" not in answers
    assert "内核终止 / kernel stopped: could not start" in run.notes


def test_no_kernel_is_started_without_time_left(script):
    s = script()
    run = _run(deadline=0.0)
    assert execute(run, two_exercises(), OutputBudget(10_000)) == {}
    assert s.starts == 0 and "no time left" in run.notes[0]


def _verdicts():
    return {
        "add_values": Verdict("add", "add_values", 2.0, 2.0, 2, 2),
        "twice_values": Verdict(
            "twice",
            "twice_values",
            3.0,
            0.0,
            0,
            1,
            failures=[Failure("twice 5", "values", "result", "错 / wrong")],
        ),
    }


def test_render_puts_each_verdict_in_its_test_cell():
    cells = _cells("x = 1")
    cells[3]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "forged: all passed"}]
    nb = nbformat.reads(render(cells, _verdicts(), _master()), as_version=4)
    assert nb.metadata == _release().metadata
    assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(len(cells))]
    passed, failed = nb.cells[3].outputs, nb.cells[5].outputs
    assert [o.output_type for o in passed] == ["stream"] and "all 2 hidden tests passed" in passed[0].text
    assert [o.output_type for o in failed] == ["stream", "error"]
    assert failed[1].ename == "HiddenTestsFailed" and failed[1].evalue == "twice: 0/3"
    assert "[twice 5] 错 / wrong" in failed[0].text
    nbformat.validate(nb)


def test_grade_submission_end_to_end_on_the_stand_in_kernel(script, tmp_path):
    script()
    path = tmp_path / "nb.ipynb"
    nb = _release()
    nb.cells[2].source = "def add(a, b): return a + b"
    path.write_text(nbformat.writes(nb))
    result = grade.grade_submission("ann", str(path), two_exercises(), _master(), Limits())
    assert {gid: v.score for gid, v in result.verdicts.items()} == {"add_values": 2.0, "twice_values": 3.0}
    assert result.gradable and not result.grader_error and result.score == 5.0
    assert json.loads(result.notebook)["nbformat"] == 4


def test_grade_submission_of_an_unreadable_notebook_grades_nothing(script, tmp_path):
    s = script()
    path = tmp_path / "nb.ipynb"
    path.write_text("not json")
    result = grade.grade_submission("ann", str(path), two_exercises(), _master(), Limits(), ["renamed"])
    assert not result.gradable and result.score == 0
    # Its kernel was started while the notebook was read (grade_submission overlaps the two); it
    # ran nothing and was closed.
    assert s.starts == 1 and s.log == ["start", "close"]
    assert result.notes[0] == "renamed" and "not valid JSON" in result.notes[1]
    assert {v.status for v in result.verdicts.values()} == {"not_graded"}


@pytest.mark.parametrize(
    "answer, reason",
    [
        ({"op": "probe", "error": "SyntaxError: bad"}, "could not run: SyntaxError"),
        ({"op": "probe", "status": "interrupted", "error": "interrupted"}, "timed out or were interrupted"),
        ({"op": "probe"}, "returned no usable result"),
    ],
)
def test_grade_submission_explains_a_probe_without_results(script, tmp_path, monkeypatch, answer, reason):
    s = script()
    monkeypatch.setattr(
        FakeKernel, "probe", lambda self, code, what, on_call=None, cases=None, max_calls=None: answer
    )
    path = tmp_path / "nb.ipynb"
    path.write_text(nbformat.writes(_release()))
    result = grade.grade_submission("ann", str(path), two_exercises(), _master(), Limits())
    for verdict in result.verdicts.values():
        assert verdict.status == "not_graded" and reason in verdict.failures[0].message
    assert s.starts == 1


@pytest.mark.parametrize(
    "metadata", [{"tags": 5}, {"tags": None}, {"tags": [["exploratory"]]}, {"nbgrader": {"grade_id": 3}}]
)
def test_odd_metadata_in_a_students_own_cell_is_not_a_grader_error(script, tmp_path, metadata):
    # nbformat only logs invalid metadata, so read_notebook lets it through; grading must cope.
    script()
    nb = json.loads(nbformat.writes(_release()))
    nb["cells"].append(
        {
            "cell_type": "code",
            "metadata": metadata,
            "source": "x = 1",
            "outputs": [],
            "execution_count": None,
            "id": "own",
        }
    )
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    result = grade.grade_submission("ann", str(path), two_exercises(), _master(), Limits())
    assert result.gradable and result.score == 5.0
