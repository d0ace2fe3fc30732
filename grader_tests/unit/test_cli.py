"""The command line (grader/cli.py), the import-time state (grader/environment.py) and one-student runs.

- every subcommand runs one ``cmd_*`` function of grader.cli, and an option
  several commands share is defined in one place;
- importing grader and every module of it changes neither ``os.environ`` nor
  ``sys.modules`` (the rfc3987 stub is installed by ``prepare`` alone);
- a run for named students looks at no other folder and writes no class run
  summary; nbgrader's CourseAutograde reports a failed grading as an error.
"""

import ast
import dataclasses
import logging
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest

from grader import cli
from grader import messages as msg
from grader.batch import runner
from grader.nbgrader_ext import autograde
from grader_tests.helpers.cli_course import (
    SHARED_OPTIONS,
    _Assignment,
    _bad_neighbours,
    _calls,
    _course_autograde,
    _submit,
    _subparsers,
    fresh_imports,  # noqa: F401 (fixtures, used by name)
)


def test_every_subcommand_runs_its_own_cmd_function():
    commands = _subparsers(cli.build_parser())
    assert sorted(commands) == sorted(cli.COMMANDS)
    runs = {name: sub.get_default("run") for name, sub in commands.items()}
    for name, run in runs.items():
        assert run is getattr(cli, "cmd_" + name.replace("-", "_")), name
    assert len(set(runs.values())) == len(runs)


def test_the_parser_is_built_in_one_place():
    makers = _calls("ArgumentParser")
    assert [(p.name, len(makers)) for p, _ in makers] == [("cli.py", 1)]


@pytest.mark.parametrize("flag", sorted(SHARED_OPTIONS))
def test_a_shared_option_is_defined_once(flag):
    definitions = [
        (path, node)
        for path, node in _calls("add_argument")
        if any(isinstance(a, ast.Constant) and a.value == flag for a in node.args)
    ]
    assert len(definitions) == 1, [str(p) for p, _ in definitions]
    commands = _subparsers(cli.build_parser())
    users = [name for name, spec in cli.COMMANDS.items() if SHARED_OPTIONS[flag] in spec.options]
    for name in users:
        assert sum(flag in a.option_strings for a in commands[name]._actions) == 1, name
    assert len(users) >= 2, "an option only one command takes needs no shared definition"


def test_main_hands_the_parsed_options_to_the_commands_function(monkeypatch):
    seen = []

    def fake(args):
        seen.append(args)
        return 7

    monkeypatch.setitem(cli.COMMANDS, "table", dataclasses.replace(cli.COMMANDS["table"], run=fake))
    assert cli.main(["table", "L1W3", "--db", "sqlite:///nowhere.db"]) == 7
    assert [(a.command, a.assignment, a.db) for a in seen] == [("table", "L1W3", "sqlite:///nowhere.db")]


def test_importing_every_grader_module_changes_no_global_state(fresh_imports):
    seen = fresh_imports
    assert {
        "grader.cli",
        "grader.environment",
        "grader.nbgrader_ext.autograde",
        "grader.batch.runner",
        "grader.pipeline.notebook",
    } <= set(seen["names"])
    assert seen["nbformat"]  # jsonschema's import of rfc3987_syntax did happen
    assert seen["imported"]["environ"] == seen["before"]["environ"]
    assert seen["before"]["stub"] is False and seen["imported"]["stub"] is False


def test_prepare_is_what_sets_the_process_up(fresh_imports):
    # The same probe sees prepare's changes: the checks above could fail.
    seen = fresh_imports
    bin_folder = os.path.dirname(sys.executable)
    assert seen["prepared"]["environ"] == dict(
        seen["before"]["environ"], PATH=bin_folder + os.pathsep + "/usr/bin:/bin"
    )
    assert seen["prepared"]["stub"] is True


def test_prepare_installs_the_stub_before_nbformat(root):
    code = (
        "import sys; from grader import environment; environment.prepare(); import nbformat; "
        "print(sys.modules['rfc3987_syntax'] is None, 'nbformat' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=dict(os.environ, PYTHONPATH=root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.split() == ["True", "True"], proc.stderr


def test_the_hidden_tests_first_call_skips_the_iri_checker(root):
    # A source notebook's kernel imports grader.hidden (changing nothing) and calls run_hidden_tests,
    # whose first call makes the kernel's set-up before nbformat's first import (then validating
    # imports no IRI checker).
    code = textwrap.dedent("""
        import os, sys
        from grader.hidden import run_hidden_tests
        imported = ["rfc3987_syntax" in sys.modules, "nbformat" in sys.modules]
        os.chdir(os.path.join("source", "L1W3"))
        try:
            run_hidden_tests("no_such_exercise", {})
        except KeyError:
            pass
        import nbformat
        nbformat.validate(nbformat.read("planar_classification.ipynb", as_version=4))
        print(imported, [sys.modules.get("rfc3987_syntax", "absent") is None, "nbformat" in sys.modules])
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=dict(os.environ, PYTHONPATH=root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip() == "[False, False] [True, True]", proc.stderr


def test_discovery_of_named_students_reads_only_their_folders(tmp_path):
    submitted = tmp_path / "submitted"
    _submit(submitted, "ann")
    _bad_neighbours(submitted, tmp_path / "outside")
    everyone = [s for s, *_ in runner.discover(str(submitted), _Assignment)]
    assert everyone == ["ann", "eve"] and runner.rejected_ids(str(submitted))
    named = list(runner.discover(str(submitted), _Assignment, students=["ann", "ann"]))
    assert named == [("ann", str(submitted / "ann" / "A1" / "nb.ipynb"), [], None)]


@pytest.mark.parametrize(
    "make",
    [
        lambda s: None,
        lambda s: (s / "ghost").mkdir(parents=True),
        lambda s: (s.mkdir(), (s / "ghost").write_text("not a folder")),
    ],
    ids=["no-folder", "empty-folder", "a-file"],
)
def test_a_named_student_without_a_folder_gets_the_usual_note(tmp_path, make):
    submitted = tmp_path / "submitted"
    make(submitted)
    found = list(runner.discover(str(submitted), _Assignment, students=["ghost"]))
    assert found == [("ghost", None, [msg.NO_ASSIGNMENT_FOLDER.format(assignment="A1")], None)]


def test_an_invalid_named_id_is_refused_naming_it():
    with pytest.raises(runner.InvalidStudents) as caught:
        runner.check_students(["ann", "=bad", "../x"])
    assert len(caught.value.reasons) == 2
    assert "=bad" in str(caught.value) and "../x" in str(caught.value)
    runner.check_students(["ann"])
    with pytest.raises(runner.InvalidStudents):
        list(runner.discover("submitted", _Assignment, students=["../x"]))


def test_grade_refuses_an_invalid_named_id_before_touching_anything(tmp_path, capsys):
    autograded, db = tmp_path / "autograded", tmp_path / "gradebook.db"
    status = cli.main(
        [
            "grade",
            "L1W3",
            "--student",
            "=bad",
            "--submitted",
            str(tmp_path / "submitted"),
            "--autograded",
            str(autograded),
            "--db",
            f"sqlite:///{db}",
            "--quiet",
        ]
    )
    assert status == 2
    assert "=bad" in capsys.readouterr().err
    assert not autograded.exists() and not db.exists()


def test_course_autograde_raises_and_logs_an_error_on_a_failing_grader(tmp_path, monkeypatch, caplog):
    stderr = "error: not graded because of a grader error: alice"
    step, resources, calls = _course_autograde(tmp_path, monkeypatch, (1, "", stderr))
    with caplog.at_level(logging.INFO, logger="test_course_autograde"):
        with pytest.raises(autograde.GradingFailed) as caught:
            step.preprocess(nbformat.v4.new_notebook(), resources)
    assert "alice" in str(caught.value) and stderr in str(caught.value)
    assert [(r.levelno, stderr in r.getMessage()) for r in caplog.records] == [(logging.ERROR, True)]
    assert calls and calls[0][calls[0].index("--student") + 1] == "alice"


def test_course_autograde_hands_back_the_graded_notebook_on_success(tmp_path, monkeypatch, caplog):
    step, resources, _ = _course_autograde(tmp_path, monkeypatch, (0, "graded 1 submission(s)\n", ""))
    with caplog.at_level(logging.INFO, logger="test_course_autograde"):
        graded, _ = step.preprocess(nbformat.v4.new_notebook(), resources)
    assert graded.cells[0].source == "graded"
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.INFO, "graded 1 submission(s)")]
