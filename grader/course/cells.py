"""What the grader knows of the assignment: its cells, from the source and the release.

Graded cells are identified by their nbgrader ``grade_id``; the release's
version of each locked cell is what a submission's copy is restored to,
and the source notebook says which cells are graded, for how many points,
and which are ``exploratory`` (skipped while grading).
"""

import json
from dataclasses import dataclass, field

import nbformat

from grader.course.assignment import EXPLORATORY, read_course_notebook, release_helpers


def _norm(source):
    return "\n".join(line.rstrip() for line in str(source).strip().splitlines())


def grade_id(cell):
    """The cell's nbgrader grade id, or ``None`` (also when a student's metadata is malformed)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    gid = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return gid if isinstance(gid, str) else None


@dataclass
class Master:
    """What grading needs of an assignment's notebook: its cells, graded cells, points and probes."""

    release: dict  # the release notebook (nbformat JSON)
    order: list[str]  # grade ids in notebook order
    locked: set[str]  # grade ids restored from the release
    solutions: set[str]  # grade ids whose code is the student's
    tests: dict[str, tuple[str, float]]  # test grade id -> (exercise, points)
    assignment_id: str = ""
    exploratory: set[str] = field(default_factory=set)  # normalized sources of exploratory cells
    helpers: dict[str, str] = field(default_factory=dict)  # file name -> content
    demonstration: set[str] = field(default_factory=set)  # normalized sources of unlocked lesson cells
    # exercise -> its probe's source, built by grader.pipeline.grade.prepared_master
    probes: dict[str, str] = field(default_factory=dict)
    # composite exercise -> the callee calls its reference makes on the hidden cases (prepared_master)
    reference_calls: dict[str, int] = field(default_factory=dict)
    _cell_json: dict | None = field(default=None, repr=False, compare=False)  # grade id -> JSON of its cell
    # grader.pipeline.notebook.render's texts of cells without outputs: (position, cell) -> text
    fragments: dict = field(default_factory=dict, repr=False, compare=False)

    def cell(self, grade_id):
        """A copy of the release's cell ``grade_id`` (``KeyError`` if there is none)."""
        # Each submission copies every locked cell: from its JSON text (parsed in C), not by
        # NotebookNode's deepcopy, which was a tenth of a submission's grading time.
        if self._cell_json is None:
            self._cell_json = {}
            for cell in self.release["cells"]:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                self._cell_json.setdefault(gid, json.dumps(cell))
        return nbformat.from_dict(json.loads(self._cell_json[grade_id]))

    def probe_sources(self):
        """The probes' code (the same for every submission): what a zygote compiles once (``kernel_child``)."""
        return list(self.probes.values())

    def code_sources(self):
        """The release's code cells, as text: what a zygote transforms once (``kernel_child.PrimedTransforms``)."""
        return [
            c["source"]
            for c in self.release["cells"]
            if c.get("cell_type") == "code" and isinstance(c.get("source"), str)
        ]

    def is_exploratory(self, cell):
        """Whether ``cell`` is tagged exploratory, or is an exploratory cell of the source."""
        meta = cell.get("metadata")
        tags = meta.get("tags") if isinstance(meta, dict) else None
        # A student's own cell may carry any JSON as its tags: only a list of strings counts.
        tagged = isinstance(tags, list) and EXPLORATORY in tags
        return tagged or _norm(cell.get("source", "")) in self.exploratory

    def needs_running(self, cell):
        """Whether grading must run this (non-test) code cell.

        The imports and the solution cells run, and so does any cell the
        student added or changed; exploratory cells and the lesson's
        demonstration cells left as released are skipped: nothing graded
        depends on them.  (Test cells are never run: they are probed.)
        """
        gid = grade_id(cell)
        if gid in self.solutions:
            return True
        if self.is_exploratory(cell):
            return False
        return gid in self.locked or _norm(cell.get("source", "")) not in self.demonstration


def load(assignment):
    """The :class:`Master` of ``assignment`` (a ``grader.course.assignment.Assignment``).

    Cells come from the committed release (what students have), points from
    its nbgrader metadata, the exploratory tags from the source notebook.
    """
    src = assignment.source_notebook_node
    rel = read_course_notebook(assignment.release_notebook)
    order, locked, solutions, tests = [], set(), set(), {}
    for cell in rel.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            continue
        order.append(gid)
        if meta.get("solution"):
            solutions.add(gid)
        else:
            locked.add(gid)
        if meta.get("grade") and cell.cell_type == "code" and gid in assignment.exercise_of_test:
            tests[gid] = (assignment.exercise_of_test[gid], float(meta.get("points", 0)))
    missing = set(assignment.exercise_of_test) - set(tests)
    if missing:
        raise RuntimeError(
            f"{assignment.release_notebook}: no graded test cell {', '.join(sorted(missing))}; "
            f"run `make release`"
        )
    exploratory = {_norm(c.source) for c in src.cells if EXPLORATORY in c.metadata.get("tags", [])}
    demonstration = {
        _norm(c.source) for c in rel.cells if c.cell_type == "code" and not c.metadata.get("nbgrader")
    }
    helpers = release_helpers(assignment.release_dir)
    return Master(
        release=rel,
        order=order,
        locked=locked,
        solutions=solutions,
        tests=tests,
        assignment_id=assignment.id,
        exploratory=exploratory,
        helpers=helpers,
        demonstration=demonstration,
    )
