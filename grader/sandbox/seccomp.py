"""Seccomp filters for the sandbox: no kernel keyrings, BPF, perf, userfaultfd or io_uring; for the
kernel also no user namespace, no mount and no namespace switch.

Linux keyrings are shared by every process of a uid and outlive the
process that filled them; bubblewrap's namespaces do not confine them, so a
submission could leave data there for a later one.  Both filters make those
system calls fail with ``EPERM`` (and a few others that only widen the
attack surface on the host's kernel).  They are classic BPF programs, built
here for the machine's architecture; a system call from another
architecture (32-bit) kills the process, an x32 one is refused.

:func:`program` is bubblewrap's (``--seccomp``): everything in the sandbox runs under it,
the mount step and the zygote included, which still create namespaces and mount.
:func:`kernel_program` is installed on top of it by the last step before a kernel runs
(the mount step of a cold kernel, ``launch._mount_bounded_tmpfs``; the kernel's own set-up
in a zygote's child, ``zygote_child._kernel``).  It also refuses what a kernel never needs
and what would let it escape its bounds: a user namespace of its own (``unshare`` or
``clone`` with ``CLONE_NEWUSER``: in one, it holds every capability over a mount namespace
of its own and could mount a tmpfs with no size or file limit, memory no other limit
bounds), every mount call, and ``setns``.  ``clone3`` passes its flags in memory the
filter cannot read, so it fails with ``ENOSYS``, on which the C library falls back to
``clone`` (as Docker's and Flatpak's filters do).
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

# Linux 5.2's mount API and its later calls: numbered alike on every architecture (the unified table).
_NEW_MOUNT_API = {
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
}
# What the kernel's filter adds, per architecture: refused outright (EPERM) ...
_KERNEL_REFUSED = {
    "x86_64": {
        "mount": 165,
        "umount2": 166,
        "pivot_root": 155,
        "setns": 308,
        **_NEW_MOUNT_API,
    },
    "aarch64": {
        "mount": 40,
        "umount2": 39,
        "pivot_root": 41,
        "setns": 268,
        **_NEW_MOUNT_API,
    },
}
# ... refused when their flags (argument 0 on both architectures) ask for a user namespace ...
_KERNEL_FLAGGED = {"x86_64": {"clone": 56, "unshare": 272}, "aarch64": {"clone": 220, "unshare": 97}}
# ... and made to look absent (flags in user memory: the C library then uses clone).
_KERNEL_ABSENT = {"x86_64": {"clone3": 435}, "aarch64": {"clone3": 435}}

CLONE_NEWUSER = 0x10000000
_X32_BIT = 0x40000000

# seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6] (the low half
# of a 64-bit argument comes first on these little-endian machines).
_NR, _ARCH, _ARG0_LOW = 0, 4, 16

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO = 0x00050000
_EPERM, _ENOSYS = 1, 38


def supported():
    """Whether a filter can be built for this machine's architecture."""
    return platform.machine() in _TABLES


def blocked_calls():
    """The names of the system calls bubblewrap's filter refuses."""
    return sorted(_TABLES[platform.machine()][1])


def kernel_blocked_calls():
    """The names of the system calls the kernel's filter refuses, in every case or with ``CLONE_NEWUSER``."""
    machine = platform.machine()
    return sorted(
        set(_TABLES[machine][1]) | set(_KERNEL_REFUSED[machine]) | set(_KERNEL_FLAGGED[machine])
    ) + sorted(_KERNEL_ABSENT[machine])


class _Assembler:
    """Classic BPF with named forward jump targets: ``jt``/``jf`` are labels or ``0`` (the next one)."""

    def __init__(self):
        self.code, self.labels = [], {}

    def op(self, code, k, jt=0, jf=0):
        self.code.append((code, jt, jf, k))

    def label(self, name):
        self.labels[name] = len(self.code)

    def assemble(self):
        out = []
        for pc, (code, jt, jf, k) in enumerate(self.code):
            jt, jf = (self.labels[j] - pc - 1 if isinstance(j, str) else j for j in (jt, jf))
            assert 0 <= jt < 256 and 0 <= jf < 256, "a jump backwards or too far"
            out.append(struct.pack("=HBBI", code, jt, jf, k))
        return b"".join(out)


def _build(refused, flagged=(), absent=()):
    arch = _TABLES[platform.machine()][0]
    a = _Assembler()
    a.op(_LD_W_ABS, _ARCH)
    a.op(_JEQ_K, arch, 1, 0)
    a.op(_RET_K, _KILL_PROCESS)
    a.op(_LD_W_ABS, _NR)
    if platform.machine() == "x86_64":
        a.op(_JGE_K, _X32_BIT, "eperm")  # x32 ABI: refused
    for nr in sorted(refused):
        a.op(_JEQ_K, nr, "eperm")
    for nr in sorted(absent):
        a.op(_JEQ_K, nr, "enosys")
    for nr in sorted(flagged):
        a.op(_JEQ_K, nr, "flags")
    a.op(_RET_K, _ALLOW)
    if flagged:
        a.label("flags")
        a.op(_LD_W_ABS, _ARG0_LOW)
        a.op(_JSET_K, CLONE_NEWUSER, "eperm")
        a.op(_RET_K, _ALLOW)
    a.label("eperm")
    a.op(_RET_K, _ERRNO | _EPERM)
    if absent:
        a.label("enosys")
        a.op(_RET_K, _ERRNO | _ENOSYS)
    return a.assemble()


def program():
    """bubblewrap's filter (``struct sock_filter`` array, native byte order), for ``bwrap --seccomp``."""
    return _build(_TABLES[platform.machine()][1].values())


def kernel_program():
    """The kernel's filter, installed over bubblewrap's before student code runs (same encoding)."""
    machine = platform.machine()
    refused = set(_TABLES[machine][1].values()) | set(_KERNEL_REFUSED[machine].values())
    return _build(refused, _KERNEL_FLAGGED[machine].values(), _KERNEL_ABSENT[machine].values())
