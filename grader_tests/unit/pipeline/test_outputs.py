"""What the kernel sends and what the student wrote must not break later readers of the notebook."""

import nbformat
import pytest

from grader.pipeline.notebook import clean_output


@pytest.mark.parametrize(
    "output",
    [
        {"output_type": "stream", "name": "stdout", "text": "hi"},
        {
            "output_type": "display_data",
            "data": {"text/html": "<b>x</b>", "application/json": {"a": 1}},
            "metadata": {},
        },
        {
            "output_type": "execute_result",
            "data": {"text/plain": ["1", "2"]},
            "metadata": {},
            "execution_count": 3,
        },
        {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["line"]},
    ],
)
def test_well_formed_outputs_are_kept_and_validate(output):
    cleaned = clean_output(output)
    assert cleaned is not None
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[cleaned])])
    nbformat.validate(nb)


@pytest.mark.parametrize(
    "output",
    [
        None,
        5,
        {"output_type": "stream", "name": "stdin", "text": "x"},
        {"output_type": "stream", "name": "stdout", "text": 5},
        {"output_type": "display_data", "data": {"no-slash": "x"}},
        {"output_type": "display_data", "data": "text"},
        {"output_type": "error", "ename": "E", "evalue": "v", "traceback": "not a list"},
        {"output_type": "update_display_data", "data": {}},
        {"output_type": "bogus"},
    ],
)
def test_malformed_outputs_are_dropped(output):
    assert clean_output(output) is None


def test_bad_values_inside_display_data_are_dropped_and_the_rest_validates():
    cleaned = clean_output(
        {
            "output_type": "execute_result",
            "execution_count": True,
            "data": {"text/plain": 5, "text/html": "<i>ok</i>"},
            "metadata": "x",
        }
    )
    assert cleaned == {
        "output_type": "execute_result",
        "data": {"text/html": "<i>ok</i>"},
        "metadata": {},
        "execution_count": None,
    }


@pytest.mark.parametrize(
    "metadata, kept",
    [
        (
            {"tags": ["exploratory", "mine"], "collapsed": "yes", "nbgrader": {"grade": True}},
            {"tags": ["exploratory", "mine"]},
        ),
        ({"tags": 5, "language_info": {"name": 5}}, {}),
        ({"tags": [1, "x"]}, {}),
        ({"tags": None}, {}),
        ("not a dict", {}),
    ],
)
def test_a_students_own_cell_keeps_only_a_list_of_string_tags(metadata, kept):
    from grader.pipeline.notebook import normalize
    from grader_tests.helpers import fakes

    nb = fakes.release_notebook()
    own = nbformat.v4.new_code_cell("x = 1")
    own["metadata"] = metadata
    own["outputs"] = [{"output_type": "bogus"}]
    nb.cells.append(own)
    cells, _ = normalize(nb, fakes.master())
    mine = [c for c in cells if c.get("source") == "x = 1"]
    assert len(mine) == 1 and mine[0]["metadata"] == kept and mine[0]["outputs"] == []
