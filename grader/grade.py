"""Grade one submission: a short list of steps, each a function of its own.

1. :func:`read_notebook` - strict reading; an unusable file gets a bilingual reason.
2. :func:`normalize` - the assignment's structure restored (locked cells, deleted cells).
3. :func:`run_cells` - the cells grading needs, in a sandboxed kernel; at each test
   cell the kernel records the exercise's function as it is there.
4. :func:`probe_all` - once every cell has run, each recorded function is called on
   the hidden cases (composites with callee stubs answered here).  No student cell
   runs after the first probe.  If the kernel dies, a fresh one re-runs the cells
   before the fatal one, so what was recorded before it is still judged.
5. :func:`grader.judge.judge` - typed verdicts, decided in this process.
6. :func:`render` - the autograded notebook, within the whole-notebook output budget.

:func:`grade_submission` is a pure function of its inputs (no gradebook, no
shared state), so any number of them can run in parallel; the caller records
the result.
"""
import copy
import functools
import json
import os
import resource
import tempfile
import time
from dataclasses import dataclass, field

import nbformat

from grader import judge, probe
from grader import messages as msg
from grader.kernel import Kernel, KernelDied
from grader.master import grade_id as _grade_id
from grader.workspace import remove_tree

RESTARTS = 2   # fresh kernels a submission may get after its kernel died


@dataclass
class Result:
    """What grading one submission produced (typed verdicts, notes, the autograded notebook)."""

    student: str
    verdicts: dict                      # test grade id -> judge.Verdict
    notes: list = field(default_factory=list)   # what was wrong with the notebook, bilingual
    notebook: str = ""                  # the autograded notebook (JSON), "" if none
    seconds: float = 0.0
    peak_rss_mb: float = 0.0            # peak memory of the submission's processes (cgroup, else kernel RSS)
    worker_rss_mb: float = 0.0          # the grading worker's own peak, when it finished
    gradable: bool = True               # False when no cell could be run at all
    grader_error: bool = False          # True when the grader itself failed on this submission

    @property
    def score(self):
        """The total automatic score."""
        return sum(v.score for v in self.verdicts.values())


def zero_result(student, assignment, master, reason, notes=(), grader_error=False):
    """A result with every exercise not graded for ``reason`` (nothing could be run)."""
    return Result(student, not_graded_all(assignment, master, reason), list(notes) or [reason],
                  gradable=False, grader_error=grader_error)


def not_graded_all(assignment, master, reason, already=None):
    """``already``'s verdicts, and a not-graded verdict for every other test cell."""
    verdicts = dict(already or {})
    for gid, (exercise, points) in master.tests.items():
        if gid not in verdicts:
            verdicts[gid] = judge.not_graded(assignment, exercise, points, reason)
    return verdicts


def read_notebook(path, limits=None):
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
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:
        raise ValueError(msg.NOTEBOOK_INVALID.format(error=type(exc).__name__))
    for cell in nb.cells:
        if not isinstance(cell.get("source", ""), str) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError(msg.NOTEBOOK_MALFORMED_CELL)
    return nb


def normalize(nb, master):
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
            own = copy.deepcopy(dict(cell))
            meta = dict(own.get("metadata", {}) if isinstance(own.get("metadata"), dict) else {})
            if "nbgrader" in meta:
                meta.pop("nbgrader")
                if gid:
                    notes.append(msg.UNKNOWN_GRADED_CELL.format(gid=gid))
            # Only metadata that every later reader accepts (nbformat's schema, nbconvert,
            # formgrader): a list of string tags; anything else of the student's is dropped.
            tags = meta.get("tags")
            own["metadata"] = ({"tags": tags} if isinstance(tags, list) and tags
                               and all(isinstance(t, str) and t and "," not in t for t in tags) else {})
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

    def __init__(self, limit_bytes):
        self.left = limit_bytes
        self.exceeded = False

    def keep(self, outputs):
        """The well-formed part of ``outputs`` (a cell's) that fits; a note replaces the rest."""
        kept = []
        for output in outputs if isinstance(outputs, list) else []:
            output = clean_output(output)
            if output is None:
                continue
            size = len(json.dumps(output, ensure_ascii=False, default=str))
            if size > self.left:
                if not self.exceeded:
                    kept.append({"output_type": "stream", "name": "stderr",
                                 "text": f"[{msg.OUTPUT_DROPPED}]\n"})
                self.exceeded = True
                self.left = 0
                continue
            self.left -= size
            kept.append(output)
        return kept


def _strings(value):
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def clean_output(output):
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
        data = {k: v for k, v in data.items()
                if isinstance(v, str) or (k.endswith("json") and isinstance(v, (dict, list)))
                or _strings(v)}
        clean = {"output_type": kind, "data": data, "metadata": meta if isinstance(meta, dict) else {}}
        if kind == "execute_result":
            count = output.get("execution_count")
            clean["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
        return clean
    if kind == "error":
        if isinstance(output.get("ename"), str) and isinstance(output.get("evalue"), str) \
                and _strings(output.get("traceback")):
            return {"output_type": "error", "ename": output["ename"], "evalue": output["evalue"],
                    "traceback": output["traceback"]}
        return None
    return None


@dataclass
class Run:
    """The state of one submission's kernel run (what was recorded, outputs, notes)."""

    cells: list
    master: object
    limits: object
    workdir: str
    deadline: float
    recorded: list = field(default_factory=list)      # exercises recorded, in notebook order
    record_index: dict = field(default_factory=dict)  # exercise -> index of its test cell
    notes: list = field(default_factory=list)
    peak_mb: float = 0.0
    kernel: object = None
    restarts: int = 0

    def start(self):
        """A fresh kernel, with what is left of the submission's time."""
        left = self.deadline - time.monotonic()
        if left <= 1:
            raise KernelDied("no time left for the submission")
        limits = self.limits
        if left < limits.notebook_timeout:
            from dataclasses import replace
            limits = replace(limits, notebook_timeout=left)
        self.kernel = Kernel(self.workdir, limits)
        return self.kernel

    def stop(self):
        """Close the kernel, keeping its peak memory."""
        if self.kernel is not None:
            self.kernel.close()
            self.peak_mb = max(self.peak_mb, self.kernel.peak_rss_mb())
            self.kernel = None


def run_cells(run, upto=None, budget=None):
    """Run ``run.cells[:upto]`` as grading needs; record each exercise at its test cell.

    With ``budget`` the outputs are kept in the cells (the first pass); a
    re-run after a kernel death keeps the first pass's outputs.  Raises
    ``KernelDied`` with ``index`` set to the cell being run.
    """
    master = run.master
    previous = None   # the last code cell the kernel was asked to run or record
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
            cell["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None


def probe_all(run, assignment, answers):
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
        try:
            answer = run.kernel.probe(
                master.probes[exercise], f"testing {exercise}",
                on_call=functools.partial(probe.answer_call, assignment, exercise))
        except KernelDied as exc:
            exc.exercise = exercise
            raise
        # Judged at once: only the verdict is kept, never the raw answers of every probe.
        answers[exercise] = verdict_of(assignment, exercise, points[exercise], answer)


def verdict_of(assignment, exercise, points, answer):
    """The verdict on the kernel's ``answer`` to ``exercise``'s probe (step 5)."""
    if answer.get("op") == "probe" and "error" not in answer:
        return judge.judge(assignment, exercise, points, answer.get("result"))
    if answer.get("status") == "interrupted":
        return judge.not_graded(assignment, exercise, points,
                                msg.HIDDEN_TESTS_INTERRUPTED)
    return judge.not_graded(assignment, exercise, points,
                            msg.HIDDEN_TESTS_COULD_NOT_RUN.format(
                                error=judge.exception_name(answer.get("error"))))


def execute(run, assignment, budget):
    """Steps 3 to 5 with the restarts: ``{exercise: Verdict | reason string}``.

    After a kernel death, a fresh kernel re-runs the cells up to the last test
    cell that is still to be judged (never the fatal cell or anything after
    it), with what is left of the submission's time, at most ``RESTARTS`` times.
    """
    answers = {}
    limit = None          # re-run cells[:limit]
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
                answers[exercise] = reason          # this exercise's probe killed it
            elif index is not None:
                # Nothing recorded at or after the fatal cell can be judged; before it, it can.
                run.recorded = [e for e in run.recorded if run.record_index[e] < index]
            else:
                return answers                      # the kernel could not even start
        finally:
            run.stop()
        first = False
        waiting = [e for e in run.recorded if e not in answers]
        if run.restarts >= RESTARTS or not waiting:
            return answers
        run.restarts += 1
        limit = max(run.record_index[e] for e in waiting) + 1
        run.recorded = []    # recorded again by the re-run


def render(nb, cells, verdicts, master):
    """The autograded notebook: the student's cells, each test cell showing its verdict.

    The notebook metadata is the release's: a student's metadata (e.g. a
    malformed ``language_info``) cannot break what reads the notebook later.
    """
    out = nbformat.v4.new_notebook()
    out.metadata = copy.deepcopy(master.release.metadata)
    out.cells = [nbformat.from_dict(c) for c in cells]
    for i, cell in enumerate(out.cells):
        cell["id"] = f"cell-{i}"  # restored and student cells may share ids
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
            gid = _grade_id(cell)
            if gid in verdicts:
                cell["outputs"] = [nbformat.from_dict(o) for o in _verdict_outputs(verdicts[gid])]
                cell["execution_count"] = None
    return nbformat.writes(out) + "\n"  # as nbgrader writes it: the same bytes by either path


def _verdict_outputs(verdict):
    outputs = [{"output_type": "stream", "name": "stdout", "text": verdict.message + "\n"}]
    if verdict.score < verdict.points:
        outputs.append({"output_type": "error", "ename": "HiddenTestsFailed",
                        "evalue": f"{verdict.exercise}: {verdict.score:g}/{verdict.points:g}",
                        "traceback": []})
    return outputs


def _clip_verdict(verdict, limits):
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


def grade_submission(student, path, assignment, master, limits, extra_notes=()):
    """Grade the notebook at ``path`` for ``student``; return a :class:`Result`."""
    started = time.monotonic()
    notes = list(extra_notes)
    try:
        nb = read_notebook(path, limits)
    except (OSError, ValueError) as exc:
        reason = str(exc)
        result = zero_result(student, assignment, master, reason, notes + [reason])
        result.seconds = time.monotonic() - started
        return result
    cells, more = normalize(nb, master)
    notes += more
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    workdir = tempfile.mkdtemp(prefix="grade-")
    run = Run(cells, master, limits, workdir, deadline=started + 2 * limits.notebook_timeout)
    try:
        for name, content in master.helpers.items():
            with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
                f.write(content)
        answers = execute(run, assignment, OutputBudget(limits.notebook_output_mb * 1024 * 1024))
    finally:
        run.stop()
        remove_tree(workdir)
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
    return Result(student, verdicts, notes, render(nb, cells, verdicts, master),
                  seconds=time.monotonic() - started, peak_rss_mb=run.peak_mb,
                  worker_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
