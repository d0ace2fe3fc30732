"""A submitted notebook as grading reads, repairs and writes it (steps 1, 2 and 6 of ``grade``).

:func:`read_notebook` reads strictly (an unusable file gets a bilingual
reason), :func:`normalize` restores the assignment's structure (locked cells,
deleted cells, foreign metadata), :func:`clean_output` and
:class:`OutputBudget` keep only well-formed outputs within the notebook's
budget, and :func:`render` writes the autograded notebook with each test
cell showing its verdict.  Nothing here runs student code.
"""

from __future__ import annotations

import copy
import json
import os
from typing import TYPE_CHECKING

import nbformat

from grader import messages as msg
from grader.course.cells import grade_id as _grade_id
from grader.pipeline import sanitize

if TYPE_CHECKING:  # for annotations only: no import at run time
    from grader.course.cells import Master
    from grader.limits import Limits
    from grader.pipeline.judge import Verdict


def read_notebook(path: str, limits: Limits | None = None) -> nbformat.NotebookNode:
    """Read a submission; raise ``ValueError`` with a bilingual reason if it is unusable.

    With ``limits``, a file over ``notebook_mb`` or with more than ``max_cells``
    cells is refused before any further work (its size would otherwise cost
    the grader time that no kernel limit covers).
    """
    size = os.path.getsize(path)
    if size == 0:
        raise ValueError(msg.NOTEBOOK_EMPTY)
    if limits is not None and size > limits.notebook_mb * 1024 * 1024:
        raise ValueError(msg.NOTEBOOK_TOO_LARGE.format(mb=limits.notebook_mb))
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except UnicodeDecodeError:
        raise ValueError(msg.NOTEBOOK_NOT_UTF8)
    except json.JSONDecodeError as exc:
        raise ValueError(msg.NOTEBOOK_NOT_JSON.format(error=exc.msg, line=exc.lineno))
    except RecursionError:
        raise ValueError(msg.NOTEBOOK_TOO_DEEP)
    if not isinstance(raw, dict):
        raise ValueError(msg.NOTEBOOK_NOT_OBJECT)
    major = raw.get("nbformat")
    if major != 4:
        raise ValueError(msg.NOTEBOOK_UNSUPPORTED_FORMAT.format(major=major))
    if not isinstance(raw.get("cells"), list):
        raise ValueError(msg.NOTEBOOK_NO_CELLS)
    if limits is not None and len(raw["cells"]) > limits.max_cells:
        raise ValueError(msg.NOTEBOOK_TOO_MANY_CELLS.format(cells=len(raw["cells"]), limit=limits.max_cells))
    try:
        # What nbformat.reads does to a version 4 notebook, from the dict already parsed (reads
        # would serialise and parse it again, then validate, which only logs): a tenth of a
        # submission's grading time in this process.
        nb = nbformat.v4.to_notebook_json(raw)
    except Exception as exc:
        raise ValueError(msg.NOTEBOOK_INVALID.format(error=type(exc).__name__))
    for cell in nb.cells:
        if not isinstance(cell.get("source", ""), str) or cell.get("cell_type") not in (
            "code",
            "markdown",
            "raw",
        ):
            raise ValueError(msg.NOTEBOOK_MALFORMED_CELL)
    return nb


def normalize(nb: nbformat.NotebookNode, master: Master) -> tuple[list[dict], list[str]]:
    """Restore the assignment's structure in a student's notebook.

    Locked cells (instructions, imports, self-checks, tests) get the release's
    content and metadata back, whatever the student did to them; deleted
    ones are put back after the cell that precedes them in the release;
    duplicates of a locked cell are dropped; of duplicated solution cells the
    last one counts.  Cells of the student's own have any nbgrader metadata
    removed, so they cannot pose as graded cells.  Returns the cells and
    bilingual notes on what was changed.
    """
    notes, cells, position = [], [], {}
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in master.locked:
            if gid in position:
                notes.append(msg.LOCKED_CELL_DUPLICATE.format(gid=gid))
                continue
            restored = master.cell(gid)
            if restored["source"] != cell.get("source", "") or restored["cell_type"] != cell.get("cell_type"):
                notes.append(msg.LOCKED_CELL_RESTORED.format(gid=gid))
            position[gid] = len(cells)
            cells.append(restored)
        elif gid in master.solutions:
            restored = master.cell(gid)
            restored["source"] = cell.get("source", "")
            if gid in position:
                notes.append(msg.SOLUTION_CELL_DUPLICATE.format(gid=gid))
                cells[position[gid]] = None
            position[gid] = len(cells)
            cells.append(restored)
        else:
            # Only the cell's type, source and tags are kept (strings, and a fresh list of
            # them): nothing else of the student's cell, its outputs included, is copied.
            meta = cell.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            if "nbgrader" in meta and gid:
                notes.append(msg.UNKNOWN_GRADED_CELL.format(gid=gid))
            # Only metadata that every later reader accepts (nbformat's schema, nbconvert,
            # formgrader): a list of string tags; anything else of the student's is dropped.
            tags = meta.get("tags")
            own = {k: cell[k] for k in ("cell_type", "source") if k in cell}
            own["metadata"] = (
                {"tags": list(tags)}
                if isinstance(tags, list)
                and tags
                and all(isinstance(t, str) and t and "," not in t for t in tags)
                else {}
            )
            own = {k: own[k] for k in ("cell_type", "metadata", "source") if k in own}
            if own.get("cell_type") == "code":
                own["outputs"], own["execution_count"] = [], None
            cells.append(own)
    cells = [c for c in cells if c is not None]
    present = {_grade_id(c) for c in cells}
    for i, gid in enumerate(master.order):
        if gid in present:
            continue
        restored = master.cell(gid)
        deleted = msg.DELETED_TEST_RESTORED if gid in master.tests else msg.DELETED_CELL_RESTORED
        notes.append(deleted.format(gid=gid))
        at = 0
        for previous in reversed(master.order[:i]):
            ids = [_grade_id(c) for c in cells]
            if previous in ids:
                at = ids.index(previous) + 1
                break
        cells.insert(at, restored)
        present.add(gid)
    return cells, notes


class OutputBudget:
    """The outputs kept in the autograded notebook, all cells together, within a byte budget.

    The kernel caps its outputs too, but it is not trusted: this is what
    bounds the grading process's memory and the notebook's size.
    """

    def __init__(self, limit_bytes: int):
        self.left = limit_bytes
        self.exceeded = False

    def keep(self, outputs: object) -> list[dict]:
        """The well-formed part of ``outputs`` (a cell's) that fits; a note replaces the rest."""
        kept = []
        for output in outputs if isinstance(outputs, list) else []:
            output = clean_output(output)
            if output is None:
                continue
            size = len(json.dumps(output, ensure_ascii=False, default=str))
            if size > self.left:
                if not self.exceeded:
                    kept.append(
                        {"output_type": "stream", "name": "stderr", "text": f"[{msg.OUTPUT_DROPPED}]\n"}
                    )
                self.exceeded = True
                self.left = 0
                continue
            self.left -= size
            kept.append(output)
        return kept


def _strings(value):
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def clean_output(output: object) -> dict | None:
    """``output`` rebuilt from the fields nbformat allows, or None when it is malformed.

    The kernel is not trusted: an output it sends must not break nbformat,
    nbconvert or formgrader when the autograded notebook is read later.
    """
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") in ("stdout", "stderr") and isinstance(output.get("text"), str):
            return {"output_type": "stream", "name": output["name"], "text": output["text"]}
        return None
    if kind in ("display_data", "execute_result"):
        data, meta = output.get("data"), output.get("metadata", {})
        if not (isinstance(data, dict) and all(isinstance(k, str) and "/" in k for k in data)):
            return None
        data = {
            k: v
            for k, v in data.items()
            if isinstance(v, str) or (k.endswith("json") and isinstance(v, (dict, list))) or _strings(v)
        }
        clean = {"output_type": kind, "data": data, "metadata": meta if isinstance(meta, dict) else {}}
        if kind == "execute_result":
            count = output.get("execution_count")
            clean["execution_count"] = (
                count if isinstance(count, int) and not isinstance(count, bool) else None
            )
        return clean
    if kind == "error":
        if (
            isinstance(output.get("ename"), str)
            and isinstance(output.get("evalue"), str)
            and _strings(output.get("traceback"))
        ):
            return {
                "output_type": "error",
                "ename": output["ename"],
                "evalue": output["evalue"],
                "traceback": output["traceback"],
            }
        return None
    return None


def render(cells: list[dict], verdicts: dict[str, Verdict], master: Master) -> str:
    """The autograded notebook: the student's cells, each test cell showing its verdict.

    The notebook metadata is the release's: a student's metadata (e.g. a
    malformed ``language_info``) cannot break what reads the notebook later.
    Nothing of the student's in it can run in a page that shows it (formgrader
    renders it on the instructor's Jupyter origin): every display output is
    cleaned (:func:`grader.pipeline.sanitize.clean_display`), and the markdown
    of cells that are not the release's own has no raw HTML
    (:func:`grader.pipeline.sanitize.neutralize_markdown`).
    """
    # As nbformat.v4.new_notebook() makes it, without validating the empty notebook: that
    # compiled nbformat's schema validator in each worker (about 45 ms of its first submission).
    out = nbformat.NotebookNode(
        nbformat=nbformat.v4.nbformat,
        nbformat_minor=nbformat.v4.nbformat_minor,
        metadata=nbformat.NotebookNode(),
        cells=[],
    )
    out.metadata = copy.deepcopy(master.release.metadata)
    shown = []  # per cell: its text, when made before for a cell alike at this position, else None
    made = []  # (position, key) of the cells whose text is made now, to keep
    for i, c in enumerate(cells):
        gid = _grade_id(c)
        key = _cell_key(c, i, _verdict_outputs(verdicts[gid]) if gid in verdicts else None)
        shown.append(master.fragments.get(key) if key is not None else None)
        if key is not None and shown[-1] is None:
            made.append((i, key))
    out.cells = [nbformat.from_dict(c) for c, kept in zip(cells, shown) if kept is None]
    positions = [i for i, kept in enumerate(shown) if kept is None]
    for i, cell in zip(positions, out.cells):
        cell["id"] = f"cell-{i}"  # restored and student cells may share ids
        gid = _grade_id(cell)
        if cell.cell_type == "markdown" and gid not in master.locked:
            cell["source"] = sanitize.neutralize_markdown(cell.get("source", ""))
            cell.pop("attachments", None)
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            count = cell.get("execution_count")
            cell["execution_count"] = (
                count if isinstance(count, int) and not isinstance(count, bool) else None
            )
            cell["outputs"] = [
                nbformat.from_dict(sanitize.clean_display(o))
                if o.get("output_type") in ("display_data", "execute_result")
                else o
                for o in cell["outputs"]
            ]
            if gid in verdicts:
                cell["outputs"] = [nbformat.from_dict(o) for o in _verdict_outputs(verdicts[gid])]
                cell["execution_count"] = None
    text, texts = _writes(out, shown)
    if made:
        bound = FRAGMENTS_PER_CELL * len(master.release["cells"])  # the release's size, not the student's
        if len(master.fragments) + len(made) > bound:
            master.fragments.clear()  # students' own cells, or cells moved about: seen once
        for i, key in made[:bound]:
            master.fragments[key] = texts[i]
    return text


# A cell's text in the autograded notebook depends on the cell, its position and its test's verdict
# alone, and most cells are the same in every submission (the release's text, the outputs of a
# correct solution, a passed test's message): render makes the text of each once per position.
FRAGMENTS_PER_CELL = 4  # texts kept per cell of the release before render's cache starts afresh
FRAGMENT_BYTES = 8 * 1024  # cells larger than this (a plot, say) are written anew each time
_JSON = dict(indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)


def _cell_key(cell: dict, position: int, verdict_outputs):
    """``(position, the cell's JSON, its verdict's outputs' JSON)``, or ``None`` for a cell written anew."""
    try:
        text = json.dumps([cell, verdict_outputs], sort_keys=True, ensure_ascii=False)  # C's encoder
    except (TypeError, ValueError):
        return None
    return (position, text) if len(text) <= FRAGMENT_BYTES else None


def _writes(nb: nbformat.NotebookNode, shown: list | None = None):
    """``nb`` as ``nbformat.writes`` writes it (and so nbgrader), changing ``nb`` in place.

    nbformat's writer validates (which only logs) and deep-copies the notebook before
    splitting its lines: a notebook :func:`render` has just built, cell by cell, is its
    own, and those two steps were half of rendering's time.  JSON's encoder written in
    Python was the other half, and most cells are the same in every submission: with
    ``shown`` (per cell of the notebook, the text written before for it, or ``None`` for
    the next of ``nb.cells``), returns the text and the text of each cell.
    """
    from nbformat.v4.nbjson import BytesEncoder

    _split_and_strip(nb)
    if not shown:
        text = json.dumps(nb, cls=BytesEncoder, **_JSON) + "\n"
        return text if shown is None else (text, [])
    fresh = iter(nb.cells)
    texts = [
        kept if kept is not None else json.dumps(next(fresh), cls=BytesEncoder, **_JSON) for kept in shown
    ]
    # Each cell one level deeper than written alone (the list of cells is the top object's first
    # key): what json.dumps writes for the whole notebook, a newline being only ever structural
    # (one in a string is written as its escape).
    nb.cells = []
    text = json.dumps(nb, cls=BytesEncoder, **_JSON)
    head = '{\n "cells": [],'
    if not text.startswith(head):
        raise RuntimeError("a notebook's cells are not its first key")
    cells = ",\n  ".join(cell.replace("\n", "\n  ") for cell in texts)
    return '{\n "cells": [\n  ' + cells + "\n ]," + text[len(head) :] + "\n", texts


def _split_and_strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    from nbformat.v4.rwbase import split_lines, strip_transient

    return strip_transient(split_lines(nb))


def _verdict_outputs(verdict: Verdict) -> list[dict]:
    outputs = [{"output_type": "stream", "name": "stdout", "text": verdict.message + "\n"}]
    if verdict.score < verdict.points:
        outputs.append(
            {
                "output_type": "error",
                "ename": "HiddenTestsFailed",
                "evalue": f"{verdict.exercise}: {verdict.score:g}/{verdict.points:g}",
                "traceback": [],
            }
        )
    return outputs
