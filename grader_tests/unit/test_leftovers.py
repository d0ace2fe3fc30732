"""The leftover-process check counts its own run's kernels, never another run's on the machine."""

import os
import subprocess
import sys
import time

from grader_tests.helpers.leftovers import RUN_ENV, kernel_processes, labelled_run, process_ids


def _sleeper(marker, run_id=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if run_id is not None:
        env[RUN_ENV] = run_id
    # The marker is in the command line, as a survivor's `sleep N` is for make test-field.
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker], env=env)
    # Until it has exec'd, /proc shows the forking test's command line and environment, not its own.
    deadline = time.monotonic() + 30
    while marker.encode() not in _cmdline(process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return process


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def test_another_runs_kernel_is_not_a_leftover_but_an_unlabelled_one_is():
    before = process_ids()
    marker = "leftover-check-%d" % os.getpid()
    with labelled_run() as mine:
        ours, theirs, wiped = _sleeper(marker, mine), _sleeper(marker, "another-run"), _sleeper(marker)
        try:
            found = {pid for pid, _ in kernel_processes(before, marker, run_id=mine)}
            unlabelled_check = {pid for pid, _ in kernel_processes(before, marker)}
        finally:
            for p in (ours, theirs, wiped):
                p.kill()
                p.wait()
    assert ours.pid in found and wiped.pid in found  # a wiped environment still counts
    assert theirs.pid not in found
    assert {ours.pid, theirs.pid, wiped.pid} <= unlabelled_check  # without a label: every one


def test_labelled_run_sets_and_restores_the_label(monkeypatch):
    monkeypatch.delenv(RUN_ENV, raising=False)
    with labelled_run() as run_id:
        assert os.environ[RUN_ENV] == run_id and len(run_id) == 16
    assert RUN_ENV not in os.environ


def test_every_kernel_carries_the_runs_label(monkeypatch):
    from grader.limits import Limits
    from grader.sandbox.kernel import kernel_env

    monkeypatch.setenv(RUN_ENV, "abc")
    assert kernel_env("/tmp/work", Limits())[RUN_ENV] == "abc"
    monkeypatch.delenv(RUN_ENV)
    assert RUN_ENV not in kernel_env("/tmp/work", Limits())
