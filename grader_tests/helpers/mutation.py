"""Mutation testing of the grader: every catalogued bug and equivalent, graded for real.

Each mutant of an assignment's catalog (``mutants.py`` for L1W3,
``mutants_l1w2.py`` for L1W2) becomes a student submission (the release with
every solution filled in, one of them mutated); the whole folder is graded
by the real pipeline (``grader.batch.runner.run``, as ``make grade`` does).  A bug
must lose points on its own exercise and only there; an equivalent must get
full marks.  ``make mutation`` prints the tables and the scores; the test
suite asserts them.

Hidden inputs differ per student (``grader.course.secret``), so every mutant is
handed in by two students (:data:`SEEDS`: two submission seeds), under a course
secret of this catalog's own, so that the table is the same on every checkout.
"""

import os
import sys
import tempfile

from grader.batch import runner  # noqa: E402
from grader.course import submissions
from grader.course.assignment import load  # noqa: E402
from grader_tests.helpers.mutants import MUTANTS  # noqa: E402
from grader_tests.helpers.mutants_l1w2 import MUTANTS as L1W2_MUTANTS

CATALOGS = {"L1W3": MUTANTS, "L1W2": L1W2_MUTANTS}

SECRET = b"mutation catalog, a fixed secret"  # 32 bytes: the same seeds on every checkout
SEEDS = ("", ".2")  # each mutant is handed in by the students <id> and <id>.2


def students(mutant):
    """The students who hand in ``mutant`` (one per submission seed)."""
    return [mutant.id + suffix for suffix in SEEDS]


def mutate(mutant, sources):
    source = sources[mutant.exercise]
    for old, new in mutant.edits:
        if source.count(old) != 1:
            raise ValueError(f"{mutant.id}: {old!r} occurs {source.count(old)} times")
        source = source.replace(old, new)
    return dict(sources, **{mutant.exercise: source})


def grade_all(workdir, workers=None, assignment_id="L1W3"):
    """Grade every mutant of a catalog, twice; return ``{student: {exercise: (score, points)}}``.

    See :func:`students` for the two students who hand in each mutant.
    """
    assignment = load(assignment_id)
    sources = assignment.solution_sources
    submitted = os.path.join(workdir, "submitted")
    for mutant in CATALOGS[assignment_id]:
        nb = submissions.fill(assignment, mutate(mutant, sources))
        for student in students(mutant):
            submissions.write(nb, student, submitted, assignment)
    results = runner.run(
        submitted,
        os.path.join(workdir, "autograded"),
        f"sqlite:///{os.path.join(workdir, 'gradebook.db')}",
        assignment_id,
        workers=workers,
        quiet=True,
        secret=SECRET,
    )
    return {r.student: {v.exercise: (v.score, v.points) for v in r.verdicts.values()} for r in results}


def verdict(mutant, scores):
    """``(ok, explanation)`` for one mutant's per-exercise scores."""
    lost = sorted(e for e, (s, p) in scores.items() if s < p)
    if mutant.equivalent:
        return (not lost, "full marks" if not lost else "lost points on " + ", ".join(lost))
    if lost == [mutant.exercise]:
        return True, f"caught on {mutant.exercise} only"
    if not lost:
        return False, "NOT caught"
    return False, "cascade: lost points on " + ", ".join(lost)


def report(assignment_id):
    """Grade one catalog, print its table and score; return whether every mutant behaved."""
    catalog = CATALOGS[assignment_id]
    with tempfile.TemporaryDirectory() as tmp:
        graded = grade_all(tmp, assignment_id=assignment_id)
    total_points = sum(p for _, p in next(iter(graded.values())).values())
    rows, bugs_ok, eq_ok = [], 0, 0
    for m in catalog:
        checked = [verdict(m, graded[student]) for student in students(m)]
        ok = all(good for good, _ in checked)
        why = "; ".join(dict.fromkeys(reason for _, reason in checked))
        total = ", ".join(f"{sum(s for s, _ in graded[student].values()):g}" for student in students(m))
        rows.append(
            (
                ("equivalent" if m.equivalent else "bug"),
                m.exercise,
                m.id,
                f"{total} of {total_points:g}",
                "ok" if ok else "FAIL",
                why,
            )
        )
        bugs_ok += ok and not m.equivalent
        eq_ok += ok and m.equivalent
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    print(f"== {assignment_id}")
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) + "  " + r[5])
    bugs = sum(not m.equivalent for m in catalog)
    equivalents = len(catalog) - bugs
    print(
        f"\n{assignment_id} mutation score: {bugs_ok}/{bugs} bugs caught on their own exercise with no "
        f"cascade; {eq_ok}/{equivalents} equivalents at full marks, each under {len(SEEDS)} submission seeds\n"
    )
    return bugs_ok == bugs and eq_ok == equivalents


def main():
    results = [report(assignment_id) for assignment_id in CATALOGS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
