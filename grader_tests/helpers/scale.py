"""What the tests of integration/test_scale.py, long/test_scale.py share (constants, helpers, fixtures)."""

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
