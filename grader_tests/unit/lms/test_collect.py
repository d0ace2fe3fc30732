"""LMS downloads are filed unambiguously and safely (issue 10 items 4, 10, 11, 12; issue 9 items 6-7).

Every download here is a real zip built in tmp_path; the zip bombs and the
lying headers are written by hand (``raw_zip``), since ``zipfile`` only
writes honest ones.
"""

import argparse
import datetime
import os
import resource
import shlex
import shutil
import stat
import struct
import subprocess
import types
import zipfile
import zlib

import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

from grader.__main__ import main as cli
from grader.lms import collect

NB = "planar_classification.ipynb"
# What collect needs of a grader.course.assignment.Assignment: its id and its notebook's file name.
L1W3 = types.SimpleNamespace(id="L1W3", notebook=NB)
WHEN = (2026, 11, 20, 8, 30, 16)  # even: zip times have 2-second steps
MB = 1024 * 1024


def notebook(tag):
    """A small notebook's bytes, different per ``tag`` so we can tell whose was filed."""
    return ('{"cells": [], "metadata": {"tag": "%s"}, "nbformat": 4, "nbformat_minor": 5}' % tag).encode()


def make_zip(path, members):
    """Write ``members`` ``[(name, data[, date_time[, mode]])]`` as a deflated zip."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, *rest in members:
            info = zipfile.ZipInfo(name, rest[0] if rest else WHEN)
            info.compress_type = zipfile.ZIP_DEFLATED
            if len(rest) > 1:
                info.external_attr = rest[1] << 16
            z.writestr(info, data)
    return str(path)


def zip_bytes(members):
    """A zip (as bytes) of ``members``, e.g. a student's own upload."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def zeros_deflated(mib):
    """Raw deflate chunks of ``mib`` MiB of zeros, produced without holding them in memory.

    Level 9; a full flush after each MiB resets the compressor, so every MiB
    compresses to the same bytes and is compressed once.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(bytes(MB)) + comp.flush(zlib.Z_FULL_FLUSH)
    for _ in range(mib):
        yield piece
    yield comp.flush()


def zeros_crc(mib):
    crc, block = 0, bytes(MB)
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    return crc


def raw_zip(path, name, chunks, crc, size, declared_size=None, before=()):
    """A zip written by hand: ``before`` honest stored members, then one deflated member of ``chunks``.

    ``declared_size`` (default: ``size``) is what both headers claim the
    member inflates to: a lying header when it differs from ``size``.
    """
    declared = size if declared_size is None else declared_size
    central, offset = [], 0
    dos_time = (WHEN[3] << 11) | (WHEN[4] << 5) | (WHEN[5] // 2)
    dos_date = ((WHEN[0] - 1980) << 9) | (WHEN[1] << 5) | WHEN[2]
    with open(path, "wb") as f:
        entries = [(n, 0, [d], zlib.crc32(d), len(d), len(d)) for n, d in before]
        entries.append((name, 8, chunks, crc, None, declared))
        for ename, method, data, ecrc, csize, usize in entries:
            encoded = ename.encode()
            start = offset
            f.write(
                struct.pack(
                    "<4s5H3L2H",
                    b"PK\x03\x04",
                    20,
                    0,
                    method,
                    dos_time,
                    dos_date,
                    ecrc,
                    0,
                    usize,
                    len(encoded),
                    0,
                )
                + encoded
            )
            size_at = f.tell() - len(encoded) - 12  # the local header's compressed-size field
            written = 0
            for piece in data:
                f.write(piece)
                written += len(piece)
            end = f.tell()
            f.seek(size_at)
            f.write(struct.pack("<L", written))
            f.seek(end)
            offset = end
            central.append(
                struct.pack(
                    "<4s6H3L5H2L",
                    b"PK\x01\x02",
                    20,
                    20,
                    0,
                    method,
                    dos_time,
                    dos_date,
                    ecrc,
                    written,
                    usize,
                    len(encoded),
                    0,
                    0,
                    0,
                    0,
                    0o100644 << 16,
                    start,
                )
                + encoded
            )
        cd_start = f.tell()
        for entry in central:
            f.write(entry)
        f.write(
            struct.pack(
                "<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), f.tell() - cd_start, cd_start, 0
            )
        )
    return str(path)


def tree(root):
    """Every path under ``root`` with its mode and (for files) content."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            data = open(path, "rb").read() if stat.S_ISREG(st.st_mode) else None
            out[os.path.relpath(path, root)] = (stat.S_IMODE(st.st_mode), data)
    return out


def filed(submitted, student):
    return open(os.path.join(submitted, student, "L1W3", NB), "rb").read()


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """An empty gradebook file, made once: nbgrader creates one with a slow alembic subprocess."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    Gradebook(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def course(tmp_path):
    """A course-like folder: the download beside submitted/, and a file that must never change."""
    (tmp_path / "L1W3").mkdir()
    (tmp_path / "L1W3" / "keep.txt").write_text("untouched")
    return tmp_path


# ---------------------------------------------------------------- LMS detection and ownership


def test_moodle_file_named_like_canvas_is_filed_under_its_participant(course):
    """Reviewer finding 4: participant 77's `4321_1_1_...` file is 77's, never student 4321's."""
    z = make_zip(
        course / "d.zip",
        [
            ("Li Lei_77_assignsubmission_file_/4321_1_1_planar_classification.ipynb", notebook("77")),
            ("Jane Doe_1234_assignsubmission_file_/planar_classification.ipynb", notebook("1234")),
        ],
    )
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"))
    assert report.lms == "moodle"
    assert sorted(os.listdir(course / "submitted")) == ["1234", "77"]
    assert filed(course / "submitted", "77") == notebook("77")
    assert report.problems == []


def test_naming_a_participant_who_submitted_does_not_abort_the_class(course):
    """Reviewer finding 4: a file named after participant 1234 neither aborts nor overwrites 1234."""
    z = make_zip(
        course / "d.zip",
        [
            ("Jane Doe_1234_assignsubmission_file_/planar_classification.ipynb", notebook("1234")),
            ("Li Lei_77_assignsubmission_file_/1234_1_1_planar_classification.ipynb", notebook("77")),
            ("Wang Fang_88_assignsubmission_file_/planar_classification.ipynb", notebook("88")),
        ],
    )
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"))
    assert {s: filed(course / "submitted", s) for s in report.filed} == {
        "1234": notebook("1234"),
        "77": notebook("77"),
        "88": notebook("88"),
    }


def test_two_notebooks_cost_only_that_student(course):
    z = make_zip(
        course / "d.zip",
        [
            ("Jane Doe_1234_assignsubmission_file_/planar_classification.ipynb", notebook("a")),
            ("Jane Doe_1234_assignsubmission_file_/planar_classification (2).ipynb", notebook("b")),
            ("Li Lei_77_assignsubmission_file_/planar_classification.ipynb", notebook("77")),
        ],
    )
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"))
    assert sorted(report.filed) == ["77"]
    assert os.listdir(course / "submitted") == ["77"]
    [problem] = report.unfiled
    assert (
        problem.student == "1234"
        and "2 notebooks" in problem.reason
        and "planar_classification (2)" in str(problem)
    )


def test_two_accounts_with_one_login_are_not_guessed(course):
    z = make_zip(
        course / "d.zip",
        [
            ("doejane_11_1_planar_classification.ipynb", notebook("a")),
            ("doejane_22_2_planar_classification.ipynb", notebook("b")),
            ("smithjo_33_3_planar_classification.ipynb", notebook("c")),
        ],
    )
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"))
    assert sorted(report.filed) == ["smithjo"]
    assert [p.student for p in report.unfiled] == ["doejane"] and "accounts" in report.unfiled[0].reason


def test_mixed_canvas_and_moodle_requires_lms(course):
    members = [
        ("doejane_1234_5678_planar_classification.ipynb", notebook("c")),
        ("Li Lei_77_assignsubmission_file_/planar_classification.ipynb", notebook("m")),
    ]
    z = make_zip(course / "d.zip", members)
    with pytest.raises(collect.CollectError, match="--lms"):
        collect.collect(z, L1W3, submitted=str(course / "submitted"))
    assert not (course / "submitted").exists()
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"), lms="canvas")
    assert sorted(report.filed) == ["doejane"]
    [problem] = report.unfiled
    assert problem.member == members[1][0] and "canvas" in problem.reason


@pytest.mark.parametrize(
    "name", ["README.txt", "planar_classification.ipynb", "sub/doejane_1_2_planar_classification.ipynb"]
)
def test_a_file_no_rule_matches_is_reported_never_guessed(course, name):
    z = make_zip(
        course / "d.zip", [("smithjo_33_3_planar_classification.ipynb", notebook("s")), (name, notebook("x"))]
    )
    with pytest.raises(collect.CollectError, match="--lms"):  # not every file is Canvas's
        collect.collect(z, L1W3, submitted=str(course / "submitted"))
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"), lms="canvas")
    assert sorted(os.listdir(course / "submitted")) == ["smithjo"]
    assert [p.member for p in report.unfiled] == [name]


# ---------------------------------------------------------------- nested archives, paths, modes

NESTED = [
    ("victim_1_2_planar_classification.ipynb", b"{}"),
    (".hidden_1_2_planar_classification.ipynb", b"{}"),
    ("suid_1_2_planar_classification.ipynb", b"{}"),
    ("../L1W3/planar_classification.ipynb", b"{}"),
    (".._1_2_planar_classification.ipynb", b"{}"),
]


@pytest.mark.parametrize(
    "members, filed_ids, unfiled",
    [
        # Reviewer finding 10: a student's own zip is not unpacked; nothing in it names anyone.
        (
            [
                ("doejane_1_2_upload.zip", zip_bytes(NESTED)),
                ("smithjo_3_4_planar_classification.ipynb", notebook("s")),
            ],
            ["smithjo"],
            ["doejane_1_2_upload.zip", "doejane"],
        ),
        # The same names at the download's root: bad ids refused, the mode not kept.
        (
            [
                (".hidden_1_2_planar_classification.ipynb", notebook("h")),
                (".._1_2_planar_classification.ipynb", notebook("dd")),
                ("suid_1_2_planar_classification.ipynb", notebook("suid"), WHEN, 0o106777),
                ("-rf_1_2_planar_classification.ipynb", notebook("rf")),
                ("smithjo_3_4_planar_classification.ipynb", notebook("s")),
            ],
            ["smithjo", "suid"],
            [
                ".hidden_1_2_planar_classification.ipynb",
                ".._1_2_planar_classification.ipynb",
                "-rf_1_2_planar_classification.ipynb",
            ],
        ),
        # A symbolic link named like a notebook is not a notebook.
        (
            [
                ("doejane_1_2_planar_classification.ipynb", b"/etc/passwd", WHEN, 0o120777),
                ("smithjo_3_4_planar_classification.ipynb", notebook("s")),
            ],
            ["smithjo"],
            ["doejane_1_2_planar_classification.ipynb", "doejane"],
        ),
        # Issue 17's neighbours: a link to the course's own hidden cases or source notebook (by a
        # relative path, any mode bits), a re-uploaded name, a late one: none is followed or filed.
        (
            [
                ("doejane_1_2_planar_classification.ipynb", b"../../grading/L1W3/spec.py", WHEN, 0o120644),
                (
                    "roe_late_5_6_planar_classification-1.ipynb",
                    b"/proc/self/cwd/source/L1W3/x.ipynb",
                    WHEN,
                    0o120000,
                ),
                ("smithjo_3_4_planar_classification.ipynb", notebook("s")),
            ],
            ["smithjo"],
            [
                "doejane_1_2_planar_classification.ipynb",
                "doejane",
                "roe_late_5_6_planar_classification-1.ipynb",
                "roe",
            ],
        ),
    ],
)
def test_nothing_escapes_submitted_and_nested_archives_stay_packed(course, members, filed_ids, unfiled):
    z = make_zip(course / "d.zip", members)
    before = tree(course)
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"), lms="canvas")
    after = tree(course)
    outside = {k: v for k, v in after.items() if not k.startswith("submitted")}
    assert outside == before, "something outside submitted/ changed"
    assert sorted(os.listdir(course / "submitted")) == filed_ids
    assert sorted(report.filed) == filed_ids
    for path, (mode, data) in after.items():
        if path.startswith("submitted" + os.sep):
            assert mode == (0o644 if data is not None else 0o755), path
            assert not os.path.islink(course / path)
    assert sorted(p.member or p.student for p in report.unfiled) == sorted(unfiled)


def test_archive_upload_is_reported_as_not_a_notebook(course):
    z = make_zip(
        course / "d.zip",
        [
            ("doejane_1_2_upload.zip", zip_bytes(NESTED)),
            ("doejane_1_2_planar_classification.ipynb", notebook("d")),
        ],
    )
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"))
    assert list(report.filed) == ["doejane"]
    [extra] = report.problems
    assert "not a notebook" in extra.reason and "not unpacked" in extra.reason and extra.filed
    assert report.unfiled == []


# ---------------------------------------------------------------- hostile ids


@pytest.mark.parametrize(
    "member",
    [
        "\x1b[31mred\x1b[0m_1_2_planar_classification.ipynb",
        "\x9b2J_1_2_planar_classification.ipynb",
        '=HYPERLINK("http:x","y")_1_2_planar_classification.ipynb',
        "=HYPERLINK(1)_1_2_planar_classification.ipynb",
        "+cmd_1_2_planar_classification.ipynb",
        "@SUM(1)_1_2_planar_classification.ipynb",
    ],
)
def test_hostile_ids_are_refused_and_shown_escaped(course, member, capsys):
    z = make_zip(
        course / "d.zip",
        [(member, notebook("x")), ("smithjo_3_4_planar_classification.ipynb", notebook("s"))],
    )
    assert (
        cli(
            [
                "collect",
                z,
                "--assignment",
                "L1W3",
                "--lms",
                "canvas",
                "--submitted",
                str(course / "submitted"),
                "--db",
                f"sqlite:///{course}/gb.db",
            ]
        )
        == 1
    )
    assert os.listdir(course / "submitted") == ["smithjo"]
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x9b" not in err
    assert "student id" in err and "学生编号" in err
    if "\x1b" in member:
        assert "\\x1b[31mred" in err


def test_cli_exits_zero_when_every_student_is_filed(course, capsys):
    z = make_zip(course / "d.zip", [("smithjo_3_4_planar_classification.ipynb", notebook("s"))])
    assert (
        cli(
            [
                "collect",
                z,
                "--assignment",
                "L1W3",
                "--submitted",
                str(course / "submitted"),
                "--db",
                f"sqlite:///{course}/gb.db",
            ]
        )
        == 0
    )
    assert "filed 1 student(s)" in capsys.readouterr().out


# ---------------------------------------------------------------- timestamps, names, re-collect


@pytest.mark.parametrize(
    "timezone, expected",
    [
        (None, "2026-11-20 08:30:16.000000 UTC"),
        ("Asia/Shanghai", "2026-11-20 00:30:16.000000 UTC"),
    ],
)
def test_both_layouts_file_the_right_student_with_time_and_name(course, empty_gradebook, timezone, expected):
    shutil.copy(empty_gradebook, course / "gb.db")
    db = f"sqlite:///{course}/gb.db"
    canvas = make_zip(
        course / "c.zip", [("doejane_late_1234_5678_planar_classification-1.ipynb", notebook("c"), WHEN)]
    )
    moodle = make_zip(
        course / "m.zip",
        [
            ("Jane van Doe_4321_assignsubmission_file_/planar_classification.ipynb", notebook("m")),
            (
                "Li Lei_77_assignsubmission_file_/planar_classification.ipynb",
                notebook("77"),
                (2026, 11, 21, 0, 0, 0),
            ),
            ("Li Lei_77_assignsubmission_onlinetext_/onlinetext.html", b"<p>hi</p>"),
        ],
    )
    sub = course / "submitted"
    r1 = collect.collect(canvas, L1W3, submitted=str(sub), timezone=timezone, db_url=db)
    r2 = collect.collect(moodle, L1W3, submitted=str(sub), timezone=timezone, db_url=db)
    assert (r1.lms, r2.lms) == ("canvas", "moodle")
    assert filed(sub, "doejane") == notebook("c") and filed(sub, "4321") == notebook("m")
    stamp = (sub / "doejane" / "L1W3" / "timestamp.txt").read_text()
    assert stamp == expected
    assert (sub / "4321" / "L1W3" / "timestamp.txt").read_text() == expected
    # nbgrader reads it back as the same moment (naive UTC).
    assert parse_utc(stamp) == datetime.datetime(*WHEN) - (
        datetime.timedelta(hours=8) if timezone else datetime.timedelta(0)
    )
    assert r2.names == {"4321": ("Jane van", "Doe"), "77": ("Li", "Lei")}
    assert [p.member for p in r2.problems] == ["Li Lei_77_assignsubmission_onlinetext_/onlinetext.html"]
    assert r2.unfiled == []
    with Gradebook(db) as gb:
        names = {s.id: (s.first_name, s.last_name) for s in gb.students}
    assert names == {"4321": ("Jane van", "Doe"), "77": ("Li", "Lei")}


def test_names_with_control_characters_are_not_recorded(course):
    z = make_zip(
        course / "d.zip",
        [("Evil\x1b[2J Name_77_assignsubmission_file_/planar_classification.ipynb", notebook("77"))],
    )
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"))
    assert list(report.filed) == ["77"] and report.names == {}
    [problem] = report.problems
    assert problem.filed and "name not recorded" in str(problem) and "\x1b" not in str(problem)


def test_modes_and_links_do_not_depend_on_what_was_there(course):
    """Files 0644 and folders 0755 under any umask; a planted link in submitted/ is not followed."""
    outside = course / "elsewhere"
    outside.mkdir()
    (course / "submitted").mkdir()
    os.symlink(outside, course / "submitted" / "smithjo")
    z = make_zip(
        course / "d.zip", [("smithjo_3_4_planar_classification.ipynb", notebook("s"), WHEN, 0o107777)]
    )
    old = os.umask(0o077)
    try:
        collect.collect(z, L1W3, submitted=str(course / "submitted"))
    finally:
        os.umask(old)
    assert os.listdir(outside) == []
    folder = course / "submitted" / "smithjo"
    assert not folder.is_symlink()
    assert [stat.S_IMODE(os.stat(p).st_mode) for p in (folder, folder / "L1W3", folder / "L1W3" / NB)] == [
        0o755,
        0o755,
        0o644,
    ]


def test_recollect_replaces_a_students_folder_exactly(course):
    sub = course / "submitted"
    old = sub / "77" / "L1W3"
    old.mkdir(parents=True)
    (old / "old_notes.txt").write_text("from an earlier download")
    (old / "timestamp.txt").write_text("2020-01-01 00:00:00.000000 UTC")
    absent = sub / "99" / "L1W3"
    absent.mkdir(parents=True)
    (absent / NB).write_bytes(notebook("99"))
    gone = sub / "1234" / "L1W3"
    gone.mkdir(parents=True)
    (gone / NB).write_bytes(notebook("old 1234"))
    z = make_zip(
        course / "d.zip",
        [
            ("Li Lei_77_assignsubmission_file_/planar_classification.ipynb", notebook("77")),
            ("Jane Doe_1234_assignsubmission_file_/a.ipynb", notebook("a")),
            ("Jane Doe_1234_assignsubmission_file_/b.ipynb", notebook("b")),
        ],
    )
    collect.collect(z, L1W3, submitted=str(sub))
    assert sorted(os.listdir(old)) == [NB, "timestamp.txt"]
    assert (old / "timestamp.txt").read_text() == "2026-11-20 08:30:16.000000 UTC"
    assert filed(sub, "99") == notebook("99")  # not in this download: left as it was
    assert not gone.exists()  # in it, but not filed: not graded on an old file


# ---------------------------------------------------------------- limits, bombs, lying headers


def test_too_many_members_refuse_the_download(course):
    z = make_zip(
        course / "d.zip", [(f"s{i}_1_2_planar_classification.ipynb", notebook(i)) for i in range(11)]
    )
    with pytest.raises(collect.CollectError, match="11 entries"):
        collect.collect(
            z, L1W3, submitted=str(course / "submitted"), limits=collect.ArchiveLimits(members=10)
        )
    assert not (course / "submitted").exists()
    assert (
        len(
            collect.collect(
                z, L1W3, submitted=str(course / "submitted"), limits=collect.ArchiveLimits(members=11)
            ).filed
        )
        == 11
    )


def test_too_large_in_total_refuses_the_download(course):
    z = make_zip(course / "d.zip", [(f"s{i}_1_2_planar_classification.ipynb", bytes(1000)) for i in range(3)])
    with pytest.raises(collect.CollectError, match="3000 bytes"):
        collect.collect(
            z, L1W3, submitted=str(course / "submitted"), limits=collect.ArchiveLimits(total_bytes=2999)
        )
    assert not (course / "submitted").exists()


def test_one_member_too_large_costs_only_that_student(course):
    z = make_zip(
        course / "d.zip",
        [
            ("big_1_2_planar_classification.ipynb", os.urandom(4000)),
            ("small_1_2_planar_classification.ipynb", notebook("s")),
        ],
    )
    report = collect.collect(
        z, L1W3, submitted=str(course / "submitted"), limits=collect.ArchiveLimits(member_bytes=3999)
    )
    assert list(report.filed) == ["small"]
    assert report.unfiled[0].student == "big" and "per file" in report.unfiled[0].reason


BOMB_MIB = 2048  # 2 GiB of zeros: about 2 MB compressed


@pytest.fixture(scope="module")
def bomb_parts():
    return zeros_crc(BOMB_MIB)


@pytest.mark.parametrize(
    "declared, why",
    [
        (BOMB_MIB * MB, "per file"),  # honest header: refused before inflating
        (1000, "header lies"),  # claims 1000 bytes
        (40 * MB, "zip bomb"),  # claims a plausible 40 MB (19:1): caught by the ratio while inflating
    ],
)
def test_zip_bomb_is_stopped_in_bounded_memory(course, bomb_parts, declared, why):
    """Reviewer finding 11: a 2 MB member inflating to 2 GiB; also with headers that lie about it."""
    z = raw_zip(
        course / "d.zip",
        "bomb_1_2_planar_classification.ipynb",
        zeros_deflated(BOMB_MIB),
        bomb_parts,
        BOMB_MIB * MB,
        declared_size=declared,
        before=[("smithjo_3_4_planar_classification.ipynb", notebook("s"))],
    )
    assert os.path.getsize(z) < 3 * MB
    with zipfile.ZipFile(z) as check:  # the archive is what it says, apart from the size field
        assert check.getinfo("bomb_1_2_planar_classification.ipynb").file_size == declared
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak - before < 64 * MB, f"collect grew the process by {(peak - before) // MB} MB"
    assert list(report.filed) == ["smithjo"]
    [problem] = report.unfiled
    assert problem.student == "bomb" and why in problem.reason
    written = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(course) for f in fs)
    assert written < 8 * MB


def test_the_bomb_inflates_as_built():
    """The bomb builder is honest: its stream inflates to the stated zeros with the stated CRC."""
    stream = b"".join(zeros_deflated(3))
    data = zlib.decompress(stream, -15)
    assert data == bytes(3 * MB) and zlib.crc32(data) == zeros_crc(3)


def test_a_header_understating_an_honest_notebook_is_refused(course):
    data = notebook("x" * 5000)
    z = raw_zip(
        course / "d.zip",
        "liar_1_2_planar_classification.ipynb",
        [zlib.compress(data, 9)[2:-4]],
        zlib.crc32(data),
        len(data),
        declared_size=100,
    )
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"))
    assert report.filed == {} and "header lies" in report.unfiled[0].reason


def test_not_a_zip(course):
    (course / "d.zip").write_bytes(b"not a zip")
    with pytest.raises(collect.CollectError, match="zip"):
        collect.collect(str(course / "d.zip"), L1W3, submitted=str(course / "submitted"))


def test_a_login_claimed_by_a_second_account_keeps_the_earlier_submission(tmp_path):
    """A student renaming himself after a classmate (same Canvas login, another account) must not
    erase the classmate's collected work; the id is reported, nothing new is filed for it."""
    from grader_tests.helpers import hostile_cases_red as red

    assert red.canvas_login_collision(str(tmp_path))


def _make_collect(root, *assignments, tz=None):
    """The ``grader collect`` command line ``make collect`` runs, as argv (``make -n``: nothing runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    if tz is not None:
        env["TZ"] = tz
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", "collect", "ZIP=downloads.zip", *assignments],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    line = next(ln for ln in out.replace("\\\n", " ").splitlines() if " -m grader collect " in ln)
    return shlex.split(line)[3:]


def test_make_collect_passes_timezone_on(root):
    argv = _make_collect(root, "TIMEZONE=Asia/Shanghai", "LMS=moodle")
    assert argv[argv.index("--timezone") + 1] == "Asia/Shanghai"
    parser = argparse.ArgumentParser()
    collect.add_arguments(parser)
    args, _ = parser.parse_known_args(argv[1:])
    assert (args.zip, args.lms, args.timezone) == ("downloads.zip", "moodle", "Asia/Shanghai")


def test_make_collect_reads_utc_unless_told_even_with_a_shell_tz(root):
    """The shell's own TZ is the instructor's zone, not the LMS's: make does not pass it on."""
    assert "--timezone" not in _make_collect(root, tz="Europe/Berlin")


def formgrader_name(first, last):
    """A student's name as formgrader's Manage Students and Submissions pages print it."""
    return f"{'None' if last is None else last}, {'None' if first is None else first}"


def test_a_moodle_name_of_one_word_is_stored_without_none(course, empty_gradebook):
    """Moodle's folder holds the full name in one field; '张伟' is no '张伟, None' in formgrader."""
    shutil.copy(empty_gradebook, course / "gb.db")
    db = f"sqlite:///{course}/gb.db"
    z = make_zip(
        course / "m.zip",
        [
            ("张伟_88_assignsubmission_file_/planar_classification.ipynb", notebook("88")),
            ("Jane van Doe_4321_assignsubmission_file_/planar_classification.ipynb", notebook("m")),
        ],
    )
    report = collect.collect(z, L1W3, submitted=str(course / "submitted"), db_url=db)
    assert report.names == {"88": ("", "张伟"), "4321": ("Jane van", "Doe")}
    with Gradebook(db) as gb:
        shown = {s.id: formgrader_name(s.first_name, s.last_name) for s in gb.students}
    assert shown == {"88": "张伟, ", "4321": "Doe, Jane van"}
