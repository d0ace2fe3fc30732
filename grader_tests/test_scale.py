"""Parallel, distributed and shared-database grading give the sequential run's grades."""
import os

import pytest

from grader import runner, submissions, table
from grader.reference import solution_sources

pytestmark = pytest.mark.slow


def _folder(root):
    """Six submissions: the demo's three and three single bugs on different exercises."""
    submitted = os.path.join(root, "submitted")
    submissions.demo(submitted)
    sources = solution_sources()
    bugs = {
        "bug_predict": ("func_predict", "np.round(A2)", "np.round(A2 + 0.1)"),
        "bug_cost": ("func_compute_cost", "cost = -1 / m", "cost = 1 / m"),
        "bug_layer_sizes": ("func_layer_sizes", "n_y = Y.shape[0]", "n_y = 1"),
    }
    for student, (exercise, old, new) in bugs.items():
        submissions.write(submissions.fill(dict(sources, **{exercise: sources[exercise].replace(old, new)})),
                          student, submitted)
    return submitted


def _grade(tmp_path, name, submitted, **kwargs):
    db = kwargs.pop("db", None) or f"sqlite:///{tmp_path / (name + '.db')}"
    results = runner.run(submitted, str(tmp_path / name), db, quiet=True, **kwargs)
    return {r.student: {g: (v["score"], v["message"]) for g, v in r.verdicts.items()} for r in results}, db


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale")
    submitted = _folder(str(tmp))
    verdicts, db = _grade(tmp, "sequential", submitted, workers=1)
    return tmp, submitted, verdicts, table.scores(db)[1]


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
    assert table.scores(db)[1] == scores


def test_dask_cluster_writes_exactly_the_sequential_scores(sequential, tmp_path):
    from distributed import LocalCluster
    _, submitted, verdicts, scores = sequential
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        distributed, db = _grade(tmp_path, "dask", submitted, scheduler=cluster.scheduler_address)
    assert distributed == verdicts
    assert table.scores(db)[1] == scores


def test_postgresql_gradebook_holds_the_same_scores(sequential, tmp_path, postgres_url):
    _, submitted, verdicts, scores = sequential
    on_postgres, db = _grade(tmp_path, "postgres", submitted, workers=2, db=postgres_url)
    assert on_postgres == verdicts
    assert table.scores(postgres_url)[1] == scores
