"""Grade one submission: a short list of steps, each a function of its own.

This list is the one place of the grading steps (docs/architecture.md and the
README point here).

1. :func:`~grader.pipeline.notebook.read_notebook` - strict reading; an unusable file
   gets a bilingual reason.
2. :func:`~grader.pipeline.notebook.normalize` - the assignment's structure restored
   (locked cells, deleted cells).
3. :func:`run_cells` - the cells grading needs, in a sandboxed kernel; at each test
   cell the kernel records the exercise's function as it is there.
4. :func:`probe_all` - once every cell has run, each recorded function is called on
   the submission's own hidden cases (drawn from its seed, sent as data; composites
   with callee stubs answered here, only on arrays handed to that probe).  No student cell
   runs after the first probe.  If the kernel dies, a fresh one re-runs the cells
   before the fatal one, so what was recorded before it is still judged.
5. :func:`grader.pipeline.judge.judge` - typed verdicts, decided in this process.
6. :func:`~grader.pipeline.notebook.render` - the autograded notebook, within the
   whole-notebook output budget.

:func:`grade_submission` is a pure function of its inputs (no gradebook, no
shared state), so any number of them can run in parallel; the caller records
the result.  The kernel of step 3 is started before step 1 and waited for at
step 3 (``Run.start(wait=False)``): it confines itself while the notebook is
read; nothing runs in it before step 3.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grader import messages as msg
from grader.course import cells
from grader.course.cells import grade_id as _grade_id
from grader.pipeline import judge, probe
from grader.pipeline.notebook import OutputBudget, normalize, read_notebook, render
from grader.pipeline.result import Result, zero_result
from grader.sandbox import zygote
from grader.sandbox.kernel import Kernel, KernelDied
from grader.sandbox.workspace import remove_tree

if TYPE_CHECKING:  # for annotations only: no import at run time
    from collections.abc import Iterable

    from grader.course.assignment import Assignment
    from grader.course.cells import Master
    from grader.limits import Limits

RESTARTS = 2  # fresh kernels a submission may get after its kernel died


@dataclass
class Run:
    """The state of one submission's kernel run (what was recorded, outputs, notes)."""

    cells: list[dict]
    master: Master
    limits: Limits
    workdir: str
    deadline: float
    recorded: list[str] = field(default_factory=list)  # exercises recorded, in notebook order
    record_index: dict[str, int] = field(default_factory=dict)  # exercise -> index of its test cell
    notes: list[str] = field(default_factory=list)
    peak_mb: float = 0.0
    kernel: Kernel | None = None
    restarts: int = 0
    # {exercise: [Case, ...]}: this submission's hidden cases (None: the spec's fixed view)
    cases: dict | None = None

    def cases_of(self, assignment: Assignment, exercise: str) -> list:
        """The hidden cases ``exercise`` is probed and judged on in this run."""
        return (self.cases if self.cases is not None else assignment.spec.cases)[exercise]

    def start(self, wait: bool = True) -> Kernel:
        """A fresh kernel with ``notebook_timeout``, or what is left of the submission's time if less.

        ``wait=False`` returns before the kernel is ready (it starts while the caller reads
        the notebook); the next ``start()`` then waits for that kernel rather than making one.
        """
        left = self.deadline - time.monotonic()
        if left <= 1:
            raise KernelDied("no time left for the submission")
        limits = self.limits
        if left < limits.notebook_timeout:
            from dataclasses import replace

            limits = replace(limits, notebook_timeout=left)
        if self.kernel is not None:  # started early; a cold one instead if its zygote failed
            self.kernel = zygote.started(self.kernel, self.workdir, limits, self.notes, cold=Kernel)
            return self.kernel
        # Warm (forked from this worker's zygote) where the runner installed one, else cold.
        self.kernel = zygote.start_kernel(self.workdir, limits, self.notes, cold=Kernel, wait=wait)
        return self.kernel

    def stop(self) -> None:
        """Close the kernel, keeping its peak memory."""
        if self.kernel is not None:
            self.kernel.close()
            self.peak_mb = max(self.peak_mb, self.kernel.peak_rss_mb())
            self.kernel = None


def run_cells(run: Run, upto: int | None = None, budget: OutputBudget | None = None) -> None:
    """Run ``run.cells[:upto]`` as grading needs; record each exercise at its test cell.

    With ``budget`` the outputs are kept in the cells (the first pass); a
    re-run after a kernel death keeps the first pass's outputs.  Raises
    ``KernelDied`` with ``index`` set to the cell being run.
    """
    master = run.master
    previous = None  # the last code cell the kernel was asked to run or record
    for index, cell in enumerate(run.cells[:upto] if upto is not None else run.cells):
        if cell.get("cell_type") != "code":
            continue
        gid = _grade_id(cell)
        if gid not in master.tests and not master.needs_running(cell):
            continue
        try:
            if gid in master.tests:
                exercise = master.tests[gid][0]
                run.kernel.record(exercise)
                if exercise not in run.recorded:
                    run.recorded.append(exercise)
                run.record_index[exercise] = index
            else:
                answer = run.kernel.run(cell.get("source", ""))
        except KernelDied as exc:
            # A kernel that stopped reading is still in the previous cell (which forged its answer).
            exc.index = previous if getattr(run.kernel, "stalled", False) and previous is not None else index
            raise
        previous = index
        if gid in master.tests:
            continue
        if budget is not None:
            cell["outputs"] = budget.keep(answer.get("outputs"))
            count = answer.get("execution_count")
            cell["execution_count"] = (
                count if isinstance(count, int) and not isinstance(count, bool) else None
            )


def prepared_master(assignment: Assignment) -> Master:
    """The :class:`~grader.course.cells.Master` of ``assignment``, with every exercise's probe built.

    Called once per grading run, before the workers fork.  A probe's source is
    the same for every submission (the kernel-side code that calls the
    recorded function); the submission's hidden cases travel with the probe
    request as data (:func:`probe_all`).
    """
    master = cells.load(assignment)
    master.probes = {
        exercise: probe.build(exercise, assignment.spec.callees.get(exercise, ()))
        for exercise, _ in master.tests.values()
    }
    # Counted once, before the workers fork: the callee budget of each composite's probe.  The
    # reference solutions are made here too, while the run's zygote boots: each worker inherits
    # them instead of reading the source notebook again (about 50 ms each).
    master.reference_calls = {
        exercise: assignment.count_reference_calls(exercise) for exercise in assignment.spec.callees
    }
    assignment.reference  # a cached property: made before the fork
    return master


def probe_all(run: Run, assignment: Assignment, answers: dict[str, judge.Verdict | str]) -> None:
    """Probe every recorded exercise not yet answered; composites last.

    ``answers`` maps exercise to its verdict or a ``KernelDied`` reason
    (a string); it is filled in place.  Raises ``KernelDied`` (with
    ``exercise`` set) when the kernel dies in a probe.
    """
    master = run.master
    order = sorted(run.recorded, key=lambda e: (e in assignment.spec.callees, run.record_index[e]))
    points = {exercise: p for exercise, p in master.tests.values()}
    for exercise in order:
        if exercise in answers:
            continue
        cases = run.cases_of(assignment, exercise)
        try:
            answer = run.kernel.probe(
                master.probes[exercise],
                f"testing {exercise}",
                # One answerer per probe: it answers only on what it handed to this probe.
                on_call=probe.Answerer(assignment, exercise, cases),
                cases=probe.encode_cases(cases),
                max_calls=probe.callee_budget(
                    master.reference_calls.get(exercise, 0), run.limits.callee_calls
                ),
            )
        except KernelDied as exc:
            exc.exercise = exercise
            raise
        # Judged at once: only the verdict is kept, never the raw answers of every probe.
        answers[exercise] = verdict_of(assignment, exercise, points[exercise], answer, cases)


def verdict_of(
    assignment: Assignment, exercise: str, points: float, answer: dict, cases: list | None = None
) -> judge.Verdict:
    """The verdict on the kernel's ``answer`` to ``exercise``'s probe on ``cases`` (step 5)."""
    if answer.get("op") == "probe" and "error" not in answer:
        return judge.judge(assignment, exercise, points, answer.get("result"), cases)
    if answer.get("status") == "interrupted":
        return judge.not_graded(assignment, exercise, points, msg.HIDDEN_TESTS_INTERRUPTED)
    return judge.not_graded(
        assignment,
        exercise,
        points,
        msg.HIDDEN_TESTS_COULD_NOT_RUN.format(error=judge.exception_name(answer.get("error"))),
    )


def execute(run: Run, assignment: Assignment, budget: OutputBudget) -> dict[str, judge.Verdict | str]:
    """Steps 3 to 5 with the restarts: ``{exercise: Verdict | reason string}``.

    After a kernel death, a fresh kernel re-runs the cells up to the last test
    cell that is still to be judged (never the fatal cell or anything after
    it), with what is left of the submission's time, at most ``RESTARTS`` times.
    """
    answers = {}
    limit = None  # re-run cells[:limit]
    first = True
    while True:
        try:
            run.start()
            run_cells(run, upto=limit, budget=budget if first else None)
            probe_all(run, assignment, answers)
            return answers
        except KernelDied as exc:
            reason = msg.KERNEL_STOPPED.format(reason=exc)
            if reason not in run.notes:
                run.notes.append(reason)
            exercise = getattr(exc, "exercise", None)
            index = getattr(exc, "index", None)
            if exercise is not None:
                answers[exercise] = reason  # this exercise's probe killed it
            elif index is not None:
                # Nothing recorded at or after the fatal cell can be judged; before it, it can.
                run.recorded = [e for e in run.recorded if run.record_index[e] < index]
            else:
                return answers  # the kernel could not even start
        finally:
            run.stop()
        first = False
        waiting = [e for e in run.recorded if e not in answers]
        if run.restarts >= RESTARTS or not waiting:
            return answers
        run.restarts += 1
        limit = max(run.record_index[e] for e in waiting) + 1
        run.recorded = []  # recorded again by the re-run


def _clip_verdict(verdict: judge.Verdict, limits: Limits) -> judge.Verdict:
    """Keep a verdict's stored size bounded (``limits.verdict_chars``)."""
    budget = limits.verdict_chars
    kept = []
    for failure in verdict.failures:
        size = len(failure.message) + len(failure.variable) + len(failure.case)
        if size > budget:
            break
        budget -= size
        kept.append(failure)
    verdict.failures = kept or verdict.failures[:1]
    return verdict


def grade_submission(
    student: str,
    path: str,
    assignment: Assignment,
    master: Master,
    limits: Limits,
    extra_notes: Iterable[str] = (),
    seed: int | None = None,
) -> Result:
    """Grade the notebook at ``path`` for ``student``; return a :class:`Result`.

    The hidden cases are ``assignment.hidden_cases(seed)``; ``seed`` defaults
    to the student's seed under the course secret
    (``assignment.submission_seed(student)``).
    """
    started = time.monotonic()
    notes = list(extra_notes)
    workdir = tempfile.mkdtemp(prefix="grade-")
    # The whole submission's time, restarts included; each kernel also stops at notebook_timeout
    # (Run.start), so one hung kernel cannot leave nothing for the re-runs.
    run = Run([], master, limits, workdir, deadline=started + limits.submission_timeout)
    try:
        for name, content in master.helpers.items():
            with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
                f.write(content)
        # The kernel starts (its pid 1 joins its cgroup, which waits for an RCU grace period, and
        # mounts its /tmp) while this process reads the notebook; no student code runs before
        # execute(), and a notebook that cannot be read costs its kernel only.
        try:
            run.start(wait=False)
        except KernelDied:
            run.kernel = None  # execute() starts one again and reports why it could not
        try:
            nb = read_notebook(path, limits)
        except (OSError, ValueError) as exc:
            reason = str(exc)
            result = zero_result(student, assignment, master, reason, notes + [reason])
            result.seconds = time.monotonic() - started
            return result
        run.cells, more = normalize(nb, master)
        notes += more
        for cell in run.cells:
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        run.cases = assignment.hidden_cases(assignment.submission_seed(student) if seed is None else seed)
        answers = execute(run, assignment, OutputBudget(limits.notebook_output_mb * 1024 * 1024))
    finally:
        run.stop()
        remove_tree(workdir)
    cells = run.cells
    notes += run.notes
    verdicts = {}
    for gid, (exercise, points) in master.tests.items():
        answer = answers.get(exercise)
        if isinstance(answer, judge.Verdict):
            verdict = answer
        elif isinstance(answer, str):
            verdict = judge.not_graded(assignment, exercise, points, answer)
        else:
            reason = run.notes[-1] if run.notes else msg.NOT_RUN
            verdict = judge.not_graded(assignment, exercise, points, reason)
        verdicts[gid] = _clip_verdict(verdict, limits)
    return Result(
        student,
        verdicts,
        notes,
        render(cells, verdicts, master),
        seconds=time.monotonic() - started,
        peak_rss_mb=run.peak_mb,
        worker_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
