"""The course's pipeline behind nbgrader's own commands and formgrader's buttons.

``nbgrader_config.py`` sets nbgrader's configurable preprocessor lists to
these classes, so that ``nbgrader autograde`` and formgrader's Autograde
button grade exactly as ``make grade`` does (normalize, sandbox,
out-of-kernel judging, cascade-free credit, limits) and write the same
gradebook rows, autograded notebook and grading report: the preprocessor
runs ``python -m grader grade <id> --student <id>`` on the submission, the
very command ``make grade`` runs for the whole class, and hands its
autograded notebook back to nbgrader.  Nothing of nbgrader is patched.

The limits are ``c.Limits`` of nbgrader's own configuration (nbgrader_config.py,
and ``--Limits.<name>=value`` on nbgrader's command line), under
``GRADER_LIMITS``, as :meth:`grader.limits.Limits.load` layers them; the
command is given all of them with ``--limit``, so it grades with exactly these.
A grading that fails (the command exits non-zero: a grader error on that
submission, grades that could not be recorded) is logged as an error with
the grader's own output and raised as :class:`GradingFailed`: nbgrader's
autograde then reports that submission as failed (and removes what it had
written for it), and formgrader shows the error instead of a success.
"""

import os
import subprocess
import sys

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer, List, Unicode

from grader import ROOT
from grader import messages as msg
from grader.limits import Limits


class GradingFailed(RuntimeError):
    """The course's grader exited non-zero on a submission (the message says why)."""


class CourseAutograde(NbGraderPreprocessor):
    """nbgrader's sanitize step replaced by the course's grading of the submitted notebook.

    Configure as ``c.Autograde.sanitize_preprocessors = [CourseAutograde]`` and
    ``c.Autograde.autograde_preprocessors = []``: the notebook nbgrader writes
    to ``autograded/`` is the one the course's grader produced, and the
    gradebook rows are the ones it recorded.
    """

    # Deprecated (c.Limits is the one place of limits), kept so that a course's old setting
    # still applies instead of being ignored with a mere "not recognized" warning.
    limits = List(
        Unicode(),
        default_value=[],
        help="Deprecated: set c.Limits.NAME instead. NAME=VALUE items applied over "
        "c.Limits and GRADER_LIMITS, as --limit (see grader/limits.py)",
    ).tag(config=True)
    workers = Integer(1, help="Grading workers for one submission (1 is enough)").tag(config=True)
    allow_unisolated = Bool(
        False,
        help="Grade even where bubblewrap cannot isolate students' code (the grader prints the "
        "risk); as `python -m grader grade --allow-unisolated`",
    ).tag(config=True)

    def preprocess(self, nb, resources):  # noqa: ARG002 (nbgrader's signature; the notebook is re-read graded)
        """Grade the submission that ``resources`` names; return the autograded notebook."""
        info = resources["nbgrader"]
        if self.limits:
            self.log.warning("%s", msg.LIMITS_TRAIT_DEPRECATED)
        limits = Limits.load(self.limits, config=self.config)
        coursedir = CourseDirectory(config=self.config)
        student, assignment_id = info["student"], info["assignment"]
        submitted = os.path.abspath(coursedir.format_path(coursedir.submitted_directory, ".", "."))
        autograded = os.path.abspath(coursedir.format_path(coursedir.autograded_directory, ".", "."))
        cmd = [
            sys.executable,
            "-m",
            "grader",
            "grade",
            assignment_id,
            "--student",
            student,
            "--submitted",
            submitted,
            "--autograded",
            autograded,
            "--db",
            info["db_url"],
            "--workers",
            str(self.workers),
            "--quiet",
        ]
        if self.allow_unisolated:
            cmd.append("--allow-unisolated")
        for item in limits.as_items():
            cmd += ["--limit", item]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            # Even when a notebook was written (a grader error gives a zero-score one), it is
            # no grading: nbgrader must count this submission as failed, not as graded.
            error = msg.AUTOGRADE_FAILED.format(
                student=student,
                status=proc.returncode,
                stderr=(proc.stderr.strip() or proc.stdout.strip())[-4000:],
            )
            self.log.error("%s", error)
            raise GradingFailed(error)
        for line in (proc.stdout + proc.stderr).splitlines():
            # What holds on this machine reaches nbgrader's and formgrader's log too; a missing
            # protection or a run without isolation is a warning there, not an aside.
            if line.startswith("protections:") and "OFF" in line or "WARNING" in line:
                self.log.warning("%s", line)
            elif line.strip():
                self.log.info("%s", line)
        from grader.course.assignment import load

        assignment = load(assignment_id)
        path = os.path.join(autograded, student, assignment_id, assignment.notebook)
        graded = nbformat.read(path, as_version=4)
        return graded, resources
