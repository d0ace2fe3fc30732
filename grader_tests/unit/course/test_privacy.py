"""The course root's private paths: found exposed, hidden by a closed ancestor, made private."""

import os
import stat

import pytest

from grader import cli
from grader import messages as msg
from grader.course import privacy


@pytest.fixture(autouse=True)
def open_above(tmp_path, monkeypatch):
    """The folders above tmp_path open as a machine's / and /home are (pytest's basetemp is 0700).

    Within tmp_path the real modes decide.
    """
    real = privacy.searchable

    def searchable(folder):
        inside = folder == str(tmp_path) or folder.startswith(str(tmp_path) + os.sep)
        return real(folder) if inside else True

    monkeypatch.setattr(privacy, "searchable", searchable)


def course(tmp_path, mode_dir=0o755, mode_file=0o644):
    """A course under an open folder, with the private paths of a fresh clone made under umask 022."""
    top = tmp_path / "open"
    top.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(top, 0o755)
    root = top / "course"
    for name in ("source", "grading", "submitted", "autograded", "feedback", ".grader", "utils"):
        (root / name).mkdir(parents=True)
        os.chmod(root / name, mode_dir)
    for name in ("gradebook.db", "grades.csv", "nbgrader_config.py"):
        (root / name).write_text("x")
        os.chmod(root / name, mode_file)
    return str(root)


def test_a_fresh_clones_private_paths_are_exposed_and_the_public_ones_are_not(tmp_path):
    root = course(tmp_path)
    found = {os.path.basename(p) for p, _ in privacy.exposed(root)}
    assert found == {
        "source",
        "grading",
        "submitted",
        "autograded",
        "feedback",
        ".grader",
        "gradebook.db",
        "grades.csv",
    }


def test_a_closed_ancestor_hides_everything_below_it(tmp_path):
    root = course(tmp_path)
    os.chmod(os.path.dirname(root), 0o700)
    assert privacy.exposed(root) == []
    os.chmod(os.path.dirname(root), 0o744)  # readable but not searchable: still closed
    assert privacy.exposed(root) == []


def test_one_bit_for_others_exposes_a_path(tmp_path):
    root = course(tmp_path, mode_dir=0o700, mode_file=0o600)
    assert privacy.exposed(root) == []
    os.chmod(os.path.join(root, "grading"), 0o701)  # searchable: a known name can be opened
    os.chmod(os.path.join(root, "gradebook.db"), 0o620)  # writable by the group
    assert [(os.path.basename(p), m) for p, m in privacy.exposed(root)] == [
        ("grading", 0o701),
        ("gradebook.db", 0o620),
    ]


def test_secure_makes_folders_0700_and_files_0600_and_nothing_else(tmp_path):
    root = course(tmp_path)
    changed = privacy.secure(root)
    assert len(changed) == 8
    assert privacy.exposed(root) == []
    assert stat.S_IMODE(os.stat(os.path.join(root, "source")).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(root, "gradebook.db")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(root, "utils")).st_mode) == 0o755  # released material
    assert stat.S_IMODE(os.stat(os.path.join(root, "nbgrader_config.py")).st_mode) == 0o644
    assert privacy.secure(root) == []


def test_the_paths_a_command_is_given_count_too(tmp_path):
    root = course(tmp_path, mode_dir=0o700, mode_file=0o600)
    elsewhere = tmp_path / "open" / "subs"
    elsewhere.mkdir()
    db = tmp_path / "open" / "gb.sqlite"
    db.write_text("x")
    (tmp_path / "open" / "gb.sqlite-journal").write_text("x")
    found = [p for p, _ in privacy.exposed(root, submitted=str(elsewhere), gradebook=str(db))]
    assert found == [str(elsewhere), str(db), str(db) + "-journal"]


def test_the_refusal_names_every_path_and_the_fix(tmp_path):
    root = course(tmp_path)
    text = privacy.refusal(root)
    source = os.path.join(root, "source")
    assert (
        f"{source} (0755)" in text and "python -m grader secure" in text and f"chmod go-rwx {source}" in text
    )
    assert msg.COURSE_READABLE.split(" / ")[0].split("：")[0] in text
    privacy.secure(root)
    assert privacy.refusal(root) is None


def test_grade_refuses_and_secure_fixes_an_exposed_course(tmp_path, monkeypatch, capsys):
    root = course(tmp_path)
    monkeypatch.setattr(cli, "ROOT", root)
    db = f"sqlite:///{root}/gradebook.db"
    assert cli.main(["grade", "L1W3", "--db", db, "--submitted", f"{root}/submitted"]) == 2
    assert "python -m grader secure" in capsys.readouterr().err
    assert (
        cli.main(
            ["secure", "--db", db, "--submitted", f"{root}/submitted", "--autograded", f"{root}/autograded"]
        )
        == 0
    )
    assert msg.MADE_PRIVATE.format(path=os.path.join(root, "source")) in capsys.readouterr().out
    assert privacy.exposed(root) == []
