"""The grading kernel: runs one submission's cells, inside the sandbox.

This file is copied into each submission's throwaway working directory and
run there by an isolated interpreter (``python -I``); it imports nothing
from the trusted ``grader`` package and holds no secret.  It reads requests
from fd 0 and answers on fd 3, each message a 4-byte big-endian length and
UTF-8 JSON:

- ``{"op": "run", "code": ...}``: run a cell with IPython (magics,
  ``display``, inline figures); answer ``done`` with its outputs in nbformat shape.
- ``{"op": "record", "name": ...}``: keep the function ``name`` as it is now
  (at its test cell); answer ``recorded``.
- ``{"op": "probe", "code": ..., "cases": ...}``: exec grader-supplied code
  that defines ``__probe__(user_ns, recorded, call)``, with the request's
  ``cases`` (JSON data, optional) as its global ``__cases__``, and answer
  ``probe`` with what it returns.  ``call(name, args, kwargs)`` sends a ``call`` message and waits
  for the grader's ``return`` (or ``raise``): a composite exercise's callees
  are computed by the grader, so no reference code is ever sent here.

Every answer echoes the request's ``seq``.

Nothing the student's code prints or displays is trusted by the grader: the
answers are raw values that the grading process compares with its own
reference.  Output is capped per cell and per notebook (the grader enforces
the same budgets on its side) so that a cell printing a gigabyte cannot
exhaust memory.
"""

import json
import os
import signal
import struct
import sys

_dumps, _loads, _write, _read, _pack, _unpack = (
    json.dumps,
    json.loads,
    os.write,
    os.read,
    struct.pack,
    struct.unpack,
)
IN_FD, OUT_FD = 0, 3
PROBE_FILE = "<grader probe>"  # the file name of the probes' code (tracebacks name it)


def send(obj):
    """Write ``obj`` as one frame on the answer channel (an unsendable answer becomes an error)."""
    try:
        data = _dumps(obj, default=repr).encode("utf-8", "replace")
    except Exception as exc:  # e.g. an int too long to print: the answer is unusable, not fatal
        data = _dumps(
            {
                "op": obj.get("op", "error"),
                "error": "unsendable answer: %s" % type(exc).__name__,
                "status": "error",
                "outputs": [],
            }
        ).encode("utf-8")
    data = _pack(">I", len(data)) + data
    while data:
        data = data[_write(OUT_FD, data) :]


def _read_exact(n):
    chunks = []
    while n:
        chunk = _read(IN_FD, n)
        if not chunk:
            raise SystemExit(0)
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv():
    """Read one request frame."""
    (n,) = _unpack(">I", _read_exact(4))
    return _loads(_read_exact(n).decode("utf-8"))


def caps(environ):
    """``(stream, display, notebook)`` caps in characters, as the grader set them (``Limits``).

    ``grader/sandbox/kernel.py`` always passes them (from ``output_kb``, ``display_kb``
    and ``notebook_output_mb``): there is no default here, so no second source of them.
    """
    return tuple(
        int(environ[name]) for name in ("GRADER_STREAM_CAP", "GRADER_DISPLAY_CAP", "GRADER_NOTEBOOK_CAP")
    )


class CappedStream:
    """A text stream that keeps at most ``cap`` characters per cell."""

    encoding = "utf-8"

    def __init__(self, name, sink, cap):
        self.name, self.sink, self.size, self.truncated, self.cap = name, sink, 0, False, cap

    def write(self, text):
        """Keep ``text`` while the cell's cap allows; note once that the rest was dropped."""
        text = str(text)
        room = self.cap - self.size
        if room > 0:
            self.sink.append({"output_type": "stream", "name": self.name, "text": text[:room]})
        if len(text) > room and not self.truncated:
            self.truncated = True
            self.sink.append(
                {"output_type": "stream", "name": self.name, "text": "\n[output truncated by the grader]\n"}
            )
        self.size += len(text)
        return len(text)

    def flush(self):
        """Nothing to flush: outputs are sent with the cell's answer."""
        pass

    def isatty(self):
        """Not a terminal."""
        return False

    def writable(self):
        """Writable, as a stream must say."""
        return True


class DisplayBudget:
    """Display data kept: at most ``per_cell`` characters in a cell, ``per_notebook`` in all.

    ``per_notebook`` counts the cells' streams too (:meth:`add`), as the grader's own
    budget of the autograded notebook does.
    """

    DROPPED = {"text/plain": "[display output dropped: over the grader's size limit]"}

    def __init__(self, per_cell, per_notebook):
        self.per_cell, self.per_notebook = per_cell, per_notebook
        self.cell = self.notebook = 0

    def new_cell(self):
        """Start a cell's own count."""
        self.cell = 0

    def add(self, size):
        """Count ``size`` characters of a cell's streams against the notebook's budget."""
        self.notebook += size

    def keep(self, data, metadata):
        """``(data, metadata)`` of a display if it fits, else a note in its place (counted as 0)."""
        size = sum(len(str(v)) for v in data.values())
        if self.cell + size > self.per_cell or self.notebook + size > self.per_notebook:
            return dict(self.DROPPED), {}
        self.cell += size
        self.notebook += size
        return data, metadata


class CellTimeout(KeyboardInterrupt):
    """Raised in a cell that outlives its time (a KeyboardInterrupt, as in Jupyter)."""


def _describe(exc):
    text = str(exc)[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _alarm(signum, frame):  # noqa: ARG001 (a signal handler's signature)
    # The one bilingual text outside grader/messages.py: this file runs standalone in the
    # sandbox (``python -I``) and cannot import the catalogue; it is messages.CELL_TIMED_OUT,
    # and grader_tests/test_unit_messages.py checks that the two stay the same.
    raise CellTimeout("单元格运行超时 / cell timed out")


class LazyPyplot:
    """Makes ``import matplotlib.pyplot`` lazy, matplotlib itself included (a meta path finder).

    The course's locked import cell imports pyplot and runs ``%matplotlib
    inline``; pyplot's import costs about a second of CPU, more than the rest
    of a submission's grading, and the exercises never plot.  The module is
    created empty and loaded on its first attribute access (``plt.plot``),
    as :class:`importlib.util.LazyLoader` does; the deferred ``%matplotlib``
    request is then carried out, so a cell that plots shows its figure as
    before.  Grading only runs the code; nothing is judged from pyplot.

    Its package, ``matplotlib`` (0.17 s of CPU: its rc parameters' validators, pyparsing,
    PIL), is run on the first access to an attribute it has not got yet
    (:class:`_LazyPackage`); importing a submodule needs only its ``__path__``.
    """

    NAME = "matplotlib.pyplot"
    PACKAGE = "matplotlib"

    def __init__(self):
        self.loaded = False
        self.on_load = None  # called once pyplot is really loaded

    def find_spec(self, name, path=None, target=None):  # noqa: ARG002 (importlib's finder protocol)
        """The real spec of pyplot or matplotlib with a lazy loader; ``None`` for any other module."""
        if name not in (self.NAME, self.PACKAGE) or self.loaded:
            return None
        import importlib.util

        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        if name == self.PACKAGE:
            spec.loader = _LazyPackage(spec.loader)
        else:
            spec.loader = importlib.util.LazyLoader(_Loaded(spec.loader, self))
        return spec


class _LazyPackageModule(type(sys)):
    """A package whose code has not run yet: the first attribute it lacks runs it."""

    def __getattr__(self, name):
        # Only for attributes it has not got: __path__, __spec__ and the submodules imported
        # meanwhile are there, and asking for them runs nothing.
        loader = self.__dict__.pop("_grader_lazy_loader", None)
        if loader is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        self.__class__ = type(sys)
        loader.exec_module(self)
        return getattr(self, name)


class _LazyPackage:
    """The real loader of a package, run by :class:`_LazyPackageModule` when first needed."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):  # noqa: ARG002 (importlib's loader protocol)
        """The default module object (matplotlib is a plain source package)."""
        return None

    def exec_module(self, module):
        """Run nothing yet: the module runs its code on its first missing attribute."""
        module.__dict__["_grader_lazy_loader"] = self.loader
        module.__class__ = _LazyPackageModule


class _Loaded:
    """The real loader, telling :class:`LazyPyplot` when the module has really run."""

    def __init__(self, loader, lazy):
        self.loader, self.lazy = loader, lazy

    def create_module(self, spec):  # noqa: ARG002 (importlib's loader protocol)
        """The default module object (pyplot is a plain source module)."""
        return None

    def exec_module(self, module):
        """Run pyplot, then whatever waited for it (the deferred ``%matplotlib``)."""
        self.lazy.loaded = True
        self.loader.exec_module(module)
        if self.lazy.on_load is not None:
            callback, self.lazy.on_load = self.lazy.on_load, None
            callback()


class Session:
    """What :func:`prepare` made and :func:`serve` uses: the shell and the state its hooks share."""

    def __init__(self, shell, outputs, budget, state, recorded):
        self.shell, self.outputs, self.budget, self.state, self.recorded = (
            shell,
            outputs,
            budget,
            state,
            recorded,
        )
        self.transforms = PrimedTransforms(shell.input_transformer_manager)
        self.probes = {}  # probe source -> its code object: see prime_probes

    def prime_probes(self, sources):
        """Compile the grader's probes (the same text for every submission) now, for every kernel.

        A probe request whose code is one of them runs that code object instead of compiling
        the text again: about 1 ms a probe.  It is the grader's text compiled as it would be
        (same file name), so nothing about what runs changes.
        """
        for source in sources:
            if isinstance(source, str):
                try:
                    self.probes[source] = compile(source, PROBE_FILE, "exec")
                except SyntaxError:
                    continue  # compiled (and failing) again when it is asked for


def may_await(cell):
    """Whether ``cell`` (a transformed cell's text) may await at top level, as IPython asks.

    ``await``, ``async for``, ``async with`` and asynchronous comprehensions are the only
    top-level code Python compiles as a coroutine, and each spells one of the two words.
    """
    return "await" in cell or "async" in cell


class PrimedTransforms:
    """IPython's static input transforms, made once per zygote for the release's own cells.

    ``TransformerManager.transform_cell`` (magics, ``!``, ``?``, prompts: a pure function of
    the text) is a third of a small cell's cost in ``run_cell``.  A zygote is given the
    release's code cells (public text, never run there) and transforms them once
    (:meth:`prime`); a kernel forked from it finds every cell the student left as released
    done already.  Any other text, or any text once a cell has changed the manager's lists of
    transforms, is transformed as before.  IPython's dynamic step (``prefilter``, which looks
    at the user's names) runs on every cell as before.
    """

    def __init__(self, manager):
        self.manager, self.static, self.done, self.lists = manager, manager.transform_cell, {}, None
        manager.transform_cell = self

    def _lists(self):
        m = self.manager
        return (tuple(m.cleanup_transforms), tuple(m.line_transforms), tuple(m.token_transformers))

    def prime(self, cells):
        """Transform ``cells`` (sources) now, for every kernel forked later."""
        self.lists = self._lists()
        for cell in cells:
            if isinstance(cell, str):
                try:
                    self.done[cell] = self.static(cell)
                except Exception:  # noqa: S112 (transformed, and failing again, when it runs)
                    continue

    def __call__(self, cell):
        found = self.done.get(cell)
        if found is not None and self._lists() == self.lists:
            return found
        return self.static(cell)


def main():
    """Serve requests until the grader closes the channel."""
    serve(prepare())


def prepare():
    """Everything before the first request: IPython's shell, its hooks, the lazy pyplot.

    No student code and nothing of the submission is involved, so a zygote
    (``zygote_child.py``) runs this once and forks each submission's kernel from it.
    """
    # C-level writes to stdout/stderr go nowhere; Python-level ones are captured.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.path.insert(0, os.getcwd())
    lazy_pyplot = LazyPyplot()
    sys.meta_path.insert(0, lazy_pyplot)

    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    outputs = []
    budget = DisplayBudget(0, 0)  # its caps are the kernel's environment's, set in serve()
    state = {"error": None}
    recorded = {}

    class Publisher(DisplayPublisher):
        # IPython's DisplayPublisher signature; an update or transient display is one more output here.
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):  # noqa: ARG002
            data, metadata = budget.keep(data, metadata)
            outputs.append(
                {"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})}
            )

        def clear_output(self, wait=False):  # noqa: ARG002 (IPython's signature: cleared at once)
            outputs.clear()

    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            outputs.append(
                {
                    "output_type": "execute_result",
                    "data": dict(format_dict),
                    "metadata": dict(md_dict or {}),
                    "execution_count": self.shell.execution_count,
                }
            )

    class Shell(InteractiveShell):
        displayhook_class = Hook

        def enable_gui(self, gui=None):
            pass  # no event loop: `%matplotlib inline` only needs the inline backend

        def enable_matplotlib(self, gui=None):
            # Until pyplot is really loaded, `%matplotlib` is carried out when it is.
            if lazy_pyplot.loaded:
                return super().enable_matplotlib(gui)
            lazy_pyplot.on_load = lambda: super(Shell, self).enable_matplotlib(gui)
            return gui, "inline"

        def should_run_async(self, raw_cell, *, transformed_cell=None, preprocessing_exc_tuple=None):
            # IPython compiles the whole cell a second time to learn whether it awaits at top
            # level (8 % of a kernel's time in run_cell); a cell without the words cannot.
            if transformed_cell is not None and not may_await(transformed_cell):
                return False
            return super().should_run_async(
                raw_cell, transformed_cell=transformed_cell, preprocessing_exc_tuple=preprocessing_exc_tuple
            )

        def _showtraceback(self, etype, evalue, stb):
            state["error"] = {
                "output_type": "error",
                "ename": getattr(etype, "__name__", str(etype)),
                "evalue": str(evalue)[:2000],
                "traceback": [line[:2000] for line in stb[-20:]],
            }

    from traitlets.config import Config

    # No history database and no history-saving thread: a thread that fork()
    # stops and a full process table keeps from restarting would break every cell.
    shell = Shell.instance(colors="nocolor", config=Config({"HistoryManager": {"enabled": False}}))
    shell.display_pub = Publisher(shell=shell)
    # `%matplotlib inline`, which notebooks run in their first cell, is a lazily loaded magic:
    # loaded here (its argument parsers cost 5 ms), so once per zygote rather than per kernel.
    load_lazy = getattr(shell.magics_manager, "load_lazy", None)
    if load_lazy is not None:
        load_lazy("matplotlib", "line")
    # What IPython makes on its first cell, whatever the cell (its session logger, which stays
    # off; bdb; hashlib, for the cell's file name): here, once per zygote rather than in each
    # kernel (0.8 ms and 130 copied pages).
    import bdb  # noqa: F401
    import hashlib  # noqa: F401

    shell.logger  # noqa: B018 (built on first access)
    return Session(shell, outputs, budget, state, recorded)


def serve(session):
    """Say ``ready``, then answer requests until the grader closes the channel."""
    shell, outputs, budget, state, recorded = (
        session.shell,
        session.outputs,
        session.budget,
        session.state,
        session.recorded,
    )
    stream_cap, budget.per_cell, budget.per_notebook = caps(os.environ)
    own_pid_namespace = os.environ.get("GRADER_OWN_PID_NAMESPACE") == "1"
    send({"op": "ready", "pid": os.getpid()})

    signal.signal(signal.SIGALRM, _alarm)
    while True:
        request = recv()
        seq = request.get("seq")
        signal.setitimer(signal.ITIMER_REAL, float(request.get("timeout", 0)))
        outputs.clear()
        state["error"] = None
        budget.new_cell()
        out, err = CappedStream("stdout", outputs, stream_cap), CappedStream("stderr", outputs, stream_cap)
        sys.stdout, sys.stderr = out, err
        try:
            if request["op"] == "run":
                result = shell.run_cell(request["code"], store_history=True)
                status = "ok" if result.success else "error"
                if state["error"]:
                    outputs.append(state["error"])
                budget.add(out.size + err.size)
                send(
                    {
                        "op": "done",
                        "seq": seq,
                        "status": status,
                        "outputs": list(outputs),
                        "execution_count": shell.execution_count - 1,
                    }
                )
            elif request["op"] == "record":
                recorded[request["name"]] = shell.user_ns.get(request["name"])
                send({"op": "recorded", "seq": seq})
            elif request["op"] == "probe":
                if own_pid_namespace and not state.get("alone"):
                    # Before the first probe, every other process the student started in this
                    # sandbox goes: nothing can watch, trace or starve the probes.  (Only in a PID
                    # namespace of its own: there kill(-1) reaches nothing outside the sandbox.)
                    state["alone"] = True
                    try:
                        os.kill(-1, signal.SIGKILL)
                    except OSError:
                        pass
                # The request's cases (if any) are the probe's data: its code is the same for everyone.
                namespace = {"__cases__": request.get("cases")}
                # Hooks a cell installed must not watch the grader's probe (threads still run:
                # what they see of it cannot leave, as verdicts echo nothing of the student's).
                sys.setprofile(None)
                sys.settrace(None)

                def call(name, args, kwargs):
                    send({"op": "call", "seq": seq, "name": name, "args": args, "kwargs": kwargs})
                    reply = recv()
                    if reply.get("op") == "return":
                        return reply.get("value")
                    raise RuntimeError(str(reply.get("error", "the grader refused the call"))[:300])

                try:
                    code = session.probes.get(request["code"]) or compile(request["code"], PROBE_FILE, "exec")
                    exec(code, namespace)
                    value = namespace["__probe__"](shell.user_ns, recorded, call)
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:
                    send({"op": "probe", "seq": seq, "error": _describe(exc)})
                else:
                    send({"op": "probe", "seq": seq, "result": value})
            else:
                send({"op": "error", "seq": seq, "message": "unknown request"})
        except KeyboardInterrupt:
            answer_op = {"run": "done", "record": "recorded"}.get(request.get("op"), "probe")
            send(
                {
                    "op": answer_op,
                    "seq": seq,
                    "status": "interrupted",
                    "outputs": list(outputs),
                    "error": "interrupted",
                }
            )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


if __name__ == "__main__":
    if sys.argv[1:] == ["--zygote"]:
        # A zygote (``zygote_child.py``, beside this file): prepared once, then a kernel per fork.
        _session = prepare()
        import _grader_zygote

        _grader_zygote.main(_session, serve)
    else:
        main()
