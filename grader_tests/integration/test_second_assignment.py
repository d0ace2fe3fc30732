"""L1W2 graded for real: two workers cost each mistake its own points; its feedback pages and class report."""

import csv
import re

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
    _scores,
    _solutions,
    _write_submissions,
    graded,
    source,
    source_dir,
)


def test_grading_with_two_workers_costs_each_mistake_its_own_points(graded):
    tmp, db = graded
    assert _scores(db) == {student: expected for student, (_, expected) in SUBMISSIONS.items()}
    for student in SUBMISSIONS:
        assert (tmp / "autograded" / student / ASSIGNMENT / NOTEBOOK).exists()


def test_feedback_for_l1w2(root, graded):
    tmp, db = graded
    _run(
        root,
        "-m",
        "grader",
        "feedback",
        ASSIGNMENT,
        "--autograded",
        str(tmp / "autograded"),
        "--feedback",
        str(tmp / "feedback"),
        "--db",
        db,
    )
    page = (
        tmp / "feedback" / "l1w2_predict_at_least_half" / ASSIGNMENT / "logistic_regression.html"
    ).read_text(encoding="utf-8")
    assert "8 / 10" in page and "func_predict" in page and "Y_prediction" in page
    for marker in ("run_hidden_tests", "BEGIN HIDDEN TESTS", "640_517", "640517"):
        assert marker not in page


def test_report_for_l1w2(root, graded):
    tmp, db = graded
    csv_path = tmp / "grades_by_exercise.csv"
    _run(
        root,
        "-m",
        "grader",
        "report",
        ASSIGNMENT,
        "--autograded",
        str(tmp / "autograded"),
        "--out",
        str(tmp / "reports"),
        "--csv",
        str(csv_path),
        "--db",
        db,
    )
    page = (tmp / "reports" / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    # Reasons are counted from the typed problems of checks.compare (kind and variable).
    reasons = page.split("most common reasons", 1)[1]
    # The variable as the notebook names it: "(grads, cost)" names its elements grads and cost.
    assert re.search(r"grads\[&#x27;db&#x27;\][^<]*wrong values \(1\)", reasons)
    assert re.search(r"Y_prediction[^<]*wrong values \(1\)", reasons)
    with open(csv_path, newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert rows["l1w2_wrong_propagate_db"]["func_propagate"] == "0"
    assert rows["l1w2_wrong_propagate_db"]["func_optimize"] == "3"
    assert rows["l1w2_solution"]["score"] == rows["l1w2_solution"]["max_score"] == "10"
    assert rows["l1w2_wrong_sigmoid_sign"]["score"] == rows["l1w2_wrong_sigmoid_sign"]["raw_score"] == "9"
