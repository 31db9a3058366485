"""Landlock (Linux >= 5.13): restrict the calling process's file system (and, from ABI 4, TCP;
from ABI 6, signals to processes outside it) to an allow-list. Unprivileged, irreversible,
inherited by children. Returns the ABI used, or 0 where the kernel (or platform) lacks it, so
callers degrade gracefully.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct

_SYS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_WRITE_ALL_V1 = sum(1 << i for i in range(1, 13)) & ~(_READ_FILE | _READ_DIR)
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    numbers = _SYS.get(platform.machine())
    if numbers is None or os.name != "posix":
        return 0
    try:
        version = _libc().syscall(numbers[0], None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    except (OSError, AttributeError):
        return 0
    return version if version > 0 else 0


def _fs_rights(abi: int) -> int:
    rights = _EXECUTE | _READ_FILE | _READ_DIR | _WRITE_ALL_V1
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    if abi >= 5:
        rights |= _IOCTL_DEV
    return rights


def restrict(read_only: list[str], read_write: list[str]) -> int:
    """Allow reading (and executing) under `read_only`, everything under `read_write`; deny
    every other file access, TCP bind/connect (ABI >= 4) and signals to outside processes
    (ABI >= 6). Returns the ABI applied, or 0 if Landlock is unavailable."""
    abi = abi_version()
    if abi <= 0:
        return 0
    libc = _libc()
    create, add_rule, restrict_self = _SYS[platform.machine()]
    handled = _fs_rights(abi)
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("=QQQ", handled, net, scoped)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled, net)
    else:
        attr = struct.pack("=Q", handled)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = libc.syscall(create, buf, ctypes.c_size_t(len(attr)), 0)
    if ruleset < 0:
        return 0
    try:
        read_rights = _EXECUTE | _READ_FILE | _READ_DIR
        for paths, rights in ((read_only, read_rights), (read_write, handled)):
            for path in paths:
                _add_path(libc, add_rule, ruleset, path, rights, handled)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0
        if libc.syscall(restrict_self, ruleset, 0) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _add_path(libc, add_rule: int, ruleset: int, path: str, rights: int, handled: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            # Directory-only rights are refused on files: keep the file rights.
            rights &= _EXECUTE | _READ_FILE | _WRITE_FILE | _TRUNCATE | _IOCTL_DEV
        rule = struct.pack("=Qi", rights & handled, fd)
        buf = ctypes.create_string_buffer(rule, len(rule))
        libc.syscall(add_rule, ruleset, _RULE_PATH_BENEATH, buf, 0)
    finally:
        os.close(fd)
