"""Resource limits of one submission's grading, with safe defaults.

Every limit can be changed on the command line (``python -m grader grade
--limit memory_mb=4096``) or through ``GRADER_LIMITS`` (``name=value`` pairs
separated by commas), e.g. for a course whose notebooks need more memory.
"""
import os
from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's grading (see the module's doc); immutable."""
    cell_timeout: float = 60.0       # seconds per cell (and per exercise's hidden tests)
    notebook_timeout: float = 300.0  # seconds of wall time for the whole submission
    memory_mb: int = 2048            # address space of the kernel
    cpu_seconds: int = 600           # CPU time of the kernel
    processes: int = 64              # processes and threads (needs a separate uid: see sandbox)
    output_kb: int = 64              # per stream per cell; display data: 2 MB per cell
    file_size_mb: int = 64           # largest file the kernel may write
    open_files: int = 256
    max_message_mb: int = 8          # largest answer the kernel may send (a cell's outputs)
    answer_kb: int = 2048            # largest answer to one exercise's hidden tests
    notebook_output_mb: int = 8      # outputs kept in the autograded notebook, all cells together
    disk_mb: int = 256               # the kernel's writable space (/tmp, its working directory)
    shm_mb: int = 16                 # the kernel's /dev/shm
    verdict_chars: int = 4000        # longest verdict message kept for one exercise
    callee_calls: int = 5000         # callee stub calls answered per probe of a composite exercise
    grader_memory_mb: int = 512      # memory the grading worker may add for one submission
    notebook_mb: int = 50            # largest notebook file read
    max_cells: int = 2000            # most cells a notebook may have
    grace: float = 5.0               # seconds a timed-out cell gets to stop by itself

    @classmethod
    def parse(cls, items=(), base=None):
        """``Limits`` from ``name=value`` strings (and ``GRADER_LIMITS``) over ``base``."""
        limits = base or cls()
        env = os.environ.get("GRADER_LIMITS", "")
        pairs = [p for p in env.split(",") if p.strip()] + list(items)
        types = {f.name: f.type for f in fields(cls)}
        for pair in pairs:
            name, _, value = pair.partition("=")
            name = name.strip()
            if name not in types:
                raise ValueError(f"unknown limit {name!r}; known: {', '.join(types)}")
            number = float(value) if types[name] in ("float", float) else int(value)
            if not number > 0 or number == float("inf"):
                raise ValueError(f"limit {name} must be a positive finite number, not {value!r}")
            limits = replace(limits, **{name: number})
        return limits

    def as_dict(self):
        """``{limit: value}``, e.g. for the grading run's summary."""
        return asdict(self)
