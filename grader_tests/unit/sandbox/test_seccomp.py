"""The seccomp programs, decoded and run on a tiny classic-BPF interpreter over ``struct seccomp_data``.

``seccomp.program()`` is bubblewrap's (everything in the sandbox); ``seccomp.kernel_program()``
is the kernel's, installed over it before student code runs: it also refuses a user namespace
(``unshare``/``clone`` with ``CLONE_NEWUSER``), every mount call and ``setns``, and makes
``clone3`` look absent.
"""

import struct

import pytest

from grader.sandbox import seccomp

# struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
SECCOMP_DATA_NR, SECCOMP_DATA_ARCH, SECCOMP_DATA_IP, SECCOMP_DATA_ARGS = 0, 4, 8, 16
ALLOW, EPERM, ENOSYS, KILL = 0x7FFF0000, 0x00050001, 0x00050026, 0x80000000
RET, LD_W_ABS, JEQ_K, JGE_K, JSET_K = 0x06, 0x20, 0x15, 0x35, 0x45
BPF_MAXINSNS = 4096
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID = 0x10000000, 0x00020000, 0x20000000
# What glibc's pthread_create passes to clone (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|
# PARENT_SETTID|CHILD_CLEARTID) and what its fork passes (CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD).
THREAD_FLAGS, FORK_FLAGS = 0x003D0F00, 0x01200011

# System call numbers the tests name, per architecture (from the kernel's tables, not the module's).
NUMBERS = {
    "x86_64": {
        "read": 0,
        "write": 1,
        "clone": 56,
        "execve": 59,
        "mount": 165,
        "umount2": 166,
        "pivot_root": 155,
        "setns": 308,
        "unshare": 272,
        "open_tree": 428,
        "move_mount": 429,
        "fsopen": 430,
        "fsconfig": 431,
        "fsmount": 432,
        "fspick": 433,
        "clone3": 435,
        "mount_setattr": 442,
        "keyctl": 250,
        "exit_group": 231,
    },
    "aarch64": {
        "read": 63,
        "write": 64,
        "clone": 220,
        "execve": 221,
        "mount": 40,
        "umount2": 39,
        "pivot_root": 41,
        "setns": 268,
        "unshare": 97,
        "open_tree": 428,
        "move_mount": 429,
        "fsopen": 430,
        "fsconfig": 431,
        "fsmount": 432,
        "fspick": 433,
        "clone3": 435,
        "mount_setattr": 442,
        "keyctl": 219,
        "exit_group": 94,
    },
}
MOUNT_CALLS = ["mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount"]
MOUNT_CALLS += ["fspick", "mount_setattr", "setns"]
BASE_CALLS = ["add_key", "request_key", "keyctl", "bpf", "perf_event_open", "userfaultfd"]
BASE_CALLS += ["io_uring_setup", "io_uring_enter", "io_uring_register"]


@pytest.fixture(params=sorted(seccomp._TABLES))
def machine(request, monkeypatch):
    monkeypatch.setattr(seccomp.platform, "machine", lambda: request.param)
    return request.param


def _decode(data):
    assert len(data) % 8 == 0
    return [struct.unpack("=HBBI", data[i : i + 8]) for i in range(0, len(data), 8)]


def _instructions():
    return _decode(seccomp.program())


def _kernel():
    return _decode(seccomp.kernel_program())


def _seccomp_data(arch, nr, args):
    """The bytes the kernel hands the filter (little-endian, as on both architectures)."""
    args = list(args) + [0] * (6 - len(args))
    return struct.pack("<iIQ6Q", nr, arch, 0x7F0000001234, *args)


def _run(instructions, arch, nr, *args):
    """What the filter decides for system call ``nr`` of architecture ``arch`` with arguments ``args``."""
    data = _seccomp_data(arch, nr, args)
    accumulator, pc = None, 0
    for _ in range(len(instructions) + 1):
        code, jt, jf, k = instructions[pc]
        if code == LD_W_ABS:
            assert k % 4 == 0 and k + 4 <= len(data), "a load outside seccomp_data"
            accumulator = struct.unpack_from("<I", data, k)[0]
            pc += 1
        elif code == JEQ_K:
            pc += 1 + (jt if accumulator == k else jf)
        elif code == JGE_K:
            pc += 1 + (jt if accumulator >= k else jf)
        elif code == JSET_K:
            pc += 1 + (jt if accumulator & k else jf)
        elif code == RET:
            return k
        else:
            raise AssertionError(f"unexpected BPF instruction {code:#x}")
    raise AssertionError("the program does not end")


# --- bubblewrap's filter -------------------------------------------------------------------


def test_seccomp_program_has_the_expected_length_and_structure(machine):
    arch, numbers = seccomp._TABLES[machine]
    instructions = _instructions()
    x32 = 1 if machine == "x86_64" else 0
    assert len(instructions) == 4 + x32 + len(numbers) + 2 <= BPF_MAXINSNS
    assert instructions[0] == (LD_W_ABS, 0, 0, SECCOMP_DATA_ARCH)
    assert instructions[1] == (JEQ_K, 1, 0, arch)
    assert instructions[2] == (RET, 0, 0, KILL)
    assert instructions[3] == (LD_W_ABS, 0, 0, SECCOMP_DATA_NR)
    assert instructions[-2] == (RET, 0, 0, ALLOW)
    assert instructions[-1] == (RET, 0, 0, EPERM)


def test_every_blocked_call_jumps_to_the_eperm_return(machine):
    _, numbers = seccomp._TABLES[machine]
    instructions = _instructions()
    eperm = len(instructions) - 1
    tests = [(pc, ins) for pc, ins in enumerate(instructions) if ins[0] == JEQ_K and pc > 3]
    assert sorted(k for _, (_, _, _, k) in tests) == sorted(numbers.values())
    for pc, (_, jt, jf, _) in tests:
        assert pc + 1 + jt == eperm and jf == 0


@pytest.mark.parametrize("name", BASE_CALLS)
def test_the_filter_refuses_each_blocked_call_with_eperm(machine, name):
    arch, numbers = seccomp._TABLES[machine]
    assert _run(_instructions(), arch, numbers[name]) == EPERM


@pytest.mark.parametrize("nr", [0, 1, 2, 3, 56, 57, 59, 60, 231, 435, 247, 251])
def test_the_filter_allows_ordinary_calls(machine, nr):
    arch, numbers = seccomp._TABLES[machine]
    assert nr not in numbers.values()
    assert _run(_instructions(), arch, nr) == ALLOW


@pytest.mark.parametrize("name", ["unshare", "clone", "mount", "setns", "clone3", "pivot_root"])
def test_bubblewraps_filter_lets_the_mount_step_and_the_zygote_make_namespaces_and_mount(machine, name):
    arch, _ = seccomp._TABLES[machine]
    for flags in (CLONE_NEWUSER, CLONE_NEWPID | CLONE_NEWNS, 0):
        assert _run(_instructions(), arch, NUMBERS[machine][name], flags) == ALLOW


def test_the_filter_kills_a_call_of_another_architecture(machine):
    other = {arch for arch, _ in seccomp._TABLES.values()} | {0x40000003}  # i386
    arch, numbers = seccomp._TABLES[machine]
    for program in (_instructions(), _kernel()):
        for foreign in other - {arch}:
            assert _run(program, foreign, numbers["keyctl"]) == KILL
            assert _run(program, foreign, 0) == KILL
            assert _run(program, foreign, NUMBERS[machine]["unshare"], CLONE_NEWUSER) == KILL


def test_the_filter_refuses_the_x32_abi_on_x86_64(monkeypatch):
    monkeypatch.setattr(seccomp.platform, "machine", lambda: "x86_64")
    arch, numbers = seccomp._TABLES["x86_64"]
    for program in (_instructions(), _kernel()):
        for nr in (0, numbers["keyctl"], 0x1FF, NUMBERS["x86_64"]["unshare"], NUMBERS["x86_64"]["clone"]):
            assert _run(program, arch, 0x40000000 | nr) != ALLOW
            assert _run(program, arch, 0x40000000 | nr, CLONE_NEWUSER) != ALLOW


def test_blocked_calls_names_the_table(machine):
    assert seccomp.blocked_calls() == sorted(seccomp._TABLES[machine][1])


# --- the kernel's filter -------------------------------------------------------------------


def test_the_kernels_filter_reads_only_the_number_the_arch_and_argument_0(machine):
    program = _kernel()
    assert len(program) <= BPF_MAXINSNS
    loads = {k for code, _, _, k in program if code == LD_W_ABS}
    assert loads == {SECCOMP_DATA_NR, SECCOMP_DATA_ARCH, SECCOMP_DATA_ARGS}
    assert program[:4] == _instructions()[:4]  # the architecture is checked first, as bubblewrap's


@pytest.mark.parametrize("name", ["unshare", "clone"])
def test_the_kernel_cannot_ask_for_a_user_namespace(machine, name):
    arch, _ = seccomp._TABLES[machine]
    nr = NUMBERS[machine][name]
    for flags in (CLONE_NEWUSER, CLONE_NEWUSER | CLONE_NEWNS, CLONE_NEWUSER | FORK_FLAGS, 0xFFFFFFFF):
        assert _run(_kernel(), arch, nr, flags) == EPERM
        # The high half of the 64-bit argument does not hide the flag; the kernel ignores it.
        assert _run(_kernel(), arch, nr, (0xDEAD << 32) | flags) == EPERM


@pytest.mark.parametrize("name", ["unshare", "clone"])
def test_the_kernel_still_forks_starts_threads_and_unshares_what_needs_no_namespace(machine, name):
    arch, _ = seccomp._TABLES[machine]
    for flags in (FORK_FLAGS, THREAD_FLAGS, 0, CLONE_NEWNS, CLONE_NEWPID, 0xFFFFFFFF & ~CLONE_NEWUSER):
        assert _run(_kernel(), arch, NUMBERS[machine][name], flags) == ALLOW
        assert _run(_kernel(), arch, NUMBERS[machine][name], (0x1 << 40) | flags) == ALLOW


def test_clone3_looks_absent_to_the_kernel(machine):
    arch, _ = seccomp._TABLES[machine]
    for flags in (0, CLONE_NEWUSER):  # a pointer, in truth: the filter never reads it
        assert _run(_kernel(), arch, NUMBERS[machine]["clone3"], flags) == ENOSYS


@pytest.mark.parametrize("name", MOUNT_CALLS)
def test_the_kernel_cannot_mount_or_switch_namespaces(machine, name):
    arch, _ = seccomp._TABLES[machine]
    assert _run(_kernel(), arch, NUMBERS[machine][name]) == EPERM


@pytest.mark.parametrize("name", BASE_CALLS)
def test_the_kernels_filter_refuses_what_bubblewraps_does(machine, name):
    arch, numbers = seccomp._TABLES[machine]
    assert _run(_kernel(), arch, numbers[name]) == EPERM


@pytest.mark.parametrize("name", ["read", "write", "execve", "exit_group"])
def test_the_kernels_filter_allows_ordinary_calls(machine, name):
    arch, _ = seccomp._TABLES[machine]
    assert _run(_kernel(), arch, NUMBERS[machine][name], CLONE_NEWUSER) == ALLOW


def test_every_number_below_600_not_named_is_allowed_by_the_kernels_filter(machine):
    arch, _ = seccomp._TABLES[machine]
    named = {NUMBERS[machine][n] for n in MOUNT_CALLS + ["unshare", "clone", "clone3"]}
    named |= set(seccomp._TABLES[machine][1].values())
    for nr in sorted(set(range(600)) - named):
        assert _run(_kernel(), arch, nr, CLONE_NEWUSER) == ALLOW, nr


def test_kernel_blocked_calls_names_every_refused_call(machine):
    names = seccomp.kernel_blocked_calls()
    assert set(names) == set(BASE_CALLS) | set(MOUNT_CALLS) | {"unshare", "clone", "clone3"}
