"""Release Feedback with students who never used the exchange (issue 19, must-have 8).

A feedback folder without ``submission_secret.txt`` (a student filed by
``make collect`` or ``make demo``) stops stock nbgrader's release with
``FileNotFoundError``; the course's ``ReleaseFeedback`` releases everyone else
exactly as nbgrader does and names each student it skips.
"""

import glob
import logging
import os
import pwd
import shutil
import time

import pytest
from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError, ExchangeFactory
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash
from traitlets.config import Config

from grader import messages as msg
from grader.config import load as load_config
from grader.nbgrader_ext.exchange import Collect, List, ReleaseFeedback

COURSE = "course-id"
SECRETS = {"alice": "a" * 128, "bob": None, "carol": "c" * 128}  # bob was filed by make collect


@pytest.fixture
def feedback(tmp_path):
    """A course whose feedback/ holds three students' pages, and an empty exchange."""
    for student, secret in SECRETS.items():
        folder = tmp_path / "course" / "feedback" / student / "L1W3"
        folder.mkdir(parents=True)
        (folder / "nb.html").write_text(f"page of {student}")
        (folder / "timestamp.txt").write_text("2026-11-20 08:30:16.000000 UTC")
        if secret:
            (folder / "submission_secret.txt").write_text(secret)
    (tmp_path / "exchange").mkdir()
    (tmp_path / "course" / "source" / "L1W3").mkdir(parents=True)
    (tmp_path / "course" / "source" / "L1W3" / "nb.ipynb").write_text("{}")
    config = Config()
    config.CourseDirectory.root = str(tmp_path / "course")
    config.CourseDirectory.course_id = COURSE
    config.CourseDirectory.assignment_id = "L1W3"
    config.Exchange.root = str(tmp_path / "exchange")
    return tmp_path, config


def _release(cls, config, exclude=""):
    coursedir = CourseDirectory(config=config, student_id_exclude=exclude)
    log = logging.getLogger("test_release_feedback")
    app = cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config, log=log)
    app.start()
    return coursedir


def _released(tmp_path):
    pages = glob.glob(str(tmp_path / "exchange" / COURSE / "feedback" / "*.html"))
    return {os.path.basename(p): open(p).read() for p in pages}


def _name(student):
    return notebook_hash(secret=SECRETS[student], notebook_id="nb") + ".html"


def test_stock_release_feedback_stops_at_a_student_without_a_secret(feedback):
    tmp_path, config = feedback
    with pytest.raises(FileNotFoundError, match="submission_secret.txt"):
        _release(ExchangeReleaseFeedback, config)


def test_the_others_are_released_and_the_skipped_student_is_named(feedback, caplog):
    tmp_path, config = feedback
    with caplog.at_level(logging.WARNING, logger="test_release_feedback"):
        coursedir = _release(ReleaseFeedback, config)
    assert _released(tmp_path) == {_name("alice"): "page of alice", _name("carol"): "page of carol"}
    page = str(tmp_path / "course" / "feedback" / "bob" / "L1W3" / "nb.html")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [msg.FEEDBACK_NOT_THROUGH_EXCHANGE.format(student="bob", page=page)]
    assert coursedir.student_id_exclude == ""  # the instructor's setting is left as it was


def test_the_instructors_own_exclusions_still_hold(feedback):
    tmp_path, config = feedback
    coursedir = _release(ReleaseFeedback, config, exclude="carol")
    assert _released(tmp_path) == {_name("alice"): "page of alice"}
    assert coursedir.student_id_exclude == "carol"


def test_nbgrader_config_selects_the_classes():
    factory = ExchangeFactory(config=load_config())
    assert factory.release_feedback is ReleaseFeedback
    assert factory.collect is Collect
    assert factory.list is List


def test_a_page_that_is_a_symlink_or_no_notebooks_page_is_not_released(feedback, caplog):
    """Issue 17: a student's x.html (a symlink to the grading spec, or her own file) is no feedback."""
    tmp_path, config = feedback
    secret_file = tmp_path / "course" / "grading-spec.py"
    secret_file.write_text("HIDDEN CASES")
    alice = tmp_path / "course" / "feedback" / "alice" / "L1W3"
    (alice / "nb.html").unlink()
    (alice / "nb.html").symlink_to(secret_file)
    (alice / "spec.html").symlink_to(secret_file)
    (alice / "mine.html").write_text("her own file")
    with caplog.at_level(logging.WARNING, logger="test_release_feedback"):
        _release(ReleaseFeedback, config)
    released = _released(tmp_path)
    assert released == {_name("carol"): "page of carol"}
    assert all("HIDDEN" not in text for text in released.values())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        msg.FEEDBACK_NOT_A_FILE.format(student="alice", page=str(alice / "nb.html"), kind=msg.KIND_SYMLINK)
        in warnings
    )
    assert msg.FEEDBACK_NOT_A_NOTEBOOK.format(page=str(alice / "spec.html")) in warnings
    assert msg.FEEDBACK_NOT_A_NOTEBOOK.format(page=str(alice / "mine.html")) in warnings


def test_a_secret_that_is_a_symlink_is_not_read(feedback, caplog):
    tmp_path, config = feedback
    carol = tmp_path / "course" / "feedback" / "carol" / "L1W3"
    (carol / "submission_secret.txt").unlink()
    (carol / "submission_secret.txt").symlink_to(carol / "nb.html")
    with caplog.at_level(logging.WARNING, logger="test_release_feedback"):
        _release(ReleaseFeedback, config)
    assert _released(tmp_path) == {_name("alice"): "page of alice"}


# --- Collect and List, in-process (the real users' case is grader_tests/long/test_exchange.py) ---

ME = pwd.getpwuid(os.getuid()).pw_name
SUBMIT_SECRET = "d" * 128


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """A new gradebook, made once (nbgrader's migrations take seconds): each test copies it."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook("sqlite:///" + str(path), COURSE):
        pass
    return path


@pytest.fixture
def inbox(tmp_path, empty_gradebook):
    """An exchange whose inbound folder holds two folders of this process's user, and a course."""
    shutil.copy(empty_gradebook, tmp_path / "gradebook.db")
    inbound = tmp_path / "exchange" / COURSE / "inbound"
    inbound.mkdir(parents=True)
    for stamp, text in (("2099-01-01 00:00:00.000000 UTC", "old"), ("2000-01-01 00:00:00.000000 UTC", "new")):
        folder = inbound / f"{ME}+L1W3+{stamp}+x"
        folder.mkdir()
        (folder / "nb.ipynb").write_text(text)
        (folder / "timestamp.txt").write_text(stamp)
        (folder / "submission_secret.txt").write_text(SUBMIT_SECRET)
        time.sleep(0.01)  # "new" arrives later, whatever its name says
    config = Config()
    config.CourseDirectory.root = str(tmp_path / "course")
    config.CourseDirectory.course_id = COURSE
    config.CourseDirectory.assignment_id = "L1W3"
    config.CourseDirectory.db_url = "sqlite:///" + str(tmp_path / "gradebook.db")
    config.Exchange.root = str(tmp_path / "exchange")
    return tmp_path, inbound, config


def _collect(config, cls=Collect):
    coursedir = CourseDirectory(config=config)
    log = logging.getLogger("test_collect")
    app = cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config, log=log)
    app.start()
    return app


def test_collect_takes_the_latest_arrival_and_writes_its_own_time(inbox):
    tmp_path, inbound, config = inbox
    _collect(config)
    filed = tmp_path / "course" / "submitted" / ME / "L1W3"
    assert (filed / "nb.ipynb").read_text() == "new"
    assert (filed / "submission_secret.txt").read_text() == SUBMIT_SECRET
    stamp = (filed / "timestamp.txt").read_text()
    assert stamp.endswith(" UTC") and not stamp.startswith(("2099", "2000"))
    assert os.stat(tmp_path / "course" / "submitted").st_mode & 0o777 == 0o700


def test_collect_refuses_a_folder_in_another_users_name_and_files_the_rest(inbox, caplog):
    tmp_path, inbound, config = inbox
    other = "daemon" if ME != "daemon" else "bin"
    (inbound / f"{other}+L1W3+t+x").mkdir()
    (inbound / f"{other}+L1W3+t+x" / "nb.ipynb").write_text("forged")
    (inbound / "\x1b[31mred+L1W3+t+x").mkdir()
    with caplog.at_level(logging.INFO, logger="test_collect"):
        with pytest.raises(ExchangeError, match="2"):
            _collect(config)
    texts = [r.getMessage() for r in caplog.records]
    owner = msg.EXCHANGE_FOLDER_OWNER.format(owner=ME)
    assert msg.EXCHANGE_REFUSED.format(student=other, name=f"{other}+L1W3+t+x", reason=owner) in texts
    assert any(t.startswith(msg.EXCHANGE_BAD_NAME.split("{")[0]) and "\\x1b[31mred" in t for t in texts)
    assert not any("\x1b" in t for t in texts)
    assert sorted(os.listdir(tmp_path / "course" / "submitted")) == [ME]


def test_list_inbound_leaves_out_names_that_are_no_valid_id(inbox):
    tmp_path, inbound, config = inbox
    (inbound / "\x1b[2J+L1W3+t+x").mkdir()
    config.ListApp.inbound = True
    config.ExchangeList.inbound = True
    app = List(
        coursedir=CourseDirectory(config=config),
        authenticator=Authenticator(config=config),
        config=config,
        log=logging.getLogger("test_list"),
    )
    app.inbound = True
    app.init_dest()
    assert sorted(os.path.basename(p).split("+")[0] for p in app.assignments) == [ME, ME]
