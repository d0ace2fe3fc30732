"""LMS downloads (Canvas and Moodle) are filed into submitted/ by nbgrader zip_collect."""
import os
import zipfile

import pytest

from grader import collect, submissions


@pytest.mark.parametrize("path, expected", [
    ("doejane_1234_5678_planar_classification.ipynb", ("doejane", "planar_classification.ipynb")),
    ("doejane_late_1234_5678_planar_classification-1.ipynb", ("doejane", "planar_classification.ipynb")),
    ("Jane Doe_4321_assignsubmission_file_/planar_classification.ipynb", ("4321", "planar_classification.ipynb")),
    ("Li Lei_77_assignsubmission_file_/planar_classification (2).ipynb", ("77", "planar_classification.ipynb")),
    ("notes.txt", None),
    ("planar_classification.ipynb", None),
])
def test_file_name_patterns(path, expected):
    info = collect.match(path)
    assert (info and (info["student_id"], info["file_id"])) == (expected or None)


def test_collect_a_mixed_download(tmp_path):
    nb_path = submissions.demo(str(tmp_path / "demo"))[0]
    with open(nb_path, "rb") as f:
        notebook = f.read()
    download = tmp_path / "downloads.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("doejane_1234_5678_planar_classification.ipynb", notebook)
        z.writestr("smithjo_late_99_100_planar_classification-1.ipynb", notebook)
        z.writestr("Li Lei_77_assignsubmission_file_/planar_classification.ipynb", notebook)
        z.writestr("README.txt", b"not a submission")
    submitted = tmp_path / "submitted"
    collect.collect(str(download), submitted=str(submitted), downloaded=str(tmp_path / "downloaded"))
    for student in ("doejane", "smithjo", "77"):
        filed = submitted / student / "L1W3" / "planar_classification.ipynb"
        assert filed.read_bytes() == notebook, student
    assert sorted(os.listdir(submitted)) == ["77", "doejane", "smithjo"]
