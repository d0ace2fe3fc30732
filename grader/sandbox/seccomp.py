"""A seccomp filter for the grading kernel: no kernel keyrings, no BPF, perf, userfaultfd or io_uring.

Linux keyrings are shared by every process of a uid and outlive the
process that filled them; bubblewrap's namespaces do not confine them, so a
submission could leave data there for a later one.  The filter makes those
system calls fail with ``EPERM`` (and a few others that only widen the
attack surface on the host's kernel).  It is a classic BPF program, built
here for the machine's architecture and handed to bubblewrap (``--seccomp``);
a system call from another architecture (32-bit) kills the process, an
x32 one is refused.
"""

import platform
import struct

# (AUDIT_ARCH, {name: number}) per architecture, from the kernel's syscall tables.
_TABLES = {
    "x86_64": (
        0xC000003E,
        {
            "add_key": 248,
            "request_key": 249,
            "keyctl": 250,
            "perf_event_open": 298,
            "bpf": 321,
            "userfaultfd": 323,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "add_key": 217,
            "request_key": 218,
            "keyctl": 219,
            "perf_event_open": 241,
            "bpf": 280,
            "userfaultfd": 282,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
        },
    ),
}
_X32_BIT = 0x40000000

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO_EPERM = 0x00050000 | 1


def supported():
    """Whether a filter can be built for this machine's architecture."""
    return platform.machine() in _TABLES


def blocked_calls():
    """The names of the system calls the filter refuses."""
    return sorted(_TABLES[platform.machine()][1])


def program():
    """The compiled filter (``struct sock_filter`` array, native byte order), for ``bwrap --seccomp``."""
    arch, numbers = _TABLES[platform.machine()]
    nrs = sorted(numbers.values())
    ins = []

    def op(code, k, jt=0, jf=0):
        ins.append((code, jt, jf, k))

    op(_LD_W_ABS, 4)  # seccomp_data.arch
    op(_JEQ_K, arch, 1, 0)
    op(_RET_K, _KILL_PROCESS)
    op(_LD_W_ABS, 0)  # seccomp_data.nr
    # Each test jumps to the EPERM return at the end when it matches.
    tests = len(nrs) + (1 if platform.machine() == "x86_64" else 0)
    if platform.machine() == "x86_64":
        op(_JGE_K, _X32_BIT, tests, 0)  # x32 ABI: refused
        tests -= 1
    for i, nr in enumerate(nrs):
        op(_JEQ_K, nr, len(nrs) - i, 0)
    op(_RET_K, _ALLOW)
    op(_RET_K, _ERRNO_EPERM)
    return b"".join(struct.pack("=HBBI", *i) for i in ins)
