"""A seccomp filter for a grading child: the system calls no kata needs and an escape would.

The audit hook already refuses these from Python; the filter refuses them to native code too (a
shipped extension module, a bug in a library), in the kernel. Denied calls fail with EPERM
(EACCES for sockets), they do not kill: a refused call is a failed test with a reason, not a
crash. Denied: running programs (execve), reading or writing other processes' memory or file
descriptors (ptrace, process_vm_*, pidfd_getfd, kcmp), namespaces (unshare, setns), mounts,
kernel modules, kexec, reboot, bpf, perf events, userfaultfd, io_uring (whose operations would
bypass the filter), the keyring, clock and host-name changes, and sockets other than local
(AF_UNIX) ones. Linux x86-64 and aarch64 only; elsewhere `apply` returns False and the report
says the layer is missing.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

from grader.runner.landlock import _PR_SET_NO_NEW_PRIVS, _libc

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SECCOMP_SYSCALL = {"x86_64": 317, "aarch64": 277}
_SOCKET = {"x86_64": 41, "aarch64": 198}
_DENIED = {  # name: (x86-64, aarch64)
    "execve": (59, 221), "execveat": (322, 281), "ptrace": (101, 117),
    "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "pidfd_getfd": (438, 438),
    "kcmp": (312, 272), "unshare": (272, 97), "setns": (308, 268), "mount": (165, 40),
    "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51), "open_tree": (428, 428),
    "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431), "fsmount": (432, 432),
    "fspick": (433, 433), "mount_setattr": (442, 442), "swapon": (167, 224),
    "swapoff": (168, 225), "reboot": (169, 142), "kexec_load": (246, 104),
    "kexec_file_load": (320, 294), "init_module": (175, 105), "finit_module": (313, 273),
    "delete_module": (176, 106), "bpf": (321, 280), "perf_event_open": (298, 241),
    "userfaultfd": (323, 282), "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427), "keyctl": (250, 219), "add_key": (248, 217),
    "request_key": (249, 218), "acct": (163, 89), "quotactl": (179, 60), "syslog": (103, 116),
    "settimeofday": (164, 170), "clock_settime": (227, 112), "sethostname": (170, 161),
    "setdomainname": (171, 162), "vhangup": (153, 58), "name_to_handle_at": (303, 264),
    "open_by_handle_at": (304, 265), "fanotify_init": (300, 262),
}
_X32_SYSCALL_BIT = 0x40000000  # x86-64's x32 ABI: the same arch value, other numbers
_AF_UNIX = 1

_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_SET_MODE_FILTER = 1
_FLAG_TSYNC = 1
# Offsets in struct seccomp_data: nr, arch, then (after the instruction pointer) the arguments.
_NR, _ARCH, _ARG0 = 0, 4, 16


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str) -> bytes:
    """The BPF program (a sequence of struct sock_filter) for `machine`."""
    column = 0 if machine == "x86_64" else 1
    deny, deny_socket = _RET_ERRNO | errno.EPERM, _RET_ERRNO | errno.EACCES
    code = [
        _insn(_LD_W_ABS, _ARCH),
        _insn(_JEQ_K, _AUDIT_ARCH[machine], jt=1),
        _insn(_RET_K, deny),  # another ABI's calls: numbers this filter does not know
        _insn(_LD_W_ABS, _NR),
    ]
    if machine == "x86_64":
        code += [_insn(_JGE_K, _X32_SYSCALL_BIT, jf=1), _insn(_RET_K, deny)]
    for numbers in _DENIED.values():
        code += [_insn(_JEQ_K, numbers[column], jf=1), _insn(_RET_K, deny)]
    code += [
        _insn(_JEQ_K, _SOCKET[machine], jf=3),
        _insn(_LD_W_ABS, _ARG0),  # the domain (low 32 bits, little-endian)
        _insn(_JEQ_K, _AF_UNIX, jt=1),
        _insn(_RET_K, deny_socket),
        _insn(_RET_K, _RET_ALLOW),
    ]
    return b"".join(code)


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def apply() -> bool:
    """Install the filter on this process (all its threads where the kernel can). Irreversible.
    False where seccomp or this architecture is not supported; nothing is changed then."""
    machine = platform.machine()
    if os.name != "posix" or machine not in _AUDIT_ARCH or struct.calcsize("P") != 8:
        return False
    try:
        libc = _libc()
    except OSError:
        return False
    code = program(machine)
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_char_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    number = _SECCOMP_SYSCALL[machine]
    for flags in (_FLAG_TSYNC, 0):  # every thread; else (an old kernel) this one and its children
        if libc.syscall(number, _SET_MODE_FILTER, flags, ctypes.byref(prog)) == 0:
            return True
    return False
