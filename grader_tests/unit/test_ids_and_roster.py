"""Student ids are validated where they enter and escaped where they leave (issue 10 items 8, 12; issue 9 item 7)."""

import csv
import shutil
import subprocess
import sys
import types
import unicodedata

import pytest
from nbgrader.api import Gradebook

from grader import ROOT
from grader.__main__ import main as cli
from grader.environment import tool_env
from grader.ids import check_id, csv_cell, terminal
from grader.lms.roster import import_roster
from grader.pages import table

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """An empty gradebook file, made once: nbgrader creates one with a slow alembic subprocess."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    Gradebook(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def db(tmp_path, empty_gradebook):
    shutil.copy(empty_gradebook, tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path}/gradebook.db"


@pytest.mark.parametrize("student_id", ["doejane", "77", "Jane.Doe", "a_b-c", "_x", "x" * 64, "A1.b-2_c"])
def test_safe_ids_are_accepted(student_id):
    assert check_id(student_id) is None


@pytest.mark.parametrize(
    "student_id, why",
    [
        ("", "empty"),
        ("x" * 65, "longer than 64"),
        (".hidden", "start with '.'"),
        ("..", "path"),
        ("a..b", "path"),
        ("a/b", "path"),
        ("a\\b", "path"),
        ("/etc", "path"),
        ("-rf", "start with '-'"),
        ("=1+1", "start with '='"),
        ("+cmd", "start with '+'"),
        ("@SUM(A1)", "start with '@'"),
        (HYPERLINK, "path"),
        ("=HYPERLINK(1)", "start with '='"),
        ("\x1b[31mred", "control"),
        ("a\nb", "control"),
        ("a\x00b", "control"),
        ("a\x9bb", "control"),
        ("李雷", "ASCII"),
        ("a b", "ASCII"),
        ("a\u202eb", "ASCII"),
        ("a,b", "ASCII"),
        (None, "not text"),
        (77, "not text"),
    ],
)
def test_unsafe_ids_are_refused_with_a_bilingual_escaped_reason(student_id, why):
    reason = check_id(student_id)
    assert reason is not None and why in reason
    assert " / " in reason and any("\u4e00" <= ch <= "\u9fff" for ch in reason.split(" / ")[0])
    assert all(unicodedata.category(ch) != "Cc" for ch in reason)
    assert "\u202e" not in reason


@pytest.mark.parametrize(
    "value, expected",
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("doejane", "doejane"),
        ("a=b", "a=b"),
        ("", ""),
        ("李雷", "李雷"),
        (-1.5, -1.5),
        (20.0, 20.0),
        (3, 3),
        (None, None),
    ],
)
def test_csv_cell_escapes_formula_starts_only(value, expected):
    assert csv_cell(value) == expected
    assert type(csv_cell(value)) is type(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("\x9b2J", "\\x9b2J"),
        ("a\x7fb", "a\\x7fb"),
        ("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),
        ("abc\u202edef", "abc\\u202edef"),
        ("a\u2028b", "a\\u2028b"),
        ("\udcff", "\\udcff"),
        ("a\\x1b", "a\\\\x1b"),
        ("李雷 Jane", "李雷 Jane"),
        ("emoji 🙂", "emoji 🙂"),
        (77, "77"),
    ],
)
def test_terminal_escapes_what_a_terminal_would_act_on(text, expected):
    assert terminal(text) == expected


def test_terminal_leaves_no_control_character_anywhere():
    every = "".join(chr(c) for c in range(0x3000)) + "".join(chr(c) for c in range(0xD800, 0xE000))
    shown = terminal(every)
    assert all(unicodedata.category(ch) not in ("Cc", "Cs", "Zl", "Zp") for ch in shown)
    assert "\u202e" not in shown and "\u2066" not in shown
    assert "李" in terminal("李")


def test_table_prints_ids_escaped(monkeypatch):
    monkeypatch.setattr(
        table,
        "scores",
        lambda db_url, assignment: (
            ["func_layer_sizes_values"],
            {"\x1b[2Jevil": {"func_layer_sizes_values": 1.0}, "ok": {}},
            {"func_layer_sizes_values": 1.0},
        ),
    )
    monkeypatch.setattr(table, "penalties", lambda db_url, assignment: {})
    assignment = types.SimpleNamespace(
        id="L1W3",
        notebook_id="planar_classification",
        test_cells={"func_layer_sizes": "func_layer_sizes_values"},
        spec=types.SimpleNamespace(short_names={}),
    )
    text = table.render("unused", assignment)
    assert "\x1b" not in text
    evil = next(line for line in text.splitlines() if "evil" in line)
    ok = next(line for line in text.splitlines() if line.startswith("ok"))
    assert evil.startswith("\\x1b[2Jevil") and evil.index("|") == ok.index("|")


def test_nbgrader_export_writes_formula_cells_as_text(tmp_path, db):
    """`nbgrader export` from the course root (nbgrader_config.py's plugin) on a real gradebook."""
    with Gradebook(db) as gb:
        gb.add_assignment("L1W3")
        gb.add_student(HYPERLINK, first_name="=1+1", last_name="Doe, Jr.", email="@x")
        gb.add_student("doejane", first_name="Jane", last_name="Doe")
    out = tmp_path / "grades.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "export",
            f"--to={out}",
            f"--CourseDirectory.db_url={db}",
            "--log-level=WARN",
        ],
        cwd=ROOT,
        env=tool_env(),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "assignment",
        "duedate",
        "timestamp",
        "student_id",
        "last_name",
        "first_name",
        "email",
        "raw_score",
        "late_submission_penalty",
        "score",
        "max_score",
    ]
    by_id = {r["student_id"]: r for r in rows}
    assert set(by_id) == {"'" + HYPERLINK, "doejane"}
    evil = by_id["'" + HYPERLINK]
    assert (evil["first_name"], evil["last_name"], evil["email"]) == ("'=1+1", "Doe, Jr.", "'@x")
    assert (evil["raw_score"], evil["score"], evil["max_score"]) == ("0.0", "0.0", "0.0")
    # No cell of the file, as a spreadsheet reads it, starts a formula.
    with open(out, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


def test_roster_stores_names_and_refuses_bad_ids(tmp_path, db, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "\ufeffid,first_name,last_name,email\n"
        "doejane,Jane,Doe,jane@example.org\n"
        "77,雷,李,\n"
        f'"{HYPERLINK.replace(chr(34), chr(34) * 2)}",Evil,Row,\n'
        ".hidden,Hidden,Row,\n"
        "okid,\x1b[31mred,Row,\n",
        encoding="utf-8",
    )
    stored, problems = import_roster(str(roster), db)
    assert stored == ["doejane", "77"]
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in problems] == ["4", "5", "6"]
    assert all("\x1b" not in p for p in problems)
    with Gradebook(db) as gb:
        assert {s.id: (s.first_name, s.last_name, s.email) for s in gb.students} == {
            "doejane": ("Jane", "Doe", "jane@example.org"),
            "77": ("雷", "李", None),
        }
    assert cli(["roster", str(roster), "--db", db]) == 1
    out = capsys.readouterr()
    assert "imported 2 student(s)" in out.out and "\x1b" not in out.err


def test_roster_with_one_name_part_stores_the_other_empty(tmp_path, db):
    """Formgrader prints a missing part as 'None' ('张伟, None'); no name at all stays missing."""
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n88,,张伟,\n89,Ada,,\n90,,,\n", encoding="utf-8")
    stored, problems = import_roster(str(roster), db)
    assert stored == ["88", "89", "90"] and problems == []
    with Gradebook(db) as gb:
        assert {s.id: (s.first_name, s.last_name) for s in gb.students} == {
            "88": ("", "张伟"),
            "89": ("Ada", ""),
            "90": (None, None),
        }


def test_roster_without_an_id_column_is_refused(tmp_path, db):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nJane,j@x\n", encoding="utf-8")
    stored, problems = import_roster(str(roster), db)
    assert stored == [] and "'id'" in problems[0]


def test_export_matches_nbgraders_own_on_ordinary_data(tmp_path, db):
    """Apart from escaping and quoting, the plugin writes what nbgrader's exporter writes."""
    import datetime

    from nbgrader.plugins.export import CsvExportPlugin

    from grader.nbgrader_ext.export import SafeCsvExportPlugin

    with Gradebook(db) as gb:
        gb.add_assignment("L1W3", duedate=datetime.datetime(2026, 12, 1, 12, 0))
        gb.add_assignment("L1W4")
        gb.add_student("doejane", first_name="Jane", last_name="Doe", email="jane@example.org")
        gb.add_student("77")
        for plugin, name in ((CsvExportPlugin, "stock.csv"), (SafeCsvExportPlugin, "safe.csv")):
            plugin(to=str(tmp_path / name)).export(gb)
            only = plugin(to=str(tmp_path / ("only-" + name)), student=["77"], assignment=["L1W4"])
            only.export(gb)
    for name in ("stock.csv", "only-stock.csv"):
        assert (tmp_path / name).read_text() == (tmp_path / name.replace("stock", "safe")).read_text()
    assert len((tmp_path / "only-safe.csv").read_text().splitlines()) == 2
