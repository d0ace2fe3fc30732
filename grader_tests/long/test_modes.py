"""The grader in the modes other machines give it, produced on this one for real (needs root).

A normal user with user namespaces (with and without a range of subordinate ids, which gives each
kernel a uid of its own), and one without them (``grader_tests.helpers.modes``), each
grading ``make test-field``'s hostile cases beside an innocent neighbour: the neighbour keeps its
points, no kernel process is left, the protections line says what holds; with user namespaces
kernels are warm, with the scores cold kernels give; without user namespaces nothing runs unless
the instructor opts in, and then kernels are cold.  (Root with cgroup v1, this machine's own
mode, is the rest of the long suite.)
"""

import json
import os
import sys

import pytest

from grader import ROOT
from grader import messages as msg
from grader.sandbox import launch as sandbox
from grader_tests.helpers import field, modes

UID_OFF = sandbox.UID_OF_ITS_OWN
PROCESS_LIMIT = "a bounded number of processes per submission (cgroup pids.max, else RLIMIT_NPROC)"
BUBBLEWRAP = "only the system and Python visible, read-only; course, submissions, home hidden (bubblewrap)"


@pytest.fixture(scope="module")
def user():
    """The grading user: a uid of no account that no other test run on the machine uses meanwhile."""
    with modes.spare_uid() as uid:
        yield uid


@pytest.fixture(scope="module")
def home():
    assert os.geteuid() == 0, "producing a normal user's modes needs root (CI runs the long suite as root)"
    # Not under /tmp (each mode has a /tmp of its own) nor pytest's tmp folder (private to root).
    path = os.path.join(ROOT, "build", f"modes-{os.getpid()}")
    os.makedirs(path, exist_ok=True)
    return path


def _field(user, home, name, user_namespaces, cases=(), env=None, subordinate=False):
    out = os.path.join(home, name, "report.json")  # written by the grading user, in its home
    argv = [sys.executable, "-m", "grader_tests.helpers.field", "--json", out]
    for case in cases:
        argv += ["--case", case]
    run = modes.run_as(
        user,
        argv,
        os.path.join(home, name),
        user_namespaces=user_namespaces,
        env=env,
        subordinate=subordinate,
    )
    with open(out) as f:
        return run, json.load(f)


def _neighbours_kept_their_points(report):
    for row in report["cases"]:
        assert row["neighbour_score"] == 20, (row["case"], row["neighbour_notes"])
        assert row["left_processes"] == [], row


def _graded_warm(report):
    """No submission fell back to a cold kernel (``msg.WARM_KERNEL_FALLBACK``)."""
    fallback = msg.WARM_KERNEL_FALLBACK.split("{reason}")[0]
    for row in report["cases"]:
        assert not any(n.startswith(fallback) for n in row["hostile_notes"] + row["neighbour_notes"]), row


@pytest.fixture(scope="module")
def with_user_namespaces(user, home):
    return _field(user, home, "userns", True)


@pytest.fixture(scope="module")
def with_user_namespaces_cold(user, home):
    return _field(user, home, "userns-cold", True, env={"GRADER_WARM_KERNELS": "0"})


def test_a_normal_user_with_user_namespaces_is_isolated_and_bounded(with_user_namespaces, user):
    run, report = with_user_namespaces
    assert run.returncode == 0, run.stdout + run.stderr
    assert report["mode"] == {
        "user": f"a normal user (uid {user})",
        "cgroups": "none usable",
        "bubblewrap": "isolates",
    }
    protections = report["protections"]
    assert protections[BUBBLEWRAP] and protections[PROCESS_LIMIT] and not protections[UID_OFF]
    assert "protections:" in run.stdout and "OFF  " + UID_OFF in run.stdout
    _neighbours_kept_their_points(report)
    assert sorted(r["case"] for r in report["cases"]) == sorted(field.CASES)


def test_a_normal_user_with_user_namespaces_grades_warm_as_cold(
    with_user_namespaces, with_user_namespaces_cold
):
    (run, warm), (cold_run, cold) = with_user_namespaces, with_user_namespaces_cold
    assert warm["kernels"] == "warm" and msg.KERNELS_WARM in run.stdout
    _graded_warm(warm)
    assert cold_run.returncode == 0, cold_run.stdout + cold_run.stderr
    assert cold["kernels"] == "cold" and msg.KERNELS_COLD in cold_run.stdout
    _neighbours_kept_their_points(cold)
    scores = {r["case"]: (r["hostile_score"], r["neighbour_score"]) for r in cold["cases"]}
    assert {r["case"]: (r["hostile_score"], r["neighbour_score"]) for r in warm["cases"]} == scores


def test_a_normal_users_fork_bomb_stops_at_its_process_limit(with_user_namespaces):
    _, report = with_user_namespaces
    bomb = next(r for r in report["cases"] if r["case"] == "fork bomb")
    assert bomb["hostile_score"] == 20  # the run went on: the bomb cost nobody, itself included


def test_a_normal_users_peak_memory_is_the_submissions(with_user_namespaces):
    _, report = with_user_namespaces
    hog = next(r for r in report["cases"] if r["case"].startswith("memory"))
    assert hog["hostile_peak_mb"] > 6 * 512, hog  # six processes at once, not one process's RSS


def test_a_normal_users_kernel_gets_no_user_namespace_of_its_own(with_user_namespaces):
    # The mount step's own user namespace comes first; the kernel it execs is refused one.
    _, report = with_user_namespaces
    assert report["protections"][msg.PROTECTION_NO_USERNS]
    userns = next(r for r in report["cases"] if r["case"] == "tmpfs: one of its own, in a user namespace")
    assert userns["hostile_score"] == 20, userns  # any attempt that worked costs it func_layer_sizes


@pytest.fixture(scope="module")
def with_subordinate_ids(user, home):
    return _field(user, home, "subids", True, subordinate=True)


# The cases where a uid of its own changes what bounds the submission (its process count).
UID_CASES = ["fork bomb", "memory: six processes of 512 MB", "survivor: a detached process"]


def test_a_normal_user_with_subordinate_ids_gives_each_kernel_a_uid_of_its_own(with_subordinate_ids, user):
    run, report = with_subordinate_ids
    assert run.returncode == 0, run.stdout + run.stderr
    assert report["mode"]["user"] == f"a normal user (uid {user})"
    protections = report["protections"]
    assert protections[BUBBLEWRAP] and protections[PROCESS_LIMIT] and protections[UID_OFF]
    assert "on   " + UID_OFF in run.stdout
    assert report["kernels"] == "warm"
    _graded_warm(report)
    _neighbours_kept_their_points(report)  # the leftover check looks at the subordinate ids too
    assert sorted(r["case"] for r in report["cases"]) == sorted(field.CASES)
    by = {r["case"]: r for r in report["cases"]}
    assert by["fork bomb"]["hostile_score"] == 20
    assert by["memory: six processes of 512 MB"]["hostile_peak_mb"] > 6 * 512


def test_a_normal_user_with_subordinate_ids_grades_cold_kernels_as_warm_ones(
    with_subordinate_ids, user, home
):
    _, warm = with_subordinate_ids
    run, cold = _field(
        user, home, "subids-cold", True, UID_CASES, env={"GRADER_WARM_KERNELS": "0"}, subordinate=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert cold["kernels"] == "cold" and cold["protections"][UID_OFF]
    _neighbours_kept_their_points(cold)
    scores = {
        r["case"]: (r["hostile_score"], r["neighbour_score"]) for r in warm["cases"] if r["case"] in UID_CASES
    }
    assert {r["case"]: (r["hostile_score"], r["neighbour_score"]) for r in cold["cases"]} == scores


def test_without_user_namespaces_nothing_runs_unless_the_instructor_opts_in(user, home):
    run, report = _field(user, home, "nouserns", False)
    assert run.returncode == 2, run.stdout + run.stderr
    assert report["refused"] == f"{msg.SANDBOX_NO_USERNS}\n{msg.SANDBOX_HOW_TO_OPT_IN}"
    assert "cases" not in report


def test_without_user_namespaces_opted_in_the_risk_is_printed_and_neighbours_keep_their_points(user, home):
    cases = ["fork bomb", "memory: six processes of 512 MB", "survivor: a detached process"]
    run, report = _field(user, home, "optedin", False, cases, env={"GRADER_ALLOW_UNISOLATED": "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert msg.SANDBOX_OPTED_OUT.format(reason=msg.SANDBOX_NO_USERNS) in run.stdout
    protections = report["protections"]
    assert not protections[BUBBLEWRAP] and protections[PROCESS_LIMIT]
    assert "OFF  " + BUBBLEWRAP in run.stdout
    assert report["kernels"] == "cold" and msg.KERNELS_COLD in run.stdout  # no zygote without bubblewrap
    _neighbours_kept_their_points(report)  # the survivor, detached from its session, is gone too
