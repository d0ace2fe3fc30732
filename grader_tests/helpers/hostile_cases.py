"""An adversarial catalog of broken and hostile submissions, with the scores they must get.

Each :class:`Case` writes one student's submission folder and says what a
correct grader gives it, exercise by exercise (all-or-nothing points), and
optionally a substring that must appear in the student's notes or verdict
messages.  ``test_hostile.py`` grades the whole catalog in one batch.

The course folder of a batch is laid out as ``<course>/submitted``,
``<course>/autograded``, ``<course>/gradebook.db`` and
``<course>/sentinel.txt`` (see :func:`course_paths`): hostile code is given
the real absolute paths of all of them, the worst case of path guessing.
"""

import json
import os
import sysconfig
import textwrap
from dataclasses import dataclass
from typing import Callable, Optional

import nbformat
import numpy as np

from grader import ROOT
from grader.course import submissions
from grader.course.assignment import load
from grader_tests.helpers.expected import POINTS

L1W3 = load("L1W3")
ASSIGNMENT, NOTEBOOK, SOURCE_NOTEBOOK = L1W3.id, L1W3.notebook, L1W3.source_notebook


def solution_sources():
    return L1W3.solution_sources


EXERCISES = tuple(POINTS)  # in notebook order
CONTROL_FULL = "control_full"  # the control students graded with the catalog
CONTROL_RELEASE = "control_release"
SENTINEL_TEXT = "sentinel: hostile code must not change or delete this file\n"
SITE_PACKAGES = sysconfig.get_paths()["purelib"]


# --------------------------------------------------------------------------- expectations


def full_except(*exercises):
    """Full marks except 0 for ``exercises``."""
    unknown = set(exercises) - set(POINTS)
    assert not unknown, unknown
    return {e: (0 if e in exercises else p) for e, p in POINTS.items()}


def full():
    return full_except()


def zero():
    return {e: 0 for e in POINTS}


def only(*exercises):
    """Full marks for ``exercises`` only."""
    unknown = set(exercises) - set(POINTS)
    assert not unknown, unknown
    return {e: (p if e in exercises else 0) for e, p in POINTS.items()}


def upto(last):
    """Full marks for the exercises up to and including ``last``, 0 after (a kernel death)."""
    return only(*EXERCISES[: EXERCISES.index(last) + 1])


@dataclass
class Case:
    id: str
    description: str
    build: Callable[[str, str], None]  # build(submitted_root, student)
    expected: dict  # exercise -> score
    note_contains: Optional[str] = None  # in result.notes or a verdict message
    gradable: bool = True  # False: no cell could be run (unreadable, missing)
    check: Optional[Callable] = None  # check(result, paths) -> None, extra assertions


# --------------------------------------------------------------------------- building blocks


def course_paths(submitted_root):
    """The absolute paths of a batch's course folder, as the test lays it out."""
    course = os.path.dirname(os.path.abspath(submitted_root))
    return {
        "course": course,
        "submitted": os.path.join(course, "submitted"),
        "autograded": os.path.join(course, "autograded"),
        "gradebook": os.path.join(course, "gradebook.db"),
        "sentinel": os.path.join(course, "sentinel.txt"),
        "control_notebook": os.path.join(course, "submitted", CONTROL_FULL, ASSIGNMENT, NOTEBOOK),
        "control_report": os.path.join(
            course, "autograded", CONTROL_FULL, f"grading_report_{ASSIGNMENT}.json"
        ),
        "control_autograded": os.path.join(course, "autograded", CONTROL_FULL, ASSIGNMENT, NOTEBOOK),
    }


def folder(submitted_root, student):
    path = os.path.join(submitted_root, student, ASSIGNMENT)
    os.makedirs(path, exist_ok=True)
    return path


def solved():
    """The release with every solution cell filled in (full marks)."""
    return submissions.fill(L1W3)


def released():
    """The untouched release (0 points)."""
    return nbformat.read(L1W3.release_notebook, as_version=4)


def gid_of(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def index_of(nb, grade_id):
    for i, cell in enumerate(nb.cells):
        if gid_of(cell) == grade_id:
            return i
    raise KeyError(grade_id)


def code(source):
    return nbformat.v4.new_code_cell(textwrap.dedent(source).strip("\n"))


def insert_after(nb, grade_id, *sources):
    at = index_of(nb, grade_id) + 1
    nb.cells[at:at] = [code(s) for s in sources]
    return nb


def insert_before(nb, grade_id, *sources):
    at = index_of(nb, grade_id)
    nb.cells[at:at] = [code(s) for s in sources]
    return nb


def set_solution(nb, exercise, source):
    nb.cells[index_of(nb, exercise)].source = textwrap.dedent(source).strip("\n")
    return nb


def values_id(exercise):
    return exercise + "_values"


def writes(make):
    """A build function writing the notebook ``make(paths)`` as the student's submission."""

    def build(submitted_root, student):
        nb = make(course_paths(submitted_root))
        submissions.write(nb, student, submitted_root, L1W3)

    return build


def writes_bytes(data, name=NOTEBOOK):
    def build(submitted_root, student):
        with open(os.path.join(folder(submitted_root, student), name), "wb") as f:
            f.write(data)

    return build


def _literal(value):
    """Python source of ``value`` (arrays, dicts, tuples, numbers), exact to the last bit."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        return "(" + "".join(_literal(v) + ", " for v in value) + ")"
    if isinstance(value, (np.generic,)):
        return repr(value.item())
    return repr(value)


def lesson_literals():
    """``{exercise: source returning the reference result on the lesson's own case}``."""
    sources = {}
    for exercise in EXERCISES:
        signature = solution_sources()[exercise].split("\n", 1)[0]
        sources[exercise] = (
            f"{signature}\n"
            f"    # the lesson's printed answer, hard-coded\n"
            f"    return {_literal(L1W3.expected(exercise)[0])}\n"
        )
    return sources


# --------------------------------------------------------------------------- checks


def passed_counts(**counts):
    """A check: the verdict of each exercise reports this many passed hidden cases."""

    def check(result, paths):
        for exercise, n in counts.items():
            verdict = result.verdicts[values_id(exercise)]
            assert verdict.passed == n, (exercise, verdict)

    return check


def notebook_smaller_than(mb):
    def check(result, paths):
        assert 0 < len(result.notebook) < mb * 1024 * 1024, len(result.notebook)
        with open(
            os.path.join(paths["autograded"], result.student, ASSIGNMENT, NOTEBOOK), encoding="utf-8"
        ) as f:
            assert len(f.read()) < mb * 1024 * 1024

    return check


def exactly_the_release_tests(result, paths):
    assert sorted(result.verdicts) == sorted(values_id(e) for e in EXERCISES)


# --------------------------------------------------------------------------- unreadable / missing


def _nbformat3_converted(submitted_root, student):
    nb3 = nbformat.convert(solved(), 3)
    path = os.path.join(folder(submitted_root, student), NOTEBOOK)
    with open(path, "w", encoding="utf-8") as f:
        nbformat.write(nb3, f, version=3)


def _nbformat3_declared(submitted_root, student):
    raw = json.loads(nbformat.writes(solved()))
    raw["nbformat"], raw["nbformat_minor"] = 3, 0
    writes_bytes(json.dumps(raw).encode())(submitted_root, student)


def _missing_notebook(submitted_root, student):
    folder(submitted_root, student)


def _no_assignment_folder(submitted_root, student):
    other = os.path.join(submitted_root, student, "L1W2")
    os.makedirs(other, exist_ok=True)
    nbformat.write(solved(), os.path.join(other, NOTEBOOK))


def _renamed(submitted_root, student):
    path = os.path.join(folder(submitted_root, student), "planar_classification (1).ipynb")
    nbformat.write(solved(), path)


def _several(submitted_root, student):
    base = folder(submitted_root, student)
    nbformat.write(solved(), os.path.join(base, "copy_a.ipynb"))
    nbformat.write(solved(), os.path.join(base, "copy_b.ipynb"))


def _extra_files(submitted_root, student):
    submissions.write(solved(), student, submitted_root, L1W3)
    base = folder(submitted_root, student)
    files = {
        # modules shadowing the helpers: they must not reach the kernel
        "planar_utils.py": "raise SystemExit('shadowed helper imported')\n",
        "checks.py": "import os\nos._exit(7)\n",
        "testCases.py": "raise ImportError('shadowed')\n",
        "sitecustomize.py": "import os\nos._exit(9)\n",
        "notes.txt": "my notes\n",
        "weights.npy": "\x93NUMPY junk",
    }
    for name, text in files.items():
        with open(os.path.join(base, name), "w", encoding="utf-8") as f:
            f.write(text)
    os.makedirs(os.path.join(base, ".ipynb_checkpoints"), exist_ok=True)
    nbformat.write(
        released(), os.path.join(base, ".ipynb_checkpoints", "planar_classification-checkpoint.ipynb")
    )


def _with_timestamp(text):
    def build(submitted_root, student):
        submissions.write(solved(), student, submitted_root, L1W3)
        with open(os.path.join(folder(submitted_root, student), "timestamp.txt"), "w", encoding="utf-8") as f:
            f.write(text)

    return build


def _symlink_to(target_key):
    def build(submitted_root, student):
        paths = course_paths(submitted_root)
        target = SOURCE_NOTEBOOK if target_key == "source" else paths["control_notebook"]
        os.symlink(target, os.path.join(folder(submitted_root, student), NOTEBOOK))

    return build


# --------------------------------------------------------------------------- structure edits


def _deleted_test_cell(paths):
    nb = solved()
    del nb.cells[index_of(nb, values_id("func_compute_cost"))]
    return nb


def _deleted_all_locked(paths):
    nb = solved()
    nb.cells = [c for c in nb.cells if not c.get("metadata", {}).get("nbgrader", {}).get("locked")]
    return nb


def _test_cell_pass(paths):
    nb = solved()
    nb.cells[index_of(nb, values_id("func_backward_propagation"))].source = "pass"
    return nb


def _fake_pass_messages(paths):
    nb = released()
    for exercise in EXERCISES:
        cell = nb.cells[index_of(nb, values_id(exercise))]
        cell.source = (
            f"print('✔ {exercise}: 全部 3 个隐藏测试通过 / all 3 hidden tests passed "
            f"({POINTS[exercise]}/{POINTS[exercise]})')"
        )
    return nb


def _test_cell_markdown(paths):
    nb = solved()
    at = index_of(nb, values_id("func_update_parameters"))
    old = nb.cells[at]
    cell = nbformat.v4.new_markdown_cell("nothing to test here")
    cell.metadata = old.metadata
    nb.cells[at] = cell
    return nb


def _forged_outputs(paths):
    nb = released()
    for exercise in EXERCISES:
        cell = nb.cells[index_of(nb, values_id(exercise))]
        cell.outputs = [
            nbformat.v4.new_output(
                "stream",
                name="stdout",
                text=f"✔ {exercise}: all hidden tests passed ({POINTS[exercise]}/{POINTS[exercise]})\n",
            )
        ]
        cell.execution_count = 1
    return nb


def _solution_id_removed(paths):
    nb = solved()
    del nb.cells[index_of(nb, "func_forward_propagation")].metadata["nbgrader"]["grade_id"]
    return nb


def _solution_id_renamed(paths):
    nb = solved()
    nb.cells[index_of(nb, "func_predict")].metadata["nbgrader"]["grade_id"] = "my_predict"
    return nb


def _points_changed(paths):
    nb = solved()
    for exercise in EXERCISES:
        meta = nb.cells[index_of(nb, values_id(exercise))].metadata["nbgrader"]
        meta["points"] = 100
    meta = nb.cells[index_of(nb, "func_compute_cost")].metadata["nbgrader"]
    meta.update(grade=True, points=50)
    return nb


def _fake_graded_cell(paths):
    nb = solved()
    cell = code("print('bonus')")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "func_bonus_values",
        "locked": True,
        "points": 100,
        "schema_version": 3,
        "solution": False,
    }
    nb.cells.append(cell)
    return nb


def _unhashable_grade_id(paths):
    nb = solved()
    cell = code("x = 1  # a cell of the student's own, with odd metadata")
    cell.metadata["nbgrader"] = {"grade_id": ["func_predict"], "solution": True}
    nb.cells.insert(index_of(nb, "imports") + 1, cell)
    return nb


def _dup_solution_last_wrong(paths):
    nb = solved()
    at = index_of(nb, "func_compute_cost")
    wrong = nbformat.from_dict(json.loads(json.dumps(nb.cells[at])))
    wrong.id = "duplicate-solution"
    wrong.source = wrong.source.replace("np.log(1 - A2)", "np.log(A2)")
    assert wrong.source != nb.cells[at].source
    nb.cells.insert(at + 1, wrong)
    return nb


def _dup_solution_last_right(paths):
    nb = solved()
    stub = released()
    at = index_of(nb, "func_predict")
    first = stub.cells[index_of(stub, "func_predict")]
    first.id = "duplicate-stub"
    nb.cells.insert(at, first)
    return nb


def _dup_test_cell(paths):
    nb = solved()
    at = index_of(nb, values_id("func_forward_propagation"))
    copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[at])))
    copy.id = "duplicate-test"
    nb.cells.insert(at + 1, copy)
    return nb


def _edited_imports(paths):
    nb = solved()
    nb.cells[index_of(nb, "imports")].source = "import numpy as np\nprint('no helpers for me')"
    return nb


# --------------------------------------------------------------------------- crashes and timeouts


def _cell_after(exercise, source, nb_factory=solved):
    def make(paths):
        return insert_after(nb_factory(), values_id(exercise), source)

    return make


SEGFAULT = """
import ctypes
ctypes.string_at(0)
"""

KBI_CATCHING_LOOP = """
import time
while True:
    try:
        while True:
            time.sleep(0.05)
    except KeyboardInterrupt:
        print('not stopping')
"""

SIGALRM_IGNORED = """
import signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    pass
"""


def _loop_in_solution(before_def):
    def make(paths):
        nb = solved()
        source = solution_sources()["func_forward_propagation"]
        loop = "while True:\n    pass\n"
        nb.cells[index_of(nb, "func_forward_propagation")].source = (
            loop + "\n" + source if before_def else source + "\n\n" + loop
        )
        return nb

    return make


def _sleep_in_probe(paths):
    nb = solved()
    source = solution_sources()["func_update_parameters"]
    head, body = source.split("\n", 1)
    nb.cells[index_of(nb, "func_update_parameters")].source = (
        "import time\n\n" + head + "\n    time.sleep(3600)\n" + body
    )
    return nb


def _slow_cells(paths):
    nb = solved()
    return insert_after(nb, values_id("func_compute_cost"), *["import time\ntime.sleep(3)"] * 20)


# --------------------------------------------------------------------------- processes

FORK_BOMB = """
import os, time
children = 0
for _ in range(1000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            os.setsid()
            while True:            # every child keeps forking, politely
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.05)
        finally:
            os._exit(0)
    children += 1
print('forked', children)
"""

SUBPROCESS_SPAWN = """
import subprocess, threading, time
procs, threads = [], []
for _ in range(300):
    try:
        procs.append(subprocess.Popen(['sleep', '60']))
    except Exception as exc:
        print('Popen stopped:', type(exc).__name__)
        break
for _ in range(300):
    try:
        t = threading.Thread(target=time.sleep, args=(60,), daemon=True)
        t.start()
        threads.append(t)
    except Exception as exc:
        print('threads stopped:', type(exc).__name__)
        break
try:
    subprocess.run(['sh', '-c', 'nohup sleep 120 >/dev/null 2>&1 &'], timeout=2)
except Exception as exc:
    print(type(exc).__name__)
print(len(procs), 'processes', len(threads), 'threads')
"""

DAEMON = """
import os, time
if os.fork() == 0:
    try:
        os.setsid()
        if os.fork() == 0:       # a daemon, detached from the kernel
            for _ in range(600):
                for path in {targets!r}:
                    try:
                        with open(path, 'a') as f:
                            f.write('daemon was here\\n')
                    except Exception:
                        pass
                time.sleep(0.1)
    finally:
        os._exit(0)
time.sleep(0.2)
"""


# --------------------------------------------------------------------------- escaping the sandbox

READ_OTHERS = """
import glob, os
leaks = []
for path in {paths!r}:
    try:
        with open(path, 'rb') as f:
            if f.read(64):
                leaks.append(path)
    except Exception:
        pass
for pattern in {patterns!r}:
    leaks += [p for p in glob.glob(pattern) if os.path.isfile(p)]
for path in {dirs!r}:
    try:
        if os.listdir(path):
            leaks.append(path)
    except Exception:
        pass
print('leaks:', leaks)
LEAKS = leaks

{solution}

if LEAKS:                                   # a leak costs this exercise its points
    def func_layer_sizes(X, Y):
        raise RuntimeError('leaked: %r' % LEAKS)
"""


def _read_others(paths):
    targets = [
        "../" + CONTROL_FULL + "/" + ASSIGNMENT + "/" + NOTEBOOK,
        "../../" + CONTROL_FULL + "/" + ASSIGNMENT + "/" + NOTEBOOK,
        "../submitted/" + CONTROL_FULL + "/" + ASSIGNMENT + "/" + NOTEBOOK,
        paths["control_notebook"],
        paths["control_report"],
        paths["control_autograded"],
        paths["gradebook"],
        paths["sentinel"],
        SOURCE_NOTEBOOK,
        os.path.join(ROOT, "grading", "L1W3", "spec.py"),
        os.path.join(ROOT, "grader", "reference.py"),
        os.path.join(ROOT, "gradebook.db"),
        os.path.join(ROOT, "submitted", "demo_solution", ASSIGNMENT, NOTEBOOK),
    ]
    patterns = [
        os.path.join(paths["submitted"], "*", ASSIGNMENT, "*.ipynb"),
        os.path.join(ROOT, "submitted", "*", ASSIGNMENT, "*.ipynb"),
        "/tmp/*/*/" + ASSIGNMENT + "/*.ipynb",
        "/tmp/grade-*/*",
        "/proc/*/cwd/*.ipynb",
        "/proc/*/root" + paths["submitted"] + "/*/*/*.ipynb",
    ]
    # (the course folder itself shows the empty mount points of the hidden folders)
    dirs = [
        paths["submitted"],
        paths["autograded"],
        os.path.join(ROOT, "grader"),
        os.path.join(ROOT, "source"),
        os.path.join(ROOT, "submitted"),
    ]
    nb = solved()
    nb.cells[index_of(nb, "func_layer_sizes")].source = READ_OTHERS.format(
        paths=targets, patterns=patterns, dirs=dirs, solution=solution_sources()["func_layer_sizes"]
    ).strip()
    return nb


WRITE_OUTSIDE = """
import os, shutil
done = []
for path in {files!r}:
    for mode in ('a', 'w'):
        try:
            with open(path, mode) as f:
                f.write('pwned\\n')
            done.append((mode, path))
        except Exception:
            pass
    for op in (os.remove, lambda p: os.rename(p, p + '.moved'), lambda p: os.truncate(p, 0),
               lambda p: os.chmod(p, 0), lambda p: os.utime(p, (0, 0))):
        try:
            op(path)
            done.append((getattr(op, '__name__', 'op'), path))
        except Exception:
            pass
for path in {dirs!r}:
    for op in (shutil.rmtree, lambda p: os.symlink('/etc/passwd', os.path.join(p, 'pwned')),
               lambda p: open(os.path.join(p, 'pwned.py'), 'w').close()):
        try:
            op(path)
            done.append(('dir', path))
        except Exception:
            pass
print('succeeded (inside the sandbox):', done)
"""


def _write_outside(paths):
    files = [
        paths["sentinel"],
        paths["gradebook"],
        paths["control_notebook"],
        paths["control_report"],
        SOURCE_NOTEBOOK,
        os.path.join(ROOT, "notebooks", ASSIGNMENT, NOTEBOOK),
        os.path.join(ROOT, "grader", "pipeline", "judge.py"),
        os.path.join(ROOT, "grading", "L1W3", "spec.py"),
        os.path.join(ROOT, "utils", "L1W3", "checks.py"),
        os.path.join(ROOT, "gradebook.db"),
        os.path.join(SITE_PACKAGES, "sitecustomize.py"),
        os.path.join(SITE_PACKAGES, "numpy", "__init__.py"),
        "/etc/passwd",
    ]
    dirs = [
        paths["autograded"],
        paths["submitted"],
        paths["course"],
        os.path.join(ROOT, "grader"),
        SITE_PACKAGES,
        os.path.join(ROOT, "utils"),
    ]
    nb = solved()
    return insert_after(
        nb,
        "imports",
        WRITE_OUTSIDE.format(files=files, dirs=dirs),
        DAEMON.format(targets=[paths["sentinel"], SOURCE_NOTEBOOK]),
    )


IMPORT_GRADER = """
import glob, json, sys
for path in {roots!r}:
    if path not in sys.path:
        sys.path.insert(0, path)
try:
    from grader.reference import load          # the trusted package: must not be importable
    func_backward_propagation = load()['func_backward_propagation']
except Exception as exc:
    print('import grader failed:', type(exc).__name__)
    for path in [{source!r}] + glob.glob('/**/source/L1W3/*.ipynb', recursive=False):
        try:                                   # or read the solutions from the source notebook
            with open(path, encoding='utf-8') as f:
                for cell in json.load(f)['cells']:
                    if 'def func_backward_propagation' in ''.join(cell['source']):
                        exec(''.join(cell['source']))
        except Exception as exc:
            print('reading', path, 'failed:', type(exc).__name__)
func_backward_propagation
"""


def _import_grader(paths):
    nb = solved()
    roots = [ROOT, os.path.dirname(ROOT), os.getcwd(), "/work/main", "..", "../.."]
    return set_solution(
        nb, "func_backward_propagation", IMPORT_GRADER.format(roots=roots, source=SOURCE_NOTEBOOK)
    )


# --------------------------------------------------------------------------- output and memory

HUGE_OUTPUT = """
import os, sys
from IPython.display import HTML, display
chunk = 'x' * (1 << 20)
for _ in range(200):                        # 200 MB on stdout
    print(chunk)
for _ in range(20):
    sys.stderr.write(chunk)
os.write(1, b'y' * (1 << 20))               # C-level stdout
for _ in range(30):                         # 30 MB of display data
    display(HTML('<b>' + chunk + '</b>'))
raise ValueError('e' * (8 << 20))           # an 8 MB error message
"""

MEMORY_HOG = """
import numpy as np
try:
    hog = np.ones(4 * 1024 ** 3 // 8)       # 4 GB
except MemoryError:
    print('MemoryError from numpy')
hog = bytearray(4 * 1024 ** 3)              # 4 GB, uncaught
"""

MEMORY_TOUCH = """
blocks = []
try:
    while True:                             # touch memory up to the limit
        blocks.append(bytearray(64 * 1024 * 1024))
except MemoryError:
    print('stopped after', len(blocks), 'blocks')
del blocks
"""


MEMORY_FORKED = """
import os
# Six processes touch 512 MB each: 3 GB for one submission whose limit is 1 GB.
touched = 0
readers = []
for _ in range(6):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        ok = b'0'
        try:
            block = bytearray(512 * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1
            ok = b'1'
            os.write(w, ok)
            import time
            time.sleep(10)
        finally:
            os._exit(0)
    os.close(w)
    readers.append((pid, r))
done = [pid for pid, r in readers if os.read(r, 1) == b'1']
# At once: those that touched their 512 MB and still hold it now (the memory limit's killer may
# have ended one after it reported, letting another go on).
touched = 512 * sum(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in done)
print('MB touched by the submission at once:', touched)
TOUCHED_MB = touched

{solution}

if TOUCHED_MB > 1024:           # over the submission's memory limit: costs the exercise its point
    def func_layer_sizes(X, Y):
        raise RuntimeError('%d MB used, over the 1024 MB limit' % TOUCHED_MB)
"""


def _memory_forked(paths):
    nb = solved()
    return set_solution(
        nb, "func_layer_sizes", MEMORY_FORKED.format(solution=solution_sources()["func_layer_sizes"])
    )


# --------------------------------------------------------------------------- cheating


def _redefine_after_tests(paths):
    nb = solved()
    for exercise in EXERCISES:
        insert_after(
            nb,
            values_id(exercise),
            f"def {exercise}(*args, **kwargs):\n    raise RuntimeError('broken after its test')",
        )
    nb.cells.append(code("def func_predict(parameters, X):\n    return None"))
    return nb


def _hardcode_before_test(paths):
    nb = solved()
    return insert_before(
        nb, values_id("func_layer_sizes"), "def func_layer_sizes(X, Y):\n    return (5, 4, 2)"
    )


def _hardcoded_lesson(paths):
    nb = released()
    for exercise, source in lesson_literals().items():
        set_solution(nb, exercise, source)
    return nb


MONKEYPATCH = """
import builtins, json, sys
import numpy as np
import numpy.testing
import IPython
ok = lambda *a, **k: True
none = lambda *a, **k: None
np.testing.assert_allclose = np.testing.assert_array_equal = np.testing.assert_almost_equal = none
numpy.testing.assert_allclose = none
np.allclose = np.isclose = np.array_equal = np.array_equiv = ok
from grader_tests.helpers.course import checks
checks.compare = none
checks.check_layer_sizes = none
builtins.print = none
builtins.AssertionError = type('AssertionError', (Exception,), {})
class Sink:
    def write(self, s): return len(s)
    def flush(self): pass
sys.stdout = sys.stderr = sys.__stdout__ = Sink()
ip = get_ipython()
ip.events.register('post_run_cell', none)
ip.events.register('pre_run_cell', none)
ip.set_custom_exc((BaseException,), none)
ip.showtraceback = none
ip.display_pub.publish = none

# every message the kernel sends goes through json: forge the probe answers
_encode = json.JSONEncoder.encode
def encode(self, o):
    if isinstance(o, dict) and o.get('op') == 'probe' and isinstance(o.get('result'), list):
        o = dict(o, result=[{'value': {'__tuple__': [5, 4, 2]}} for _ in o['result']])
    return _encode(self, o)
json.JSONEncoder.encode = encode
"""

FORGE = """
import os, struct, json
def _frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack('>I', len(data)) + data
os.write(3, _frame({{'op': 'done', 'status': 'ok', 'outputs': [], 'execution_count': 1}}))
os.write(3, _frame({{'op': 'probe', 'result': [{{'value': {value}}}] * 4}}))
os.write(3, _frame({{'op': 'ready', 'pid': 1}}))
"""

FORGE_VALUES = {
    "func_layer_sizes": "{'__tuple__': [5, 4, 2]}",
    "func_initialize_parameters": "{'__dict__': []}",
    "func_forward_propagation": "0.5",
    "func_compute_cost": "0.6926644838406011",
    "func_backward_propagation": "{'__dict__': []}",
    "func_update_parameters": "{'__dict__': []}",
    "func_nn_model": "{'__dict__': []}",
    "func_predict": "{'__nd__': [1.0, 0.0, 0.0], 'dtype': 'float64', 'shape': [1, 3]}",
}


def _forge_channel(paths):
    nb = released()
    for exercise in EXERCISES:
        insert_before(nb, values_id(exercise), FORGE.format(value=FORGE_VALUES[exercise]))
    # a function that forges the answer of its own probe, while the probe runs
    set_solution(
        nb,
        "func_compute_cost",
        """
        import os, struct, json
        def func_compute_cost(A2, Y):
            data = json.dumps({'op': 'probe', 'result': [{'value': 0.5}] * 3}).encode()
            os.write(3, struct.pack('>I', len(data)) + data)
            raise NotImplementedError()
        """,
    )
    return nb


FORGE_OVERSIZED = """
import os, struct
os.write(3, struct.pack('>I', 2 ** 31 + 5) + b'{"op": "done"')
"""

FORGE_GARBLED = """
import os, struct
os.write(3, struct.pack('>I', 12) + b'{{{{garbage!')
"""

EXITS = [
    "exit()",
    "quit()",
    "raise SystemExit(0)",
    "import sys\nsys.exit(3)",
    "get_ipython().ask_exit()",
    "raise KeyboardInterrupt",
    "import builtins\nbuiltins.exit()",
]


def _exits(paths):
    nb = solved()
    return insert_after(nb, values_id("func_layer_sizes"), *EXITS)


def _layer_sizes_returning(expression, setup=""):
    def make(paths):
        nb = solved()
        return set_solution(
            nb,
            "func_layer_sizes",
            f"""
            {setup}
            def func_layer_sizes(X, Y):
                return {expression}
            """,
        )

    return make


STEAL_NN_MODEL = """
# Defined before any test: the hidden tests of func_nn_model lend it the
# reference implementations of its callees, which it keeps.
STOLEN = {}
CALLEES = ('func_layer_sizes', 'func_initialize_parameters', 'func_forward_propagation',
           'func_compute_cost', 'func_backward_propagation', 'func_update_parameters')

def func_nn_model(X, Y, n_h, lr=0.5, num_epochs=10000, print_cost=False):
    for name in CALLEES:
        if name in globals():
            STOLEN.setdefault(name, globals()[name])
    np.random.seed(2030)
    n_x, _, n_y = func_layer_sizes(X, Y)
    parameters = func_initialize_parameters(n_x, n_h, n_y)
    for i in range(num_epochs):
        A2, cache = func_forward_propagation(X, parameters)
        grads = func_backward_propagation(parameters, cache, X, Y)
        parameters = func_update_parameters(parameters, grads, lr)
    return parameters
"""


def _steal_reference(paths):
    """Only func_nn_model (the loop) and func_predict are the student's work."""
    nb = released()
    test = nb.cells.pop(index_of(nb, values_id("func_nn_model")))
    at = index_of(nb, "imports") + 1
    nb.cells[at:at] = [code(STEAL_NN_MODEL), test]  # the test cell moved up
    for exercise in EXERCISES[:6]:
        set_solution(nb, exercise, f"{exercise} = STOLEN[{exercise!r}]")
    set_solution(nb, "func_nn_model", "pass  # defined at the top")
    set_solution(
        nb,
        "func_predict",
        """
        def func_predict(parameters, X):
            A2, _ = func_forward_propagation(X, parameters)
            return np.round(A2)
        """,
    )
    return nb


# --------------------------------------------------------------------------- issue 10: the outside review
# Each block is one class of weakness the review found; the cases attack it and its neighbours.

BREAK_LAYER_SIZES = """
{solution}

if LEAKS:                                   # a success of the attack costs this exercise its points
    def func_layer_sizes(X, Y):
        raise RuntimeError('attack worked: %r' % LEAKS)
"""


def _leak_probe(attack):
    """A solved notebook whose layer-sizes cell runs ``attack`` (which fills LEAKS on success)."""

    def make(paths):
        nb = solved()
        nb.cells[index_of(nb, "func_layer_sizes")].source = (
            textwrap.dedent(attack).strip()
            + "\n"
            + BREAK_LAYER_SIZES.format(solution=solution_sources()["func_layer_sizes"])
        ).strip()
        return nb

    return make


# Kernel keyrings outlive the kernel and are shared by a uid; so are SysV IPC objects.
KEYRING = """
import ctypes, os, platform
LEAKS = []
libc = ctypes.CDLL(None, use_errno=True)
nr = {'x86_64': (248, 250), 'aarch64': (217, 219)}.get(platform.machine())
if nr:
    add_key, keyctl = nr
    # add_key("user", "grader-covert", data, 4, KEY_SPEC_USER_KEYRING = -4)
    key = libc.syscall(add_key, b"user", b"grader-covert", b"stolen reference", 16, -4)
    if key >= 0:
        LEAKS.append('add_key to the user keyring')
    # keyctl(KEYCTL_SEARCH = 10, KEY_SPEC_USER_KEYRING, "user", "grader-covert", 0)
    if libc.syscall(keyctl, 10, -4, b"user", b"grader-covert", 0) >= 0:
        LEAKS.append('keyctl search found a key')
try:
    import sysv_ipc  # noqa: F401  (not installed: use ctypes)
except ImportError:
    pass
shmid = libc.shmget(0x6772, 4096, 0o1666)   # IPC_CREAT | 0666 on a fixed key
if shmid >= 0 and libc.shmget(0x6772, 4096, 0) >= 0:
    import subprocess
    out = subprocess.run(['ipcs', '-m'], capture_output=True, text=True).stdout if os.path.exists('/usr/bin/ipcs') else ''
    if 'grader-marker' in out:
        LEAKS.append('SysV segment of another submission')
print('keyring and IPC attempts:', LEAKS or 'refused')
"""

# Reference code and hidden inputs must never reach what the student gets back.
COMPILE_SPY = """
import builtins, sys
SEEN = []
_compile, _exec = builtins.compile, builtins.exec
def compile(source, *args, **kwargs):
    SEEN.append(source if isinstance(source, str) else repr(source))
    return _compile(source, *args, **kwargs)
def exec(source, *args, **kwargs):
    SEEN.append(source if isinstance(source, str) else repr(getattr(source, 'co_consts', source)))
    return _exec(source, *args, **kwargs)
builtins.compile, builtins.exec = compile, exec
def _trace(frame, event, arg):
    if event == 'call':
        SEEN.append(repr(frame.f_code.co_consts)[:2000])
        SEEN.append(repr({k: repr(v)[:500] for k, v in frame.f_locals.items()})[:4000])
    return None
sys.setprofile(_trace)
"""

SPY_NN_MODEL = """
def func_nn_model(X, Y, n_h, lr=0.5, num_epochs=10000, print_cost=False):
    # The callees it is given while graded: keep everything about them.
    for name in ('func_forward_propagation', 'func_backward_propagation', 'func_compute_cost',
                 'func_update_parameters', 'func_initialize_parameters', 'func_layer_sizes'):
        f = globals().get(name)
        SEEN.append(repr(getattr(f, '__code__', None) and f.__code__.co_consts))
        SEEN.append(repr(getattr(f, '__closure__', None)))
        try:
            import inspect
            SEEN.append(inspect.getsource(f))
        except Exception:
            pass
    np.random.seed(2030)
    n_x, _, n_y = func_layer_sizes(X, Y)
    parameters = func_initialize_parameters(n_x, n_h, n_y)
    for i in range(num_epochs):
        A2, cache = func_forward_propagation(X, parameters)
        grads = func_backward_propagation(parameters, cache, X, Y)
        parameters = func_update_parameters(parameters, grads, lr)
    # Hidden inputs smuggled into the result: as keys, and in an exception if that fails.
    leak = dict(parameters)
    leak.update({('k%d ' % i) + repr(X.ravel().tolist())[:300]: 1.0 for i in range(3)})
    return leak
"""

SPY_REPORT = """
import json, os
os.write(1, b'')
print('SPY', len(SEEN))
print('\\n'.join(str(s)[:5000] for s in SEEN))
"""


def _compile_spy(paths):
    """No implementation but func_nn_model, which spies on its callees; every source compiled
    in the kernel recorded by a spy and printed by a last cell."""
    nb = released()
    at = index_of(nb, "imports") + 1
    nb.cells[at:at] = [code(COMPILE_SPY)]
    set_solution(nb, "func_nn_model", SPY_NN_MODEL)
    set_solution(
        nb,
        "func_predict",
        """
        def func_predict(parameters, X):
            A2, cache = func_forward_propagation(X, parameters)
            SEEN.append(repr(func_forward_propagation.__code__.co_consts))
            raise ValueError('inputs: ' + repr(X.ravel().tolist()) + repr(parameters))
        """,
    )
    nb.cells.append(code(SPY_REPORT))
    return nb


def _reference_lines():
    """Lines of the callees' reference solutions that a student's own code would not contain."""
    lines = set()
    for exercise in EXERCISES[:6]:
        source = solution_sources()[exercise]
        body = source.split("### BEGIN SOLUTION", 1)[-1].split("### END SOLUTION", 1)[0]
        lines |= {line.strip() for line in body.splitlines() if len(line.strip()) > 12}
    return lines


def _hidden_input_texts(student):
    """Text forms of ``student``'s hidden inputs (not the lesson's): what a leak would show."""
    texts = set()
    # As the grading run draws them: the student's seed under the course root's secret.
    cases = L1W3.hidden_cases(L1W3.submission_seed(student))
    for exercise in ("func_nn_model", "func_predict", "func_update_parameters"):
        for case in cases[exercise][1:]:
            for value in list(case.args) + list(case.kwargs.values()):
                arrays = value.values() if isinstance(value, dict) else [value]
                for array in arrays:
                    if isinstance(array, np.ndarray) and array.size:
                        texts.add(repr(float(array.ravel()[0]))[:12])
    # Only texts specific enough to be a leak (not "0.0" of a zeroed weight, say).
    return {t for t in texts if len(t.lstrip("-")) >= 8}


def nothing_of_the_reference_comes_back(result, paths):
    """The autograded notebook and grading report hold no reference line and no hidden input."""
    folder = os.path.join(paths["autograded"], result.student)
    texts = []
    for dirpath, _, names in os.walk(folder):
        for name in names:
            if name.endswith((".ipynb", ".json")):
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    texts.append(f.read())
    text = "\n".join(texts)
    assert "SPY" in text, "the spy's last cell must have run"
    leaked = [line for line in _reference_lines() if line in text]
    assert not leaked, leaked[:5]
    inputs = [t for t in _hidden_input_texts(result.student) if t in text]
    assert not inputs, inputs[:5]


# One student's output must not exhaust the grading worker: a whole-notebook budget.
MANY_DISPLAYS = """
from IPython.display import HTML, display
display(HTML('<i>' + 'x' * (1 << 20) + '</i>'))
"""


def _many_displays(paths):
    nb = solved()
    return insert_after(nb, values_id("func_layer_sizes"), *[MANY_DISPLAYS] * 40)


# A forged "done" with the right sequence number, then a cell that will not stop and stops reading.
FORGED_DONE_SLEEP = """
import os, signal, struct, json, time
# Guess the sequence number of the request being served (it is random: none is right).
for seq in range(1, 300):
    data = json.dumps({'op': 'done', 'seq': seq, 'status': 'ok', 'outputs': [], 'execution_count': 1}).encode()
    os.write(3, struct.pack('>I', len(data)) + data)
signal.signal(signal.SIGALRM, signal.SIG_IGN)
time.sleep(3600)
"""


def _forged_done_sleep(paths):
    nb = solved()
    return insert_after(
        nb, values_id("func_backward_propagation"), FORGED_DONE_SLEEP, "BIG = '" + "y" * 200_000 + "'"
    )


# Memory through tmpfs, disk through the working directory, and trees too deep to remove.
TMPFS_AND_DISK = """
import os
LEAKS = []
chunk = b'z' * (1 << 20)
written = 0
for folder in ('/tmp', '/dev/shm', '.', os.environ.get('TMPDIR', '.')):
    for i in range(400):
        try:
            with open(os.path.join(folder, 'fill%d' % i), 'wb') as f:
                for _ in range(4):
                    f.write(chunk)
            written += 4
        except OSError:
            break
print('written MB:', written)
if written > 700:                             # tmpfs of half the RAM: the review's 1.5 GB
    LEAKS.append('wrote %d MB' % written)
path = 'deep'
for i in range(3000):
    try:
        os.mkdir(path)
        path = os.path.join(path, 'd')
    except OSError:
        break
"""


def _tmpfs_and_disk(paths):
    return _leak_probe(TMPFS_AND_DISK)(paths)


# A user namespace of its own gives a kernel every capability over a mount namespace of its own:
# a tmpfs mounted there has no size or file limit, memory no other limit bounds (no memory cgroup).
USERNS_TMPFS = """
import ctypes, os, platform, shutil, subprocess
LEAKS = []
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
CLONE_NEWUSER, CLONE_NEWNS, SIGCHLD = 0x10000000, 0x00020000, 17

def fill(target):
    written, chunk = 0, b'u' * (1 << 20)
    for i in range(5):
        try:
            with open(os.path.join(target, 'pin%d' % i), 'wb') as f:
                for _ in range(60):
                    f.write(chunk)
                    written += 1
        except OSError:
            break
    return written

pid = os.fork()
if pid == 0:                                  # in a child: what it gains ends with it
    code = 1
    try:
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:
            code = 2
            for name, text in (('setgroups', 'deny'), ('uid_map', '0 %d 1' % uid), ('gid_map', '0 %d 1' % gid)):
                try:
                    with open('/proc/self/' + name, 'w') as f:
                        f.write(text)
                except OSError:
                    pass
            os.makedirs('/tmp/pinned', exist_ok=True)
            if libc.mount(b'none', b'/tmp/pinned', b'tmpfs', 0, b'size=100%,nr_inodes=0') == 0:
                code = 3 + min(fill('/tmp/pinned'), 250) // 100
    finally:
        os._exit(code)
status = os.waitpid(pid, 0)[1]
if os.WEXITSTATUS(status) >= 2:
    LEAKS.append('unshare(CLONE_NEWUSER) worked (%d)' % os.WEXITSTATUS(status))
nr = {'x86_64': 56, 'aarch64': 220}.get(platform.machine())
if nr:
    child = libc.syscall(nr, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)
    if child == 0:
        os._exit(0)
    if child > 0:
        os.waitpid(child, 0)
        LEAKS.append('clone(CLONE_NEWUSER) worked')
# clone3(&{flags: CLONE_NEWUSER, exit_signal: SIGCHLD}, 88)
args = (ctypes.c_uint64 * 11)(CLONE_NEWUSER, 0, 0, 0, SIGCHLD)
child = libc.syscall(435, ctypes.byref(args), ctypes.sizeof(args))
if child == 0:
    os._exit(0)
if child > 0:
    os.waitpid(child, 0)
    LEAKS.append('clone3(CLONE_NEWUSER) worked')
if shutil.which('unshare'):
    run = subprocess.run(['unshare', '-Urm', 'sh', '-c', 'mount -t tmpfs none /tmp && echo mounted'],
                         capture_output=True, text=True)
    if 'mounted' in run.stdout:
        LEAKS.append('unshare -Urm mount -t tmpfs worked')
print('user namespace attempts:', LEAKS or 'all refused')
"""


def _userns_tmpfs(paths):
    return _leak_probe(USERNS_TMPFS)(paths)


# The host's paths must not show inside the sandbox.
PROC_PATHS = """
import os
LEAKS = []
secrets = {secrets!r}
for name in ('/proc/1/cmdline', '/proc/1/environ', '/proc/self/cmdline', '/proc/self/environ'):
    try:
        with open(name, 'rb') as f:
            data = f.read().decode('utf-8', 'replace')
    except OSError:
        continue
    LEAKS += ['%s shows %s' % (name, s) for s in secrets if s and s in data]
"""


def _proc_paths(paths):
    import tempfile

    secrets = [os.path.realpath(ROOT), paths["course"], tempfile.gettempdir() + "/grade-"]
    return _leak_probe(PROC_PATHS.format(secrets=secrets))(paths)


def _huge_dict(paths):
    nb = solved()
    return set_solution(
        nb,
        "func_update_parameters",
        """
        def func_update_parameters(parameters, grads, lr=0.5):
            return {'k%06d' % i + 'v' * 60: float(i) for i in range(400_000)}
        """,
    )


def verdict_smaller_than(chars):
    def check(result, paths):
        for verdict in result.verdicts.values():
            assert len(verdict.message) < chars, (verdict.exercise, len(verdict.message))
        with open(
            os.path.join(paths["autograded"], result.student, f"grading_report_{ASSIGNMENT}.json"),
            encoding="utf-8",
        ) as f:
            assert len(f.read()) < 50 * chars

    return check


# --------------------------------------------------------------------------- the catalog

CASES = [
    # unreadable, missing, misplaced
    Case(
        "invalid_json",
        "truncated JSON",
        writes_bytes(b'{"cells": [{"cell_type": "code", '),
        zero(),
        "not valid JSON",
        gradable=False,
    ),
    Case("empty_file", "a zero-byte notebook", writes_bytes(b""), zero(), "is empty", gradable=False),
    Case(
        "not_utf8",
        "Latin-1 bytes",
        writes_bytes('{"cells": [], "x": "é"}'.encode("latin-1")),
        zero(),
        "not UTF-8",
        gradable=False,
    ),
    Case(
        "json_not_a_notebook",
        "valid JSON, a list",
        writes_bytes(b"[1, 2, 3]"),
        zero(),
        "not a JSON object",
        gradable=False,
    ),
    Case(
        "nbformat3_converted",
        "the full solution saved as a genuine nbformat 3 notebook",
        _nbformat3_converted,
        zero(),
        "nbformat",
        gradable=False,
    ),
    Case(
        "nbformat3_declared",
        "v4 content declaring nbformat 3",
        _nbformat3_declared,
        zero(),
        "unsupported nbformat 3",
        gradable=False,
    ),
    Case(
        "deeply_nested_json",
        "JSON nested 200000 deep (RecursionError in the parser)",
        writes_bytes(b'{"cells": ' + b"[" * 200000 + b"]" * 200000 + b"}"),
        zero(),
        gradable=False,
    ),
    Case("missing_notebook", "an empty L1W3 folder", _missing_notebook, zero(), "is missing", gradable=False),
    Case(
        "no_assignment_folder",
        "the work is in another assignment's folder",
        _no_assignment_folder,
        zero(),
        "no L1W3 folder",
        gradable=False,
    ),
    Case(
        "renamed_notebook",
        "the only notebook is 'planar_classification (1).ipynb'",
        _renamed,
        full(),
        "renamed",
    ),
    Case(
        "several_notebooks",
        "two notebooks, neither with the expected name",
        _several,
        zero(),
        "several other notebooks",
        gradable=False,
    ),
    Case(
        "extra_files",
        "shadowing helper modules, sitecustomize, data, checkpoints",
        _extra_files,
        full(),
        "other files ignored",
    ),
    Case(
        "timestamp_nbgrader_format",
        "timestamp.txt as nbgrader collect writes it",
        _with_timestamp("2024-03-01 10:00:00.000000 UTC"),
        full(),
    ),
    Case(
        "timestamp_garbage",
        "a timestamp.txt that is no date at all",
        _with_timestamp("yesterday-ish; rm -rf / " + "z" * 5000),
        full(),
    ),
    Case(
        "symlink_to_other_student",
        "the notebook is a symlink to another student's notebook",
        _symlink_to("control"),
        zero(),
        "links outside the submission",
        gradable=False,
    ),
    Case(
        "symlink_to_source_notebook",
        "the notebook is a symlink to the instructor's source notebook",
        _symlink_to("source"),
        zero(),
        "links outside the submission",
        gradable=False,
    ),
    # structure and metadata
    Case(
        "deleted_test_cell",
        "the compute_cost test cell deleted",
        writes(_deleted_test_cell),
        full(),
        "deleted cell func_compute_cost_values has been restored",
    ),
    Case(
        "deleted_all_locked_cells",
        "imports, self-checks and test cells all deleted",
        writes(_deleted_all_locked),
        full(),
        "deleted cell imports has been restored",
    ),
    Case(
        "test_cell_replaced_by_pass",
        "a test cell's code replaced by pass",
        writes(_test_cell_pass),
        full(),
        "locked cell func_backward_propagation_values was edited and has been restored",
    ),
    Case(
        "fake_pass_messages",
        "no implementation; test cells print fake pass messages",
        writes(_fake_pass_messages),
        zero(),
        "was edited and has been restored",
    ),
    Case(
        "test_cell_to_markdown",
        "a test cell turned into markdown",
        writes(_test_cell_markdown),
        full(),
        "locked cell func_update_parameters_values was edited",
    ),
    Case(
        "forged_outputs",
        "no implementation; test cells carry forged pass outputs",
        writes(_forged_outputs),
        zero(),
    ),
    Case(
        "solution_grade_id_removed",
        "the forward-propagation solution cell lost its grade_id "
        "(its code still runs as a cell of the student's own)",
        writes(_solution_id_removed),
        full(),
        "deleted cell func_forward_propagation has been restored",
    ),
    Case(
        "solution_grade_id_renamed",
        "the predict solution cell's grade_id renamed",
        writes(_solution_id_renamed),
        full(),
        "unknown graded cell my_predict",
    ),
    Case(
        "points_changed",
        "every test cell claims 100 points, a solution cell claims 50",
        writes(_points_changed),
        full(),
    ),
    Case(
        "fake_graded_cell",
        "an added cell posing as a 100-point test",
        writes(_fake_graded_cell),
        full(),
        "unknown graded cell func_bonus_values",
        check=exactly_the_release_tests,
    ),
    Case(
        "unhashable_grade_id",
        "a cell of the student's own whose grade_id is a list",
        writes(_unhashable_grade_id),
        full(),
    ),
    Case(
        "duplicated_solution_last_wrong",
        "compute_cost's solution cell twice, the last one wrong",
        writes(_dup_solution_last_wrong),
        full_except("func_compute_cost"),
        "the last copy counts",
    ),
    Case(
        "duplicated_solution_last_right",
        "predict's stub, then the right solution cell",
        writes(_dup_solution_last_right),
        full(),
        "the last copy counts",
    ),
    Case(
        "duplicated_test_cell",
        "forward propagation's test cell twice",
        writes(_dup_test_cell),
        full(),
        "duplicate locked cell func_forward_propagation_values removed",
    ),
    Case(
        "edited_imports_cell",
        "the locked imports cell replaced",
        writes(_edited_imports),
        full(),
        "locked cell imports was edited and has been restored",
    ),
    # crashes and timeouts
    Case(
        "os_exit_after_backward",
        "os._exit(1) after the backward-propagation test",
        writes(_cell_after("func_backward_propagation", "import os\nos._exit(1)")),
        upto("func_backward_propagation"),
        "exited with status 1",
    ),
    Case(
        "segfault_after_backward",
        "a segfault after the backward-propagation test",
        writes(_cell_after("func_backward_propagation", SEGFAULT)),
        upto("func_backward_propagation"),
        "SIGSEGV",
    ),
    Case(
        "infinite_loop_before_def",
        "`while True: pass` before the def in a solution cell: interrupted, the kernel goes on",
        writes(_loop_in_solution(before_def=True)),
        full_except("func_forward_propagation"),
        "func_forward_propagation is not defined",
    ),
    Case(
        "infinite_loop_after_def",
        "`while True: pass` after the def: the function exists",
        writes(_loop_in_solution(before_def=False)),
        full(),
    ),
    Case(
        "loop_catching_interrupt",
        "a loop that swallows KeyboardInterrupt after the cost test",
        writes(_cell_after("func_compute_cost", KBI_CATCHING_LOOP)),
        upto("func_compute_cost"),
        "did not stop",
    ),
    Case(
        "sigalrm_ignored",
        "SIGALRM ignored, then a busy loop, after the init test",
        writes(_cell_after("func_initialize_parameters", SIGALRM_IGNORED)),
        upto("func_initialize_parameters"),
        "did not stop",
    ),
    Case(
        "sleep_in_probe",
        "update_parameters sleeps an hour when called",
        writes(_sleep_in_probe),
        full_except("func_update_parameters"),
        "timed out or were interrupted",
    ),
    Case(
        "notebook_timeout",
        "sleeping cells after the cost test exceed the notebook's time",
        writes(_slow_cells),
        upto("func_compute_cost"),
        "total time limit",
    ),
    Case(
        "exit_quit_systemexit",
        "exit(), quit(), SystemExit, sys.exit, ask_exit, KeyboardInterrupt in cells",
        writes(_exits),
        full(),
    ),
    Case(
        "systemexit_in_function",
        "func_layer_sizes raises SystemExit when the hidden tests call it",
        writes(_layer_sizes_returning("sys.exit(0)", "import sys")),
        full_except("func_layer_sizes"),
    ),
    Case(
        "huge_int_return",
        "func_layer_sizes returns a 5000-digit int",
        writes(_layer_sizes_returning("(10 ** 5000, 4, Y.shape[0])")),
        full_except("func_layer_sizes"),
    ),
    Case(
        "huge_string_return",
        "func_layer_sizes returns a 40 MB string",
        writes(_layer_sizes_returning("'x' * (40 << 20)")),
        full_except("func_layer_sizes"),
    ),
    # processes
    Case(
        "fork_bomb",
        "os.fork in a loop, every child forking again (after the layer-sizes test)",
        writes(_cell_after("func_layer_sizes", FORK_BOMB)),
        full(),
    ),
    Case(
        "subprocess_spawn",
        "hundreds of sleep processes and threads, a nohup'd background job",
        writes(_cell_after("func_layer_sizes", SUBPROCESS_SPAWN)),
        full(),
    ),
    # the sandbox
    Case(
        "read_other_students",
        "reads other submissions, reports, the gradebook, the source "
        "notebook; a leak would cost func_layer_sizes its point",
        writes(_read_others),
        full(),
    ),
    Case(
        "write_outside_sandbox",
        "writes/deletes the sentinel, the gradebook, the repo, site-packages; leaves a daemon behind",
        writes(_write_outside),
        full(),
    ),
    Case(
        "import_grader_package",
        "backward propagation taken from the trusted grader package or the source notebook",
        writes(_import_grader),
        full_except("func_backward_propagation"),
    ),
    # output and memory
    Case(
        "huge_output",
        "200 MB printed, 30 MB displayed, an 8 MB error",
        writes(_cell_after("func_layer_sizes", HUGE_OUTPUT)),
        full(),
        check=notebook_smaller_than(6),
    ),
    Case(
        "memory_hog",
        "4 GB allocations, then memory touched up to the limit",
        writes(_cell_after("func_layer_sizes", MEMORY_HOG + "\n" + MEMORY_TOUCH)),
        full(),
    ),
    Case(
        "memory_hog_forked",
        "six forked processes touch 512 MB each (the limit is 1 GB); "
        "exceeding the limit costs func_layer_sizes its point",
        writes(_memory_forked),
        full(),
    ),
    # cheating
    Case(
        "redefine_after_tests",
        "every function broken right after its test cell",
        writes(_redefine_after_tests),
        full(),
    ),
    Case(
        "hardcode_before_test",
        "func_layer_sizes redefined as `return (5, 4, 2)` before its test",
        writes(_hardcode_before_test),
        full_except("func_layer_sizes"),
        check=passed_counts(func_layer_sizes=1),
    ),
    Case(
        "hardcoded_lesson_outputs",
        "every function returns the lesson's printed answer",
        writes(_hardcoded_lesson),
        zero(),
        check=passed_counts(**{e: 1 for e in EXERCISES}),
    ),
    Case(
        "monkeypatch_no_impl",
        "no implementation; numpy.testing, np.allclose, checks, print, "
        "stdout, IPython hooks and the kernel's JSON encoder patched",
        writes(lambda paths: insert_after(released(), "imports", MONKEYPATCH)),
        zero(),
    ),
    Case(
        "forge_channel_no_impl",
        "no implementation; fake framed done/probe/ready messages on fd 3",
        writes(_forge_channel),
        zero(),
    ),
    Case(
        "forge_oversized_frame",
        "a frame header announcing 2 GB after the backward test",
        writes(_cell_after("func_backward_propagation", FORGE_OVERSIZED)),
        upto("func_backward_propagation"),
        "over the limit",
    ),
    Case(
        "forge_garbled_frame",
        "a frame of invalid JSON after the forward test",
        writes(_cell_after("func_forward_propagation", FORGE_GARBLED)),
        upto("func_forward_propagation"),
        "garbled",
    ),
    Case(
        "steal_reference_callees",
        "nn_model's test cell moved to the top: its hidden tests lend "
        "the reference callees to the student's func_nn_model, which keeps them for the "
        "other exercises",
        writes(_steal_reference),
        only("func_nn_model", "func_predict"),
    ),
    # issue 10: the outside review's classes, each with its neighbours
    Case(
        "keyring_and_ipc",
        "stores and searches a key in the user keyring, a SysV segment on a "
        "fixed key; a success costs func_layer_sizes its point",
        writes(_leak_probe(KEYRING)),
        full(),
    ),
    Case(
        "compile_spy_reference_leak",
        "compile/exec/profile spies, func_nn_model inspecting its callees, "
        "hidden inputs smuggled into keys and exception messages, a last cell printing it all",
        writes(_compile_spy),
        zero(),
        check=nothing_of_the_reference_comes_back,
    ),
    Case(
        "many_displays",
        "40 cells displaying 1 MB of HTML each after the layer-sizes test",
        writes(_many_displays),
        full(),
        check=notebook_smaller_than(10),
    ),
    Case(
        "forged_done_then_hang",
        "forged `done` answers for 300 sequence numbers, SIGALRM ignored, "
        "a sleep; then a 200 KB cell (a forgery that were accepted would meet a kernel that "
        "stopped reading)",
        writes(_forged_done_sleep),
        upto("func_backward_propagation"),
        "kernel stopped",
    ),
    Case(
        "tmpfs_disk_deep_tree",
        "fills /tmp, /dev/shm and the working folder (memory through tmpfs, disk), then a 3,000-level tree",
        writes(_tmpfs_and_disk),
        full(),
    ),
    Case(
        "userns_unbounded_tmpfs",
        "unshare(CLONE_NEWUSER|CLONE_NEWNS), clone and clone3 with CLONE_NEWUSER, `unshare -Urm`: "
        "a tmpfs of its own with no size or file limit, filled",
        writes(_userns_tmpfs),
        full(),
    ),
    Case(
        "proc_shows_host_paths",
        "reads /proc/1/cmdline and environ looking for the course and temp paths",
        writes(_proc_paths),
        full(),
    ),
    Case(
        "huge_dict_result",
        "func_update_parameters returns a dict of 400,000 keys",
        writes(_huge_dict),
        full_except("func_update_parameters"),
        check=verdict_smaller_than(4000),
    ),
]

assert len({c.id for c in CASES}) == len(CASES)
