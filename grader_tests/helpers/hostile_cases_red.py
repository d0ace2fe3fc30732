"""Red-team additions to the adversarial catalog (issue 10): attacks that succeeded.

Same shape as ``hostile_cases.py``: each :class:`hostile_cases.Case` writes one
student's submission and states the scores a *correct* grader gives it, and
(``check``) what else must hold.  Every case here failed on the branch it was
written against (see the red-team report): the comment above each one names
the class of the attack and the place in the engine that let it through.
"""

import json
import os
import re

from grader_tests.helpers import hostile_cases as hc
from grader_tests.helpers.hostile_cases import (
    Case,
    full,
    full_except,
    insert_after,
    insert_before,
    set_solution,
    solved,
    writes,
)

# --------------------------------------------------------------------------- (b) hidden inputs out of a probe
# The probe reports ``type(exc).__name__`` of an exception the student's function raised
# (grader/pipeline/probe.py, _TEMPLATE: ``results.append({"error": type(exc).__name__})``), and the
# verdict echoes it as long as it looks like an identifier (grader/pipeline/judge.py, exception_name
# and _problem: "raised {error}").  A class name is student-made text: built from the hidden
# inputs, it carries them into the autograded notebook and the feedback (61 characters per
# case; every float of a case fits in a few cases).
LEAK_BY_EXCEPTION_NAME = """
def func_layer_sizes(X, Y):
    import struct
    bits = struct.unpack('<Q', struct.pack('<d', float(X.flat[0])))[0]
    name = 'LEAK_%d_%d_%d_%d_%d' % (X.shape[0], X.shape[1], Y.shape[0], Y.shape[1], bits)
    raise type(name, (Exception,), {})()
"""


def _no_leak(result, paths):
    # the source says 'LEAK_%d...': only digits after the prefix are leaked values
    texts = [v.message for v in result.verdicts.values()] + list(result.notes) + [result.notebook]
    leaked = [m.group(0) for t in texts for m in re.finditer(r"LEAK_m?\d[\dmp_]*", t)]
    assert not leaked, leaked[:3]


# The same channel carries what a profiler saw.  ``sys.setprofile`` in a cell stays active
# in the kernel's main thread during every later probe (grader/sandbox/kernel_child.py runs them on
# that thread), so "no student cell runs after the first probe" does not keep student code
# from seeing the other exercises' probes: the hook reads func_backward_propagation's probe
# source (its hidden inputs) from the kernel's frames, and func_predict, probed last, leaks
# them through its exception names.
PROFILE_SPY = """
import sys
_seen = []
def _spy(frame, event, arg):
    if event == 'call' and frame.f_code.co_name == '__probe__':
        request = frame.f_back.f_locals.get('request') if frame.f_back else None
        if isinstance(request, dict) and "'func_backward_propagation', ()" in request.get('code', ''):
            _seen.append(request['code'])
sys.setprofile(_spy)
"""
LEAK_THROUGH_PREDICT = """
def func_predict(parameters, X):
    import re
    numbers = re.findall(r'-?\\d+\\.\\d+', _seen[0].split('__nd__', 2)[2]) if _seen else ['none']
    raise type('LEAK_' + '_'.join(n.replace('-', 'm').replace('.', 'p') for n in numbers[:3]),
               (Exception,), {})()
"""


def _leak_by_profiler(paths):
    nb = insert_before(solved(), "func_layer_sizes", PROFILE_SPY)
    return set_solution(nb, "func_predict", LEAK_THROUGH_PREDICT)


def _leak_by_exception_name(paths):
    return set_solution(solved(), "func_layer_sizes", LEAK_BY_EXCEPTION_NAME)


# --------------------------------------------------------------------------- (d) grading process's memory
# A callee stub's *arguments* are bounded (grader/pipeline/probe.py, answer_call: MAX_CALL_ELEMENTS), its
# *result* is not: three integers ask the grading worker for a 3000 x 3000 reference array
# (``func_initialize_parameters(3000, 3000, 1)``), which it computes, turns into a Python list
# (``encode``: ``ravel().tolist()``) and a JSON text (grader/sandbox/kernel.py, _request:
# ``json.dumps(reply)``), all in the worker, outside the kernel's memory limit and cgroup.
# 50,000 calls were answered per probe (now Limits.callee_calls) and nothing bounded the size asked for.
AMPLIFY_N = 3000
AMPLIFY = """
_reference_nn_model = func_nn_model
def func_nn_model(*args, **kwargs):
    try:
        func_initialize_parameters({n}, {n}, 1)   # a callee stub during the probe
    except BaseException:
        pass
    return _reference_nn_model(*args, **kwargs)
"""


def _amplify(paths):
    nb = solved()
    source = hc.solution_sources()["func_nn_model"] + "\n" + AMPLIFY.format(n=AMPLIFY_N)
    return set_solution(nb, "func_nn_model", source)


def _worker_memory_bounded(result, paths):
    # A correct solution's worker peaks at ~130 MB; a 3000 x 3000 float array alone is 72 MB.
    assert result.worker_rss_mb < 300, result.worker_rss_mb


# --------------------------------------------------------------------------- (d) one notebook stops every page
# The feedback's decision-boundary run (grader/pages/feedback.py, student_boundary) accepts any probe
# answer with the request's seq; the student's func_nn_model, running in that probe, finds the
# seq in the kernel's frames and writes the answer itself, with integers too large for a float.
# boundary.decode checks ``isinstance(v, (int, float))`` and then ``np.asarray(grid, dtype=float)``
# raises OverflowError, which student_boundary does not catch (only KernelDied and ValueError):
# it leaves ``pool.map`` in feedback.generate, and no student gets a summary.
FEEDBACK_OVERFLOW = """
_reference_nn_model = func_nn_model
def func_nn_model(*args, **kwargs):
    if kwargs.get('num_epochs') == 10000:   # the feedback's decision-boundary run, no hidden case
        import sys, os, json, struct
        frame = sys._getframe()
        while frame is not None and not ('seq' in frame.f_locals and 'request' in frame.f_locals):
            frame = frame.f_back
        data = json.dumps({'op': 'probe', 'seq': frame.f_locals['seq'],
                           'result': {'grid': [10 ** 400] * 6400, 'train': [0] * 400}}).encode()
        os.write(3, struct.pack('>I', len(data)) + data)
    return _reference_nn_model(*args, **kwargs)
"""


def _boundary_refuses_forged(result, paths):
    """Grading is unaffected (full marks); the feedback extra must refuse the forged answer
    with the ValueError that the feedback run reports as "the model did not run"."""
    import pytest

    from grader.course.assignment import load

    extra = load("L1W3").spec.feedback
    forged = {"grid": [10**400] * extra.GRID**2, "train": [0] * extra.SAMPLES}
    with pytest.raises(ValueError):
        extra.decode(forged)


def _feedback_overflow(paths):
    nb = solved()
    source = hc.solution_sources()["func_nn_model"] + "\n" + FEEDBACK_OVERFLOW
    return set_solution(nb, "func_nn_model", source)


# --------------------------------------------------------------------------- (d) malformed cell metadata
# nbformat.reads only warns on an invalid notebook (grader/pipeline/grade.py, read_notebook), and the
# student's own cells keep their metadata (normalize).  ``"tags": 5`` then makes
# master.is_exploratory (grader/course/cells.py: ``EXPLORATORY in ....get("tags", [])``) raise
# TypeError in run_cells: the student is recorded as a *grader error* and ``grade`` exits
# non-zero for the whole class, every run, for a notebook that is correct.
def _tags_not_a_list(paths):
    nb = insert_after(solved(), hc.values_id("func_predict"), "x = 1")
    nb.cells[hc.index_of(nb, hc.values_id("func_predict")) + 1].metadata["tags"] = 5
    return nb


def _not_a_grader_error(result, paths):
    assert not result.grader_error, result.notes


# --------------------------------------------------------------------------- (d) the per-cell limit
# Every frame the kernel writes restarts the deadline of the request being answered
# (grader/sandbox/kernel.py, _request calls _read, whose deadline is ``now + timeout + grace`` each time,
# and frames with another seq are skipped).  A thread writing a junk frame every second, with
# SIGALRM ignored, keeps a cell running until the whole notebook's deadline instead of
# cell_timeout + grace; and since Run.deadline is submission_timeout, 2 x notebook_timeout by default
# (grader/pipeline/grade.py, grade_submission), a probe doing the same after a restart holds the
# worker twice as long.
JUNK_FRAMES = """
import os, signal, struct, threading, time
signal.signal(signal.SIGALRM, signal.SIG_IGN)
def _junk():
    while True:
        os.write(3, struct.pack('>I', 2) + b'{}')
        time.sleep(1)
threading.Thread(target=_junk, daemon=True).start()
while True:
    time.sleep(1)
"""


def _junk_frames(paths):
    return insert_after(solved(), hc.values_id("func_predict"), JUNK_FRAMES)


def _stopped_at_cell_limit(result, paths):
    assert any("did not stop within" in n for n in result.notes), result.notes


# --------------------------------------------------------------------------- (d) memory held per submission
# Each probe answer may be max_message_mb (16 MB) and is parsed (grader/sandbox/kernel.py, _read:
# json.loads) and kept in ``answers`` until every exercise is judged (grader/pipeline/grade.py, execute);
# probe.decode bounds depth but not width.  A forged answer made of empty lists costs ~56 bytes
# of the grading worker's memory per 3 bytes sent, for each of the eight exercises.
FORGE_WIDE = """
import os, sys, struct
def _forge_wide(*args, **kwargs):
    frame = sys._getframe()
    while frame is not None and not ('seq' in frame.f_locals and 'request' in frame.f_locals):
        frame = frame.f_back
    head = b'{"op": "probe", "seq": %d, "result": [' % frame.f_locals['seq']
    body = head + b'[],' * (5 * 1024 * 1024 - len(head) // 3) + b'[]]}'
    os.write(3, struct.pack('>I', len(body)) + body)
    raise RuntimeError('forged')
"""


def _forge_wide(paths):
    nb = hc.released()
    insert_before(nb, hc.EXERCISES[0], FORGE_WIDE)
    for exercise in hc.EXERCISES:
        set_solution(nb, exercise, f"{exercise} = _forge_wide")
    return nb


# --------------------------------------------------------------------------- (b) host paths inside the sandbox
# bubblewrap passes its options by descriptor (issue 10, item 15), but the kernel's
# /proc/self/mountinfo names the source of every bind mount: the course's virtualenv
# (the course root's path) and the grader's temporary folder on the host.
MOUNTINFO = """
print(open('/proc/self/mountinfo').read())
"""


def _mountinfo(paths):
    return insert_after(solved(), hc.values_id("func_predict"), MOUNTINFO)


def _no_host_paths(result, paths):
    """The grader's temporary folder never shows (the helpers are copied in, not mounted).

    The Python environment is a read-only bind mount, and mountinfo names its source: that one
    path (the README's threat model says so) is the only host path of the course shown.
    """
    import re
    import sys

    from grader import ROOT

    assert "/grade-" not in result.notebook, "the host's temporary folder is named"
    env = os.path.realpath(sys.prefix)
    for root in {ROOT, os.path.realpath(ROOT)}:
        for at in (m.start() for m in re.finditer(re.escape(root), result.notebook)):
            assert result.notebook.startswith(env, at) or result.notebook.startswith(sys.prefix, at), (
                result.notebook[at : at + 80]
            )


# --------------------------------------------------------------------------- (d) metadata that breaks feedback
# Invalid cell-level metadata passes read_notebook (nbformat only warns) and normalize keeps a
# student cell's metadata; render writes it into the autograded notebook that
# ``nbgrader generate_feedback`` reads.  (The notebook-level metadata is the release's.)
# nbconvert validates the notebook it exports (exporter._validate_preprocessor): "tags" of
# the wrong type in one student's cell made generate_feedback exit 1 for the whole class.
def _odd_cell_metadata(paths):
    nb = insert_after(solved(), hc.values_id("func_predict"), "y = 2", "z = 3")
    at = hc.index_of(nb, hc.values_id("func_predict"))
    nb.cells[at + 1].metadata.update({"deletable": "yes", "jupyter": 5, "name": 7, "collapsed": "no"})
    nb.cells[at + 2].metadata.update({"scrolled": {"x": 1}, "execution": 5, "slideshow": 5})
    md = hc.nbformat.v4.new_markdown_cell("![x](attachment:x.png) <b>hi</b>")
    md["attachments"] = {"x.png": {"image/png": 5}}
    md.metadata.update({"tags": {"a": 1}, "jupyter": {"source_hidden": "maybe"}})
    nb.cells.insert(at + 1, md)
    return nb


def _autograded_valid(result, paths):
    # nbconvert validates every notebook it exports (nbgrader generate_feedback): one invalid
    # autograded notebook makes the whole feedback run exit 1, and no page gets its summary.
    assert not result.grader_error, result.notes
    hc.nbformat.validate(hc.nbformat.reads(result.notebook, as_version=4))


# The same through the kernel's outputs, with no forging: publish_display_data takes any
# values, the kernel's Publisher keeps them (grader/sandbox/kernel_child.py: ``dict(data)``), and
# OutputBudget.keep and render (grader/pipeline/grade.py) write them as they are.  A mimebundle value
# that is a number makes the autograded notebook invalid, so generate_feedback stops.
BAD_DISPLAY = """
from IPython.display import publish_display_data
publish_display_data({"text/plain": 5, "text/html": ["<b>", 7]})
"""


def _bad_display(paths):
    return insert_after(solved(), hc.values_id("func_predict"), BAD_DISPLAY)


# Forged: a cell answers its own run request (every seq in turn: requests are numbered) with an
# output whose "data" is not a dict.  OutputBudget.keep keeps any dict output, and render's
# nbformat.writes (split_lines) raises AttributeError on it: a grader error for a correct
# notebook, and ``grade`` exits non-zero for the class.
FORGED_BAD_OUTPUT = """
import os, json, struct
for _seq in range(1, 300):   # a cell's frames do not reach the kernel's main(): try every seq
    _data = json.dumps({"op": "done", "seq": _seq, "status": "ok", "execution_count": 1,
                        "outputs": [{"output_type": "display_data", "data": 5, "metadata": {}}]}).encode()
    os.write(3, struct.pack('>I', len(_data)) + _data)
"""


def _forged_bad_output(paths):
    return insert_after(solved(), hc.values_id("func_predict"), FORGED_BAD_OUTPUT)


def writes_raw(make):
    """Like ``hostile_cases.writes``, as raw JSON: nbformat.write itself fails on these notebooks."""

    def build(submitted_root, student):
        nb = make(hc.course_paths(submitted_root))
        with open(os.path.join(hc.folder(submitted_root, student), hc.NOTEBOOK), "w", encoding="utf-8") as f:
            json.dump(nb, f)

    return build


# --------------------------------------------------------------------------- (c) LMS: another student unfiled
# Not a graded case: a reproducer for ``grader.lms.collect``.  A Canvas student id is the
# ``<login>`` part of the file name (grader/lms/collect.py, CANVAS), which Canvas derives from the
# student's display name, and the numeric account is used only to notice that two accounts
# share it (_choose_notebooks: "nothing filed").  A student who renames himself after a
# classmate makes the classmate's notebook unfiled, and _commit first deletes the classmate's
# previously collected submission.  Returns whether the victim's notebook survived (it must).
def canvas_login_collision(folder):
    """Collect a victim, then a download where an attacker's Canvas login equals the victim's."""
    import zipfile

    from grader.lms import collect

    submitted = os.path.join(folder, "submitted")
    victim_nb = hc.nbformat.writes(solved()).encode()
    for name, members in (
        ("first.zip", {"smithjohn_100_1_planar_classification.ipynb": victim_nb}),
        (
            "second.zip",
            {
                "smithjohn_100_1_planar_classification.ipynb": victim_nb,
                "smithjohn_666_2_planar_classification.ipynb": b"{}",
            },
        ),
    ):
        path = os.path.join(folder, name)
        with zipfile.ZipFile(path, "w") as z:
            for member, data in members.items():
                z.writestr(member, data)
        collect.collect(path, hc.L1W3, submitted, lms="canvas")
    return os.path.isfile(os.path.join(submitted, "smithjohn", hc.ASSIGNMENT, hc.NOTEBOOK))


# --------------------------------------------------------------------------- (d) time before any limit applies
# read_notebook, normalize and render run in the grading worker with no time or size limit
# (grader/pipeline/grade.py: the notebook's size is not checked, nbformat validates every cell, and
# normalize rescans every cell for each restored one: ``ids = [_grade_id(c) for c in cells]``
# inside the loop over master.order).  A submission made only of the release's cells, deleted,
# and many tiny markdown cells costs minutes of a worker before a kernel starts, and the
# autograded notebook (sources are outside the output budget) is as large for the feedback.
# Measured: 100,000 cells (a 5.7 MB file) took 25 s to grade (14 s of the worker's CPU) and
# 155 s for nbconvert to render its feedback page; both grow linearly with the file.
MANY_CELLS = int(os.environ.get("RED_MANY_CELLS", 100_000))


def _many_cells(paths):
    nb = hc.released()
    nb.cells = [hc.nbformat.v4.new_markdown_cell("") for _ in range(MANY_CELLS)]
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat_minor = 4  # no cell ids: cheaper to write, still valid
    return nb


def _graded_quickly(result, paths):
    # a submission ten times the release's number of cells can be refused at once
    assert result.seconds < 10, result.seconds
    assert len(result.notebook) < 3 * 1024 * 1024, len(result.notebook)


# --------------------------------------------------------------------------- (d) a student id that is a file name
# check_id accepts ``grading_run_L1W3.json`` (letters, digits, _ and .), and the runner writes
# its run summary in ``autograded/`` (``grader.pipeline.report_file.RunSummary``, today the
# hidden ``.grading_run_<id>.json``) where that student's autograded folder already is.  Not a catalog case
# (the catalog names its students): a reproducer of its own.
SUMMARY_NAME_ID = "grading_run_" + hc.ASSIGNMENT + ".json"


def summary_name_collision(folder):
    """Grade one correct submission filed as student ``grading_run_L1W3.json``; return the results.

    A correct grader refuses the id or grades it; here ``runner.run`` raises IsADirectoryError
    after recording the grades (the run summary cannot be written).
    """
    from grader.batch import runner

    submitted = os.path.join(folder, "submitted")
    hc.writes(lambda paths: solved())(submitted, SUMMARY_NAME_ID)
    return runner.run(
        submitted,
        os.path.join(folder, "autograded"),
        f"sqlite:///{folder}/gradebook.db",
        hc.ASSIGNMENT,
        workers=1,
        quiet=True,
    )


CASES = [
    Case(
        "red_forged_bad_output",
        "a forged cell answer whose output data is a number",
        writes(_forged_bad_output),
        full(),
        check=_autograded_valid,
    ),
    Case(
        "red_bad_display_data",
        "display data whose values are numbers",
        writes(_bad_display),
        full(),
        check=_autograded_valid,
    ),
    Case(
        "red_many_cells",
        "hundreds of thousands of empty markdown cells, every release cell deleted",
        writes_raw(_many_cells),
        hc.zero(),
        "over the limit",
        gradable=False,
        check=_graded_quickly,
    ),
    Case(
        "red_leak_profiler",
        "a profile hook reads another exercise's probe; predict leaks it",
        writes(_leak_by_profiler),
        full_except("func_predict"),
        check=_no_leak,
    ),
    Case(
        "red_odd_cell_metadata",
        "student cells with invalid metadata and attachments",
        writes_raw(_odd_cell_metadata),
        full(),
        check=_autograded_valid,
    ),
    Case(
        "red_forged_wide_answers",
        "forged 16 MB answers of empty lists for every exercise",
        writes(_forge_wide),
        hc.zero(),
        check=_worker_memory_bounded,
    ),
    Case(
        "red_mountinfo_host_paths",
        "the kernel reads /proc/self/mountinfo",
        writes(_mountinfo),
        full(),
        check=_no_host_paths,
    ),
    Case(
        "red_feedback_overflow",
        "a forged decision-boundary answer stops everyone's feedback",
        writes(_feedback_overflow),
        full(),
        check=_boundary_refuses_forged,
    ),
    Case(
        "red_tags_not_a_list",
        "a student cell with metadata tags: 5",
        writes(_tags_not_a_list),
        full(),
        check=_not_a_grader_error,
    ),
    Case(
        "red_junk_frames_extend_cell",
        "junk frames keep a cell alive past its time limit",
        writes(_junk_frames),
        full(),
        check=_stopped_at_cell_limit,
    ),
    Case(
        "red_callee_result_amplification",
        "a callee stub asked for a huge reference result",
        writes(_amplify),
        full(),
        check=_worker_memory_bounded,
    ),
    Case(
        "red_leak_exception_name",
        "hidden inputs encoded in an exception's class name",
        writes(_leak_by_exception_name),
        full_except("func_layer_sizes"),
        check=_no_leak,
    ),
]
