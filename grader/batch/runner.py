"""``python -m grader grade <id>``: every submission, in parallel, into the gradebook.

Submissions are graded by ``workers`` long-lived worker processes forked from
this one (each grades one submission at a time, in a sandboxed kernel of the
submission's own), or on a Dask cluster; this process alone
writes the autograded notebooks and the gradebook, one transaction per
submission, as results arrive.  Scores do not depend on the number of
workers or the order of completion.  A worker that dies (say, killed for
memory) costs only the submission it held: that student is reported as not
graded because of a grader error, and ``grade`` exits non-zero.
"""

import glob
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import sys
import threading
import time
import traceback

from grader import messages as msg
from grader.batch.progress import Progress
from grader.environment import prepare
from grader.ids import check_id, terminal
from grader.sandbox import launch as sandbox
from grader.sandbox import zygote


class RecordError(RuntimeError):
    """Some students were graded but their grades could not be recorded."""

    def __init__(self, students):
        super().__init__("could not record the grades of: " + ", ".join(students))
        self.students = students


class InvalidStudents(ValueError):
    """A run was asked for students whose ids are not valid: nothing was graded.

    Attributes
    ----------
    reasons : list of str
        One bilingual reason per refused id (naming it, escaped for a terminal).
    """

    def __init__(self, reasons):
        super().__init__(msg.NAMED_STUDENTS_INVALID.format(reasons="; ".join(reasons)))
        self.reasons = list(reasons)


# nbgrader's own files beside an exchange submission (``nbgrader submit`` writes them, collect
# keeps them), not the student's: no note names them, and they go beside the autograded
# notebook as nbgrader's autograde copies them, for generate_feedback to put beside the page
# and release_feedback to read (the secret names the page in the exchange).
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")
EXCHANGE_FILE_BYTES = 4096  # nbgrader's are a line each: anything larger is no such file


def discover(submitted, assignment, students=None):
    """Yield ``(student, notebook path or None, notes, timestamp)`` for each student folder.

    Parameters
    ----------
    submitted : str
        The folder of ``<student>/<assignment>/`` submissions.
    assignment : grader.course.assignment.Assignment
        The assignment whose folders are looked for.
    students : iterable of str, optional
        Look at these students' folders only (in id order, once each) and at
        nothing else of ``submitted``: a student without a folder is yielded
        with the note that the assignment folder is missing.  Default: every
        folder of ``submitted`` whose name is a valid id.

    Raises
    ------
    InvalidStudents
        When a named id is not valid (it would become a path).
    """
    if students is not None:
        check_students(students)
        for student in sorted(set(students)):
            yield _inspect(submitted, student, assignment)
        return
    if not os.path.isdir(submitted):
        return
    for student in sorted(os.listdir(submitted)):
        if check_id(student) or not os.path.isdir(os.path.join(submitted, student)):
            continue  # see rejected_ids()
        yield _inspect(submitted, student, assignment)


def check_students(students):
    """Refuse named students whose ids are not valid (before anything is read or written).

    Raises
    ------
    InvalidStudents
        Naming every invalid id with its reason.
    """
    reasons = [check_id(student) for student in students]
    if any(reasons):
        raise InvalidStudents([reason for reason in reasons if reason])


def _inspect(submitted, student, assignment):
    """``(student, notebook path or None, notes, timestamp)`` of one (valid) student's folder."""
    notebook_name = assignment.notebook
    assignment = assignment.id
    folder = os.path.join(submitted, student, assignment)
    notes, path = [], None
    if not os.path.isdir(folder):
        notes.append(msg.NO_ASSIGNMENT_FOLDER.format(assignment=assignment))
        return student, None, notes, None
    if _escapes(folder, os.path.join(submitted, student)):
        notes.append(msg.FOLDER_LINKS_OUTSIDE.format(assignment=assignment))
        return student, None, notes, None
    expected = os.path.join(folder, notebook_name)
    notebooks = sorted(p for p in glob.glob(os.path.join(folder, "*.ipynb")))
    if os.path.isfile(expected):
        path = expected
    elif len(notebooks) == 1:
        path = notebooks[0]
        notes.append(msg.NOTEBOOK_RENAMED.format(found=os.path.basename(path), expected=notebook_name))
    elif notebooks:
        notes.append(
            msg.SEVERAL_NOTEBOOKS.format(
                expected=notebook_name, found=", ".join(os.path.basename(p) for p in notebooks)
            )
        )
    else:
        notes.append(msg.NOTEBOOK_MISSING.format(expected=notebook_name))
    candidate = path
    if path is not None and _escapes(path, folder):
        notes.insert(0, msg.NOTEBOOK_LINKS_OUTSIDE)
        path = None
    extra = sorted(
        n for n in os.listdir(folder) if os.path.join(folder, n) != candidate and n not in EXCHANGE_FILES
    )
    if extra:
        notes.append(msg.OTHER_FILES_IGNORED.format(files=", ".join(extra[:10])))
    return student, path, notes, _timestamp(folder, notes)


def rejected_ids(submitted):
    """``[(escaped folder name, bilingual reason)]`` for folders of ``submitted`` that are no valid student id.

    Such folders are never graded (an id enters the gradebook, CSV exports and
    terminals); the hidden ones (``.name``) are reported too, so nothing is
    skipped silently.
    """
    if not os.path.isdir(submitted):
        return []
    return [
        (terminal(name), check_id(name))
        for name in sorted(os.listdir(submitted))
        if check_id(name)
        and os.path.isdir(os.path.join(submitted, name))
        and name not in (".ipynb_checkpoints",)
    ]


def _escapes(path, folder):
    """Whether ``path`` is a symlink or resolves outside ``folder`` (a student's own tree)."""
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return os.path.islink(path) or not (real == base or real.startswith(base + os.sep))


def parse_utc(text):
    """A timestamp as nbgrader's ``nbgrader.utils.parse_utc`` reads it: a naive UTC ``datetime``.

    The same rules (``"<date> <time> <zone name or numeric offset>"``, else anything
    ``dateutil`` parses), without importing ``nbgrader.utils`` (setuptools, tornado, nbformat:
    0.4 s before the first submission could be graded).
    """
    import dateutil.parser
    import dateutil.tz

    parts = text.split(" ")
    if len(parts) == 3:
        try:
            zone = int(parts[2])
        except ValueError:
            zone = dateutil.tz.gettz(parts[2])
        ts = dateutil.parser.parse(" ".join(parts[:2] + ["TZ"]), tzinfos={"TZ": zone})
    else:
        ts = dateutil.parser.parse(text)
    if ts.tzinfo is not None:
        ts = (ts - ts.utcoffset()).replace(tzinfo=None)
    return ts


def _timestamp(folder, notes):
    """The submission time from nbgrader's ``timestamp.txt``, or ``None`` (with a note if unreadable)."""
    stamp = os.path.join(folder, "timestamp.txt")
    if not os.path.isfile(stamp) or _escapes(stamp, folder):
        return None
    try:
        with open(stamp, encoding="utf-8", errors="replace") as f:
            return parse_utc(f.read(200).strip())
    except (ValueError, OverflowError, TypeError) as exc:
        notes.append(msg.TIMESTAMP_UNREADABLE.format(error=type(exc).__name__))
        return None


def grade_one(student, path, notes, assignment, master, limits, seed=None):
    """Grade one discovered submission (``path`` None: not gradable, the reason first in ``notes``).

    ``seed``: the submission's seed of its hidden inputs (default: derived here from the course
    secret, ``assignment.submission_seed``).
    """
    from grader.pipeline.grade import grade_submission
    from grader.pipeline.result import zero_result

    if path is None:
        reason = notes[0] if notes else "no notebook"
        return zero_result(student, assignment, master, reason, notes)
    try:
        return grade_submission(student, path, assignment, master, limits, notes, seed=seed)
    except Exception as exc:  # the grader's own failure: this student only, reported as such
        error = f"{type(exc).__name__}: {exc}"
        # Out of processes (EAGAIN) even after the retries: say so, not "a grader error".
        reason = (msg.FORK_FAILED if isinstance(exc, BlockingIOError) else msg.GRADER_ERROR).format(
            error=error
        )
        result = zero_result(student, assignment, master, reason, list(notes) + [reason], grader_error=True)
        result.notes.append(traceback.format_exc(limit=5)[-2000:])
        return result


def limit_own_memory(limits):
    """Bound this process's address space to what it holds now plus ``limits.grader_memory_mb``.

    What one submission can make the grading worker hold (answers, callee
    results it asks for) then ends in a ``MemoryError`` for that submission,
    never in an out-of-memory kill of the machine's other work.  Only the soft
    limit is set, so the kernel the worker starts can still be given its own.
    """
    if limits is None:
        return
    try:
        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = size + limits.grader_memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _serve(jobs, results, first, assignment, master, limits, mine=None, others=()):
    """Body of a slot's worker: grade ``first``, then each job it is sent, until its pipe closes.

    A job is ``((student, path, notes, timestamp), seed)``; each result is sent as it is
    made.  ``mine`` is the run's zygote (its kernels are forked from it, beside the other
    workers'); the other workers' pipes (``others``), inherited with the fork, are not its
    to use: closed here, so that a retired worker sees the end of its own pipe.
    """
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        # Orphans of the kernel (a process that detached itself) become this worker's, whatever the
        # sandbox: none of them outlives the submission (with a cgroup or bubblewrap, they are gone already).
        sandbox.become_subreaper()
        for connection in others:
            connection.close()
        zygote.install(mine)
        limit_own_memory(limits)
        job = first
        while job is not None:
            (student, path, notes, _), seed = job
            result = grade_one(student, path, notes, assignment, master, limits, seed)
            sandbox.kill_descendants()  # before its result: the next submission starts with nothing left
            results.send(result)
            try:
                job = jobs.recv()
            except EOFError:
                job = None  # retired by the main process
    finally:
        try:
            sandbox.kill_descendants()
        finally:
            os._exit(0)


FORK_ATTEMPTS = 6  # forks tried for one submission's worker before it is reported not graded
FORK_BACKOFF = 0.25  # seconds before the second try when no worker runs; doubled each time


class Worker:
    """A slot's grading process, forked once and sent job after job (see :func:`_serve`)."""

    def __init__(self, context, first, assignment, master, limits, mine, others):
        self.zygote = mine  # the zygote its kernels come from (None: cold)
        jobs_r, self.jobs = context.Pipe(duplex=False)
        self.results, results_w = context.Pipe(duplex=False)
        # The worker closes this process's ends of its own pipes too: else it never reads their end.
        others = [*others, self.jobs, self.results]
        self.process = context.Process(
            target=_serve,
            args=(jobs_r, results_w, first, assignment, master, limits, mine, others),
            daemon=True,
        )
        try:
            self.process.start()
        except BaseException:
            for connection in (self.jobs, self.results):
                connection.close()
            raise
        finally:
            jobs_r.close()
            results_w.close()
        self.graded = 1  # its first job

    def send(self, job):
        """Hand it its next job (``OSError`` when it is gone)."""
        self.jobs.send(job)
        self.graded += 1

    def connections(self):
        return (self.jobs, self.results)

    def retire(self):
        """Let it finish (the end of its pipe) and forget it; :meth:`reap` collects it."""
        for connection in self.connections():
            connection.close()

    def reap(self, timeout=5.0):
        """Wait for its end (a worker that does not end is killed)."""
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class Slots:
    """The worker slots of a forked run: each has a long-lived worker; warm, they share a zygote.

    A slot's worker grades :data:`WORKER_JOBS` submissions, then a fresh worker takes
    its place (after a grader error or its death, at once).  Warm, every worker forks its
    kernels from the run's one zygote (its answers come on each request's own socket);
    after ``KERNELS_PER_ZYGOTE`` kernels, or when it died, the workers that use it take
    no more jobs and the next worker started gets a fresh zygote: the per-run hygiene of
    a zygote's shared hash secret and address layout.  A zygote no new worker gets is let
    go by this process at once (it ends when the last worker that holds it does); every
    worker and zygote is stopped at the end (:meth:`close`).
    """

    def __init__(self, count, master, limits, warm=True, started=None):
        self.files = {name: content.encode("utf-8") for name, content in master.helpers.items()}
        self.cells = master.code_sources()
        self.probes = master.probe_sources()
        self.limits = limits
        self.warm = warm
        self.zygote = self._adopt(started) if warm else None
        if started is not None and started is not self.zygote:
            started.close()
        self.successor = None  # the zygote started before the current one is due (successor_due)
        self.old = []  # zygotes no new worker gets, stopped at the end
        self.workers = [None] * count
        self.retired = []

    def _start(self):
        try:
            return zygote.Zygote(self.files, self.limits, self.cells, self.probes)
        except OSError:
            return None  # the kernels are cold

    def _adopt(self, started):
        """The run's first zygote: ``started`` (see :func:`early_zygote`), primed, if it serves these files."""
        if started is None or not started.serves(self.files):
            return self._start()
        started.prime(self.cells, self.probes)
        return started

    @staticmethod
    def _spent(current):
        return current is not None and (not current.alive() or current.kernels >= zygote.KERNELS_PER_ZYGOTE)

    def fresh_zygote(self):
        """The zygote for the next worker: a new one (the successor, if started) when the current one is due or died."""
        current = self.zygote
        if self._spent(current):
            current.close_socket()  # it ends with the last worker that holds it
            self.old.append(current)
            successor, self.successor = self.successor, None
            if successor is not None and not successor.alive():
                self.old.append(successor)
                successor = None
            current = self.zygote = successor or self._start()
        return current

    def successor_due(self, remaining):
        """Whether to start the next zygote now, ``remaining`` jobs being left to hand out.

        A zygote boots in about 0.2 s: started once the current one has at most
        :data:`SUCCESSOR_LEAD` kernels left to make, it is ready when the workers turn to it,
        instead of each of them waiting for its boot.  Never for jobs the current one serves.
        """
        current = self.zygote
        return (
            self.successor is None
            and current is not None
            and current.alive()
            and current.kernels >= zygote.KERNELS_PER_ZYGOTE - SUCCESSOR_LEAD
            and current.kernels + remaining > zygote.KERNELS_PER_ZYGOTE
        )

    def start_successor(self):
        self.successor = self._start()

    def worker(self, index):
        """The slot's worker if it may take another job, else ``None`` (it is retired)."""
        current = self.workers[index]
        if current is not None and (
            current.graded >= WORKER_JOBS or not current.process.is_alive() or self._spent(current.zygote)
        ):
            self.retire(index)
            current = None
        return current

    def start(self, index, context, first, assignment, master, limits):
        """Fork the slot's worker with its ``first`` job (``OSError`` when the fork fails)."""
        mine = self.fresh_zygote()
        others = [c for w in self.workers if w is not None for c in w.connections()]
        self.workers[index] = Worker(context, first, assignment, master, limits, mine, others)
        if mine is not None:
            mine.kernels += 1  # counted here: a worker counts only its own copy
        return self.workers[index]

    def sent(self, index):
        """The slot's worker was handed one more job."""
        current = self.workers[index].zygote
        if current is not None:
            current.kernels += 1

    def retire(self, index):
        """The slot's worker takes no more jobs."""
        current, self.workers[index] = self.workers[index], None
        if current is not None:
            current.retire()
            self.retired.append(current)

    def close(self):
        """Stop every worker (one still grading is killed) and every zygote."""
        for index, current in enumerate(self.workers):
            if current is not None:
                self.retire(index)
        for current in self.retired:
            current.reap()
        for current in [*self.old, self.zygote, self.successor]:
            if current is not None:
                current.close()


# Submissions one worker process grades before a fresh one takes its slot.
WORKER_JOBS = zygote.KERNELS_PER_ZYGOTE
# Kernels left to the current zygote when its successor is started: what two workers grade in
# about 0.5 s, twice a zygote's boot on a busy 2-core machine.
SUCCESSOR_LEAD = 16


def early_zygote(assignment_id, limits):
    """The zygote of a run's warm kernels, started before anything else of the run (or ``None``).

    A zygote needs only the release's helpers and the limits: started first, it boots on
    the second core while this process imports numpy and nbformat and loads the
    assignment, instead of after (about 0.4 s of a 2-core run's wall time).  Its cells and
    probes follow when the workers start (:meth:`Slots._adopt`, which also checks it
    serves the helpers the run loaded).  ``None`` for an unknown assignment (loading it
    says so) or when it cannot be started (the kernels are then started as usual).
    """
    from grader.course import assignment

    if assignment_id not in assignment.ids():
        return None
    try:
        files = assignment.release_helpers(assignment.release_dir(assignment_id))
        return zygote.Zygote({name: text.encode("utf-8") for name, text in files.items()}, limits)
    except OSError:
        return None


class _Background:
    """``task()`` in a thread of this process, whose end can be waited for beside the workers' pipes.

    The main process's set-up for the results (the gradebook: asking whether the assignment is
    registered and opening it; on PostgreSQL, importing SQLAlchemy and nbgrader's models, about
    0.25 s of CPU) runs while it hands out jobs, instead of keeping the first workers waiting
    for their second.  No process is forked while it runs
    (:meth:`wait` first): a fork in the middle of another thread's import would give the
    child a module half made and its lock held by a thread the child does not have.
    """

    SWITCH_INTERVAL = 0.001  # seconds: a result wakes this process's loop at once, not after 5 ms

    def __init__(self, task):
        self._task = task
        self._error = None
        self._ended, self._end = os.pipe()
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, self.SWITCH_INTERVAL))
        self._thread = threading.Thread(target=self._run, name="grader-results-setup", daemon=True)
        self._thread.start()

    def _run(self):
        try:
            self._task()
        except BaseException as exc:  # raised by wait(), in the main thread
            self._error = exc
        finally:
            os.write(self._end, b"!")

    def fileno(self):
        """Readable once the task has ended (for ``multiprocessing.connection.wait``)."""
        return self._ended

    def done(self):
        return self._thread is None or not self._thread.is_alive()

    def wait(self):
        """Wait for the task's end (once); raise what it raised."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            os.close(self._ended)
            os.close(self._end)
            sys.setswitchinterval(self._interval)
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def forked(
    jobs, workers, assignment, master, limits, seeds=None, while_starting=None, warm=False, started=None
):
    """Yield ``(student, result)`` for each job, graded by up to ``workers`` forked worker processes.

    Each worker slot forks one long-lived worker (:class:`Slots`), which grades the
    submissions it is sent one at a time: a fork per worker, not per submission.  A
    worker that dies costs only the submission it held (``msg.WORKER_DIED``); a fresh
    one takes its slot.  A fork that fails (the machine or this user is out of
    processes) is tried again once a running worker is done, or, when none runs, after
    a growing pause, at most :data:`FORK_ATTEMPTS` times for one submission; then that
    submission alone is reported as not graded (``msg.FORK_FAILED``).
    ``seeds``: ``{student: seed}`` of the hidden inputs (a student left out: derived in the worker).
    ``while_starting()`` is called once, after the first workers were started, in a thread
    (:class:`_Background`): what the main process needs only for the results (the
    gradebook) is done while they grade, and no result is yielded before it is done.
    ``warm``: fork the kernels from a zygote the workers share (``started``, if given and
    fit: :func:`early_zygote`; it is closed in any case when they are done).
    Workers still running when the caller stops (an exception) are killed.
    """
    jobs = list(jobs)
    # No more slots than submissions: `grade --student` (nbgrader's autograde) starts one.
    slots = Slots(max(1, min(workers, len(jobs))), master, limits, warm=warm and bool(jobs), started=started)
    try:
        yield from _forked(jobs, assignment, master, limits, seeds or {}, while_starting, slots)
    finally:
        slots.close()


def _forked(jobs, assignment, master, limits, seeds, while_starting, slots):
    from grader.pipeline.result import zero_result

    context = multiprocessing.get_context("fork")
    pending = list(jobs)
    failed_forks = {}  # student -> forks that failed for it while no worker ran
    idle = list(range(len(slots.workers)))
    busy = {}  # slot -> student

    def hand_out(quiet):
        """Give idle slots pending jobs; yield the submissions no worker could be forked for.

        ``quiet()`` is called before a worker is forked.
        """
        while pending and idle:
            # A slot whose worker can take the job first: a fork is needed only when none can.
            ready_slots = [i for i in idle if slots.worker(i) is not None]
            index = (ready_slots or idle)[0]
            job, current = pending[0], slots.workers[index]
            work = (job, seeds.get(job[0]))
            try:
                if current is None:
                    quiet()
                    slots.start(index, context, work, assignment, master, limits)
                else:
                    current.send(work)
                    slots.sent(index)
            except OSError as exc:
                if current is not None:  # it ended between two jobs: a fresh one next time
                    slots.retire(index)
                    continue
                if busy:  # out of processes (EAGAIN), e.g. a fork bomb beside it: once one is done
                    return
                tries = failed_forks[job[0]] = failed_forks.get(job[0], 0) + 1
                if tries >= FORK_ATTEMPTS:
                    pending.pop(0)
                    reason = msg.FORK_FAILED.format(error=f"{type(exc).__name__}: {exc}")
                    yield job[0], zero_result(job[0], assignment, master, reason, grader_error=True)
                    continue
                time.sleep(FORK_BACKOFF * 2 ** (tries - 1))  # nothing will end to free a process
                return
            pending.pop(0)
            idle.remove(index)
            busy[index] = job[0]
            if slots.successor_due(len(pending)):
                quiet()
                slots.start_successor()

    background = None
    held = []  # results that came while the background task ran: the caller needs what it makes

    def quiet():
        """Before a fork (a worker, a zygote): no other thread of this process runs."""
        if background is not None:
            background.wait()

    while pending or busy:
        yield from hand_out(quiet)
        if while_starting is not None:
            background = _Background(while_starting)
            while_starting = None
        if not busy:
            continue
        running = {index: slots.workers[index] for index in busy}
        waiting = [w.results for w in running.values()] + [w.process.sentinel for w in running.values()]
        if background is not None:
            if background.done():
                quiet()  # raises what it raised, before any wait for the workers
            else:
                waiting.append(background)
        ready = multiprocessing.connection.wait(waiting)
        done = []
        for index, current in running.items():
            if current.results not in ready and current.process.sentinel not in ready:
                continue
            result = None
            try:
                if current.results.poll():
                    result = current.results.recv()
            except (EOFError, OSError):
                result = None
            student = busy.pop(index)
            idle.append(index)
            if result is None:
                slots.retire(index)
                current.process.join()
                code = current.process.exitcode
                how = (
                    f"killed by {signal.Signals(-code).name}" if code and code < 0 else f"exit status {code}"
                )
                result = zero_result(
                    student, assignment, master, msg.WORKER_DIED.format(how=how), grader_error=True
                )
            elif result.grader_error:
                slots.retire(index)  # a worker that failed (a MemoryError, say) grades nothing more
            done.append((student, result))
        # The workers get their next submissions before these results are handed on: the caller
        # writes the gradebook (a commit waits for the disk) while they grade.
        yield from hand_out(quiet)
        held += done
        if background is None or background.done():
            quiet()
            yield from held
            held = []
    if while_starting is not None:  # no job at all: called all the same
        while_starting()
    quiet()
    yield from held


def grade_remote(student, data_notes, assignment_id, limits, seed=None, warm=False):
    """The task a Dask worker runs (the submission travels as its bytes; the worker has the course).

    ``seed`` comes from the scheduling process, so that a worker on another machine (another
    checkout, another course secret) draws the same hidden inputs.
    ``warm``: fork the kernels from this worker process's zygote, where the worker's machine
    allows warm kernels (``grader.sandbox.launch.warm_kernels``).
    """
    import tempfile

    from grader.course.assignment import load
    from grader.pipeline.grade import prepared_master

    assignment = load(assignment_id)
    master = prepared_master(assignment)
    if warm and sandbox.warm_kernels():  # one zygote per Dask worker process, as per forked run
        files = {name: content.encode("utf-8") for name, content in master.helpers.items()}
        zygote.install(zygote.shared(files, limits, master.code_sources(), master.probe_sources()))
    data, notes = data_notes
    if data is None:
        return grade_one(student, None, notes, assignment, master, limits, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, assignment.notebook)
        with open(path, "wb") as f:
            f.write(data)
        return grade_one(student, path, notes, assignment, master, limits, seed)


def copy_exchange_files(submitted, autograded, student, assignment_id):
    """Put the submission's :data:`EXCHANGE_FILES` beside its autograded notebook (or remove stale ones).

    Only regular files inside the student's folder, of at most
    :data:`EXCHANGE_FILE_BYTES`, are copied; a name the submission no longer has
    is removed from ``autograded`` so that an old secret never outlives its submission.
    """
    from grader.pipeline.report_file import write_atomic

    source = os.path.join(submitted, student, assignment_id)
    dest = os.path.join(autograded, student, assignment_id)
    for name in EXCHANGE_FILES:
        path, target = os.path.join(source, name), os.path.join(dest, name)
        if (
            os.path.isfile(path)
            and not _escapes(path, source)
            and os.path.getsize(path) <= EXCHANGE_FILE_BYTES
        ):
            with open(path, encoding="utf-8", errors="replace") as f:
                write_atomic(target, f.read(EXCHANGE_FILE_BYTES))
        elif os.path.isfile(target):
            os.unlink(target)


def save(result, autograded, gb, timestamp, assignment, write_notebook=True):
    """Write a result's autograded notebook and grading report, then its gradebook rows."""
    from grader.batch.gradebook import record
    from grader.pipeline.report_file import GradingReport, write_atomic

    folder = os.path.join(autograded, result.student, assignment.id)
    if result.notebook and write_notebook:
        write_atomic(os.path.join(folder, assignment.notebook), result.notebook)
    GradingReport.of(result, assignment).write(autograded)
    record(gb, result, assignment.id, timestamp)


class GraderErrors(RuntimeError):
    """Some submissions could not be graded (a grader error, or a folder that is no valid student id)."""

    def __init__(self, students, rejected=()):
        parts = []
        if students:
            parts.append(
                msg.NOT_GRADED_GRADER_ERROR.format(students=", ".join(terminal(s) for s in students))
            )
        parts += [f"{msg.NOT_GRADED}: {name}: {reason}" for name, reason in rejected]
        super().__init__("; ".join(parts))
        self.students = list(students)
        self.rejected = list(rejected)


def run(
    submitted,
    autograded,
    db_url,
    assignment_id,
    workers=None,
    scheduler=None,
    limits=None,
    quiet=False,
    students=None,
    secret=None,
):
    """Grade every submission of ``assignment_id``; return the results (in student order).

    ``students``: grade only these (as nbgrader's ``autograde --student`` does).
    Such a partial run touches only those students: it looks at no other
    folder of ``submitted`` (an unrelated bad folder neither stops it nor is
    reported) and leaves the class's run summary
    (``grader.pipeline.report_file.RunSummary``, read by the class report) as the
    last full run wrote it.

    Each student's hidden inputs are drawn from their own seed, derived here
    (``grader.course.secret``) from ``secret`` (default: the course secret of
    the course root, made on first need), the assignment's id and the student's.

    Raises :class:`grader.sandbox.launch.SandboxUnavailable` (before anything
    is done) where students' code cannot be isolated and nobody opted in
    (``GRADER_ALLOW_UNISOLATED=1``), :class:`InvalidStudents` (also before
    anything is done) when a named student's id is not valid, :class:`RecordError` when grades could not be
    recorded and :class:`GraderErrors` when the grader failed on some
    submissions (after recording everything else).
    """
    from grader.limits import Limits
    from grader.sandbox import cgroups

    if students is not None:
        check_students(students)
    unisolated = sandbox.require_isolation()  # refuses before anything is written
    started = time.monotonic()
    cgroups.sweep()
    limits = limits or Limits.load()  # the Dask workers and forked workers get these very limits
    warm = sandbox.warm_kernels()
    early = early_zygote(assignment_id, limits) if warm and not scheduler and _any_entry(submitted) else None
    try:
        return _run(
            submitted,
            autograded,
            db_url,
            assignment_id,
            workers,
            scheduler,
            limits,
            quiet,
            students,
            secret,
            how=(unisolated, started, warm, early),
        )
    finally:
        if early is not None:
            early.close()  # idempotent: the workers' slots close it when they are done


def _any_entry(folder):
    """Whether ``folder`` has anything in it (a run with nothing to grade starts no zygote)."""
    try:
        with os.scandir(folder) as entries:
            return any(True for _ in entries)
    except OSError:
        return False  # discovery says what is wrong with it


def _run(
    submitted, autograded, db_url, assignment_id, workers, scheduler, limits, quiet, students, secret, how
):
    """The body of :func:`run`, once the sandbox is known and the run's zygote started."""
    from grader.course import secret as course_secret
    from grader.course.assignment import load
    from grader.pipeline.grade import prepared_master

    unisolated, started, warm, early = how
    assignment = load(assignment_id)
    master = prepared_master(assignment)
    jobs = list(discover(submitted, assignment, students))
    if secret is None:
        secret = course_secret.load(assignment.root)
    seeds = {student: assignment.submission_seed(student, secret) for student, _, _, _ in jobs}
    out = sys.stderr
    # On every path, quiet or not (nbgrader's autograde logs it): what holds is never silent.
    print(sandbox.protections_line(), file=out)
    if unisolated:
        print(unisolated, file=out)
    gradebook = []

    def open_the_gradebook():
        # The gradebook is needed only for the results: the forked workers are grading meanwhile
        # (a few ms on a SQLite file; elsewhere SQLAlchemy and nbgrader's models, 0.2 s of CPU).
        from grader.batch.gradebook import open_gradebook, register

        register(assignment, db_url, master)
        gradebook.append(open_gradebook(db_url))

    results, failures = {}, []
    progress = Progress(len(jobs), out if not quiet else None)
    stamps = {student: stamp for student, _, _, stamp in jobs}
    workers = workers or os.cpu_count() or 1
    try:
        if scheduler:
            open_the_gradebook()
            completed = _dask(scheduler, jobs, assignment, limits, seeds, warm=warm)
        else:
            completed = forked(
                jobs,
                workers,
                assignment,
                master,
                limits,
                seeds,
                while_starting=open_the_gradebook,
                warm=warm,
                started=early,
            )
        for student, result in completed:
            gb = gradebook[0]
            try:
                save(result, autograded, gb, stamps.get(student), assignment)
                copy_exchange_files(submitted, autograded, student, assignment.id)
            except Exception as exc:  # one unrecordable result must not cost the rest of the batch
                failures.append(student)
                print(
                    f"\n{terminal(student)}: " + msg.GRADES_NOT_RECORDED.format(error=terminal(repr(exc))),
                    file=out,
                )
            results[student] = result
            progress.step(student)
    finally:
        progress.close()
        for gb in gradebook:
            gb.close()
    if students is None:  # a partial run's few submissions would misdescribe the class's run
        from grader.pipeline.report_file import RunSummary

        RunSummary(
            assignment.id,
            len(results),
            round(time.monotonic() - started, 2),
            None if scheduler else workers,
            scheduler,
            limits.as_dict(),
            sandbox.protections(),
        ).write(autograded)
    if failures:
        raise RecordError(failures)
    ordered = [results[s] for s in sorted(results)]
    broken = [r.student for r in ordered if r.grader_error]
    rejected = rejected_ids(submitted) if students is None else []
    if broken or rejected:
        raise GraderErrors(broken, rejected)
    return ordered


def _dask(scheduler, jobs, assignment, limits, seeds, warm=False):
    from distributed import Client, as_completed

    client = Client(scheduler)
    try:
        # A worker is a process of its own that no entry point set up; run before the first
        # task, whose unpickling imports nbformat (see grader.environment.prepare).
        client.run(prepare)
        futures = {}
        for student, path, notes, _ in jobs:
            data = None
            if path is not None:
                with open(path, "rb") as f:
                    data = f.read()
            futures[
                client.submit(
                    grade_remote,
                    student,
                    (data, notes),
                    assignment.id,
                    limits,
                    seeds[student],
                    warm,
                    key=f"grade-{student}",
                    pure=False,
                )
            ] = student
        for future in as_completed(list(futures)):
            student = futures[future]
            try:
                yield student, future.result()
            except Exception as exc:  # a lost Dask worker costs that student, reported as such
                from grader.pipeline.grade import prepared_master
                from grader.pipeline.result import zero_result

                reason = msg.GRADER_ERROR.format(error=repr(exc))
                yield (
                    student,
                    zero_result(student, assignment, prepared_master(assignment), reason, grader_error=True),
                )
    finally:
        client.close()
