"""Where students' code cannot be isolated, nothing runs it unless the instructor opts in, and says so."""

import pytest

from grader import messages as msg
from grader.sandbox import launch


@pytest.fixture
def no_bubblewrap(monkeypatch):
    monkeypatch.setattr(launch, "bwrap_works", lambda: False)
    monkeypatch.setattr(launch, "_bwrap", lambda: None)
    monkeypatch.delenv(launch.ALLOW_UNISOLATED, raising=False)


@pytest.fixture
def no_user_namespaces(monkeypatch):
    monkeypatch.setattr(launch, "bwrap_works", lambda: False)
    monkeypatch.setattr(launch, "_bwrap", lambda: "/usr/bin/bwrap")
    monkeypatch.delenv(launch.ALLOW_UNISOLATED, raising=False)


def test_where_bubblewrap_isolates_nothing_is_refused_or_printed(monkeypatch):
    monkeypatch.setattr(launch, "bwrap_works", lambda: True)
    assert launch.isolation_problem() is None and launch.require_isolation(environ={}) is None


@pytest.mark.parametrize(
    "machine, reason",
    [("no_bubblewrap", msg.SANDBOX_NO_BWRAP), ("no_user_namespaces", msg.SANDBOX_NO_USERNS)],
)
def test_without_isolation_the_grader_refuses_and_says_what_to_do(request, machine, reason):
    request.getfixturevalue(machine)
    with pytest.raises(launch.SandboxUnavailable) as refused:
        launch.require_isolation()
    assert str(refused.value) == f"{reason}\n{msg.SANDBOX_HOW_TO_OPT_IN}"


def test_the_opt_in_runs_it_with_a_warning_that_names_the_risk(no_user_namespaces):
    warning = launch.require_isolation(environ={launch.ALLOW_UNISOLATED: "1"})
    assert warning == msg.SANDBOX_OPTED_OUT.format(reason=msg.SANDBOX_NO_USERNS)
    with pytest.raises(launch.SandboxUnavailable):  # anything but "1" is no opt-in
        launch.require_isolation(environ={launch.ALLOW_UNISOLATED: "yes"})


def test_no_kernel_starts_unisolated_unasked(no_bubblewrap, tmp_path):
    from grader.limits import Limits
    from grader.sandbox.kernel import Kernel

    with pytest.raises(launch.SandboxUnavailable):
        Kernel(str(tmp_path), Limits())
    assert list(tmp_path.iterdir()) == []  # refused before anything was copied or started


def test_the_grade_command_refuses_before_touching_anything(no_bubblewrap, tmp_path, capsys):
    from grader.cli import main

    db = tmp_path / "gb.db"
    status = main(
        [
            "grade",
            "L1W3",
            "--submitted",
            str(tmp_path / "s"),
            "--autograded",
            str(tmp_path / "a"),
            "--db",
            f"sqlite:///{db}",
        ]
    )
    assert status == 2 and msg.SANDBOX_NO_BWRAP in capsys.readouterr().err
    assert not db.exists() and not (tmp_path / "a").exists()


@pytest.mark.parametrize("allowed", [False, True])
def test_nbgraders_path_passes_the_opt_in_and_logs_the_protections_and_the_risk(
    tmp_path, monkeypatch, caplog, allowed
):
    from grader_tests.helpers.cli_course import _course_autograde

    warning = msg.SANDBOX_OPTED_OUT.format(reason=msg.SANDBOX_NO_USERNS)
    stderr = "protections: bubblewrap: OFF; cgroups: on\n" + (warning + "\n" if allowed else "")
    step, resources, calls = _course_autograde(tmp_path, monkeypatch, (0, "graded 1 submission(s)\n", stderr))
    step.allow_unisolated = allowed
    with caplog.at_level("INFO", logger="test_course_autograde"):
        step.preprocess(None, resources)
    assert ("--allow-unisolated" in calls[0]) is allowed
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == ["protections: bubblewrap: OFF; cgroups: on"] + ([warning] if allowed else [])
