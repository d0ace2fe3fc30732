"""One vocabulary in L1W3: the glossary's terms, and no other form, in the notebook and the texts students read.

The notebook's glossary cell (``## 术语表 / Glossary``) names each term in English and
Chinese and, in its notes, the forms it does not use.  Every other cell of the source
notebook and of the release, L1W3's helpers (``checks.py``'s hints among them) and the
grader's messages must use none of those forms; "epoch" (轮) is the one count of
training steps (``num_epochs``), so "iteration" and 迭代 appear only in the glossary.
The section numbers run in order (no "4.7" inside section 5).
"""

import os
import re

import nbformat
import pytest

NOTEBOOKS = ["source/L1W3/planar_classification.ipynb", "notebooks/L1W3/planar_classification.ipynb"]
TEXTS = [
    "utils/L1W3/checks.py",
    "utils/L1W3/planar_utils.py",
    "utils/L1W3/testCases.py",
    "grader/messages.py",
    # The feedback page's section on the student's model (read by the student, as the notebook is).
    "grading/L1W3/feedback_extra.py",
]
GLOSSARY = "## 术语表 / Glossary"
# A form the material does not use -> the glossary's term for it.
NOT_USED = {
    "偏差": "偏置",
    "正向传播": "前向传播",
    "后向传播": "反向传播",
    "向后传播": "反向传播",
    "迭代": "轮",
    "iteration": "epoch",
}


def _cells(root, path):
    return nbformat.read(os.path.join(root, path), as_version=4).cells


def _glossary(cells):
    found = [c for c in cells if c.cell_type == "markdown" and c.source.startswith(GLOSSARY)]
    assert len(found) == 1, "the notebook has one glossary cell"
    rows = [line.split("|")[1:-1] for line in found[0].source.splitlines() if line.startswith("| ")]
    return found[0], {english.strip(): (chinese.strip(), note.strip()) for english, chinese, note in rows[1:]}


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_the_glossary_names_each_term_and_the_forms_it_does_not_use(root, path):
    cell, terms = _glossary(_cells(root, path))
    assert terms["bias ($b$)"][0] == "偏置"
    assert terms["forward propagation"][0] == "前向传播"
    assert terms["backward propagation"][0] == "反向传播"
    assert terms["epoch"][0] == "轮"
    for form, term in NOT_USED.items():
        assert form in cell.source and term in cell.source, form


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_every_other_cell_uses_only_the_glossarys_forms(root, path):
    cells = _cells(root, path)
    glossary, _ = _glossary(cells)
    found = [
        (i, form)
        for i, cell in enumerate(cells)
        if cell is not glossary
        for form in NOT_USED
        if form.lower() in cell.source.lower()
    ]
    assert found == [], f"cells using a form the glossary does not use: {found}"


@pytest.mark.parametrize("path", TEXTS)
def test_the_texts_students_read_use_only_the_glossarys_forms(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        text = f.read().lower()
    assert [form for form in NOT_USED if form.lower() in text] == []


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_section_numbers_run_in_order(root, path):
    """Every numbered heading ``## n - `` or ``### n.k - `` follows the one before it."""
    numbers = [
        tuple(int(part) for part in match.group(1).split("."))
        for cell in _cells(root, path)
        if cell.cell_type == "markdown"
        for match in re.finditer(r"^#{2,3} (\d+(?:\.\d+)?) - ", cell.source, flags=re.MULTILINE)
    ]
    assert numbers[0] == (1,)
    for before, after in zip(numbers, numbers[1:]):
        expected = {(before[0] + 1,), before[:1] + ((before[1] if len(before) > 1 else 0) + 1,)}
        assert after in expected, f"section {'.'.join(map(str, after))} after {'.'.join(map(str, before))}"
