"""``grader.batch.gradebook.record`` writes the rows nbgrader's own API makes, and keeps the instructor's.

Each case is compared by every value formgrader and the exports read
(``grader_tests.helpers.gradebook_rows.values``): rows, columns and nbgrader's
computed totals, on a real SQLite gradebook.  The long suite runs the same
comparison on PostgreSQL (``grader_tests/long/test_gradebook.py``).
"""

import datetime
import shutil

import pytest
from nbgrader.api import Gradebook

from grader.batch.gradebook import open_gradebook, penalty_for, record
from grader.batch.gradebook_sqlalchemy import SQLAlchemyGradebook
from grader.batch.gradebook_sqlite import SQLiteGradebook
from grader_tests.helpers import gradebook_rows as rows

HOUR = datetime.timedelta(hours=1)


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """The registered assignment, made once (nbgrader creates a gradebook with a slow alembic step)."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    rows.make(f"sqlite:///{path}")
    return path


@pytest.fixture
def two_gradebooks(tmp_path, empty_gradebook):
    """Two copies of it: one for ``record``, one for nbgrader's API."""
    urls = []
    for name in ("ours", "nbgrader"):
        shutil.copy(empty_gradebook, tmp_path / f"{name}.db")
        urls.append(f"sqlite:///{tmp_path / name}.db")
    return urls


def _path(db_url):
    return db_url[len("sqlite:///") :]


def _record(db, result, timestamp):
    gb = open_gradebook(db)
    assert isinstance(gb, SQLiteGradebook)  # a SQLite file: written without SQLAlchemy
    try:
        record(gb, result, rows.ASSIGNMENT, timestamp)
    finally:
        gb.close()


@pytest.mark.parametrize(
    ("timestamp", "known_student"),
    [
        (rows.DUE - HOUR, False),
        (rows.DUE - HOUR, True),
        (rows.DUE + 25 * HOUR, False),  # late: two started days
        (None, False),  # no timestamp: never late
    ],
)
def test_a_first_grading_writes_the_rows_nbgrader_makes(
    two_gradebooks, empty_gradebook, timestamp, known_student
):
    ours, theirs = two_gradebooks
    if known_student:  # on the roster already (nbgrader db student add): its names are kept
        for db in two_gradebooks:
            with Gradebook(db, "course101") as gb:
                gb.add_student("ann", first_name="Ann", last_name="Lee", email="ann@example.org")
    graded = rows.result("ann", {"add_values": 2.0, "twice_values": 0.0, "extra_values": 1.0})
    _record(ours, graded, timestamp)
    rows.nbgrader_way(theirs, graded, timestamp, lambda score, late: penalty_for("ann", score, late))
    assert rows.values(ours) == rows.values(theirs)
    before = rows.known_ids(empty_gradebook)
    assert rows.stored(_path(ours), before) == rows.stored(_path(theirs), before)
    found, counts = rows.values(ours)
    assert counts == {
        "student": 1,
        "submitted_assignment": 1,
        "submitted_notebook": 2,
        "grade": 5,
        "comment": 4,
    }
    notebook = found["ann"]["notebooks"]["nb"]
    assert notebook["ids"] == [32]  # nbgrader's own uuid4 hex ids
    assert notebook["score"] == 2.0 and found["ann"]["score"] == 3.0 and found["ann"]["max_score"] == 11.0
    # The course's policy (10 % per started day): 25 hours late costs 20 % of each notebook's score.
    late = timestamp is not None and timestamp > rows.DUE
    assert notebook["penalty"] == (pytest.approx(0.4) if late else None)
    assert found["ann"]["notebooks"]["extra"]["penalty"] == (pytest.approx(0.2) if late else None)
    add = {c[0]: c for c in notebook["comments"]}["add"]
    assert add[2].startswith("✔ add") and add[3] is None


def test_regrading_updates_the_graders_values_and_keeps_the_instructors(two_gradebooks):
    db = two_gradebooks[0]
    _record(db, rows.result("ann", {"add_values": 2.0, "twice_values": 0.0}), rows.DUE + 25 * HOUR)
    with Gradebook(db, "course101") as gb:  # what an instructor does in formgrader meanwhile
        student = gb.find_student("ann")
        student.first_name = "Ann"
        gb.find_grade("written", "nb", rows.ASSIGNMENT, "ann").manual_score = 3.5
        gb.find_comment("add", "nb", rows.ASSIGNMENT, "ann").manual_comment = "neat"
        gb.find_submission_notebook("nb", rows.ASSIGNMENT, "ann").flagged = True
        gb.find_submission(rows.ASSIGNMENT, "ann").extension = datetime.timedelta(days=1)
        gb.db.commit()
    before, counts_before = rows.values(db)
    # Handed in again, 26 hours after the due date: 2 hours late with the extension.
    _record(db, rows.result("ann", {"add_values": 2.0, "twice_values": 3.0}), rows.DUE + 26 * HOUR)
    after, counts = rows.values(db)
    assert counts == counts_before
    ann = after["ann"]
    assert ann["student"][0] == "Ann" and ann["extension"] == datetime.timedelta(days=1)
    assert ann["timestamp"] == rows.DUE + 26 * HOUR
    nb = ann["notebooks"]["nb"]
    assert nb["flagged"] is True
    grades = {g[0]: g for g in nb["grades"]}
    assert grades["twice_values"][2:] == (3.0, None, None, False)
    assert grades["written"][2:] == (0.0, 3.5, None, True)  # scored by hand: still flagged for review
    assert grades["add_values"][2:] == (2.0, None, None, False)
    comments = {c[0]: c for c in nb["comments"]}
    assert comments["add"][3] == "neat" and comments["twice"][2].startswith("✔ twice")
    assert comments["twice"][2] != {c[0]: c for c in before["ann"]["notebooks"]["nb"]["comments"]}["twice"][2]
    # 10 % of the notebook's score with the hand-given points (2 + 3 + 3.5); the other notebook
    # has no verdict now: 0 points, no penalty to take.
    assert nb["score"] == 8.5 and nb["penalty"] == pytest.approx(0.85)
    assert ann["notebooks"]["extra"]["penalty"] == 0.0 and ann["notebooks"]["extra"]["score"] == 0.0


def test_regrading_on_time_records_no_penalty_and_twice_changes_nothing(two_gradebooks):
    db = two_gradebooks[0]
    _record(db, rows.result("ann", {"add_values": 0.0}), rows.DUE + 25 * HOUR)
    late, _ = rows.values(db)
    assert late["ann"]["notebooks"]["nb"]["penalty"] == 0.0  # late, but nothing to take
    _record(db, rows.result("ann", {"add_values": 2.0}), rows.DUE - HOUR)
    once = rows.values(db)
    _record(db, rows.result("ann", {"add_values": 2.0}), rows.DUE - HOUR)
    assert rows.values(db) == once
    assert once[0]["ann"]["notebooks"]["nb"]["penalty"] is None
    assert once[0]["ann"]["score"] == 2.0


def test_both_writers_store_the_same_values(two_gradebooks, empty_gradebook):
    # The SQLAlchemy writer (PostgreSQL's) on a SQLite file, against the sqlite3 one, through a
    # first grading, an instructor's extension, and a late regrading.
    ours, core = two_gradebooks
    graded = rows.result("ann", {"add_values": 2.0, "twice_values": 1.0, "extra_values": 1.0})
    regraded = rows.result("ann", {"add_values": 0.0, "twice_values": 3.0})
    _record(ours, graded, rows.DUE - HOUR)
    gb = SQLAlchemyGradebook(core, "course101")
    try:
        record(gb, graded, rows.ASSIGNMENT, rows.DUE - HOUR)
    finally:
        gb.close()
    for db in two_gradebooks:
        with Gradebook(db, "course101") as nbgrader_gb:
            nbgrader_gb.find_submission(rows.ASSIGNMENT, "ann").extension = datetime.timedelta(hours=3)
            nbgrader_gb.db.commit()
    before = rows.known_ids(empty_gradebook)
    assert rows.stored(_path(ours), before) == rows.stored(_path(core), before)
    _record(ours, regraded, rows.DUE + 26 * HOUR)
    gb = SQLAlchemyGradebook(core, "course101")
    try:
        record(gb, regraded, rows.ASSIGNMENT, rows.DUE + 26 * HOUR)
    finally:
        gb.close()
    assert rows.stored(_path(ours), before) == rows.stored(_path(core), before)
    assert rows.values(ours) == rows.values(core)
    ann = rows.values(ours)[0]["ann"]
    assert ann["extension"] == datetime.timedelta(hours=3)
    assert ann["notebooks"]["nb"]["penalty"] == pytest.approx(0.3)  # 23 h late: 10 % of 3 points


@pytest.mark.parametrize(
    "url, handled",
    [
        ("sqlite:///gradebook.db", "gradebook.db"),
        ("sqlite:////abs/gradebook.db", "/abs/gradebook.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///gradebook.db?timeout=5", None),
        ("sqlite:///grade%20book.db", None),
        ("postgresql://localhost/gradebook", None),
    ],
)
def test_only_plain_sqlite_files_are_written_with_sqlite3(url, handled):
    from grader.batch.gradebook_sqlite import path_of

    assert path_of(url) == handled


def test_a_gradebook_file_nbgrader_has_not_made_yet_is_made_by_nbgrader(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")  # as a run killed before nbgrader made its tables leaves it
    for path in (empty, tmp_path / "missing.db"):
        gb = open_gradebook(f"sqlite:///{path}")
        try:
            assert isinstance(gb, SQLiteGradebook)
        finally:
            gb.close()
        _, counts = rows.values(f"sqlite:///{path}")
        assert counts == dict.fromkeys(rows.WRITTEN, 0)


def test_the_gradebook_may_be_written_by_another_thread_than_the_one_that_opened_it(two_gradebooks):
    import threading

    opened = []
    thread = threading.Thread(target=lambda: opened.append(open_gradebook(two_gradebooks[0])))
    thread.start()
    thread.join()
    (gb,) = opened
    try:
        record(gb, rows.result("ann", {"add_values": 2.0}), rows.ASSIGNMENT, rows.DUE - HOUR)
    finally:
        gb.close()
    assert rows.values(two_gradebooks[0])[0]["ann"]["score"] == 2.0


@pytest.fixture(scope="module")
def registered_l1w3(tmp_path_factory):
    """A gradebook with L1W3 registered by nbgrader's preprocessors (``release.register``)."""
    from grader.course import release
    from grader.course.assignment import load

    path = tmp_path_factory.mktemp("registered") / "gradebook.db"
    assert release.register(load("L1W3"), f"sqlite:///{path}") is True
    return path


def test_a_registered_assignment_is_known_without_nbgrader(registered_l1w3, tmp_path):
    # What a grading run does with its gradebook, in a fresh process: asking whether the
    # assignment is registered, opening, recording.  No nbgrader.api, no SQLAlchemy.
    import subprocess
    import sys

    from grader import ROOT

    db = tmp_path / "gradebook.db"
    shutil.copy(registered_l1w3, db)
    script = f"""
import sys
from grader import environment
environment.prepare()
from grader.batch import gradebook
from grader.course import cells
from grader.course.assignment import load
from grader.pipeline.result import zero_result
a = load("L1W3")
master = cells.load(a)
assert gradebook.register(a, "sqlite:///{db}", master) is False
gb = gradebook.open_gradebook("sqlite:///{db}")
gradebook.record(gb, zero_result("ann", a, master, "blank"), a.id)
gb.close()
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic") or m == "nbgrader.api")
print(heavy)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    found, counts = rows.values(f"sqlite:///{db}")
    assert counts["submitted_assignment"] == 1 and found["ann"]["score"] == 0.0


def test_a_gradebook_with_other_points_is_registered_again_by_nbgrader(
    registered_l1w3, tmp_path, monkeypatch
):
    import sqlite3

    from grader.batch import gradebook
    from grader.course import cells, release
    from grader.course.assignment import load

    db = tmp_path / "gradebook.db"
    shutil.copy(registered_l1w3, db)
    a = load("L1W3")
    master = cells.load(a)
    asked = []
    monkeypatch.setattr(release, "register", lambda *args: asked.append(args) or True)
    assert gradebook.register(a, f"sqlite:///{db}", master) is False and not asked
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE grade_cells SET max_score = max_score + 1")
    assert gradebook.register(a, f"sqlite:///{db}", master) is True
    assert asked == [(a, f"sqlite:///{db}", master)]
    asked.clear()
    gradebook.register(a, f"sqlite:///{tmp_path / 'new.db'}", master)  # no file yet: nbgrader makes it
    assert len(asked) == 1
