"""render writes cells it wrote before from a cache (grader.pipeline.notebook._cell_key): the text stays nbformat's."""

import copy

import nbformat
import pytest

from grader.course import submissions
from grader.pipeline import notebook
from grader.pipeline.grade import prepared_master


@pytest.fixture(scope="module")
def master(l1w3):
    return prepared_master(l1w3)


def _cells(l1w3, master, extra_first=False):
    nb = submissions.fill(l1w3)
    if extra_first:  # every later cell one position further
        nb.cells.insert(0, nbformat.v4.new_markdown_cell("我的笔记 / my notes <b>x</b>"))
    cells, _ = notebook.normalize(nb, master)
    for i, cell in enumerate(cells):
        if cell.get("cell_type") == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": f"out {i}\n第二行\n"}]
            cell["execution_count"] = i
    return cells


def _as_nbformat_writes_it(text):
    """As nbformat writes the notebook ``text`` holds to a file (``nbformat.write`` ends it with a newline)."""
    return nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"


@pytest.mark.parametrize("extra_first", [False, True], ids=["as-released", "cells-moved"])
def test_a_notebook_rendered_from_the_cache_is_the_one_rendered_without(l1w3, master, extra_first):
    master.fragments.clear()
    cells = _cells(l1w3, master, extra_first)
    uncached = notebook._writes(_plain(cells, master))
    first = notebook.render(copy.deepcopy(cells), {}, master)
    assert len(master.fragments) == len(cells)  # each at its position
    second = notebook.render(copy.deepcopy(cells), {}, master)  # from the cache
    assert first == second == uncached == _as_nbformat_writes_it(first)


def test_a_cell_unlike_the_one_seen_at_its_position_is_written_afresh(l1w3, master):
    master.fragments.clear()
    cells = _cells(l1w3, master)
    notebook.render(copy.deepcopy(cells), {}, master)
    locked = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    changed = copy.deepcopy(cells)
    changed[locked]["source"] = "改过的说明 / changed instructions"
    text = notebook.render(changed, {}, master)
    assert nbformat.reads(text, as_version=4).cells[locked].source == "改过的说明 / changed instructions"
    assert text == notebook._writes(_plain(changed, master)) == _as_nbformat_writes_it(text)


def test_the_cache_starts_afresh_past_its_bound(l1w3, master, monkeypatch):
    monkeypatch.setattr(notebook, "FRAGMENTS_PER_CELL", 0)
    master.fragments.clear()
    cells = _cells(l1w3, master)
    text = notebook.render(copy.deepcopy(cells), {}, master)
    assert master.fragments == {}  # nothing kept past a bound of none
    assert text == _as_nbformat_writes_it(text)


def _plain(cells, master, verdicts=None):
    """What render built before it kept any cell's text: every cell made and written anew."""
    saved = dict(master.fragments)
    master.fragments.clear()
    original, notebook.FRAGMENT_BYTES = notebook.FRAGMENT_BYTES, 0
    try:
        text = notebook.render(copy.deepcopy(cells), verdicts or {}, master)
    finally:
        notebook.FRAGMENT_BYTES = original
        master.fragments.update(saved)
    return nbformat.reads(text, as_version=4)


def test_a_test_cell_shows_its_own_verdict_and_a_code_cell_its_own_outputs(l1w3, master):
    from grader.pipeline.judge import Failure, Verdict

    master.fragments.clear()
    cells = _cells(l1w3, master)
    gid, (exercise, points) = next(iter(master.tests.items()))
    passed = {gid: Verdict(exercise, gid, points, points, 3, 3)}
    failed = {
        gid: Verdict(
            exercise, gid, points, 0.0, 1, 3, failures=[Failure("case 2", "values", "W1", "错 / wrong")]
        )
    }
    position = next(i for i, c in enumerate(cells) if notebook._grade_id(c) == gid)
    shown = []
    for verdicts in (passed, failed, passed):
        text = notebook.render(copy.deepcopy(cells), verdicts, master)
        assert text == notebook._writes(_plain(cells, master, verdicts)) == _as_nbformat_writes_it(text)
        shown.append(nbformat.reads(text, as_version=4).cells[position].outputs)
    assert shown[0] == shown[2] and [o.output_type for o in shown[1]] == ["stream", "error"]
    code = next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and i != position)
    changed = copy.deepcopy(cells)
    changed[code]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "另一个 / another\n"}]
    text = notebook.render(changed, passed, master)
    assert nbformat.reads(text, as_version=4).cells[code].outputs[0].text == "另一个 / another\n"
    assert text == _as_nbformat_writes_it(text)


def test_a_notebook_of_many_cells_of_its_own_keeps_no_more_than_the_release_allows(l1w3, master):
    """The cache's bound is the release's size: a huge submission cannot make a worker hold more."""
    master.fragments.clear()
    cells = _cells(l1w3, master)
    many = cells + [
        {"cell_type": "markdown", "metadata": {}, "source": f"笔记 {i} / note {i}"} for i in range(3000)
    ]
    text = notebook.render(copy.deepcopy(many), {}, master)
    assert len(master.fragments) == notebook.FRAGMENTS_PER_CELL * len(master.release["cells"])
    assert text == _as_nbformat_writes_it(text)
