"""The nbgrader exchange end to end on one machine, with real users, honest and hostile.

The instructor (root, as on this project's machines) keeps a private course
copy (under pytest's 0700 basetemp) and an exchange outside it, as
docs/instructors.md lays it out.  Each student is a local user of its own
(``useradd``; acted as with ``setpriv``), with a HOME, a Jupyter configuration
(the file docs/instructors.md hands out) and a plain environment.  Besides an
honest student, the class holds one student per forgery of issue 17 and its
neighbours, all collected by one ``nbgrader collect``: each is refused with a
message naming the student, and the rest of the class is collected.
"""

import datetime
import glob
import os
import shutil
import stat
import subprocess
import sys
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import messages as msg
from grader.course import submissions
from grader.course.assignment import load
from grader.ids import check_id, terminal
from grader.nbgrader_ext.inbound import owner_name
from grader_tests.helpers.jupyter_servers import (
    COURSE_ID,
    copy_course,
    nbgrader,
    plain_env,
    student_config,
)
from grader_tests.helpers.users import Users

ASSIGNMENT = "L1W3"
L1W3 = load(ASSIGNMENT)
NOTEBOOK = L1W3.notebook
PAGE = NOTEBOOK.replace(".ipynb", ".html")
ROLES = ("alice", "mal", "sym", "carrier", "future", "late", "hl", "fs", "esc")
ESCAPE_NAME = "\x1b[2J\x1b]0;owned\x07+L1W3+2026-01-01 00:00:00.000000 UTC+zz"
NEWLINE_NAME = "bob\nINFO | collected bob+L1W3+t+r"


@pytest.fixture(scope="module")
def users():
    made = Users(ROLES)
    yield made
    made.remove()


def inbox_folders(exchange, student):
    """``student``'s folders in the inbound folder (as the instructor sees them)."""
    inbound = os.path.join(exchange, COURSE_ID, "inbound")
    return sorted(n for n in os.listdir(inbound) if n.startswith(student + "+"))


@pytest.fixture(scope="module")
def exchange_run(tmp_path_factory, users):
    """Release; students fetch, fill, submit and forge; a due date between; one collect of the class."""
    tmp = tmp_path_factory.mktemp("exchange")
    course = copy_course(tmp / "course")
    exchange = os.path.join(users.top, "exchange")
    teacher = {**plain_env(tmp / "instructor"), "NBGRADER_EXCHANGE": exchange}
    nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course, teacher)
    nbgrader(["release_assignment", ASSIGNMENT], course, teacher)
    inbound = os.path.join(exchange, COURSE_ID, "inbound")
    assert os.path.isdir(os.path.join(exchange, COURSE_ID, "outbound", ASSIGNMENT))
    assert stat.S_IMODE(os.stat(exchange).st_mode) == 0o777
    assert stat.S_IMODE(os.stat(inbound).st_mode) & 0o777 == 0o733  # students add, never list

    solution = os.path.join(users.top, "solution.ipynb")
    release = os.path.join(exchange, COURSE_ID, "outbound", ASSIGNMENT, NOTEBOOK)
    nbformat.write(submissions.fill(L1W3, release=release), solution)
    os.chmod(solution, 0o644)
    env, work = {}, {}
    for role in ROLES:
        home = users.home(role)
        env[role] = plain_env(home, config=student_config(exchange))
        work[role] = os.path.join(home, "work")
        users.sh(role, f"mkdir -p {work[role]}", env[role], home)

    def fetch(role, filled):
        users.run(role, ["nbgrader", "fetch_assignment", ASSIGNMENT], env[role], work[role])
        if filled:
            mine = os.path.join(work[role], COURSE_ID, ASSIGNMENT, NOTEBOOK)
            users.sh(role, f"cp {solution} {mine}", env[role], work[role])

    def submit(role, *extra):
        return users.run(role, ["nbgrader", "submit", ASSIGNMENT, *extra], env[role], work[role]).stdout

    def sh(role, script):
        return users.sh(role, script, env[role], work[role])

    # alice: the honest student.
    fetch("alice", filled=True)
    submit("alice")
    [alice_folder] = inbox_folders(exchange, users["alice"])
    # mal: submits a full solution in alice's name (--student; nbgrader's default is the uid's name),
    # and plants a file in alice's world-writable folder.
    fetch("mal", filled=True)
    submit("mal", f"--student={users['alice']}")
    sh("mal", f"echo planted > '{inbound}/{alice_folder}/planted.txt'")
    # sym: submits, then replaces her notebook by a symlink to the source notebook (through the
    # collector's own working directory) and adds one to alice's inbound notebook.
    fetch("sym", filled=False)
    submit("sym")
    [sym_folder] = inbox_folders(exchange, users["sym"])
    sym_dir = os.path.join(inbound, sym_folder)
    sh(
        "sym",
        f"cd '{sym_dir}' && rm {NOTEBOOK} && ln -s /proc/self/cwd/source/{ASSIGNMENT}/{NOTEBOOK} {NOTEBOOK}"
        f" && ln -s '{inbound}/{alice_folder}/{NOTEBOOK}' copy.ipynb",
    )
    # carrier: an untouched notebook, a symlink to the grading spec named as a page (never
    # collected: no page of a student's is, nbgrader_config.py's CourseDirectory.ignore), the same
    # link under a name that is no page (refused as a link), a page of her own making (not
    # collected either) and a plain file of hers (filed): none may come back to her as feedback.
    fetch("carrier", filled=False)
    submit("carrier")
    [carrier_folder] = inbox_folders(exchange, users["carrier"])
    sh(
        "carrier",
        f"cd '{inbound}/{carrier_folder}' && ln -s /proc/self/cwd/grading/{ASSIGNMENT}/spec.py spec.html"
        f" && ln -s /proc/self/cwd/grading/{ASSIGNMENT}/spec.py spec.txt"
        " && echo '<p>20 / 20</p>' > fake.html && echo 'my notes' > notes.txt",
    )
    # future: a hand-made folder with a far-future name holding the untouched release (stock
    # nbgrader takes the latest by name), then an honest Submit of the solution.
    fetch("future", filled=False)
    fut = f"{users['future']}+{ASSIGNMENT}+2099-01-01 00:00:00.000000 UTC+zz"
    sh("future", f"mkdir '{inbound}/{fut}' && cp {release} '{inbound}/{fut}/'")
    sh("future", f"cp {solution} {os.path.join(work['future'], COURSE_ID, ASSIGNMENT, NOTEBOOK)}")
    time.sleep(0.05)
    submit("future")
    # hl: hard links (her own file; the course's spec, linked by root), a fifo, a device.
    fetch("hl", filled=False)
    submit("hl")
    [hl_folder] = inbox_folders(exchange, users["hl"])
    hl_dir = os.path.join(inbound, hl_folder)
    sh("hl", f"cd '{hl_dir}' && echo mine > own.txt && ln own.txt twice.txt && mkfifo pipe")
    spec_copy = os.path.join(users.top, "spec-copy.py")  # the spec on the exchange's filesystem
    shutil.copy(os.path.join(course, "grading", ASSIGNMENT, "spec.py"), spec_copy)
    os.link(spec_copy, os.path.join(hl_dir, "spec.py"))
    os.mknod(os.path.join(hl_dir, "tty"), stat.S_IFCHR | 0o666, os.makedev(5, 0))
    os.chown(os.path.join(hl_dir, "tty"), users.uid("hl"), -1, follow_symlinks=False)
    # fs: her submission folder is a symlink to a folder of hers; another names a user that
    # does not exist.
    own = os.path.join(users.home("fs"), "own")
    sh("fs", f"mkdir {own} && cp {solution} {own}/ && ln -s {own} '{inbound}/{users['fs']}+{ASSIGNMENT}+t+r'")
    sh("fs", f"mkdir '{inbound}/gxnosuchuser+{ASSIGNMENT}+t+r'")
    # esc: folder names with escape sequences, a newline, a path.
    sh("esc", f"mkdir '{inbound}/{ESCAPE_NAME}' && mkdir '{inbound}/..+{ASSIGNMENT}+t+r'")
    users.run("esc", ["mkdir", os.path.join(inbound, NEWLINE_NAME)], env["esc"], work["esc"])

    # The due date falls here: late submits after it and forges the time back.
    duedate = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(1.1)
    fetch("late", filled=True)
    submit("late")
    [late_folder] = inbox_folders(exchange, users["late"])
    forged = f"{users['late']}+{ASSIGNMENT}+2000-01-01 00:00:00.000000 UTC+zz"
    sh(
        "late",
        f"cd '{inbound}' && echo '2000-01-01 00:00:00.000000 UTC' > '{late_folder}/timestamp.txt'"
        f" && touch -d 2000-01-01 '{late_folder}'/* && mv '{late_folder}' '{forged}'",
    )
    nbgrader(
        ["db", "assignment", "add", ASSIGNMENT, f"--duedate={duedate.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC"],
        course,
        teacher,
    )
    collected = nbgrader(["collect", ASSIGNMENT], course, teacher, check=False)
    return {
        "tmp": tmp,
        "course": course,
        "teacher": teacher,
        "exchange": exchange,
        "inbound": inbound,
        "env": env,
        "work": work,
        "solution": solution,
        "duedate": duedate.replace(tzinfo=None),
        "folders": {"alice": alice_folder, "sym": sym_folder, "hl": hl_folder, "late": forged},
        "collected": collected,
    }


def submitted(run, role, users, name=NOTEBOOK):
    return os.path.join(run["course"], "submitted", users[role], ASSIGNMENT, name)


def test_collect_files_the_class_and_refuses_each_forgery_by_name(exchange_run, users):
    run = exchange_run
    out = run["collected"].stdout
    assert run["collected"].returncode == 1, out  # refusals are seen
    assert "\x1b" not in out and "\x07" not in out
    alice, mal = users["alice"], users["mal"]
    mal_folders = [n for n in inbox_folders(run["exchange"], alice) if n != run["folders"]["alice"]]
    assert len(mal_folders) == 1
    for name in mal_folders:
        refusal = msg.EXCHANGE_REFUSED.format(
            student=alice, name=name, reason=msg.EXCHANGE_FOLDER_OWNER.format(owner=mal)
        )
        assert refusal in out, out
    skipped = msg.EXCHANGE_ENTRY_SKIPPED.format
    symlink = msg.EXCHANGE_ENTRY_KIND.format(kind=msg.KIND_SYMLINK)
    expected = [
        skipped(student=alice, path="planted.txt", reason=msg.EXCHANGE_ENTRY_OWNER.format(owner=mal)),
        skipped(student=users["sym"], path=NOTEBOOK, reason=symlink),
        skipped(student=users["sym"], path="copy.ipynb", reason=symlink),
        skipped(student=users["carrier"], path="spec.txt", reason=symlink),
        skipped(student=users["hl"], path="own.txt", reason=msg.EXCHANGE_ENTRY_HARD_LINK.format(links=2)),
        skipped(student=users["hl"], path="twice.txt", reason=msg.EXCHANGE_ENTRY_HARD_LINK.format(links=2)),
        skipped(
            student=users["hl"], path="spec.py", reason=msg.EXCHANGE_ENTRY_OWNER.format(owner=owner_name(0))
        ),
        skipped(student=users["hl"], path="pipe", reason=msg.EXCHANGE_ENTRY_KIND.format(kind=msg.KIND_FIFO)),
        skipped(student=users["hl"], path="tty", reason=msg.EXCHANGE_ENTRY_KIND.format(kind=msg.KIND_DEVICE)),
        msg.EXCHANGE_REFUSED.format(
            student=users["fs"],
            name=f"{users['fs']}+{ASSIGNMENT}+t+r",
            reason=msg.EXCHANGE_NOT_A_FOLDER.format(kind=msg.KIND_SYMLINK),
        ),
        msg.EXCHANGE_NO_SUCH_USER.format(student="gxnosuchuser", name=f"gxnosuchuser+{ASSIGNMENT}+t+r"),
    ]
    for name in (ESCAPE_NAME, NEWLINE_NAME, f"..+{ASSIGNMENT}+t+r"):
        expected.append(
            msg.EXCHANGE_BAD_NAME.format(name=terminal(name), reason=check_id(name.split("+")[0]))
        )
    missing = [line for line in expected if line not in out]
    assert not missing, out
    # The rest of the class is collected; nobody else is filed under any name.
    filed = sorted(os.listdir(os.path.join(run["course"], "submitted")))
    assert filed == sorted(users[r] for r in ("alice", "sym", "carrier", "future", "late", "hl"))


def test_nothing_but_the_students_own_files_is_filed(exchange_run, users):
    run = exchange_run
    with open(os.path.join(run["course"], "grading", ASSIGNMENT, "spec.py"), "rb") as f:
        spec = f.read()
    with open(os.path.join(run["course"], "source", ASSIGNMENT, NOTEBOOK), "rb") as f:
        source = f.read()
    for path in glob.glob(os.path.join(run["course"], "submitted", "**"), recursive=True):
        assert not os.path.islink(path), path
        if os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            assert data not in (spec, source) and b"def build(" not in data, path
    assert not os.path.exists(submitted(run, "sym", users))  # the symlinked notebook is not followed
    assert os.path.isfile(submitted(run, "carrier", users, "notes.txt"))  # her own file is hers
    # No page of hers is collected (formgrader would serve it as it is), hers or a link's.
    assert not os.path.lexists(submitted(run, "carrier", users, "fake.html"))
    assert not os.path.lexists(submitted(run, "carrier", users, "spec.html"))
    hl = os.listdir(os.path.dirname(submitted(run, "hl", users)))
    assert not {"own.txt", "twice.txt", "spec.py", "pipe", "tty"} & set(hl)
    assert not os.path.exists(submitted(run, "alice", users, "planted.txt"))


def test_the_impersonated_student_keeps_her_own_submission(exchange_run, users):
    run = exchange_run
    with open(os.path.join(run["inbound"], run["folders"]["alice"], NOTEBOOK), "rb") as f:
        assert open(submitted(run, "alice", users), "rb").read() == f.read()


def test_the_submission_time_is_when_the_files_arrived(exchange_run, users):
    run = exchange_run
    with open(submitted(run, "late", users, "timestamp.txt")) as f:
        late = datetime.datetime.strptime(f.read().replace(" UTC", ""), "%Y-%m-%d %H:%M:%S.%f")
    assert run["duedate"] < late < datetime.datetime.utcnow()
    # The far-future folder name does not make the untouched release the latest submission.
    with open(run["solution"], "rb") as f:
        assert open(submitted(run, "future", users), "rb").read() == f.read()
    with open(submitted(run, "alice", users, "timestamp.txt")) as f:
        assert (
            datetime.datetime.strptime(f.read().replace(" UTC", ""), "%Y-%m-%d %H:%M:%S.%f") < run["duedate"]
        )


def grader_cmd(run, *args):
    proc = subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=run["course"],
        env=run["teacher"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    return proc.stdout


def test_autograde_gives_the_collected_solution_full_marks(exchange_run, users):
    run = exchange_run
    alice = users["alice"]
    log = nbgrader(["autograde", ASSIGNMENT, f"--student={alice}"], run["course"], run["teacher"]).stdout
    with Gradebook("sqlite:///" + os.path.join(run["course"], "gradebook.db")) as gb:
        submission = gb.find_submission(ASSIGNMENT, alice)
        assert submission.max_score == 20
        assert submission.score == 20, log[-3000:]
        assert submission.total_seconds_late == 0


def test_the_class_graded_as_collected_late_forgery_and_all(exchange_run, users):
    run = exchange_run
    grader_cmd(run, "grade", ASSIGNMENT)
    with Gradebook("sqlite:///" + os.path.join(run["course"], "gradebook.db")) as gb:
        got = {}
        for role in ("alice", "future", "late", "sym", "carrier", "hl"):
            s = gb.find_submission(ASSIGNMENT, users[role])
            got[role] = (s.score - (s.late_submission_penalty or 0), s.total_seconds_late > 0)
    assert got == {
        "alice": (20, False),
        "future": (20, False),
        "late": (18, True),  # 10 % per started day: the forged time.txt does not help
        "sym": (0, False),  # no notebook: the symlink to the source was not followed
        "carrier": (0, False),
        "hl": (0, False),
    }


def test_feedback_travels_back_and_carries_only_the_notebooks_page(exchange_run, users):
    run = exchange_run
    course, teacher = run["course"], run["teacher"]
    nbgrader(["generate_feedback", ASSIGNMENT], course, teacher)
    nbgrader(["release_feedback", ASSIGNMENT], course, teacher)
    with open(os.path.join(course, "grading", ASSIGNMENT, "spec.py"), encoding="utf-8") as f:
        spec_line = max(f, key=len).strip()  # its longest line: nothing a page says by chance
    for role, score in (("alice", 20), ("carrier", 0)):
        work = run["work"][role]
        users.run(role, ["nbgrader", "fetch_feedback", ASSIGNMENT], run["env"][role], work)
        pages = glob.glob(os.path.join(work, COURSE_ID, ASSIGNMENT, "feedback", "*", "*"))
        assert [os.path.basename(p) for p in pages] == [PAGE], pages
        with open(pages[0], encoding="utf-8") as f:
            page = f.read()
        assert 'id="grader-summary"' in page  # the course's page, not nbgrader's stock one
        assert f"Grading summary: {users[role]} — {score} / 20" in page
        assert spec_line not in page and "def build(" not in page


def test_release_feedback_of_a_class_filed_by_the_exchange_and_by_make_demo(exchange_run, users):
    """Issue 19: students filed by make demo (or make collect) have no submission_secret.txt.

    The class is graded and its feedback written by the make targets' commands
    (``make grade``, ``make feedback``); Release Feedback for the whole
    assignment then delivers alice's page and names each demo student, whose
    pages stay in feedback/ for the LMS.
    """
    run = exchange_run
    course, teacher, alice = run["course"], run["teacher"], users["alice"]
    for folder in ("autograded", "feedback"):
        shutil.rmtree(os.path.join(course, folder, alice), ignore_errors=True)
    grader_cmd(run, "demo-submissions", ASSIGNMENT)
    grader_cmd(run, "grade", ASSIGNMENT)
    grader_cmd(run, "feedback", ASSIGNMENT)
    released = nbgrader(["release_feedback", ASSIGNMENT], course, teacher).stdout
    for student in submissions.demo_students(L1W3):
        where = os.path.join(course, "feedback", student, ASSIGNMENT, PAGE)
        assert msg.FEEDBACK_NOT_THROUGH_EXCHANGE.format(student=student, page=where) in released, released
    work = run["work"]["alice"]
    users.sh(
        "alice", f"rm -rf {os.path.join(work, COURSE_ID, ASSIGNMENT, 'feedback')}", run["env"]["alice"], work
    )
    users.run("alice", ["nbgrader", "fetch_feedback", ASSIGNMENT], run["env"]["alice"], work)
    [fetched] = glob.glob(os.path.join(work, COURSE_ID, ASSIGNMENT, "feedback", "*", PAGE))
    with open(fetched, encoding="utf-8") as f:
        assert f"Grading summary: {alice} — 20 / 20" in f.read()
