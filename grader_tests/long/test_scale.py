"""Grading on a Dask cluster, into PostgreSQL and through ``nbgrader autograde`` gives the sequential run's grades."""

import os

from grader.pages import table
from grader_tests.helpers.scale import (
    L1W3,
    _grade,
    sequential,  # noqa: F401 (fixtures, used by name)
)


def test_dask_cluster_writes_exactly_the_sequential_scores(sequential, tmp_path):
    from distributed import LocalCluster

    _, submitted, verdicts, scores = sequential
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        distributed, db = _grade(tmp_path, "dask", submitted, scheduler=cluster.scheduler_address)
    assert distributed == verdicts
    assert table.scores(db, L1W3)[1] == scores


def test_postgresql_gradebook_holds_the_same_scores(sequential, tmp_path, postgres_url):
    _, submitted, verdicts, scores = sequential
    on_postgres, db = _grade(tmp_path, "postgres", submitted, workers=2, db=postgres_url)
    assert on_postgres == verdicts
    assert table.scores(postgres_url, L1W3)[1] == scores


def test_nbgrader_autograde_writes_exactly_what_make_grade_writes(sequential, tmp_path, root):
    """``nbgrader autograde`` (the CLI formgrader's button runs) goes through the course's pipeline.

    Started from the course root with no PYTHONPATH, as an instructor would: the gradebook rows,
    the grading reports' verdicts and the autograded notebooks equal those of ``make grade``.
    """
    import json
    import shutil
    import subprocess
    import sys

    import nbformat

    from grader_tests.helpers.course import dump

    tmp, submitted, verdicts, scores = sequential
    db = f"sqlite:///{tmp_path / 'nbgrader.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    env["PATH"] = "/usr/bin:/bin"  # not even the venv: nbgrader_config.py must cope
    base = [sys.executable, "-m", "nbgrader"]
    subprocess.run(
        base
        + [
            "generate_assignment",
            "L1W3",
            "--force",
            f"--CourseDirectory.db_url={db}",
            f"--CourseDirectory.release_directory={tmp_path / 'release'}",
        ],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.run(
        base
        + [
            "autograde",
            "L1W3",
            "--force",
            f"--CourseDirectory.db_url={db}",
            f"--CourseDirectory.submitted_directory={submitted}",
            f"--CourseDirectory.autograded_directory={tmp_path / 'autograded'}",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert table.scores(db, L1W3)[1] == scores
    reference_db = f"sqlite:///{tmp / 'sequential.db'}"
    assert dump(db)[0] == dump(reference_db)[0]
    for student in verdicts:
        mine = tmp_path / "autograded" / student
        theirs = tmp / "sequential" / student
        with open(mine / "grading_report_L1W3.json") as f, open(theirs / "grading_report_L1W3.json") as g:
            a, b = json.load(f), json.load(g)
        assert a["verdicts"] == b["verdicts"] and a["notes"] == b["notes"]
        nb_a = nbformat.read(mine / "L1W3" / L1W3.notebook, as_version=4)
        nb_b = nbformat.read(theirs / "L1W3" / L1W3.notebook, as_version=4)
        assert [(c.source, c.get("outputs")) for c in nb_a.cells if c.cell_type == "code"] == [
            (c.source, c.get("outputs")) for c in nb_b.cells if c.cell_type == "code"
        ]
    shutil.rmtree(tmp_path / "autograded", ignore_errors=True)
