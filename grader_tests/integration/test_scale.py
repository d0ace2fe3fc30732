"""Parallel, distributed and shared-database grading give the sequential run's grades."""

from grader.pages import table
from grader_tests.helpers.scale import (
    L1W3,
    _grade,
    sequential,  # noqa: F401 (fixtures, used by name)
)


def test_sequential_grades_are_the_expected_ones(sequential):
    _, _, _, scores = sequential
    assert sum(scores["demo_solution"].values()) == 20
    assert sum(scores["demo_untouched"].values()) == 0
    assert scores["bug_predict"]["func_predict_values"] == 0 and sum(scores["bug_predict"].values()) == 18
    assert scores["bug_cost"]["func_compute_cost_values"] == 0 and sum(scores["bug_cost"].values()) == 18
    assert sum(scores["bug_layer_sizes"].values()) == 19


def test_parallel_workers_write_exactly_the_sequential_scores(sequential, tmp_path):
    _, submitted, verdicts, scores = sequential
    parallel, db = _grade(tmp_path, "parallel", submitted, workers=3)
    assert parallel == verdicts
    assert table.scores(db, L1W3)[1] == scores
