"""Every student is graded on hidden inputs of their own; a regrade gets the same ones (issue 17.1).

The real runner (forked workers, real sandboxed kernels) grades the same correct notebook
for two students, twice; spies on ``runner.grade_one`` and ``Kernel.probe`` in the workers write
down the cases each student's probe requests carried.  The course secret is the test's own (``runner.run(secret=...)``),
never a checkout's.
"""

import json

import pytest

from grader.batch import runner
from grader.course import secret as course_secret
from grader.course import submissions
from grader.pipeline.probe import decode
from grader.sandbox import kernel as kernel_module

SECRET = bytes(range(32))


def _grade(tmp_path, l1w3, students, run, monkeypatch):
    """Grade ``students`` (the full solution each); return ``({student: {exercise: cases}}, results)``."""
    submitted = tmp_path / f"submitted-{run}"
    for student in students:
        submissions.write(submissions.fill(l1w3), student, str(submitted), l1w3)
    log = tmp_path / f"probes-{run}.jsonl"
    original, grade_one = kernel_module.Kernel.probe, runner.grade_one

    def log_line(**line):
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    def spy(self, code, what="running hidden tests", on_call=None, cases=None, max_calls=None):
        # In the forked worker: one line per probe request, after the line of its student.
        log_line(what=what, cases=cases)
        return original(self, code, what, on_call, cases, max_calls)

    def each_student(student, *args, **kwargs):
        log_line(student=student)
        return grade_one(student, *args, **kwargs)

    monkeypatch.setattr(runner, "grade_one", each_student)
    monkeypatch.setattr(kernel_module.Kernel, "probe", spy)
    results = runner.run(
        str(submitted),
        str(tmp_path / f"autograded-{run}"),
        f"sqlite:///{tmp_path / f'gradebook-{run}.db'}",
        l1w3.id,
        workers=1,  # one submission after the other: the log's order is the students' order
        quiet=True,
        secret=SECRET,
    )
    monkeypatch.setattr(kernel_module.Kernel, "probe", original)
    monkeypatch.setattr(runner, "grade_one", grade_one)
    cases, student = {}, None
    for line in map(json.loads, log.read_text(encoding="utf-8").splitlines()):
        if "student" in line:
            student = line["student"]
            cases[student] = {}
        else:
            cases[student][line["what"].split()[-1]] = line["cases"]
    assert sorted(cases) == sorted(students)
    return cases, results


@pytest.fixture(scope="module")
def graded(tmp_path_factory, l1w3):
    monkeypatch = pytest.MonkeyPatch()
    tmp_path = tmp_path_factory.mktemp("hidden")
    try:
        first, results = _grade(tmp_path, l1w3, ["alice", "bob"], 1, monkeypatch)
        again, regraded = _grade(tmp_path, l1w3, ["alice"], 2, monkeypatch)
    finally:
        monkeypatch.undo()
    return first, again, results + regraded


def test_every_submission_gets_full_marks_on_its_own_inputs(graded):
    _, _, results = graded
    for result in results:
        assert all(v.score == v.points for v in result.verdicts.values()), result.student


def test_two_students_get_different_hidden_inputs(graded, l1w3):
    first, _, _ = graded
    alice, bob = first["alice"], first["bob"]
    assert set(alice) == set(bob) == set(l1w3.exercises)
    differ = [exercise for exercise in l1w3.exercises if alice[exercise] != bob[exercise]]
    assert differ == list(l1w3.exercises)
    for exercise in differ:
        # The lesson's own case comes first and is everyone's; the hidden ones differ.
        assert alice[exercise][0] == bob[exercise][0]


def test_a_regrade_gets_the_same_inputs(graded):
    first, again, _ = graded
    assert again["alice"] == first["alice"]


def test_the_inputs_are_the_students_seed_drawn_from_the_spec(graded, l1w3):
    first, _, _ = graded
    seed = course_secret.submission_seed(SECRET, l1w3.id, "bob")
    drawn = l1w3.hidden_cases(seed)["func_forward_propagation"]
    sent = first["bob"]["func_forward_propagation"]
    X = decode(sent[1]["args"]["__tuple__"][0])  # the hidden case's X, as the kernel got it
    assert X.shape == drawn[1].args[0].shape and (X == drawn[1].args[0]).all()
