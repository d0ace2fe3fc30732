"""Command line of the course grader: ``python -m grader COMMAND [ASSIGNMENT]``.

Every command that works on one assignment takes its id (``<id>``); it may
be left out when the course has a single assignment.
"""
import argparse
import os
import sys

from grader import ROOT
from grader import messages as msg


def _assignment(value):
    """The Assignment of ``value`` (or of the only one), or exit with a clear message."""
    from grader.course.assignment import UnknownAssignment, ids, load
    if value is None:
        known = ids()
        if len(known) != 1:
            sys.exit(msg.NAME_THE_ASSIGNMENT.format(known=", ".join(known) or "none"))
        value = known[0]
    try:
        return load(value)
    except UnknownAssignment as exc:
        sys.exit(str(exc))


def main(argv=None):
    """Run the command in ``argv`` (default: the command line); return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate notebooks/<id> from source/<id> (all assignments by default)")
    p.add_argument("assignment", nargs="*")
    p.add_argument("--check", action="store_true",
                   help="fail if the committed release differs from a fresh one")
    p = sub.add_parser("demo-submissions", help="write the demo's sample submissions into submitted/")
    p.add_argument("assignment", nargs="?")
    p = sub.add_parser("fill-solutions", help="fill a release notebook's solution cells in place")
    p.add_argument("notebook")
    p.add_argument("--assignment", default=None)
    p = sub.add_parser("grade", help="autograde every submission in submitted/")
    p.add_argument("assignment", nargs="?")
    p.add_argument("--submitted", default=os.path.join(ROOT, "submitted"),
                   help="folder of <student>/<assignment>/ submissions (default: submitted/)")
    p.add_argument("--autograded", default=os.path.join(ROOT, "autograded"),
                   help="where graded notebooks are written (default: autograded/)")
    p.add_argument("--db", default=None, help="gradebook URL (default: nbgrader_config.py's)")
    p.add_argument("--workers", type=int, default=None, help="parallel workers (default: CPU count)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (tcp://host:port) to grade on a cluster")
    p.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                   help="change a resource limit, e.g. memory_mb=4096 (see grader/limits.py)")
    p.add_argument("--student", action="append", default=None,
                   help="grade only this student (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("table", help="print the per-student, per-exercise score table")
    p.add_argument("assignment", nargs="?")
    p.add_argument("--db", default=None, help="gradebook URL (default: nbgrader_config.py's)")
    p = sub.add_parser("feedback", help="write feedback/<student>/<id>/*.html with a summary")
    p.add_argument("assignment", nargs="?")
    p.add_argument("--autograded", default=os.path.join(ROOT, "autograded"))
    p.add_argument("--feedback", default=os.path.join(ROOT, "feedback"))
    p.add_argument("--db", default=None, help="gradebook URL (default: nbgrader_config.py's)")
    p.add_argument("--workers", type=int, default=None)
    p = sub.add_parser("report", help="write reports/<id>.html and grades_by_exercise.csv")
    p.add_argument("assignment", nargs="?")
    p.add_argument("--autograded", default=os.path.join(ROOT, "autograded"))
    p.add_argument("--out", default=os.path.join(ROOT, "reports"))
    p.add_argument("--csv", default=os.path.join(ROOT, "grades_by_exercise.csv"))
    p.add_argument("--db", default=None, help="gradebook URL (default: nbgrader_config.py's)")
    p = sub.add_parser("collect", help="file an LMS download (Canvas, Moodle) into submitted/")
    from grader.lms.collect import add_arguments
    add_arguments(p)
    p = sub.add_parser("roster", help="import a roster CSV (id,first_name,last_name,email) into the gradebook")
    p.add_argument("csv")
    p.add_argument("--db", default=None, help="gradebook URL (default: nbgrader_config.py's)")
    p = sub.add_parser("validate", help="run a notebook's public self-checks")
    p.add_argument("notebook")
    args = parser.parse_args(argv)

    if args.command == "release":
        from grader.course import release
        from grader.course.assignment import ids
        names = args.assignment or ids()
        status = 0
        for name in names:
            assignment = _assignment(name)
            if args.check:
                stale = release.check(assignment)
                if stale:
                    print(f"notebooks/{name} is stale; run `make release` and commit. Differs: "
                          + ", ".join(stale), file=sys.stderr)
                    status = 1
                else:
                    print(f"notebooks/{name} is up to date with source/{name}")
            else:
                print("released to", os.path.relpath(release.release(assignment), ROOT))
        return status
    if args.command == "demo-submissions":
        from grader.course import submissions
        for path in submissions.demo(_assignment(args.assignment)):
            print("wrote", os.path.relpath(path, ROOT))
        return 0
    if args.command == "fill-solutions":
        import nbformat
        from grader.course import submissions
        assignment = _assignment(args.assignment or os.path.basename(os.path.dirname(
            os.path.abspath(args.notebook))))
        nbformat.write(submissions.fill(assignment, release=args.notebook), args.notebook)
        print(msg.SOLUTIONS_FILLED.format(notebook=args.notebook))
        return 0
    if args.command == "grade":
        from grader.batch import runner
        from grader.config import db_url
        from grader.limits import Limits
        from grader.ids import terminal
        assignment = _assignment(args.assignment)
        try:
            results = runner.run(args.submitted, args.autograded, args.db or db_url(), assignment.id,
                                 workers=args.workers, scheduler=args.scheduler,
                                 limits=Limits.parse(args.limit), students=args.student,
                                 quiet=args.quiet)
        except runner.RecordError as exc:
            print(f"error: {exc}; the other students' grades are recorded", file=sys.stderr)
            return 1
        except runner.GraderErrors as exc:
            print(f"error: {exc}; the other students' grades are recorded", file=sys.stderr)
            return 1
        for result in results:
            for note in result.notes:
                print(f"{terminal(result.student)}: {terminal(note)}", file=sys.stderr)
        print(f"graded {len(results)} submission(s)")
        return 0
    if args.command == "table":
        from grader.pages import table
        from grader.config import db_url
        print(table.render(args.db or db_url(), _assignment(args.assignment)))
        return 0
    if args.command == "feedback":
        from grader.pages import feedback
        from grader.config import db_url
        for page in feedback.generate(args.autograded, args.feedback, args.db or db_url(),
                                      workers=args.workers, assignment=_assignment(args.assignment)):
            print("wrote", os.path.relpath(page))
        return 0
    if args.command == "report":
        from grader.pages import report
        from grader.config import db_url
        db = args.db or db_url()
        assignment = _assignment(args.assignment)
        print("wrote", os.path.relpath(report.write_exercise_csv(db, args.csv, assignment)))
        print("class report:", os.path.relpath(report.write(db, args.autograded, args.out, assignment)))
        return 0
    if args.command == "collect":
        from grader.lms import collect
        return collect.main(args, _assignment(args.assignment))
    if args.command == "roster":
        from grader.lms import roster
        return roster.roster_main(args)
    if args.command == "validate":
        from grader.course import validate
        return validate.main(args.notebook)
    return 2


if __name__ == "__main__":
    sys.exit(main())
