"""Expected outputs in the student release, generated from the source notebook.

The release has no outputs (nbgrader's ``ClearOutput``), yet a student needs
to see what a correct solution prints after each exercise.  The source
notebook's stored outputs are that (nbval checks them against a fresh run),
so :class:`AddExpectedOutputs` copies them, before ``ClearOutput`` runs, into
a markdown cell (``messages.EXPECTED_OUTPUT``) after each exercise's
demonstration cells: one source of truth, never written by hand.

An exercise is a solution cell (nbgrader ``solution``); its demonstration
cells are the plain code cells (no nbgrader metadata, not exploratory)
between it and the next graded cell, its test cell.
"""

import re

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from grader import messages as msg
from grader.course.assignment import EXPLORATORY

TITLE = f"**{msg.EXPECTED_OUTPUT}**"
INTRO = msg.EXPECTED_OUTPUT_INTRO
METADATA_KEY = "expected_output"  # cell metadata: the exercise the cell belongs to


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _text(cell):
    """The text a code cell printed or returned, as stored (figures and errors left out)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "execute_result":
            text = out.get("data", {}).get("text/plain", "")
            parts.append(text if text.endswith("\n") else text + "\n")
    return "".join(parts)


def _fence(text):
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def demonstrations(cells):
    """Map each exercise to the indices of its demonstration cells.

    Parameters
    ----------
    cells : list of nbformat cells
        The notebook's cells, in order.

    Returns
    -------
    dict
        ``{grade id of the solution cell: [cell index, ...]}``, in notebook order.
    """
    found = {}
    exercise = None
    for index, cell in enumerate(cells):
        meta = _nbgrader(cell)
        if meta.get("solution") and cell.cell_type == "code":
            exercise = meta.get("grade_id")
            found[exercise] = []
        elif meta.get("grade"):
            exercise = None
        elif (
            exercise
            and cell.cell_type == "code"
            and not meta
            and EXPLORATORY not in cell.get("metadata", {}).get("tags", [])
        ):
            found[exercise].append(index)
    return found


def _label(source):
    """The first line of a cell's code as an inline code span, naming the block that follows."""
    line = next((l for l in source.splitlines() if l.strip() and not l.lstrip().startswith("#")), "")
    line = line.strip() + (" ..." if len(source.strip().splitlines()) > 1 else "")
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", line)), default=0) + 1)
    return f"{ticks} {line} {ticks}" if line else ""


def expected_output_cell(exercise, shown):
    """The markdown cell showing ``shown``: ``[(cell source, printed text), ...]``."""
    blocks = [TITLE + "  \n" + INTRO]
    for source, text in shown:
        fence = _fence(text)
        blocks.append(f"{_label(source)}\n\n{fence}text\n{text.rstrip(chr(10))}\n{fence}")
    cell = nbformat.v4.new_markdown_cell("\n\n".join(blocks))
    # A fixed id, not a random one: a fresh release must equal the committed one.
    cell.id = re.sub(r"[^A-Za-z0-9_-]", "-", f"expected-output-{exercise}")[:64]
    cell.metadata[METADATA_KEY] = exercise
    return cell


class AddExpectedOutputs(NbGraderPreprocessor):
    """Insert an "Expected output" cell after each exercise's demonstration cells.

    Must run before ``ClearOutput``: it reads the stored outputs.  Cells it
    inserted on an earlier pass are replaced, so running it twice changes
    nothing.
    """

    def preprocess(self, nb, resources):
        """Insert the expected-output cells (see the class's doc)."""
        nb.cells = [c for c in nb.cells if METADATA_KEY not in c.get("metadata", {})]
        inserts = []
        for exercise, indices in demonstrations(nb.cells).items():
            shown = [(nb.cells[i].source, _text(nb.cells[i])) for i in indices]
            shown = [(source, text) for source, text in shown if text.strip()]
            if shown:
                inserts.append((indices[-1] + 1, expected_output_cell(exercise, shown)))
        for at, cell in reversed(inserts):
            nb.cells.insert(at, cell)
        return nb, resources
