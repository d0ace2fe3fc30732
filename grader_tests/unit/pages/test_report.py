"""Class report: reasons come from the verdicts' typed failures; the page is escaped and responsive.

Fast: every report is built in memory, in the form a grading report file holds, and read
back as typed objects (``GradingReport.from_dict``) as the class report reads its files.
"""

import pytest

from grader.pages import report
from grader.pipeline.judge import Failure, Verdict
from grader.pipeline.report_file import GradingReport
from grader_tests.helpers import payloads

TEST_CELLS = {"func_a": "func_a_values", "func_b": "func_b_values"}
MAX = {"func_a_values": 2.0, "func_b_values": 3.0}


def failure(kind, variable="", case="case 1", message="（消息）/ (message)"):
    return {"case": case, "kind": kind, "variable": variable, "message": message}


def verdict(exercise, score, points, failures=(), status="judged", message="wording that may change"):
    return {
        "exercise": exercise,
        "grade_id": f"{exercise}_values",
        "points": points,
        "score": score,
        "passed": 0,
        "total": 3,
        "status": status,
        "failures": list(failures),
        "message": message,
    }


def grading_report(student, verdicts, gradable=True, notes=(), seconds=1.5):
    return {
        "student": student,
        "assignment": "L1W3",
        "score": sum(v["score"] for v in verdicts),
        "max_score": 5.0,
        "gradable": gradable,
        "notes": list(notes),
        "seconds": seconds,
        "peak_rss_mb": 10.0,
        "worker_rss_mb": 20.0,
        "verdicts": {v["grade_id"]: v for v in verdicts},
    }


@pytest.mark.parametrize(
    "fail, reason",
    [
        (failure("values", "grads['dW1']"), "grads['dW1']: wrong values"),
        (failure("shape", "A2"), "A2: wrong shape"),
        (failure("type", "parameters"), "parameters: wrong type"),
        (failure("keys", "grads"), "grads: wrong keys"),
        (failure("length", "(n_x, n_h, n_y)"), "(n_x, n_h, n_y): wrong length"),
        (failure("dtype", "predictions"), "predictions: wrong dtype"),
        (failure("values", ""), "result: wrong values"),
        (failure("raised", "ValueError"), "raised ValueError"),
        (failure("unusable"), "unusable return value"),
        (failure("no_result"), "no result"),
        (failure("not_graded", "kernel died"), "not graded: kernel died"),
    ],
)
def test_reason_comes_from_kind_and_variable(fail, reason):
    assert report.failure_reason(Failure.from_dict(fail)) == reason


def test_reason_ignores_the_message_text():
    # A message that looks like another reason must not change the count.
    misleading = failure("shape", "A2", message="raised ValueError / expected 1, got 2")
    assert report.failure_reason(Failure.from_dict(misleading)) == "A2: wrong shape"


def test_reasons_of_a_verdict_are_distinct_and_empty_with_full_marks():
    def reasons(*args, **kwargs):
        return report.reasons_of(Verdict.from_dict(verdict(*args, **kwargs)))

    assert reasons("func_a", 0, 2, [failure("values", "W1", case=c) for c in ("c1", "c2", "c3")]) == [
        "W1: wrong values"
    ]
    assert reasons("func_a", 0, 2, [failure("values", "W1"), failure("raised", "KeyError")]) == [
        "W1: wrong values",
        "raised KeyError",
    ]
    assert reasons("func_a", 2, 2) == []
    assert reasons("func_a", 0, 2) == ["failed"]
    assert reasons("func_a", 0, 2, status="not_graded") == ["not graded"]


def _class():
    reports = {
        "ann": grading_report("ann", [verdict("func_a", 2, 2), verdict("func_b", 3, 3)]),
        "bob": grading_report(
            "bob",
            [
                verdict("func_a", 0, 2, [failure("values", "W1")] * 2),
                verdict("func_b", 0, 3, [failure("raised", "ValueError")]),
            ],
        ),
        "cem": grading_report(
            "cem",
            [
                verdict("func_a", 0, 2, [failure("values", "W1")]),
                verdict("func_b", 0, 3, [failure("raised", "ValueError")]),
            ],
        ),
        "dan": grading_report(
            "dan",
            [
                verdict("func_a", 0, 2, [failure("not_graded", "kernel died")], status="not_graded"),
                verdict("func_b", 0, 3, [failure("not_graded", "kernel died")], status="not_graded"),
            ],
            gradable=False,
            notes=["内核终止 / kernel stopped"],
            seconds=4.5,
        ),
    }
    scores = {
        "ann": {"func_a_values": 2, "func_b_values": 3},
        "bob": {"func_a_values": 0, "func_b_values": 0},
        "cem": {"func_a_values": 0, "func_b_values": 3},  # func_b given by hand
        "dan": {"func_a_values": 0, "func_b_values": 0},
    }
    return scores, {student: GradingReport.from_dict(data) for student, data in reports.items()}


def test_summarize_counts_students_per_reason_and_respects_manual_grades():
    scores, reports = _class()
    summary = report.summarize(scores, reports, MAX, TEST_CELLS)
    assert summary["exercises"] == ["func_a", "func_b"]
    assert summary["totals"] == {"ann": 5, "bob": 0, "cem": 3, "dan": 0}
    assert summary["passed"] == {"func_a": 1, "func_b": 2}
    assert summary["reasons"]["func_a"] == {"W1: wrong values": 2, "not graded: kernel died": 1}
    # cem's func_b was graded by hand to full marks: the autograder's reason no longer counts.
    assert summary["reasons"]["func_b"] == {"raised ValueError": 1, "not graded: kernel died": 1}
    assert summary["ungradable"] == {"dan": ["内核终止 / kernel stopped"]}
    assert sorted(summary["seconds"]) == [1.5, 1.5, 1.5, 4.5]
    assert summary["max_total"] == 5


def test_page_is_escaped_self_contained_and_responsive():
    scores, reports = _class()
    evil = "<script>document.title='x'</script>"
    reports[evil] = GradingReport.from_dict(
        grading_report(
            evil, [verdict("func_a", 0, 2, [failure("values", "<b>W1</b>")])], gradable=False, notes=[evil]
        )
    )
    summary = report.summarize(scores, reports, MAX, TEST_CELLS)
    page = report.render(
        summary, {"histogram": "h.png", "pass_rate": "p.png", "time": "t.png"}, "L1W3", "timing"
    )
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;W1&lt;/b&gt;: wrong values (1)" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "Content-Security-Policy" in page and "http" not in page.replace("http-equiv", "")
    assert "W1: wrong values (2)" in page and "raised ValueError (1)" in page


def test_load_all_skips_unreadable_files(tmp_path):
    import json

    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "grading_report_L1W3.json").write_text(json.dumps(grading_report("ann", [])))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "grading_report_L1W3.json").write_text("{not json")
    assert list(GradingReport.load_all(str(tmp_path), "L1W3")) == ["ann"]


BEACON = "http://127.0.0.1:9"
HOSTILE_HTML = payloads.html_payloads(BEACON)


@pytest.mark.parametrize("name", sorted(HOSTILE_HTML))
def test_the_class_report_shows_each_payload_of_the_catalog_only_as_text(name):
    # What of a student reaches the report: the id (validated where it enters, escaped here
    # whatever it is), notes on the submission and the failures' variables.
    evil = HOSTILE_HTML[name]
    reports = {
        evil: GradingReport.from_dict(
            grading_report(
                evil, [verdict("func_a", 0, 2, [failure("values", evil)])], gradable=False, notes=[evil]
            )
        )
    }
    summary = report.summarize({evil: {"func_a_values": 0}}, reports, MAX, TEST_CELLS)
    page = report.render(
        summary, {"histogram": "h.png", "pass_rate": "p.png", "time": "t.png"}, "L1W3", "timing"
    )
    assert payloads.findings(page, BEACON, "body") == []
