"""Parallel, distributed and shared-database grading give the sequential run's grades."""

import pytest

from grader.batch import runner
from grader.course.assignment import load
from grader.pages import table
from grader_tests.helpers.course import six_submissions

L1W3 = load("L1W3")


def _grade(tmp_path, name, submitted, **kwargs):
    db = kwargs.pop("db", None) or f"sqlite:///{tmp_path / (name + '.db')}"
    results = runner.run(submitted, str(tmp_path / name), db, "L1W3", quiet=True, **kwargs)
    return {r.student: {g: (v.score, v.message) for g, v in r.verdicts.items()} for r in results}, db


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale")
    submitted = six_submissions(str(tmp))
    verdicts, db = _grade(tmp, "sequential", submitted, workers=1)
    return tmp, submitted, verdicts, table.scores(db, L1W3)[1]


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
