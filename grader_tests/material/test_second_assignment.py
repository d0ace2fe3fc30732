"""L1W2, the second assignment: proof that an assignment is data (issue 11).

The fast tests read the source notebook, load the assignment's helpers by
path (beside L1W3's, which this process may already have imported under the
same names), build the grading spec and run the reference solutions on every
hidden case.  They also show that the hidden cases catch, for every
exercise, a realistic mistake that the lesson's own test case (and so the
public self-check) lets through.

The slow tests grade L1W2 through the same commands as L1W3:
``python -m grader grade L1W2`` sequentially and with two workers,
``nbgrader autograde L1W2``, ``python -m grader feedback`` and ``report``.
The release check, nbval on the source notebook and the filled release's
run cover every assignment (``test_release_built.py`` and ``make test``).
"""

import copy
import importlib
import importlib.util
import os
import re
import sys
import types

import nbformat
import numpy as np
import pytest

from grader_tests.helpers.second_assignment import (  # noqa: F401 (fixtures, used by name)
    ASSIGNMENT,
    EQUIVALENTS,
    GRADE_POINTS,
    HELPERS,
    MISTAKES,
    NOTEBOOK,
    PAIR,
    PASSED,
    POINTS,
    SUBMISSIONS,
    _grade_id,
    _leaves,
    _path,
    _run,
    _solutions,
    _write_submissions,
    graded,
    source,
    source_dir,
)


def _cell(nb, grade_id):
    [cell] = [c for c in nb.cells if _grade_id(c) == grade_id]
    return cell


def load_helpers(folder):
    """Import the helper modules of ``folder`` by path; return ``{name: module}``.

    While they are imported, the folder comes first on ``sys.path`` and any
    module of the same name (L1W3's ``testCases``, say) is out of
    ``sys.modules``, so ``checks`` imports this folder's ``testCases``;
    afterwards ``sys.path`` and ``sys.modules`` are as they were.
    """
    names = sorted(n[:-3] for n in os.listdir(folder) if n.endswith(".py"))
    saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    sys.path.insert(0, folder)
    try:
        return {n: importlib.import_module(n) for n in names}
    finally:
        sys.path.remove(folder)
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)


@pytest.fixture(scope="module")
def helpers(source_dir):
    return load_helpers(source_dir)


@pytest.fixture(scope="module")
def spec(root, helpers):
    path = _path(root, "grading", ASSIGNMENT, "spec.py")
    module_spec = importlib.util.spec_from_file_location("l1w2_grading_spec", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.build(helpers)


def _define(spec, sources):
    """Execute solution sources in one namespace of ``spec.solution_globals``, in notebook order."""
    namespace = dict(spec.solution_globals)
    for name, code in sources.items():
        exec(compile(code, f"<solution {name}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def reference(spec, source):
    namespace = _define(spec, _solutions(source, spec.exercises))
    return {name: namespace[name] for name in spec.exercises}


def _call(function, case):
    return function(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))


def _judge(spec, reference, exercise, function):
    """``[(case label, message)]`` for the hidden cases ``function`` fails, callees being the reference's."""
    failures = []
    callees = spec.callees.get(exercise, ())
    namespace = function.__globals__
    saved = {name: namespace.get(name) for name in callees}
    try:
        for name in callees:
            namespace[name] = reference[name]
        for case in spec.cases[exercise]:
            try:
                actual = _call(function, case)
            except Exception as exc:  # a student's function may raise anything
                failures.append((case.label, f"raised {type(exc).__name__}: {exc}"))
                continue
            message = spec.compare(_call(reference[exercise], case), actual, spec.result_names[exercise])
            if message:
                failures.append((case.label, message))
    finally:
        namespace.update(saved)
    return failures


def test_every_exercise_has_a_solution_cell_then_a_test_cell_with_its_points(source):
    ids = [_grade_id(c) for c in source.cells]
    solutions = [_grade_id(c) for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions == list(POINTS)
    graded = {
        _grade_id(c): c.metadata["nbgrader"]["points"]
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    assert graded == GRADE_POINTS
    for name in POINTS:
        solution, test = _cell(source, name), _cell(source, name + "_values")
        assert ids.index(name) < ids.index(name + "_values")
        assert solution.metadata["nbgrader"]["locked"] is False
        assert f"def {name}(" in solution.source and '"""' in solution.source
        body = solution.source.split('"""')[2]
        assert body.index("### BEGIN SOLUTION") < body.index("### END SOLUTION")
        assert test.metadata["nbgrader"]["locked"] is True and test.cell_type == "code"
        visible, hidden = test.source.split("### BEGIN HIDDEN TESTS")
        assert f"check_{name[len('func_') :]}({name})" in visible
        assert f'run_hidden_tests("{name}", globals(), assignment_id="{ASSIGNMENT}")' in hidden
        assert hidden.rstrip().endswith("### END HIDDEN TESTS")


def test_graded_cells_come_in_the_order_of_the_exercises(source):
    order = [_grade_id(c) for c in source.cells if _grade_id(c) in POINTS or _grade_id(c) in GRADE_POINTS]
    assert order == [g for name in POINTS for g in (name, name + "_values")]


def test_locked_instructions_imports_and_exploratory_cells(source):
    assert _cell(source, "imports").metadata["nbgrader"]["locked"] is True
    for grade_id in ("intro", "instructions"):
        assert _cell(source, grade_id).cell_type == "markdown"
    imports = _cell(source, "imports").source
    for name in HELPERS:
        assert f"from {name} import" in imports
    exploratory = [c for c in source.cells if "exploratory" in c.metadata.get("tags", [])]
    assert len(exploratory) >= 4
    assert all(not _grade_id(c) for c in exploratory)
    assert any("func_model(" in c.source for c in exploratory)


def test_markdown_is_chinese_then_english_and_says_what_replaces_the_cat_pictures(source):
    for cell in source.cells:
        if cell.cell_type != "markdown":
            continue
        prose = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", "", cell.source, flags=re.S)
        chinese = re.search(r"[\u4e00-\u9fff]", prose)
        english = re.search(r"\b(the|a|of|is|to|and|Imports|[A-Z][a-z]{3,})\b", prose)
        assert chinese and english and chinese.start() < english.start(), cell.source[:60]
    data = "\n".join(c.source for c in source.cells if c.cell_type == "markdown")
    assert "cat" in data and "猫" in data and "2030" in data


def test_stored_outputs_show_every_self_check_passing_and_no_error(source):
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, cell.source[:60]
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:60]
    for name in POINTS:
        text = "".join(o.get("text", "") for o in _cell(source, name + "_values").outputs)
        assert text.strip() == PASSED


def test_stored_outputs_print_the_lessons_numbers(source):
    printed = "".join(o.get("text", "") for c in source.cells if c.cell_type == "code" for o in c.outputs)
    for number in (
        "0.88079708",
        "0.99845601",
        "2.39507239",
        "0.001455578136784208",
        "5.801545319394553",
        "0.19033591",
        "0.12259159",
        "1.9253598300845747",
        "0.67752042",
        "1.41625495",
        "0.21919450454067657",
        "predictions = [[1. 1. 0.]]",
    ):
        assert number in printed, number


@pytest.mark.parametrize("name", HELPERS)
def test_helpers_are_links_to_utils_that_say_students_get_a_generated_copy(root, source_dir, name):
    path = _path(source_dir, name + ".py")
    real = _path(root, "utils", ASSIGNMENT, name + ".py")
    assert os.path.islink(path) and os.path.realpath(path) == os.path.realpath(real)
    with open(real, encoding="utf-8") as f:
        head = f.read(600)
    assert "GENERATED" in head and "nbgrader" in head and f"utils/{ASSIGNMENT}/{name}.py" in head
    assert "make release" in head


def test_helpers_are_named_like_l1w3s(root):
    """The point of the second assignment: two ``testCases`` and two ``checks`` in one course."""
    for name in ("testCases.py", "checks.py"):
        assert os.path.exists(_path(root, "source", "L1W3", name))
        assert os.path.exists(_path(root, "source", ASSIGNMENT, name))


def test_helpers_load_by_path_beside_a_module_of_the_same_name(source_dir, monkeypatch):
    """Another assignment's ``testCases`` already imported: L1W2's helpers still get their own."""
    other = types.ModuleType("testCases")
    monkeypatch.setitem(sys.modules, "testCases", other)
    helpers = load_helpers(source_dir)
    assert helpers["testCases"] is not other
    assert hasattr(helpers["testCases"], "func_propagate_test_case")
    assert helpers["checks"].testCases is helpers["testCases"]
    assert sys.modules["testCases"] is other
    assert source_dir not in sys.path and "lr_utils" not in sys.modules


def test_data_set_is_seeded_and_leaves_the_global_random_state_alone(helpers):
    lr_utils = helpers["lr_utils"]
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    first = lr_utils.func_load_dataset()
    assert np.array_equal(np.random.get_state()[1], before)
    again = lr_utils.func_load_dataset(random_state=2030)
    other = lr_utils.func_load_dataset(random_state=2031)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    train_x, train_y, test_x, test_y, classes = first
    assert train_x.shape == (2, 200) and train_y.shape == (1, 200)
    assert test_x.shape == (2, 50) and test_y.shape == (1, 50)
    assert set(np.unique(train_y)) == {0, 1} and train_y.sum() == 100 and test_y.sum() == 25
    assert list(classes) == ["non-cat", "cat"]


def test_public_self_checks_pass_on_the_reference_and_explain_a_mistake_in_two_languages(
    helpers, reference, capsys
):
    checks = helpers["checks"]
    for name in POINTS:
        getattr(checks, "check_" + name[len("func_") :])(reference[name])
        assert capsys.readouterr().out.strip() == PASSED
    with pytest.raises(AssertionError) as info:
        checks.check_predict(lambda w, b, X: np.ones((1, X.shape[1])))
    message = str(info.value)
    assert "Y_prediction[0, 2]" in message
    assert "期望" in message and "expected" in message
    assert message.index("期望") < message.index("expected")


def test_compare_accepts_what_the_lesson_allows_and_nothing_else(helpers):
    compare = helpers["checks"].compare
    assert compare(0.0, 0, "b") is None  # b = 0, as the lesson writes it
    assert compare(5.8, np.squeeze(np.array([[5.8]])), "cost") is None  # a squeezed 0-d cost
    assert compare((1.0, [2.0]), [1.0, (2.0,)], "r") is None
    assert compare(np.array([[1.0, 0.0]]), np.array([[True, False]]), "p") is None
    assert "shape" in compare(np.zeros((2, 1)), np.zeros(2), "w")
    assert compare(5.8, np.array([[5.8]]), "cost") is not None  # (1, 1) is not a number
    assert compare(0.5, True, "s") is not None
    assert compare([1.0, 2.0], [1.0], "costs") is not None
    assert compare({"dw": 1.0, "db": 2.0}, {"dw": 1.0}, "grads") is not None
    assert compare(1.0, float("nan"), "cost") is not None


def test_compare_says_what_kind_of_problem_and_where(helpers):
    compare = helpers["checks"].compare
    grads = {"dw": np.zeros((2, 1)), "db": 0.5}
    cases = [  # (expected, actual, name, kind, variable)
        (grads, [grads], "grads", "type", "grads"),
        (grads, {"dw": grads["dw"]}, "grads", "keys", "grads"),
        ((grads, 1.0), (grads,), "(grads, cost)", "length", "(grads, cost)"),
        (
            (grads, 1.0),
            ({"dw": np.zeros(2), "db": 0.5}, 1.0),
            "(grads, cost)",
            "shape",
            "grads['dw']",
        ),
        ((grads, 1.0), (grads, 2.0), "(grads, cost)", "values", "cost"),
        (np.zeros((1, 2)), np.array([["a", "b"]]), "Y_prediction", "dtype", "Y_prediction"),
        (np.zeros((1, 2)), np.array([[0.0, 1.0]]), "Y_prediction", "values", "Y_prediction"),
    ]
    for expected, actual, name, kind, variable in cases:
        problem = compare(expected, actual, name)
        assert (problem.kind, problem.variable) == (kind, variable), problem
        assert str(problem) == problem and type(str(problem)) is str


def test_release_keeps_signatures_docstrings_and_returns_but_no_solution_or_hidden_test(root, source):
    release = nbformat.read(_path(root, "notebooks", ASSIGNMENT, NOTEBOOK), as_version=4)
    released = "\n".join(cell.source for cell in release.cells)
    assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released
    assert "grader" not in released.replace("autograder", "")
    stubs = {_grade_id(c): c.source for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")}
    assert list(stubs) == list(POINTS)
    for name, code in _solutions(source, POINTS).items():
        solution = code.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        secret = [line for line in solution.splitlines() if line.strip() and not line.strip().startswith("#")]
        assert secret and not [line for line in secret if line in stubs[name].splitlines()], name
        assert "raise NotImplementedError()" in stubs[name]
        kept = [
            line
            for line in code.splitlines()
            if line.lstrip().startswith(("def ", "return ")) or '"""' in line
        ]
        assert all(line in stubs[name].splitlines() for line in kept), name
    assert all(not c.get("outputs") for c in release.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", HELPERS)
def test_released_helpers_are_copies_of_the_source_helpers(root, name):
    with open(_path(root, "notebooks", ASSIGNMENT, name + ".py"), encoding="utf-8") as f:
        released = f.read()
    with open(_path(root, "source", ASSIGNMENT, name + ".py"), encoding="utf-8") as f:
        assert released == f.read()


def test_spec_names_every_exercise_with_its_test_cell_in_notebook_order(spec, helpers):
    assert spec.notebook == NOTEBOOK
    assert list(spec.exercises.items()) == [(name, name + "_values") for name in POINTS]
    assert set(spec.cases) == set(spec.result_names) == set(POINTS)
    assert spec.compare is helpers["checks"].compare
    assert spec.callees["func_optimize"] == ("func_propagate",)
    for exercise, callees in spec.callees.items():
        assert exercise in POINTS and set(callees) <= set(POINTS) - {exercise}
    assert "np" in spec.solution_globals


def test_the_lessons_case_comes_first_and_hidden_ones_follow(spec):
    for exercise, cases in spec.cases.items():
        assert "lesson" in cases[0].label, exercise
        assert len(cases) >= 4, exercise
        labels = [case.label for case in cases]
        assert len(set(labels)) == len(labels), exercise


def test_reference_passes_every_hidden_case_deterministically_without_touching_its_inputs(spec, reference):
    for exercise in POINTS:
        for case in spec.cases[exercise]:
            args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
            first = reference[exercise](*case.args, **case.kwargs)
            second = _call(reference[exercise], case)
            assert spec.compare(first, second, spec.result_names[exercise]) is None
            assert spec.compare(args, case.args, "args") is None, (exercise, case.label)
            assert spec.compare(kwargs, case.kwargs, "kwargs") is None, (exercise, case.label)
            flat = np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in _leaves(first)])
            assert np.isfinite(flat).all(), (exercise, case.label)
        assert _judge(spec, reference, exercise, reference[exercise]) == []


def test_hidden_cases_cover_what_the_brief_asks(spec):
    def shapes(exercise, index):
        return {np.shape(case.args[index]) for case in spec.cases[exercise]}

    assert len(shapes("func_propagate", 2)) >= 4  # other numbers of features and examples
    assert any(case.args[1] != 0 for case in spec.cases["func_propagate"][1:])  # non-zero bias
    rates = {
        case.kwargs.get("learning_rate", case.args[5] if len(case.args) > 5 else 0.009)
        for case in spec.cases["func_optimize"]
    }
    iterations = {
        case.kwargs.get("num_iterations", case.args[4] if len(case.args) > 4 else 100)
        for case in spec.cases["func_optimize"]
    }
    assert len(rates) >= 3 and len(iterations) >= 3 and max(iterations) >= 200
    assert any(np.isscalar(case.args[0]) for case in spec.cases["func_sigmoid"])


def _variant(spec, source, exercise, old, new):
    sources = _solutions(source, spec.exercises)
    assert old in sources[exercise], (exercise, old)
    sources[exercise] = sources[exercise].replace(old, new)
    return _define(spec, sources)[exercise]


@pytest.mark.parametrize("exercise, old, new", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistake_the_lessons_case_lets_through_fails_the_public_check_as_it_fails_hidden(
    spec, source, helpers, reference, exercise, old, new
):
    # Issue 19: the public self-check goes beyond the lesson's case, as the hidden cases do.
    checks = helpers["checks"]
    buggy = _variant(spec, source, exercise, old, new)
    lesson = checks.CASES[exercise][0]
    args, kwargs = lesson.arguments()
    assert checks.compare(lesson.expected, buggy(*args, **kwargs), "r", **lesson.tolerances) is None
    with pytest.raises(checks.Mismatch) as info:
        getattr(checks, "check_" + exercise[len("func_") :])(buggy)
    assert info.value.case != lesson.label_en
    failures = _judge(spec, reference, exercise, buggy)
    assert failures, exercise
    assert all("lesson" not in label for label, _ in failures)


@pytest.mark.parametrize("exercise, old, new", EQUIVALENTS, ids=[e[0] for e in EQUIVALENTS])
def test_correct_code_written_differently_passes_every_hidden_case(
    spec, source, reference, exercise, old, new
):
    assert _judge(spec, reference, exercise, _variant(spec, source, exercise, old, new)) == []


def test_a_composite_is_judged_with_the_correct_callee(spec, source, reference):
    """``func_optimize`` calling a wrong ``func_propagate`` still passes: the callee is replaced."""
    wrong = _define(
        spec,
        dict(
            _solutions(source, spec.exercises),
            func_propagate=(
                _solutions(source, spec.exercises)["func_propagate"].replace("db = 1 / m *", "db = 2 / m *")
            ),
        ),
    )
    assert _judge(spec, reference, "func_propagate", wrong["func_propagate"])
    assert _judge(spec, reference, "func_optimize", wrong["func_optimize"]) == []


def test_l1w3_and_l1w2_helpers_coexist_in_one_process():
    from grader.course import assignment

    l1w3 = assignment.load("L1W3").helpers
    l1w2 = assignment.load(ASSIGNMENT).helpers
    assert l1w3["testCases"] is not l1w2["testCases"]
    assert l1w3["checks"] is not l1w2["checks"]
    assert hasattr(l1w3["testCases"], "func_layer_sizes_test_case")
    assert not hasattr(l1w3["testCases"], "func_propagate_test_case")
    assert hasattr(l1w2["testCases"], "func_propagate_test_case")
    assert not hasattr(l1w2["testCases"], "func_layer_sizes_test_case")
    # Each checks module uses its own assignment's test cases.
    assert l1w3["checks"].testCases is l1w3["testCases"]
    assert l1w2["checks"].testCases is l1w2["testCases"]
    assert "lr_utils" in l1w2 and "lr_utils" not in l1w3 and "planar_utils" not in l1w2
    # Loading again (the other one first) gives the same, separate modules.
    assert assignment.load(ASSIGNMENT).helpers["testCases"].func_sigmoid_test_case().tolist() == [0, 2]


def test_a_failed_self_check_puts_chinese_and_english_on_lines_of_their_own(helpers):
    """One long bilingual line is cut by `nbgrader validate` and scrolls in the Validate dialog."""
    checks = helpers["checks"]
    with pytest.raises(checks.Mismatch) as info:
        checks.check_propagate(lambda w, b, X, Y: ({"dw": np.zeros((2, 1)), "db": 0.0}, 5.0))
    lines = str(info.value).splitlines()
    # The header, then the difference, each as a Chinese line and its English one.
    assert lines[2:4] == [
        "grads['dw'][0, 0]：期望 0.99845601，实际 0",
        "grads['dw'][0, 0]: expected 0.99845601, got 0",
    ]
    for chinese, english in (lines[0:2], lines[2:4]):
        assert re.search(r"[\u4e00-\u9fff]", chinese) and " / " not in chinese
        assert not re.search(r"[\u4e00-\u9fff]", english) and len(english) <= 80
    assert lines[4:] == ["输入 / inputs:", "func_propagate(*func_propagate_test_case())"]
