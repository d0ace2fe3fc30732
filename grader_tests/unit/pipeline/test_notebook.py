"""Reading and normalizing a submission (grader.pipeline.grade steps 1 and 2) and the output budget."""

import copy
import json

import nbformat
import pytest

from grader.pipeline import notebook
from grader.pipeline.notebook import OutputBudget, normalize, read_notebook
from grader_tests.helpers.fakes import grade_ids, master, release_notebook


def _write(tmp_path, data):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def _valid():
    return json.loads(nbformat.writes(release_notebook()))


def _with(change):
    nb = _valid()
    change(nb)
    return json.dumps(nb)


UNUSABLE = [
    ("empty", b"", "empty"),
    ("not JSON", "{ this is not json", "not valid JSON"),
    ("not UTF-8", b'{"cells": "\xff\xfe"}', "not UTF-8"),
    ("nested too deeply", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("a list", "[1, 2, 3]", "not a JSON object"),
    ("a string", '"notebook"', "not a JSON object"),
    ("nbformat 3", _with(lambda nb: nb.update(nbformat=3)), "nbformat 3"),
    ("no nbformat", _with(lambda nb: nb.pop("nbformat")), "nbformat None"),
    ("nbformat as text", _with(lambda nb: nb.update(nbformat="4")), "nbformat '4'"),
    ("no cells", _with(lambda nb: nb.pop("cells")), "no list of cells"),
    ("cells a dict", _with(lambda nb: nb.update(cells={})), "no list of cells"),
    ("a cell a number", _with(lambda nb: nb["cells"].append(7)), "invalid"),
    ("unknown cell type", _with(lambda nb: nb["cells"][0].update(cell_type="widget")), "malformed cell"),
    ("no cell type", _with(lambda nb: nb["cells"][1].pop("cell_type")), "malformed cell"),
    ("source a number", _with(lambda nb: nb["cells"][1].update(source=12)), "malformed cell"),
]


@pytest.mark.parametrize("label, data, reason", UNUSABLE, ids=[u[0] for u in UNUSABLE])
def test_read_notebook_rejects_unusable_files_with_a_bilingual_reason(tmp_path, label, data, reason):
    with pytest.raises(ValueError) as caught:
        read_notebook(_write(tmp_path, data))
    message = str(caught.value)
    assert reason in message
    chinese, _, english = message.partition(" / ")
    assert english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese), message


def test_read_notebook_accepts_a_valid_v4_notebook(tmp_path):
    nb = read_notebook(_write(tmp_path, json.dumps(_valid())))
    assert grade_ids(nb.cells) == ["intro", "imports", "add", "add_values", None]


def test_read_notebook_joins_sources_given_as_lists_of_lines(tmp_path):
    nb = read_notebook(_write(tmp_path, _with(lambda nb: nb["cells"][2].update(source=["x = 1\n", "y = 2"]))))
    assert nb.cells[2].source == "x = 1\ny = 2"


ODD_BUT_READABLE = [
    ("sources as lists", lambda nb: nb["cells"][2].update(source=["x = 1\n", "y = 2"])),
    (
        "outputs with lists",
        lambda nb: nb["cells"][2].update(
            outputs=[{"output_type": "stream", "name": "stdout", "text": ["a\n", "b"]}], execution_count=3
        ),
    ),
    (
        "transient display data",
        lambda nb: nb["cells"][2].update(
            outputs=[
                {
                    "output_type": "display_data",
                    "data": {"text/plain": ["x"]},
                    "metadata": {},
                    "transient": {"display_id": "d"},
                }
            ]
        ),
    ),
    ("duplicate cell ids", lambda nb: nb["cells"][1].update(id=nb["cells"][0]["id"])),
    ("schema-invalid metadata", lambda nb: nb["metadata"].update(kernelspec=7)),
    ("attachments", lambda nb: nb["cells"][0].update(attachments={"a.png": {"image/png": ["iVBO", "Rw=="]}})),
]


@pytest.mark.parametrize("label, change", ODD_BUT_READABLE, ids=[o[0] for o in ODD_BUT_READABLE])
def test_read_notebook_reads_what_nbformat_reads(tmp_path, label, change):
    """read_notebook skips nbformat.reads' second parse and its validation (which only logs, and
    renames duplicate cell ids: grading numbers every cell anew when it renders): what it returns
    is what reads would have returned, but for the cell ids."""
    data = _with(change)
    ours, theirs = read_notebook(_write(tmp_path, data)), nbformat.reads(data, as_version=4)
    for nb in (ours, theirs):
        for cell in nb.cells:
            cell.pop("id", None)
    assert ours == theirs


def _student(edit=None):
    nb = nbformat.reads(json.dumps(_valid()), as_version=4)  # as read_notebook gives it
    nb.cells[2].source = "def add(a, b):\n    return a + b"
    if edit:
        edit(nb.cells)
    return nb


def _by_id(cells, gid):
    return [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid]


def test_normalize_keeps_an_untouched_submission_as_it_is():
    cells, notes = normalize(_student(), master())
    assert notes == []
    assert grade_ids(cells) == ["intro", "imports", "add", "add_values", None]
    assert cells[2]["source"] == "def add(a, b):\n    return a + b"


@pytest.mark.parametrize("gid", ["intro", "imports", "add_values"])
def test_normalize_restores_an_edited_locked_cell(gid):
    def edit(cells):
        cell = _by_id(cells, gid)[0]
        cell.source = "import os; os.system('evil')"
        cell.metadata["nbgrader"]["points"] = 100

    cells, notes = normalize(_student(edit), master())
    restored = _by_id(cells, gid)[0]
    assert restored == master().cell(gid)
    assert any(gid in n and "restored" in n for n in notes)


def test_normalize_restores_a_retyped_locked_cell():
    def edit(cells):
        cells[1].cell_type = "markdown"
        cells[1].pop("outputs")
        cells[1].pop("execution_count")

    cells, notes = normalize(_student(edit), master())
    assert _by_id(cells, "imports")[0]["cell_type"] == "code"
    assert any("imports" in n for n in notes)


@pytest.mark.parametrize("gid", ["intro", "imports", "add_values"])
def test_normalize_puts_a_deleted_locked_cell_back_in_its_place(gid):
    def edit(cells):
        cells.remove(_by_id(cells, gid)[0])

    cells, notes = normalize(_student(edit), master())
    assert grade_ids(cells) == ["intro", "imports", "add", "add_values", None]
    assert any(f"deleted cell {gid}" in n for n in notes)


def test_normalize_puts_a_deleted_solution_cell_back_empty_handed():
    cells, notes = normalize(_student(lambda cells: cells.pop(2)), master())
    assert grade_ids(cells) == ["intro", "imports", "add", "add_values", None]
    assert "NotImplementedError" in _by_id(cells, "add")[0]["source"]
    assert any("deleted cell add" in n for n in notes)


def test_normalize_drops_duplicated_locked_cells():
    def edit(cells):
        test = copy.deepcopy(_by_id(cells, "add_values")[0])
        test.source = "pass  # a copy that would pass"
        cells.insert(0, copy.deepcopy(cells[1]))
        cells.append(test)

    cells, notes = normalize(_student(edit), master())
    assert grade_ids(cells).count("imports") == 1
    assert grade_ids(cells).count("add_values") == 1
    assert _by_id(cells, "add_values")[0] == master().cell("add_values")
    assert sum("duplicate locked cell" in n for n in notes) == 2


def test_normalize_counts_the_last_copy_of_a_duplicated_solution_cell():
    def edit(cells):
        last = copy.deepcopy(cells[2])
        last.source = "def add(a, b):\n    return b + a  # second thoughts"
        cells.append(last)

    cells, notes = normalize(_student(edit), master())
    solutions = _by_id(cells, "add")
    assert len(solutions) == 1
    assert solutions[0]["source"].endswith("# second thoughts")
    assert grade_ids(cells)[-1] == "add"  # where the last copy stood
    assert any("last copy counts" in n for n in notes)


def test_normalize_gives_a_solution_cell_the_release_metadata():
    def edit(cells):
        cells[2].metadata["nbgrader"].update(grade=True, points=50, solution=False, locked=True)

    cells, _ = normalize(_student(edit), master())
    assert _by_id(cells, "add")[0]["metadata"] == master().cell("add")["metadata"]


@pytest.mark.parametrize(
    "metadata, noted",
    [
        ({"nbgrader": {"grade_id": "bonus", "grade": True, "points": 99}}, True),
        ({"nbgrader": {"grade": True, "points": 99}}, False),
        ({"nbgrader": "garbage", "tags": ["mine"]}, False),
    ],
)
def test_normalize_strips_nbgrader_metadata_from_foreign_cells(metadata, noted):
    def edit(cells):
        cells.insert(3, nbformat.v4.new_code_cell("x = 1", metadata=metadata))

    cells, notes = normalize(_student(edit), master())
    own = [c for c in cells if c.get("source") == "x = 1"]
    assert len(own) == 1 and "nbgrader" not in own[0]["metadata"]
    assert own[0]["metadata"].get("tags", ["mine"]) == ["mine"]
    assert any("bonus" in n for n in notes) == noted


def test_normalize_does_not_change_the_submission_it_is_given():
    nb = _student(lambda cells: cells.append(nbformat.v4.new_code_cell("y", metadata={"nbgrader": {}})))
    before = copy.deepcopy(nb)
    normalize(nb, master())
    assert nb == before


def test_a_foreign_cell_keeps_nothing_of_the_submission_but_strings():
    # Its type, source and tags only, the tags in a list of its own: what grading does to the
    # cells it returns (outputs, metadata) never reaches the submission.
    output = nbformat.v4.new_output("stream", name="stdout", text="big\n")
    mine = nbformat.v4.new_code_cell("z = 2", metadata={"tags": ["mine"], "other": {"k": [1]}})
    mine.outputs, mine.execution_count = [output], 7
    nb = _student(lambda cells: cells.append(mine))
    before = copy.deepcopy(nb)
    cells, _ = normalize(nb, master())
    (own,) = [c for c in cells if c.get("source") == "z = 2"]
    assert own == {
        "cell_type": "code",
        "metadata": {"tags": ["mine"]},
        "source": "z = 2",
        "outputs": [],
        "execution_count": None,
    }
    own["metadata"]["tags"].append("changed")
    own["outputs"].append(output)
    assert nb == before


def _stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def _size(output):
    return len(json.dumps(output, ensure_ascii=False))


def test_output_budget_keeps_what_fits_then_one_note():
    first, second = _stream("a" * 50), _stream("b" * 50)
    budget = OutputBudget(_size(first) + _size(second) + 10)
    assert budget.keep([first]) == [first]
    assert budget.keep([second]) == [second]
    kept = budget.keep([_stream("c" * 50), _stream("d")])
    assert len(kept) == 1 and "over the notebook's output budget" in kept[0]["text"]
    assert budget.exceeded
    assert budget.keep([_stream("e")]) == []  # the note is given once


def test_output_budget_counts_characters_not_outputs():
    budget = OutputBudget(1000)
    kept = budget.keep([_stream("x" * 400), _stream("y" * 400), _stream("z" * 400)])
    assert [o.get("text", "")[:1] for o in kept] == ["x", "y", "["]
    assert sum(_size(o) for o in kept[:2]) <= 1000


@pytest.mark.parametrize("outputs", [None, "text", {"output_type": "stream"}, [1, "two", None]])
def test_output_budget_ignores_what_is_not_a_list_of_outputs(outputs):
    budget = OutputBudget(10_000)
    assert budget.keep(outputs) == []
    assert budget.left == 10_000


def test_the_autograded_notebook_is_written_as_nbformat_writes_it():
    nb = release_notebook()
    nb.metadata["orig_nbformat"] = 3  # transient: stripped by both
    code = nbformat.v4.new_code_cell("x = 1\nprint('中文 €')\n", execution_count=3)
    code.metadata["trusted"] = True
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\nb\n"),
        nbformat.v4.new_output(
            "display_data", data={"text/plain": "line 1\nline 2", "image/png": "iVBORw0KGgo=\n"}
        ),
    ]
    nb.cells.append(code)
    expected = nbformat.writes(nb) + "\n"
    assert notebook._writes(copy.deepcopy(nb)) == expected
