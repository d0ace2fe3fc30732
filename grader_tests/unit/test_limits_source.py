"""One source of limits (grader.limits.Limits.load): its precedence, its refusals, every path's use of it.

The order is defaults < ``c.Limits`` of the nbgrader configuration < ``GRADER_LIMITS`` <
``--limit``.  Each grading path (the command line, the runner and its Dask workers, nbgrader's
autograde and feedback classes, the feedback extra) is run here as far as the limits it hands
on, with a temporary nbgrader configuration and environment, and must hand on what
``Limits.load`` gives for them.  The README's table of limits must be the fields.
"""

import json
import logging
import os
import subprocess
import types
from dataclasses import fields

import nbformat
import pytest
from traitlets.config import Config
from traitlets.config.loader import KVArgParseConfigLoader

from grader import ROOT
from grader import config as course_config
from grader import messages as msg
from grader.limits import (
    COMMAND_LINE,
    ENVIRONMENT,
    LimitError,
    Limits,
    markdown_table,
)
from grader.sandbox import kernel_child
from grader_tests.helpers.limits_course import (  # noqa: F401 (fixtures, used by name)
    BAD,
    CONFIG_BAD,
    CONFIG_TEXT,
    ENV,
    README_TABLE,
    SOURCES,
    TEXT_BAD,
    _autograde_command,
    _Future,
    _Gradebook,
    _load_from,
    _quiet_run,
    _rows,
    _Stop,
    config,
    config_file,
    course,
)


def test_without_any_source_the_limits_are_the_defaults():
    assert Limits.load(config=Config(), environ={}) == Limits()


def test_the_course_configuration_sets_no_limit_so_its_defaults_hold():
    assert Limits.load(config=course_config.load(), environ={}) == Limits()


def test_the_configuration_overrides_the_defaults_with_the_fields_types(config):
    limits = Limits.load(config=config, environ={})
    assert (limits.memory_mb, limits.cell_timeout, limits.processes) == (3000, 7.0, 30)
    assert type(limits.cell_timeout) is float and type(limits.memory_mb) is int
    assert limits.output_kb == Limits().output_kb


def test_the_environment_overrides_the_configuration(config):
    limits = Limits.load(config=config, environ={ENVIRONMENT: ENV})
    assert (limits.memory_mb, limits.processes, limits.cell_timeout) == (3500, 31, 7.0)


def test_the_command_line_overrides_the_environment(config):
    limits = Limits.load(["processes=32"], config=config, environ={ENVIRONMENT: ENV})
    assert (limits.processes, limits.memory_mb, limits.cell_timeout) == (32, 3500, 7.0)


def test_load_reads_os_environ_by_default(config, monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, "grace=0.5")
    assert Limits.load(config=config).grace == 0.5


def test_nbgraders_command_line_form_of_a_limit_is_read():
    # `nbgrader autograde --Limits.memory_mb=4096` reaches the configuration as text.
    config = KVArgParseConfigLoader(["--Limits.memory_mb=4096", "--Limits.grace=0.5"]).load_config()
    limits = Limits.load(config=config, environ={})
    assert (limits.memory_mb, limits.grace) == (4096, 0.5)


def test_the_example_in_nbgrader_config_is_a_valid_setting(tmp_path):
    with open(course_config.CONFIG_FILE, encoding="utf-8") as f:
        examples = [line[2:] for line in f if line.startswith("# c.Limits.")]
    assert examples, "nbgrader_config.py no longer shows a c.Limits example"
    path = tmp_path / "nbgrader_config.py"
    path.write_text("c = get_config()\n" + "".join(examples), encoding="utf-8")
    limits = Limits.load(config=course_config.load(str(path)), environ={})
    assert limits != Limits()


def test_loading_does_not_add_a_limits_section_to_the_configuration():
    config = Config()
    Limits.load(config=config, environ={})
    assert "Limits" not in config


def test_as_items_reads_back_to_the_same_limits(config):
    limits = Limits.load(["grace=0.25"], config=config, environ={ENVIRONMENT: ENV})
    assert Limits.parse(limits.as_items()) == limits


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", ["memroy_mb", "MEMORY_MB", "load"])
def test_an_unknown_name_is_refused_naming_it_its_source_and_the_known_ones(source, name):
    with pytest.raises(LimitError) as caught:
        _load_from(source, name, "1")
    assert str(caught.value) == msg.LIMIT_UNKNOWN.format(
        name=name, source=source, known=", ".join(f.name for f in fields(Limits))
    )


@pytest.mark.parametrize("source,name,value", BAD)
def test_a_bad_value_is_refused_naming_the_limit_and_its_source(source, name, value):
    with pytest.raises(LimitError) as caught:
        _load_from(source, name, value)
    template = msg.LIMIT_NOT_WHOLE if name == "memory_mb" else msg.LIMIT_NOT_POSITIVE
    assert str(caught.value) == template.format(name=name, source=source, value=value)


@pytest.mark.parametrize("source", SOURCES)
def test_a_good_value_is_taken_from_each_source(source):
    assert _load_from(source, "memory_mb", "4000").memory_mb == 4000


def test_python_m_grader_grade_grades_with_the_loaded_limits(course, monkeypatch, tmp_path):
    from grader import __main__ as cli
    from grader.batch import runner

    seen = []
    monkeypatch.setattr(runner, "run", lambda *a, limits, **kw: seen.append(limits) or [])
    assert (
        cli.main(
            ["grade", "L1W3", "--db", f"sqlite:///{tmp_path}/gb.db", "--quiet", "--limit", "memory_mb=4000"]
        )
        == 0
    )
    assert seen == [Limits.load(["memory_mb=4000"], config=course_config.load(), environ=os.environ)]
    assert (seen[0].memory_mb, seen[0].processes, seen[0].cell_timeout) == (4000, 31, 7.0)


def test_python_m_grader_grade_refuses_a_bad_limit_with_the_message(course, monkeypatch, tmp_path, capsys):
    from grader import __main__ as cli
    from grader.batch import runner

    monkeypatch.setattr(runner, "run", lambda *a, **kw: pytest.fail("graded with a bad limit"))
    status = cli.main(["grade", "L1W3", "--db", f"sqlite:///{tmp_path}/gb.db", "--limit", "memroy_mb=1"])
    error = capsys.readouterr().err
    assert status == 2 and "memroy_mb" in error and COMMAND_LINE in error


def test_the_runners_default_limits_are_the_loaded_ones_and_its_summary_says_so(
    course, monkeypatch, tmp_path
):
    runner = _quiet_run(monkeypatch)
    seen = []
    monkeypatch.setattr(
        runner,
        "forked",
        lambda jobs, workers, a, m, limits, seeds, while_starting, warm=False, started=None: (
            seen.append(limits) or iter(())
        ),
    )
    (tmp_path / "submitted").mkdir()
    autograded = tmp_path / "autograded"
    assert runner.run(str(tmp_path / "submitted"), str(autograded), "sqlite://", "L1W3", quiet=True) == []
    assert seen == [course]
    summary = json.loads((autograded / ".grading_run_L1W3.json").read_text())
    assert summary["limits"] == course.as_dict()


def test_the_dask_workers_grade_with_the_runners_limits(course, monkeypatch, tmp_path):
    import distributed

    runner = _quiet_run(monkeypatch)
    monkeypatch.setattr(runner, "save", lambda *a: None)
    submitted = []

    class Client:
        def __init__(self, address):
            pass

        def submit(self, fn, *args, **kw):
            submitted.append((fn, args))
            return _Future(fn, args)

        def run(self, fn):  # the workers' process set-up (grader.environment.prepare)
            self.prepared = fn

        def close(self):
            pass

    monkeypatch.setattr(distributed, "Client", Client)
    monkeypatch.setattr(distributed, "as_completed", lambda futures: iter(futures))
    folder = tmp_path / "submitted" / "ann" / "L1W3"
    folder.mkdir(parents=True)
    (folder / "planar_classification.ipynb").write_text("{}")
    with pytest.raises(runner.GraderErrors):  # the fake future's error is the student's
        runner.run(
            str(tmp_path / "submitted"),
            str(tmp_path / "autograded"),
            "sqlite://",
            "L1W3",
            scheduler="tcp://nowhere:1",
            quiet=True,
            secret=b"s" * 32,
        )
    assert [(fn, args[0], args[3]) for fn, args in submitted] == [(runner.grade_remote, "ann", course)]
    # The seed of the student's hidden inputs travels too: a worker elsewhere has another secret.
    from grader.course.secret import submission_seed

    assert submitted[0][1][4] == submission_seed(b"s" * 32, "L1W3", "ann")


def test_the_feedback_extra_runs_with_the_loaded_limits(course, monkeypatch, tmp_path, l1w3):
    from grader.pages import extras
    from grader.sandbox import kernel

    seen = []

    def no_kernel(workdir, limits):
        seen.append(limits)
        raise kernel.KernelDied("not started in this test")

    monkeypatch.setattr(kernel, "Kernel", no_kernel)
    path = tmp_path / "ann" / "L1W3" / l1w3.notebook
    path.parent.mkdir(parents=True)
    path.write_text(open(l1w3.release_notebook, encoding="utf-8").read(), encoding="utf-8")
    kind, _ = extras.extra_answer(str(path), l1w3, use_cache=False)
    assert kind == "note" and seen == [course]


@pytest.mark.parametrize("given", [None, Limits(memory_mb=999, grace=0.5)])
def test_feedback_generate_hands_nbgrader_exactly_its_limits(course, monkeypatch, tmp_path, given):
    from grader.pages import feedback

    runs = []
    monkeypatch.setattr(feedback.subprocess, "run", lambda cmd, **kw: runs.append(kw["env"]))
    (tmp_path / "autograded").mkdir()
    feedback.generate(
        str(tmp_path / "autograded"), str(tmp_path / "feedback"), "sqlite://", assignment="L1W3", limits=given
    )
    # nbgrader's process reads the same configuration, under the environment it is given.
    assert [Limits.load(config=course_config.load(), environ=env) for env in runs] == [given or course]


def test_nbgraders_feedback_summary_uses_the_limits_of_nbgraders_configuration(course, monkeypatch, config):
    from grader.nbgrader_ext import feedback

    seen = []
    monkeypatch.setattr(
        feedback, "summary_html", lambda resources, log=None, limits=None: seen.append(limits)
    )
    config.Limits.grace = 0.75  # e.g. nbgrader generate_feedback --Limits.grace=0.75
    feedback.CourseSummary(config=config).preprocess(nbformat.v4.new_notebook(), {})
    assert seen == [Limits.load(config=config, environ={ENVIRONMENT: ENV})]
    assert seen[0].grace == 0.75 and seen[0].memory_mb == 3500


def test_nbgrader_autograde_grades_with_every_limit_of_its_configuration(
    course, monkeypatch, config, tmp_path
):
    config.Limits.grace = 0.75  # e.g. nbgrader autograde --Limits.grace=0.75
    items = _autograde_command(monkeypatch, config, tmp_path)
    # Every limit is on the command line, so the grading command's own sources cannot differ.
    assert len(items) == len(fields(Limits))
    graded = Limits.load(items, config=Config(), environ={ENVIRONMENT: "memory_mb=1"})
    assert graded == Limits.load(config=config, environ={ENVIRONMENT: ENV})
    assert (graded.grace, graded.memory_mb, graded.cell_timeout) == (0.75, 3500, 7.0)


def test_the_deprecated_autograde_limits_still_apply_over_everything_with_a_warning(
    course, monkeypatch, config, tmp_path, caplog
):
    config.CourseAutograde.limits = ["memory_mb=1234"]
    with caplog.at_level(logging.WARNING, logger="test_limits_source"):
        items = _autograde_command(monkeypatch, config, tmp_path)
    graded = Limits.load(items, config=Config(), environ={})
    assert (graded.memory_mb, graded.processes) == (1234, 31)
    assert msg.LIMITS_TRAIT_DEPRECATED in caplog.text


def test_the_kernel_is_given_its_output_caps_from_the_limits(monkeypatch, tmp_path):
    from grader.sandbox import kernel

    given = []

    def popen(argv, env, **kw):
        given.append(env)
        raise _Stop()

    monkeypatch.setattr(kernel, "subprocess", types.SimpleNamespace(Popen=popen, DEVNULL=subprocess.DEVNULL))
    limits = Limits(output_kb=3, display_kb=5, notebook_output_mb=7)
    with pytest.raises(_Stop):
        kernel.Kernel(str(tmp_path), limits)
    assert kernel_child.caps(given[0]) == (3 * 1024, 5 * 1024, 7 * 1024 * 1024)


def test_the_kernel_has_no_cap_of_its_own():
    with pytest.raises(KeyError):
        kernel_child.caps({"GRADER_STREAM_CAP": "1", "GRADER_NOTEBOOK_CAP": "1"})


def test_display_data_is_bounded_per_cell():
    budget = kernel_child.DisplayBudget(per_cell=10, per_notebook=1000)
    fits = {"text/plain": "x" * 4, "text/html": "y" * 6}
    assert budget.keep(fits, {"m": 1}) == (fits, {"m": 1})
    data, metadata = budget.keep({"text/plain": "z"}, {"m": 1})  # the cell's 11th character
    assert data == kernel_child.DisplayBudget.DROPPED and metadata == {}
    budget.new_cell()
    assert budget.keep({"text/plain": "z" * 10}, {}) == ({"text/plain": "z" * 10}, {})


def test_display_data_is_bounded_per_notebook_streams_included():
    budget = kernel_child.DisplayBudget(per_cell=100, per_notebook=30)
    assert budget.keep({"text/plain": "x" * 20}, {})[0] == {"text/plain": "x" * 20}
    budget.new_cell()
    budget.add(5)  # a cell's streams
    assert budget.keep({"text/plain": "x" * 6}, {})[0] == kernel_child.DisplayBudget.DROPPED
    assert budget.keep({"text/plain": "x" * 5}, {})[0] == {"text/plain": "x" * 5}


def test_a_stream_is_bounded_by_its_cap():
    sink = []
    stream = kernel_child.CappedStream("stdout", sink, cap=8)
    stream.write("abcde")
    stream.write("fghij")
    stream.write("k")
    assert "".join(o["text"] for o in sink[:2]) == "abcdefgh"
    assert len(sink) == 3 and "truncated" in sink[2]["text"]


def test_the_limits_table_lists_every_field_with_its_default_and_meaning():
    rows = _rows(markdown_table())
    assert [(n, d) for n, d, _ in rows] == [(f.name, float(f.default)) for f in fields(Limits)]
    assert all(len(meaning) > 20 for _, _, meaning in rows)


def test_the_readme_table_is_the_generated_one():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        found = README_TABLE.search(f.read())
    assert found, "README.md has no limits table between its markers"
    assert found.group(1) == markdown_table(), (
        "README.md's limits table is stale: replace it with "
        "python -c 'from grader.limits import markdown_table; print(markdown_table())'"
    )
    assert [n for n, _, _ in _rows(found.group(1))] == [f.name for f in fields(Limits)]
