"""The message catalogue (grader/messages.py): its convention holds, and it is the only place of the texts.

Each checker is run on the real catalogue and sources, and on a few
made-up bad texts, so that a check that could never fail would be noticed.
"""

import pathlib
import re

import pytest

from grader import messages
from grader.pipeline import judge

GRADER = pathlib.Path(messages.__file__).resolve().parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# Chinese first, English second; after a closing full-width parenthesis the space is its own.
SEPARATOR = re.compile(r" / |(?<=）)/ ")
# Modules allowed to hold Chinese text, and the one text each may hold (see messages.py).
EXCEPTIONS = {"messages.py": None, "kernel_child.py": messages.CELL_TIMED_OUT}


def halves(text):
    """``(chinese, english)`` of a catalogue text, or raise ``AssertionError`` naming the problem."""
    parts = SEPARATOR.split(text)
    assert len(parts) == 2, f"not one ' / ' between Chinese and English: {text!r}"
    chinese, english = parts
    assert CJK.search(chinese), f"the first half is not Chinese: {text!r}"
    assert not CJK.search(english), f"the second half is not English: {text!r}"
    assert re.search(r"[A-Za-z]{2}", english), f"the second half is not English: {text!r}"
    return chinese, english


def check_fields(text):
    """Raise ``AssertionError`` unless the Chinese half's fields are all in the English half, and it formats."""
    chinese, english = halves(text)
    missing = messages.fields(chinese) - messages.fields(english)
    assert not missing, f"fields {sorted(missing)} only in the Chinese half: {text!r}"
    text.format(**dict.fromkeys(messages.fields(text), 1))  # a malformed field raises here


def chinese_outside_catalogue(path):
    """The lines of ``path`` with Chinese text that is not an allowed copy of a catalogue text."""
    source = path.read_text(encoding="utf-8")
    allowed = EXCEPTIONS.get(path.name)
    if allowed is not None:
        assert source.count(f'"{allowed}"') == 1, f"{path.name} no longer holds {allowed!r}"
        source = source.replace(f'"{allowed}"', '""')
    return [line for line in source.splitlines() if CJK.search(line)]


CATALOGUE = messages.catalogue()
TEXTS = {name: value for name, value in CATALOGUE.items() if isinstance(value, str)}


def test_catalogue_is_not_empty():
    assert len(TEXTS) > 100
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in CATALOGUE)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_message_is_chinese_then_english(name):
    halves(TEXTS[name])


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_fields_agree_between_the_halves(name):
    check_fields(TEXTS[name])


def test_pairs_are_chinese_and_english():
    pairs = [v for v in CATALOGUE.values() if isinstance(v, messages.Pair)]
    assert pairs
    for pair in pairs:
        assert CJK.search(pair.zh) and not CJK.search(pair.en) and re.search(r"[A-Za-z]{2}", pair.en)
        assert not messages.fields(pair.zh) and not messages.fields(pair.en)


@pytest.mark.parametrize(
    "bad",
    [
        "English only",
        "只有中文",
        "English first / 中文在后",
        "中文 / English / 又一个",
        "中文/English",
    ],
)
def test_a_text_that_is_not_chinese_then_english_is_caught(bad):
    with pytest.raises(AssertionError):
        halves(bad)


@pytest.mark.parametrize(
    "bad",
    [
        "笔记本有 {cells} 个单元格 / the notebook has too many cells",
        "笔记本有 {cells} 个 / the notebook has {cell} cells",
        "笔记本有 {cells 个 / the notebook has {cells} cells",
    ],
)
def test_fields_that_disagree_are_caught(bad):
    with pytest.raises((AssertionError, ValueError)):
        check_fields(bad)


def test_fields_only_in_the_english_half_are_allowed():
    # A trailing detail (an exception's name) is given in English only, as in NOTEBOOK_INVALID.
    check_fields("笔记本结构无效 / the notebook's structure is invalid ({error})")
    assert messages.fields(messages.NOTEBOOK_UNSUPPORTED_FORMAT) == {"major"}
    assert messages.fields(messages.HIDDEN_TESTS_FAILED) == {"failed", "total"}


def test_the_result_texts_cover_every_kind_of_wrong_result():
    assert set(messages.RESULT_TEXT) == set(judge.RESULT_KINDS)
    assert all(
        text in TEXTS.values() and messages.fields(text) == {"v"} for text in messages.RESULT_TEXT.values()
    )
    assert judge.RESULT_TEXT is messages.RESULT_TEXT


def test_no_module_of_grader_holds_chinese_text_outside_the_catalogue():
    modules = sorted(GRADER.rglob("*.py"))
    assert len(modules) > 20 and GRADER / "pipeline" / "grade.py" in modules
    found = {
        path.name: lines
        for path in modules
        if path.name != "messages.py"
        for lines in [chinese_outside_catalogue(path)]
        if lines
    }
    assert not found, f"Chinese text outside grader/messages.py: {found}"
    assert chinese_outside_catalogue(GRADER / "messages.py")  # the catalogue itself is Chinese


def test_a_stray_chinese_text_is_caught(tmp_path):
    stray = tmp_path / "grade.py"
    stray.write_text('raise ValueError("笔记本文件为空 / the notebook file is empty")\n', encoding="utf-8")
    assert chinese_outside_catalogue(stray)
    copy = tmp_path / "kernel_child.py"
    copy.write_text(f'raise X("{messages.CELL_TIMED_OUT}")\nprint("另一个 / another")\n', encoding="utf-8")
    assert chinese_outside_catalogue(copy) == ['print("另一个 / another")']
    copy.write_text('raise X("单元格超时 / cell timed out")\n', encoding="utf-8")
    with pytest.raises(AssertionError):  # the sandbox's copy drifted from the catalogue
        chinese_outside_catalogue(copy)


def test_messages_render_as_the_modules_show_them():
    assert (
        messages.NOTEBOOK_TOO_MANY_CELLS.format(cells=120, limit=100)
        == "笔记本有 120 个单元格，超过上限 100 / the notebook has 120 cells, over the limit of 100"
    )
    assert (
        messages.ID_BAD_CHARACTERS.format(bad="é", shown="aé")
        == "学生编号只能含英文字母、数字、_、. 和 -，不能含“é” / the student id may contain only ASCII "
        "letters, digits, _, . and -, not 'é': aé"
    )


@pytest.mark.parametrize("name", sorted(n for n, v in messages.catalogue().items() if isinstance(v, str)))
def test_two_lines_puts_each_language_on_a_line_of_its_own(name):
    template = messages.catalogue()[name]
    assert messages.halves(template) == halves(template)
    names = messages.fields(template)
    shown = messages.two_lines(template, **dict.fromkeys(names, 1)).splitlines()
    assert len(shown) == 2 and CJK.search(shown[0]) and not CJK.search(shown[1])
