"""Command line of the course grader: ``python -m grader COMMAND [ASSIGNMENT]``.

Every command that works on one assignment takes its id (a folder name of
``source/``); it may be left out when the course has a single assignment.

Each command is one function, ``cmd_<command>(args)``, registered with the
options it takes by :func:`command`; an option that several commands share
(``--db``, ``--autograded``, ``--workers``, the assignment) is defined once,
by one of the ``*_option`` helpers.  :func:`main` makes the process's set-up
(:func:`grader.environment.prepare`) before anything heavy is imported: the
modules a command needs are imported inside its function.
"""

import argparse
import dataclasses
import os
import sys

from grader import ROOT, environment
from grader import messages as msg


@dataclasses.dataclass(frozen=True)
class Command:
    """One subcommand: its name, help, options and the function that runs it.

    Attributes
    ----------
    name : str
        The subcommand (``grade``).
    help : str
        One line for ``python -m grader --help``.
    options : tuple of callable
        Each adds one or more arguments to the subcommand's parser.
    run : callable
        ``run(args)`` returns the exit status.
    """

    name: str
    help: str
    options: tuple
    run: object


COMMANDS = {}


def command(name, help, *options):
    """Register the decorated ``cmd_*`` function as the subcommand ``name`` with ``options``."""

    def register(function):
        COMMANDS[name] = Command(name, help, options, function)
        return function

    return register


# --- the options several commands share ------------------------------------------------------------


def assignment_argument(parser):
    """The optional positional assignment id (default: the course's only assignment)."""
    parser.add_argument(
        "assignment", nargs="?", help="assignment id: a folder of source/ (default: the only one)"
    )


def assignment_option(parser):
    """``--assignment``, for the commands whose positional argument is a file."""
    parser.add_argument("--assignment", default=None, help="the assignment id (default: the only one)")


def db_option(parser):
    """``--db``: the gradebook's URL (resolved by :func:`db_url`)."""
    parser.add_argument("--db", default=None, help="gradebook URL (default: nbgrader_config.py's)")


def autograded_option(parser):
    """``--autograded``: the folder of autograded notebooks and grading reports."""
    parser.add_argument(
        "--autograded",
        default=os.path.join(ROOT, "autograded"),
        help="where graded notebooks are written (default: autograded/)",
    )


def workers_option(parser):
    """``--workers``: parallel worker processes."""
    parser.add_argument("--workers", type=int, default=None, help="parallel workers (default: CPU count)")


def db_url(args):
    """The gradebook URL of ``args``: ``--db`` or nbgrader_config.py's."""
    from grader.config import db_url as configured

    return args.db or configured()


def assignment_id_of(value):
    """The id of assignment ``value`` (or of the only one), not loaded yet; or exit with a clear message."""
    from grader.course.assignment import ids

    known = ids()
    if value is None:
        if len(known) != 1:
            sys.exit(msg.NAME_THE_ASSIGNMENT.format(known=", ".join(known) or "none"))
        return known[0]
    if value not in known:
        sys.exit(msg.UNKNOWN_ASSIGNMENT.format(assignment=value, known=", ".join(known) or "none"))
    return value


def assignment_of(value):
    """The Assignment of ``value`` (or of the only one), or exit with a clear message."""
    from grader.course.assignment import load

    return load(assignment_id_of(value))


# --- the commands ----------------------------------------------------------------------------------


def _release_options(parser):
    parser.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed release differs from a fresh one"
    )


@command(
    "release",
    "generate notebooks/<id> from source/<id> and register it in the gradebook (all assignments by default)",
    _release_options,
    db_option,
)
def cmd_release(args):
    """Release and register (or with ``--check``, compare with a fresh release) each named assignment.

    A release registers the assignment in the gradebook (``--db``, default
    nbgrader_config.py's), so stock ``nbgrader autograde`` finds it; ``--check``
    writes to no gradebook.
    """
    from grader.course import release
    from grader.course.assignment import ids

    status = 0
    for name in args.assignment or ids():
        assignment = assignment_of(name)
        folder, source = f"notebooks/{name}", f"source/{name}"
        if not args.check:
            released, registered = release.release(assignment, db_url(args))
            print(msg.RELEASED_TO.format(folder=os.path.relpath(released, ROOT)))
            if registered:
                print(msg.REGISTERED.format(assignment=name))
            continue
        stale = release.check(assignment)
        if stale:
            print(msg.RELEASE_STALE.format(folder=folder, files=", ".join(stale)), file=sys.stderr)
            status = 1
        else:
            print(msg.RELEASE_UP_TO_DATE.format(folder=folder, source=source))
    return status


@command(
    "demo-submissions",
    "write an assignment's demo submissions (its spec's `demo`) into submitted/",
    assignment_argument,
)
def cmd_demo_submissions(args):
    """Write the demo's sample submissions of the assignment."""
    from grader.course import submissions

    for path in submissions.demo(assignment_of(args.assignment)):
        print(msg.WROTE.format(path=os.path.relpath(path, ROOT)))
    return 0


def _notebook_argument(parser):
    parser.add_argument("notebook")


@command(
    "fill-solutions",
    "fill a release notebook's solution cells in place",
    _notebook_argument,
    assignment_option,
)
def cmd_fill_solutions(args):
    """Fill a release notebook's solution cells with the reference solutions."""
    import nbformat

    from grader.course import submissions

    assignment = assignment_of(
        args.assignment or os.path.basename(os.path.dirname(os.path.abspath(args.notebook)))
    )
    nbformat.write(submissions.fill(assignment, release=args.notebook), args.notebook)
    print(msg.SOLUTIONS_FILLED.format(notebook=args.notebook))
    return 0


def _grade_options(parser):
    parser.add_argument(
        "--submitted",
        default=os.path.join(ROOT, "submitted"),
        help="folder of <student>/<assignment>/ submissions (default: submitted/)",
    )
    parser.add_argument(
        "--scheduler", default=None, help="Dask scheduler address (tcp://host:port) to grade on a cluster"
    )
    parser.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a resource limit, e.g. memory_mb=4096 (see grader/limits.py)",
    )
    parser.add_argument(
        "--student",
        action="append",
        default=None,
        help="grade only this student, looking at no other folder (repeatable)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--allow-unisolated",
        action="store_true",
        help="grade even where bubblewrap cannot isolate students' code (prints the risk; "
        "the same as GRADER_ALLOW_UNISOLATED=1)",
    )


@command(
    "grade",
    "autograde every submission in submitted/ (or only the --student ones)",
    assignment_argument,
    autograded_option,
    db_option,
    workers_option,
    _grade_options,
)
def cmd_grade(args):
    """Grade the submissions into the gradebook; print each student's notes."""
    from grader.batch import runner
    from grader.course import privacy
    from grader.ids import terminal
    from grader.limits import LimitError, Limits
    from grader.sandbox.launch import ALLOW_UNISOLATED, SandboxUnavailable

    if args.allow_unisolated:  # for this process and every worker and kernel it starts
        os.environ[ALLOW_UNISOLATED] = "1"
    refused = privacy.refusal(ROOT, **_private_paths(args))
    if refused:
        print(refused, file=sys.stderr)
        return 2
    # Not loaded here: the run starts its zygote first (runner.early_zygote).
    assignment_id = assignment_id_of(args.assignment)
    try:
        limits = Limits.load(args.limit)
    except LimitError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        results = runner.run(
            args.submitted,
            args.autograded,
            db_url(args),
            assignment_id,
            workers=args.workers,
            scheduler=args.scheduler,
            limits=limits,
            students=args.student,
            quiet=args.quiet,
        )
    except (runner.InvalidStudents, SandboxUnavailable) as exc:
        print(exc, file=sys.stderr)
        return 2
    except (runner.RecordError, runner.GraderErrors) as exc:
        print(msg.OTHER_GRADES_RECORDED.format(error=exc), file=sys.stderr)
        return 1
    for result in results:
        for note in result.notes:
            print(f"{terminal(result.student)}: {terminal(note)}", file=sys.stderr)
    print(msg.GRADED_SUBMISSIONS.format(count=len(results)))
    return 0


def _private_paths(args):
    """The private paths a command of ``args`` works on besides the course root's own."""
    url = db_url(args)
    gradebook = url[len("sqlite:///") :] if url.startswith("sqlite:///") else None
    return {
        "submitted": getattr(args, "submitted", None),
        "autograded": getattr(args, "autograded", None),
        "gradebook": gradebook,
    }


@command(
    "secure",
    "make the course's private files private (source, grading, gradebook, submissions, feedback, ...)",
    autograded_option,
    db_option,
    _grade_options,
)
def cmd_secure(args):
    """Take group and others' access to the course's private paths; then check that none is exposed."""
    from grader.course import privacy
    from grader.ids import terminal

    given = _private_paths(args)
    for path in privacy.secure(ROOT, **given):
        print(msg.MADE_PRIVATE.format(path=terminal(path)))
    refused = privacy.refusal(ROOT, **given)
    if refused:  # e.g. a path owned by another user, which chmod cannot change
        print(refused, file=sys.stderr)
        return 1
    return 0


@command("table", "print the per-student, per-exercise score table", assignment_argument, db_option)
def cmd_table(args):
    """Print the score table."""
    from grader.pages import table

    print(table.render(db_url(args), assignment_of(args.assignment)))
    return 0


def _feedback_options(parser):
    parser.add_argument("--feedback", default=os.path.join(ROOT, "feedback"))


@command(
    "feedback",
    "write feedback/<student>/<id>/*.html with a summary",
    assignment_argument,
    autograded_option,
    db_option,
    workers_option,
    _feedback_options,
)
def cmd_feedback(args):
    """Write every student's feedback page."""
    from grader.pages import feedback

    for page in feedback.generate(
        args.autograded,
        args.feedback,
        db_url(args),
        workers=args.workers,
        assignment=assignment_of(args.assignment),
    ):
        print(msg.WROTE.format(path=os.path.relpath(page)))
    return 0


def _report_options(parser):
    parser.add_argument("--out", default=os.path.join(ROOT, "reports"))
    parser.add_argument("--csv", default=os.path.join(ROOT, "grades_by_exercise.csv"))


@command(
    "report",
    "write reports/<id>.html and grades_by_exercise.csv",
    assignment_argument,
    autograded_option,
    db_option,
    _report_options,
)
def cmd_report(args):
    """Write the per-exercise CSV and the class report."""
    from grader.pages import report

    db = db_url(args)
    assignment = assignment_of(args.assignment)
    print(msg.WROTE.format(path=os.path.relpath(report.write_exercise_csv(db, args.csv, assignment))))
    print(
        msg.CLASS_REPORT_WRITTEN.format(
            path=os.path.relpath(report.write(db, args.autograded, args.out, assignment))
        )
    )
    return 0


def _collect_options(parser):
    from grader.lms.collect import add_arguments

    add_arguments(parser)


@command(
    "collect",
    "file an LMS download (Canvas, Moodle) into submitted/",
    _collect_options,
    assignment_option,
    db_option,
)
def cmd_collect(args):
    """File an LMS download into submitted/ (and names into the gradebook)."""
    from grader.lms import collect

    return collect.main(args, assignment_of(args.assignment))


def _csv_argument(parser):
    parser.add_argument("csv")


@command(
    "roster",
    "import a roster CSV (id,first_name,last_name,email) into the gradebook",
    _csv_argument,
    db_option,
)
def cmd_roster(args):
    """Import a roster CSV."""
    from grader.lms import roster

    return roster.roster_main(args)


@command("validate", "run a notebook's public self-checks", _notebook_argument)
def cmd_validate(args):
    """Run a notebook's public self-checks."""
    from grader.course import validate

    return validate.main(args.notebook)


# ----------------------------------------------------------------------------------------------------


def build_parser():
    """The command line's parser: one subparser per :data:`COMMANDS` entry, its function as ``run``."""
    parser = argparse.ArgumentParser(
        prog="python -m grader", description="\n\n".join(__doc__.split("\n\n")[:2])
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for spec in COMMANDS.values():
        p = sub.add_parser(spec.name, help=spec.help)
        for option in spec.options:
            option(p)
        p.set_defaults(run=spec.run)
    return parser


def main(argv=None, program=False):
    """Run the command in ``argv`` (default: the command line); return the exit status.

    ``program``: this process is ``python -m grader`` itself; ``grade`` then ends it at
    once, without the interpreter's teardown (:func:`grader.environment.exit_at_once`).
    """
    environment.prepare()
    environment.nbgrader_without_server_extensions()  # no command serves Jupyter: 0.7 s saved
    environment.defer_unused_gradebook_imports()  # setuptools and requests: 0.3 to 0.9 s saved
    environment.skip_unused_format_checkers()  # nbformat checks no format: 50 ms saved
    args = build_parser().parse_args(argv)
    if args.command == "grade":
        environment.single_threaded_blas()  # no spinning second BLAS thread: 0.1 s of CPU saved
    code = args.run(args)
    if program and args.command == "grade":
        environment.exit_at_once(code)
    return code
