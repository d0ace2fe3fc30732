"""What the grader knows of the assignment: its cells, from the source and the release.

Graded cells are identified by their nbgrader ``grade_id``; the release's
version of each locked cell is what a submission's copy is restored to,
and the source notebook says which cells are graded, for how many points,
and which are ``exploratory`` (skipped while grading).
"""
import copy
import os
from dataclasses import dataclass, field

import nbformat

from grader import EXPLORATORY, NOTEBOOK, RELEASE_DIR, SELFCHECK_SUFFIX, SOURCE_NOTEBOOK

HELPERS = ("planar_utils.py", "testCases.py", "checks.py")


def _norm(source):
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


@dataclass
class Master:
    release: dict                      # the release notebook (nbformat JSON)
    order: list                        # grade ids in notebook order
    locked: set                        # grade ids restored from the release
    solutions: set                     # grade ids whose code is the student's
    tests: dict                        # test grade id -> (exercise, points)
    exploratory: set = field(default_factory=set)   # normalized sources of exploratory cells
    helpers: dict = field(default_factory=dict)     # file name -> content
    demonstration: set = field(default_factory=set)  # normalized sources of unlocked lesson cells
    probes: dict = field(default_factory=dict)      # exercise -> probe source

    def cell(self, grade_id):
        for cell in self.release["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                return copy.deepcopy(cell)
        raise KeyError(grade_id)

    def is_exploratory(self, cell):
        return (EXPLORATORY in cell.get("metadata", {}).get("tags", [])
                or _norm(cell.get("source", "")) in self.exploratory)

    def needs_running(self, cell):
        """Whether grading must run this (non-test) code cell.

        The imports and the solution cells run, and so does any cell the
        student added or changed; exploratory cells, the public self-checks
        and the lesson's demonstration cells left as released are skipped:
        nothing graded depends on them.
        """
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in self.solutions:
            return True
        if self.is_exploratory(cell) or (gid or "").endswith(SELFCHECK_SUFFIX):
            return False
        return gid in self.locked or _norm(cell.get("source", "")) not in self.demonstration


def load(source=SOURCE_NOTEBOOK, release_dir=RELEASE_DIR):
    src = nbformat.read(source, as_version=4)
    rel = nbformat.read(os.path.join(release_dir, NOTEBOOK), as_version=4)
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
        if meta.get("grade") and cell.cell_type == "code":
            exercise = gid[: -len("_values")] if gid.endswith("_values") else gid
            tests[gid] = (exercise, float(meta.get("points", 0)))
    exploratory = {_norm(c.source) for c in src.cells
                   if EXPLORATORY in c.metadata.get("tags", [])}
    demonstration = {_norm(c.source) for c in rel.cells
                     if c.cell_type == "code" and not c.metadata.get("nbgrader")}
    helpers = {}
    for name in HELPERS:
        with open(os.path.join(release_dir, name), encoding="utf-8") as f:
            helpers[name] = f.read()
    from grader import probe
    from grader.cases import CALLEES, CASES
    probes = {exercise: probe.build(exercise, CASES[exercise], CALLEES.get(exercise, ()))
              for exercise, _ in tests.values()}
    return Master(release=rel, order=order, locked=locked, solutions=solutions, tests=tests,
                  exploratory=exploratory, helpers=helpers, demonstration=demonstration,
                  probes=probes)
