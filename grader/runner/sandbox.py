"""Process isolation of a grading child, applied before any submission code runs.

Each layer is applied where the machine allows it and reports itself in `Isolation`, so the
report says which were active; a layer that is not available degrades to the ones that are.
"""

from __future__ import annotations

import os
import resource
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENV_ALLOW = (
    "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM",
    "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH",
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
)
FILE_SIZE_LIMIT = 64 * 1024 * 1024
OPEN_FILES_LIMIT = 512
DEFAULT_MEMORY_LIMIT = 6 * 1024 * 1024 * 1024


@dataclass
class Isolation:
    layers: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def child_environment(base: dict[str, str], scratch: Path) -> dict[str, str]:
    """The allow-listed environment: no tokens, no CI secrets, no PYTHON* hooks."""
    env = {k: v for k, v in base.items() if k in ENV_ALLOW}
    env.update({
        "HOME": str(scratch), "TMPDIR": str(scratch), "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NO_COLOR": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    })
    return env


def enter(scratch: Path, keep_fd: int, cpu_seconds: int, memory_bytes: int | None,
          isolation: Isolation) -> None:
    """Isolate the current (child) process. Called right after fork/spawn, single-threaded."""
    try:
        os.setsid()
    except OSError:
        pass  # already a session leader (spawned with start_new_session)
    isolation.layers.append("own session and process group, killed as a group on timeout")
    _redirect_stdio()
    # Forked from a process whose sys.stdout may be a capture object (a host pytest run):
    # back to the real streams, which now lead to /dev/null.
    sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__
    _close_fds_except(keep_fd)
    isolation.layers.append("file descriptors closed except the private result channel; output discarded")
    os.chdir(scratch)
    import tempfile

    tempfile.tempdir = str(scratch)  # forked: the parent's cached temp dir would be /tmp
    os.environ.clear()
    os.environ.update(child_environment(dict(_INHERITED_ENV), scratch))
    sys.path[:] = [p for p in sys.path if p and os.path.isabs(p)]
    isolation.layers.append("allow-listed environment, scratch cwd/HOME/TMPDIR")
    _limit(resource.RLIMIT_CPU, cpu_seconds)
    _limit(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT)
    _limit(resource.RLIMIT_NOFILE, OPEN_FILES_LIMIT)
    _limit(resource.RLIMIT_CORE, 0)
    limits = "CPU time, file size, open files, core dumps"
    if memory_bytes:
        _limit(resource.RLIMIT_AS, memory_bytes)
        limits = "memory, " + limits
    isolation.layers.append(f"resource limits ({limits})")
    if _leave_network():
        isolation.layers.append("no network: an empty network namespace of its own")
    else:
        isolation.missing.append("network namespace (unshare not permitted here)")


_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


def _leave_network() -> bool:
    """Move into a new, empty network namespace (no interface but a down loopback). As root
    that is allowed directly; otherwise through a new user namespace, where the kernel permits
    unprivileged ones. Only a single-threaded process may do this, as a fresh child is."""
    if sys.platform != "linux":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    flags = _CLONE_NEWNET if os.geteuid() == 0 else _CLONE_NEWUSER | _CLONE_NEWNET
    return libc.unshare(flags) == 0


# The environment as the supervisor saw it, captured at import (before any child clears it).
_INHERITED_ENV = dict(os.environ)


def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(which, (value, value if which != resource.RLIMIT_CPU else value + 5))
    except (ValueError, OSError):
        resource.setrlimit(which, (value, hard))


def _redirect_stdio() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)
    debug = _INHERITED_ENV.get("KATAS_DEBUG_CHILD_STDERR")  # for grader developers only
    if debug:
        log = os.open(debug, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)


def _close_fds_except(keep: int) -> None:  # noqa: D103
    max_fd = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if max_fd == resource.RLIM_INFINITY or max_fd > 65536:
        max_fd = 65536
    os.closerange(3, keep)
    os.closerange(keep + 1, max_fd)


def protected_paths(kit_root: Path, submission: Path, others_root: Path | None) -> tuple[str, ...]:
    """What a submission may not read: the kit's (and the grader's own checkout's) tests,
    solutions and VCS data, and (in a batch) the other students' folders."""
    import grader

    paths = []
    for root in {kit_root.resolve(), Path(grader.__file__).resolve().parent.parent}:
        paths += [root / "tests", root / "solutions", root / ".git"]
    if others_root is not None:
        paths.append(others_root)
    return tuple(str(p) for p in paths)
