"""Resource limits of one submission's grading, with safe defaults: their one source.

Every kernel and grader limit is a field of :class:`Limits`, and every path
that grades or runs student code (``python -m grader grade`` and so ``make
grade``, the Dask workers, ``nbgrader autograde`` and formgrader's Autograde
button, the feedback extra of ``python -m grader feedback`` and ``nbgrader
generate_feedback``) gets its limits from :meth:`Limits.load`, which layers,
each over the one before:

1. the defaults of the fields below;
2. ``c.Limits.<name> = value`` in ``nbgrader_config.py`` (the course's
   settings; ``nbgrader ... --Limits.<name>=value`` too, where nbgrader's own
   configuration is read);
3. the ``GRADER_LIMITS`` environment variable, ``name=value`` pairs separated
   by commas (``GRADER_LIMITS=memory_mb=4096,cell_timeout=120``), for one
   run without editing the course's settings;
4. ``--limit name=value`` of ``python -m grader grade`` (repeatable).

An unknown name or a value that is not a positive finite number (a whole
number for the whole-number limits) is refused, in every source, with a
message naming the source; nothing falls back to a default silently.

Each field's meaning, as enforced, is in its ``help`` metadata;
:func:`markdown_table` renders them for README.md (a test keeps the two equal).
"""

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace

from grader import messages as msg

ENVIRONMENT = "GRADER_LIMITS"
SECTION = "Limits"  # the traitlets section of nbgrader_config.py: c.Limits.<name>
CONFIG_SOURCE = "nbgrader_config.py c.Limits"
COMMAND_LINE = "--limit"


def _limit(default, help):
    """A field with its default and its meaning as enforced (``help``: what README.md shows)."""
    return field(default=default, metadata={"help": help})


class LimitError(ValueError):
    """A limit given with an unknown name or a bad value; the message is bilingual."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's grading (see the module's doc); immutable.

    Build it with :meth:`load` (defaults < nbgrader_config.py < ``GRADER_LIMITS``
    < ``--limit``); ``Limits()`` alone is only the defaults.
    """

    cell_timeout: float = _limit(
        60.0, "seconds one cell, or one exercise's hidden tests, may run before it is interrupted"
    )
    notebook_timeout: float = _limit(
        300.0,
        "seconds of wall time one kernel gets: the submission's run, and again each fresh kernel "
        "started after a kernel death (within `submission_timeout`)",
    )
    submission_timeout: float = _limit(
        600.0,
        "seconds of wall time for the whole submission, all its kernels together (the run and "
        "at most two re-runs after a kernel death)",
    )
    memory_mb: int = _limit(
        2048,
        "MiB of address space of the kernel process; with a cgroup, `memory_mb` + `disk_mb` + "
        "`shm_mb` also bound all the submission's processes together",
    )
    cpu_seconds: int = _limit(
        600, "seconds of CPU time of the kernel process (then SIGXCPU, and SIGKILL 5 s later)"
    )
    processes: int = _limit(
        64,
        "processes and threads of the submission: its cgroup's `pids.max` where cgroups are "
        "writable (v1 or v2), else `RLIMIT_NPROC` per kernel uid (as root, or a normal user's "
        "subordinate id), and as a normal user without them `RLIMIT_NPROC` at what that user "
        "already runs plus this",
    )
    output_kb: int = _limit(
        64,
        "characters (in units of 1024) of each output stream (stdout, stderr) kept per cell; "
        "the rest is dropped with a note",
    )
    display_kb: int = _limit(
        2048,
        "characters (in units of 1024) of display data (`display`, figures: all its "
        "formats together) kept per cell; a display over it is replaced by a note",
    )
    notebook_output_mb: int = _limit(
        8,
        "MiB of outputs kept in the autograded notebook, all cells together (counted by the "
        "kernel, and again by the grader); the rest is dropped with a note",
    )
    file_size_mb: int = _limit(64, "MiB: the largest file the kernel may write")
    open_files: int = _limit(256, "file descriptors the kernel process may have open")
    disk_mb: int = _limit(
        256, "MiB of the kernel's writable space (its `/tmp` and working directory; with bubblewrap)"
    )
    shm_mb: int = _limit(16, "MiB of the kernel's `/dev/shm` (with bubblewrap)")
    tmp_inodes: int = _limit(
        10000,
        "files and folders each of the kernel's `/tmp` (its working directory included) and "
        "`/dev/shm` may hold (with bubblewrap); a notebook creates a few dozen",
    )
    max_message_mb: int = _limit(
        8,
        "MiB: the largest message the kernel may send (a cell's answer with its outputs); "
        "a larger one stops the kernel",
    )
    answer_kb: int = _limit(
        2048, "KiB: the largest answer of one exercise's hidden tests; a larger one stops the kernel"
    )
    # Over twice the most calls any assignment's hidden cases need with the reference
    # solutions (grader_tests/material/test_callee_calls.py checks it and docs/architecture.md
    # gives the numbers); 5,000 let one buggy loop take 46 s of a grading run.  Each probe's own
    # budget is grader.pipeline.probe.callee_budget, relative to its reference's calls.
    callee_calls: int = _limit(
        1000,
        "calls to the functions a composite exercise uses answered per run of its hidden "
        "tests, at most: each composite's own budget, four times the calls its reference "
        "solution makes plus 50, applies where smaller; later calls raise an error in the kernel",
    )
    verdict_chars: int = _limit(
        4000,
        "characters of failure messages kept in one exercise's verdict (the first failure is always kept)",
    )
    grader_memory_mb: int = _limit(
        512,
        "MiB of address space a forked grading worker may add to what it held when forked, "
        "while grading its submissions (`make grade` without Dask)",
    )
    notebook_mb: int = _limit(50, "MiB: the largest notebook file read; a larger one scores 0 with a note")
    max_cells: int = _limit(2000, "cells a notebook may have; more scores 0 with a note")
    grace: float = _limit(
        5.0, "seconds a cell past its time gets to stop by itself before its kernel is killed"
    )

    @classmethod
    def load(cls, overrides=(), config=None, environ=None):
        """The limits of a grading run: defaults < config < environment < ``overrides``.

        Parameters
        ----------
        overrides : iterable of str
            ``name=value`` items, as given to ``--limit`` (they win over everything).
        config : traitlets.config.Config, optional
            The nbgrader configuration whose ``Limits`` section is read
            (default: :func:`grader.config.load`, i.e. nbgrader_config.py).
        environ : mapping, optional
            Where ``GRADER_LIMITS`` is read (default: ``os.environ``).

        Returns
        -------
        Limits

        Raises
        ------
        LimitError
            For an unknown name or a bad value in any of the sources.
        """
        if config is None:
            from grader import config as course_config

            config = course_config.load()
        environ = os.environ if environ is None else environ
        section = dict.get(config, SECTION) or {}  # not config.Limits: that would add the section
        limits = cls()
        for name, value in section.items():
            limits = replace(limits, **{_known(name, CONFIG_SOURCE): _value(name, value, CONFIG_SOURCE)})
        env = [p for p in environ.get(ENVIRONMENT, "").split(",") if p.strip()]
        limits = cls.parse(env, base=limits, source=ENVIRONMENT)
        return cls.parse(overrides, base=limits, source=COMMAND_LINE)

    @classmethod
    def parse(cls, items=(), base=None, source=COMMAND_LINE):
        """``base`` (default: the defaults) with the ``name=value`` strings of ``items`` applied.

        Only ``items``: the configuration and the environment are :meth:`load`'s.

        Raises
        ------
        LimitError
            For an unknown name or a bad value; the message names ``source``.
        """
        limits = base or cls()
        for pair in items:
            name, _, value = str(pair).partition("=")
            name = _known(name.strip(), source)
            limits = replace(limits, **{name: _value(name, value.strip(), source)})
        return limits

    def as_dict(self):
        """``{limit: value}``, e.g. for the grading run's summary."""
        return asdict(self)

    def as_items(self):
        """Every limit as a ``name=value`` item: what :meth:`parse` reads back to these limits."""
        return [f"{name}={value!r}" for name, value in self.as_dict().items()]


def _types():
    return {f.name: f.type for f in fields(Limits)}


def _known(name, source):
    if name not in _types():
        raise LimitError(msg.LIMIT_UNKNOWN.format(name=name, source=source, known=", ".join(_types())))
    return name


def _value(name, value, source):
    """``value`` (a number, or its text from the command line or the environment) as limit ``name``."""
    whole = _types()[name] in (int, "int")
    bad = LimitError(
        (msg.LIMIT_NOT_WHOLE if whole else msg.LIMIT_NOT_POSITIVE).format(
            name=name, source=source, value=value
        )
    )
    if isinstance(value, str):  # traitlets passes nbgrader's --Limits.name=value as text too
        try:
            value = int(value) if whole else float(value)
        except ValueError:
            raise bad from None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (whole and not isinstance(value, int))
    ):
        raise bad
    if not value > 0 or not math.isfinite(value):
        raise bad
    return int(value) if whole else float(value)


def markdown_table():
    """The limits as README.md lists them: one row per field, its default and meaning.

    Returns
    -------
    str
        A Markdown table (no trailing newline).
    """
    rows = ["| limit | default | meaning |", "| --- | --- | --- |"]
    for f in fields(Limits):
        rows.append(f"| `{f.name}` | {f.default:g} | {f.metadata['help']} |")
    return "\n".join(rows)
